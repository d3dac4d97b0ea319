//! Document tests: round trips for every kind, workflow locks, tamper detection, conflicts.

use super::*;
use chrono::TimeZone;

pub(crate) fn t(minute: u32) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 24, 9, minute, 0)
        .unwrap()
}

pub(crate) fn actor(n: u8) -> ActorId {
    ActorId::from([n; 16])
}

pub(crate) fn header(kind: InspectionKind, subject: SubjectKind) -> Header {
    Header {
        id: uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001).into(),
        kind,
        agency: "WI-DATCP".into(),
        subject: Subject {
            kind: subject,
            id: "farm-17".into(),
            name: "Roy Harris".into(),
            permit: Some("P-1234".into()),
            producer_number: Some("55-0101".into()),
        },
        inspector: Person {
            id: "u-ann".into(),
            name: "Ann Sanitarian".into(),
        },
        catalog: "pmo-2011".into(),
        started_at: t(0),
        follows: None,
    }
}

fn farm_doc() -> InspectionDoc {
    InspectionDoc::create(
        actor(1),
        &header(InspectionKind::RoutineFarm, SubjectKind::Farm),
    )
    .unwrap()
}

fn violated(points: Option<u32>) -> ItemState {
    ItemState::Violated {
        points,
        products: vec![],
    }
}

#[test]
fn every_kind_round_trips_through_save_and_load() {
    // (the rating report has no findings: `a_rating_report_merges_entry_by_entry_and_round_trips`)
    for kind in InspectionKind::ALL.into_iter().filter(|k| k.is_visit()) {
        let subject = match kind {
            InspectionKind::Plant | InspectionKind::RatingVisitPlant => SubjectKind::Plant,
            InspectionKind::HaulerSampler => SubjectKind::Hauler,
            _ => SubjectKind::Farm,
        };
        let mut h = header(kind, subject);
        if kind == InspectionKind::Reinspection {
            h.follows = Some(uuid::Uuid::from_u128(42).into());
        }
        let mut d = InspectionDoc::create(actor(1), &h).unwrap();
        let item = d.item_ids().unwrap()[3].clone();
        d.set_finding(&item, &violated(None), &t(1)).unwrap();
        d.set_item_note(&item, "dirty walls behind the bulk tank", &t(2))
            .unwrap();
        d.set_notes("visit with the owner present", &t(3)).unwrap();
        d.set_gps(
            &GpsFix {
                lat: "43.0731".into(),
                lon: "-89.4012".into(),
                accuracy_m: Some("8".into()),
            },
            &t(4),
        )
        .unwrap();
        match subject {
            SubjectKind::Farm => d.set_pounds_sold_daily(1700, &t(5)).unwrap(),
            SubjectKind::Plant => {
                d.set_pounds_processed_daily(86_340, &t(5)).unwrap();
                d.set_product("Half and half", 4200, &t(5)).unwrap();
            }
            _ => {}
        }
        let before = d.read().unwrap();
        let bytes = d.save();
        let loaded = InspectionDoc::load(&bytes, actor(2)).unwrap();
        let after = loaded.read().unwrap();
        assert_eq!(before, after, "{kind:?}");
        assert_eq!(after.header, h);
        assert_eq!(after.findings.len(), 1);
        assert_eq!(after.findings[0].note, "dirty walls behind the bulk tank");
    }
}

#[test]
fn unknown_items_and_points_are_refused() {
    let mut d = farm_doc();
    assert!(matches!(
        d.set_finding("99", &violated(None), &t(1)),
        Err(DocumentError::UnknownItem { .. })
    ));
    assert!(matches!(
        d.set_finding("8", &violated(Some(3)), &t(1)),
        Err(DocumentError::PointsNotAllowed { .. })
    ));
    d.set_finding("8", &violated(Some(5)), &t(1)).unwrap();
    assert_eq!(d.read().unwrap().findings[0].state, violated(Some(5)));
}

