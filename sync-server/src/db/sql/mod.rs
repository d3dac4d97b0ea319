//! The storage interface: one SQL connection type over the two engines the agency record runs
//! on — the embedded SQLite (the default) and PostgreSQL (an agency that outgrows one machine).
//!
//! Every statement of `db` is written once, in the SQL both engines speak (`?N` parameters,
//! `ON CONFLICT`, `RETURNING`, `COALESCE`, `CAST`), and runs through [`Conn`]; what differs is
//! kept here:
//! - parameters: `?N` becomes PostgreSQL's `$N`; a value is converted to the column's type
//!   the way SQLite would store it (an integer for a `BIGINT`, text for a `TEXT`), so one
//!   statement takes the same Rust values on both;
//! - rows: every column is read as a [`Value`] (PostgreSQL's `BOOLEAN` as 0/1, `NUMERIC` of
//!   `SUM` as an integer) and converted to the Rust type asked for;
//! - transactions: `BEGIN`/`COMMIT`, rolled back when dropped uncommitted (also while a panic
//!   unwinds);
//! - [`Conn::lock`]: on PostgreSQL a transaction-scoped advisory lock, so two server instances
//!   merging one document take turns; on SQLite nothing (its one writer already takes turns).

mod pg;

use pg::pg_message;
pub use pg::{to_postgres, PgClient, PgManager};

pub type Result<T, E = SqlError> = std::result::Result<T, E>;

/// A failure of the storage engine, or a value that does not fit the type asked for.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("query returned no rows")]
    NoRows,
    #[error("column {index}: {message}")]
    Type { index: usize, message: String },
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    #[error("postgres: {}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    #[error("postgres: {} in `{sql}`", pg_message(.source))]
    Prepare {
        sql: String,
        source: postgres::Error,
    },
    #[error("no database connection could be had: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("the connection is closed")]
    Closed,
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => SqlError::NoRows,
            e => SqlError::Sqlite(e),
        }
    }
}

impl SqlError {
    /// A constraint refused the write (unique, foreign key, check, or an append-only trigger).
    pub fn is_constraint(&self) -> bool {
        match self {
            SqlError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::ConstraintViolation
            }
            SqlError::Postgres(e) => e.code().is_some_and(|c| {
                c.code().starts_with("23") || *c == postgres::error::SqlState::RAISE_EXCEPTION
            }),
            _ => false,
        }
    }

    /// Another transaction won a race the engine could not order (PostgreSQL's serialization
    /// failure or deadlock): the whole transaction may be tried again.
    pub fn is_retryable(&self) -> bool {
        match self {
            SqlError::Postgres(e) => e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                    || *c == postgres::error::SqlState::UNIQUE_VIOLATION
            }),
            SqlError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::DatabaseBusy
            }
            _ => false,
        }
    }
}

/// `Option` from a query that may find nothing, as rusqlite's extension of the same name.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(SqlError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value as stored: SQLite's five storage classes, which PostgreSQL's columns map onto.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    fn describe(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Integer(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
        }
    }
}

/// A Rust value that can be a statement's parameter.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                // wider than i64 only for u64/usize beyond i64::MAX, which no record holds
                Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_to_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue + ?Sized> ToValue for Box<T> {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

/// A statement's parameters: `[]`, `[a]`, `params![a, b]` or a `Vec<Value>`.
pub trait Params {
    fn into_values(self) -> Vec<Value>;
}

impl Params for [&dyn ToValue; 0] {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for &[&dyn ToValue] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
impl Params for Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self
    }
}
impl Params for &[Value] {
    fn into_values(self) -> Vec<Value> {
        self.to_vec()
    }
}
macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn into_values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
        impl<T: ToValue> Params for &[T; $n] {
            fn into_values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);

/// `params![a, b, …]`: parameters of different types, as rusqlite's macro of the same name.
#[macro_export]
macro_rules! sql_params {
    () => {
        &[] as &[&dyn $crate::db::sql::ToValue]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::sql::ToValue),+] as &[&dyn $crate::db::sql::ToValue]
    };
}
pub use crate::sql_params as params;

/// A Rust type a column can be read as.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> std::result::Result<Self, String>;
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> std::result::Result<Self, String> {
                match v {
                    Value::Integer(i) => <$t>::try_from(*i)
                        .map_err(|_| format!("{i} does not fit {}", stringify!($t))),
                    other => Err(format!("{} where an integer was expected", other.describe())),
                }
            }
        }
    )*};
}
int_from_value!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

