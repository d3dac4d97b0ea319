//! `--demo`: seeds an empty data directory with an agency a new user can try at once — users
//! of every role, farms, plants, haulers, permits, lab results and due dates, and a few
//! inspections already synced (submitted, returned with comments, accepted).

use crate::db::Conn as Connection;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use milkshed_shared::document::{
    Header, InspectionDoc, InspectionKind, ItemState, Person, Review, SignerRole, Subject,
    SubjectKind,
};
use serde_json::json;

use crate::db;
use crate::service::auth::{hash_password, Role};
use crate::service::registry as record;
use milkshed_shared::document::automerge::ActorId;

/// The demo agency's id.
pub const AGENCY: &str = "demo";
/// Every demo user's password.
pub const PASSWORD: &str = "milkshed-demo";
/// Demo users: `(username, name, role)`.
pub const USERS: &[(&str, &str, Role)] = &[
    ("ann", "Ann Lindqvist", Role::Sanitarian),
    ("hal", "Hal Brenner", Role::HaulerSamplerEvaluator),
    ("sam", "Sam Okafor", Role::RatingOfficer),
    ("sue", "Sue Marchetti", Role::Supervisor),
    ("admin", "Program Administrator", Role::Admin),
];

const FARMS: &[(&str, &str, &str, u64)] = &[
    ("Roy Harris", "55-0101", "FP-1001", 1700),
    ("James Henley", "55-0102", "FP-1002", 2100),
    ("W. T. Miller", "55-0103", "FP-1003", 500),
    ("John Barkley", "55-0104", "FP-1004", 1100),
    ("K. R. Olson", "55-0105", "FP-1005", 1500),
    ("Robert Taylor", "55-0106", "FP-1006", 1000),
    ("Pete Carhart", "55-0107", "FP-1007", 1800),
    ("Davis & Nelson", "55-0108", "FP-1008", 3300),
    ("Al Hart", "55-0109", "FP-1009", 1000),
    ("Don Meyers", "55-0110", "FP-1010", 800),
    ("Wm. Long", "55-0111", "FP-1011", 1200),
    ("Jon Jones", "55-0112", "FP-1012", 2700),
];

/// The documents the demo agency holds: three farm inspections and two hauler/sampler
/// evaluations.
pub const DOCUMENTS: i64 = 5;