#[test]
fn an_edit_after_signing_is_refused() {
    let mut d = farm_doc();
    d.set_finding("3", &violated(None), &t(1)).unwrap();
    let hash = d
        .sign(
            SignerRole::Inspector,
            "Ann Sanitarian",
            "M0 0 L10 10",
            &t(2),
        )
        .unwrap();
    assert_eq!(hash, d.content_hash());
    let before = d.save();
    assert_eq!(
        d.set_finding("4", &violated(None), &t(3)),
        Err(DocumentError::Locked("signed"))
    );
    assert!(d.set_notes("late", &t(3)).is_err());
    assert!(d.sign(SignerRole::Inspector, "Ann", "", &t(3)).is_err());
    assert_eq!(d.save(), before, "a refused edit changes nothing");
    // the producer acknowledges after the inspector
    d.sign(SignerRole::Acknowledgement, "Roy Harris", "M1 1", &t(4))
        .unwrap();
    let r = d.read().unwrap();
    assert_eq!(r.signatures.len(), 2);
    assert_eq!(r.integrity, Integrity::Intact);
}

#[test]
fn content_changed_under_a_signature_is_flagged_tampered() {
    let mut d = farm_doc();
    d.set_finding("3", &violated(None), &t(1)).unwrap();
    d.sign(SignerRole::Inspector, "Ann", "", &t(2)).unwrap();
    // bypass the API: write into the document directly, as a forged device would
    let states = d.obj(&ROOT, keys::STATES).unwrap();
    d.doc.put(&states, "3", "in_compliance").unwrap();
    d.doc.commit();
    let bytes = d.save();
    let loaded = InspectionDoc::load(&bytes, actor(9)).unwrap();
    assert!(matches!(
        loaded.read().unwrap().integrity,
        Integrity::Tampered { .. }
    ));
    assert!(loaded.clone().submit(&t(5)).is_err());
}

#[test]
fn a_concurrent_edit_while_another_device_signs_is_flagged() {
    let mut a = farm_doc();
    let mut b = InspectionDoc::load(&a.save(), actor(2)).unwrap();
    a.sign(SignerRole::Inspector, "Ann", "", &t(2)).unwrap();
    b.set_finding("6", &violated(None), &t(2)).unwrap();
    a.merge(&mut b).unwrap();
    assert!(matches!(a.integrity(), Integrity::Tampered { .. }));
}

#[test]
fn a_returned_inspection_is_amended_and_re_signed_keeping_history() {
    let mut d = farm_doc();
    d.set_finding("3", &violated(None), &t(1)).unwrap();
    d.sign(SignerRole::Inspector, "Ann", "", &t(2)).unwrap();
    d.submit(&t(3)).unwrap();
    let supervisor = Person {
        id: "u-sue".into(),
        name: "Sue Supervisor".into(),
    };
    // a bare return is refused: the inspector must be told what to amend
    assert!(d
        .review(&Review {
            by: supervisor.clone(),
            at: t(10),
            accepted: false,
            comment: String::new(),
            item_comments: vec![]
        })
        .is_err());
    d.review(&Review {
        by: supervisor.clone(),
        at: t(10),
        accepted: false,
        comment: "see item 3".into(),
        item_comments: vec![("3".into(), "name the feed stored in the barn".into())],
    })
    .unwrap();
    assert_eq!(d.read().unwrap().status, Status::Returned);
    assert_eq!(d.read().unwrap().integrity, Integrity::Unsigned);
    d.set_item_note("3", "feed sacks stored in the milking barn", &t(20))
        .unwrap();
    d.sign(SignerRole::Inspector, "Ann", "", &t(21)).unwrap();
    d.submit(&t(22)).unwrap();
    d.review(&Review {
        by: supervisor,
        at: t(30),
        accepted: true,
        comment: String::new(),
        item_comments: vec![],
    })
    .unwrap();
    let r = d.read().unwrap();
    assert_eq!(r.status, Status::Accepted);
    assert_eq!(r.signatures.len(), 2);
    assert_ne!(r.signatures[0].content_hash, r.signatures[1].content_hash);
    assert_eq!(r.reviews.len(), 2);
    assert_eq!(r.reviews[0].item_comments[0].0, "3");
    assert_eq!(r.integrity, Integrity::Intact);
    let history = d.history();
    assert!(history.iter().any(|(_, _, m)| m == "reviewed: returned"));
    assert!(history.len() >= 9);
}