impl FromValue for bool {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        i64::from_value(v).map(|i| i != 0)
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Integer(i) => Ok(*i as f64),
            other => Err(format!("{} where a number was expected", other.describe())),
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("{} where text was expected", other.describe())),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(format!("{} where a blob was expected", other.describe())),
        }
    }
}
impl FromValue for Value {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        Ok(v.clone())
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// A column position, as rusqlite's `RowIndex`.
pub trait RowIndex {
    fn index(&self) -> usize;
}
impl RowIndex for usize {
    fn index(&self) -> usize {
        *self
    }
}

/// One row of a result, read column by column.
#[derive(Debug, Clone)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub fn get<I: RowIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let index = idx.index();
        let v = self.values.get(index).ok_or_else(|| SqlError::Type {
            index,
            message: format!("the row has {} columns", self.values.len()),
        })?;
        T::from_value(v).map_err(|message| SqlError::Type { index, message })
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

enum Inner {
    SqlitePooled(r2d2::PooledConnection<r2d2_sqlite::SqliteConnectionManager>),
    Sqlite(rusqlite::Connection),
    PgPooled(Box<r2d2::PooledConnection<PgManager>>),
    Pg(Box<PgClient>),
}

/// The engine a connection talks to, borrowed.
enum Engine<'c> {
    Sqlite(&'c rusqlite::Connection),
    Pg(&'c PgClient),
}

/// A connection to the agency record, on either engine; from a pool it goes back when dropped.
pub struct Conn {
    inner: Inner,
    in_tx: std::cell::Cell<bool>,
}

impl Conn {
    pub(super) fn sqlite_pooled(
        c: r2d2::PooledConnection<r2d2_sqlite::SqliteConnectionManager>,
    ) -> Conn {
        Conn {
            inner: Inner::SqlitePooled(c),
            in_tx: std::cell::Cell::new(false),
        }
    }

    pub(super) fn pg_pooled(c: r2d2::PooledConnection<PgManager>) -> Conn {
        Conn {
            inner: Inner::PgPooled(Box::new(c)),
            in_tx: std::cell::Cell::new(false),
        }
    }

    /// A connection of its own to a SQLite file (tools and tests).
    pub fn from_sqlite(c: rusqlite::Connection) -> Conn {
        Conn {
            inner: Inner::Sqlite(c),
            in_tx: std::cell::Cell::new(false),
        }
    }

    /// A connection of its own to a PostgreSQL database (tools and tests).
    pub fn connect_postgres(url: &str) -> Result<Conn> {
        Ok(Conn {
            inner: Inner::Pg(Box::new(PgClient::connect(url)?)),
            in_tx: std::cell::Cell::new(false),
        })
    }

    /// The engine underneath, whichever way the connection was had.
    fn engine(&self) -> Engine<'_> {
        match &self.inner {
            Inner::SqlitePooled(c) => Engine::Sqlite(c),
            Inner::Sqlite(c) => Engine::Sqlite(c),
            Inner::PgPooled(c) => Engine::Pg(c),
            Inner::Pg(c) => Engine::Pg(c),
        }
    }

    fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self.engine() {
            Engine::Sqlite(c) => Some(c),
            Engine::Pg(_) => None,
        }
    }

