//! Sampling surveillance authority over HTTP: an evaluator's SSO certificate, comparison
//! evaluations toward a delegation, and what the record holds (`service::sampling`).

use super::*;
use crate::service::sampling;

/// `POST /api/evaluators/{user}/sso-certificate`
pub(super) async fn sso_certificate(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let c: sampling::CertificateIn = body(&bytes, "SSO certificate")?;
    blocking(move || sampling::record_certificate(&state.db, &device, id, c))
        .await
        .map(Json)
}

/// `POST /api/evaluators/{user}/comparisons`
pub(super) async fn comparison(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let c: sampling::ComparisonIn = body(&bytes, "comparison evaluation")?;
    blocking(move || sampling::record_comparison(&state.db, &device, id, c))
        .await
        .map(Json)
}

/// `GET /api/evaluators/{user}`
pub(super) async fn evaluator(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
) -> ServiceResult<Json<Value>> {
    blocking(move || sampling::evaluator(&state.db, &device, id))
        .await
        .map(Json)
}
