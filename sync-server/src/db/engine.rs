//! Where the agency record lives and how it is opened: the engine (SQLite in the data
//! directory, or PostgreSQL), its migrations in each dialect, and the pools of connections.

use std::path::Path;

use super::sql::{self, Conn, Dialect};
use super::{projection, DbError, Result};

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_lab_results.sql"),
    include_str!("../../migrations/0003_enforcement_actions.sql"),
    include_str!("../../migrations/0004_registry.sql"),
    include_str!("../../migrations/0005_web_sessions.sql"),
    include_str!("../../migrations/0006_security.sql"),
    include_str!("../../migrations/0007_reference_versions.sql"),
    include_str!("../../migrations/0008_sampling_surveillance.sql"),
    include_str!("../../migrations/0009_sampler_records.sql"),
    include_str!("../../migrations/0010_supervisors_desk.sql"),
    include_str!("../../migrations/0011_append_only_gaps.sql"),
    include_str!("../../migrations/0012_ims_ratings.sql"),
];

/// The same migrations in PostgreSQL's dialect, one for one.
const PG_MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_lab_results.sql"),
    include_str!("../../migrations/postgres/0003_enforcement_actions.sql"),
    include_str!("../../migrations/postgres/0004_registry.sql"),
    include_str!("../../migrations/postgres/0005_web_sessions.sql"),
    include_str!("../../migrations/postgres/0006_security.sql"),
    include_str!("../../migrations/postgres/0007_reference_versions.sql"),
    include_str!("../../migrations/postgres/0008_sampling_surveillance.sql"),
    include_str!("../../migrations/postgres/0009_sampler_records.sql"),
    include_str!("../../migrations/postgres/0010_supervisors_desk.sql"),
    include_str!("../../migrations/postgres/0011_append_only_gaps.sql"),
    include_str!("../../migrations/postgres/0012_ims_ratings.sql"),
];

/// The first schema with the sampler projections: documents stored before it are projected
/// again when it is applied.
const SAMPLER_RECORDS_SCHEMA: i64 = 9;
/// The first schema that counts each document's conflicting fields.
const CONFLICTS_SCHEMA: i64 = 10;

/// Where the agency record lives: a SQLite file in the data directory (the default), or a
/// PostgreSQL database shared by any number of server instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Location {
    /// `--database`'s value (a `postgres://` or `postgresql://` URL) or, without one, the data
    /// directory's SQLite file.
    pub fn from_args(database: Option<&str>, data: &Path) -> std::result::Result<Location, String> {
        match database {
            None => Ok(Location::Sqlite(data.to_path_buf())),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Location::Postgres(url.to_string()))
            }
            Some(other) => Err(format!(
                "--database {other}: give a postgres://user@host/db URL (or leave it out for the data directory's SQLite)"
            )),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(dir) => format!("{}", dir.join("agency.db").display()),
            Location::Postgres(url) => redact(url),
        }
    }
}

/// A PostgreSQL URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..s + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Opens (creating and migrating) the SQLite record in `dir`.
pub fn open(dir: &Path) -> Result<Conn> {
    let conn = rusqlite::Connection::open(dir.join("agency.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mut conn = Conn::from_sqlite(conn);
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens (creating and migrating) the record at `location`.
pub fn open_at(location: &Location) -> Result<Conn> {
    match location {
        Location::Sqlite(dir) => open(dir),
        Location::Postgres(url) => {
            let mut conn = Conn::connect_postgres(url)?;
            // two instances started together: one migrates, the other waits and finds it done
            conn.execute_batch("SELECT pg_advisory_lock(7305330)")?;
            let migrated = migrate(&mut conn);
            conn.execute_batch("SELECT pg_advisory_unlock(7305330)")?;
            migrated?;
            Ok(conn)
        }
    }
}

/// The schema's version: SQLite's `user_version`, PostgreSQL's `schema_version` table.
fn schema_version(conn: &Conn) -> Result<i64> {
    match conn.as_sqlite() {
        Some(c) => Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?),
        None => {
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
            )?;
            Ok(conn
                .query_row("SELECT max(version) FROM schema_version", [], |r| {
                    r.get::<_, Option<i64>>(0)
                })?
                .unwrap_or(0))
        }
    }
}

/// Applies the migrations the record lacks, each in its own transaction, in the engine's
/// dialect (`migrations/` for SQLite, `migrations/postgres/` for PostgreSQL: the same tables,
/// columns and append-only rules).
fn migrate(conn: &mut Conn) -> Result<()> {
    let scripts = match conn.dialect() {
        Dialect::Sqlite => MIGRATIONS,
        Dialect::Postgres => PG_MIGRATIONS,
    };
    let known = scripts.len() as i64;
    let found = schema_version(conn)?;
    if found > known {
        return Err(DbError::NewerSchema(found));
    }
    for (i, sql) in scripts.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        match tx.as_sqlite() {
            Some(c) => c.pragma_update(None, "user_version", version)?,
            None => {
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES (?1)",
                    [version],
                )?;
            }
        }
        tx.commit()?;
    }
    if found > 0 && found < SAMPLER_RECORDS_SCHEMA {
        projection::reproject(conn, &["hauler_sampler", "rating_visit_farm"])?;
    }
    if found > 0 && found < CONFLICTS_SCHEMA {
        projection::recount_conflicts(conn)?;
    }
    Ok(())
}

