//! The HTTP API: enrollment, sync, photo upload. Every route under `/api/` needs a valid
//! device token; every refusal is a 4xx with a JSON body `{"error", "message"}` and leaves the
//! stored data unchanged.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Utc;
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::sync::{self, ErrorCode, SyncRequest};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::db::{self, DeviceAuth};
use crate::http::server::AppState;
use crate::http::{blocking, check_credentials, ApiQuery, ClientAddr};
use crate::service::auth;
use crate::service::{ServiceError, ServiceResult};

mod ims;
mod merge;
mod office;
mod photos;

use merge::*;
use office::*;
use photos::*;

pub use crate::service::photos::MAX_PHOTO_BYTES;
/// Largest sync request body.
pub const MAX_SYNC_BYTES: usize = 64 * 1024 * 1024;
/// Largest photo chunk in one request.
pub const MAX_CHUNK_BYTES: usize = 8 * 1024 * 1024;
/// How long a device token lives.
pub const TOKEN_DAYS: i64 = 180;

/// The routes under `/api/` (the device token is checked by [`require_device`] around them).
pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
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
        .route("/photos/status", post(photo_statuses))
        .route(
            "/photos/batch",
            post(photo_batch).layer(DefaultBodyLimit::max(sync::MAX_BATCH_BYTES + 64 * 1024)),
        )
        .route("/photos/{hash}/data", get(photo_data))
        .route("/me", get(me))
        .route("/ratings", post(ims::open_rating))
        .route("/ratings/overrides", post(ims::override_gate))
        .route("/ratings/certificates", post(ims::record_certificate))
        .route("/ratings/{id}", get(ims::rating))
        .route("/ratings/{id}/days", post(ims::announce_day))
        .route("/ratings/{id}/replacements", post(ims::replace))
        .route("/ratings/{id}/reveal", post(ims::reveal))
        .route(
            "/lab-results",
            post(import_lab).layer(DefaultBodyLimit::max(MAX_SYNC_BYTES)),
        )
        .route("/lab-results/entry", post(enter_lab))
        .route("/actions", post(add_action))
        .route("/actions/overdue", get(overdue_actions))
        .route("/actions/{id}/complete", post(complete_action))
}

/// Authenticates the device token of every `/api/` request.
pub(super) async fn require_device(
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
        return ServiceError::new(
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
        Ok(Some(d)) if d.revoked => ServiceError::new(
            ErrorCode::Revoked,
            "this device was revoked; enroll it again",
        )
        .into_response(),
        Ok(Some(_)) => ServiceError::new(
            ErrorCode::Expired,
            "this device's sign-in expired; enroll it again",
        )
        .into_response(),
        Ok(None) => {
            ServiceError::new(ErrorCode::Unauthorized, "unknown device token").into_response()
        }
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

pub(super) async fn enroll(
    State(state): State<Arc<AppState>>,
    client: ClientAddr,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    let req: EnrollRequest = serde_json::from_slice(&body)
        .map_err(|e| ServiceError::bad_request(format!("enrollment request: {e}")))?;
    let actor = match ActorId::try_from(req.actor.as_str()) {
        Ok(a) if req.actor.len() >= 16 && req.actor.len() <= 64 => a.to_hex_string(),
        _ => {
            return Err(ServiceError::bad_request(
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
            return Err(ServiceError::new(
                ErrorCode::ActorReserved,
                "this actor id is reserved by the server; the device must use its own",
            ));
        }
        if db::actor_taken(&conn, &req.actor)? {
            return Err(ServiceError::new(
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
