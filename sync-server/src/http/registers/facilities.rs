//! The facility registry over HTTP: facilities with their permits and listings, moves between
//! listings, Appendix P categories, volumes, permit status changes, and the laboratories.

use super::*;

/// `POST /api/facilities`: a farm, shipper or hauler with its permit; a farm's listing.
pub(super) async fn add_facility(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let f = FacilityInput(body::<crate::service::registry::FacilityIn>(
        &bytes, "facility",
    )?);
    blocking(move || svc::add_facility(&state.db, &device.caller(), f))
        .await
        .map(Json)
}

pub(super) async fn list_facilities(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
) -> ServiceResult<Json<Value>> {
    blocking(move || svc::list_facilities(&state.db, &device.caller()))
        .await
        .map(Json)
}

pub(super) async fn facility(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
) -> ServiceResult<Json<Value>> {
    blocking(move || svc::facility(&state.db, &device.caller(), id))
        .await
        .map(Json)
}

/// `POST /api/facilities/{farm}/listing`: the farm now ships in another listing; it leaves the
/// one it was in (a farm is in one listing only).
pub(super) async fn move_to_listing(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let m: svc::ListingMoveIn = body(&bytes, "listing")?;
    blocking(move || svc::move_to_listing(&state.db, &device.caller(), id, m))
        .await
        .map(Json)
}

/// `POST /api/facilities/{farm}/appendix-p`: the farm's performance-based category from its
/// quarterly re-categorization (MMSR L868-881).
pub(super) async fn set_appendix_p(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let p: svc::AppendixPIn = body(&bytes, "Appendix P category")?;
    blocking(move || svc::set_appendix_p(&state.db, &device.caller(), id, p))
        .await
        .map(Json)
}

pub(super) async fn set_pounds(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let p: svc::PoundsIn = body(&bytes, "pounds")?;
    blocking(move || svc::set_pounds(&state.db, &device.caller(), id, p))
        .await
        .map(Json)
}

/// `POST /api/permits/{id}/status`: a dated, attributed status change, checked against the
/// permit's current status; reinstatement after a lab suspension is checked against the
/// reinstating accelerated samples in the lab ledger.
pub(super) async fn permit_status(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let s: svc::PermitStatusIn = body(&bytes, "status")?;
    blocking(move || svc::permit_status(&state.db, &device.caller(), id, s))
        .await
        .map(Json)
}

/// `POST /api/laboratories`: records a laboratory's approval (a new record each time; the
/// latest counts).
pub(super) async fn add_laboratory(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let l: svc::LaboratoryIn = body(&bytes, "laboratory")?;
    blocking(move || svc::add_laboratory(&state.db, &device.caller(), l))
        .await
        .map(Json)
}

pub(super) async fn list_laboratories(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
) -> ServiceResult<Json<Value>> {
    blocking(move || svc::list_laboratories(&state.db, &device.caller()))
        .await
        .map(Json)
}
