//! Appendix N drug residue events over HTTP: the positive, its notifications, the clearing
//! result and the disposition report.

use super::*;

/// `POST /api/residue-events`: a positive tanker load or producer sample. The answer lists the
/// notifications owed at once (T-N2, T-N3) and holds the producer from shipping (T-N4).
pub(super) async fn add_residue(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let e: svc::ResidueIn = body(&bytes, "drug residue event")?;
    blocking(move || svc::add_residue(&state.db, &device.caller(), e))
        .await
        .map(Json)
}

pub(super) async fn list_residue(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
) -> ServiceResult<Json<Value>> {
    blocking(move || svc::list_residue(&state.db, &device.caller()))
        .await
        .map(Json)
}

pub(super) async fn residue_event(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
) -> ServiceResult<Json<Value>> {
    blocking(move || svc::residue_event(&state.db, &device.caller(), id))
        .await
        .map(Json)
}

/// `POST /api/residue-events/{id}/steps`: a notification made (to whom, how, when), a negative
/// result that releases the producer's hold, or the signed disposition report.
pub(super) async fn residue_step(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let s: svc::StepIn = body(&bytes, "step")?;
    blocking(move || svc::residue_step(&state.db, &device.caller(), id, s))
        .await
        .map(Json)
}
