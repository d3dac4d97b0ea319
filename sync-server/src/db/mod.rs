//! The agency record in SQLite: every SQL statement of the server lives here. Writes that
//! belong together (a sync's documents and their projection) are one transaction, so a server
//! killed mid-merge leaves the record as it was before or after, never between.

use chrono::{DateTime, Utc};
pub use engine::{open, open_at, redact, Db, Location, PG_SESSIONS, READERS};
use milkshed_shared::document::InspectionDoc;
pub use sql::{params, Conn, Dialect, OptionalExtension, SqlError, Tx};
use uuid::Uuid;

use milkshed_shared::authority::Role;
use milkshed_shared::ids::{DeviceId, UserId};

pub mod desk;
mod engine;
pub mod ims;
mod projection;
pub mod registry;
pub mod sampling;
pub mod sql;
pub mod web;

/// A database failure, or a record that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sql(#[from] SqlError),
    #[error("the data directory was written by a newer milkshed-server (schema {0})")]
    NewerSchema(i64),
    #[error("stored record is damaged: {0}")]
    Damaged(String),
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sql(e.into())
    }
}

impl From<r2d2::Error> for DbError {
    fn from(e: r2d2::Error) -> Self {
        DbError::Sql(e.into())
    }
}

pub type Result<T> = std::result::Result<T, DbError>;

/// An enrolled device, as authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device_id: DeviceId,
    pub user_id: UserId,
    pub user_name: String,
    pub agency_id: String,
    pub role: Role,
    pub actor: String,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

impl DeviceAuth {
    /// The device's user as the caller of a change to the record.
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.user_id.clone(),
            user_name: self.user_name.clone(),
            agency_id: self.agency_id.clone(),
            role: self.role,
            via: Via::Device(self.device_id.as_str().to_string()),
        }
    }
}

/// Who changes the agency record, and through what: the register and office services take
/// this, so a device's request and a review page's form are one operation with one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub user_name: String,
    pub agency_id: String,
    pub role: Role,
    pub via: Via,
}

/// The channel of a change, kept in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// An enrolled device, by its id.
    Device(String),
    /// A signed-in review-page session.
    Web,
}

impl Via {
    pub fn describe(&self) -> String {
        match self {
            Via::Device(id) => format!("device {id}"),
            Via::Web => "review pages".into(),
        }
    }
}

/// A user for sign-in.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub agency_id: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
}

/// A stored document with its owner.
pub struct StoredDoc {
    pub agency_id: String,
    pub inspector_id: String,
    pub doc: InspectionDoc,
}

pub fn now() -> String {
    Utc::now().to_rfc3339()
}

pub fn create_agency(conn: &Conn, id: &str, name: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO agencies (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![id, name, now()],
    )?;
    conn.execute(
        "INSERT INTO reference_versions (agency_id, version) VALUES (?1, 1) ON CONFLICT DO NOTHING",
        [id],
    )?;
    Ok(())
}

/// The agency's name.
pub fn agency_name(conn: &Conn, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT name FROM agencies WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn agency_exists(conn: &Conn, id: &str) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM agencies WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn is_empty(conn: &Conn) -> Result<bool> {
    Ok(conn.query_row("SELECT count(*) FROM agencies", [], |r| r.get::<_, i64>(0))? == 0)
}

pub fn add_user(
    conn: &Conn,
    agency: &str,
    username: &str,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO users (id, agency_id, username, name, role, password_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, agency, username, name, role.as_str(), password_hash],
    )?;
    Ok(id)
}

pub fn set_password(conn: &Conn, agency: &str, username: &str, hash: &str) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE users SET password_hash = ?3 WHERE agency_id = ?1 AND username = ?2",
        params![agency, username, hash],
    )? == 1)
}

pub fn user_by_name(conn: &Conn, agency: &str, username: &str) -> Result<Option<UserRow>> {
    let row = conn
        .query_row(
            "SELECT id, agency_id, name, role, password_hash, active FROM users WHERE agency_id = ?1 AND username = ?2",
            params![agency, username],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?;
    row.map(|(id, agency_id, name, role, password_hash, active)| {
        Ok(UserRow {
            id,
            agency_id,
            name,
            role: Role::parse(&role).ok_or_else(|| DbError::Damaged(format!("role {role}")))?,
            password_hash,
            active,
        })
    })
    .transpose()
}

#[allow(clippy::too_many_arguments)]
pub fn add_device(
    conn: &Conn,
    id: &str,
    user_id: &str,
    name: &str,
    actor: &str,
    token_hash: &str,
    expires_at: &DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO devices (id, user_id, name, actor, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, user_id, name, actor, token_hash, now(), expires_at.to_rfc3339()],
    )?;
    Ok(())
}

