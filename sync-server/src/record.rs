//! The agency record's registers over HTTP (`/api/...`, device token required): the facility
//! registry with permits and their dated, attributed status history; the register of approved
//! laboratories; Appendix N drug residue events and their notifications; the IMS listing
//! register with its 2359o permissions and withdrawal tasks; and the board of what is overdue
//! or breached. Rules come from `shared` (`registry`, `ledger`, `residue`, `listing`,
//! `register`, `reference`); this module checks input, scopes to the caller's agency and role,
//! and stores through `db::registry`.

use std::sync::Arc;

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

use crate::api::{blocking, ApiError, ApiResult};
use crate::auth::Role;
use crate::db::{self, registry as reg, DeviceAuth};
use crate::server::AppState;

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
    Ok(())
}

/// The registry's office: supervisors and administrators keep it.
const OFFICE: &[Role] = &[Role::Supervisor, Role::Admin];
/// The Rating Agency keeps the listing register: rating officers and administrators.
const RATING: &[Role] = &[Role::RatingOfficer, Role::Admin];
/// Who records drug residue events and their notifications.
const RESIDUE: &[Role] = &[Role::Sanitarian, Role::Supervisor, Role::Admin];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PermitIn {
    number: String,
    /// Two-letter State of the issuing agency (a hauler may hold another State's permit).
    #[serde(default)]
    issuing_state: Option<String>,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    issued_on: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FacilityIn {
    #[serde(default)]
    id: Option<String>,
    kind: String,
    name: String,
    #[serde(default)]
    number: Option<String>,
    #[serde(default)]
    permit_state: Option<String>,
    #[serde(default)]
    pounds_daily: Option<i64>,
    #[serde(default)]
    permit: Option<PermitIn>,
    /// The BTU or plant a farm ships in.
    #[serde(default)]
    listing: Option<String>,
    #[serde(default, deserialize_with = "milkshed_shared::calendar::de_opt_date")]
    last_inspection: Option<NaiveDate>,
}

fn check_state(edition: &Edition, state: &str) -> ApiResult<()> {
    if edition.fips.iter().any(|f| f.state == state) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "\"{state}\" is not a State of the IMS List's FIPS table"
        )))
    }
}

/// The farms of a listing as `(id, pounds)`, and the producers at 40 % or more.
fn forty_percent(conn: &rusqlite::Connection, shipper: &str) -> ApiResult<Vec<String>> {
    let farms: Vec<(String, u64)> = reg::members(conn, shipper)?
        .into_iter()
        .map(|f| (f.id, f.pounds_daily.unwrap_or(0).max(0) as u64))
        .collect();
    Ok(registry::forty_percent_warning(&farms)
        .into_iter()
        .map(str::to_string)
        .collect())
}

fn warnings_for(conn: &rusqlite::Connection, shipper: Option<&str>) -> ApiResult<Vec<String>> {
    let Some(shipper) = shipper else {
        return Ok(Vec::new());
    };
    Ok(forty_percent(conn, shipper)?
        .into_iter()
        .map(|f| format!("producer {f} ships 40 % or more of the listing's volume: rate it as its own BTU before the draw (MMSR L276-279)"))
        .collect())
}

/// Keeps the devices' reference data in step with the registry and the synced inspections (the
/// work list reads it): called after every registry write and every stored inspection.
pub fn publish_reference(conn: &rusqlite::Connection, agency: &str, id: &str) -> ApiResult<()> {
    let Some(f) = reg::facility(conn, agency, id)? else {
        return Ok(());
    };
    let permit = reg::permits_of(conn, id)?.pop();
    // the facts the board's rule reads: the latest of the synced inspections and the recorded
    // ones, counted from the registration when there is none
    let recorded = reg::facility_events(conn, id)?
        .into_iter()
        .filter(|e| e.event == "inspected")
        .filter_map(|e| {
            e.effective_on
                .get(..10)
                .and_then(|d| d.parse::<NaiveDate>().ok())
        })
        .max();
    let synced = reg::last_inspections(conn, agency, Some(id))?
        .into_iter()
        .map(|(_, d)| d)
        .max();
    let appendix_p = latest_appendix_p(conn, id)?;
    let listing_name = match &f.listing {
        Some(s) => reg::facility(conn, agency, s)?.map(|s| s.name),
        None => None,
    };
    let table = match FacilityKind::parse(&f.kind) {
        Some(FacilityKind::DairyFarm) => briefcase::FARMS,
        Some(FacilityKind::Hauler) => briefcase::HAULERS,
        Some(FacilityKind::Btu) | None => return Ok(()),
        Some(_) => briefcase::PLANTS,
    };
    let record = briefcase::FacilityRecord {
        id: f.id.clone(),
        name: f.name.clone(),
        kind: f.kind.clone(),
        producer_number: f.number.clone().filter(|_| table == briefcase::FARMS),
        permit: permit.as_ref().map(|p| p.number.clone()),
        permit_status: permit.as_ref().map(|p| p.status.clone()),
        permit_state: Some(f.permit_state.clone()).filter(|s| !s.is_empty()),
        pounds_sold_daily: f.pounds_daily,
        btu: listing_name,
        last_inspection: synced.max(recorded),
        registered_on: f.created_at.get(..10).and_then(|d| d.parse().ok()),
        appendix_p: appendix_p.map(|(c, _)| c),
        recategorized_on: appendix_p.map(|(_, d)| d),
        // Appendix N: held while any positive has no negative after it
        shipping_hold: reg::residue_events(conn, agency, None)?
            .iter()
            .filter(|e| e.producer_id == f.id)
            .map(reg::residue_rule_view)
            .collect::<Result<Vec<_>, _>>()?
            .iter()
            .any(|e| !e.may_ship()),
        open_actions: db::open_actions(conn, agency, &f.id)?
            .into_iter()
            .map(|(kind, issued_on, due_on)| briefcase::OpenAction {
                kind,
                issued_on,
                due_on,
            })
            .collect(),
    };
    let data = serde_json::to_value(&record).map_err(ApiError::internal)?;
    db::put_reference(conn, agency, table, id, &data)?;
    Ok(())
}