    fn pg(&self) -> Option<&PgClient> {
        match self.engine() {
            Engine::Pg(c) => Some(c),
            Engine::Sqlite(_) => None,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.engine() {
            Engine::Sqlite(_) => Dialect::Sqlite,
            Engine::Pg(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection underneath, for what only SQLite has (pragmas, its file).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        self.sqlite()
    }

    fn rows(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
        let c = match self.engine() {
            Engine::Pg(c) => return c.query(sql, &params, self.in_tx.get()),
            Engine::Sqlite(c) => c,
        };
        let mut stmt = c.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let values = (0..columns)
                .map(|i| r.get_ref(i).map(Value::from))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.push(Row { values });
        }
        Ok(out)
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        let params = params.into_values();
        match self.engine() {
            Engine::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))?)
            }
            Engine::Pg(c) => c.execute(sql, &params, self.in_tx.get()),
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self.engine() {
            Engine::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Engine::Pg(c) => c.batch(sql),
        }
    }

    /// The first row, mapped; [`SqlError::NoRows`] when there is none.
    pub fn query_row<T, P: Params, F: FnOnce(&Row) -> Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> Result<T> {
        let rows = self.rows(sql, params.into_values())?;
        f(rows.first().ok_or(SqlError::NoRows)?)
    }

    /// Every row, mapped.
    pub fn query_map<T, P: Params, F: FnMut(&Row) -> Result<T>>(
        &self,
        sql: &str,
        params: P,
        mut f: F,
    ) -> Result<Vec<T>> {
        self.rows(sql, params.into_values())?
            .iter()
            .map(&mut f)
            .collect()
    }

    /// A statement to run (once or many times).
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt {
            conn: self,
            sql: sql.to_string(),
        })
    }

    /// The same as [`Conn::prepare`]: both engines cache every statement per connection.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        self.prepare(sql)
    }

    /// Begins a transaction: committed by [`Tx::commit`], rolled back when dropped.
    pub fn transaction(&mut self) -> Result<Tx<'_>> {
        self.unchecked_transaction()
    }

    /// A transaction on a shared connection (the caller makes sure none is open on it).
    pub fn unchecked_transaction(&self) -> Result<Tx<'_>> {
        self.execute_batch("BEGIN")?;
        self.in_tx.set(true);
        Ok(Tx {
            conn: self,
            done: false,
        })
    }

    /// Takes `key`'s lock until the transaction ends if no other session holds it (PostgreSQL;
    /// `true` on SQLite, whose one writer is the only claimant).
    pub fn try_lock(&self, key: &str) -> Result<bool> {
        if self.pg().is_some() && self.in_tx.get() {
            return self.query_row(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(?1, 0))",
                [key],
                |r| r.get(0),
            );
        }
        Ok(true)
    }

    /// Whether a transaction is open on this connection.
    pub fn in_transaction(&self) -> bool {
        self.in_tx.get()
    }

    /// Takes `key`'s lock until the transaction ends, so writers of the same thing on several
    /// server instances take turns (PostgreSQL); SQLite's single writer already does.
    pub fn lock(&self, key: &str) -> Result<()> {
        if self.pg().is_some() && self.in_tx.get() {
            self.query_row(
                "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
                [key],
                |_| Ok(()),
            )?;
        }
        Ok(())
    }
}

impl From<rusqlite::types::ValueRef<'_>> for Value {
    fn from(v: rusqlite::types::ValueRef<'_>) -> Self {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A prepared statement, as rusqlite's.
pub struct Stmt<'c> {
    conn: &'c Conn,
    sql: String,
}

impl Stmt<'_> {
    pub fn query_map<T, P: Params, F: FnMut(&Row) -> Result<T>>(
        &mut self,
        params: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.conn.rows(&self.sql, params.into_values())?;
        Ok(rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }

    pub fn query_row<T, P: Params, F: FnOnce(&Row) -> Result<T>>(
        &mut self,
        params: P,
        f: F,
    ) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        Ok(!self.conn.rows(&self.sql, params.into_values())?.is_empty())
    }
}

/// A transaction; dereferences to its connection.
pub struct Tx<'c> {
    conn: &'c Conn,
    done: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.in_tx.set(false);
        self.conn.execute_batch("COMMIT")
    }

    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.conn.in_tx.set(false);
        self.conn.execute_batch("ROLLBACK")
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.conn.in_tx.set(false);
            // a failed rollback leaves a broken connection, which the pool then drops
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_reads_and_writes_through_one_interface() -> Result<()> {
        let mut conn = Conn::from_sqlite(rusqlite::Connection::open_in_memory()?);
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT, c BLOB, d REAL)")?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
            params![7i64, "seven", vec![7u8], 0.5],
        )?;
        tx.commit()?;
        {
            let tx = conn.transaction()?;
            tx.execute("INSERT INTO t (a) VALUES (8)", [])?;
            // dropped: rolled back
        }
        let (a, b, c, d): (i64, String, Vec<u8>, f64) =
            conn.query_row("SELECT a, b, c, d FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
        assert_eq!((a, b.as_str(), c, d), (7, "seven", vec![7u8], 0.5));
        assert_eq!(
            conn.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))?,
            1
        );
        let none = conn
            .query_row("SELECT a FROM t WHERE a = ?1", [9], |r| r.get::<_, i64>(0))
            .optional()?;
        assert_eq!(none, None);
        Ok(())
    }
}
