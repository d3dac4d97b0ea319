//! The supervisor's desk in the record: the audit log, letter templates and letters, the
//! outbox with its attempts, and assignments. Every table is append-only (migration 0010).

use super::sql::{params, Conn, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use super::{now, Caller, Result};

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub user_id: String,
    pub user_name: String,
    pub role: String,
    pub via: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Records a change in the audit log: call it inside the change's own transaction.
pub fn audit(
    conn: &Conn,
    caller: &Caller,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (agency_id, at, user_id, user_name, role, via, action, subject, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        caller.agency_id,
        now(),
        caller.user_id.as_str(),
        caller.user_name,
        caller.role.as_str(),
        caller.via.describe(),
        action,
        subject,
        detail
    ])?;
    Ok(())
}

/// What the audit log page filters on (each `None`: any).
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub action: Option<String>,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The agency's audit log, newest first, `limit` lines from `offset`.
pub fn audit_log(
    conn: &Conn,
    agency: &str,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditEntry>> {
    let like = |v: &Option<String>| {
        v.as_ref()
            .map(|s| format!("%{}%", s.replace(['%', '_'], "")))
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, user_id, user_name, role, via, action, subject, detail FROM audit_log
         WHERE agency_id = ?1
           AND (?2 IS NULL OR user_name LIKE ?2 OR user_id = ?7)
           AND (?3 IS NULL OR action LIKE ?3)
           AND (?4 IS NULL OR subject LIKE ?4 OR detail LIKE ?4)
           AND (?5 IS NULL OR at >= ?5)
           AND (?6 IS NULL OR at < ?6)
         ORDER BY id DESC LIMIT ?8 OFFSET ?9",
    )?;
    let rows = stmt.query_map(
        params![
            agency,
            like(&f.user),
            like(&f.action),
            like(&f.subject),
            f.from,
            f.to,
            f.user,
            limit,
            offset
        ],
        |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                user_id: r.get(2)?,
                user_name: r.get(3)?,
                role: r.get(4)?,
                via: r.get(5)?,
                action: r.get(6)?,
                subject: r.get(7)?,
                detail: r.get(8)?,
            })
        },
    )?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

/// A letter template's version.
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub kind: String,
    pub version: i64,
    pub subject: String,
    pub body: String,
    pub created_by: String,
    pub created_at: String,
}

/// The latest version of the agency's template for an action kind, if it saved one.
pub fn template(conn: &Conn, agency: &str, kind: &str) -> Result<Option<Template>> {
    Ok(conn
        .query_row(
            "SELECT kind, version, subject, body, created_by, created_at FROM letter_templates
             WHERE agency_id = ?1 AND kind = ?2 ORDER BY version DESC LIMIT 1",
            params![agency, kind],
            |r| {
                Ok(Template {
                    kind: r.get(0)?,
                    version: r.get(1)?,
                    subject: r.get(2)?,
                    body: r.get(3)?,
                    created_by: r.get(4)?,
                    created_at: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Saves a new version of a template; answers its version number.
pub fn add_template(
    conn: &Conn,
    agency: &str,
    kind: &str,
    subject: &str,
    body: &str,
    by: &str,
) -> Result<i64> {
    let version: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM letter_templates WHERE agency_id = ?1 AND kind = ?2",
        params![agency, kind],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO letter_templates (agency_id, kind, version, subject, body, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![agency, kind, version, subject, body, by, now()],
    )?;
    Ok(version)
}

/// A letter with its approval, if it has one.
#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    pub id: String,
    pub action_id: String,
    pub template_version: i64,
    pub recipient: Option<String>,
    pub subject: String,
    pub body: String,
    pub drafted_by: String,
    pub drafted_at: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub dated_on: Option<String>,
}

pub struct NewLetter<'a> {
    pub action_id: &'a str,
    pub template_version: i64,
    pub recipient: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    pub by: &'a str,
}

pub fn add_letter(conn: &Conn, agency: &str, l: &NewLetter<'_>) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO letters (id, agency_id, action_id, template_version, recipient, subject, body, drafted_by, drafted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![id, agency, l.action_id, l.template_version, l.recipient, l.subject, l.body, l.by, now()],
    )?;
    Ok(id)
}

const LETTER_COLUMNS: &str =
    "l.id, l.action_id, l.template_version, l.recipient, l.subject, l.body,
    (SELECT name FROM users WHERE id = l.drafted_by), l.drafted_at,
    (SELECT name FROM users WHERE id = a.approved_by), a.approved_at, a.dated_on";

fn letter_row(r: &super::sql::Row) -> super::sql::Result<Letter> {
    Ok(Letter {
        id: r.get(0)?,
        action_id: r.get(1)?,
        template_version: r.get(2)?,
        recipient: r.get(3)?,
        subject: r.get(4)?,
        body: r.get(5)?,
        drafted_by: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        drafted_at: r.get(7)?,
        approved_by: r.get(8)?,
        approved_at: r.get(9)?,
        dated_on: r.get(10)?,
    })
}

/// A letter of the agency.
pub fn letter(conn: &Conn, agency: &str, id: &str) -> Result<Option<Letter>> {
    Ok(conn
        .query_row(
            &format!("SELECT {LETTER_COLUMNS} FROM letters l LEFT JOIN letter_approvals a ON a.letter_id = l.id WHERE l.agency_id = ?1 AND l.id = ?2"),
            params![agency, id],
            letter_row,
        )
        .optional()?)
}

/// The letters of an action, oldest first.
pub fn letters_of(conn: &Conn, agency: &str, action: &str) -> Result<Vec<Letter>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LETTER_COLUMNS} FROM letters l LEFT JOIN letter_approvals a ON a.letter_id = l.id
         WHERE l.agency_id = ?1 AND l.action_id = ?2 ORDER BY l.drafted_at, l.id"
    ))?;
    let rows = stmt.query_map(params![agency, action], letter_row)?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