/// The lab standards a farm's ledger is judged on.
const LAB_STANDARDS: [&str; 4] = ["bacteria", "somatic_cells", "temperature", "drug_residue"];

/// Publishes a farm's lab ledger to the devices: the last five daily results of each standard
/// as `(date, over)`, which the work list judges with `shared::ledger::action_after`, the rule
/// the board applies. Called after every lab import.
pub fn publish_lab_ledger(
    conn: &rusqlite::Connection,
    agency: &str,
    subject: &str,
) -> ApiResult<()> {
    let mut ledger = briefcase::LabLedgerRecord {
        farm: subject.to_string(),
        ..Default::default()
    };
    for standard in LAB_STANDARDS {
        let history = db::lab_history(conn, agency, subject, standard)?;
        if history.is_empty() {
            continue;
        }
        let skip = history.len().saturating_sub(5);
        let last = history[skip..]
            .iter()
            .map(|(date, over)| briefcase::LabPoint {
                date: *date,
                over: *over,
            })
            .collect();
        ledger.series.insert(standard.to_string(), last);
    }
    let data = serde_json::to_value(&ledger).map_err(ApiError::internal)?;
    db::put_reference(conn, agency, briefcase::LAB_LEDGERS, subject, &data)?;
    Ok(())
}

/// Adds a facility to the registry (with its permit and listing), in one transaction.
pub fn add_facility_record(
    conn: &mut rusqlite::Connection,
    agency: &str,
    by: &str,
    f: &FacilityInput,
) -> ApiResult<(String, Vec<String>)> {
    let FacilityInput(f) = f;
    if let Some(id) = &f.id {
        check_facility_id(id)?;
    }
    let kind = FacilityKind::parse(&f.kind).ok_or_else(|| {
        ApiError::bad_request(format!(
            "kind is one of {}",
            FacilityKind::ALL.map(|k| k.as_str()).join(", ")
        ))
    })?;
    if f.name.trim().is_empty() {
        return Err(ApiError::bad_request("name: give the facility's name"));
    }
    if kind.is_shipper() && f.name.chars().count() > 34 {
        return Err(ApiError::bad_request(
            "name: a listed shipper's name is at most 34 characters with spaces (FORM 2359i, MMSR L2297-2298)",
        ));
    }
    if kind == FacilityKind::DairyFarm && f.number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "number: a dairy farm needs its producer number",
        ));
    }
    if kind.is_shipper() && kind != FacilityKind::Btu {
        if let Some(n) = &f.number {
            if n.len() > 5 || !n.chars().all(|c| c.is_ascii_digit()) {
                return Err(ApiError::bad_request(
                    "number: the IMS Plant/BTU number is at most 5 digits (MMSR L2299)",
                ));
            }
        }
    }
    if f.pounds_daily.is_some_and(|p| p < 0) {
        return Err(ApiError::bad_request("pounds_daily: not negative"));
    }
    let edition = edition_of(conn, agency)?;
    let home = reg::agency_settings(conn, agency)?.home_state;
    let state = f
        .permit_state
        .as_deref()
        .or(home.as_deref())
        .ok_or_else(|| {
            ApiError::bad_request(
                "permit_state: give the permitting State (the agency has no home State set)",
            )
        })?
        .to_string();
    let state = state.as_str();
    check_state(edition, state)?;
    let tx = conn.transaction()?;
    if let Some(id) = &f.id {
        // ids are unique across the record: one taken by another agency is refused the same
        // way, and says nothing of whose it is
        if reg::facility_id_taken(&tx, id)? {
            return Err(conflict(format!(
                "facility id {id} is already in use; choose another"
            )));
        }
    }
    if let Some(shipper) = &f.listing {
        if kind != FacilityKind::DairyFarm {
            return Err(ApiError::bad_request(
                "listing: only a dairy farm ships in a listing",
            ));
        }
        let s = reg::facility(&tx, agency, shipper)?.ok_or_else(|| not_found("listing"))?;
        if !FacilityKind::parse(&s.kind).is_some_and(FacilityKind::takes_farms) {
            return Err(ApiError::bad_request(format!(
                "listing: {} is a {}, which has no farms of its own",
                s.name, s.kind
            )));
        }
    }
    let id = {
        let new = reg::NewFacility {
            kind: kind.as_str(),
            name: f.name.trim(),
            number: f.number.as_deref(),
            permit_state: state,
            pounds_daily: f.pounds_daily,
            by,
        };
        reg::add_facility(&tx, agency, f.id.as_deref(), &new)?
    };
    if let Some(p) = &f.permit {
        let issuing = p.issuing_state.as_deref().unwrap_or(state);
        check_state(edition, issuing)?;
        if reg::permit_number_taken(&tx, agency, issuing, &p.number)? {
            return Err(conflict(format!(
                "permit {} of {issuing} is already in the registry",
                p.number
            )));
        }
        let pid = reg::add_permit(&tx, agency, &id, &p.number, issuing)?;
        reg::add_permit_event(&tx, &pid, "issued", p.issued_on, "permit issued", by)?;
    }
    if let Some(shipper) = &f.listing {
        let today = reg::agency_today(&tx, agency)?;
        reg::set_listing(&tx, agency, &id, shipper, today, by)?;
    }
    if let Some(d) = f.last_inspection {
        reg::add_facility_event(&tx, &id, "inspected", None, d, by)?;
    }
    publish_reference(&tx, agency, &id)?;
    let warnings = warnings_for(&tx, f.listing.as_deref())?;
    tx.commit()?;
    Ok((id, warnings))
}

