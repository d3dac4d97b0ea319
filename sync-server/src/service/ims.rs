//! The IMS rating as one auditable record (MMSR L156–336, L797–1067; NCIMS Procedures
//! L110, L446, L470): a rating officer opens a rating of a BTU or attached supply only when its
//! gates are open (or a supervisor recorded an override with a reason); opening takes the
//! producer list from the registry, applies the 40 % rule, sizes the sample by TABLE 1 and
//! fixes the draw with a seed chosen here and kept here — the device only ever sees its
//! commitment. The farms are announced one day's work at a time, replacements drawn at random
//! with their reason, and the seed revealed at the end so the draw can be checked by anyone.
//! The rules are `shared::rating::{draw, gates}`; this module gathers the facts and records.

use chrono::NaiveDate;
use milkshed_shared::authority::Role;
use milkshed_shared::rating::draw::{self, DrawMethod, Population, Producer};
use milkshed_shared::rating::gates::{self, Category, Certificate, Duty, DutyKind, Gate, LabUsed};
use milkshed_shared::registry::FacilityKind;
use milkshed_shared::sync::ErrorCode;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db::{self, ims, registry as reg, Caller, Conn, Db};
use crate::service::{audit, ServiceError, ServiceResult};

fn forbidden(message: impl Into<String>) -> ServiceError {
    ServiceError::new(ErrorCode::Forbidden, message)
}

fn not_found(what: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::NotFound,
        format!("no such {what} in your agency"),
    )
}

