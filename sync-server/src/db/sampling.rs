//! The sampling surveillance records in SQLite: evaluators' SSO certificates, comparison
//! evaluations toward a delegation, and the delegations they earned. Append-only (the
//! migration's triggers refuse UPDATE and DELETE).

use super::sql::{params, Conn, OptionalExtension};
use chrono::NaiveDate;
use uuid::Uuid;

use super::{now, DbError, Result};

fn date(s: &str) -> Result<NaiveDate> {
    s.parse()
        .map_err(|e: chrono::ParseError| DbError::Damaged(format!("date {s}: {e}")))
}

/// A user of the agency, with their role (`None`: not one of the agency's).
pub fn user_role(conn: &Conn, agency: &str, user: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT role FROM users WHERE agency_id = ?1 AND id = ?2",
            params![agency, user],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn add_sso_certificate(
    conn: &Conn,
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
pub fn latest_sso_certificate(conn: &Conn, user: &str) -> Result<Option<NaiveDate>> {
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

pub fn add_comparison(conn: &Conn, agency: &str, c: &NewComparison<'_>) -> Result<String> {
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
    conn: &Conn,
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
    conn: &Conn,
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
pub fn latest_delegation(conn: &Conn, user: &str) -> Result<Option<(NaiveDate, NaiveDate)>> {
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
pub fn evaluators(conn: &Conn, agency: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT user_id FROM sso_certificates WHERE agency_id = ?1
         UNION SELECT user_id FROM delegations WHERE agency_id = ?1 ORDER BY 1",
    )?;
    let rows = stmt.query_map([agency], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One hauler/sampler evaluation on file, with its pick-up record.
#[derive(Debug, Clone)]
pub struct EvaluationRow {
    pub inspection_id: String,
    pub sampler_id: String,
    pub sampler_name: String,
    pub permit: Option<String>,
    /// RFC 3339 with the device's offset: its first ten characters are the local day.
    pub started_at: String,
    pub status: String,
    pub inspector_id: String,
    pub inspector_name: String,
    pub producer: String,
    pub tank_truck: String,
    pub permit_state: String,
    pub milk_temperature_f: String,
    pub sample_id: String,
    pub outcome: Option<String>,
    pub reevaluate_by: Option<String>,
    /// The items marked out of compliance.
    pub deviations: Vec<String>,
}

/// The agency's hauler/sampler evaluations on file (sent in, accepted or returned for
/// amendment, as `registry::last_inspections` counts them; never drafts), of one sampler or all, on local days `from..=to` when given,
/// oldest first.
pub fn evaluations(
    conn: &Conn,
    agency: &str,
    sampler: Option<&str>,
    days: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<EvaluationRow>> {
    let (from, to) = match days {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => ("0000-01-01".to_string(), "9999-12-31".to_string()),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.subject_id, i.subject_name, i.permit, i.started_at, i.status, i.inspector_id, i.inspector_name,
                COALESCE(p.producer, ''), COALESCE(p.tank_truck, ''), COALESCE(p.permit_state, ''),
                COALESCE(p.milk_temperature_f, ''), COALESCE(p.sample_id, ''), p.outcome, i.reevaluate_by,
                (SELECT string_agg(f.item, ',') FROM findings f WHERE f.inspection_id = i.id AND f.state = 'violated')
         FROM inspections i LEFT JOIN evaluation_pickups p ON p.inspection_id = i.id
         WHERE i.agency_id = ?1 AND i.kind = 'hauler_sampler'
           AND i.status IN ('submitted', 'accepted', 'returned')
           AND (?2 IS NULL OR i.subject_id = ?2)
           AND substr(i.started_at, 1, 10) BETWEEN ?3 AND ?4
         ORDER BY i.started_at, i.id",
    )?;
    let rows = stmt.query_map(params![agency, sampler, from, to], |r| {
        Ok(EvaluationRow {
            inspection_id: r.get(0)?,
            sampler_id: r.get(1)?,
            sampler_name: r.get(2)?,
            permit: r.get(3)?,
            started_at: r.get(4)?,
            status: r.get(5)?,
            inspector_id: r.get(6)?,
            inspector_name: r.get(7)?,
            producer: r.get(8)?,
            tank_truck: r.get(9)?,
            permit_state: r.get(10)?,
            milk_temperature_f: r.get(11)?,
            sample_id: r.get(12)?,
            outcome: r.get(13)?,
            reevaluate_by: r.get(14)?,
            deviations: r
                .get::<_, Option<String>>(15)?
                .map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The days enforcement actions on a subject's permit were issued.
pub fn actions_issued(conn: &Conn, agency: &str, subject: &str) -> Result<Vec<NaiveDate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT issued_on FROM enforcement_actions WHERE agency_id = ?1 AND subject_id = ?2 ORDER BY issued_on",
    )?;
    let rows = stmt.query_map(params![agency, subject], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(date(&r?)?);
    }
    Ok(out)
}

/// The hauler/samplers the given visits identified: `(state, permit, name)`.
pub fn haulers_identified(conn: &Conn, visits: &[String]) -> Result<Vec<(String, String, String)>> {
    let ids = serde_json::to_string(visits).map_err(|e| DbError::Damaged(e.to_string()))?;
    let mut stmt = conn.prepare_cached(
        "SELECT state, permit, name FROM haulers_identified
         WHERE inspection_id IN (SELECT value FROM json_each(?1)) ORDER BY state, permit",
    )?;
    let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
