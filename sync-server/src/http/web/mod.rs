//! The review pages under `/review`: supervisors and rating officers sign in with the same
//! users as the devices and work at a desk over the agency record. Server-rendered HTML (maud,
//! escaped by construction), no script needed.
//!
//! **Sessions:** a random token in an `HttpOnly`, `SameSite=Strict` cookie (also `Secure`
//! behind TLS), stored hashed; 8 hours at most, 2 hours idle. **CSRF:** every form carries
//! the session's own token and every `POST` checks it. **Scope:** every query names the
//! signed-in user's agency, so another agency's record is not found even by its id.
//!
//! - [`pages`]: queue, inspection detail and review, board, facilities, listings.
//! - [`export`]: CSV of findings, of the queue, of the listing register and of the annual
//!   notice of samplers.

use std::sync::Arc;

use axum::extract::{Form, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Duration, Utc};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::db::web::{self as wdb, WebSession};
use crate::http::server::AppState;
use crate::http::{blocking, check_credentials};
use crate::service::auth::{self, Role};
use crate::service::ServiceError;

pub mod export;
pub mod pages;

const COOKIE: &str = "milkshed_session";
/// The sign-in form's own token (login CSRF, double-submit): set with the form, `SameSite=Strict`,
/// so a form posted from another site arrives without it and is refused.
const LOGIN_COOKIE: &str = "milkshed_login";
/// A session's longest life.
pub const SESSION_HOURS: i64 = 8;
/// A session unused this long has expired.
pub const IDLE_MINUTES: i64 = 120;

/// Who may use the review pages.
pub fn may_sign_in(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::RatingOfficer | Role::Admin)
}

pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let signed_in = Router::new()
        .route("/", get(pages::queue))
        .route("/inspections/{id}", get(pages::inspection))
        .route("/inspections/{id}/review", post(pages::review))
        .route("/photos/{hash}", get(pages::photo))
        .route("/photos/{hash}/thumb", get(pages::photo_thumbnail))
        .route("/board", get(pages::board))
        .route("/facilities", get(pages::facilities))
        .route(
            "/facilities/new",
            get(pages::new_facility).post(pages::add_facility),
        )
        .route(
            "/facilities/import",
            get(pages::import_page).post(pages::import_facilities),
        )
        .route("/facilities/{id}", get(pages::facility))
        .route("/facilities/{id}/move", post(pages::move_farm))
        .route("/facilities/{id}/assign", post(pages::assign))
        .route("/facilities/{id}/pounds", post(pages::set_pounds))
        .route("/facilities/{id}/contact", post(pages::set_contact))
        .route("/facilities/{id}/name", post(pages::rename))
        .route("/facilities/{id}/appendix-p", post(pages::set_appendix_p))
        .route("/lab/laboratories", post(pages::add_laboratory))
        .route("/permits/{id}/status", post(pages::permit_status))
        .route("/facilities/{id}/actions", post(pages::add_action))
        .route("/actions", get(pages::actions))
        .route("/actions/{id}", get(pages::action))
        .route("/actions/{id}/letters", post(pages::draft_letter))
        .route("/letters/{id}/approve", post(pages::approve_letter))
        .route("/letters/{id}/pdf", get(pages::letter_pdf))
        .route("/templates", get(pages::templates))
        .route(
            "/templates/{kind}",
            get(pages::template).post(pages::save_template),
        )
        .route("/lab", get(pages::lab_pages::lab_page))
        .route("/lab/import", post(pages::lab_pages::import))
        .route("/lab/entry", post(pages::lab_pages::entry))
        .route("/lab/{id}", get(pages::lab_pages::ledger))
        .route(
            "/residue",
            get(pages::residue_pages::residue).post(pages::residue_pages::add_residue),
        )
        .route(
            "/residue/{id}/steps",
            post(pages::residue_pages::residue_step),
        )
        .route(
            "/listings/{id}/events",
            post(pages::residue_pages::listing_event),
        )
        .route("/conflicts", get(pages::conflict_pages::queue))
        .route(
            "/conflicts/{id}",
            get(pages::conflict_pages::inspection).post(pages::conflict_pages::resolve),
        )
        .route("/audit", get(pages::audit_log))
        .route("/audit.csv", get(export::audit))
        .route("/outbox", get(pages::outbox))
        .route("/users/{id}/email", post(pages::set_email))
        .route("/listings", get(pages::listings))
        .route("/ratings/{id}", get(pages::rating_sheet))
        .route("/ratings/{id}/pdf", get(pages::rating_sheet_pdf))
        .route("/ratings/{id}/{action}", post(pages::rating_draw_action))
        .route("/listings/{id}/2359i", get(pages::form_2359i_page))
        .route("/listings/{id}/2359i/pdf", get(pages::form_2359i_pdf))
        .route("/samplers", get(pages::samplers_notice))
        .route("/samplers/notice.csv", get(export::samplers_notice))
        .route("/samplers/notice.pdf", get(pages::samplers_notice_pdf))
        .route("/export/findings.csv", get(export::findings))
        .route("/export/inspections.csv", get(export::inspections))
        .route("/export/ratings.csv", get(export::ratings))
        .route("/logout", post(logout))
        .layer(middleware::from_fn_with_state(state, require_session));
    Router::new()
        .route("/login", get(login_page).post(login))
        .merge(signed_in)
}

