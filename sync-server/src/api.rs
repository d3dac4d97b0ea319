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

async fn sync_handler(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ApiResult<Response> {
    let req: SyncRequest = sync::decode(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if req.protocol != sync::PROTOCOL_VERSION {
        return Err(ApiError::bad_request(format!(
            "sync protocol {} is not spoken here (server speaks {}); update the app",
            req.protocol,
            sync::PROTOCOL_VERSION
        )));
    }
    let response = blocking(move || sync_blocking(&state, &device, req)).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/cbor")],
        sync::encode(&response),
    )
        .into_response())
}

/// The user a device acts for, as the accounts know them.
fn acting(device: &DeviceAuth) -> Acting<'_> {
    Acting {
        user_id: &device.user_id,
        name: &device.user_name,
        role: device.role,
        agency: &device.agency_id,
    }
}

fn sync_blocking(
    state: &AppState,
    device: &DeviceAuth,
    req: SyncRequest,
) -> ApiResult<SyncResponse> {
    let device_actor = ActorId::try_from(device.actor.as_str()).map_err(ApiError::internal)?;
    let mut conn = state.db.write()?;
    let tx = conn.transaction()?;
    if !db::first_use_of_request(&tx, &device.device_id, &req.request_id.to_string())? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Replayed,
            "this request was already received; send a new one",
        ));
    }
    let mut replies = Vec::with_capacity(req.docs.len());
    let mut offered = Vec::with_capacity(req.docs.len());
    for offer in &req.docs {
        if offered.contains(&offer.id) {
            return Err(ApiError::bad_request(format!(
                "inspection {} offered twice",
                offer.id
            )));
        }
        offered.push(offer.id);
        let device_heads = sync::heads_from_bytes(&offer.heads)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let stored = db::load_doc(&tx, &offer.id, &state.server_actor)?;
        let mut old = None;
        if let Some(s) = &stored {
            if s.agency_id != device.agency_id {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    ErrorCode::NotFound,
                    format!("no inspection {} in your agency", offer.id),
                ));
            }
            // a device sees its own user's inspections; a reviewer's sees those it reviews
            if s.inspector_id != device.user_id && !device.role.reviews() {
                replies.push(rejected(offer.id, "no such inspection of yours".into()));
                continue;
            }
            old = Some(s.doc.read().map_err(ApiError::internal)?);
        }
        let merged = sync::merge_offer(
            stored.as_ref().map(|s| &s.doc),
            offer,
            std::slice::from_ref(&device_actor),
            state.server_actor.clone(),
        );
        let outcome = match merged {
            Err(SyncError::ForgedActor(a)) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::ForgedActor,
                    format!(
                        "inspection {}: changes by actor {a} are not this device's",
                        offer.id
                    ),
                ));
            }
            Err(SyncError::Malformed(m)) => {
                return Err(ApiError::bad_request(format!(
                    "inspection {}: {m}",
                    offer.id
                )))
            }
            Err(e) => Err(e.to_string()),
            Ok(mut m) => {
                let view = m.doc.read().map_err(ApiError::internal)?;
                if view.header.id != offer.id {
                    return Err(ApiError::bad_request(format!(
                        "offer {} carries inspection {}",
                        offer.id, view.header.id
                    )));
                }
                if stored.is_none() && view.header.agency != device.agency_id {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        ErrorCode::OtherAgency,
                        format!(
                            "inspection {} belongs to agency {}, not yours",
                            offer.id, view.header.agency
                        ),
                    ));
                }
                // who may write which part: the one rule, in shared (the device applies it too)
                match authority::authorize(old.as_ref(), &view, &acting(device)) {
                    Err(refusal) => Err(refusal.to_string()),
                    Ok(()) => {
                        if m.changed {
                            db::store_doc(&tx, &device.agency_id, &mut m.doc)?;
                            // an inspection sent in moves its facility's due date: the devices'
                            // reference data follows in the same transaction
                            let sent_in = old.as_ref().map(|o| o.status) != Some(view.status)
                                && matches!(
                                    view.status,
                                    Status::Submitted | Status::Accepted | Status::Returned
                                );
                            if sent_in {
                                crate::record::publish_reference(
                                    &tx,
                                    &device.agency_id,
                                    &view.header.subject.id,
                                )?;
                            }
                        }
                        Ok(m)
                    }
                }
            }
        };
        replies.push(match outcome {
            Ok(mut m) => DocReply {
                id: offer.id,
                outcome: if m.missing_base {
                    DocOutcome::SendAll
                } else {
                    DocOutcome::Merged
                },
                changes: sync::reply_changes(&mut m.doc, &device_heads),
                heads: sync::heads_to_bytes(&m.doc.automerge().get_heads()),
            },
            Err(reason) => rejected(offer.id, reason),
        });
    }
    // the inspector's own inspections this device does not hold yet
    for id in db::docs_of_inspector(&tx, &device.agency_id, &device.user_id)? {
        if offered.contains(&id) {
            continue;
        }
        if let Some(mut s) = db::load_doc(&tx, &id, &state.server_actor)? {
            replies.push(DocReply {
                id,
                outcome: DocOutcome::Merged,
                changes: s.doc.save(),
                heads: sync::heads_to_bytes(&s.doc.automerge().get_heads()),
            });
        }
    }
    let version = db::reference_version(&tx, &device.agency_id)?;
    // a device from another server's past (a version ahead of ours) gets everything again
    let reference = if req.reference_version < version {
        Some(db::reference_delta(
            &tx,
            &device.agency_id,
            req.reference_version,
        )?)
    } else if req.reference_version > version {
        Some(db::reference_delta(&tx, &device.agency_id, 0)?)
    } else {
        None
    };
    tx.commit()?;
    Ok(SyncResponse {
        protocol: sync::PROTOCOL_VERSION,
        docs: replies,
        reference,
        reference_version: version,
    })
}

