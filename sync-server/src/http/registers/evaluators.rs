//! Sampling surveillance over HTTP: an evaluator's SSO certificate, comparison evaluations
//! toward a delegation, and what the record holds (`service::sampling`); the annual notice of
//! all samplers and evaluations (`service::samplers`).

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
    blocking(move || sampling::record_certificate(&state.db, &device.caller(), id, c))
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
    blocking(move || sampling::record_comparison(&state.db, &device.caller(), id, c))
        .await
        .map(Json)
}

/// `GET /api/evaluators/{user}`
pub(super) async fn evaluator(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
) -> ServiceResult<Json<Value>> {
    blocking(move || sampling::evaluator(&state.db, &device.caller(), id))
        .await
        .map(Json)
}

#[derive(serde::Deserialize)]
pub(super) struct YearIn {
    year: i32,
}

/// `GET /api/samplers/notice?year=YYYY` [supervisor, rating officer, admin]: the annual notice
/// of all samplers and all evaluations of the year (MMSR L8682-8683), as JSON.
pub(super) async fn samplers_notice(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    crate::http::ApiQuery(q): crate::http::ApiQuery<YearIn>,
) -> ServiceResult<Json<Value>> {
    use milkshed_shared::authority::Role;
    if !matches!(
        device.role,
        Role::Supervisor | Role::RatingOfficer | Role::Admin
    ) {
        return Err(crate::service::ServiceError::forbidden(
            "the annual notice is the office's: a supervisor, rating officer or administrator",
        ));
    }
    blocking(move || {
        let conn = state.db.read()?;
        let n = crate::service::samplers::annual_notice(&conn, &device.agency_id, q.year)?;
        serde_json::to_value(&n).map_err(crate::service::ServiceError::internal)
    })
    .await
    .map(Json)
}
