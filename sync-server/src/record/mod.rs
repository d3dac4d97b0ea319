//! The agency record's registers over HTTP (`/api/...`, device token required): the facility
//! registry with permits and their dated, attributed status history; the register of approved
//! laboratories; Appendix N drug residue events and their notifications; the IMS listing
//! register with its 2359o permissions and withdrawal tasks; and the board of what is overdue
//! or breached. Rules come from `shared` (`registry`, `ledger`, `residue`, `listing`,
//! `register`, `reference`); this module checks input, scopes to the caller's agency and role,
//! and stores through `db::registry`.

use crate::api::{blocking, ApiError, ApiResult};
use crate::auth::Role;
use crate::db::{self, registry as reg, DeviceAuth};
use crate::server::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use milkshed_shared::briefcase;
use milkshed_shared::ledger::{self, Reinstatement};
use milkshed_shared::listing::{self, ListingInput, ShipperKind, Source};
use milkshed_shared::reference::Edition;
use milkshed_shared::register;
use milkshed_shared::registry::{self, FacilityKind, PermitStatus};
use milkshed_shared::residue;
use milkshed_shared::sync::ErrorCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

mod facilities;
mod listings;
mod publish;
mod residue_events;

use facilities::*;
pub use facilities::{
    add_facility_record, facility_detail, listing_warnings, FacilityInput, MAX_FACILITY_ID,
};
pub(crate) use listings::shipper_kind;
use listings::*;
pub use publish::{
    appendix_p_of, latest_appendix_p, publish_agency, publish_lab_ledger, publish_reference,
};
use residue_events::*;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/facilities", get(list_facilities).post(add_facility))
        .route("/facilities/{id}", get(facility))
        .route("/facilities/{id}/listing", post(move_to_listing))
        .route("/facilities/{id}/pounds", post(set_pounds))
        .route("/facilities/{id}/appendix-p", post(set_appendix_p))
        .route("/permits/{id}/status", post(permit_status))
        .route("/laboratories", get(list_laboratories).post(add_laboratory))
        .route("/residue-events", get(list_residue).post(add_residue))
        .route("/residue-events/{id}", get(residue_event))
        .route("/residue-events/{id}/steps", post(residue_step))
        .route("/listings", get(list_listings).post(add_listing))
        .route("/listings/{id}/events", post(listing_event))
        .route("/board", get(board))
}

fn body<T: DeserializeOwned>(bytes: &Bytes, what: &str) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("{what}: {e}")))
}

/// A text field of a request's `detail` object, trimmed; `None` when missing or blank.
fn detail_text<'a>(detail: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    detail
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn allow(device: &DeviceAuth, roles: &[Role], what: &str) -> ApiResult<()> {
    if roles.contains(&device.role) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!("your role may not {what}"),
        ))
    }
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("no such {what} in your agency"),
    )
}

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
}

fn edition_of(conn: &rusqlite::Connection, agency: &str) -> ApiResult<&'static Edition> {
    let settings = reg::agency_settings(conn, agency)?;
    Edition::builtin(&settings.reference_edition).map_err(ApiError::internal)
}

/// A change to an agency's settings (`None`: unchanged).
pub struct AgencyChange<'a> {
    pub reference_edition: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub home_state: Option<&'a str>,
    pub retention_months: Option<u32>,
}

/// Checks and applies an agency's settings: a known reference edition, an IANA time zone, a
/// State of the edition's FIPS table, retention of at least 24 months (MMSR L8240-8242).
pub fn set_agency(
    conn: &rusqlite::Connection,
    agency: &str,
    c: &AgencyChange<'_>,
) -> Result<(), String> {
    if !db::agency_exists(conn, agency).map_err(|e| e.to_string())? {
        return Err(format!("no agency {agency}"));
    }
    let edition_name = match c.reference_edition {
        Some(e) => e.to_string(),
        None => {
            reg::agency_settings(conn, agency)
                .map_err(|e| e.to_string())?
                .reference_edition
        }
    };
    let edition = Edition::builtin(&edition_name).map_err(|e| e.to_string())?;
    if let Some(z) = c.time_zone {
        if milkshed_shared::calendar::time_zone(z).is_none() {
            return Err(format!(
                "\"{z}\" is not an IANA time zone (e.g. America/Chicago)"
            ));
        }
    }
    if let Some(st) = c.home_state {
        check_state(edition, st)
            .map_err(|_| format!("\"{st}\" is not a State of the FIPS table"))?;
    }
    if let Some(m) = c.retention_months {
        if m < registry::RETENTION_MONTHS {
            return Err(format!(
                "retention is at least {} months (inspection reports, MMSR L8240-8242, L8566-8568)",
                registry::RETENTION_MONTHS
            ));
        }
    }
    reg::update_agency(
        conn,
        agency,
        c.reference_edition,
        c.retention_months,
        c.home_state,
        c.time_zone,
    )
    .map_err(|e| e.to_string())?;
    // the devices run their deadlines on the agency's calendar too
    publish_agency(conn, agency).map_err(|e| format!("{e:?}"))?;
    Ok(())
}

/// The registry's office: supervisors and administrators keep it.
const OFFICE: &[Role] = &[Role::Supervisor, Role::Admin];
/// The Rating Agency keeps the listing register: rating officers and administrators.
const RATING: &[Role] = &[Role::RatingOfficer, Role::Admin];
/// Who records drug residue events and their notifications.
const RESIDUE: &[Role] = &[Role::Sanitarian, Role::Supervisor, Role::Admin];

#[derive(Deserialize)]
struct BoardQuery {
    #[serde(default, deserialize_with = "milkshed_shared::calendar::de_opt_date")]
    today: Option<NaiveDate>,
}

/// `GET /api/board[?today=]`: everything overdue or breached in the agency (the review pages
/// show the same board).
async fn board(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    crate::api::ApiQuery(q): crate::api::ApiQuery<BoardQuery>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let conn = state.db.read()?;
        let today = match q.today {
            Some(d) => d,
            None => reg::agency_today(&conn, &device.agency_id)?,
        };
        let b = crate::board::board(&conn, &device.agency_id, today, None)?;
        Ok(Json(serde_json::to_value(b).map_err(ApiError::internal)?))
    })
    .await
}
