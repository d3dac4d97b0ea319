//! The IMS listing register: ratings with their listing decision, the 2359o and
//! withdrawal events.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceIn {
    name: String,
    listed: bool,
    sanitation_rating: u32,
    #[serde(default)]
    enforcement_history: Vec<u32>,
    #[serde(default)]
    months_enforcement_below_90: u32,
}

/// Serde: a list of range-checked dates.
pub fn de_dates<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
    let v = <Vec<String> as Deserialize>::deserialize(d)?;
    v.iter()
        .map(|s| milkshed_shared::calendar::parse_date(s).map_err(serde::de::Error::custom))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingIn {
    shipper_id: String,
    /// The rating report (FORM 2359j document) the figures come from: its sanitation
    /// compliance rating and enforcement rating are taken from the agency record, never
    /// retyped; typed figures, if given, must be the same.
    #[serde(default)]
    rating_report: Option<String>,
    #[serde(default, deserialize_with = "de_dates")]
    rating_dates: Vec<NaiveDate>,
    #[serde(default)]
    sanitation_rating: Option<u32>,
    /// Required without a rating report (a rating made on paper).
    #[serde(default)]
    enforcement_rating: Option<u32>,
    product_codes: Vec<u32>,
    #[serde(default)]
    sources: Vec<SourceIn>,
    #[serde(default)]
    haccp_marked: Vec<String>,
    #[serde(default)]
    aseptic_noncompliant: Vec<String>,
}

/// `POST /api/listings`: records a rating in the listing register. The listing decision
/// (eligibility, earliest rating date, expiry, withdrawal triggers) is `shared::listing`'s;
/// product codes are checked against the agency's reference edition, and the edition is kept
/// with the rating.
pub fn add_listing(
    db: &Db,
    server_actor: &milkshed_shared::document::automerge::ActorId,
    device: &Caller,
    mut l: ListingIn,
) -> ServiceResult<Value> {
    allow(device, RATING, "record ratings in the listing register")?;
    for (field, r) in [
        ("sanitation_rating", l.sanitation_rating),
        ("enforcement_rating", l.enforcement_rating),
    ] {
        if r.is_some_and(|r| r > 100) {
            return Err(ServiceError::bad_request(format!(
                "{field}: a rating is 0 to 100"
            )));
        }
    }
    let agency = device.agency_id.clone();
    // the report's figures from the synced documents, read before the write transaction: its
    // worksheets are computed without holding the record's write lock (a submitted report is
    // locked, so what was read is what is listed)
    let from_report = match l.rating_report.clone() {
        Some(report) => {
            let read = db.read()?;
            let shipper = reg::facility(&read, &agency, &l.shipper_id)?
                .ok_or_else(|| not_found("shipper"))?;
            Some(figures_of_report(
                &read,
                server_actor,
                &agency,
                &shipper,
                &report,
                &mut l,
            )?)
        }
        None => None,
    };
    let mut conn = db.write()?;
    let conn = conn.transaction()?;
    let shipper =
        reg::facility(&conn, &agency, &l.shipper_id)?.ok_or_else(|| not_found("shipper"))?;
    let fk =
        FacilityKind::parse(&shipper.kind).ok_or_else(|| ServiceError::internal("stored kind"))?;
    let kind = shipper_kind(fk).ok_or_else(|| {
        ServiceError::bad_request(format!(
            "{} is a {}, which is not listed",
            shipper.name, shipper.kind
        ))
    })?;
    let Some(enforcement_rating) = l.enforcement_rating else {
        return Err(ServiceError::bad_request(
            "enforcement_rating: give it, or the rating_report it comes from",
        ));
    };
    let edition_name = reg::agency_settings(&conn, &agency)?.reference_edition;
    let edition = Edition::builtin(&edition_name).map_err(ServiceError::internal)?;
    let problems = edition.check_product_codes(&l.product_codes, kind == ShipperKind::Btu);
    if l.product_codes.is_empty() || !problems.is_empty() {
        return Err(ServiceError::bad_request(format!(
            "product_codes: {}",
            if problems.is_empty() {
                "give the listed products' codes".to_string()
            } else {
                problems.join("; ")
            }
        )));
    }
    let input = ListingInput {
        kind,
        rating_dates: l.rating_dates.clone(),
        sanitation_rating: l.sanitation_rating,
        enforcement_rating,
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
    let decision = listing::decide(&input).ok_or_else(|| {
        ServiceError::bad_request("rating_dates: give the first day of each rating")
    })?;
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
    let id = reg::add_listing_rating(
        &conn,
        &agency,
        &reg::NewListingRating {
            shipper_id: &l.shipper_id,
            rating_dates: &l.rating_dates,
            sanitation_rating: l.sanitation_rating,
            enforcement_rating,
            earliest_rating_date: decision.earliest_rating_date,
            expiry: decision.expiry,
            product_codes: &l.product_codes,
            reference_edition: &edition_name,
            triggers: &triggers,
            by: device.user_id.as_str(),
        },
    )?;
    audit(
        &conn,
        device,
        "listing.rating",
        &l.shipper_id,
        format!(
            "{}: sanitation {}, enforcement {}, rated {}{}",
            shipper.name,
            l.sanitation_rating
                .map(|r| r.to_string())
                .unwrap_or_else(|| "—".into()),
            enforcement_rating,
            decision.earliest_rating_date,
            from_report
                .map(|r| format!(" (from rating report {r})"))
                .unwrap_or_default()
        ),
    )?;
    conn.commit()?;
    Ok(json!({
        "id": id,
        "eligible": decision.eligible,
        "earliest_rating_date": decision.earliest_rating_date.to_string(),
        "expiry": decision.expiry.to_string(),
        "sanitation_rating": l.sanitation_rating,
        "enforcement_rating": enforcement_rating,
        "rating_report": from_report.map(|r| r.to_string()),
        "rerating_due": register::rerating_due(decision.earliest_rating_date, enforcement_rating).map(|d| d.to_string()),
        "rerating_letter_by": (enforcement_rating < 90 || l.sanitation_rating.is_some_and(|r| r < 90))
            .then(|| register::rerating_letter_due(decision.earliest_rating_date).to_string()),
        "withdrawal_tasks": tasks,
    }))
}

/// The figures of a shipper's rating report, put into the listing `l` (issue #18: the listing
/// register takes its ratings from the rating record, never retyped): the report must be the
/// shipper's latest, signed and sent in, with Section B complete; a typed figure that differs
/// is refused.
fn figures_of_report(
    conn: &crate::db::Conn,
    server_actor: &milkshed_shared::document::automerge::ActorId,
    agency: &str,
    shipper: &reg::Facility,
    report: &str,
    l: &mut ListingIn,
) -> ServiceResult<milkshed_shared::ids::InspectionId> {
    use milkshed_shared::document::Status;
    let sheet = if FacilityKind::parse(&shipper.kind) == Some(FacilityKind::Btu) {
        crate::service::ratings::btu_2359k(conn, server_actor, agency, shipper)?
    } else {
        crate::service::ratings::plant_2359l(conn, server_actor, agency, shipper)?
    };
    let r = crate::service::ratings::rating_report(
        conn,
        server_actor,
        agency,
        shipper,
        sheet.as_ref(),
    )?
    .filter(|r| r.id.to_string() == report)
    .ok_or_else(|| {
        ServiceError::conflict(format!(
            "rating_report: {report} is not the latest rating report of {}",
            shipper.name
        ))
    })?;
    if !matches!(r.status, Status::Submitted | Status::Accepted) {
        return Err(ServiceError::conflict(format!(
            "rating_report: the report is {}; it is listed once signed and sent in",
            r.status.as_str()
        )));
    }
    let Some(figures) = r.summary.figures() else {
        return Err(ServiceError::conflict(
            "rating_report: Section B is not complete, so it has no enforcement rating",
        ));
    };
    if figures.sanitation_rating.is_none() {
        return Err(ServiceError::conflict(format!(
            "rating_report: no sanitation compliance rating of {} yet — its rating visits are signed and sent in first",
            shipper.name
        )));
    }
    for (field, typed, recorded) in [
        (
            "sanitation_rating",
            l.sanitation_rating,
            figures.sanitation_rating,
        ),
        (
            "enforcement_rating",
            l.enforcement_rating,
            Some(figures.enforcement_rating),
        ),
    ] {
        if typed.is_some() && typed != recorded {
            return Err(ServiceError::conflict(format!(
                "{field}: the rating record says {}, not {}; the listing takes it from the record",
                recorded
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into()),
                typed.map(|v| v.to_string()).unwrap_or_default()
            )));
        }
    }
    l.sanitation_rating = figures.sanitation_rating;
    l.enforcement_rating = Some(figures.enforcement_rating);
    if l.rating_dates.is_empty() {
        l.rating_dates = vec![r.rating_date];
    }
    Ok(r.id)
}