/// Approves a letter with its PDF as approved (refused by the key if already approved).
pub fn approve_letter(
    conn: &Conn,
    letter: &str,
    by: &str,
    dated_on: &str,
    pdf: &[u8],
) -> Result<()> {
    conn.execute(
        "INSERT INTO letter_approvals (letter_id, approved_by, approved_at, dated_on, pdf) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![letter, by, now(), dated_on, pdf],
    )?;
    Ok(())
}

/// The approved PDF of a letter of the agency.
pub fn letter_pdf(conn: &Conn, agency: &str, letter: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT a.pdf FROM letter_approvals a JOIN letters l ON l.id = a.letter_id
             WHERE l.agency_id = ?1 AND l.id = ?2",
            params![agency, letter],
            |r| r.get(0),
        )
        .optional()?)
}

/// An enforcement action as the desk shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRow {
    pub id: String,
    pub subject_id: String,
    pub subject_name: String,
    pub kind: String,
    pub issued_on: String,
    pub due_on: Option<String>,
    pub cause: String,
    pub issued_by: String,
    pub completed_on: Option<String>,
}

const ACTION_COLUMNS: &str =
    "a.id, a.subject_id, COALESCE(f.name, a.subject_id), a.kind, a.issued_on, a.due_on, a.cause,
    COALESCE((SELECT name FROM users WHERE id = a.issued_by), a.issued_by),
    (SELECT MIN(on_date) FROM action_events e WHERE e.action_id = a.id AND e.event = 'completed')";

fn action_row(r: &super::sql::Row) -> super::sql::Result<ActionRow> {
    Ok(ActionRow {
        id: r.get(0)?,
        subject_id: r.get(1)?,
        subject_name: r.get(2)?,
        kind: r.get(3)?,
        issued_on: r.get(4)?,
        due_on: r.get(5)?,
        cause: r.get(6)?,
        issued_by: r.get(7)?,
        completed_on: r.get(8)?,
    })
}

/// The agency's enforcement actions, newest first (of one subject when given).
pub fn actions(
    conn: &Conn,
    agency: &str,
    subject: Option<&str>,
    limit: i64,
) -> Result<Vec<ActionRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACTION_COLUMNS} FROM enforcement_actions a LEFT JOIN facilities f ON f.id = a.subject_id
         WHERE a.agency_id = ?1 AND (?2 IS NULL OR a.subject_id = ?2)
         ORDER BY a.created_at DESC, a.id DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![agency, subject, limit], action_row)?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

pub fn action(conn: &Conn, agency: &str, id: &str) -> Result<Option<ActionRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {ACTION_COLUMNS} FROM enforcement_actions a LEFT JOIN facilities f ON f.id = a.subject_id WHERE a.agency_id = ?1 AND a.id = ?2"),
            params![agency, id],
            action_row,
        )
        .optional()?)
}

/// An e-mail of the outbox with its last attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub id: String,
    pub agency_id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attachment_name: Option<String>,
    #[serde(skip)]
    pub attachment: Option<Vec<u8>>,
    pub about: String,
    pub created_at: String,
    pub attempts: i64,
    pub sent_at: Option<String>,
    pub last_detail: Option<String>,
    pub next_at: Option<String>,
}

pub struct NewMail<'a> {
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub attachment: Option<(&'a str, &'a [u8])>,
    pub about: &'a str,
}

/// Queues an e-mail (in the caller's transaction, so it is queued only if the change is kept).
pub fn queue_mail(conn: &Conn, agency: &str, m: &NewMail<'_>) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO outbox (id, agency_id, kind, recipient, subject, body, attachment_name, attachment, about, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![id, agency, m.kind, m.recipient, m.subject, m.body, m.attachment.map(|a| a.0), m.attachment.map(|a| a.1), m.about, now()],
    )?;
    Ok(id)
}

const MAIL_COLUMNS: &str = "o.id, o.agency_id, o.kind, o.recipient, o.subject, o.body, o.attachment_name, o.attachment, o.about, o.created_at,
    (SELECT COUNT(*) FROM outbox_attempts t WHERE t.outbox_id = o.id),
    (SELECT MIN(at) FROM outbox_attempts t WHERE t.outbox_id = o.id AND t.sent = 1),
    (SELECT detail FROM outbox_attempts t WHERE t.outbox_id = o.id ORDER BY at DESC, rowid DESC LIMIT 1),
    (SELECT next_at FROM outbox_attempts t WHERE t.outbox_id = o.id ORDER BY at DESC, rowid DESC LIMIT 1)";

