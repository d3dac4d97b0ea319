//! SQL of the review pages: sign-in sessions, and the queries over the projection that the
//! queue and the detail pages show.

use super::sql::{params, Conn, OptionalExtension};
use chrono::{DateTime, Utc};

use super::{now, Result};
use milkshed_shared::authority::Role;

/// A signed-in reviewer.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub user_id: String,
    pub user_name: String,
    pub agency_id: String,
    pub role: Role,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl WebSession {
    /// The signed-in user as the caller of a change made on the review pages.
    pub fn caller(&self) -> super::Caller {
        super::Caller {
            user_id: self.user_id.clone().into(),
            user_name: self.user_name.clone(),
            agency_id: self.agency_id.clone(),
            role: self.role,
            via: super::Via::Web,
        }
    }
}

pub fn create_session(
    conn: &Conn,
    token_hash: &str,
    user_id: &str,
    csrf: &str,
    expires_at: &DateTime<Utc>,
) -> Result<()> {
    let n = now();
    conn.execute(
        "INSERT INTO web_sessions (token_hash, user_id, csrf, created_at, expires_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
        params![token_hash, user_id, csrf, n, expires_at.to_rfc3339()],
    )?;
    // expired sessions go when anyone signs in
    conn.execute("DELETE FROM web_sessions WHERE expires_at < ?1", [n])?;
    Ok(())
}

fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The session of a token, with its (active) user.
pub fn session(conn: &Conn, token_hash: &str) -> Result<Option<WebSession>> {
    let row = conn
        .query_row(
            "SELECT u.id, u.name, u.agency_id, u.role, s.csrf, s.expires_at, s.last_seen FROM web_sessions s
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND u.active = 1",
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
                ))
            },
        )
        .optional()?;
    Ok(
        row.and_then(|(user_id, user_name, agency_id, role, csrf, exp, seen)| {
            Some(WebSession {
                user_id,
                user_name,
                agency_id,
                role: Role::parse(&role)?,
                csrf,
                expires_at: ts(&exp),
                last_seen: ts(&seen),
            })
        }),
    )
}

pub fn touch_session(conn: &Conn, token_hash: &str) -> Result<()> {
    conn.execute(
        "UPDATE web_sessions SET last_seen = ?2 WHERE token_hash = ?1",
        params![token_hash, now()],
    )?;
    Ok(())
}

pub fn end_session(conn: &Conn, token_hash: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM web_sessions WHERE token_hash = ?1",
        [token_hash],
    )?;
    Ok(())
}

/// One inspection in the queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub id: String,
    pub kind: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub subject_name: String,
    pub permit: Option<String>,
    pub inspector_id: String,
    pub inspector_name: String,
    pub status: String,
    pub integrity: String,
    pub started_at: String,
    pub violations: i64,
    pub total_debits: Option<i64>,
}

/// The queue's filters.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub inspector: Option<String>,
    pub subject: Option<String>,
    pub status: Option<String>,
    pub min_violations: Option<i64>,
    pub kind: Option<String>,
}

const QUEUE_COLUMNS: &str = "id, kind, subject_kind, subject_id, subject_name, permit, inspector_id, inspector_name, status, integrity, started_at, violations, total_debits";

fn queue_row(r: &super::sql::Row) -> super::sql::Result<QueueRow> {
    Ok(QueueRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        subject_kind: r.get(2)?,
        subject_id: r.get(3)?,
        subject_name: r.get(4)?,
        permit: r.get(5)?,
        inspector_id: r.get(6)?,
        inspector_name: r.get(7)?,
        status: r.get(8)?,
        integrity: r.get(9)?,
        started_at: r.get(10)?,
        violations: r.get(11)?,
        total_debits: r.get(12)?,
    })
}

/// Inspections of the agency, newest first, filtered; `limit` rows from `offset`.
pub fn queue(
    conn: &Conn,
    agency: &str,
    f: &QueueFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<QueueRow>> {
    let subject = f
        .subject
        .as_ref()
        .map(|s| format!("%{}%", s.replace(['%', '_'], "")));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {QUEUE_COLUMNS} FROM inspections WHERE agency_id = ?1
           AND (?2 IS NULL OR inspector_id = ?2)
           AND (?3 IS NULL OR subject_name LIKE ?3 OR subject_id = ?4)
           AND (?5 IS NULL OR status = ?5)
           AND (CAST(?6 AS BIGINT) IS NULL OR violations >= ?6)
           AND (?9 IS NULL OR kind = ?9)
         ORDER BY started_at DESC, id DESC LIMIT ?7 OFFSET ?8"
    ))?;
    let rows = stmt.query_map(
        params![
            agency,
            f.inspector,
            subject,
            f.subject,
            f.status,
            f.min_violations,
            limit,
            offset,
            f.kind,
        ],
        queue_row,
    )?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Inspections per status in the agency.
pub fn status_counts(conn: &Conn, agency: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM inspections WHERE agency_id = ?1 GROUP BY status ORDER BY status",
    )?;
    let rows = stmt.query_map([agency], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One inspection of the agency (never another agency's, whatever the id).
pub fn inspection(conn: &Conn, agency: &str, id: &str) -> Result<Option<QueueRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {QUEUE_COLUMNS} FROM inspections WHERE agency_id = ?1 AND id = ?2"),
            params![agency, id],
            queue_row,
        )
        .optional()?)
}