pub fn actor_taken(conn: &Conn, actor: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM devices WHERE actor = ?1",
            [actor],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The longest wait before the next attempt at a throttled key, if any of them is locked.
pub fn throttled(conn: &Conn, keys: &[String], now: DateTime<Utc>) -> Result<Option<u64>> {
    let mut wait = None;
    let mut stmt = conn.prepare_cached("SELECT locked_until FROM login_attempts WHERE key = ?1")?;
    for k in keys {
        let until: Option<Option<String>> = stmt.query_row([k], |r| r.get(0)).optional()?;
        if let Some(until) = until
            .flatten()
            .and_then(|u| DateTime::parse_from_rfc3339(&u).ok())
        {
            let ms = (until.with_timezone(&Utc) - now).num_milliseconds();
            if ms > 0 {
                // whole seconds, rounded up: a client told 0 would retry at once
                let secs = u64::try_from(ms).unwrap_or(0).div_ceil(1000);
                wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
            }
        }
    }
    Ok(wait)
}

/// Counts a failed sign-in against each key and locks those over their allowance: failures
/// are remembered for `window`, and `backoff(key, failures)` says how long a key then waits
/// (the policy is `service::auth`'s).
pub fn login_failed(
    conn: &Conn,
    keys: &[String],
    now: DateTime<Utc>,
    window: chrono::Duration,
    backoff: &dyn Fn(&str, i64) -> Option<chrono::Duration>,
) -> Result<()> {
    // counters past their window and their lock are forgotten, so guessed user names cannot
    // fill the table
    conn.execute(
        "DELETE FROM login_attempts WHERE first_failure_at < ?1 AND (locked_until IS NULL OR locked_until < ?2)",
        params![(now - window).to_rfc3339(), now.to_rfc3339()],
    )?;
    for k in keys {
        let row: Option<(i64, String)> = conn
            .query_row(
                "SELECT failures, first_failure_at FROM login_attempts WHERE key = ?1",
                [k],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let fresh = |first: &str| {
            DateTime::parse_from_rfc3339(first)
                .map(|f| now - f.with_timezone(&Utc) < window)
                .unwrap_or(false)
        };
        let (failures, first) = match row {
            Some((n, first)) if fresh(&first) => (n.saturating_add(1), first),
            _ => (1, now.to_rfc3339()),
        };
        let until = backoff(k, failures).map(|w| (now + w).to_rfc3339());
        conn.execute(
            "INSERT INTO login_attempts (key, failures, first_failure_at, locked_until) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(key) DO UPDATE SET failures = excluded.failures,
                first_failure_at = excluded.first_failure_at, locked_until = excluded.locked_until",
            params![k, failures, first, until],
        )?;
    }
    Ok(())
}

/// A successful sign-in clears its keys' failures.
pub fn login_succeeded(conn: &Conn, keys: &[String]) -> Result<()> {
    for k in keys {
        conn.execute("DELETE FROM login_attempts WHERE key = ?1", [k])?;
    }
    Ok(())
}

/// Every enforcement action of the agency as `(subject, kind, issued on)`.
pub fn recorded_actions(conn: &Conn, agency: &str) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject_id, kind, issued_on FROM enforcement_actions WHERE agency_id = ?1",
    )?;
    let rows = stmt.query_map([agency], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A subject's enforcement actions not completed nor amended: `(kind, issued on, due on)`.
pub fn open_actions(
    conn: &Conn,
    agency: &str,
    subject: &str,
) -> Result<Vec<(String, chrono::NaiveDate, Option<chrono::NaiveDate>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.kind, a.issued_on, a.due_on FROM enforcement_actions a
         WHERE a.agency_id = ?1 AND a.subject_id = ?2
           AND NOT EXISTS (SELECT 1 FROM action_events e WHERE e.action_id = a.id AND e.event = 'completed')
           AND NOT EXISTS (SELECT 1 FROM enforcement_actions b WHERE b.amends = a.id)
         ORDER BY a.issued_on, a.id",
    )?;
    let rows = stmt.query_map(params![agency, subject], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    let day = |s: &str| {
        s.get(..10)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| DbError::Damaged(format!("date {s}")))
    };
    let mut out = Vec::new();
    for row in rows {
        let (kind, issued, due) = row?;
        out.push((kind, day(&issued)?, due.as_deref().map(day).transpose()?));
    }
    Ok(out)
}

/// The ids of a subject's signed or sent-in visits of `kind`, newest first.
pub fn rating_visit_ids(
    conn: &Conn,
    agency: &str,
    kind: milkshed_shared::document::InspectionKind,
    subject: &str,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM inspections WHERE agency_id = ?1 AND kind = ?2 AND subject_id = ?3
           AND status IN ('signed', 'submitted', 'accepted') ORDER BY started_at DESC",
    )?;
    let rows = stmt.query_map(params![agency, kind.as_str(), subject], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A server setting, created with `make` the first time it is asked for.
pub fn setting_or_init(conn: &Conn, key: &str, make: &dyn Fn() -> String) -> Result<String> {
    let found: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?;
    match found {
        Some(v) => Ok(v),
        None => {
            // two instances starting together: the first one's value stands
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![key, make()],
            )?;
            Ok(
                conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })?,
            )
        }
    }
}