/// A refused offer: the server's copy is unchanged.
fn rejected(id: Uuid, reason: String) -> DocReply {
    DocReply {
        id,
        outcome: DocOutcome::Rejected(reason),
        changes: Vec::new(),
        heads: Vec::new(),
    }
}

fn check_hash(hash: &str) -> ApiResult<()> {
    if hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "a photo is addressed by its SHA-256 in lower-case hex",
        ))
    }
}

/// Where a device's partial upload of a photo lives: one file per agency, device and photo, so
/// no other device can append to (or spoil) an upload it did not start.
fn partial_path(state: &AppState, device: &DeviceAuth, hash: &str) -> std::path::PathBuf {
    state.dir.join("photos-partial").join(format!(
        "{}-{}-{hash}.part",
        auth::token_hash(&device.agency_id)
            .get(..16)
            .unwrap_or_default(),
        device.device_id
    ))
}

async fn photo_status(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    check_hash(&hash)?;
    blocking(move || {
        let conn = state.db.read()?;
        if db::photo_stored(&conn, &device.agency_id, &hash)? {
            return Ok(Json(json!({"complete": true, "received": null})));
        }
        drop(conn);
        let received = std::fs::metadata(partial_path(&state, &device, &hash))
            .map(|m| m.len())
            .unwrap_or(0);
        Ok(Json(json!({"complete": false, "received": received})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    offset: u64,
    total: u64,
}

/// `PUT /api/photos/{hash}?offset=&total=`: one chunk of a resumable upload. The database is
/// consulted only to check and to record; the chunk is written, and the whole photo hashed and
/// decoded (within the device's limits, header first), with no connection held.
async fn photo_upload(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    check_hash(&hash)?;
    if q.total > MAX_PHOTO_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            format!("a photo is at most {MAX_PHOTO_BYTES} bytes"),
        ));
    }
    blocking(move || {
        let agency = &device.agency_id;
        {
            let conn = state.db.read()?;
            if db::photo_stored(&conn, agency, &hash)? {
                return Ok(Json(json!({"complete": true, "received": q.total})));
            }
            if !db::photo_referenced(&conn, agency, &hash)? {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    ErrorCode::Unreferenced,
                    "no inspection of your agency refers to this photo: sync the inspection first",
                ));
            }
        }
        let path = partial_path(&state, &device, &hash);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(ApiError::internal)?;
        }
        let received = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if q.offset != received {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::WrongOffset,
                format!("{received} bytes received so far; resume from there"),
            ));
        }
        if received.saturating_add(body.len() as u64) > q.total {
            let _ = std::fs::remove_file(&path);
            return Err(ApiError::bad_request("more bytes than the total announced"));
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(ApiError::internal)?;
        f.write_all(&body).map_err(ApiError::internal)?;
        f.sync_data().map_err(ApiError::internal)?;
        let received = received + body.len() as u64;
        if received < q.total {
            return Ok(Json(json!({"complete": false, "received": received})));
        }
        let bytes = std::fs::read(&path).map_err(ApiError::internal)?;
        let _ = std::fs::remove_file(&path);
        if sha256_hex(&bytes) != hash {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::HashMismatch,
                "the bytes received do not match the photo's hash; upload it again",
            ));
        }
        if let Err(e) = crate::photo::decode_stored(&bytes) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::NotAnImage,
                format!("not kept: {e}"),
            ));
        }
        state.blobs.put(&hash, &bytes).map_err(ApiError::internal)?;
        db::record_photo(&*state.db.write()?, agency, &hash, received)?;
        Ok(Json(json!({"complete": true, "received": received})))
    })
    .await
}

