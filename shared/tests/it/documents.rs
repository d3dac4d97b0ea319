//! Inspection documents: merging in any order converges; rating visits yield the worksheet
//! and rating the engine computes.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::document::{
    Header, InspectionDoc, InspectionKind, ItemState, Person, Subject, SubjectKind,
};
use milkshed_shared::worksheet;
use proptest::prelude::*;
use serde_json::Value;

fn t(minute: u32) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(6 * 3600)
        .unwrap()
        .with_ymd_and_hms(2012, 8, 10, 8, minute % 60, 0)
        .unwrap()
}

fn header(n: u128, kind: InspectionKind, name: &str) -> Header {
    Header {
        id: milkshed_shared::ids::InspectionId::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0000 + n,
        ),
        kind,
        agency: "WI-DATCP".into(),
        subject: Subject {
            kind: if kind == InspectionKind::RatingVisitPlant {
                SubjectKind::Plant
            } else {
                SubjectKind::Farm
            },
            id: format!("f-{n}").into(),
            name: name.into(),
            permit: None,
            producer_number: Some(format!("55-{n:04}")),
        },
        inspector: Person {
            id: "u-sro".into(),
            name: "Sam Rating Officer".into(),
        },
        catalog: "pmo-2011".into(),
        started_at: t(0),
        follows: None,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Finding(usize, u8),
    Notes(String),
    Pounds(u64),
    ItemNote(usize, String),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..40, 0u8..5).prop_map(|(i, s)| Op::Finding(i, s)),
        "[a-z ]{0,12}".prop_map(Op::Notes),
        (0u64..5000).prop_map(Op::Pounds),
        (0usize..40, "[a-z ]{0,8}").prop_map(|(i, s)| Op::ItemNote(i, s)),
    ]
}

fn apply(d: &mut InspectionDoc, op: &Op, minute: u32) {
    let ids = d.item_ids().unwrap();
    match op {
        Op::Finding(i, s) => {
            let item = &ids[i % ids.len()];
            let state = match s {
                0 => ItemState::InCompliance,
                1 => ItemState::NotApplicable,
                2 => ItemState::NotObserved,
                _ => ItemState::Violated {
                    points: if item.starts_with('8') { Some(5) } else { None },
                    products: vec![],
                },
            };
            d.set_finding(item, &state, &t(minute)).unwrap();
        }
        Op::Notes(s) => d.set_notes(s, &t(minute)).unwrap(),
        Op::Pounds(p) => d.set_pounds_sold_daily(*p, &t(minute)).unwrap(),
        Op::ItemNote(i, s) => d.set_item_note(&ids[i % ids.len()], s, &t(minute)).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Three devices edit one inspection offline; merging their work in any order gives the
    /// same inspection, the same conflicts and the same heads.
    #[test]
    fn merging_in_any_order_converges(
        edits in prop::collection::vec(prop::collection::vec(op(), 0..8), 3),
    ) {
        let mut base = InspectionDoc::create(ActorId::from([1u8; 16]), &header(1, InspectionKind::RoutineFarm, "Roy Harris")).unwrap();
        let saved = base.save();
        let mut replicas: Vec<InspectionDoc> = edits
            .iter()
            .enumerate()
            .map(|(n, ops)| {
                let mut d = InspectionDoc::load(&saved, ActorId::from([n as u8 + 10; 16])).unwrap();
                for (k, op) in ops.iter().enumerate() {
                    apply(&mut d, op, k as u32 + 1);
                }
                d
            })
            .collect();
        let mut results = Vec::new();
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [1, 2, 0]] {
            let mut m = InspectionDoc::load(&saved, ActorId::from([99u8; 16])).unwrap();
            for i in order {
                m.merge(&mut replicas[i]).unwrap();
            }
            let mut heads = m.heads();
            heads.sort();
            results.push((m.read().unwrap(), m.conflicts(), heads));
        }
        // merging a merged replica into another pairwise result converges too
        let mut ab = replicas[0].clone();
        ab.merge(&mut replicas[1]).unwrap();
        let mut c = replicas[2].clone();
        c.merge(&mut ab).unwrap();
        let mut heads = c.heads();
        heads.sort();
        results.push((c.read().unwrap(), c.conflicts(), heads));
        for r in &results[1..] {
            prop_assert_eq!(&results[0], r);
        }
    }
}