#[test]
fn both_values_of_a_conflicting_field_are_shown() {
    let mut a = farm_doc();
    let mut b = InspectionDoc::load(&a.save(), actor(2)).unwrap();
    a.set_finding("8", &violated(Some(2)), &t(1)).unwrap();
    b.set_finding("8", &violated(Some(5)), &t(1)).unwrap();
    a.set_pounds_sold_daily(1700, &t(1)).unwrap();
    b.set_pounds_sold_daily(1750, &t(1)).unwrap();
    a.merge(&mut b).unwrap();
    let conflicts = a.conflicts();
    let points = conflicts.iter().find(|c| c.path == "points/8").unwrap();
    let mut values = points.values.clone();
    values.sort();
    assert_eq!(values, ["2", "5"]);
    assert!(conflicts
        .iter()
        .any(|c| c.path == "volume/pounds_sold_daily"));
    // a person resolves it by recording the value again
    a.set_finding("8", &violated(Some(5)), &t(2)).unwrap();
    assert!(!a.conflicts().iter().any(|c| c.path.starts_with("points/8")));
}

#[test]
fn concurrent_note_edits_merge_as_text() {
    let mut a = farm_doc();
    a.set_notes("cows clean", &t(1)).unwrap();
    let mut b = InspectionDoc::load(&a.save(), actor(2)).unwrap();
    a.set_notes("cows clean; barn swept", &t(2)).unwrap();
    b.set_notes("Note: cows clean", &t(2)).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(a.read().unwrap().notes, "Note: cows clean; barn swept");
}

#[test]
fn photos_are_referenced_by_hash() {
    let mut d = farm_doc();
    let hash = sha256_hex(b"jpeg bytes");
    d.add_photo(
        &PhotoRef {
            hash: hash.clone(),
            item: Some("3".into()),
            caption: "feed".into(),
            taken_at: Some(t(1)),
            width: 1600,
            height: 1200,
            gps: None,
        },
        &t(1),
    )
    .unwrap();
    assert!(d
        .add_photo(
            &PhotoRef {
                hash: "nothex".into(),
                item: None,
                caption: String::new(),
                taken_at: None,
                width: 1,
                height: 1,
                gps: None
            },
            &t(1)
        )
        .is_err());
    let r = d.read().unwrap();
    assert_eq!(r.photos.len(), 1);
    assert_eq!(r.photos[0].hash, hash);
}

#[test]
fn garbage_and_newer_documents_are_refused() {
    assert!(matches!(
        InspectionDoc::load(b"not automerge", actor(1)),
        Err(DocumentError::Malformed(_))
    ));
    let mut d = farm_doc();
    d.doc.put(ROOT, keys::SCHEMA, SCHEMA_VERSION + 1).unwrap();
    d.doc.commit();
    assert!(matches!(
        InspectionDoc::load(&d.save(), actor(1)),
        Err(DocumentError::NewerSchema(2))
    ));
    let mut empty = AutoCommit::new();
    assert!(InspectionDoc::load(&empty.save(), actor(1)).is_err());
}

#[test]
fn a_location_is_a_fix_or_the_reason_there_is_none_and_is_signed_content() {
    let mut d = farm_doc();
    d.record_location(
        &LocationRecord {
            moment: LocationMoment::Started,
            at: t(1),
            fix: None,
            no_fix: "the user refused the location permission".into(),
        },
        &t(1),
    )
    .unwrap();
    let fix = GpsFix {
        lat: "43.073100".into(),
        lon: "-89.401200".into(),
        accuracy_m: Some("12".into()),
    };
    d.record_location(
        &LocationRecord {
            moment: LocationMoment::Signed,
            at: t(9),
            fix: Some(fix.clone()),
            no_fix: String::new(),
        },
        &t(9),
    )
    .unwrap();
    let read = InspectionDoc::load(&d.save(), actor(2))
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(read.locations.len(), 2);
    assert_eq!(read.locations[0].moment, LocationMoment::Started);
    assert_eq!(read.locations[0].fix, None);
    assert_eq!(
        read.locations[0].no_fix,
        "the user refused the location permission"
    );
    assert_eq!(read.locations[1].fix, Some(fix));
    assert_eq!(read.locations[1].at, t(9));
    // part of what the inspector signs: changing it after signing shows as tampering
    let before = d.content_hash();
    d.record_location(
        &LocationRecord {
            moment: LocationMoment::Started,
            at: t(2),
            fix: None,
            no_fix: "timed out".into(),
        },
        &t(2),
    )
    .unwrap();
    assert_ne!(d.content_hash(), before);
    d.sign(SignerRole::Inspector, "Ann Sanitarian", "M0 0 L5 5", &t(10))
        .unwrap();
    assert!(matches!(
        d.record_location(
            &LocationRecord {
                moment: LocationMoment::Signed,
                at: t(11),
                fix: None,
                no_fix: "late".into(),
            },
            &t(11),
        ),
        Err(DocumentError::Locked(_))
    ));
}