/// The agency's people: `(id, name, role)`.
pub fn users(conn: &Conn, agency: &str) -> Result<Vec<(String, String, String)>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, role FROM users WHERE agency_id = ?1 ORDER BY name")?;
    let rows = stmt.query_map([agency], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The agency's enrolled devices by actor: `(actor, device name, user name)`.
pub fn device_actors(conn: &Conn, agency: &str) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.actor, d.name, u.name FROM devices d JOIN users u ON u.id = d.user_id WHERE u.agency_id = ?1",
    )?;
    let rows = stmt.query_map([agency], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A subject's inspections, newest first (its history on the facility page).
pub fn inspections_of(
    conn: &Conn,
    agency: &str,
    subject: &str,
    limit: i64,
) -> Result<Vec<QueueRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {QUEUE_COLUMNS} FROM inspections WHERE agency_id = ?1 AND subject_id = ?2 ORDER BY started_at DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![agency, subject, limit], queue_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The agency's inspections whose documents hold conflicting values, newest first, with how
/// many fields conflict.
pub fn conflicted(conn: &Conn, agency: &str, limit: i64) -> Result<Vec<(QueueRow, i64)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {QUEUE_COLUMNS}, conflicts FROM inspections WHERE agency_id = ?1 AND conflicts > 0 ORDER BY updated_at DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![agency, limit], |r| Ok((queue_row(r)?, r.get(13)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A facility's inspections still open (draft, signed or returned): `(id, status, inspector)`.
pub fn open_inspections_of(
    conn: &Conn,
    agency: &str,
    subject: &str,
) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, status, inspector_name FROM inspections
         WHERE agency_id = ?1 AND subject_id = ?2 AND status IN ('draft', 'signed', 'returned')
         ORDER BY started_at",
    )?;
    let rows = stmt.query_map(params![agency, subject], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The findings of an inspection: `(item, state, points, products, note)`.
pub type FindingRow = (String, String, Option<i64>, Option<String>, String);

pub fn findings(conn: &Conn, inspection: &str) -> Result<Vec<FindingRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT item, state, points, products, note FROM findings WHERE inspection_id = ?1 ORDER BY item",
    )?;
    let rows = stmt.query_map([inspection], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Every finding of the agency's inspections for the CSV export, newest inspection first:
/// `(inspection id, started_at, subject, inspector, status, item, state, points, note)`.
pub type ExportRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
);

pub fn export_findings(conn: &Conn, agency: &str, mut each: impl FnMut(ExportRow)) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.started_at, i.subject_name, i.inspector_name, i.status, f.item, f.state, f.points, f.note
         FROM inspections i JOIN findings f ON f.inspection_id = i.id
         WHERE i.agency_id = ?1 ORDER BY i.started_at DESC, f.item",
    )?;
    let rows = stmt.query_map([agency], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
        ))
    })?;
    for row in rows {
        each(row?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        conn: &Conn,
        id: &str,
        kind: &str,
        status: &str,
        subject: &str,
        violations: i64,
        at: &str,
    ) {
        conn.execute(
            "INSERT INTO documents (id, agency_id, inspector_id, snapshot, updated_at) VALUES (?1, 'a', 'u', x'', ?2)",
            params![id, at],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO inspections (id, agency_id, kind, subject_kind, subject_id, subject_name, inspector_id, inspector_name, status, integrity, started_at, violations, updated_at)
             VALUES (?1, 'a', ?2, 'farm', ?3, ?3, 'u', 'U', ?4, 'intact', ?5, ?6, ?5)",
            params![id, kind, subject, status, at, violations],
        )
        .unwrap();
    }

    #[test]
    fn the_queue_filters_by_kind_status_subject_and_violations_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::super::open(dir.path()).unwrap();
        super::super::create_agency(&conn, "a", "A").unwrap();
        row(
            &conn,
            "1",
            "routine_farm",
            "submitted",
            "Roy Harris",
            3,
            "2026-11-20T08:00:00-06:00",
        );
        row(
            &conn,
            "2",
            "rating_visit_farm",
            "submitted",
            "Roy Harris",
            2,
            "2026-11-21T08:00:00-06:00",
        );
        row(
            &conn,
            "3",
            "routine_farm",
            "accepted",
            "Al Hart",
            0,
            "2026-11-22T08:00:00-06:00",
        );
        let ids = |f: QueueFilter| -> Vec<String> {
            queue(&conn, "a", &f, 10, 0)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids(QueueFilter::default()), ["3", "2", "1"]);
        let kind = |k: &str| QueueFilter {
            kind: Some(k.into()),
            ..Default::default()
        };
        assert_eq!(ids(kind("routine_farm")), ["3", "1"]);
        assert_eq!(
            ids(QueueFilter {
                status: Some("submitted".into()),
                ..kind("routine_farm")
            }),
            ["1"]
        );
        assert_eq!(
            ids(QueueFilter {
                subject: Some("Harris".into()),
                ..Default::default()
            }),
            ["2", "1"]
        );
        assert_eq!(
            ids(QueueFilter {
                min_violations: Some(3),
                ..Default::default()
            }),
            ["1"]
        );
        assert!(
            queue(&conn, "b", &QueueFilter::default(), 10, 0)
                .unwrap()
                .is_empty(),
            "another agency"
        );
    }
}
