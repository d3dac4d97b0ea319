//! PostgreSQL's side of the storage interface: its sessions (r2d2-pooled, each with its
//! prepared statements), the dialect translation of a statement, and the conversion of values
//! to and from PostgreSQL's types.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::BytesMut;
use postgres_types::{FromSql, IsNull, ToSql, Type};

use super::{Result, Row, SqlError, Value};

/// The parameter PostgreSQL could not type ("could not determine data type of parameter $N").
pub(super) fn untyped_parameter(e: &postgres::Error) -> Option<usize> {
    let db = e.as_db_error()?;
    use postgres::error::SqlState;
    if *db.code() != SqlState::AMBIGUOUS_PARAMETER && *db.code() != SqlState::INDETERMINATE_DATATYPE
    {
        return None;
    }
    db.message().rsplit('$').next()?.trim().parse().ok()
}

/// PostgreSQL's own message (with its detail), which `postgres::Error` shows only as "db error".
pub(super) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                m.push_str(": ");
                m.push_str(d);
            }
            m
        }
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// A PostgreSQL session, with its prepared statements (the same statement is parsed once per
/// connection, as SQLite's statement cache does).
pub struct PgClient {
    /// `None` only while dropped (see `Drop`)
    client: RefCell<Option<postgres::Client>>,
    prepared: RefCell<HashMap<String, postgres::Statement>>,
}

impl PgClient {
    pub fn connect(url: &str) -> Result<PgClient> {
        let client = postgres::Client::connect(url, postgres::NoTls)?;
        Ok(PgClient {
            client: RefCell::new(Some(client)),
            prepared: RefCell::new(HashMap::new()),
        })
    }

    fn client(&self) -> Result<std::cell::RefMut<'_, postgres::Client>> {
        std::cell::RefMut::filter_map(self.client.borrow_mut(), Option::as_mut)
            .map_err(|_| SqlError::Closed)
    }

    fn statement(&self, sql: &str, in_tx: bool) -> Result<postgres::Statement> {
        if let Some(s) = self.prepared.borrow().get(sql) {
            return Ok(s.clone());
        }
        let translated = to_postgres(sql);
        // A parameter only tested for NULL (`?2 IS NULL OR x = ?2` types it from `x`, but
        // PostgreSQL types it at its first use) is given TEXT, what SQLite would compare it as.
        // A failed prepare aborts an open transaction: inside one, each try is a savepoint.
        let mut types: Vec<Type> = Vec::new();
        let stmt = loop {
            if in_tx {
                self.batch("SAVEPOINT milkshed_prepare")?;
            }
            let tried = self.client()?.prepare_typed(&translated, &types);
            if in_tx {
                self.batch(match tried {
                    Ok(_) => "RELEASE SAVEPOINT milkshed_prepare",
                    Err(_) => "ROLLBACK TO SAVEPOINT milkshed_prepare",
                })?;
            }
            match tried {
                Ok(stmt) => break stmt,
                Err(source) => match untyped_parameter(&source) {
                    Some(n) if n <= 100 && types.get(n - 1).is_none_or(|t| *t != Type::TEXT) => {
                        if types.len() < n {
                            types.resize(n, Type::UNKNOWN);
                        }
                        types[n - 1] = Type::TEXT;
                    }
                    _ => {
                        return Err(SqlError::Prepare {
                            sql: translated.clone(),
                            source,
                        })
                    }
                },
            }
        };
        self.prepared
            .borrow_mut()
            .insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    pub(super) fn query(&self, sql: &str, params: &[Value], in_tx: bool) -> Result<Vec<Row>> {
        let stmt = self.statement(sql, in_tx)?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.client()?.query(&stmt, &refs)?;
        rows.iter()
            .map(|r| {
                let values = (0..r.len())
                    .map(|i| r.try_get::<_, Value>(i))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Ok(Row { values })
            })
            .collect()
    }

    pub(super) fn execute(&self, sql: &str, params: &[Value], in_tx: bool) -> Result<usize> {
        let stmt = self.statement(sql, in_tx)?;
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let n = self.client()?.execute(&stmt, &refs)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(super) fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.client()?.batch_execute(sql)?)
    }

    fn is_closed(&self) -> bool {
        self.client
            .borrow()
            .as_ref()
            .is_none_or(postgres::Client::is_closed)
    }
}

impl Drop for PgClient {
    fn drop(&mut self) {
        // The synchronous client owns a small runtime of its own, which may not be dropped
        // on a thread that runs async code (a pool dropped with the server's state): drop it
        // on a thread of its own then.
        if let Some(client) = self.client.get_mut().take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::Builder::new()
                    .name("milkshed-pg-close".into())
                    .spawn(move || drop(client));
            }
        }
    }
}

/// r2d2's manager of PostgreSQL sessions.
#[derive(Debug, Clone)]
pub struct PgManager {
    url: String,
}

impl PgManager {
    pub fn new(url: &str) -> PgManager {
        PgManager {
            url: url.to_string(),
        }
    }
}

