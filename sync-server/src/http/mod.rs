//! The HTTP floor: routes, extractors and the mapping of a [`ServiceError`] to a status and
//! a JSON body. Handlers are thin: parse the request, call a service or the record, respond.
//! Imports point down only: `http` → `service` → `db` (checked by the tidy test).
//!
//! - [`server`]: state and start-up (plain HTTP on loopback, TLS with rustls elsewhere).
//! - [`api`]: enrollment, sync, photos, lab results and actions for devices.
//! - [`registers`]: the agency record's registers for devices (registry, listings, residue).
//! - [`web`]: the supervisors' review pages.

use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use milkshed_shared::sync::ErrorCode;
use serde_json::json;

use crate::db;
use crate::service::auth;
use crate::service::error::{ServiceError, ServiceResult};
use server::AppState;

pub mod api;
pub mod registers;
pub mod server;
pub mod web;

pub use api::{MAX_CHUNK_BYTES, MAX_PHOTO_BYTES, MAX_SYNC_BYTES, TOKEN_DAYS};

/// The status of each refusal: one table for every route.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthorized
        | ErrorCode::Revoked
        | ErrorCode::Expired
        | ErrorCode::BadCredentials => StatusCode::UNAUTHORIZED,
        ErrorCode::BadRequest | ErrorCode::InvalidCsv => StatusCode::BAD_REQUEST,
        ErrorCode::Throttled => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Forbidden | ErrorCode::ForgedActor | ErrorCode::OtherAgency => {
            StatusCode::FORBIDDEN
        }
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict
        | ErrorCode::Replayed
        | ErrorCode::ActorTaken
        | ErrorCode::ActorReserved
        | ErrorCode::Unreferenced
        | ErrorCode::WrongOffset
        | ErrorCode::GateShut => StatusCode::CONFLICT,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::HashMismatch | ErrorCode::NotAnImage => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let mut r = (
            status_of(self.code),
            Json(json!({"error": self.code.as_str(), "message": self.message})),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(s));
        }
        r
    }
}

/// Runs blocking work (the database, hashing) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ServiceResult<T> + Send + 'static,
) -> ServiceResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ServiceError::internal)?
}

/// The router: `/enroll`, `/api/` (device token), `/review` (sessions), `/health`.
pub fn router(state: Arc<AppState>) -> Router {
    let api = api::routes()
        .merge(registers::routes())
        .fallback(|| async { ServiceError::new(ErrorCode::NotFound, "no such route") })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            api::require_device,
        ));
    Router::new()
        .route("/health", get(health))
        .route("/enroll", post(api::enroll))
        .nest("/api", api)
        .nest("/review", web::router(state.clone()))
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/review") }),
        )
        .layer(middleware::from_fn(declared_size))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The largest body a path takes (the routes' own limits check what is actually read).
fn body_limit(path: &str) -> u64 {
    if path == "/api/sync" || path == "/api/lab-results" {
        MAX_SYNC_BYTES as u64
    } else if path.starts_with("/api/photos/") {
        MAX_CHUNK_BYTES as u64
    } else {
        MAX_FORM_BYTES
    }
}

/// Largest body of any other request (JSON, forms).
pub const MAX_FORM_BYTES: u64 = 2 * 1024 * 1024;

/// Refuses a body whose declared `Content-Length` is over its route's limit before reading a
/// byte of it.
async fn declared_size(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u64>());
    let limit = body_limit(req.uri().path());
    match declared {
        Some(Err(_)) => ServiceError::bad_request("Content-Length is not a number").into_response(),
        Some(Ok(n)) if n > limit => ServiceError::new(
            ErrorCode::TooLarge,
            format!("this request may carry at most {limit} bytes; it announced {n}"),
        )
        .into_response(),
        _ => next.run(req).await,
    }
}

/// The page policy of every answer: no script, nothing framed, nothing sniffed, nothing
/// stored by a shared cache (photos say their own caching).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (k, v) in fixed {
        h.insert(k, header::HeaderValue::from_static(v));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    r
}

/// `GET /health`: whether this instance can read and write the agency record and reach the
/// photo store (503 when either fails; a load balancer takes the instance out).
async fn health(State(state): State<Arc<AppState>>) -> Response {
    let checked = blocking(move || {
        let database = state.db.check().is_ok();
        let photos = state.blobs.check().is_ok();
        Ok((database, photos))
    })
    .await;
    let (database, photos) = checked.unwrap_or((false, false));
    let word = |ok: bool| if ok { "ok" } else { "unreachable" };
    let body = Json(json!({
        "status": if database && photos { "ok" } else { "unavailable" },
        "database": word(database),
        "photos": word(photos),
    }));
    if database && photos {
        body.into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

/// A query string as the API reads it: a malformed or out-of-range value is a 400 that names
/// it (JSON, like every API refusal).
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ServiceError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| ApiQuery(t))
            .map_err(|e| ServiceError::bad_request(format!("query: {}", e.body_text())))
    }
}

/// Checks a user's credentials: throttled per account and per client address (backoff, 429
/// with `Retry-After`), argon2 a few at a time so a crowd cannot exhaust memory, a dummy hash
/// for an unknown user so its answer takes as long as a real one's, and the same refusal
/// whichever part is wrong.
pub(crate) async fn check_credentials(
    state: &Arc<AppState>,
    client: &ClientAddr,
    agency: &str,
    username: &str,
    password: &str,
) -> ServiceResult<db::UserRow> {
    let keys = auth::throttle_keys(agency, username, client.0);
    let st = state.clone();
    let k = keys.clone();
    if let Some(wait) = blocking(move || {
        let conn = st.db.read()?;
        Ok(db::throttled(&conn, &k, Utc::now())?)
    })
    .await?
    {
        return Err(ServiceError::throttled(wait));
    }
    let _permit = state
        .password_checks
        .acquire()
        .await
        .map_err(ServiceError::internal)?;
    let (st, agency, username, password) = (
        state.clone(),
        agency.to_string(),
        username.to_string(),
        password.to_string(),
    );
    blocking(move || {
        let user = {
            let conn = st.db.read()?;
            db::user_by_name(&conn, &agency, &username)?
        };
        // the slow hash runs without holding the database, for unknown users too
        let ok = match &user {
            Some(u) => auth::verify_password(&password, &u.password_hash) && u.active,
            None => {
                let _ = auth::verify_password(&password, auth::dummy_hash());
                false
            }
        };
        let conn = st.db.write()?;
        match user {
            Some(u) if ok => {
                db::login_succeeded(&conn, &keys[..1])?;
                Ok(u)
            }
            _ => {
                db::login_failed(
                    &conn,
                    &keys,
                    Utc::now(),
                    auth::throttle_window(),
                    &auth::backoff,
                )?;
                Err(ServiceError::new(
                    ErrorCode::BadCredentials,
                    "wrong agency, user name or password",
                ))
            }
        }
    })
    .await
}

/// The client's address, when the server was started with it (for throttling).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
