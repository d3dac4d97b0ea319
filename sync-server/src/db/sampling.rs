//! The sampling surveillance records in SQLite: evaluators' SSO certificates, comparison
//! evaluations toward a delegation, and the delegations they earned. Append-only (the
//! migration's triggers refuse UPDATE and DELETE).

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use super::{now, DbError, Result};

fn date(s: &str) -> Result<NaiveDate> {
    s.parse()
        .map_err(|e: chrono::ParseError| DbError::Damaged(format!("date {s}: {e}")))
}

/// A user of the agency, with their role (`None`: not one of the agency's).
pub fn user_role(conn: &Connection, agency: &str, user: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT role FROM users WHERE agency_id = ?1 AND id = ?2",
            params![agency, user],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn add_sso_certificate(
    conn: &Connection,
    agency: &str,
    user: &str,
    certified_on: NaiveDate,
    by: &str,
) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO sso_certificates (id, agency_id, user_id, certified_on, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, agency, user, certified_on.to_string(), by, now()],
    )?;
    Ok(id)
}

/// The user's latest SSO certificate (the day it was issued).
pub fn latest_sso_certificate(conn: &Connection, user: &str) -> Result<Option<NaiveDate>> {
    let d: Option<String> = conn
        .query_row(
            "SELECT max(certified_on) FROM sso_certificates WHERE user_id = ?1",
            [user],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    d.as_deref().map(date).transpose()
}

/// A comparison evaluation as recorded.
pub struct NewComparison<'a> {
    pub user: &'a str,
    pub sso_user: &'a str,
    pub sampler_kind: &'a str,
    pub sampler_id: &'a str,
    pub evaluated_on: NaiveDate,
    pub routine_pickup: bool,
    pub sso_marks: &'a str,
    pub candidate_marks: &'a str,
    pub by: &'a str,
}

pub fn add_comparison(conn: &Connection, agency: &str, c: &NewComparison<'_>) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO comparison_evaluations (id, agency_id, user_id, sso_user_id, sampler_kind, sampler_id, evaluated_on, routine_pickup, sso_marks, candidate_marks, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            id,
            agency,
            c.user,
            c.sso_user,
            c.sampler_kind,
            c.sampler_id,
            c.evaluated_on.to_string(),
            c.routine_pickup,
            c.sso_marks,
            c.candidate_marks,
            c.by,
            now()
        ],
    )?;
    Ok(id)
}

/// A stored comparison: `(sampler kind, day, routine pick-up, SSO's marks, candidate's marks)`
/// (marks as the JSON they were recorded in).
pub type ComparisonRow = (String, NaiveDate, bool, String, String);

/// The user's comparison evaluations after `after` (all when `None`), oldest first.
pub fn comparisons_after(
    conn: &Connection,
    user: &str,
    after: Option<NaiveDate>,
) -> Result<Vec<ComparisonRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sampler_kind, evaluated_on, routine_pickup, sso_marks, candidate_marks FROM comparison_evaluations
         WHERE user_id = ?1 AND (?2 IS NULL OR evaluated_on > ?2) ORDER BY evaluated_on, id",
    )?;
    let rows: Vec<(String, String, bool, String, String)> = stmt
        .query_map(params![user, after.map(|d| d.to_string())], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(k, d, rp, s, c)| Ok((k, date(&d)?, rp, s, c)))
        .collect()
}

pub fn add_delegation(
    conn: &Connection,
    agency: &str,
    user: &str,
    granted_on: NaiveDate,
    valid_until: NaiveDate,
    redelegation: bool,
    by: &str,
) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO delegations (id, agency_id, user_id, granted_on, valid_until, redelegation, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, agency, user, granted_on.to_string(), valid_until.to_string(), redelegation, by, now()],
    )?;
    Ok(id)
}

/// The user's latest delegation `(granted on, valid until)`.
pub fn latest_delegation(conn: &Connection, user: &str) -> Result<Option<(NaiveDate, NaiveDate)>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT granted_on, valid_until FROM delegations WHERE user_id = ?1 ORDER BY granted_on DESC, id DESC LIMIT 1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(g, v)| Ok((date(&g)?, date(&v)?))).transpose()
}

/// Every evaluator of the agency with a certificate or a delegation: user ids.
pub fn evaluators(conn: &Connection, agency: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT user_id FROM sso_certificates WHERE agency_id = ?1
         UNION SELECT user_id FROM delegations WHERE agency_id = ?1 ORDER BY 1",
    )?;
    let rows = stmt.query_map([agency], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