/// Every user's id, of every agency (to tell reserved actors).
pub fn all_user_ids(conn: &Conn) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM users")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn revoke_device(conn: &Conn, device_id: &str) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![device_id, now()],
    )? == 1)
}

/// A device as listed to an administrator.
pub struct DeviceRow {
    pub id: String,
    pub username: String,
    pub name: String,
    pub created_at: String,
    pub revoked: bool,
}

/// Devices of an agency.
pub fn devices(conn: &Conn, agency: &str) -> Result<Vec<DeviceRow>> {
    let mut stmt = conn.prepare(
        "SELECT d.id, u.username, d.name, d.created_at, d.revoked_at IS NOT NULL FROM devices d JOIN users u ON u.id = d.user_id WHERE u.agency_id = ?1 ORDER BY d.created_at",
    )?;
    let rows = stmt.query_map([agency], |r| {
        Ok(DeviceRow {
            id: r.get(0)?,
            username: r.get(1)?,
            name: r.get(2)?,
            created_at: r.get(3)?,
            revoked: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn device_by_token(conn: &Conn, token_hash: &str) -> Result<Option<DeviceAuth>> {
    let row = conn
        .query_row(
            "SELECT d.id, u.id, u.name, u.agency_id, u.role, d.actor, d.expires_at, d.revoked_at IS NOT NULL OR u.active = 0
             FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?1",
            [token_hash],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, bool>(7)?,
                ))
            },
        )
        .optional()?;
    row.map(
        |(device_id, user_id, user_name, agency_id, role, actor, expires, revoked)| {
            Ok(DeviceAuth {
                device_id: device_id.into(),
                user_id: user_id.into(),
                user_name,
                agency_id,
                role: Role::parse(&role).ok_or_else(|| DbError::Damaged(format!("role {role}")))?,
                actor,
                expires_at: DateTime::parse_from_rfc3339(&expires)
                    .map_err(|e| DbError::Damaged(e.to_string()))?
                    .with_timezone(&Utc),
                revoked,
            })
        },
    )
    .transpose()
}

/// Records a request id; false when the device already sent it (a replay).
pub fn first_use_of_request(tx: &Tx<'_>, device: &str, request: &str) -> Result<bool> {
    Ok(tx.execute(
        "INSERT INTO seen_requests (device_id, request_id, at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![device, request, now()],
    )? == 1)
}

/// Takes a document's lock until the transaction ends: whoever reads a document to write it
/// (a sync's merge, a review, a resolved conflict) on any server instance waits here for the
/// one before to commit, so no change is lost between a read and a write. A sync locks all of
/// its documents at once, in order, so two syncs never wait on each other in a circle.
pub fn lock_documents(tx: &Tx<'_>, ids: &[milkshed_shared::ids::InspectionId]) -> Result<()> {
    let mut ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        tx.lock(&format!("document {id}"))?;
    }
    Ok(())
}

/// A document to be changed: its lock, then the document (see [`lock_documents`]).
pub fn load_doc_for_update(
    tx: &Tx<'_>,
    id: &milkshed_shared::ids::InspectionId,
    server_actor: &milkshed_shared::document::automerge::ActorId,
) -> Result<Option<StoredDoc>> {
    lock_documents(tx, std::slice::from_ref(id))?;
    load_doc(tx, id, server_actor)
}

pub fn load_doc(
    conn: &Conn,
    id: &milkshed_shared::ids::InspectionId,
    server_actor: &milkshed_shared::document::automerge::ActorId,
) -> Result<Option<StoredDoc>> {
    let row = conn
        .query_row(
            "SELECT agency_id, inspector_id, snapshot FROM documents WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )
        .optional()?;
    row.map(|(agency_id, inspector_id, snapshot)| {
        Ok(StoredDoc {
            agency_id,
            inspector_id,
            doc: InspectionDoc::load(&snapshot, server_actor.clone())
                .map_err(|e| DbError::Damaged(format!("document {id}: {e}")))?,
        })
    })
    .transpose()
}

/// Ids of an inspector's documents in an agency.
pub fn docs_of_inspector(
    conn: &Conn,
    agency: &str,
    inspector: &str,
) -> Result<Vec<milkshed_shared::ids::InspectionId>> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM documents WHERE agency_id = ?1 AND inspector_id = ?2")?;
    let rows = stmt.query_map(params![agency, inspector], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        let s = r?;
        out.push(
            s.parse::<milkshed_shared::ids::InspectionId>()
                .map_err(|e| DbError::Damaged(e.to_string()))?,
        );
    }
    Ok(out)
}

/// Stores a document and rewrites its projection rows.
pub fn store_doc(tx: &Tx<'_>, agency: &str, doc: &mut InspectionDoc) -> Result<()> {
    let i = doc.read().map_err(|e| DbError::Damaged(e.to_string()))?;
    let id = i.header.id.to_string();
    let snapshot = doc.save();
    let now = now();
    tx.execute(
        "INSERT INTO documents (id, agency_id, inspector_id, snapshot, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at",
        params![id, agency, i.header.inspector.id.as_str(), snapshot, now],
    )?;
    projection::project(tx, agency, &i, &now)?;
    projection::set_conflicts(tx, &id, doc.conflicts().len())
}

/// Whether a document of the agency refers to the photo.
pub fn photo_referenced(conn: &Conn, agency: &str, hash: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id WHERE i.agency_id = ?1 AND p.hash = ?2 LIMIT 1",
            params![agency, hash],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub fn photo_stored(conn: &Conn, agency: &str, hash: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM photos WHERE agency_id = ?1 AND hash = ?2",
            params![agency, hash],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub fn record_photo(conn: &Conn, agency: &str, hash: &str, size: u64) -> Result<()> {
    conn.execute(
        "INSERT INTO photos (agency_id, hash, size, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        params![agency, hash, size as i64, now()],
    )?;
    Ok(())
}

pub fn reference_version(conn: &Conn, agency: &str) -> Result<u64> {
    Ok(conn
        .query_row(
            "SELECT version FROM reference_versions WHERE agency_id = ?1",
            [agency],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .unwrap_or(0) as u64)
}

/// The agency's reference data as one JSON object: `{kind: [records]}`.
/// The agency's reference records changed after version `since` (all of them for 0).
pub fn reference_delta(
    conn: &Conn,
    agency: &str,
    since: u64,
) -> Result<milkshed_shared::sync::ReferenceDelta> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, id, data FROM reference WHERE agency_id = ?1 AND (?2 = 0 OR version > ?2) ORDER BY kind, id",
    )?;
    let since_i = i64::try_from(since).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![agency, since_i], |r| {
        Ok(milkshed_shared::sync::ReferenceRecord {
            kind: r.get(0)?,
            id: r.get(1)?,
            data: r.get(2)?,
        })
    })?;
    Ok(milkshed_shared::sync::ReferenceDelta {
        since,
        records: rows.collect::<std::result::Result<_, _>>()?,
    })
}

/// Adds or replaces a reference record and bumps the agency's reference version.
pub fn put_reference(
    conn: &Conn,
    agency: &str,
    kind: &str,
    id: &str,
    data: &serde_json::Value,
) -> Result<()> {
    let text = data.to_string();
    let unchanged = conn
        .query_row(
            "SELECT 1 FROM reference WHERE agency_id = ?1 AND kind = ?2 AND id = ?3 AND data = ?4",
            params![agency, kind, id, text],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if unchanged {
        // nothing for the devices to download again
        return Ok(());
    }
    conn.execute(
        "INSERT INTO reference_versions (agency_id, version) VALUES (?1, 2)
         ON CONFLICT(agency_id) DO UPDATE SET version = reference_versions.version + 1",
        [agency],
    )?;
    conn.execute(
        "INSERT INTO reference (agency_id, kind, id, data, version)
         VALUES (?1, ?2, ?3, ?4, (SELECT version FROM reference_versions WHERE agency_id = ?1))
         ON CONFLICT(agency_id, kind, id) DO UPDATE SET data = excluded.data, version = excluded.version",
        params![agency, kind, id, text],
    )?;
    Ok(())
}

/// Counts for health and tests: `(documents, photos)` of an agency.
pub fn counts(conn: &Conn, agency: &str) -> Result<(i64, i64)> {
    let docs = conn.query_row(
        "SELECT count(*) FROM documents WHERE agency_id = ?1",
        [agency],
        |r| r.get(0),
    )?;
    let photos = conn.query_row(
        "SELECT count(*) FROM photos WHERE agency_id = ?1",
        [agency],
        |r| r.get(0),
    )?;
    Ok((docs, photos))
}

/// One laboratory result to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabRow {
    pub lab_number: String,
    pub sample_date: chrono::NaiveDate,
    pub subject_id: String,
    pub standard: String,
    pub value: String,
    pub over: bool,
    /// The line of the CSV it came from.
    pub line: u64,
    /// The laboratory's classification (F, C) when imported.
    pub lab_classification: Option<String>,
    /// The laboratory procedure code (seed 001 L237-274), when the laboratory gave it.
    pub procedure: Option<String>,
}

/// Imports results, all or nothing.
pub fn import_lab_results(conn: &mut Conn, agency: &str, rows: &[LabRow]) -> Result<String> {
    let import_id = Uuid::now_v7().to_string();
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO lab_results (agency_id, import_id, lab_number, sample_date, subject_id, standard, value, over, imported_at, lab_classification, procedure)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let now = now();
        for r in rows {
            stmt.execute(params![
                agency,
                import_id,
                r.lab_number,
                r.sample_date.to_string(),
                r.subject_id,
                r.standard,
                r.value,
                r.over,
                now,
                r.lab_classification,
                r.procedure
            ])?;
        }
    }
    tx.commit()?;
    Ok(import_id)
}