impl r2d2::ManageConnection for PgManager {
    type Connection = PgClient;
    type Error = SqlError;

    fn connect(&self) -> Result<PgClient> {
        PgClient::connect(&self.url)
    }

    fn is_valid(&self, conn: &mut PgClient) -> Result<()> {
        conn.batch("")
    }

    fn has_broken(&self, conn: &mut PgClient) -> bool {
        conn.is_closed()
    }
}

/// A statement in PostgreSQL's dialect: `?N` and `?` parameters as `$N` (outside quoted
/// text), SQLite's `json_each(?N)` (a JSON array as rows of `value`) as
/// `json_array_elements_text`, and `LIKE` as `ILIKE`.
pub fn to_postgres(sql: &str) -> String {
    // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE is its match
    let sql = numbered(sql).replace(" LIKE ", " ILIKE ");
    let mut out = String::with_capacity(sql.len() + 32);
    let mut rest = sql.as_str();
    while let Some(i) = rest.find("json_each($") {
        out.push_str(&rest[..i]);
        rest = &rest[i + "json_each($".len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        out.push_str("json_array_elements_text(CAST($");
        out.push_str(&rest[..digits]);
        out.push_str(" AS json)");
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut next = 0u32;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                if digits.is_empty() {
                    next += 1;
                    digits = next.to_string();
                }
                out.push('$');
                out.push_str(&digits);
            }
            None => out.push(c),
        }
    }
    out
}

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                _ if is_text(ty) => i.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("an integer for a {ty} parameter").into()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ if is_text(ty) => f.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("a real for a {ty} parameter").into()),
            },
            Value::Text(s) => match *ty {
                Type::BYTEA => s.as_bytes().to_sql(ty, out),
                Type::JSON => {
                    out.extend_from_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.parse::<i32>()?.to_sql(ty, out),
                Type::FLOAT8 => s.parse::<f64>()?.to_sql(ty, out),
                _ if is_text(ty) => s.as_str().to_sql(ty, out),
                _ => Err(format!("text for a {ty} parameter").into()),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => b.as_slice().to_sql(ty, out),
                _ => Err(format!("a blob for a {ty} parameter").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres_types::to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::OID => Value::Integer(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::VOID => Value::Null,
            _ if is_text(ty) => Value::Text(<&str>::from_sql(ty, raw)?.to_string()),
            _ => return Err(format!("a {ty} column is not read by Milkshed").into()),
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// PostgreSQL's binary `NUMERIC` (what `SUM` of integers gives): an integer when it has no
/// fraction and fits, else a real.
fn numeric(raw: &[u8]) -> std::result::Result<Value, BoxError> {
    let word = |i: usize| -> std::result::Result<i32, BoxError> {
        let b = raw.get(i * 2..i * 2 + 2).ok_or("short NUMERIC")?;
        Ok(i32::from(i16::from_be_bytes([b[0], b[1]])))
    };
    let ndigits = usize::try_from(word(0)?).map_err(|_| "bad NUMERIC")?;
    let weight = word(1)?;
    let sign = word(2)? as u16;
    let dscale = word(3)?;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut int: Option<i128> = Some(0);
    let mut real = 0f64;
    for i in 0..ndigits {
        let d = word(4 + i)?;
        let power = weight - i32::try_from(i).map_err(|_| "bad NUMERIC")?;
        real += f64::from(d) * 10000f64.powi(power);
        int = match (int, power >= 0) {
            (Some(acc), true) => u32::try_from(power)
                .ok()
                .and_then(|p| 10000i128.checked_pow(p))
                .and_then(|m| acc.checked_add(i128::from(d) * m)),
            (_, false) if d != 0 => None,
            (acc, _) => acc,
        };
    }
    let negative = sign == 0x4000;
    match int.and_then(|i| i64::try_from(i).ok()) {
        Some(i) if dscale == 0 || real.fract() == 0.0 => {
            Ok(Value::Integer(if negative { -i } else { i }))
        }
        _ => Ok(Value::Real(if negative { -real } else { real })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_for_postgres_outside_quotes() {
        assert_eq!(
            to_postgres("SELECT '?1', a FROM t WHERE b = ?2 AND c = ?12 AND d = \"?\""),
            "SELECT '?1', a FROM t WHERE b = $2 AND c = $12 AND d = \"?\""
        );
        assert_eq!(to_postgres("VALUES (?, ?)"), "VALUES ($1, $2)");
        assert_eq!(
            to_postgres("WHERE k IN (SELECT value FROM json_each(?2))"),
            "WHERE k IN (SELECT value FROM json_array_elements_text(CAST($2 AS json)))"
        );
    }

    #[test]
    fn numeric_sums_read_as_integers() {
        // 12345678 = 1234·10000 + 5678, weight 1
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert_eq!(numeric(&raw).ok(), Some(Value::Integer(12_345_678)));
        // -2.5 = -(2 + 5000/10000), weight 0, scale 1
        let raw = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert_eq!(numeric(&raw).ok(), Some(Value::Real(-2.5)));
    }
}
