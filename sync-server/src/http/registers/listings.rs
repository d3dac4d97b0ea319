//! The IMS listing register over HTTP: ratings with their listing decision, the 2359o and
//! withdrawal events.

use super::*;

/// `POST /api/listings`: records a rating in the listing register. The listing decision
/// (eligibility, earliest rating date, expiry, withdrawal triggers) is `shared::listing`'s;
/// product codes are checked against the agency's reference edition, and the edition is kept
/// with the rating.
pub(super) async fn add_listing(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let l: svc::ListingIn = body(&bytes, "listing")?;
    blocking(move || svc::add_listing(&state.db, &state.server_actor, &device.caller(), l))
        .await
        .map(Json)
}

pub(super) async fn list_listings(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
) -> ServiceResult<Json<Value>> {
    blocking(move || svc::list_listings(&state.db, &device.caller()))
        .await
        .map(Json)
}

/// `POST /api/listings/{id}/events`: the 2359o sent or received back signed (name, title), a
/// withdrawal, or a withdrawal's notification sent to one recipient.
pub(super) async fn listing_event(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ServiceResult<Json<Value>> {
    let e: svc::ListingEventIn = body(&bytes, "listing event")?;
    blocking(move || svc::listing_event(&state.db, &device.caller(), id, e))
        .await
        .map(Json)
}