pub fn list_listings(db: &Db, device: &Caller) -> ServiceResult<Value> {
    let conn = db.read()?;
    Ok(json!({"listings": reg::listing_ratings(&conn, &device.agency_id, None)?}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingEventIn {
    /// permission_sent | permission_received | withdrawn | notified
    event: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    on: NaiveDate,
    #[serde(default)]
    detail: serde_json::Map<String, Value>,
}

/// `POST /api/listings/{id}/events`: the 2359o sent or received back signed (name, title), a
/// withdrawal, or a withdrawal's notification sent to one recipient.
pub fn listing_event(
    db: &Db,
    device: &Caller,
    id: String,
    e: ListingEventIn,
) -> ServiceResult<Value> {
    allow(device, RATING, "change the listing register")?;
    let text = |k: &str| detail_text(&e.detail, k);
    match e.event.as_str() {
        "permission_sent" | "withdrawn" => {}
        "permission_received" => {
            if text("signed_by").is_none() || text("title").is_none() {
                return Err(ServiceError::bad_request(
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
                return Err(ServiceError::bad_request(
                    "detail.recipient: shipper, fda_regional_office or receiving_states",
                ));
            }
        }
        _ => {
            return Err(ServiceError::bad_request(
                "event is permission_sent, permission_received, withdrawn or notified",
            ))
        }
    }
    let mut conn = db.write()?;
    let conn = conn.transaction()?;
    let agency = device.agency_id.clone();
    let rating = reg::listing_ratings(&conn, &agency, Some(&id))?
        .pop()
        .ok_or_else(|| not_found("listing rating"))?;
    if e.on.to_string() < rating.earliest_rating_date {
        return Err(ServiceError::bad_request("on: before the rating"));
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
        device.user_id.as_str(),
    )?;
    let rating = reg::listing_ratings(&conn, &agency, Some(&id))?
        .pop()
        .ok_or_else(|| ServiceError::internal("rating not read back"))?;
    audit(
        &conn,
        device,
        &format!("listing.{}", e.event),
        &rating.shipper_id,
        format!("{} on {}", e.event.replace('_', " "), e.on),
    )?;
    conn.commit()?;
    Ok(json!({"listing": rating}))
}