/// Read-only connections: WAL lets each read a consistent snapshot while a write goes on.
pub const READERS: u32 = 4;

/// PostgreSQL sessions per server instance: writers no longer queue behind one another, so
/// the pool is shared by reads and writes.
pub const PG_SESSIONS: u32 = 16;

/// The agency record's connections. SQLite: one writer (SQLite writes one at a time, so the
/// writer queue lives here rather than in SQLite's busy loop) and a pool of readers, so pages
/// and status reads never wait for a sync or an upload. PostgreSQL: one pool of sessions, for
/// reading and writing; writers of one document take turns by its lock ([`Conn::lock`]).
#[derive(Clone)]
pub struct Db {
    pools: Pools,
}

#[derive(Clone)]
enum Pools {
    Sqlite {
        writer: r2d2::Pool<r2d2_sqlite::SqliteConnectionManager>,
        readers: r2d2::Pool<r2d2_sqlite::SqliteConnectionManager>,
    },
    Postgres(r2d2::Pool<sql::PgManager>),
}

impl Db {
    /// Opens `dir`'s SQLite record (creating and migrating it), then the pools.
    pub fn open(dir: &Path) -> Result<Db> {
        Db::open_at(&Location::Sqlite(dir.to_path_buf()))
    }

    /// Opens the record at `location` (creating and migrating it), then its pools.
    pub fn open_at(location: &Location) -> Result<Db> {
        drop(open_at(location)?);
        let dir = match location {
            Location::Sqlite(dir) => dir,
            Location::Postgres(url) => {
                let pool = r2d2::Pool::builder()
                    .max_size(PG_SESSIONS)
                    .min_idle(Some(2))
                    .connection_timeout(std::time::Duration::from_secs(30))
                    .build(sql::PgManager::new(url))?;
                return Ok(Db {
                    pools: Pools::Postgres(pool),
                });
            }
        };
        let path = dir.join("agency.db");
        let writer = r2d2::Pool::builder()
            .max_size(1)
            .connection_timeout(std::time::Duration::from_secs(30))
            .build(
                r2d2_sqlite::SqliteConnectionManager::file(&path).with_init(|c| {
                    c.pragma_update(None, "synchronous", "FULL")?;
                    c.pragma_update(None, "foreign_keys", "ON")?;
                    c.busy_timeout(std::time::Duration::from_secs(10))
                }),
            )?;
        let readers = r2d2::Pool::builder()
            .max_size(READERS)
            .min_idle(Some(1))
            .connection_timeout(std::time::Duration::from_secs(30))
            .build(
                r2d2_sqlite::SqliteConnectionManager::file(&path)
                    .with_flags(
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .with_init(|c| c.busy_timeout(std::time::Duration::from_secs(10))),
            )?;
        Ok(Db {
            pools: Pools::Sqlite { writer, readers },
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.pools {
            Pools::Sqlite { .. } => Dialect::Sqlite,
            Pools::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The writer: for anything that writes (or reads what it is about to write).
    pub fn write(&self) -> Result<Conn> {
        match &self.pools {
            Pools::Sqlite { writer, .. } => Ok(Conn::sqlite_pooled(writer.get()?)),
            Pools::Postgres(pool) => Ok(Conn::pg_pooled(pool.get()?)),
        }
    }

    /// A reader: for a request that only reads.
    pub fn read(&self) -> Result<Conn> {
        match &self.pools {
            Pools::Sqlite { readers, .. } => Ok(Conn::sqlite_pooled(readers.get()?)),
            Pools::Postgres(pool) => Ok(Conn::pg_pooled(pool.get()?)),
        }
    }

    /// Whether the record answers, for reading and for writing (`/health`).
    pub fn check(&self) -> Result<()> {
        self.read()?
            .query_row("SELECT count(*) FROM agencies", [], |_| Ok(()))?;
        let writer = match &self.pools {
            Pools::Sqlite { writer, .. } => {
                Conn::sqlite_pooled(writer.get_timeout(std::time::Duration::from_secs(5))?)
            }
            Pools::Postgres(pool) => {
                Conn::pg_pooled(pool.get_timeout(std::time::Duration::from_secs(5))?)
            }
        };
        writer.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }
}