/// A stored result as the ledger reads it: its day and its reading.
fn lab_sample(
    day: &str,
    value: &str,
    over: bool,
    standard: &str,
) -> Result<(chrono::NaiveDate, milkshed_shared::ledger::Reading)> {
    use milkshed_shared::ledger::Reading;
    let day = day
        .parse()
        .map_err(|e: chrono::ParseError| DbError::Damaged(e.to_string()))?;
    let reading = match milkshed_shared::exact::parse_decimal(value) {
        Some(v) if standard != "drug_residue" => Reading::Value(v),
        _ => Reading::Positive(over),
    };
    Ok((day, reading))
}

/// One series of the ledger: subject, standard, whether the subject is a dairy farm, and its
/// samples oldest first.
pub type LabSeries = (
    String,
    String,
    bool,
    Vec<(chrono::NaiveDate, milkshed_shared::ledger::Reading)>,
);

/// Every series of the agency's ledger (of one subject when `only`), read in one query: the
/// board reads thousands of farms' ledgers, never one query each.
pub fn lab_samples_all(conn: &Conn, agency: &str, only: Option<&str>) -> Result<Vec<LabSeries>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.subject_id, l.standard, CASE WHEN f.kind = 'dairy_farm' THEN 1 ELSE 0 END, l.sample_date, l.value, l.over
         FROM lab_results l LEFT JOIN facilities f ON f.id = l.subject_id AND f.agency_id = l.agency_id
         WHERE l.agency_id = ?1 AND (?2 IS NULL OR l.subject_id = ?2)
         ORDER BY l.subject_id, l.standard, l.sample_date",
    )?;
    let rows = stmt.query_map(params![agency, only], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, bool>(5)?,
        ))
    })?;
    let mut out: Vec<LabSeries> = Vec::new();
    for row in rows {
        let (subject, standard, farm, day, value, over) = row?;
        let sample = lab_sample(&day, &value, over, &standard)?;
        match out.last_mut() {
            Some(last) if last.0 == subject && last.1 == standard => last.3.push(sample),
            _ => out.push((subject, standard, farm, vec![sample])),
        }
    }
    Ok(out)
}

