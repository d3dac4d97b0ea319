//! The facility registry's rules of entry: a facility with its permit and listing checked and
//! added in one transaction, a facility's detail, the 40 % producer warning of a listing, an
//! agency's settings. Rules come from `shared::registry`; statements from `db::registry`.

use chrono::NaiveDate;
use milkshed_shared::listing::ShipperKind;
use milkshed_shared::reference::Edition;
use milkshed_shared::registry::{self, FacilityKind};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::{self, registry as reg};
use crate::service::error::{ServiceError, ServiceResult};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermitIn {
    number: String,
    /// Two-letter State of the issuing agency (a hauler may hold another State's permit).
    #[serde(default)]
    issuing_state: Option<String>,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    issued_on: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityIn {
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

pub fn check_state(edition: &Edition, state: &str) -> ServiceResult<()> {
    if edition.fips.iter().any(|f| f.state == state) {
        Ok(())
    } else {
        Err(ServiceError::bad_request(format!(
            "\"{state}\" is not a State of the IMS List's FIPS table"
        )))
    }
}

/// The farms of a listing as `(id, pounds)`, and the producers at 40 % or more.
pub fn forty_percent(conn: &crate::db::Conn, shipper: &str) -> ServiceResult<Vec<String>> {
    let farms: Vec<(String, u64)> = reg::members(conn, shipper)?
        .into_iter()
        .map(|f| (f.id, f.pounds_daily.unwrap_or(0).max(0) as u64))
        .collect();
    Ok(registry::forty_percent_warning(&farms)
        .into_iter()
        .map(str::to_string)
        .collect())
}

pub fn warnings_for(conn: &crate::db::Conn, shipper: Option<&str>) -> ServiceResult<Vec<String>> {
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
    conn: &mut crate::db::Conn,
    agency: &str,
    by: &str,
    f: &FacilityInput,
) -> ServiceResult<(String, Vec<String>)> {
    let tx = conn.transaction()?;
    let added = add_facility_in(&tx, agency, by, f)?;
    tx.commit()?;
    Ok(added)
}

/// Adds a facility to the registry (with its permit and listing) in the caller's transaction:
/// a bulk import adds all its rows in one, or none.
pub fn add_facility_in(
    tx: &crate::db::Tx<'_>,
    agency: &str,
    by: &str,
    f: &FacilityInput,
) -> ServiceResult<(String, Vec<String>)> {
    let id = enter_facility(tx, agency, by, f)?;
    crate::service::publish::publish_reference(tx, agency, &id)?;
    let warnings = warnings_for(tx, f.0.listing.as_deref())?;
    Ok((id, warnings))
}

/// The listing a facility as submitted ships in, if any.
impl FacilityInput {
    pub fn listing(&self) -> Option<&str> {
        self.0.listing.as_deref()
    }
}

/// A facility's entry without its publication: every check, then its rows. The bulk import
/// enters every row first, then publishes what it keeps (a preview publishes nothing) and
/// computes each listing's warnings once, not once a row.
pub fn enter_facility(
    tx: &crate::db::Tx<'_>,
    agency: &str,
    by: &str,
    f: &FacilityInput,
) -> ServiceResult<String> {
    let FacilityInput(f) = f;
    if let Some(id) = &f.id {
        check_facility_id(id)?;
    }
    let kind = FacilityKind::parse(&f.kind).ok_or_else(|| {
        ServiceError::bad_request(format!(
            "kind is one of {}",
            FacilityKind::ALL.map(|k| k.as_str()).join(", ")
        ))
    })?;
    check_name(kind, &f.name)?;
    if kind == FacilityKind::DairyFarm && f.number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ServiceError::bad_request(
            "number: a dairy farm needs its producer number",
        ));
    }
    if kind.is_shipper() && kind != FacilityKind::Btu {
        if let Some(n) = &f.number {
            if n.len() > 5 || !n.chars().all(|c| c.is_ascii_digit()) {
                return Err(ServiceError::bad_request(
                    "number: the IMS Plant/BTU number is at most 5 digits (MMSR L2299)",
                ));
            }
        }
    }
    if f.pounds_daily.is_some_and(|p| p < 0) {
        return Err(ServiceError::bad_request("pounds_daily: not negative"));
    }
    let edition = edition_of(tx, agency)?;
    let home = reg::agency_settings(tx, agency)?.home_state;
    let state = f
        .permit_state
        .as_deref()
        .or(home.as_deref())
        .ok_or_else(|| {
            ServiceError::bad_request(
                "permit_state: give the permitting State (the agency has no home State set)",
            )
        })?
        .to_string();
    let state = state.as_str();
    check_state(edition, state)?;
    if let Some(id) = &f.id {
        // ids are unique across the record: one taken by another agency is refused the same
        // way, and says nothing of whose it is
        if reg::facility_id_taken(tx, id)? {
            return Err(ServiceError::conflict(format!(
                "facility id {id} is already in use; choose another"
            )));
        }
    }
    if let Some(shipper) = &f.listing {
        if kind != FacilityKind::DairyFarm {
            return Err(ServiceError::bad_request(
                "listing: only a dairy farm ships in a listing",
            ));
        }
        let s = reg::facility(tx, agency, shipper)?
            .ok_or_else(|| ServiceError::not_found("listing"))?;
        if !FacilityKind::parse(&s.kind).is_some_and(FacilityKind::takes_farms) {
            return Err(ServiceError::bad_request(format!(
                "listing: {} is a {}, which has no farms of its own",
                s.name, s.kind
            )));
        }
    }
    // every check before the first write: a refused row leaves nothing behind (a bulk import
    // goes on checking the rows after it in the same transaction)
    if let Some(p) = &f.permit {
        let issuing = p.issuing_state.as_deref().unwrap_or(state);
        check_state(edition, issuing)?;
        if p.number.trim().is_empty() {
            return Err(ServiceError::bad_request(
                "permit: give the permit's number",
            ));
        }
        if reg::permit_number_taken(tx, agency, issuing, &p.number)? {
            return Err(ServiceError::conflict(format!(
                "permit: {} of {issuing} is already in the registry",
                p.number
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
        reg::add_facility(tx, agency, f.id.as_deref(), &new)?
    };
    if let Some(p) = &f.permit {
        let issuing = p.issuing_state.as_deref().unwrap_or(state);
        let pid = reg::add_permit(tx, agency, &id, &p.number, issuing)?;
        reg::add_permit_event(tx, &pid, "issued", p.issued_on, "permit issued", by)?;
    }
    if let Some(shipper) = &f.listing {
        let today = reg::agency_today(tx, agency)?;
        reg::set_listing(tx, agency, &id, shipper, today, by)?;
    }
    if let Some(d) = f.last_inspection {
        reg::add_facility_event(tx, &id, "inspected", None, d, by)?;
    }
    Ok(id)
}

/// A facility's name as the registry takes it, at entry and at a rename: not blank; a listed
/// shipper's at most 34 characters with spaces (FORM 2359i, MMSR L2297-2298).
pub fn check_name(kind: FacilityKind, name: &str) -> ServiceResult<()> {
    if name.trim().is_empty() {
        return Err(ServiceError::bad_request("name: give the facility's name"));
    }
    if kind.is_shipper() && name.trim().chars().count() > 34 {
        return Err(ServiceError::bad_request(
            "name: a listed shipper's name is at most 34 characters with spaces (FORM 2359i, MMSR L2297-2298)",
        ));
    }
    Ok(())
}

/// A facility as submitted (opaque outside this module; the demo builds it from JSON).
pub struct FacilityInput(pub FacilityIn);

impl FacilityInput {
    /// The facility in one line, for the audit log.
    pub fn summary(&self) -> String {
        let f = &self.0;
        let mut s = format!("{} {}", f.kind.replace('_', " "), f.name.trim());
        if let Some(n) = &f.number {
            s.push_str(&format!(" ({n})"));
        }
        if let Some(p) = &f.permit {
            s.push_str(&format!(", permit {} issued {}", p.number, p.issued_on));
        }
        if let Some(l) = &f.listing {
            s.push_str(&format!(", ships in {l}"));
        }
        s
    }

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
pub fn check_facility_id(id: &str) -> ServiceResult<()> {
    if !id.is_empty()
        && id.len() <= MAX_FACILITY_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        Ok(())
    } else {
        Err(ServiceError::bad_request(format!(
            "id: 1 to {MAX_FACILITY_ID} letters, digits, '.', '_' or '-'"
        )))
    }
}

/// The registry's warnings about a listing's farms (the 40 % producer); none for a facility
/// with no farms.
pub fn listing_warnings(
    conn: &crate::db::Conn,
    members: &[reg::Facility],
    id: &str,
) -> ServiceResult<Vec<String>> {
    if members.is_empty() {
        Ok(Vec::new())
    } else {
        warnings_for(conn, Some(id))
    }
}

/// A facility with its history, permits, listing members and warnings.
pub fn facility_detail(conn: &crate::db::Conn, agency: &str, id: &str) -> ServiceResult<Value> {
    let f = reg::facility(conn, agency, id)?.ok_or_else(|| ServiceError::not_found("facility"))?;
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

pub fn edition_of(conn: &crate::db::Conn, agency: &str) -> ServiceResult<&'static Edition> {
    let settings = reg::agency_settings(conn, agency)?;
    Edition::builtin(&settings.reference_edition).map_err(ServiceError::internal)
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
    conn: &crate::db::Conn,
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
    crate::service::publish::publish_agency(conn, agency).map_err(|e| format!("{e:?}"))?;
    Ok(())
}

pub fn shipper_kind(kind: FacilityKind) -> Option<ShipperKind> {
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
