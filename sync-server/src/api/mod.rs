//! The HTTP API: enrollment, sync, photo upload. Every route under `/api/` needs a valid
//! device token; every refusal is a 4xx with a JSON body `{"error", "message"}` and leaves the
//! stored data unchanged.

use std::io::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Utc;
use milkshed_shared::authority::{self, Acting};
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::document::{sha256_hex, Status};
use milkshed_shared::sync::{
    self, DocOutcome, DocReply, ErrorCode, SyncError, SyncRequest, SyncResponse,
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth;
use crate::db::{self, DeviceAuth};
use crate::server::AppState;

mod merge;
mod office;
mod photos;

use merge::*;
use office::*;
use photos::*;

/// Largest photo accepted (as the app's own limit).
pub const MAX_PHOTO_BYTES: u64 = 40 * 1024 * 1024;
/// Largest sync request body.
pub const MAX_SYNC_BYTES: usize = 64 * 1024 * 1024;
/// Largest photo chunk in one request.
pub const MAX_CHUNK_BYTES: usize = 8 * 1024 * 1024;
/// How long a device token lives.
pub const TOKEN_DAYS: i64 = 180;

/// A refusal or failure, as JSON.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    /// Seconds to wait before trying again (429).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Too many failed attempts: wait `seconds`.
    pub fn throttled(seconds: u64) -> Self {
        ApiError {
            retry_after: Some(seconds),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::Throttled,
                format!("too many failed sign-ins; try again in {seconds} s"),
            )
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        // the detail goes to the server log, not to the client
        eprintln!("milkshed-server: internal error: {e}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the server failed; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
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

impl From<db::DbError> for ApiError {
    fn from(e: db::DbError) -> Self {
        ApiError::internal(e)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(e)
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route(
            "/sync",
            post(sync_handler).layer(DefaultBodyLimit::max(MAX_SYNC_BYTES)),
        )
        .route(
            "/photos/{hash}",
            get(photo_status)
                .put(photo_upload)
                .layer(DefaultBodyLimit::max(MAX_CHUNK_BYTES)),
        )
        .route("/photos/{hash}/data", get(photo_data))
        .route("/me", get(me))
        .route(
            "/lab-results",
            post(import_lab).layer(DefaultBodyLimit::max(MAX_SYNC_BYTES)),
        )
        .route("/lab-results/entry", post(enter_lab))
        .route("/actions", post(add_action))
        .route("/actions/overdue", get(overdue_actions))
        .route("/actions/{id}/complete", post(complete_action))
        .merge(crate::record::routes())
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
        })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_device,
        ));
    Router::new()
        .route("/health", get(health))
        .route("/enroll", post(enroll))
        .nest("/api", api)
        .nest("/review", crate::web::router(state.clone()))
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
        Some(Err(_)) => ApiError::bad_request("Content-Length is not a number").into_response(),
        Some(Ok(n)) if n > limit => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
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

/// `GET /health`: whether this server can read and write the agency record (503 when not).
async fn health(State(state): State<Arc<AppState>>) -> Response {
    match blocking(move || Ok(state.db.check()?)).await {
        Ok(()) => Json(json!({"status": "ok", "database": "ok"})).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "database": "unreachable"})),
        )
            .into_response(),
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
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| ApiQuery(t))
            .map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))
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
) -> ApiResult<db::UserRow> {
    let keys = auth::throttle_keys(agency, username, client.0);
    let st = state.clone();
    let k = keys.clone();
    if let Some(wait) = blocking(move || {
        let conn = st.db.read()?;
        Ok(db::throttled(&conn, &k, Utc::now())?)
    })
    .await?
    {
        return Err(ApiError::throttled(wait));
    }
    let _permit = state
        .password_checks
        .acquire()
        .await
        .map_err(ApiError::internal)?;
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
                db::login_failed(&conn, &keys, Utc::now())?;
                Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
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

/// Authenticates the device token of every `/api/` request.
async fn require_device(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let Some(token) = token else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "sign in: this request carries no device token",
        )
        .into_response();
    };
    let st = state.clone();
    let found = blocking(move || {
        let conn = st.db.read()?;
        Ok(db::device_by_token(&conn, &auth::token_hash(&token))?)
    })
    .await;
    match found {
        Ok(Some(d)) if !d.revoked && d.expires_at > Utc::now() => {
            req.extensions_mut().insert(d);
            next.run(req).await
        }
        Ok(Some(d)) if d.revoked => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Revoked,
            "this device was revoked; enroll it again",
        )
        .into_response(),
        Ok(Some(_)) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Expired,
            "this device's sign-in expired; enroll it again",
        )
        .into_response(),
        Ok(None) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "unknown device token",
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrollRequest {
    agency: String,
    username: String,
    password: String,
    device_name: String,
    /// The device's Automerge actor id (hex): its changes are bound to it.
    actor: String,
}

async fn enroll(
    State(state): State<Arc<AppState>>,
    client: ClientAddr,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let req: EnrollRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("enrollment request: {e}")))?;
    let actor = match ActorId::try_from(req.actor.as_str()) {
        Ok(a) if req.actor.len() >= 16 && req.actor.len() <= 64 => a.to_hex_string(),
        _ => {
            return Err(ApiError::bad_request(
                "actor must be the device's Automerge actor id in hex (8 to 32 bytes)",
            ))
        }
    };
    let mut req = req;
    req.actor = actor;
    let user =
        check_credentials(&state, &client, &req.agency, &req.username, &req.password).await?;
    blocking(move || {
        let conn = state.db.write()?;
        if state.reserved_actor(&conn, &req.actor)? {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::ActorReserved,
                "this actor id is reserved by the server; the device must use its own",
            ));
        }
        if db::actor_taken(&conn, &req.actor)? {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::ActorTaken,
                "this actor id belongs to another enrolled device",
            ));
        }
        let token = auth::new_token();
        let device_id = Uuid::now_v7().to_string();
        let expires = Utc::now() + chrono::Duration::days(TOKEN_DAYS);
        db::add_device(
            &conn,
            &device_id,
            &user.id,
            &req.device_name,
            &req.actor,
            &auth::token_hash(&token),
            &expires,
        )?;
        Ok(Json(json!({
            "device_id": device_id,
            "token": token,
            "expires_at": expires.to_rfc3339(),
            "agency": user.agency_id,
            "user": {"id": user.id, "name": user.name, "role": user.role.as_str()},
        })))
    })
    .await
}

async fn me(Extension(device): Extension<DeviceAuth>) -> Json<serde_json::Value> {
    Json(json!({
        "device_id": device.device_id,
        "user": {"id": device.user_id, "name": device.user_name, "role": device.role.as_str()},
        "agency": device.agency_id,
    }))
}