/// A subject's samples of one standard, oldest first, and whether the subject is a dairy farm
/// (whose milk has the farm's standard). The ledger's counting is `service::lab::history`'s.
pub fn lab_samples(
    conn: &Conn,
    agency: &str,
    subject: &str,
    standard: &str,
) -> Result<(
    Vec<(chrono::NaiveDate, milkshed_shared::ledger::Reading)>,
    bool,
)> {
    let mut stmt = conn.prepare_cached(
        "SELECT sample_date, value, over FROM lab_results WHERE agency_id = ?1 AND subject_id = ?2 AND standard = ?3 ORDER BY sample_date",
    )?;
    let rows = stmt.query_map(params![agency, subject, standard], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, bool>(2)?,
        ))
    })?;
    let mut samples = Vec::new();
    for row in rows {
        let (d, value, over) = row?;
        samples.push(lab_sample(&d, &value, over, standard)?);
    }
    let farm: bool = conn
        .query_row(
            "SELECT kind = 'dairy_farm' FROM facilities WHERE agency_id = ?1 AND id = ?2",
            params![agency, subject],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    Ok((samples, farm))
}

/// Number of lab results of an agency.
pub fn lab_result_count(conn: &Conn, agency: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM lab_results WHERE agency_id = ?1",
        [agency],
        |r| r.get(0),
    )?)
}