async fn photo_data(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
) -> ApiResult<Response> {
    check_hash(&hash)?;
    blocking(move || {
        let conn = state.db.read()?;
        if !db::photo_stored(&conn, &device.agency_id, &hash)? {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such photo in your agency",
            ));
        }
        let bytes = state
            .blobs
            .get(&hash)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal("photo file missing"))?;
        Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
    })
    .await
}

/// `POST /api/lab-results`: a CSV of official results from an approved laboratory, imported
/// whole or refused whole with every line and field at fault; the answer lists the ledger's
/// actions now due (written notices with their resample window, suspensions).
async fn import_lab(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ApiResult<Response> {
    lab_office(&device)?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request("the file is not UTF-8 text"))?;
    match crate::lab::parse(&text) {
        Ok(rows) => record_lab_results(state, device, rows).await,
        Err(problems) => Ok(csv_refusal(&problems)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabEntry {
    lab_number: String,
    sample_date: String,
    subject_id: String,
    standard: String,
    value: String,
    #[serde(default)]
    procedure: Option<String>,
}

/// `POST /api/lab-results/entry`: one result entered by hand (JSON), checked as a CSV line is.
async fn enter_lab(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ApiResult<Response> {
    lab_office(&device)?;
    let e: LabEntry = serde_json::from_slice(&body)
        .map_err(|err| ApiError::bad_request(format!("laboratory result: {err}")))?;
    let fields = [
        e.lab_number.as_str(),
        &e.sample_date,
        &e.subject_id,
        &e.standard,
        &e.value,
        e.procedure.as_deref().unwrap_or_default(),
    ];
    match crate::lab::check_row(1, &fields) {
        Ok(row) => record_lab_results(state, device, vec![row]).await,
        Err(problems) => Ok(csv_refusal(&problems)),
    }
}

fn lab_office(device: &DeviceAuth) -> ApiResult<()> {
    if matches!(device.role, auth::Role::Supervisor | auth::Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only a supervisor or an administrator records laboratory results",
        ))
    }
}

/// Checks checked rows against the agency's register of laboratories, judges each against
/// its subject's standard, stores them all or none, and answers with the ledger's actions due.
async fn record_lab_results(
    state: Arc<AppState>,
    device: DeviceAuth,
    mut rows: Vec<db::LabRow>,
) -> ApiResult<Response> {
    blocking(move || {
        let mut conn = state.db.write()?;
        let labs = db::registry::laboratories(&conn, &device.agency_id)?;
        let edition = milkshed_shared::reference::Edition::builtin(
            &db::registry::agency_settings(&conn, &device.agency_id)?.reference_edition,
        )
        .map_err(ApiError::internal)?;
        if let Err(problems) = crate::lab::check_laboratories(&mut rows, &labs, edition) {
            return Ok(csv_refusal(&problems));
        }
        let farms: std::collections::HashSet<String> = db::registry::facilities(&conn, &device.agency_id)?
            .into_iter()
            .filter(|f| f.kind == "dairy_farm")
            .map(|f| f.id)
            .collect();
        crate::lab::judge(&mut rows, |s| farms.contains(s));
        let import_id = db::import_lab_results(&mut conn, &device.agency_id, &rows)?;
        let mut keys: Vec<(String, String)> = rows.iter().map(|r| (r.subject_id.clone(), r.standard.clone())).collect();
        keys.sort();
        keys.dedup();
        // the devices' briefcase follows the ledger
        let mut subjects: Vec<&String> = keys.iter().map(|(s, _)| s).collect();
        subjects.dedup();
        for subject in subjects {
            crate::record::publish_lab_ledger(&conn, &device.agency_id, subject)?;
        }
        let today = db::registry::agency_today(&conn, &device.agency_id)?;
        let mut actions = Vec::new();
        for (subject, standard) in keys {
            let history = db::lab_history(&conn, &device.agency_id, &subject, &standard)?;
            match milkshed_shared::ledger::action_after(&history, today) {
                milkshed_shared::ledger::LedgerAction::None => {}
                milkshed_shared::ledger::LedgerAction::WarningLetter { resample_from, resample_by } => actions.push(json!({
                    "subject_id": subject, "standard": standard, "action": "warning_letter",
                    "resample_from": resample_from.to_string(), "resample_by": resample_by.to_string(),
                })),
                milkshed_shared::ledger::LedgerAction::Suspension => actions.push(json!({
                    "subject_id": subject, "standard": standard, "action": "suspension",
                })),
            }
        }
        Ok(Json(json!({"imported": rows.len(), "import_id": import_id, "actions": actions})).into_response())
    })
    .await
}

/// A refused CSV: 422 with every line and field at fault; nothing was imported.
fn csv_refusal(problems: &[crate::lab::CsvProblem]) -> Response {
    let list: Vec<serde_json::Value> = problems
        .iter()
        .map(|p| json!({"line": p.line, "field": p.field, "message": p.message}))
        .collect();
    let first = problems
        .first()
        .map(|p| format!("line {}, {}: {}", p.line, p.field, p.message))
        .unwrap_or_default();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"error": ErrorCode::InvalidCsv.as_str(), "message": format!("nothing was imported; {first}"), "problems": list})),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionIn {
    subject_id: String,
    kind: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    issued_on: chrono::NaiveDate,
    cause: String,
    #[serde(default)]
    amends: Option<String>,
}

