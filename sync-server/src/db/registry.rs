//! The agency record's registers in SQLite: facilities and their history, permits and their
//! status events, laboratories, Appendix N drug residue events, IMS listing ratings and their
//! events. Append-only (the migration's triggers refuse UPDATE and DELETE): every change is a
//! new row, dated by when it takes effect and attributed to who recorded it.

use std::collections::HashMap;

use super::sql::{params, Conn, OptionalExtension, Tx};
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::{now, DbError, Result};

fn date(s: String) -> Result<NaiveDate> {
    s.parse()
        .map_err(|e: chrono::ParseError| DbError::Damaged(format!("date {s}: {e}")))
}

/// A facility as the registry holds it now.
#[derive(Debug, Clone, Serialize)]
pub struct Facility {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub number: Option<String>,
    pub permit_state: String,
    pub pounds_daily: Option<i64>,
    /// The listing (BTU or plant) a farm belongs to.
    pub listing: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

pub struct NewFacility<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub number: Option<&'a str>,
    pub permit_state: &'a str,
    pub pounds_daily: Option<i64>,
    pub by: &'a str,
}

pub fn add_facility(
    tx: &Tx<'_>,
    agency: &str,
    id: Option<&str>,
    f: &NewFacility<'_>,
) -> Result<String> {
    let id = id.map_or_else(|| Uuid::now_v7().to_string(), str::to_string);
    tx.execute(
        "INSERT INTO facilities (id, agency_id, kind, name, number, permit_state, pounds_daily, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![id, agency, f.kind, f.name, f.number, f.permit_state, f.pounds_daily, now(), f.by],
    )?;
    Ok(id)
}

fn facility_row(r: &super::sql::Row) -> super::sql::Result<Facility> {
    Ok(Facility {
        id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        number: r.get(3)?,
        permit_state: r.get(4)?,
        pounds_daily: r.get(5)?,
        listing: r.get(6)?,
        created_at: r.get(7)?,
        created_by: r.get(8)?,
    })
}

const FACILITY_COLUMNS: &str = "f.id, f.kind,
    COALESCE((SELECT e.value FROM facility_events e WHERE e.facility_id = f.id AND e.event = 'renamed' ORDER BY e.recorded_at DESC, e.rowid DESC LIMIT 1), f.name),
    f.number, f.permit_state,
    COALESCE((SELECT CAST(e.value AS INTEGER) FROM facility_events e WHERE e.facility_id = f.id AND e.event = 'pounds_daily' ORDER BY e.effective_on DESC, e.recorded_at DESC LIMIT 1), f.pounds_daily),
    (SELECT m.shipper_id FROM listing_members m WHERE m.farm_id = f.id),
    f.created_at, f.created_by";

/// Whether any agency's facility has this id.
pub fn facility_id_taken(conn: &Conn, id: &str) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM facilities WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A facility of the agency (never another agency's, whatever the id).
pub fn facility(conn: &Conn, agency: &str, id: &str) -> Result<Option<Facility>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {FACILITY_COLUMNS} FROM facilities f WHERE f.agency_id = ?1 AND f.id = ?2"
            ),
            params![agency, id],
            facility_row,
        )
        .optional()?)
}

