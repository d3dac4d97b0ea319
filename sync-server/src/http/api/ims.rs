//! The IMS rating over HTTP: open (behind its gates), announce a day, replace a farm, reveal
//! the seed; certificates and overrides. The work is `service::ims`'s.

use super::*;
use crate::service::ims;

fn body<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> ServiceResult<T> {
    serde_json::from_slice(bytes).map_err(|e| ServiceError::bad_request(format!("{what}: {e}")))
}

pub(super) async fn open_rating(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    let o: ims::OpenIn = body("rating", &bytes)?;
    blocking(move || ims::open(&state.db, &device.caller(), o))
        .await
        .map(Json)
}

pub(super) async fn override_gate(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    let o: ims::OverrideIn = body("override", &bytes)?;
    blocking(move || ims::record_override(&state.db, &device.caller(), o))
        .await
        .map(Json)
}

pub(super) async fn record_certificate(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    let c: ims::CertificateIn = body("certificate", &bytes)?;
    blocking(move || ims::record_certificate(&state.db, &device.caller(), c))
        .await
        .map(Json)
}

pub(super) async fn rating(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
) -> ServiceResult<Json<serde_json::Value>> {
    blocking(move || ims::view(&state.db, &device.caller(), &id))
        .await
        .map(Json)
}

pub(super) async fn announce_day(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    let d: ims::DayIn = body("day", &bytes)?;
    blocking(move || ims::announce_day(&state.db, &device.caller(), &id, d))
        .await
        .map(Json)
}

pub(super) async fn replace(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    let p: ims::ReplaceIn = body("replacement", &bytes)?;
    blocking(move || ims::replace(&state.db, &device.caller(), &id, p))
        .await
        .map(Json)
}

pub(super) async fn reveal(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
) -> ServiceResult<Json<serde_json::Value>> {
    blocking(move || ims::reveal(&state.db, &device.caller(), &id))
        .await
        .map(Json)
}