#[test]
fn an_items_text_comes_from_the_inspections_own_form() {
    use super::{item_text, ItemSet};
    let (farm, points) = item_text("pmo-2011", ItemSet::Farm, "3").unwrap();
    assert!(farm.contains("cleanliness"), "{farm}");
    assert!(points > 0);
    // a hauler/sampler evaluation's items are not the plant form's (the review page once
    // showed them blank)
    let (hauler, points) = item_text("pmo-2011", ItemSet::HaulerSampler, "14b").unwrap();
    assert!(hauler.contains("outlet valve sanitized"), "{hauler}");
    assert_eq!(points, 0);
    assert_eq!(item_text("pmo-2011", ItemSet::Plant, "14b"), None);
    assert_eq!(item_text("no-such-catalog", ItemSet::Farm, "3"), None);
}

#[test]
fn an_evaluation_records_its_pickup_and_is_signed_only_with_an_outcome() {
    use crate::sampling::Outcome;
    let mut d = InspectionDoc::create(
        actor(1),
        &header(InspectionKind::HaulerSampler, SubjectKind::Hauler),
    )
    .unwrap();
    d.set_pickup(PickupField::Producer, " Roy Harris 55-0101 ", &t(1))
        .unwrap();
    d.set_pickup(PickupField::TankTruck, "T-17", &t(1)).unwrap();
    d.set_pickup(PickupField::PermitState, "MN", &t(1)).unwrap();
    d.set_pickup(PickupField::MilkTemperatureF, "38.5", &t(2))
        .unwrap();
    assert!(d
        .set_pickup(PickupField::MilkTemperatureF, "cold", &t(2))
        .is_err());
    assert!(d
        .set_pickup(PickupField::MilkTemperatureF, "500", &t(2))
        .is_err());
    d.set_pickup(PickupField::SampleId, "55-0101-1124", &t(2))
        .unwrap();
    let err = d
        .sign(SignerRole::Inspector, "Hal", "M0 0", &t(3))
        .unwrap_err();
    assert!(err.to_string().contains("record the outcome"), "{err}");
    let before = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    assert!(d
        .set_outcome(
            Outcome::Unsatisfactory {
                reevaluate_by: before
            },
            &t(3)
        )
        .is_err());
    let by = chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
    d.set_outcome(Outcome::Unsatisfactory { reevaluate_by: by }, &t(3))
        .unwrap();
    let p = d.read().unwrap().pickup.unwrap();
    assert_eq!(p.producer, "Roy Harris 55-0101");
    assert_eq!(p.milk_temperature_f, "38.5");
    assert_eq!(
        p.outcome,
        Some(Outcome::Unsatisfactory { reevaluate_by: by })
    );
    let hash = d.content_hash();
    d.sign(SignerRole::Inspector, "Hal", "M0 0", &t(4)).unwrap();
    // the pick-up is signed content: changed after signing, it no longer matches
    let mut tampered = d.clone();
    let m = tampered.obj(&ROOT, keys::EVALUATION).unwrap();
    tampered.doc.put(&m, "milk_temperature_f", "41").unwrap();
    assert_ne!(tampered.content_hash(), hash);
    // a farm inspection has no pick-up record
    let mut farm = farm_doc();
    assert!(farm
        .set_pickup(PickupField::TankTruck, "T-1", &t(1))
        .is_err());
}

