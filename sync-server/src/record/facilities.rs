//! The facility registry over HTTP: facilities with their permits and listings, moves between
//! listings, Appendix P categories, volumes, permit status changes, and the laboratories.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PermitIn {
    number: String,
    /// Two-letter State of the issuing agency (a hauler may hold another State's permit).
    #[serde(default)]
    issuing_state: Option<String>,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    issued_on: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FacilityIn {
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

pub(super) fn check_state(edition: &Edition, state: &str) -> ApiResult<()> {
    if edition.fips.iter().any(|f| f.state == state) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "\"{state}\" is not a State of the IMS List's FIPS table"
        )))
    }
}

/// The farms of a listing as `(id, pounds)`, and the producers at 40 % or more.
pub(super) fn forty_percent(conn: &rusqlite::Connection, shipper: &str) -> ApiResult<Vec<String>> {
    let farms: Vec<(String, u64)> = reg::members(conn, shipper)?
        .into_iter()
        .map(|f| (f.id, f.pounds_daily.unwrap_or(0).max(0) as u64))
        .collect();
    Ok(registry::forty_percent_warning(&farms)
        .into_iter()
        .map(str::to_string)
        .collect())
}

pub(super) fn warnings_for(
    conn: &rusqlite::Connection,
    shipper: Option<&str>,
) -> ApiResult<Vec<String>> {
    let Some(shipper) = shipper else {
        return Ok(Vec::new());
    };
    Ok(forty_percent(conn, shipper)?
        .into_iter()
        .map(|f| format!("producer {f} ships 40 % or more of the listing's volume: rate it as its own BTU before the draw (MMSR L276-279)"))
        .collect())
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
pub(super) fn check_facility_id(id: &str) -> ApiResult<()> {
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
pub(super) async fn add_facility(
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

pub(super) async fn list_facilities(
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

pub(super) async fn facility(
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
pub(super) struct ListingMoveIn {
    listing: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

/// `POST /api/facilities/{farm}/listing`: the farm now ships in another listing; it leaves the
/// one it was in (a farm is in one listing only).
pub(super) async fn move_to_listing(
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AppendixPIn {
    /// 12, 6, 4 or 3 months
    category: u32,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

/// `POST /api/facilities/{farm}/appendix-p`: the farm's performance-based category from its
/// quarterly re-categorization (MMSR L868-881).
pub(super) async fn set_appendix_p(
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
pub(super) struct PoundsIn {
    pounds_daily: i64,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

pub(super) async fn set_pounds(
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
pub(super) struct PermitStatusIn {
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
pub(super) async fn permit_status(
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
pub(super) struct LaboratoryIn {
    lab_number: String,
    name: String,
    classification: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    approved_until: NaiveDate,
}

/// `POST /api/laboratories`: records a laboratory's approval (a new record each time; the
/// latest counts).
pub(super) async fn add_laboratory(
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

pub(super) async fn list_laboratories(
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