/// The agency's facilities, by kind and name.
pub fn facilities(conn: &Conn, agency: &str) -> Result<Vec<Facility>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities f WHERE f.agency_id = ?1 ORDER BY f.kind, f.name"
    ))?;
    let rows = stmt.query_map([agency], facility_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The agency's facilities of the given kinds (e.g. the listings a farm may ship in), by kind
/// and name.
pub fn facilities_of_kinds(conn: &Conn, agency: &str, kinds: &[&str]) -> Result<Vec<Facility>> {
    let kinds = serde_json::to_string(kinds).map_err(|e| DbError::Damaged(e.to_string()))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities f
         WHERE f.agency_id = ?1 AND f.kind IN (SELECT value FROM json_each(?2)) ORDER BY f.kind, f.name"
    ))?;
    let rows = stmt.query_map(params![agency, kinds], facility_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The farms of a listing (BTU or plant's attached supply).
pub fn members(conn: &Conn, shipper: &str) -> Result<Vec<Facility>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FACILITY_COLUMNS} FROM facilities f JOIN listing_members m ON m.farm_id = f.id WHERE m.shipper_id = ?1 ORDER BY f.name"
    ))?;
    let rows = stmt.query_map([shipper], facility_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A dated fact about a facility.
#[derive(Debug, Clone, Serialize)]
pub struct FacilityEvent {
    pub event: String,
    pub value: Option<String>,
    pub effective_on: String,
    pub by_user: String,
    pub recorded_at: String,
}

pub fn add_facility_event(
    tx: &Tx<'_>,
    facility: &str,
    event: &str,
    value: Option<&str>,
    effective_on: NaiveDate,
    by: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO facility_events (facility_id, event, value, effective_on, by_user, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![facility, event, value, effective_on.to_string(), by, now()],
    )?;
    Ok(())
}

/// One kind of event of every facility of the agency, by facility, oldest first.
pub fn events_by_facility(
    conn: &Conn,
    agency: &str,
    event: &str,
) -> Result<HashMap<String, Vec<FacilityEvent>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.facility_id, e.event, e.value, e.effective_on, e.by_user, e.recorded_at FROM facility_events e
         JOIN facilities f ON f.id = e.facility_id WHERE f.agency_id = ?1 AND e.event = ?2 ORDER BY e.recorded_at, e.rowid",
    )?;
    let rows = stmt.query_map(params![agency, event], |r| {
        Ok((
            r.get::<_, String>(0)?,
            FacilityEvent {
                event: r.get(1)?,
                value: r.get(2)?,
                effective_on: r.get(3)?,
                by_user: r.get(4)?,
                recorded_at: r.get(5)?,
            },
        ))
    })?;
    let mut out: HashMap<String, Vec<FacilityEvent>> = HashMap::new();
    for row in rows {
        let (f, e) = row?;
        out.entry(f).or_default().push(e);
    }
    Ok(out)
}