fn mail_row(r: &super::sql::Row) -> super::sql::Result<Mail> {
    Ok(Mail {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        kind: r.get(2)?,
        recipient: r.get(3)?,
        subject: r.get(4)?,
        body: r.get(5)?,
        attachment_name: r.get(6)?,
        attachment: r.get(7)?,
        about: r.get(8)?,
        created_at: r.get(9)?,
        attempts: r.get(10)?,
        sent_at: r.get(11)?,
        last_detail: r.get(12)?,
        next_at: r.get(13)?,
    })
}

/// The agency's outbox, newest first.
pub fn outbox(conn: &Conn, agency: &str, limit: i64) -> Result<Vec<Mail>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MAIL_COLUMNS} FROM outbox o WHERE o.agency_id = ?1 ORDER BY o.created_at DESC, o.id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![agency, limit], mail_row)?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

/// E-mails of every agency not yet sent whose next attempt is due at `now` (RFC 3339), oldest
/// first.
pub fn mail_due(conn: &Conn, now: &str, limit: i64) -> Result<Vec<Mail>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MAIL_COLUMNS} FROM outbox o
         WHERE NOT EXISTS (SELECT 1 FROM outbox_attempts t WHERE t.outbox_id = o.id AND (t.sent = 1 OR t.next_at IS NULL))
           AND COALESCE((SELECT next_at FROM outbox_attempts t WHERE t.outbox_id = o.id ORDER BY at DESC, rowid DESC LIMIT 1), '') <= ?1
         ORDER BY o.created_at, o.id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![now, limit], mail_row)?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

/// How many attempts an e-mail has had.
pub fn mail_attempts(conn: &Conn, id: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM outbox_attempts WHERE outbox_id = ?1",
        [id],
        |r| r.get(0),
    )?)
}

/// Records an attempt to send: sent, or failed with the next try (none: given up).
pub fn mail_attempt(
    conn: &Conn,
    mail: &str,
    sent: bool,
    detail: &str,
    next_at: Option<&str>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO outbox_attempts (outbox_id, at, sent, detail, next_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![mail, now(), sent, detail, next_at],
    )?;
    Ok(())
}

/// Every agency's id.
pub fn agency_ids(conn: &Conn) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM agencies ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

/// Whether an e-mail about `about` was queued already (a day's digest is queued once).
pub fn mail_queued(conn: &Conn, agency: &str, about: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM outbox WHERE agency_id = ?1 AND about = ?2 LIMIT 1",
            params![agency, about],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A facility's assignment.
#[derive(Debug, Clone, Serialize)]
pub struct Assignment {
    pub facility_id: String,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub assigned_by: String,
    pub assigned_at: String,
    pub reason: String,
}

/// The last day the agency's digest was made (queued, or found with nothing to say).
pub fn digest_day(conn: &Conn, agency: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [format!("digest_day:{agency}")],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn set_digest_day(conn: &Conn, agency: &str, day: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![format!("digest_day:{agency}"), day],
    )?;
    Ok(())
}

/// A facility's assignments, newest first.
pub fn assignment_history(conn: &Conn, agency: &str, facility: &str) -> Result<Vec<Assignment>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.facility_id, a.user_id, u.name, COALESCE(b.name, a.assigned_by), a.assigned_at, a.reason
         FROM assignments a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN users b ON b.id = a.assigned_by
         WHERE a.agency_id = ?1 AND a.facility_id = ?2 ORDER BY a.id DESC",
    )?;
    let rows = stmt.query_map(params![agency, facility], |r| {
        Ok(Assignment {
            facility_id: r.get(0)?,
            user_id: r.get(1)?,
            user_name: r.get(2)?,
            assigned_by: r.get(3)?,
            assigned_at: r.get(4)?,
            reason: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

pub fn assign(
    conn: &Conn,
    agency: &str,
    facility: &str,
    user: Option<&str>,
    by: &str,
    reason: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO assignments (agency_id, facility_id, user_id, assigned_by, assigned_at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![agency, facility, user, by, now(), reason],
    )?;
    Ok(())
}

/// A user of the agency for the desk's pickers: `(id, name, role, e-mail)`.
pub type UserRow = (String, String, String, Option<String>);

/// The agency's active users for the desk's pickers.
pub fn users(conn: &Conn, agency: &str) -> Result<Vec<UserRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, role, email FROM users WHERE agency_id = ?1 AND active = 1 ORDER BY name",
    )?;
    let rows = stmt.query_map(params![agency], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

pub fn set_user_email(conn: &Conn, agency: &str, user: &str, email: Option<&str>) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE users SET email = ?3 WHERE agency_id = ?1 AND id = ?2",
        params![agency, user, email],
    )?)
}