#[test]
fn a_rating_visit_names_each_hauler_identified_once_and_signs_them() {
    use crate::sampling::records::IdentifiedSampler;
    let mut d = InspectionDoc::create(
        actor(1),
        &header(InspectionKind::RatingVisitFarm, SubjectKind::Farm),
    )
    .unwrap();
    let h = |state: &str, permit: &str, name: &str| IdentifiedSampler {
        state: state.into(),
        permit: permit.into(),
        name: name.into(),
    };
    d.identify_hauler(&h("wi", " H-204 ", "Dale Kunz"), &t(1))
        .unwrap();
    // the same permit from another weight ticket replaces, not doubles
    d.identify_hauler(&h("WI", "h-204", "Dale Kunz"), &t(1))
        .unwrap();
    // and written another way on another ticket, still one
    d.identify_hauler(&h("WI", "H 204", "Dale Kunz"), &t(1))
        .unwrap();
    d.identify_hauler(&h("MN", "7781", ""), &t(1)).unwrap();
    assert!(d.identify_hauler(&h("Wisc", "1", ""), &t(1)).is_err());
    assert!(d.identify_hauler(&h("WI", "  ", ""), &t(1)).is_err());
    let before = d.read().unwrap();
    assert_eq!(before.haulers_identified.len(), 2);
    d.sign(SignerRole::Inspector, "Sam", "M0 0", &t(2)).unwrap();
    assert_eq!(d.read().unwrap().integrity, Integrity::Intact);
    // not on an evaluation or routine inspection
    let mut routine = InspectionDoc::create(
        actor(2),
        &header(InspectionKind::RoutineFarm, SubjectKind::Farm),
    )
    .unwrap();
    assert!(routine.identify_hauler(&h("WI", "1", ""), &t(1)).is_err());
}

/// A rating report's FORM 2359j entries: two devices filling different items converge item by
/// item, the entries are signed content, and a report refuses findings and a farm as subject.
#[test]
fn a_rating_report_merges_entry_by_entry_and_round_trips() {
    let mut h = header(InspectionKind::RatingReport, SubjectKind::Btu);
    h.subject.id = "btu-1".into();
    let mut a = InspectionDoc::create(actor(1), &h).unwrap();
    let mut b = InspectionDoc::load(&a.save(), actor(2)).unwrap();
    a.set_report_entry("part_i/1/number", &serde_json::json!(4), &t(1))
        .unwrap();
    b.set_report_entry(
        "a/recommendations",
        &serde_json::json!("Sample monthly."),
        &t(2),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let (ra, rb) = (a.read().unwrap(), b.read().unwrap());
    assert_eq!(ra.report, rb.report);
    assert_eq!(ra.report.len(), 2);
    assert_eq!(ra.report["part_i/1/number"], "4");
    // the entries are what the rating officer signs
    let before = a.content_hash();
    a.set_report_entry("part_i/1/number", &serde_json::json!(5), &t(3))
        .unwrap();
    assert_ne!(a.content_hash(), before);
    // null clears an entry; a malformed path is refused
    a.set_report_entry("part_i/1/number", &serde_json::Value::Null, &t(4))
        .unwrap();
    assert!(!a.read().unwrap().report.contains_key("part_i/1/number"));
    assert!(a
        .set_report_entry("../x", &serde_json::json!(1), &t(5))
        .is_err());
    // no findings on a report; no report entries on a visit
    assert!(a.set_finding("1", &violated(None), &t(6)).is_err());
    let mut visit = farm_doc();
    assert!(visit
        .set_report_entry("a/ordinance", &serde_json::json!("x"), &t(7))
        .is_err());
    a.validate().unwrap();
    let loaded = InspectionDoc::load(&a.save(), actor(3)).unwrap();
    assert_eq!(loaded.read().unwrap().report, a.read().unwrap().report);
    // an entry a hostile client wrote past the editing API is refused by validation
    let mut forged = InspectionDoc::load(&a.save(), actor(4)).unwrap();
    let m = forged.obj(&ROOT, keys::REPORT).unwrap();
    forged
        .doc
        .put(
            &m,
            "a/recommendations",
            "x".repeat(super::report::MAX_REPORT_VALUE + 1),
        )
        .unwrap();
    assert!(forged.validate().is_err());
    let mut forged = InspectionDoc::load(&a.save(), actor(5)).unwrap();
    let m = forged.obj(&ROOT, keys::REPORT).unwrap();
    forged.doc.put(&m, "a/<script>", "\"x\"").unwrap();
    assert!(forged.validate().is_err());
    // a report is of a shipper, never of a farm
    let farm_report = InspectionDoc::create(
        actor(1),
        &header(InspectionKind::RatingReport, SubjectKind::Farm),
    )
    .unwrap();
    assert!(farm_report.validate().is_err());
}
