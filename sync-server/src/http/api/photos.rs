//! Photo upload (resumable, per device), status and download over HTTP; the work is
//! `service::photos`'s.

use super::*;
use crate::service::photos;

pub(super) async fn photo_status(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
) -> ServiceResult<Json<serde_json::Value>> {
    blocking(move || photos::status(&state.db, state.blobs.as_ref(), &device, &hash))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatusesRequest {
    hashes: Vec<String>,
}

/// `POST /api/photos/status` `{"hashes": [...]}`: the status of each photo in one round trip.
pub(super) async fn photo_statuses(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    let req: StatusesRequest = serde_json::from_slice(&body)
        .map_err(|e| ServiceError::bad_request(format!("photo status request: {e}")))?;
    blocking(move || photos::statuses(&state.db, state.blobs.as_ref(), &device, &req.hashes))
        .await
        .map(Json)
}

/// `POST /api/photos/batch` (CBOR [`milkshed_shared::sync::PhotoBatch`]): several whole photos.
pub(super) async fn photo_batch(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    let batch: milkshed_shared::sync::PhotoBatch =
        sync::decode(&body).map_err(|e| ServiceError::bad_request(format!("photo batch: {e}")))?;
    blocking(move || photos::upload_batch(&state.db, state.blobs.as_ref(), &device, batch))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UploadQuery {
    offset: u64,
    total: u64,
}

/// `PUT /api/photos/{hash}?offset=&total=`: one chunk of a resumable upload.
pub(super) async fn photo_upload(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    blocking(move || {
        photos::upload(
            &state.db,
            state.blobs.as_ref(),
            &device,
            &hash,
            q.offset,
            q.total,
            &body,
        )
    })
    .await
    .map(Json)
}

pub(super) async fn photo_data(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
) -> ServiceResult<Response> {
    let bytes =
        blocking(move || photos::data(&state.db, state.blobs.as_ref(), &device, &hash)).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
}