/// A facility as submitted (opaque outside this module; the demo builds it from JSON).
pub struct FacilityInput(FacilityIn);

impl FacilityInput {
    pub fn from_json(v: &Value) -> Result<FacilityInput, String> {
        serde_json::from_value(v.clone())
            .map(FacilityInput)
            .map_err(|e| e.to_string())
    }
}

/// Longest facility id.
pub const MAX_FACILITY_ID: usize = 64;

/// A facility id given by the office: 1 to 64 letters, digits, `.`, `_` or `-` (it appears in
/// URLs, file names and headers).
fn check_facility_id(id: &str) -> ApiResult<()> {
    if !id.is_empty()
        && id.len() <= MAX_FACILITY_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "id: 1 to {MAX_FACILITY_ID} letters, digits, '.', '_' or '-'"
        )))
    }
}

/// `POST /api/facilities`: a farm, shipper or hauler with its permit; a farm's listing.
async fn add_facility(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, OFFICE, "change the facility registry")?;
    let f = FacilityInput(body::<FacilityIn>(&bytes, "facility")?);
    blocking(move || {
        let mut conn = state.db.write()?;
        let (id, warnings) =
            add_facility_record(&mut conn, &device.agency_id, &device.user_id, &f)?;
        Ok(Json(json!({"id": id, "warnings": warnings})))
    })
    .await
}

async fn list_facilities(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let conn = state.db.read()?;
        Ok(Json(
            json!({"facilities": reg::facilities(&conn, &device.agency_id)?}),
        ))
    })
    .await
}

/// The registry's warnings about a listing's farms (the 40 % producer); none for a facility
/// with no farms.
pub fn listing_warnings(
    conn: &rusqlite::Connection,
    members: &[reg::Facility],
    id: &str,
) -> ApiResult<Vec<String>> {
    if members.is_empty() {
        Ok(Vec::new())
    } else {
        warnings_for(conn, Some(id))
    }
}

/// A facility with its history, permits, listing members and warnings.
pub fn facility_detail(conn: &rusqlite::Connection, agency: &str, id: &str) -> ApiResult<Value> {
    let f = reg::facility(conn, agency, id)?.ok_or_else(|| not_found("facility"))?;
    let members = reg::members(conn, id)?;
    let warnings = listing_warnings(conn, &members, id)?;
    Ok(json!({
        "facility": f,
        "history": reg::facility_events(conn, id)?,
        "permits": reg::permits_of(conn, id)?,
        "members": members,
        "warnings": warnings,
    }))
}