fn supervisor(caller: &Caller, what: &str) -> ServiceResult<()> {
    if matches!(caller.role, Role::Supervisor | Role::Admin) {
        Ok(())
    } else {
        Err(forbidden(format!(
            "only a supervisor or an administrator records {what}"
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateIn {
    pub user_id: String,
    pub issued_on: NaiveDate,
    pub categories: Vec<String>,
}

/// Records a SRO certificate of qualification (Procedures L446) — a supervisor's or an
/// administrator's entry from the FDA's certificate.
pub fn record_certificate(db: &Db, caller: &Caller, c: CertificateIn) -> ServiceResult<Value> {
    supervisor(caller, "SRO certificates")?;
    if c.categories.is_empty() {
        return Err(ServiceError::bad_request(
            "categories: name at least one (dairy_farms, plants, receiving_transfer_stations)",
        ));
    }
    for cat in &c.categories {
        if Category::parse(cat).is_none() {
            return Err(ServiceError::bad_request(format!(
                "categories: {cat:?} is not one of dairy_farms, plants, receiving_transfer_stations"
            )));
        }
    }
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    if db::sampling::user_role(&tx, &caller.agency_id, &c.user_id)?.is_none() {
        return Err(not_found("user"));
    }
    let today = reg::agency_today(&tx, &caller.agency_id)?;
    if c.issued_on > today {
        return Err(ServiceError::bad_request(
            "issued_on: a certificate is recorded once it is issued",
        ));
    }
    let id = ims::add_sro_certificate(
        &tx,
        &caller.agency_id,
        &c.user_id,
        c.issued_on,
        &c.categories,
        caller.user_id.as_str(),
    )?;
    audit(
        &tx,
        caller,
        "sro_certificate",
        &c.user_id,
        format!("issued {} for {}", c.issued_on, c.categories.join(", ")),
    )?;
    tx.commit()?;
    Ok(json!({"id": id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideIn {
    pub shipper_id: String,
    pub officer_id: String,
    pub gate: String,
    pub reason: String,
}

/// A supervisor's override of a shut gate for the next rating of this shipper by this officer,
/// kept with its reason (and copied into the rating it lets open).
pub fn record_override(db: &Db, caller: &Caller, o: OverrideIn) -> ServiceResult<Value> {
    supervisor(caller, "overrides of a rating's gates")?;
    let gate = Gate::parse(&o.gate).ok_or_else(|| {
        ServiceError::bad_request(format!(
            "gate: one of {}",
            Gate::ALL.map(Gate::as_str).join(", ")
        ))
    })?;
    if o.reason.trim().chars().count() < gates::MIN_OVERRIDE_REASON {
        return Err(ServiceError::bad_request(format!(
            "reason: an override says why, in {} characters or more",
            gates::MIN_OVERRIDE_REASON
        )));
    }
    if o.officer_id == caller.user_id.as_str() {
        return Err(forbidden(
            "a supervisor does not override the gates of a rating they make themselves",
        ));
    }
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    reg::facility(&tx, &caller.agency_id, &o.shipper_id)?.ok_or_else(|| not_found("shipper"))?;
    if db::sampling::user_role(&tx, &caller.agency_id, &o.officer_id)?.is_none() {
        return Err(not_found("rating officer"));
    }
    let id = ims::add_override(
        &tx,
        &caller.agency_id,
        &o.shipper_id,
        &o.officer_id,
        gate.as_str(),
        o.reason.trim(),
        caller.user_id.as_str(),
    )?;
    audit(
        &tx,
        caller,
        "rating_override",
        &o.shipper_id,
        format!(
            "{} for {}: {}",
            gate.as_str(),
            o.officer_id,
            o.reason.trim()
        ),
    )?;
    tx.commit()?;
    Ok(json!({"id": id}))
}

/// What the gates of a rating of `shipper` by `officer` see in the record on `on`.
pub fn facts(
    conn: &Conn,
    agency: &str,
    shipper: &reg::Facility,
    officer: &str,
    on: NaiveDate,
) -> ServiceResult<gates::Facts> {
    let kind = FacilityKind::parse(&shipper.kind)
        .ok_or_else(|| ServiceError::internal(format!("facility kind {}", shipper.kind)))?;
    let members = reg::members(conn, &shipper.id)?;
    let producers: Vec<Producer> = members
        .iter()
        .map(|f| Producer {
            farm_id: f.id.clone(),
            name: f.name.clone(),
            daily_pounds: f.pounds_daily.unwrap_or(0).max(0) as u64,
        })
        .collect();
    let mut subjects: Vec<String> = members.iter().map(|f| f.id.clone()).collect();
    subjects.push(shipper.id.clone());
    // Appendix N: the positives of the shipper's producers in the last twelve months
    let year_ago = on
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    let mut residue = Vec::new();
    for farm in &subjects {
        for e in reg::residue_events_of(conn, agency, farm)? {
            let view = reg::residue_rule_view(&e)?;
            if view.sampled_on >= year_ago {
                residue.push(view);
            }
        }
    }
    // laboratories of the last six months' official results (the rating's lab window)
    let edition = crate::service::registry::edition_of(conn, agency)?;
    let register = reg::laboratories(conn, agency)?;
    let labs = ims::labs_used_since(
        conn,
        agency,
        &subjects,
        milkshed_shared::rating::lab::window_start(on),
    )?
    .into_iter()
    .map(|n| {
        let used: Option<LabUsed> = register
            .iter()
            .filter(|l| l.lab_number == n)
            .max_by(|a, b| a.approved_until.cmp(&b.approved_until))
            .map(|l| crate::service::lab::lab_used(l, edition));
        (n, used)
    })
    .collect();
    let certificate =
        ims::sro_certificate(conn, agency, officer)?.map(|(issued_on, cats)| Certificate {
            issued_on,
            categories: cats.iter().filter_map(|c| Category::parse(c)).collect(),
        });
    let mut duties: Vec<Duty> = ims::assigned_to(conn, agency, officer, &subjects)?
        .into_iter()
        .map(|subject| Duty {
            subject,
            what: DutyKind::AssignedInspector,
        })
        .collect();
    let (inspected, enforced) = ims::duties_of(conn, agency, officer, &subjects)?;
    for (subject, at) in inspected {
        if let Some(d) = crate::service::board::parse(&at) {
            duties.push(Duty {
                subject,
                what: DutyKind::Inspected { on: d },
            });
        }
    }
    for (subject, issued) in enforced {
        if let Ok(d) = issued.parse() {
            duties.push(Duty {
                subject,
                what: DutyKind::Enforced { on: d },
            });
        }
    }
    let last_rating = reg::listing_ratings(conn, agency, None)?
        .into_iter()
        .filter(|r| r.shipper_id == shipper.id)
        .filter_map(|r| r.earliest_rating_date.parse().ok())
        .max();
    Ok(gates::Facts {
        on,
        last_rating,
        residue,
        labs,
        producers,
        // the registry is the producer list, as of today
        producers_listed_on: on,
        categories: gates::categories_needed(kind, !members.is_empty()),
        certificate,
        duties,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenIn {
    pub shipper_id: String,
    #[serde(default)]
    pub method: Option<String>,
}

/// Opens a rating of a BTU or attached supply by the calling rating officer, if its gates are
/// open or overridden; fixes the population, the TABLE 1 sample and the draw.
pub fn open(db: &Db, caller: &Caller, o: OpenIn) -> ServiceResult<Value> {
    if caller.role != Role::RatingOfficer {
        return Err(forbidden("only a rating officer opens an IMS rating"));
    }
    let method = match o.method.as_deref() {
        None => DrawMethod::Shuffle,
        Some(m) => DrawMethod::parse(m).ok_or_else(|| {
            ServiceError::bad_request("method: \"shuffle\" or \"interval\" (MMSR L258-275)")
        })?,
    };
    let agency = caller.agency_id.clone();
    let officer = caller.user_id.as_str().to_string();
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    // one opening of a shipper at a time, whichever instance serves it
    tx.lock(&format!("ims rating {}", o.shipper_id))?;
    let shipper =
        reg::facility(&tx, &agency, &o.shipper_id)?.ok_or_else(|| not_found("shipper"))?;
    let on = reg::agency_today(&tx, &agency)?;
    let facts = facts(&tx, &agency, &shipper, &officer, on)?;
    let found = gates::check(&facts);
    let overrides: Vec<gates::Override> = ims::overrides(&tx, &agency, &shipper.id, &officer)?
        .into_iter()
        .filter_map(|r| {
            Some(gates::Override {
                gate: Gate::parse(&r.gate)?,
                by: r.recorded_by,
                reason: r.reason,
                at: r.recorded_at,
            })
        })
        .collect();
    let shut = gates::unresolved(&found, &overrides);
    if !shut.is_empty() {
        let list: Vec<String> = shut
            .iter()
            .map(|r| format!("{}: {}", r.gate.label(), r.message))
            .collect();
        return Err(ServiceError::new(
            ErrorCode::GateShut,
            format!("the rating cannot be opened — {}", list.join("; ")),
        ));
    }
    let population = draw::population(&facts.producers);
    let seed = u64::from_le_bytes(
        Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or([0u8; 8]),
    );
    let id = Uuid::new_v4().to_string();
    let the_draw = draw::draw(&population, method, seed);
    let sixty = ims::members_on(
        &tx,
        &shipper.id,
        milkshed_shared::calendar::minus_days(on, draw::COMPARISON_DAYS),
    )?;
    let shifting = draw::shifting(&facts.producers, &sixty);
    let row = ims::RatingRow {
        id: id.clone(),
        agency_id: agency.clone(),
        shipper_id: shipper.id.clone(),
        officer_id: officer.clone(),
        opened_on: on,
        opened_at: db::now(),
        method: method.as_str().into(),
        producers: to_json(&facts.producers),
        producers_listed_on: facts.producers_listed_on,
        shifting: to_json(&shifting),
        population: to_json(&population),
        draw: to_json(&the_draw),
        commitment: draw::commitment(&id, seed),
        seed: seed.to_string(),
        gates: to_json(&found),
        overrides: to_json(&overrides),
        seed_revealed_at: None,
    };
    ims::add_rating(&tx, &row)?;
    audit(
        &tx,
        caller,
        "rating_opened",
        &shipper.id,
        format!(
            "{} of {} producers to rate ({}), {} separated by the 40 % rule, commitment {}{}",
            the_draw.to_rate,
            population.remaining.len(),
            method.as_str(),
            population.separated.len(),
            row.commitment,
            if overrides.is_empty() {
                String::new()
            } else {
                format!(", {} gate(s) overridden", overrides.len())
            }
        ),
    )?;
    let v = view_of(&tx, &row)?;
    publish(&tx, &caller.agency_id, &id, &v)?;
    tx.commit()?;
    Ok(v)
}

/// The rating as its officer's devices get it (`briefcase::RatingRecord`): the same view the
/// officer is shown, published in the transaction that changed it.
fn publish(conn: &Conn, agency: &str, id: &str, view: &Value) -> ServiceResult<()> {
    db::put_reference(conn, agency, milkshed_shared::briefcase::RATINGS, id, view)?;
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> ServiceResult<T> {
    serde_json::from_str(s).map_err(|e| ServiceError::internal(format!("stored {what}: {e}")))
}

/// Whom a rating is visible to: the agency's supervisors and administrators, and its officer.
fn may_see(caller: &Caller, r: &ims::RatingRow) -> bool {
    matches!(caller.role, Role::Supervisor | Role::Admin) || r.officer_id == caller.user_id.as_str()
}

fn load(conn: &Conn, caller: &Caller, id: &str) -> ServiceResult<ims::RatingRow> {
    let r = ims::rating(conn, &caller.agency_id, id)?.ok_or_else(|| not_found("rating"))?;
    if !may_see(caller, &r) {
        return Err(not_found("rating"));
    }
    Ok(r)
}

/// The rating as its officer and the review pages see it: everything but the draw's order and
/// the seed until the seed is revealed, then those too, with whether they check out.
pub fn view(db: &Db, caller: &Caller, id: &str) -> ServiceResult<Value> {
    let conn = db.read()?;
    let r = load(&conn, caller, id)?;
    view_of(&conn, &r)
}

fn view_of(conn: &Conn, r: &ims::RatingRow) -> ServiceResult<Value> {
    let population: Population = parse_json("population", &r.population)?;
    let the_draw: draw::Draw = parse_json("draw", &r.draw)?;
    let days = ims::days(conn, &r.id)?;
    let replacements = ims::replacements(conn, &r.id)?;
    let names: std::collections::BTreeMap<&str, &str> = population
        .remaining
        .iter()
        .chain(&population.separated)
        .map(|p| (p.farm_id.as_str(), p.name.as_str()))
        .collect();
    let farm =
        |id: &String| json!({"id": id, "name": names.get(id.as_str()).copied().unwrap_or("")});
    let mut v = json!({
        "id": r.id,
        "shipper_id": r.shipper_id,
        "officer_id": r.officer_id,
        "opened_on": r.opened_on.to_string(),
        "method": r.method,
        "method_described": DrawMethod::parse(&r.method).map(DrawMethod::describe),
        "producers_listed_on": r.producers_listed_on.to_string(),
        "producers": parse_json::<Value>("producers", &r.producers)?,
        "shifting": parse_json::<Value>("shifting", &r.shifting)?,
        "remaining": population.remaining.len(),
        "separated": population.separated,
        "to_rate": the_draw.to_rate,
        "interval": the_draw.interval,
        "commitment": r.commitment,
        "gates": parse_json::<Value>("gates", &r.gates)?,
        "overrides": parse_json::<Value>("overrides", &r.overrides)?,
        "days": days.iter().map(|d| json!({"on": d.on.to_string(), "farms": d.farms.iter().map(farm).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "replacements": replacements,
        "announced": draw::announced(&days, &replacements).iter().map(farm).collect::<Vec<_>>(),
        "left_to_announce": the_draw.announce.len().saturating_sub(days.iter().map(|d| d.farms.len()).sum()),
        "seed": Value::Null,
    });
    if r.seed_revealed_at.is_some() {
        let seed: u64 = r
            .seed
            .parse()
            .map_err(|_| ServiceError::internal("stored seed"))?;
        v["seed"] = json!(seed.to_string());
        v["seed_revealed_at"] = json!(r.seed_revealed_at);
        v["draw"] = serde_json::to_value(&the_draw).unwrap_or_default();
        v["verified"] = json!(draw::verify(
            &r.id,
            seed,
            &r.commitment,
            &population,
            &the_draw
        ));
    }
    Ok(v)
}

fn officer_only(caller: &Caller, r: &ims::RatingRow, what: &str) -> ServiceResult<()> {
    if r.officer_id == caller.user_id.as_str() {
        Ok(())
    } else {
        Err(forbidden(format!("only the rating's officer {what}")))
    }
}

/// The shipper's latest IMS rating as `caller` may see it ([`view`]'s answer), if any: the review
/// page shows its draw beside the worksheets.
pub fn latest_of_shipper(
    conn: &Conn,
    caller: &Caller,
    shipper: &str,
) -> ServiceResult<Option<Value>> {
    for id in ims::ratings_of(conn, &caller.agency_id, Some(shipper))? {
        let Some(r) = ims::rating(conn, &caller.agency_id, &id)? else {
            continue;
        };
        if may_see(caller, &r) {
            return Ok(Some(view_of(conn, &r)?));
        }
    }
    Ok(None)
}

/// The rating whose draw its officer is changing, under the draw's lock: refused to anyone
/// else, and once the seed is revealed (the draw is closed).
fn open_draw(
    tx: &crate::db::Tx<'_>,
    caller: &Caller,
    id: &str,
    what: &str,
) -> ServiceResult<ims::RatingRow> {
    tx.lock(&format!("ims rating draw {id}"))?;
    let r = load(tx, caller, id)?;
    officer_only(caller, &r, what)?;
    if r.seed_revealed_at.is_some() {
        return Err(ServiceError::new(
            ErrorCode::Conflict,
            "the draw is closed: its seed was revealed",
        ));
    }
    Ok(r)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayIn {
    pub farms: usize,
}

/// Announces today's farms (one day's work at a time, MMSR L255–257).
pub fn announce_day(db: &Db, caller: &Caller, id: &str, d: DayIn) -> ServiceResult<Value> {
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let r = open_draw(&tx, caller, id, "announces its farms")?;
    let the_draw: draw::Draw = parse_json("draw", &r.draw)?;
    let days = ims::days(&tx, id)?;
    let on = reg::agency_today(&tx, &caller.agency_id)?;
    let day = draw::next_day(&the_draw, &days, on, d.farms)
        .map_err(|e| ServiceError::new(ErrorCode::Conflict, e.to_string()))?;
    ims::add_day(&tx, id, days.len() + 1, &day, caller.user_id.as_str())?;
    audit(
        &tx,
        caller,
        "rating_day",
        &r.shipper_id,
        format!(
            "day {} of rating {id}: {}",
            days.len() + 1,
            day.farms.join(", ")
        ),
    )?;
    let v = view_of(&tx, &r)?;
    publish(&tx, &caller.agency_id, id, &v)?;
    tx.commit()?;
    Ok(v)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceIn {
    pub farm_id: String,
    pub reason: String,
}

/// Replaces an announced farm that cannot be visited, at random, with its reason (L254–255).
pub fn replace(db: &Db, caller: &Caller, id: &str, p: ReplaceIn) -> ServiceResult<Value> {
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let r = open_draw(&tx, caller, id, "replaces its farms")?;
    let the_draw: draw::Draw = parse_json("draw", &r.draw)?;
    let days = ims::days(&tx, id)?;
    let replacements = ims::replacements(&tx, id)?;
    let on = reg::agency_today(&tx, &caller.agency_id)?;
    let rep = draw::replace(&the_draw, &days, &replacements, &p.farm_id, &p.reason, on)
        .map_err(|e| ServiceError::new(ErrorCode::Conflict, e.to_string()))?;
    ims::add_replacement(&tx, id, &rep, caller.user_id.as_str())?;
    audit(
        &tx,
        caller,
        "rating_replacement",
        &r.shipper_id,
        format!("{} replaced by {}: {}", rep.replaced, rep.by, rep.reason),
    )?;
    let v = view_of(&tx, &r)?;
    publish(&tx, &caller.agency_id, id, &v)?;
    tx.commit()?;
    Ok(v)
}

/// Reveals the seed once every farm is announced, closing the draw; from then on anyone who
/// sees the rating can recompute the draw from the population and the seed.
pub fn reveal(db: &Db, caller: &Caller, id: &str) -> ServiceResult<Value> {
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    tx.lock(&format!("ims rating draw {id}"))?;
    let r = load(&tx, caller, id)?;
    if !(r.officer_id == caller.user_id.as_str()
        || matches!(caller.role, Role::Supervisor | Role::Admin))
    {
        return Err(forbidden(
            "only the rating's officer or a supervisor closes its draw",
        ));
    }
    if r.seed_revealed_at.is_none() {
        let the_draw: draw::Draw = parse_json("draw", &r.draw)?;
        let announced: usize = ims::days(&tx, id)?.iter().map(|d| d.farms.len()).sum();
        if announced < the_draw.announce.len() {
            return Err(ServiceError::new(
                ErrorCode::Conflict,
                format!(
                    "{} farm(s) are still to be announced: the seed is revealed when the draw is complete",
                    the_draw.announce.len() - announced
                ),
            ));
        }
        ims::reveal_seed(&tx, id)?;
        audit(&tx, caller, "rating_seed_revealed", &r.shipper_id, &r.id)?;
    }
    let r = load(&tx, caller, id)?;
    let v = view_of(&tx, &r)?;
    publish(&tx, &caller.agency_id, id, &v)?;
    tx.commit()?;
    Ok(v)
}
