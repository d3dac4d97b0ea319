//! The facility registry: facilities with their permits and listings, moves between
//! listings, Appendix P categories, volumes, permit status changes, and the laboratories.

use super::*;

/// `POST /api/facilities`: a farm, shipper or hauler with its permit; a farm's listing.
pub fn add_facility(db: &Db, device: &Caller, f: FacilityInput) -> ServiceResult<Value> {
    allow(device, OFFICE, "change the facility registry")?;
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let (id, warnings) = add_facility_in(&tx, &device.agency_id, device.user_id.as_str(), &f)?;
    audit(&tx, device, "facility.added", &id, f.summary())?;
    tx.commit()?;
    Ok(json!({"id": id, "warnings": warnings}))
}

pub fn list_facilities(db: &Db, device: &Caller) -> ServiceResult<Value> {
    let conn = db.read()?;
    Ok(json!({"facilities": reg::facilities(&conn, &device.agency_id)?}))
}

pub fn facility(db: &Db, device: &Caller, id: String) -> ServiceResult<Value> {
    let conn = db.read()?;
    facility_detail(&conn, &device.agency_id, &id)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingMoveIn {
    listing: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

/// `POST /api/facilities/{farm}/listing`: the farm now ships in another listing; it leaves the
/// one it was in (a farm is in one listing only).
pub fn move_to_listing(
    db: &Db,
    device: &Caller,
    id: String,
    m: ListingMoveIn,
) -> ServiceResult<Value> {
    move_farm(db, device, id, m, true)
}

impl ListingMoveIn {
    pub fn new(listing: String, effective_on: NaiveDate) -> ListingMoveIn {
        ListingMoveIn {
            listing,
            effective_on,
        }
    }
}

/// A farm's move to another listing; with `write` false, the same checks and the warnings the
/// move would raise (the 40 % producer of the listing it joins), with nothing kept.
pub fn move_farm(
    db: &Db,
    device: &Caller,
    id: String,
    m: ListingMoveIn,
    write: bool,
) -> ServiceResult<Value> {
    allow(device, OFFICE, "change the facility registry")?;
    let mut conn = db.write()?;
    let agency = device.agency_id.clone();
    let tx = conn.transaction()?;
    let farm = reg::facility(&tx, &agency, &id)?.ok_or_else(|| not_found("farm"))?;
    if farm.kind != FacilityKind::DairyFarm.as_str() {
        return Err(ServiceError::bad_request(
            "only a dairy farm ships in a listing",
        ));
    }
    let s = reg::facility(&tx, &agency, &m.listing)?.ok_or_else(|| not_found("listing"))?;
    if !FacilityKind::parse(&s.kind).is_some_and(FacilityKind::takes_farms) {
        return Err(ServiceError::bad_request(format!(
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
        device.user_id.as_str(),
    )?;
    publish_reference(&tx, &agency, &id)?;
    let warnings = warnings_for(&tx, Some(&m.listing))?;
    audit(
        &tx,
        device,
        "facility.moved",
        &id,
        format!(
            "{} moved from {} to {} effective {}",
            farm.name,
            farm.listing.as_deref().unwrap_or("no listing"),
            s.name,
            m.effective_on
        ),
    )?;
    if write {
        tx.commit()?;
    } else {
        tx.rollback()?;
    }
    Ok(
        json!({"id": id, "listing": m.listing, "left": farm.listing, "warnings": warnings, "written": write}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppendixPIn {
    /// 12, 6, 4 or 3 months
    category: u32,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

/// `POST /api/facilities/{farm}/appendix-p`: the farm's performance-based category from its
/// quarterly re-categorization (MMSR L868-881).
pub fn set_appendix_p(
    db: &Db,
    device: &Caller,
    id: String,
    p: AppendixPIn,
) -> ServiceResult<Value> {
    allow(device, OFFICE, "change the facility registry")?;
    if !matches!(p.category, 12 | 6 | 4 | 3) {
        return Err(ServiceError::bad_request("category: 12, 6, 4 or 3 months"));
    }
    let mut conn = db.write()?;
    let agency = device.agency_id.clone();
    let tx = conn.transaction()?;
    let f = reg::facility(&tx, &agency, &id)?.ok_or_else(|| not_found("farm"))?;
    if f.kind != FacilityKind::DairyFarm.as_str() {
        return Err(ServiceError::bad_request(
            "Appendix P categorizes dairy farms",
        ));
    }
    let v = p.category.to_string();
    reg::add_facility_event(
        &tx,
        &id,
        "appendix_p",
        Some(&v),
        p.effective_on,
        device.user_id.as_str(),
    )?;
    publish_reference(&tx, &agency, &id)?;
    audit(
        &tx,
        device,
        "facility.appendix_p",
        &id,
        format!(
            "{}: {} months effective {}",
            f.name, p.category, p.effective_on
        ),
    )?;
    tx.commit()?;
    Ok(json!({"id": id, "appendix_p": p.category}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoundsIn {
    pounds_daily: i64,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    effective_on: NaiveDate,
}

pub fn set_pounds(db: &Db, device: &Caller, id: String, p: PoundsIn) -> ServiceResult<Value> {
    allow(device, OFFICE, "change the facility registry")?;
    if p.pounds_daily < 0 {
        return Err(ServiceError::bad_request("pounds_daily: not negative"));
    }
    let mut conn = db.write()?;
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
        device.user_id.as_str(),
    )?;
    publish_reference(&tx, &agency, &id)?;
    let warnings = warnings_for(&tx, f.listing.as_deref())?;
    audit(
        &tx,
        device,
        "facility.pounds",
        &id,
        format!(
            "{}: {} lb daily effective {}",
            f.name, p.pounds_daily, p.effective_on
        ),
    )?;
    tx.commit()?;
    Ok(json!({"id": id, "warnings": warnings}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermitStatusIn {
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
pub fn permit_status(
    db: &Db,
    device: &Caller,
    id: String,
    s: PermitStatusIn,
) -> ServiceResult<Value> {
    allow(device, OFFICE, "change a permit's status")?;
    let next = PermitStatus::parse(&s.status).ok_or_else(|| {
        ServiceError::bad_request(format!(
            "status is one of {}",
            PermitStatus::ALL.map(|k| k.as_str()).join(", ")
        ))
    })?;
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let answer = change_permit_in(
        &tx,
        device,
        &id,
        next,
        s.effective_on,
        &s.reason,
        s.lab_standard.as_deref(),
    )?;
    tx.commit()?;
    Ok(answer)
}

/// A permit's status change in the caller's transaction (the status form and an enforcement
/// action that suspends, reinstates, issues a temporary permit or revokes share it): checked
/// against the permit's current status and its last change; reinstatement after a lab
/// suspension against the reinstating accelerated samples in the lab ledger.
pub fn change_permit_in(
    tx: &crate::db::Tx<'_>,
    device: &Caller,
    id: &str,
    next: PermitStatus,
    effective_on: NaiveDate,
    reason: &str,
    lab_standard: Option<&str>,
) -> ServiceResult<Value> {
    if reason.trim().is_empty() {
        return Err(ServiceError::bad_request(
            "reason: say why the status changes",
        ));
    }
    let agency = device.agency_id.clone();
    let permit = reg::permit(tx, &agency, id)?.ok_or_else(|| not_found("permit"))?;
    let current = PermitStatus::parse(&permit.status).ok_or_else(|| {
        ServiceError::internal(format!("permit {id} has status {}", permit.status))
    })?;
    if !current.may_become(next) {
        return Err(conflict(format!(
            "a {} permit cannot become {}",
            current.as_str(),
            next.as_str()
        )));
    }
    if let Some(last) = permit.history.last() {
        if effective_on.to_string() < last.effective_on {
            return Err(ServiceError::bad_request(format!(
                "effective_on: {} is before the permit's last change on {}",
                effective_on, last.effective_on
            )));
        }
    }
    let mut reinstatement = Value::Null;
    if let (PermitStatus::Suspended, PermitStatus::Reinstated | PermitStatus::Temporary) =
        (current, next)
    {
        if let Some(standard) = lab_standard {
            let suspended_on: NaiveDate = permit
                .history
                .iter()
                .rev()
                .find(|e| e.status == "suspended")
                .and_then(|e| e.effective_on.parse().ok())
                .ok_or_else(|| ServiceError::internal("suspension without a date"))?;
            let history = crate::service::lab::history(tx, &agency, &permit.facility_id, standard)?;
            match ledger::reinstatement(standard, suspended_on, &history) {
                Reinstatement::MayReinstate {
                    reinspection_needed,
                } => {
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
    reg::add_permit_event(
        tx,
        id,
        next.as_str(),
        effective_on,
        reason.trim(),
        device.user_id.as_str(),
    )?;
    publish_reference(tx, &agency, &permit.facility_id)?;
    audit(
        tx,
        device,
        "permit.status",
        &permit.facility_id,
        format!(
            "permit {} {} → {} effective {}: {}",
            permit.number,
            current.as_str(),
            next.as_str(),
            effective_on,
            reason.trim()
        ),
    )?;
    Ok(json!({
        "id": id, "status": next.as_str(), "grade_a_sale_allowed": next.grade_a_sale_allowed(),
        "reinstatement": reinstatement,
    }))
}

/// The permit holder's e-mail address (a dated facility event; the latest counts): where the
/// approved letters of its enforcement actions go unless an action names another.
pub fn set_contact_email(
    db: &Db,
    device: &Caller,
    id: &str,
    email: Option<&str>,
) -> ServiceResult<()> {
    allow(device, OFFICE, "change the facility registry")?;
    if let Some(e) = email {
        crate::service::outbox::check_address(e).map_err(ServiceError::bad_request)?;
    }
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let agency = device.agency_id.clone();
    let f = reg::facility(&tx, &agency, id)?.ok_or_else(|| not_found("facility"))?;
    let today = reg::agency_today(&tx, &agency)?;
    let email = email.map(str::trim);
    reg::add_facility_event(
        &tx,
        id,
        "contact_email",
        email,
        today,
        device.user_id.as_str(),
    )?;
    audit(
        &tx,
        device,
        "facility.contact_email",
        id,
        format!("{}: letters to {}", f.name, email.unwrap_or("nobody")),
    )?;
    tx.commit()?;
    Ok(())
}

/// A facility's new name (a dated event, the old name kept in its history; inspections keep the
/// name they were made under).
pub fn rename(db: &Db, device: &Caller, id: &str, name: &str) -> ServiceResult<()> {
    allow(device, OFFICE, "change the facility registry")?;
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let agency = device.agency_id.clone();
    let f = reg::facility(&tx, &agency, id)?.ok_or_else(|| not_found("facility"))?;
    let kind = FacilityKind::parse(&f.kind).ok_or_else(|| ServiceError::internal("stored kind"))?;
    check_name(kind, name)?;
    let name = name.trim();
    if name == f.name {
        return Err(conflict(format!("{} is named so already", f.name)));
    }
    let today = reg::agency_today(&tx, &agency)?;
    reg::add_facility_event(
        &tx,
        id,
        "renamed",
        Some(name),
        today,
        device.user_id.as_str(),
    )?;
    publish_reference(&tx, &agency, id)?;
    audit(
        &tx,
        device,
        "facility.renamed",
        id,
        format!("{} → {name}", f.name),
    )?;
    tx.commit()?;
    Ok(())
}

/// The permit holder's e-mail address, if the registry has one.
pub fn contact_email(conn: &crate::db::Conn, id: &str) -> ServiceResult<Option<String>> {
    Ok(reg::facility_events(conn, id)?
        .into_iter()
        .filter(|e| e.event == "contact_email")
        .max_by(|a, b| a.recorded_at.cmp(&b.recorded_at))
        .and_then(|e| e.value)
        .filter(|v| !v.is_empty()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaboratoryIn {
    lab_number: String,
    name: String,
    classification: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    approved_until: NaiveDate,
}

/// `POST /api/laboratories`: records a laboratory's approval (a new record each time; the
/// latest counts).
pub fn add_laboratory(db: &Db, device: &Caller, l: LaboratoryIn) -> ServiceResult<Value> {
    allow(device, OFFICE, "change the register of laboratories")?;
    let mut conn = db.write()?;
    let conn = conn.transaction()?;
    let edition = edition_of(&conn, &device.agency_id)?;
    let kind = edition
        .lab_kind(&l.lab_number)
        .map_err(ServiceError::bad_request)?;
    if edition.classification_usable(&l.classification).is_none() {
        return Err(ServiceError::bad_request(
            "classification is F (approved), C (conditional) or N (removed)",
        ));
    }
    if l.name.trim().is_empty() {
        return Err(ServiceError::bad_request(
            "name: give the laboratory's name",
        ));
    }
    let lab = reg::Laboratory {
        lab_number: l.lab_number,
        name: l.name.trim().to_string(),
        classification: l.classification,
        approved_until: l.approved_until.to_string(),
    };
    reg::add_laboratory(&conn, &device.agency_id, &lab, device.user_id.as_str())?;
    audit(
        &conn,
        device,
        "laboratory.approval",
        &lab.lab_number,
        format!(
            "{} classified {} until {}",
            lab.name, lab.classification, lab.approved_until
        ),
    )?;
    conn.commit()?;
    Ok(json!({"laboratory": lab, "kind": kind}))
}

pub fn list_laboratories(db: &Db, device: &Caller) -> ServiceResult<Value> {
    let conn = db.read()?;
    Ok(json!({"laboratories": reg::laboratories(&conn, &device.agency_id)?}))
}