async fn facility(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let conn = state.db.read()?;
        Ok(Json(facility_detail(&conn, &device.agency_id, &id)?))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListingMoveIn {
    listing: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

/// `POST /api/facilities/{farm}/listing`: the farm now ships in another listing; it leaves the
/// one it was in (a farm is in one listing only).
async fn move_to_listing(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, OFFICE, "change the facility registry")?;
    let m: ListingMoveIn = body(&bytes, "listing")?;
    blocking(move || {
        let mut conn = state.db.write()?;
        let agency = device.agency_id.clone();
        let tx = conn.transaction()?;
        let farm = reg::facility(&tx, &agency, &id)?.ok_or_else(|| not_found("farm"))?;
        if farm.kind != FacilityKind::DairyFarm.as_str() {
            return Err(ApiError::bad_request(
                "only a dairy farm ships in a listing",
            ));
        }
        let s = reg::facility(&tx, &agency, &m.listing)?.ok_or_else(|| not_found("listing"))?;
        if !FacilityKind::parse(&s.kind).is_some_and(FacilityKind::takes_farms) {
            return Err(ApiError::bad_request(format!(
                "{} has no farms of its own",
                s.name
            )));
        }
        if farm.listing.as_deref() == Some(m.listing.as_str()) {
            return Err(conflict(format!(
                "{} already ships in {}",
                farm.name, s.name
            )));
        }
        reg::set_listing(
            &tx,
            &agency,
            &id,
            &m.listing,
            m.effective_on,
            &device.user_id,
        )?;
        publish_reference(&tx, &agency, &id)?;
        let warnings = warnings_for(&tx, Some(&m.listing))?;
        tx.commit()?;
        Ok(Json(
            json!({"id": id, "listing": m.listing, "left": farm.listing, "warnings": warnings}),
        ))
    })
    .await
}

/// A farm's Appendix P category (months) and the day it was last re-categorized.
pub fn latest_appendix_p(
    conn: &rusqlite::Connection,
    id: &str,
) -> ApiResult<Option<(u32, NaiveDate)>> {
    Ok(appendix_p_of(&reg::facility_events(conn, id)?))
}

/// The latest Appendix P categorization among a facility's events.
pub fn appendix_p_of(events: &[reg::FacilityEvent]) -> Option<(u32, NaiveDate)> {
    events
        .iter()
        .filter(|e| e.event == "appendix_p")
        .filter_map(|e| {
            Some((
                e.value.as_ref()?.parse().ok()?,
                e.effective_on.parse().ok()?,
            ))
        })
        .max_by_key(|(_, d): &(u32, NaiveDate)| *d)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppendixPIn {
    /// 12, 6, 4 or 3 months
    category: u32,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

/// `POST /api/facilities/{farm}/appendix-p`: the farm's performance-based category from its
/// quarterly re-categorization (MMSR L868-881).
async fn set_appendix_p(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, OFFICE, "change the facility registry")?;
    let p: AppendixPIn = body(&bytes, "Appendix P category")?;
    if !matches!(p.category, 12 | 6 | 4 | 3) {
        return Err(ApiError::bad_request("category: 12, 6, 4 or 3 months"));
    }
    blocking(move || {
        let mut conn = state.db.write()?;
        let agency = device.agency_id.clone();
        let tx = conn.transaction()?;
        let f = reg::facility(&tx, &agency, &id)?.ok_or_else(|| not_found("farm"))?;
        if f.kind != FacilityKind::DairyFarm.as_str() {
            return Err(ApiError::bad_request("Appendix P categorizes dairy farms"));
        }
        let v = p.category.to_string();
        reg::add_facility_event(
            &tx,
            &id,
            "appendix_p",
            Some(&v),
            p.effective_on,
            &device.user_id,
        )?;
        publish_reference(&tx, &agency, &id)?;
        tx.commit()?;
        Ok(Json(json!({"id": id, "appendix_p": p.category})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoundsIn {
    pounds_daily: i64,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

async fn set_pounds(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, OFFICE, "change the facility registry")?;
    let p: PoundsIn = body(&bytes, "pounds")?;
    if p.pounds_daily < 0 {
        return Err(ApiError::bad_request("pounds_daily: not negative"));
    }
    blocking(move || {
        let mut conn = state.db.write()?;
        let agency = device.agency_id.clone();
        let tx = conn.transaction()?;
        let f = reg::facility(&tx, &agency, &id)?.ok_or_else(|| not_found("facility"))?;
        let v = p.pounds_daily.to_string();
        reg::add_facility_event(
            &tx,
            &id,
            "pounds_daily",
            Some(&v),
            p.effective_on,
            &device.user_id,
        )?;
        publish_reference(&tx, &agency, &id)?;
        let warnings = warnings_for(&tx, f.listing.as_deref())?;
        tx.commit()?;
        Ok(Json(json!({"id": id, "warnings": warnings})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PermitStatusIn {
    status: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
    reason: String,
    /// Reinstating after a suspension for a lab standard: the standard, whose reinstating
    /// accelerated samples must allow it.
    #[serde(default)]
    lab_standard: Option<String>,
}

/// `POST /api/permits/{id}/status`: a dated, attributed status change, checked against the
/// permit's current status; reinstatement after a lab suspension is checked against the
/// reinstating accelerated samples in the lab ledger.
async fn permit_status(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, OFFICE, "change a permit's status")?;
    let s: PermitStatusIn = body(&bytes, "status")?;
    let next = PermitStatus::parse(&s.status).ok_or_else(|| {
        ApiError::bad_request(format!(
            "status is one of {}",
            PermitStatus::ALL.map(|k| k.as_str()).join(", ")
        ))
    })?;
    if s.reason.trim().is_empty() {
        return Err(ApiError::bad_request("reason: say why the status changes"));
    }
    blocking(move || {
        let mut conn = state.db.write()?;
        let agency = device.agency_id.clone();
        let tx = conn.transaction()?;
        let permit = reg::permit(&tx, &agency, &id)?.ok_or_else(|| not_found("permit"))?;
        let current = PermitStatus::parse(&permit.status)
            .ok_or_else(|| ApiError::internal(format!("permit {id} has status {}", permit.status)))?;
        if !current.may_become(next) {
            return Err(conflict(format!(
                "a {} permit cannot become {}",
                current.as_str(),
                next.as_str()
            )));
        }
        if let Some(last) = permit.history.last() {
            if s.effective_on.to_string() < last.effective_on {
                return Err(ApiError::bad_request(format!(
                    "effective_on: {} is before the permit's last change on {}",
                    s.effective_on, last.effective_on
                )));
            }
        }
        let mut reinstatement = Value::Null;
        if let (PermitStatus::Suspended, PermitStatus::Reinstated | PermitStatus::Temporary) = (current, next) {
            if let Some(standard) = &s.lab_standard {
                let suspended_on: NaiveDate = permit
                    .history
                    .iter()
                    .rev()
                    .find(|e| e.status == "suspended")
                    .and_then(|e| e.effective_on.parse().ok())
                    .ok_or_else(|| ApiError::internal("suspension without a date"))?;
                let history = db::lab_history(&tx, &agency, &permit.facility_id, standard)?;
                match ledger::reinstatement(standard, suspended_on, &history) {
                    Reinstatement::MayReinstate { reinspection_needed } => {
                        reinstatement = json!({"reinspection_needed": reinspection_needed});
                    }
                    other => {
                        let why = match other {
                            Reinstatement::AwaitingSamples => "no reinstating accelerated sample since the suspension",
                            Reinstatement::OutOfPattern => "the accelerated samples were more than 2 a week, on one day, or over more than 3 weeks (MMSR L8204-8206)",
                            _ => "the latest accelerated sample is still over the standard",
                        };
                        return Err(conflict(format!("not yet: {why}")));
                    }
                }
            }
        }
        reg::add_permit_event(&tx, &id, next.as_str(), s.effective_on, s.reason.trim(), &device.user_id)?;
        publish_reference(&tx, &agency, &permit.facility_id)?;
        tx.commit()?;
        Ok(Json(json!({
            "id": id, "status": next.as_str(), "grade_a_sale_allowed": next.grade_a_sale_allowed(),
            "reinstatement": reinstatement,
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LaboratoryIn {
    lab_number: String,
    name: String,
    classification: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    approved_until: NaiveDate,
}

/// `POST /api/laboratories`: records a laboratory's approval (a new record each time; the
/// latest counts).
async fn add_laboratory(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, OFFICE, "change the register of laboratories")?;
    let l: LaboratoryIn = body(&bytes, "laboratory")?;
    blocking(move || {
        let conn = state.db.write()?;
        let edition = edition_of(&conn, &device.agency_id)?;
        let kind = edition
            .lab_kind(&l.lab_number)
            .map_err(ApiError::bad_request)?;
        if edition.classification_usable(&l.classification).is_none() {
            return Err(ApiError::bad_request(
                "classification is F (approved), C (conditional) or N (removed)",
            ));
        }
        if l.name.trim().is_empty() {
            return Err(ApiError::bad_request("name: give the laboratory's name"));
        }
        let lab = reg::Laboratory {
            lab_number: l.lab_number,
            name: l.name.trim().to_string(),
            classification: l.classification,
            approved_until: l.approved_until.to_string(),
        };
        reg::add_laboratory(&conn, &device.agency_id, &lab, &device.user_id)?;
        Ok(Json(json!({"laboratory": lab, "kind": kind})))
    })
    .await
}

async fn list_laboratories(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let conn = state.db.read()?;
        Ok(Json(
            json!({"laboratories": reg::laboratories(&conn, &device.agency_id)?}),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResidueIn {
    producer_id: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    sampled_on: NaiveDate,
    /// Local time of the sample, HH:MM.
    time: String,
    load: bool,
    #[serde(default)]
    tanker: Option<String>,
    plant: String,
    test_method: String,
    result: String,
}

/// An event with what the rules say of it now.
fn residue_view(
    conn: &rusqlite::Connection,
    agency: &str,
    e: &reg::ResidueEvent,
    today: NaiveDate,
) -> ApiResult<Value> {
    let rule = reg::residue_rule_view(e)?;
    let all: Vec<residue::ResidueEvent> = reg::residue_events(conn, agency, None)?
        .iter()
        .map(reg::residue_rule_view)
        .collect::<Result<_, _>>()?;
    let due: Vec<&str> = rule
        .notices_due()
        .into_iter()
        .map(|n| match n {
            residue::Notice::RegulatoryAgency => "regulatory_agency",
            residue::Notice::PermitHolder => "permit_holder",
        })
        .collect();
    Ok(json!({
        "event": e,
        "notices_due": due,
        "may_ship": rule.may_ship(),
        "disposition_reported": rule.disposition_reported,
        "repeats_in_12_months": residue::repeats_in_12_months(&all, &e.producer_id, today.max(rule.sampled_on)),
    }))
}

/// `POST /api/residue-events`: a positive tanker load or producer sample. The answer lists the
/// notifications owed at once (T-N2, T-N3) and holds the producer from shipping (T-N4).
async fn add_residue(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, RESIDUE, "record drug residue events")?;
    let e: ResidueIn = body(&bytes, "drug residue event")?;
    if chrono::NaiveTime::parse_from_str(&e.time, "%H:%M").is_err() {
        return Err(ApiError::bad_request("time: the sample's time, HH:MM"));
    }
    for (field, v) in [
        ("producer_id", &e.producer_id),
        ("plant", &e.plant),
        ("test_method", &e.test_method),
        ("result", &e.result),
    ] {
        if v.trim().is_empty() {
            return Err(ApiError::bad_request(format!("{field}: required")));
        }
    }
    if e.load && e.tanker.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "tanker: a positive load names its tanker",
        ));
    }
    blocking(move || {
        let conn = state.db.write()?;
        let agency = device.agency_id.clone();
        if reg::facility(&conn, &agency, &e.producer_id)?.is_none() {
            return Err(not_found("producer"));
        }
        let id = reg::add_residue_event(
            &conn,
            &agency,
            &reg::NewResidue {
                producer_id: &e.producer_id,
                sampled_on: e.sampled_on,
                sampled_at_time: &e.time,
                load: e.load,
                tanker: e.tanker.as_deref(),
                plant: &e.plant,
                test_method: &e.test_method,
                result: &e.result,
                by: &device.user_id,
            },
        )?;
        publish_reference(&conn, &agency, &e.producer_id)?;
        let stored = reg::residue_events(&conn, &agency, Some(&id))?
            .pop()
            .ok_or_else(|| ApiError::internal("event not read back"))?;
        Ok(Json(residue_view(
            &conn,
            &agency,
            &stored,
            reg::agency_today(&conn, &agency)?,
        )?))
    })
    .await
}

async fn list_residue(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let conn = state.db.read()?;
        let today = reg::agency_today(&conn, &device.agency_id)?;
        let list: Vec<Value> = reg::residue_events(&conn, &device.agency_id, None)?
            .iter()
            .map(|e| residue_view(&conn, &device.agency_id, e, today))
            .collect::<ApiResult<_>>()?;
        Ok(Json(json!({"events": list})))
    })
    .await
}

async fn residue_event(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let conn = state.db.read()?;
        let e = reg::residue_events(&conn, &device.agency_id, Some(&id))?
            .pop()
            .ok_or_else(|| not_found("drug residue event"))?;
        Ok(Json(residue_view(
            &conn,
            &device.agency_id,
            &e,
            reg::agency_today(&conn, &device.agency_id)?,
        )?))
    })
    .await
}

/// The 11 fields of the disposition report (Procedures L171-185), less those the event holds.
const DISPOSITION_FIELDS: [&str; 5] = [
    "disposition",
    "producers",
    "confirmatory_method",
    "confirmatory_location",
    "tester",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepIn {
    /// notified | negative | disposition
    step: String,
    /// When it happened (RFC 3339 for a notification; a date for a negative result).
    at: String,
    #[serde(default)]
    detail: serde_json::Map<String, Value>,
}

/// `POST /api/residue-events/{id}/steps`: a notification made (to whom, how, when), a negative
/// result that releases the producer's hold, or the signed disposition report.
async fn residue_step(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, RESIDUE, "record drug residue events")?;
    let s: StepIn = body(&bytes, "step")?;
    let text = |k: &str| detail_text(&s.detail, k);
    let at = match s.step.as_str() {
        "notified" => {
            let party = text("party");
            if !matches!(party, Some("regulatory_agency" | "permit_holder")) {
                return Err(ApiError::bad_request(
                    "detail.party: regulatory_agency or permit_holder",
                ));
            }
            if text("how").is_none() {
                return Err(ApiError::bad_request(
                    "detail.how: how the notice was given (phone, e-mail, in person)",
                ));
            }
            chrono::DateTime::parse_from_rfc3339(&s.at)
                .map_err(|_| {
                    ApiError::bad_request("at: when the notice was given, RFC 3339 with offset")
                })?
                .to_rfc3339()
        }
        "negative" => {
            if text("test_method").is_none() {
                return Err(ApiError::bad_request(
                    "detail.test_method: the test that came back negative",
                ));
            }
            s.at.parse::<NaiveDate>()
                .map_err(|_| ApiError::bad_request("at: the negative sample's date, YYYY-MM-DD"))?
                .to_string()
        }
        "disposition" => {
            let missing: Vec<&str> = DISPOSITION_FIELDS
                .iter()
                .copied()
                .filter(|f| text(f).is_none())
                .collect();
            if !missing.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "detail: the disposition report lacks {}",
                    missing.join(", ")
                )));
            }
            if text("signed_by").is_none() {
                return Err(ApiError::bad_request(
                    "detail.signed_by: the report is signed by the responsible person",
                ));
            }
            chrono::DateTime::parse_from_rfc3339(&s.at)
                .map_err(|_| {
                    ApiError::bad_request("at: when the report was signed, RFC 3339 with offset")
                })?
                .to_rfc3339()
        }
        _ => {
            return Err(ApiError::bad_request(
                "step is notified, negative or disposition",
            ))
        }
    };
    blocking(move || {
        let conn = state.db.write()?;
        let agency = device.agency_id.clone();
        let e = reg::residue_events(&conn, &agency, Some(&id))?
            .pop()
            .ok_or_else(|| not_found("drug residue event"))?;
        if s.step == "negative" && at.as_str() <= e.sampled_on.as_str() {
            return Err(ApiError::bad_request(
                "at: a clearing sample comes after the positive",
            ));
        }
        reg::add_residue_step(
            &conn,
            &id,
            &s.step,
            &at,
            &Value::Object(s.detail),
            &device.user_id,
        )?;
        let e = reg::residue_events(&conn, &agency, Some(&id))?
            .pop()
            .ok_or_else(|| ApiError::internal("event not read back"))?;
        // a hold set or released reaches the devices' briefcase
        publish_reference(&conn, &agency, &e.producer_id)?;
        Ok(Json(residue_view(
            &conn,
            &agency,
            &e,
            reg::agency_today(&conn, &agency)?,
        )?))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceIn {
    name: String,
    listed: bool,
    sanitation_rating: u32,
    #[serde(default)]
    enforcement_history: Vec<u32>,
    #[serde(default)]
    months_enforcement_below_90: u32,
}

/// Serde: a list of range-checked dates.
fn de_dates<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
    let v = <Vec<String> as Deserialize>::deserialize(d)?;
    v.iter()
        .map(|s| milkshed_shared::calendar::parse_date(s).map_err(serde::de::Error::custom))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListingIn {
    shipper_id: String,
    #[serde(deserialize_with = "de_dates")]
    rating_dates: Vec<NaiveDate>,
    #[serde(default)]
    sanitation_rating: Option<u32>,
    enforcement_rating: u32,
    product_codes: Vec<u32>,
    #[serde(default)]
    sources: Vec<SourceIn>,
    #[serde(default)]
    haccp_marked: Vec<String>,
    #[serde(default)]
    aseptic_noncompliant: Vec<String>,
}

pub(crate) fn shipper_kind(kind: FacilityKind) -> Option<ShipperKind> {
    Some(match kind {
        FacilityKind::Btu => ShipperKind::Btu,
        FacilityKind::ReceivingStation => ShipperKind::ReceivingStation,
        FacilityKind::TransferStation => ShipperKind::TransferStation,
        FacilityKind::MilkPlant | FacilityKind::AsepticPlant | FacilityKind::CondensedDryPlant => {
            ShipperKind::MilkPlant
        }
        FacilityKind::DairyFarm | FacilityKind::Hauler => return None,
    })
}

/// `POST /api/listings`: records a rating in the listing register. The listing decision
/// (eligibility, earliest rating date, expiry, withdrawal triggers) is `shared::listing`'s;
/// product codes are checked against the agency's reference edition, and the edition is kept
/// with the rating.
async fn add_listing(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, RATING, "record ratings in the listing register")?;
    let l: ListingIn = body(&bytes, "listing")?;
    for (field, r) in [
        ("sanitation_rating", l.sanitation_rating),
        ("enforcement_rating", Some(l.enforcement_rating)),
    ] {
        if r.is_some_and(|r| r > 100) {
            return Err(ApiError::bad_request(format!(
                "{field}: a rating is 0 to 100"
            )));
        }
    }
    blocking(move || {
        let conn = state.db.write()?;
        let agency = device.agency_id.clone();
        let shipper = reg::facility(&conn, &agency, &l.shipper_id)?.ok_or_else(|| not_found("shipper"))?;
        let fk = FacilityKind::parse(&shipper.kind).ok_or_else(|| ApiError::internal("stored kind"))?;
        let kind = shipper_kind(fk)
            .ok_or_else(|| ApiError::bad_request(format!("{} is a {}, which is not listed", shipper.name, shipper.kind)))?;
        let edition_name = reg::agency_settings(&conn, &agency)?.reference_edition;
        let edition = Edition::builtin(&edition_name).map_err(ApiError::internal)?;
        let problems = edition.check_product_codes(&l.product_codes, kind == ShipperKind::Btu);
        if l.product_codes.is_empty() || !problems.is_empty() {
            return Err(ApiError::bad_request(format!(
                "product_codes: {}",
                if problems.is_empty() { "give the listed products' codes".to_string() } else { problems.join("; ") }
            )));
        }
        let input = ListingInput {
            kind,
            rating_dates: l.rating_dates.clone(),
            sanitation_rating: l.sanitation_rating,
            enforcement_rating: l.enforcement_rating,
            sources: l
                .sources
                .iter()
                .map(|s| Source {
                    name: s.name.clone(),
                    listed: s.listed,
                    sanitation_rating: s.sanitation_rating,
                    enforcement_history: s.enforcement_history.clone(),
                    months_enforcement_below_90: s.months_enforcement_below_90,
                })
                .collect(),
            haccp_marked: l.haccp_marked.clone(),
            aseptic_noncompliant: l.aseptic_noncompliant.clone(),
        };
        let decision = listing::decide(&input).ok_or_else(|| ApiError::bad_request("rating_dates: give the first day of each rating"))?;
        let today = reg::agency_today(&conn, &agency)?;
        let tasks: Vec<Value> = decision
            .triggers
            .iter()
            .map(|t| {
                let task = register::withdrawal_task(t, today);
                json!({"reason": task.reason, "mandatory": task.mandatory,
                       "notify": task.notify.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                       "letter_by": task.letter_by.to_string()})
            })
            .collect();
        let triggers = Value::Array(tasks.clone());
        let id = reg::add_listing_rating(&conn, &agency, &reg::NewListingRating {
            shipper_id: &l.shipper_id,
            rating_dates: &l.rating_dates,
            sanitation_rating: l.sanitation_rating,
            enforcement_rating: l.enforcement_rating,
            earliest_rating_date: decision.earliest_rating_date,
            expiry: decision.expiry,
            product_codes: &l.product_codes,
            reference_edition: &edition_name,
            triggers: &triggers,
            by: &device.user_id,
        })?;
        Ok(Json(json!({
            "id": id,
            "eligible": decision.eligible,
            "earliest_rating_date": decision.earliest_rating_date.to_string(),
            "expiry": decision.expiry.to_string(),
            "rerating_due": register::rerating_due(decision.earliest_rating_date, l.enforcement_rating).map(|d| d.to_string()),
            "rerating_letter_by": (l.enforcement_rating < 90 || l.sanitation_rating.is_some_and(|r| r < 90))
                .then(|| register::rerating_letter_due(decision.earliest_rating_date).to_string()),
            "withdrawal_tasks": tasks,
        })))
    })
    .await
}

async fn list_listings(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let conn = state.db.read()?;
        Ok(Json(
            json!({"listings": reg::listing_ratings(&conn, &device.agency_id, None)?}),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListingEventIn {
    /// permission_sent | permission_received | withdrawn | notified
    event: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    on: NaiveDate,
    #[serde(default)]
    detail: serde_json::Map<String, Value>,
}

/// `POST /api/listings/{id}/events`: the 2359o sent or received back signed (name, title), a
/// withdrawal, or a withdrawal's notification sent to one recipient.
async fn listing_event(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    allow(&device, RATING, "change the listing register")?;
    let e: ListingEventIn = body(&bytes, "listing event")?;
    let text = |k: &str| detail_text(&e.detail, k);
    match e.event.as_str() {
        "permission_sent" | "withdrawn" => {}
        "permission_received" => {
            if text("signed_by").is_none() || text("title").is_none() {
                return Err(ApiError::bad_request(
                    "detail: the 2359o is signed: signed_by and title",
                ));
            }
        }
        "notified" => {
            let r = text("recipient");
            if !matches!(
                r,
                Some("shipper" | "fda_regional_office" | "receiving_states")
            ) {
                return Err(ApiError::bad_request(
                    "detail.recipient: shipper, fda_regional_office or receiving_states",
                ));
            }
        }
        _ => {
            return Err(ApiError::bad_request(
                "event is permission_sent, permission_received, withdrawn or notified",
            ))
        }
    }
    blocking(move || {
        let conn = state.db.write()?;
        let agency = device.agency_id.clone();
        let rating = reg::listing_ratings(&conn, &agency, Some(&id))?
            .pop()
            .ok_or_else(|| not_found("listing rating"))?;
        if e.on.to_string() < rating.earliest_rating_date {
            return Err(ApiError::bad_request("on: before the rating"));
        }
        if e.event == "permission_received"
            && !rating.events.iter().any(|x| x.event == "permission_sent")
        {
            return Err(conflict("the 2359o was not sent yet"));
        }
        reg::add_listing_event(
            &conn,
            &id,
            &e.event,
            e.on,
            &Value::Object(e.detail),
            &device.user_id,
        )?;
        let rating = reg::listing_ratings(&conn, &agency, Some(&id))?
            .pop()
            .ok_or_else(|| ApiError::internal("rating not read back"))?;
        Ok(Json(json!({"listing": rating})))
    })
    .await
}

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