/// A rating visit over 3 farms yields the 2359k and the rating the engine computes.
#[test]
fn rating_visits_yield_the_2359k() {
    let farms = [
        (
            "Roy Harris",
            1700,
            vec![("2A", None), ("8", Some(5)), ("12", None), ("17", None)],
        ),
        ("James Henley", 2100, vec![("6", None)]),
        (
            "K. R. Olson",
            1500,
            vec![("3", None), ("8", Some(2)), ("5D", None)],
        ),
    ];
    let mut visits = Vec::new();
    for (n, (name, pounds, items)) in farms.iter().enumerate() {
        let mut d = InspectionDoc::create(
            ActorId::from([7u8; 16]),
            &header(n as u128 + 1, InspectionKind::RatingVisitFarm, name),
        )
        .unwrap();
        d.set_pounds_sold_daily(*pounds, &t(1)).unwrap();
        for (item, points) in items {
            d.set_finding(
                item,
                &ItemState::Violated {
                    points: *points,
                    products: vec![],
                },
                &t(2),
            )
            .unwrap();
        }
        d.set_finding("1", &ItemState::InCompliance, &t(3)).unwrap();
        visits.push(d.read().unwrap());
    }
    let date = NaiveDate::from_ymd_opt(2012, 8, 10).unwrap();
    let sheet = worksheet::raw_milk_from_visits("Great Cows BTU", date, &visits).unwrap();
    let out = worksheet::rate(&sheet).to_value();
    // Harris 9 × 17 + Henley 4 × 21 + Olson 7 × 15 = 342 over 53 cwt → 100 − 6.45 = 93.5 → 94
    assert_eq!(out["total_cwt"], 53);
    assert_eq!(out["total_cwt_x_debits"], 342);
    assert_eq!(out["rating"], 94);
    assert_eq!(out["farms"][0]["producer_number"], Value::from("55-0001"));
    // a visit without the pounds sold daily cannot be rated
    let mut d = InspectionDoc::create(
        ActorId::from([7u8; 16]),
        &header(9, InspectionKind::RatingVisitFarm, "No Pounds"),
    )
    .unwrap();
    d.set_finding(
        "3",
        &ItemState::Violated {
            points: None,
            products: vec![],
        },
        &t(1),
    )
    .unwrap();
    visits.push(d.read().unwrap());
    let err = worksheet::raw_milk_from_visits("Great Cows BTU", date, &visits).unwrap_err();
    assert!(err.to_string().contains("farms[3]"), "{err}");
}

/// A plant rating visit with a partial debit yields the 2359L.
#[test]
fn a_plant_visit_yields_the_2359l() {
    let mut d = InspectionDoc::create(
        ActorId::from([7u8; 16]),
        &header(50, InspectionKind::RatingVisitPlant, "Metro Dairy Co."),
    )
    .unwrap();
    d.set_pounds_processed_daily(100_000, &t(1)).unwrap();
    d.set_product("Tubs", 7000, &t(1)).unwrap();
    d.set_finding(
        "10",
        &ItemState::Violated {
            points: None,
            products: vec![],
        },
        &t(2),
    )
    .unwrap();
    d.set_finding(
        "19",
        &ItemState::Violated {
            points: None,
            products: vec!["Tubs".into()],
        },
        &t(2),
    )
    .unwrap();
    let sheet = worksheet::plant_from_visit(
        &d.read().unwrap(),
        NaiveDate::from_ymd_opt(2012, 10, 30).unwrap(),
    )
    .unwrap();
    let out = worksheet::rate(&sheet).to_value();
    // 1000 × 3 + 70 × 5 = 3350 / 1000 → 96.65 → 97
    assert_eq!(out["total_product"], 3350);
    assert_eq!(out["rating"], 97);
}