pub fn facility_events(conn: &Conn, facility: &str) -> Result<Vec<FacilityEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT event, value, effective_on, by_user, recorded_at FROM facility_events WHERE facility_id = ?1 ORDER BY recorded_at, rowid",
    )?;
    let rows = stmt.query_map([facility], |r| {
        Ok(FacilityEvent {
            event: r.get(0)?,
            value: r.get(1)?,
            effective_on: r.get(2)?,
            by_user: r.get(3)?,
            recorded_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Puts a farm in a listing (leaving the one it was in): the one place `listing_members` is
/// written, so the move is always in the facility's history.
pub fn set_listing(
    tx: &Tx<'_>,
    agency: &str,
    farm: &str,
    shipper: &str,
    effective_on: NaiveDate,
    by: &str,
) -> Result<()> {
    let old: Option<String> = tx
        .query_row(
            "SELECT shipper_id FROM listing_members WHERE farm_id = ?1",
            [farm],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(old) = &old {
        add_facility_event(tx, farm, "left_listing", Some(old), effective_on, by)?;
    }
    tx.execute(
        "INSERT INTO listing_members (agency_id, farm_id, shipper_id, since) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(farm_id) DO UPDATE SET shipper_id = excluded.shipper_id, since = excluded.since",
        params![agency, farm, shipper, effective_on.to_string()],
    )?;
    add_facility_event(tx, farm, "joined_listing", Some(shipper), effective_on, by)?;
    Ok(())
}

/// A permit with its status history.
#[derive(Debug, Clone, Serialize)]
pub struct Permit {
    pub id: String,
    pub facility_id: String,
    pub number: String,
    pub issuing_state: String,
    /// The latest status by effective date.
    pub status: String,
    pub history: Vec<PermitEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PermitEvent {
    pub status: String,
    pub effective_on: String,
    pub reason: String,
    pub by_user: String,
    pub recorded_at: String,
}

pub fn add_permit(
    tx: &Tx<'_>,
    agency: &str,
    facility: &str,
    number: &str,
    issuing_state: &str,
) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    tx.execute(
        "INSERT INTO permits (id, agency_id, facility_id, number, issuing_state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, agency, facility, number, issuing_state, now()],
    )?;
    Ok(id)
}

pub fn permit_number_taken(conn: &Conn, agency: &str, state: &str, number: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM permits WHERE agency_id = ?1 AND issuing_state = ?2 AND number = ?3",
            params![agency, state, number],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub fn add_permit_event(
    tx: &Tx<'_>,
    permit: &str,
    status: &str,
    effective_on: NaiveDate,
    reason: &str,
    by: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO permit_events (permit_id, status, effective_on, reason, by_user, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![permit, status, effective_on.to_string(), reason, by, now()],
    )?;
    Ok(())
}

/// Permits and their histories, selected by `filter` (a `WHERE` on `permits p` with `?1`
/// and `?2`): two queries whatever the number of permits.
fn permits_where(conn: &Conn, filter: &str, a: &str, b: &str) -> Result<Vec<Permit>> {
    let mut heads = conn.prepare_cached(&format!(
        "SELECT p.id, p.facility_id, p.number, p.issuing_state FROM permits p WHERE {filter} ORDER BY p.created_at, p.rowid"
    ))?;
    let mut out: Vec<Permit> = heads
        .query_map(params![a, b], |r| {
            Ok(Permit {
                id: r.get(0)?,
                facility_id: r.get(1)?,
                number: r.get(2)?,
                issuing_state: r.get(3)?,
                status: String::new(),
                history: Vec::new(),
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut events = conn.prepare_cached(&format!(
        "SELECT e.permit_id, e.status, e.effective_on, e.reason, e.by_user, e.recorded_at FROM permit_events e
         JOIN permits p ON p.id = e.permit_id WHERE {filter} ORDER BY e.effective_on, e.recorded_at, e.rowid"
    ))?;
    let rows = events.query_map(params![a, b], |r| {
        Ok((
            r.get::<_, String>(0)?,
            PermitEvent {
                status: r.get(1)?,
                effective_on: r.get(2)?,
                reason: r.get(3)?,
                by_user: r.get(4)?,
                recorded_at: r.get(5)?,
            },
        ))
    })?;
    let index: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    for row in rows {
        let (permit, e) = row?;
        if let Some(p) = index.get(&permit).and_then(|i| out.get_mut(*i)) {
            p.history.push(e);
        }
    }
    for p in &mut out {
        p.status = p
            .history
            .last()
            .map(|e| e.status.clone())
            .unwrap_or_else(|| "issued".into());
    }
    Ok(out)
}

pub fn permits_of(conn: &Conn, facility: &str) -> Result<Vec<Permit>> {
    permits_where(conn, "p.facility_id = ?1 AND ?2 = ''", facility, "")
}

pub fn permit(conn: &Conn, agency: &str, id: &str) -> Result<Option<Permit>> {
    Ok(permits_where(conn, "p.agency_id = ?1 AND p.id = ?2", agency, id)?.pop())
}

/// Every permit of the agency, by facility.
pub fn permits_by_facility(conn: &Conn, agency: &str) -> Result<HashMap<String, Vec<Permit>>> {
    let mut out: HashMap<String, Vec<Permit>> = HashMap::new();
    for p in permits_where(conn, "p.agency_id = ?1 AND ?2 = ''", agency, "")? {
        out.entry(p.facility_id.clone()).or_default().push(p);
    }
    Ok(out)
}

/// A laboratory's approval as last recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Laboratory {
    pub lab_number: String,
    pub name: String,
    pub classification: String,
    pub approved_until: String,
}

pub fn add_laboratory(conn: &Conn, agency: &str, lab: &Laboratory, by: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO laboratories (agency_id, lab_number, name, classification, approved_until, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![agency, lab.lab_number, lab.name, lab.classification, lab.approved_until, by, now()],
    )?;
    Ok(())
}

/// The agency's laboratories, each at its latest recorded approval.
pub fn laboratories(conn: &Conn, agency: &str) -> Result<Vec<Laboratory>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.lab_number, l.name, l.classification, l.approved_until FROM laboratories l
         WHERE l.agency_id = ?1 AND l.rowid = (SELECT max(m.rowid) FROM laboratories m WHERE m.agency_id = l.agency_id AND m.lab_number = l.lab_number)
         ORDER BY l.lab_number",
    )?;
    let rows = stmt.query_map([agency], |r| {
        Ok(Laboratory {
            lab_number: r.get(0)?,
            name: r.get(1)?,
            classification: r.get(2)?,
            approved_until: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// An Appendix N drug residue event with its steps.
#[derive(Debug, Clone, Serialize)]
pub struct ResidueEvent {
    pub id: String,
    pub producer_id: String,
    pub sampled_on: String,
    pub sampled_at_time: String,
    pub load: bool,
    pub tanker: Option<String>,
    pub plant: String,
    pub test_method: String,
    pub result: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub steps: Vec<ResidueStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResidueStep {
    pub step: String,
    pub at: String,
    pub detail: serde_json::Value,
    pub by_user: String,
    pub recorded_at: String,
}

pub struct NewResidue<'a> {
    pub producer_id: &'a str,
    pub sampled_on: NaiveDate,
    pub sampled_at_time: &'a str,
    pub load: bool,
    pub tanker: Option<&'a str>,
    pub plant: &'a str,
    pub test_method: &'a str,
    pub result: &'a str,
    pub by: &'a str,
}

pub fn add_residue_event(conn: &Conn, agency: &str, e: &NewResidue<'_>) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO residue_events (id, agency_id, producer_id, sampled_on, sampled_at_time, load, tanker, plant, test_method, result, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![id, agency, e.producer_id, e.sampled_on.to_string(), e.sampled_at_time, e.load, e.tanker, e.plant, e.test_method, e.result, e.by, now()],
    )?;
    Ok(id)
}

pub fn add_residue_step(
    conn: &Conn,
    event: &str,
    step: &str,
    at: &str,
    detail: &serde_json::Value,
    by: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO residue_steps (event_id, step, at, detail, by_user, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![event, step, at, detail.to_string(), by, now()],
    )?;
    Ok(())
}

fn residue_steps(conn: &Conn, event: &str) -> Result<Vec<ResidueStep>> {
    let mut stmt = conn.prepare_cached(
        "SELECT step, at, detail, by_user, recorded_at FROM residue_steps WHERE event_id = ?1 ORDER BY at, rowid",
    )?;
    let rows = stmt.query_map([event], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (step, at, detail, by_user, recorded_at) = row?;
        out.push(ResidueStep {
            step,
            at,
            detail: serde_json::from_str(&detail).map_err(|e| DbError::Damaged(e.to_string()))?,
            by_user,
            recorded_at,
        });
    }
    Ok(out)
}

/// The agency's drug residue events (one producer's when given), newest first.
pub fn residue_events(conn: &Conn, agency: &str, id: Option<&str>) -> Result<Vec<ResidueEvent>> {
    residue_events_where(conn, agency, id, None)
}

/// One producer's drug residue events, newest first.
pub fn residue_events_of(conn: &Conn, agency: &str, producer: &str) -> Result<Vec<ResidueEvent>> {
    residue_events_where(conn, agency, None, Some(producer))
}

fn residue_events_where(
    conn: &Conn,
    agency: &str,
    id: Option<&str>,
    producer: Option<&str>,
) -> Result<Vec<ResidueEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, producer_id, sampled_on, sampled_at_time, load, tanker, plant, test_method, result, recorded_by, recorded_at
         FROM residue_events WHERE agency_id = ?1 AND (?2 IS NULL OR id = ?2) AND (?3 IS NULL OR producer_id = ?3)
         ORDER BY sampled_on DESC, recorded_at DESC",
    )?;
    let heads: Vec<ResidueEvent> = stmt
        .query_map(params![agency, id, producer], |r| {
            Ok(ResidueEvent {
                id: r.get(0)?,
                producer_id: r.get(1)?,
                sampled_on: r.get(2)?,
                sampled_at_time: r.get(3)?,
                load: r.get(4)?,
                tanker: r.get(5)?,
                plant: r.get(6)?,
                test_method: r.get(7)?,
                result: r.get(8)?,
                recorded_by: r.get(9)?,
                recorded_at: r.get(10)?,
                steps: Vec::new(),
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut out = Vec::with_capacity(heads.len());
    for mut e in heads {
        e.steps = residue_steps(conn, &e.id)?;
        out.push(e);
    }
    Ok(out)
}

/// The shared rule's view of a stored event.
pub fn residue_rule_view(e: &ResidueEvent) -> Result<milkshed_shared::residue::ResidueEvent> {
    use milkshed_shared::residue::Notice;
    let mut notified = Vec::new();
    let mut negative_on = None;
    let mut disposition_reported = false;
    for s in &e.steps {
        match s.step.as_str() {
            "notified" => {
                let party = match s.detail["party"].as_str() {
                    Some("regulatory_agency") => Notice::RegulatoryAgency,
                    Some("permit_holder") => Notice::PermitHolder,
                    _ => continue,
                };
                let at = chrono::DateTime::parse_from_rfc3339(&s.at)
                    .map_err(|err| DbError::Damaged(err.to_string()))?
                    .with_timezone(&chrono::Utc);
                notified.push((party, at));
            }
            "negative" => {
                let d = date(s.at.get(..10).unwrap_or_default().to_string())?;
                negative_on = Some(negative_on.map_or(d, |n: NaiveDate| n.min(d)));
            }
            "disposition" => disposition_reported = true,
            _ => {}
        }
    }
    Ok(milkshed_shared::residue::ResidueEvent {
        producer: e.producer_id.clone(),
        sampled_on: date(e.sampled_on.clone())?,
        load: e.load,
        notified,
        negative_on,
        disposition_reported,
    })
}

/// A rating recorded in the listing register.
#[derive(Debug, Clone, Serialize)]
pub struct ListingRating {
    pub id: String,
    pub shipper_id: String,
    pub rating_dates: Vec<String>,
    pub sanitation_rating: Option<i64>,
    pub enforcement_rating: i64,
    pub earliest_rating_date: String,
    pub expiry: String,
    pub product_codes: Vec<u32>,
    pub reference_edition: String,
    pub triggers: Vec<serde_json::Value>,
    pub recorded_by: String,
    pub recorded_at: String,
    pub events: Vec<ListingEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListingEvent {
    pub event: String,
    pub on_date: String,
    pub detail: serde_json::Value,
    pub by_user: String,
    pub recorded_at: String,
}

pub struct NewListingRating<'a> {
    pub shipper_id: &'a str,
    pub rating_dates: &'a [NaiveDate],
    pub sanitation_rating: Option<u32>,
    pub enforcement_rating: u32,
    pub earliest_rating_date: NaiveDate,
    pub expiry: NaiveDate,
    pub product_codes: &'a [u32],
    pub reference_edition: &'a str,
    pub triggers: &'a serde_json::Value,
    pub by: &'a str,
}

pub fn add_listing_rating(conn: &Conn, agency: &str, r: &NewListingRating<'_>) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    let dates: Vec<String> = r.rating_dates.iter().map(|d| d.to_string()).collect();
    conn.execute(
        "INSERT INTO listing_ratings (id, agency_id, shipper_id, rating_dates, sanitation_rating, enforcement_rating, earliest_rating_date, expiry, product_codes, reference_edition, triggers, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            id, agency, r.shipper_id, serde_json::json!(dates).to_string(), r.sanitation_rating, r.enforcement_rating,
            r.earliest_rating_date.to_string(), r.expiry.to_string(), serde_json::json!(r.product_codes).to_string(),
            r.reference_edition, r.triggers.to_string(), r.by, now()
        ],
    )?;
    Ok(id)
}

pub fn add_listing_event(
    conn: &Conn,
    rating: &str,
    event: &str,
    on: NaiveDate,
    detail: &serde_json::Value,
    by: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO listing_events (rating_id, event, on_date, detail, by_user, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![rating, event, on.to_string(), detail.to_string(), by, now()],
    )?;
    Ok(())
}

fn json_col<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| DbError::Damaged(e.to_string()))
}

/// The current rating of each listed shipper (the newest by earliest rating date: a new rating
/// replaces the old one, Procedures L301), or one rating by id.
pub fn listing_ratings(conn: &Conn, agency: &str, id: Option<&str>) -> Result<Vec<ListingRating>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.shipper_id, r.rating_dates, r.sanitation_rating, r.enforcement_rating, r.earliest_rating_date, r.expiry,
                r.product_codes, r.reference_edition, r.triggers, r.recorded_by, r.recorded_at
         FROM listing_ratings r WHERE r.agency_id = ?1 AND (
            (?2 IS NULL AND r.rowid = (SELECT s.rowid FROM listing_ratings s WHERE s.shipper_id = r.shipper_id ORDER BY s.earliest_rating_date DESC, s.rowid DESC LIMIT 1))
            OR r.id = ?2)
         ORDER BY r.expiry",
    )?;
    type Head = (
        String,
        String,
        String,
        Option<i64>,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let heads: Vec<Head> = stmt
        .query_map(params![agency, id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
                r.get(11)?,
            ))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut events = conn.prepare_cached(
        "SELECT event, on_date, detail, by_user, recorded_at FROM listing_events WHERE rating_id = ?1 ORDER BY on_date, rowid",
    )?;
    let mut out = Vec::new();
    for (id, shipper_id, dates, scr, er, earliest, expiry, codes, edition, triggers, by, at) in
        heads
    {
        let evs: Vec<(String, String, String, String, String)> = events
            .query_map([&id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        let mut list = Vec::new();
        for (event, on_date, detail, by_user, recorded_at) in evs {
            list.push(ListingEvent {
                event,
                on_date,
                detail: json_col(&detail)?,
                by_user,
                recorded_at,
            });
        }
        out.push(ListingRating {
            id,
            shipper_id,
            rating_dates: json_col(&dates)?,
            sanitation_rating: scr,
            enforcement_rating: er,
            earliest_rating_date: earliest,
            expiry,
            product_codes: json_col(&codes)?,
            reference_edition: edition,
            triggers: json_col(&triggers)?,
            recorded_by: by,
            recorded_at: at,
            events: list,
        });
    }
    Ok(out)
}

/// An agency's settings.
pub struct AgencySettings {
    pub reference_edition: String,
    pub retention_months: u32,
    pub home_state: Option<String>,
    pub time_zone: chrono_tz::Tz,
}

pub fn agency_settings(conn: &Conn, agency: &str) -> Result<AgencySettings> {
    Ok(conn.query_row(
        "SELECT reference_edition, retention_months, home_state, time_zone FROM agencies WHERE id = ?1",
        [agency],
        |r| {
            Ok(AgencySettings {
                reference_edition: r.get(0)?,
                retention_months: r.get::<_, i64>(1)?.max(0) as u32,
                home_state: r.get(2)?,
                // the column is checked when set; a damaged one reads as UTC
                time_zone: milkshed_shared::calendar::time_zone(&r.get::<_, String>(3)?)
                    .unwrap_or(chrono_tz::UTC),
            })
        },
    )?)
}

/// Today in the agency's time zone (DR-8).
pub fn agency_today(conn: &Conn, agency: &str) -> Result<NaiveDate> {
    let zone = agency_settings(conn, agency)?.time_zone;
    Ok(milkshed_shared::calendar::civil_date(
        chrono::Utc::now(),
        zone,
    ))
}

/// Changes an agency's settings (each `None` left as it is). The caller has checked them.
pub fn update_agency(
    conn: &Conn,
    agency: &str,
    reference_edition: Option<&str>,
    retention_months: Option<u32>,
    home_state: Option<&str>,
    time_zone: Option<&str>,
) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE agencies SET reference_edition = COALESCE(?2, reference_edition),
            retention_months = COALESCE(?3, retention_months), home_state = COALESCE(?4, home_state),
            time_zone = COALESCE(?5, time_zone) WHERE id = ?1",
        params![agency, reference_edition, retention_months, home_state, time_zone],
    )? == 1)
}

pub fn set_home_state(conn: &Conn, agency: &str, state: &str) -> Result<()> {
    conn.execute(
        "UPDATE agencies SET home_state = ?2 WHERE id = ?1",
        params![agency, state],
    )?;
    Ok(())
}

/// The latest inspection of each subject (or of `only`), from the projection, counting those
/// signed and sent in: `(subject_id, date)`.
pub fn last_inspections(
    conn: &Conn,
    agency: &str,
    only: Option<&str>,
) -> Result<Vec<(String, NaiveDate)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT subject_id, max(started_at) FROM inspections
         WHERE agency_id = ?1 AND (?2 IS NULL OR subject_id = ?2) AND status IN ('submitted', 'accepted', 'returned')
           AND kind <> 'rating_report'
         GROUP BY subject_id",
    )?;
    let rows: Vec<(String, String)> = stmt
        .query_map(params![agency, only], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(s, d)| Ok((s, date(d.get(..10).unwrap_or_default().to_string())?)))
        .collect()
}

/// The violations of a subject's latest inspection sent in (submitted, accepted or returned,
/// as [`last_inspections`] counts them): `(item, note)` in item order; none without one.
pub fn last_violations(conn: &Conn, agency: &str, subject: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.item, f.note FROM findings f
         WHERE f.state = 'violated' AND f.inspection_id = (
           SELECT id FROM inspections
           WHERE agency_id = ?1 AND subject_id = ?2 AND status IN ('submitted', 'accepted', 'returned')
             AND kind <> 'rating_report'
           ORDER BY started_at DESC, id DESC LIMIT 1)
         ORDER BY f.item",
    )?;
    let rows = stmt.query_map(params![agency, subject], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Each hauler/sampler whose latest evaluation sent in was unsatisfactory: its re-evaluation
/// date (the agency's, or `only`'s).
pub fn reevaluations_owed(
    conn: &Conn,
    agency: &str,
    only: Option<&str>,
) -> Result<HashMap<String, NaiveDate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.subject_id, i.reevaluate_by FROM inspections i
         WHERE i.agency_id = ?1 AND (?2 IS NULL OR i.subject_id = ?2) AND i.kind = 'hauler_sampler'
           AND i.status IN ('submitted', 'accepted', 'returned')
           AND i.started_at = (SELECT max(l.started_at) FROM inspections l
               WHERE l.agency_id = i.agency_id AND l.subject_id = i.subject_id AND l.kind = 'hauler_sampler'
                 AND l.status IN ('submitted', 'accepted', 'returned'))
           AND i.reevaluate_by IS NOT NULL",
    )?;
    let rows: Vec<(String, String)> = stmt
        .query_map(params![agency, only], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter().map(|(s, d)| Ok((s, date(d)?))).collect()
}

/// The reinspections owed in the agency (or for `only`): routine farm and plant inspections
/// sent in with a violation that no inspection follows — the rule of
/// `shared::calendar::reinspections_owed`, over the projection. `(inspection, subject id,
/// subject name, the day it ended)`.
pub fn reinspections_owed(
    conn: &Conn,
    agency: &str,
    only: Option<&str>,
) -> Result<Vec<(String, String, String, NaiveDate)>> {
    use milkshed_shared::calendar::{REINSPECTED_KINDS, SENT_IN};
    // the rule's own constants (`shared::calendar::owes_reinspection`), as SQL lists
    let quoted = |v: Vec<&str>| {
        v.iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kinds = quoted(REINSPECTED_KINDS.iter().map(|k| k.as_str()).collect());
    let statuses = quoted(SENT_IN.iter().map(|s| s.as_str()).collect());
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT i.id, i.subject_id, i.subject_name, COALESCE(i.ended_at, i.started_at) FROM inspections i
         WHERE i.agency_id = ?1 AND (?2 IS NULL OR i.subject_id = ?2)
           AND i.kind IN ({kinds}) AND i.status IN ({statuses}) AND i.violations > 0
           AND NOT EXISTS (SELECT 1 FROM inspections r WHERE r.follows = i.id)
         ORDER BY i.started_at"
    ))?;
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map(params![agency, only], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, s, n, at)| {
            Ok((
                id,
                s,
                n,
                date(at.get(..10).unwrap_or_default().to_string())?,
            ))
        })
        .collect()
}