/// A page's failure: the status and a sentence, as HTML.
pub struct PageError(StatusCode, String);

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PageError(status, message.into())
    }
    pub fn not_found(what: &str) -> Self {
        PageError(
            StatusCode::NOT_FOUND,
            format!("No such {what} in your agency."),
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        PageError(StatusCode::FORBIDDEN, message.into())
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        let status = crate::http::status_of(e.code);
        // a refusal says why; a failure's detail went to the log
        let message = if status.is_server_error() {
            "The request could not be done; try again.".into()
        } else {
            e.message
        };
        PageError(status, message)
    }
}

impl From<crate::db::DbError> for PageError {
    fn from(e: crate::db::DbError) -> Self {
        eprintln!("milkshed-server: review pages: {e}");
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server failed; try again.".into(),
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = bare(
            "Milkshed",
            html! { main { h1 { "Milkshed" } p.error { (self.1) } p { a href="/review" { "Back to the review queue" } } } },
        );
        (self.0, Html(body.into_string())).into_response()
    }
}

pub type PageResult<T> = Result<T, PageError>;

/// Runs database work off the async threads, as the API does.
pub async fn run<T: Send + 'static>(
    f: impl FnOnce() -> PageResult<T> + Send + 'static,
) -> PageResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2630;background:#f6f7f5}
header{background:#23412f;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header a:hover{text-decoration:underline}
header .who{margin-left:auto;opacity:.9}header form{display:inline}
header button{background:none;border:1px solid #fff8;color:#fff;border-radius:4px;cursor:pointer}
main{padding:1em 1.4em;max-width:1200px}h1{font-size:1.4em;margin:.3em 0 .6em}h2{font-size:1.1em;margin:1.4em 0 .4em}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #dde2dc;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#eef1ec;font-weight:600}tr:hover td{background:#fafbf8}
.pill{display:inline-block;padding:0 .5em;border-radius:9px;font-size:.85em;background:#e4e8e1}
.submitted{background:#fff1c2}.returned{background:#ffd9cc}.accepted{background:#d4f0d8}.draft,.signed{background:#e4e8e1}
.tampered,.error,.breach{color:#a01414;font-weight:600}.ok{color:#1d6b33}
.counts{display:flex;gap:.6em;flex-wrap:wrap;margin:.4em 0 1em}.counts a{background:#fff;border:1px solid #cfd6cc;border-radius:6px;padding:.3em .7em;color:inherit;text-decoration:none}
form.filters{display:flex;gap:.6em;flex-wrap:wrap;align-items:end;margin-bottom:1em}label{display:flex;flex-direction:column;font-size:.85em;gap:.15em}
input,select,textarea,button{font:inherit;padding:.3em .45em}textarea{width:100%;min-height:4em}
.photos{display:flex;gap:.6em;flex-wrap:wrap}.photos figure{margin:0;background:#fff;padding:.3em;border:1px solid #dde2dc}.photos img{width:160px;height:120px;object-fit:cover;display:block}
.review{background:#fff;border:1px solid #cfd6cc;padding:1em;margin-top:1em}.actions{display:flex;gap:.6em;margin-top:.6em}
.accept{background:#1d6b33;color:#fff;border:0;border-radius:4px}.return{background:#a04414;color:#fff;border:0;border-radius:4px}
.muted{color:#5b6660}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:.4em 1.4em}
@media print{header,form,.actions{display:none}body{background:#fff}}
";

/// A page without the signed-in header (sign-in, errors).
fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (maud::PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
}

/// A signed-in page: header with the sections, the user and sign-out.
pub fn page(s: &WebSession, title: &str, body: Markup) -> Html<String> {
    Html(
        bare(
            &format!("{title} — Milkshed"),
            html! {
                header {
                    strong { "Milkshed" }
                    a href="/review" { "Review queue" }
                    a href="/review/board" { "Overdue & breached" }
                    a href="/review/facilities" { "Farms, plants, haulers" }
                    a href="/review/listings" { "Ratings & listings" }
                    a href="/review/samplers" { "Samplers" }
                    a href="/review/actions" { "Enforcement" }
                    a href="/review/lab" { "Laboratory" }
                    a href="/review/residue" { "Appendix N" }
                    a href="/review/conflicts" { "Conflicts" }
                    a href="/review/audit" { "Audit log" }
                    a href="/review/outbox" { "Outbox" }
                    span.who { (s.user_name) " · " (s.role.as_str().replace('_', " ")) }
                    form method="post" action="/review/logout" {
                        (csrf_field(s))
                        button type="submit" { "Sign out" }
                    }
                }
                main { h1 { (title) } (body) }
            },
        )
        .into_string(),
    )
}

/// A file name safe in a `Content-Disposition` header: letters, digits, `.`, `_` and `-`.
pub fn safe_filename(name: &str) -> String {
    let s: String = name
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "download".into()
    } else {
        s
    }
}

pub fn csrf_field(s: &WebSession) -> Markup {
    html! { input type="hidden" name="csrf" value=(s.csrf); }
}

/// Refuses a form whose CSRF token is not the session's.
pub fn check_csrf(s: &WebSession, token: Option<&str>) -> PageResult<()> {
    match token {
        Some(t) if !t.is_empty() && t.len() == s.csrf.len() && t == s.csrf => Ok(()),
        _ => Err(PageError::forbidden(
            "This form has expired or did not come from this site. Reload the page and try again.",
        )),
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
}

/// A session is marked seen at most this often (a write per page view would queue every
/// page behind syncs).
const TOUCH_SECONDS: i64 = 60;

fn session_hash(token: &str) -> String {
    auth::token_hash(&format!("web:{token}"))
}

/// Puts the signed-in session in the request, or sends the browser to sign in.
async fn require_session(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(token) = cookie_token(req.headers()) else {
        return Redirect::to("/review/login").into_response();
    };
    let st = state.clone();
    let found = blocking(move || {
        let hash = session_hash(&token);
        let s = wdb::session(&st.db.read()?, &hash)?;
        let now = Utc::now();
        match s {
            Some(s)
                if s.expires_at > now
                    && now - s.last_seen < Duration::minutes(IDLE_MINUTES)
                    && may_sign_in(s.role) =>
            {
                if now - s.last_seen > Duration::seconds(TOUCH_SECONDS) {
                    wdb::touch_session(&st.db.write()?, &hash)?;
                }
                Ok(Some(s))
            }
            Some(_) => {
                wdb::end_session(&st.db.write()?, &hash)?;
                Ok(None)
            }
            None => Ok(None),
        }
    })
    .await;
    match found {
        Ok(Some(s)) => {
            req.extensions_mut().insert(s);
            next.run(req).await
        }
        Ok(None) => Redirect::to("/review/login?expired=1").into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    expired: Option<String>,
}

fn login_form(message: Option<&str>, agency: &str, username: &str, token: &str) -> Markup {
    bare(
        "Sign in — Milkshed",
        html! {
            main style="max-width:420px;margin:4em auto" {
                h1 { "Milkshed review" }
                p.muted { "For supervisors and rating officers. Sign in with your agency account." }
                @if let Some(m) = message { p.error role="alert" { (m) } }
                form method="post" action="/review/login" {
                    input type="hidden" name="login_token" value=(token);
                    label { "Agency" input name="agency" value=(agency) required autocomplete="organization"; }
                    label { "User name" input name="username" value=(username) required autocomplete="username"; }
                    label { "Password" input name="password" type="password" required autocomplete="current-password"; }
                    p { button type="submit" { "Sign in" } }
                }
            }
        },
    )
}

/// The sign-in page with a fresh form token, also set as its cookie.
fn login_response(
    state: &AppState,
    status: StatusCode,
    message: Option<&str>,
    agency: &str,
    username: &str,
) -> Response {
    let token = auth::new_token();
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{LOGIN_COOKIE}={token}; Path=/review/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    );
    (
        status,
        [(header::SET_COOKIE, cookie)],
        Html(login_form(message, agency, username, &token).into_string()),
    )
        .into_response()
}

async fn login_page(
    State(state): State<Arc<AppState>>,
    q: Result<axum::extract::Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let m = q
        .ok()
        .and_then(|q| q.0.expired)
        .map(|_| "Your session has ended; sign in again.");
    login_response(&state, StatusCode::OK, m, "", "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    agency: String,
    username: String,
    password: String,
    #[serde(default)]
    login_token: String,
}

async fn login(
    State(state): State<Arc<AppState>>,
    client: crate::http::ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let refuse = |status: StatusCode, m: &str| {
        login_response(&state, status, Some(m), &f.agency, &f.username)
    };
    let token_ok = cookie(&headers, LOGIN_COOKIE)
        .is_some_and(|c| !c.is_empty() && c.len() == f.login_token.len() && c == f.login_token);
    if !token_ok {
        return refuse(
            StatusCode::FORBIDDEN,
            "This sign-in form has expired or did not come from this site. Try again.",
        );
    }
    let user = match check_credentials(&state, &client, &f.agency, &f.username, &f.password).await {
        Ok(u) => u,
        Err(e) => {
            let status = crate::http::status_of(e.code);
            let wait = e.retry_after();
            let mut r = match (status, wait) {
                (StatusCode::UNAUTHORIZED, _) => {
                    refuse(status, "Wrong agency, user name or password.")
                }
                (StatusCode::TOO_MANY_REQUESTS, Some(w)) => refuse(
                    status,
                    &format!("Too many failed sign-ins: wait {w} seconds, then try again."),
                ),
                _ => refuse(status, "The server failed; try again."),
            };
            if let Some(w) = wait {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(w));
            }
            return r;
        }
    };
    if !may_sign_in(user.role) {
        return refuse(
            StatusCode::FORBIDDEN,
            "The review pages are for supervisors, rating officers and administrators; use the field app.",
        );
    }
    let token = auth::new_token();
    let csrf = auth::new_token();
    let hash = session_hash(&token);
    let st = state.clone();
    let uid = user.id.clone();
    let made = blocking(move || {
        let conn = st.db.write()?;
        wdb::create_session(
            &conn,
            &hash,
            &uid,
            &csrf,
            &(Utc::now() + Duration::hours(SESSION_HOURS)),
        )?;
        Ok(())
    })
    .await;
    if let Err(e) = made {
        return e.into_response();
    }
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={token}; Path=/review; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/review")).into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(
    State(state): State<Arc<AppState>>,
    axum::Extension(s): axum::Extension<WebSession>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> PageResult<Response> {
    check_csrf(&s, f.csrf.as_deref())?;
    if let Some(token) = cookie_token(&headers) {
        run(move || {
            let conn = state.db.write()?;
            wdb::end_session(&conn, &session_hash(&token))?;
            Ok(())
        })
        .await?;
    }
    let clear = format!("{COOKIE}=; Path=/review; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/review/login")).into_response())
}

/// A submitted form's fields, from `application/x-www-form-urlencoded` or `multipart/form-data`
/// (a file field's content as text): pages read fields by name and never reject a form before
/// they can say what is wrong with it in a sentence.
pub struct WebForm(pub Vec<(String, String)>);

impl WebForm {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field trimmed, `None` when missing or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    pub fn csrf(&self) -> Option<&str> {
        self.get("csrf")
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for WebForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let bad = |m: String| PageError::new(StatusCode::BAD_REQUEST, m);
        if multipart {
            let mut m = axum::extract::Multipart::from_request(req, state)
                .await
                .map_err(|e| bad(format!("The form could not be read: {e}")))?;
            let mut fields = Vec::new();
            while let Some(field) = m
                .next_field()
                .await
                .map_err(|e| bad(format!("The form could not be read: {e}")))?
            {
                let name = field.name().unwrap_or_default().to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| bad(format!("The form could not be read: {e}")))?;
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| bad(format!("{name}: the file is not UTF-8 text")))?;
                fields.push((name, text));
            }
            Ok(WebForm(fields))
        } else {
            let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, state)
                .await
                .map_err(|e| bad(format!("The form could not be read: {e}")))?;
            Ok(WebForm(fields))
        }
    }
}

/// A form's fields, gathered as JSON, as a service's input type (the same type the API
/// deserializes): a field the type refuses is a 400 with serde's sentence.
pub fn service_input<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> PageResult<T> {
    serde_json::from_value(v).map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e.to_string()))
}