/// Seeds the demo agency if the data directory is empty; returns whether it did.
pub fn seed(db: &db::Db, server_actor: &ActorId) -> Result<bool, Box<dyn std::error::Error>> {
    let mut conn = db.write().map_err(|e| e.to_string())?;
    if !db::is_empty(&conn)? {
        return Ok(false);
    }
    db::create_agency(&conn, AGENCY, "Demo State Milk Program")?;
    let hash = hash_password(PASSWORD)?;
    let mut ids = Vec::new();
    for (username, name, role) in USERS {
        ids.push(db::add_user(&conn, AGENCY, username, name, *role, &hash)?);
    }
    reference(&mut conn, &ids[4])?;
    // Hal evaluates hauler/samplers as an FDA-certified SSO (valid three years)
    let certified = Utc::now().date_naive() - chrono::Duration::days(400);
    db::sampling::add_sso_certificate(&conn, AGENCY, &ids[1], certified, &ids[4])?;
    crate::service::sampling::publish(&conn, AGENCY, &ids[1]).map_err(|e| format!("{e:?}"))?;
    let ann = Person {
        id: ids[0].clone().into(),
        name: USERS[0].1.into(),
    };
    let sue = Person {
        id: ids[3].clone().into(),
        name: USERS[3].1.into(),
    };
    inspections(&mut conn, server_actor, &ann, &sue)?;
    let hal = Person {
        id: ids[1].clone().into(),
        name: USERS[1].1.into(),
    };
    evaluations(&mut conn, server_actor, &hal)?;
    // the synced inspections move their farms' due dates on the devices too
    for f in crate::db::registry::facilities(&conn, AGENCY)? {
        crate::service::publish::publish_reference(&conn, AGENCY, &f.id)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(true)
}

/// The demo's registry: a BTU of twelve farms with permits, lab results from the State's
/// central laboratory, two plants and a receiving station, three haulers — all through the
/// registry, which publishes them to the devices' reference data.
fn reference(conn: &mut Connection, admin: &str) -> Result<(), Box<dyn std::error::Error>> {
    let today = Utc::now().date_naive();
    db::registry::update_agency(
        conn,
        AGENCY,
        None,
        None,
        Some("WI"),
        Some("America/Chicago"),
    )?;
    db::registry::add_laboratory(
        conn,
        AGENCY,
        &db::registry::Laboratory {
            lab_number: "55001".into(),
            name: "State Central Milk Laboratory".into(),
            classification: "F".into(),
            approved_until: (today + Duration::days(365)).to_string(),
        },
        admin,
    )?;
    let mut add = |v: serde_json::Value| -> Result<(), Box<dyn std::error::Error>> {
        let f = record::FacilityInput::from_json(&v)?;
        record::add_facility_record(conn, AGENCY, admin, &f).map_err(|e| format!("{e:?}"))?;
        Ok(())
    };
    add(json!({"id": "btu-1", "kind": "btu", "name": "Great Cows BTU", "number": "00123"}))?;
    for (n, (name, producer, permit, pounds)) in FARMS.iter().enumerate() {
        add(json!({
            "id": format!("farm-{}", n + 1), "kind": "dairy_farm", "name": name, "number": producer,
            "pounds_daily": pounds, "listing": "btu-1",
            "permit": {"number": permit, "issued_on": (today - Duration::days(900)).to_string()},
            "last_inspection": (today - Duration::days(30 * (n as i64 % 7 + 1))).to_string(),
        }))?;
    }
    for (id, name, kind, permit) in [
        ("plant-1", "I.M.A. Dairy", "milk_plant", "MP-55-201"),
        ("plant-2", "Metro Dairy Co.", "milk_plant", "MP-55-202"),
        (
            "station-1",
            "Metro Receiving Station (RS)",
            "receiving_station",
            "RS-55-301",
        ),
    ] {
        add(json!({"id": id, "kind": kind, "name": name,
                   "permit": {"number": permit, "issued_on": (today - Duration::days(2000)).to_string()},
                   "last_inspection": (today - Duration::days(40)).to_string()}))?;
    }
    for (id, name, permit, state) in [
        ("hauler-1", "Gus Petersen", "BH-5501", "WI"),
        ("hauler-2", "Rita Vogel", "BH-5502", "WI"),
        ("hauler-3", "Tom Quist", "MN-H-0877", "MN"),
    ] {
        add(
            json!({"id": id, "kind": "hauler", "name": name, "permit_state": state,
                   "permit": {"number": permit, "issued_on": (today - Duration::days(1200)).to_string()},
                   // Rita Vogel's evaluation is past its 24 months
                   "last_inspection": (today - Duration::days(if id == "hauler-2" { 800 } else { 400 })).to_string()}),
        )?;
    }
    // the devices' lab summaries (work list warnings) and the ledger's official results
    let mut rows = Vec::new();
    for n in 0..FARMS.len() {
        let id = format!("farm-{}", n + 1);
        let counts = [42_000, 61_000, 38_000, 120_000];
        // Davis & Nelson: the latest count is the second of the last four over, so a written
        // notice is owed
        let bacteria = |k: usize| {
            if n == 7 && k == 3 {
                180_000
            } else {
                counts[(n + k) % 4]
            }
        };

        // every farm standard a rating credits (MMSR L320-334), within the limits but for
        // Davis & Nelson's bacteria
        let scc = [180_000, 240_000, 310_000, 205_000];
        let temperature = ["38", "40", "39", "41"];
        for k in 0..4usize {
            let date = today - Duration::days(30 * (4 - k as i64));
            // with the procedure each was examined by (seed 001 L237-274)
            let results = [
                ("bacteria", bacteria(k).to_string(), Some("2")),
                ("somatic_cells", scc[(n + k) % 4].to_string(), Some("16")),
                (
                    "cooling_temperature",
                    temperature[(n + k) % 4].to_string(),
                    None,
                ),
                ("drug_residue", "negative".to_string(), Some("9-D1")),
            ];
            for (standard, value, procedure) in results {
                rows.push(db::LabRow {
                    lab_number: "55001".into(),
                    sample_date: date,
                    subject_id: id.clone(),
                    standard: standard.into(),
                    value,
                    over: false,
                    line: 0,
                    lab_classification: Some("F".into()),
                    procedure: procedure.map(String::from),
                });
            }
        }
    }
    // judged by the standard of each subject, as an import is
    crate::service::lab::judge(&mut rows, |_| true);
    db::import_lab_results(conn, AGENCY, &rows)?;
    let mut farms: Vec<&str> = rows.iter().map(|r| r.subject_id.as_str()).collect();
    farms.dedup();
    for farm in farms {
        crate::service::publish::publish_lab_ledger(conn, AGENCY, farm)
            .map_err(|e| format!("{e:?}"))?;
    }
    open_matters(conn, admin, today)?;
    Ok(())
}

/// What a supervisor finds open on the demo's board: a resample past its deadline, a drug
/// residue positive with one notice still owed, a suspended permit, and a BTU listing whose
/// 2359o has not come back.
fn open_matters(
    conn: &mut Connection,
    admin: &str,
    today: chrono::NaiveDate,
) -> Result<(), Box<dyn std::error::Error>> {
    let letter_on = today - Duration::days(30);
    db::add_action(
        conn,
        AGENCY,
        &db::NewAction {
            subject_id: "farm-2",
            kind: "warning_letter",
            issued_on: letter_on,
            due_on: milkshed_shared::ledger::ActionKind::WarningLetter.deadline(letter_on),
            cause: "lab: 2 of the last 4 somatic cell counts over",
            issued_by: admin,
            amends: None,
        },
    )?;
    let sampled = today - Duration::days(1);
    let event = db::registry::add_residue_event(
        conn,
        AGENCY,
        &db::registry::NewResidue {
            producer_id: "farm-10",
            sampled_on: sampled,
            sampled_at_time: "05:50",
            load: true,
            tanker: Some("T-17"),
            plant: "I.M.A. Dairy",
            test_method: "Charm SL (beta-lactam)",
            result: "positive",
            by: admin,
        },
    )?;
    db::registry::add_residue_step(
        conn,
        &event,
        "notified",
        &format!("{sampled}T06:20:00-06:00"),
        &json!({"party": "regulatory_agency", "how": "phone"}),
        admin,
    )?;
    let tx = conn.transaction()?;
    let permit = db::registry::permits_of(&tx, "farm-11")?
        .pop()
        .ok_or("farm-11 has no permit")?;
    db::registry::add_permit_event(
        &tx,
        &permit.id,
        "suspended",
        today - Duration::days(5),
        "3 of the last 5 somatic cell counts over the standard",
        admin,
    )?;
    tx.commit()?;
    let rated = today - Duration::days(20);
    let er = 93;
    let rating = db::registry::add_listing_rating(
        conn,
        AGENCY,
        &db::registry::NewListingRating {
            shipper_id: "btu-1",
            rating_dates: &[rated],
            sanitation_rating: Some(91),
            enforcement_rating: er,
            earliest_rating_date: rated,
            expiry: milkshed_shared::calendar::listing_expiry(rated, er),
            product_codes: &[1],
            reference_edition: milkshed_shared::reference::DEFAULT_EDITION,
            triggers: &json!([]),
            by: admin,
        },
    )?;
    db::registry::add_listing_event(
        conn,
        &rating,
        "permission_sent",
        rated + Duration::days(2),
        &json!({}),
        admin,
    )?;
    Ok(())
}

fn at(days_ago: i64, hour: i64) -> DateTime<FixedOffset> {
    let offset =
        FixedOffset::west_opt(6 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"));
    (Utc::now() - Duration::days(days_ago) + Duration::hours(hour - 12)).with_timezone(&offset)
}

fn inspections(
    conn: &mut Connection,
    actor: &milkshed_shared::document::automerge::ActorId,
    ann: &Person,
    sue: &Person,
) -> Result<(), Box<dyn std::error::Error>> {
    type Visit<'a> = (usize, &'a [(&'a str, Option<u32>)], &'a str);
    let plan: [Visit; 3] = [
        (
            0,
            &[("2A", None), ("8", Some(5)), ("12", None)],
            "submitted",
        ),
        (3, &[("5C", None), ("15C", None)], "returned"),
        (6, &[("10", None)], "accepted"),
    ];
    let tx = conn.transaction()?;
    for (n, (farm, items, outcome)) in plan.iter().enumerate() {
        let (name, producer, permit, pounds) = FARMS[*farm];
        let header = Header {
            id: milkshed_shared::ids::InspectionId::new_v7(),
            kind: InspectionKind::RoutineFarm,
            agency: AGENCY.into(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: format!("farm-{}", farm + 1).into(),
                name: name.into(),
                permit: Some(permit.into()),
                producer_number: Some(producer.into()),
            },
            inspector: ann.clone(),
            catalog: "pmo-2011".into(),
            started_at: at(10 - n as i64 * 3, 8),
            follows: None,
        };
        let t = |h| at(10 - n as i64 * 3, h);
        let mut doc = InspectionDoc::create(actor.clone(), &header)?;
        doc.set_pounds_sold_daily(pounds, &t(8))?;
        for (item, points) in items.iter() {
            doc.set_finding(
                item,
                &ItemState::Violated {
                    points: *points,
                    products: vec![],
                },
                &t(9),
            )?;
        }
        doc.set_finding("13", &ItemState::InCompliance, &t(9))?;
        doc.set_notes(
            "Owner present; milkhouse inspected during the evening milking.",
            &t(9),
        )?;
        doc.sign(
            SignerRole::Inspector,
            &ann.name,
            "M10 40 C 20 10, 40 10, 50 40",
            &t(10),
        )?;
        doc.sign(SignerRole::Acknowledgement, name, "M5 30 L 60 30", &t(10))?;
        doc.submit(&t(11))?;
        match *outcome {
            "returned" => doc.review(&Review {
                by: sue.clone(),
                at: t(15),
                accepted: false,
                comment: "Please name the cleaning compound found unlabeled.".into(),
                item_comments: vec![(
                    "15C".into(),
                    "Which product was it, and where was it stored?".into(),
                )],
            })?,
            "accepted" => doc.review(&Review {
                by: sue.clone(),
                at: t(15),
                accepted: true,
                comment: String::new(),
                item_comments: vec![],
            })?,
            _ => {}
        }
        db::store_doc(&tx, AGENCY, &mut doc)?;
    }
    tx.commit()?;
    Ok(())
}

/// Hal's evaluations of Tom Quist (a Minnesota permit): a satisfactory one a year ago with the
/// sample-collection precaution 14d out of compliance, and an unsatisfactory one twenty days
/// ago with 14d again — its re-evaluation pending, and the repeat awaiting action on the board.
/// Gus Petersen's evaluation is current and Rita Vogel's past its 24 months (the registry's).
fn evaluations(
    conn: &mut Connection,
    actor: &milkshed_shared::document::automerge::ActorId,
    hal: &Person,
) -> Result<(), Box<dyn std::error::Error>> {
    use milkshed_shared::document::PickupField;
    use milkshed_shared::sampling::Outcome;
    let tx = conn.transaction()?;
    for (days_ago, items, unsatisfactory, producer, sample) in [
        (
            380,
            &["14d"][..],
            false,
            "W. T. Miller 55-0103",
            "55-0103-A1",
        ),
        (
            20,
            &["14d", "9a"][..],
            true,
            "Roy Harris 55-0101",
            "55-0101-B7",
        ),
    ] {
        let t = |h| at(days_ago, h);
        let header = Header {
            id: milkshed_shared::ids::InspectionId::new_v7(),
            kind: InspectionKind::HaulerSampler,
            agency: AGENCY.into(),
            subject: Subject {
                kind: SubjectKind::Hauler,
                id: "hauler-3".into(),
                name: "Tom Quist".into(),
                permit: Some("MN-H-0877".into()),
                producer_number: None,
            },
            inspector: hal.clone(),
            catalog: "pmo-2011".into(),
            started_at: t(6),
            follows: None,
        };
        let mut doc = InspectionDoc::create(actor.clone(), &header)?;
        for (field, value) in [
            (PickupField::Producer, producer),
            (PickupField::TankTruck, "MN 4471-T"),
            (PickupField::PermitState, "MN"),
            (PickupField::MilkTemperatureF, "37.5"),
            (PickupField::SampleId, sample),
        ] {
            doc.set_pickup(field, value, &t(6))?;
        }
        for (id, _) in milkshed_shared::document::hauler_sampler_items() {
            let state = if items.contains(&id) {
                ItemState::Violated {
                    points: None,
                    products: vec![],
                }
            } else {
                ItemState::InCompliance
            };
            doc.set_finding(id, &state, &t(7))?;
        }
        let outcome = if unsatisfactory {
            Outcome::Unsatisfactory {
                reevaluate_by: milkshed_shared::sampling::default_reevaluation(t(6).date_naive()),
            }
        } else {
            Outcome::Satisfactory
        };
        doc.set_outcome(outcome, &t(7))?;
        doc.sign(
            SignerRole::Inspector,
            &hal.name,
            "M8 30 C 20 5, 35 5, 48 30",
            &t(7),
        )?;
        doc.sign(
            SignerRole::Acknowledgement,
            "Tom Quist",
            "M5 25 L 55 28",
            &t(7),
        )?;
        doc.submit(&t(8))?;
        db::store_doc(&tx, AGENCY, &mut doc)?;
    }
    tx.commit()?;
    Ok(())
}