fn office(device: &DeviceAuth) -> ApiResult<()> {
    if matches!(device.role, auth::Role::Supervisor | auth::Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only a supervisor or an administrator records enforcement actions",
        ))
    }
}

/// `POST /api/actions`: records an enforcement action with its deadline (append-only; an
/// amendment names the action it amends).
async fn add_action(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    office(&device)?;
    let a: ActionIn =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("action: {e}")))?;
    let kind = milkshed_shared::ledger::ActionKind::parse(&a.kind).ok_or_else(|| {
        ApiError::bad_request("kind is one of warning_letter, intent_to_suspend, suspension, reinstatement_inspection, revocation, hearing")
    })?;
    if a.cause.trim().is_empty() {
        return Err(ApiError::bad_request(
            "link the action to its cause (a finding or a lab result)",
        ));
    }
    blocking(move || {
        let conn = state.db.write()?;
        if let Some(amended) = &a.amends {
            if !db::action_exists(&conn, &device.agency_id, amended)? {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    ErrorCode::NotFound,
                    "no such action to amend in your agency",
                ));
            }
        }
        let due_on = kind.deadline(a.issued_on);
        let id = db::add_action(
            &conn,
            &device.agency_id,
            &db::NewAction {
                subject_id: &a.subject_id,
                kind: kind.as_str(),
                issued_on: a.issued_on,
                due_on,
                cause: &a.cause,
                issued_by: &device.user_id,
                amends: a.amends.as_deref(),
            },
        )?;
        // the farm gate sees what is owed
        crate::record::publish_reference(&conn, &device.agency_id, &a.subject_id)?;
        Ok(Json(
            json!({"id": id, "due_on": due_on.map(|d| d.to_string())}),
        ))
    })
    .await
}

#[derive(Deserialize)]
struct CompleteIn {
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    on: chrono::NaiveDate,
}

/// `POST /api/actions/{id}/complete`: what the action required was done on a date.
async fn complete_action(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    office(&device)?;
    let c: CompleteIn = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("completion: {e}")))?;
    blocking(move || {
        let conn = state.db.write()?;
        if !db::action_exists(&conn, &device.agency_id, &id)? {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such action in your agency",
            ));
        }
        db::complete_action(&conn, &id, c.on, &device.user_id)?;
        if let Some(subject) = db::action_subject(&conn, &id)? {
            crate::record::publish_reference(&conn, &device.agency_id, &subject)?;
        }
        Ok(Json(json!({"id": id, "completed_on": c.on.to_string()})))
    })
    .await
}

#[derive(Deserialize)]
struct OverdueQuery {
    #[serde(default, deserialize_with = "milkshed_shared::calendar::de_opt_date")]
    today: Option<chrono::NaiveDate>,
}

/// `GET /api/actions/overdue[?today=YYYY-MM-DD]`: actions past their deadline, not done.
async fn overdue_actions(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    blocking(move || {
        let conn = state.db.write()?;
        let today = match q.today {
            Some(d) => d,
            None => db::registry::agency_today(&conn, &device.agency_id)?,
        };
        let list: Vec<serde_json::Value> = db::overdue_actions(&conn, &device.agency_id, today)?
            .into_iter()
            .map(|(id, subject, kind, issued, due)| json!({"id": id, "subject_id": subject, "kind": kind, "issued_on": issued, "due_on": due}))
            .collect();
        Ok(Json(json!({"today": today.to_string(), "overdue": list})))
    })
    .await
}
