//! Who did what across the agency: the audit log (filterable, exported as CSV), the outbox of
//! e-mails with each one's attempts, and the users' notification addresses.

use super::*;
use crate::db::desk::{self, AuditFilter};
use crate::http::web::WebForm;

/// Lines an audit page shows.
pub const AUDIT_ROWS: i64 = 200;

/// A query value percent-encoded (all but letters, digits and `-._~`).
fn url_encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    user: Option<String>,
    action: Option<String>,
    subject: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self) -> AuditFilter {
        let some = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        // a day bound is compared with the log's RFC 3339 times: "to" takes the whole day
        let day = |v: &Option<String>| some(v).filter(|d| d.parse::<NaiveDate>().is_ok());
        AuditFilter {
            user: some(&self.user),
            action: some(&self.action),
            subject: some(&self.subject),
            from: day(&self.from),
            to: day(&self.to)
                .and_then(|d| d.parse::<NaiveDate>().ok())
                .and_then(|d| d.succ_opt())
                .map(|d| d.to_string()),
        }
    }

    fn query_string(&self) -> String {
        let mut q = Vec::new();
        for (k, v) in [
            ("user", &self.user),
            ("action", &self.action),
            ("subject", &self.subject),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.trim().is_empty()) {
                q.push(format!("{k}={}", url_encode(v.trim())));
            }
        }
        q.join("&")
    }
}

/// `GET /review/audit`: the agency's changes, newest first.
pub async fn audit_log(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult<Html<String>> {
    let q = q.map(|q| q.0).unwrap_or_default();
    let page_no = q.page.unwrap_or(1).clamp(1, MAX_PAGE);
    run(move || {
        let conn = reader(&state)?;
        let rows = desk::audit_log(&conn, &s.agency_id, &q.filter(), AUDIT_ROWS + 1, (page_no - 1) * AUDIT_ROWS)?;
        drop(conn);
        let more = rows.len() as i64 > AUDIT_ROWS;
        let qs = q.query_string();
        let v = |x: &Option<String>| x.clone().unwrap_or_default();
        let body = html! {
            form.filters method="get" action="/review/audit" {
                label { "Who" input name="user" value=(v(&q.user)); }
                label { "Action" input name="action" value=(v(&q.action)) placeholder="e.g. permit, letter"; }
                label { "Facility or text" input name="subject" value=(v(&q.subject)); }
                label { "From" input type="date" name="from" value=(v(&q.from)); }
                label { "To" input type="date" name="to" value=(v(&q.to)); }
                button type="submit" { "Filter" }
                a href={"/review/audit.csv?" (qs)} { "Export CSV" }
            }
            table #audit {
                thead { tr { th { "When" } th { "Who" } th { "Role" } th { "Through" } th { "Action" } th { "Subject" } th { "What" } } }
                tbody { @for e in rows.iter().take(AUDIT_ROWS as usize) { tr {
                    td { (e.at.get(..19).unwrap_or(&e.at).replace('T', " ")) } td { (e.user_name) } td { (e.role.replace('_', " ")) }
                    td { (e.via) } td { code { (e.action) } } td { (e.subject) } td { (e.detail) }
                } } }
            }
            p { @if page_no > 1 { a href={"/review/audit?" (qs) "&page=" (page_no - 1)} { "← newer" } " " }
                @if more { a href={"/review/audit?" (qs) "&page=" (page_no + 1)} { "older →" } } }
        };
        Ok(page(&s, "Audit log", body))
    })
    .await
}

/// `GET /review/outbox`: the agency's e-mails, each with its attempts.
pub async fn outbox(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let mails = desk::outbox(&conn, &s.agency_id, 500)?;
        let users = desk::users(&conn, &s.agency_id)?;
        drop(conn);
        let admin = super::desk::keeps_registry(&s);
        let body = html! {
            table #outbox {
                thead { tr { th { "Queued" } th { "To" } th { "Subject" } th { "Kind" } th { "State" } th { "Attempts" } th { "Last answer" } } }
                tbody { @for m in &mails { tr {
                    td { (m.created_at.get(..16).unwrap_or(&m.created_at).replace('T', " ")) } td { (m.recipient) } td { (m.subject) } td { (m.kind.replace('_', " ")) }
                    td { @match (&m.sent_at, &m.next_at, m.attempts) {
                        (Some(at), _, _) => { span.ok { "sent " (at.get(..16).unwrap_or(at).replace('T', " ")) } }
                        (None, _, 0) => { "waiting" }
                        (None, Some(next), _) => { span.breach { "retry at " (next.get(..16).unwrap_or(next).replace('T', " ")) } }
                        (None, None, _) => { span.breach { "given up" } }
                    } }
                    td { (m.attempts) } td.muted { (m.last_detail.clone().unwrap_or_default()) }
                } } }
            }
            @if admin {
                h2 { "Where notifications go" }
                table #emails { thead { tr { th { "User" } th { "Role" } th { "E-mail" } } }
                    tbody { @for (id, name, role, email) in &users { tr {
                        td { (name) } td { (role.replace('_', " ")) }
                        td { form.filters method="post" action={"/review/users/" (id) "/email"} {
                            (csrf_field(&s))
                            input type="email" name="email" value=(email.clone().unwrap_or_default()) aria-label={"E-mail of " (name)};
                            button type="submit" { "Save" }
                        } }
                    } } } }
            }
        };
        Ok(page(&s, "Outbox", body))
    })
    .await
}

/// `POST /review/users/{id}/email`: where a user's notifications go.
pub async fn set_email(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let email = form.text("email");
    run(move || {
        crate::service::outbox::set_user_email(&state.db, &s.caller(), &id, email.as_deref())?;
        Ok(Redirect::to("/review/outbox").into_response())
    })
    .await
}
