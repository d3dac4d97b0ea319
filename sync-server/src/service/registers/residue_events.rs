//! Appendix N drug residue events: the positive, its notifications, the clearing
//! result and the disposition report.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidueIn {
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
pub fn residue_view(
    conn: &crate::db::Conn,
    agency: &str,
    e: &reg::ResidueEvent,
    today: NaiveDate,
) -> ServiceResult<Value> {
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
pub fn add_residue(db: &Db, device: &Caller, e: ResidueIn) -> ServiceResult<Value> {
    allow(device, RESIDUE, "record drug residue events")?;
    if chrono::NaiveTime::parse_from_str(&e.time, "%H:%M").is_err() {
        return Err(ServiceError::bad_request("time: the sample's time, HH:MM"));
    }
    for (field, v) in [
        ("producer_id", &e.producer_id),
        ("plant", &e.plant),
        ("test_method", &e.test_method),
        ("result", &e.result),
    ] {
        if v.trim().is_empty() {
            return Err(ServiceError::bad_request(format!("{field}: required")));
        }
    }
    if e.load && e.tanker.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(ServiceError::bad_request(
            "tanker: a positive load names its tanker",
        ));
    }
    let mut conn = db.write()?;
    let conn = conn.transaction()?;
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
            by: device.user_id.as_str(),
        },
    )?;
    publish_reference(&conn, &agency, &e.producer_id)?;
    let stored = reg::residue_events(&conn, &agency, Some(&id))?
        .pop()
        .ok_or_else(|| ServiceError::internal("event not read back"))?;
    let view = residue_view(&conn, &agency, &stored, reg::agency_today(&conn, &agency)?)?;
    audit(
        &conn,
        device,
        "residue.event",
        &e.producer_id,
        format!(
            "positive {} ({}) sampled {}",
            e.result, e.test_method, e.sampled_on
        ),
    )?;
    conn.commit()?;
    Ok(view)
}

pub fn list_residue(db: &Db, device: &Caller) -> ServiceResult<Value> {
    let conn = db.read()?;
    let today = reg::agency_today(&conn, &device.agency_id)?;
    let list: Vec<Value> = reg::residue_events(&conn, &device.agency_id, None)?
        .iter()
        .map(|e| residue_view(&conn, &device.agency_id, e, today))
        .collect::<ServiceResult<_>>()?;
    Ok(json!({"events": list}))
}

pub fn residue_event(db: &Db, device: &Caller, id: String) -> ServiceResult<Value> {
    let conn = db.read()?;
    let e = reg::residue_events(&conn, &device.agency_id, Some(&id))?
        .pop()
        .ok_or_else(|| not_found("drug residue event"))?;
    residue_view(
        &conn,
        &device.agency_id,
        &e,
        reg::agency_today(&conn, &device.agency_id)?,
    )
}

/// The 11 fields of the disposition report (Procedures L171-185), less those the event holds.
pub const DISPOSITION_FIELDS: [&str; 5] = [
    "disposition",
    "producers",
    "confirmatory_method",
    "confirmatory_location",
    "tester",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepIn {
    /// notified | negative | disposition
    step: String,
    /// When it happened (RFC 3339 for a notification; a date for a negative result).
    at: String,
    #[serde(default)]
    detail: serde_json::Map<String, Value>,
}

/// `POST /api/residue-events/{id}/steps`: a notification made (to whom, how, when), a negative
/// result that releases the producer's hold, or the signed disposition report.
pub fn residue_step(db: &Db, device: &Caller, id: String, s: StepIn) -> ServiceResult<Value> {
    allow(device, RESIDUE, "record drug residue events")?;
    let text = |k: &str| detail_text(&s.detail, k);
    let at = match s.step.as_str() {
        "notified" => {
            let party = text("party");
            if !matches!(party, Some("regulatory_agency" | "permit_holder")) {
                return Err(ServiceError::bad_request(
                    "detail.party: regulatory_agency or permit_holder",
                ));
            }
            if text("how").is_none() {
                return Err(ServiceError::bad_request(
                    "detail.how: how the notice was given (phone, e-mail, in person)",
                ));
            }
            chrono::DateTime::parse_from_rfc3339(&s.at)
                .map_err(|_| {
                    ServiceError::bad_request("at: when the notice was given, RFC 3339 with offset")
                })?
                .to_rfc3339()
        }
        "negative" => {
            if text("test_method").is_none() {
                return Err(ServiceError::bad_request(
                    "detail.test_method: the test that came back negative",
                ));
            }
            s.at.parse::<NaiveDate>()
                .map_err(|_| {
                    ServiceError::bad_request("at: the negative sample's date, YYYY-MM-DD")
                })?
                .to_string()
        }
        "disposition" => {
            let missing: Vec<&str> = DISPOSITION_FIELDS
                .iter()
                .copied()
                .filter(|f| text(f).is_none())
                .collect();
            if !missing.is_empty() {
                return Err(ServiceError::bad_request(format!(
                    "detail: the disposition report lacks {}",
                    missing.join(", ")
                )));
            }
            if text("signed_by").is_none() {
                return Err(ServiceError::bad_request(
                    "detail.signed_by: the report is signed by the responsible person",
                ));
            }
            chrono::DateTime::parse_from_rfc3339(&s.at)
                .map_err(|_| {
                    ServiceError::bad_request(
                        "at: when the report was signed, RFC 3339 with offset",
                    )
                })?
                .to_rfc3339()
        }
        _ => {
            return Err(ServiceError::bad_request(
                "step is notified, negative or disposition",
            ))
        }
    };
    let mut conn = db.write()?;
    let conn = conn.transaction()?;
    let agency = device.agency_id.clone();
    let e = reg::residue_events(&conn, &agency, Some(&id))?
        .pop()
        .ok_or_else(|| not_found("drug residue event"))?;
    if s.step == "negative" && at.as_str() <= e.sampled_on.as_str() {
        return Err(ServiceError::bad_request(
            "at: a clearing sample comes after the positive",
        ));
    }
    reg::add_residue_step(
        &conn,
        &id,
        &s.step,
        &at,
        &Value::Object(s.detail),
        device.user_id.as_str(),
    )?;
    let e = reg::residue_events(&conn, &agency, Some(&id))?
        .pop()
        .ok_or_else(|| ServiceError::internal("event not read back"))?;
    // a hold set or released reaches the devices' briefcase
    publish_reference(&conn, &agency, &e.producer_id)?;
    let view = residue_view(&conn, &agency, &e, reg::agency_today(&conn, &agency)?)?;
    audit(
        &conn,
        device,
        &format!("residue.{}", s.step),
        &e.producer_id,
        format!("{} at {at}", s.step),
    )?;
    conn.commit()?;
    Ok(view)
}