/// A new enforcement action.
pub struct NewAction<'a> {
    pub subject_id: &'a str,
    pub kind: &'a str,
    pub issued_on: chrono::NaiveDate,
    pub due_on: Option<chrono::NaiveDate>,
    pub cause: &'a str,
    pub issued_by: &'a str,
    pub amends: Option<&'a str>,
}

/// Records an enforcement action (append-only); returns its id.
pub fn add_action(conn: &Conn, agency: &str, a: &NewAction<'_>) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO enforcement_actions (id, agency_id, subject_id, kind, issued_on, due_on, cause, issued_by, amends, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![id, agency, a.subject_id, a.kind, a.issued_on.to_string(), a.due_on.map(|d| d.to_string()), a.cause, a.issued_by, a.amends, now()],
    )?;
    Ok(id)
}

/// Whether an action of the agency exists.
/// The subject an enforcement action is about.
pub fn action_subject(conn: &Conn, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT subject_id FROM enforcement_actions WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn action_exists(conn: &Conn, agency: &str, id: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM enforcement_actions WHERE agency_id = ?1 AND id = ?2",
            params![agency, id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Records that what an action required was done.
pub fn complete_action(conn: &Conn, id: &str, on: chrono::NaiveDate, by: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO action_events (action_id, event, on_date, by_user, created_at) VALUES (?1, 'completed', ?2, ?3, ?4)",
        params![id, on.to_string(), by, now()],
    )?;
    Ok(())
}

/// An action on the overdue list: `(id, subject, kind, issued_on, due_on)`.
pub type OverdueAction = (String, String, String, String, String);

/// Actions past their deadline and not completed (nor superseded by an amendment).
pub fn overdue_actions(
    conn: &Conn,
    agency: &str,
    today: chrono::NaiveDate,
) -> Result<Vec<OverdueAction>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.subject_id, a.kind, a.issued_on, a.due_on FROM enforcement_actions a
         WHERE a.agency_id = ?1 AND a.due_on IS NOT NULL AND a.due_on < ?2
           AND NOT EXISTS (SELECT 1 FROM action_events e WHERE e.action_id = a.id AND e.event = 'completed')
           AND NOT EXISTS (SELECT 1 FROM enforcement_actions b WHERE b.amends = a.id)
         ORDER BY a.due_on, a.id",
    )?;
    let rows = stmt.query_map(params![agency, today.to_string()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
