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
    // the worked example's farms all meet the lab requirements
    let ledger: worksheet::LabBook = (1..=4)
        .map(|n| (format!("f-{n}"), compliant(date)))
        .collect();
    let sheet = worksheet::raw_milk_from_visits("Great Cows BTU", date, &visits, &ledger).unwrap();
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
    let err =
        worksheet::raw_milk_from_visits("Great Cows BTU", date, &visits, &ledger).unwrap_err();
    assert!(err.to_string().contains("farms[3]"), "{err}");
}

/// Monthly results of every farm standard within the limits, the last on the rating's eve.
fn compliant(rating_date: NaiveDate) -> worksheet::LedgerLab {
    let months: Vec<(NaiveDate, bool)> = (0..5)
        .map(|m| {
            (
                rating_date - chrono::Months::new(m) - chrono::Days::new(1),
                false,
            )
        })
        .rev()
        .collect();
    worksheet::LedgerLab {
        series: [
            "bacteria",
            "somatic_cells",
            "cooling_temperature",
            "drug_residue",
        ]
        .into_iter()
        .map(|s| (s.to_string(), months.clone()))
        .collect(),
        permit_issued: None,
    }
}

/// The lab columns of the visits' 2359k are the MMSR's crediting rule (L320–334) applied to
/// the ledger, whatever was tapped: a farm with 2 of its last 4 somatic cell counts over and
/// the last one over is debited LAB-SCC; a farm with no results is debited every lab column,
/// unless its permit is under six months old; a LAB-SCC tap counts only with its reason.
#[test]
fn the_lab_columns_come_from_the_ledger_and_a_tap_needs_a_reason() {
    let date = NaiveDate::from_ymd_opt(2012, 8, 10).unwrap();
    let names = [
        "Ledger Over",
        "No Results",
        "New Permit",
        "Tapped",
        "Reasoned",
    ];
    let mut visits = Vec::new();
    for (n, name) in names.iter().enumerate() {
        let mut d = InspectionDoc::create(
            ActorId::from([7u8; 16]),
            &header(n as u128 + 1, InspectionKind::RatingVisitFarm, name),
        )
        .unwrap();
        d.set_pounds_sold_daily(1000, &t(1)).unwrap();
        if n >= 3 {
            let violated = ItemState::Violated {
                points: None,
                products: vec![],
            };
            d.set_finding("LAB-SCC", &violated, &t(2)).unwrap();
        }
        if n == 4 {
            d.set_item_note("LAB-SCC", "the plant's own tests show 900,000", &t(3))
                .unwrap();
        }
        visits.push(d.read().unwrap());
    }
    let mut over = compliant(date);
    let scc = over.series.get_mut("somatic_cells").unwrap();
    let k = scc.len();
    scc[k - 3].1 = true;
    scc[k - 1].1 = true;
    // one result so far, within the limits
    let mut new_permit = compliant(date);
    for results in new_permit.series.values_mut() {
        results.drain(..results.len() - 1);
    }
    new_permit.permit_issued = Some(date - chrono::Months::new(2));
    let ledger: worksheet::LabBook = [
        ("f-1".to_string(), over),
        ("f-3".to_string(), new_permit),
        ("f-4".to_string(), compliant(date)),
        ("f-5".to_string(), compliant(date)),
    ]
    .into();
    let sheet = worksheet::raw_milk_from_visits("BTU", date, &visits, &ledger).unwrap();
    let out = worksheet::rate(&sheet).to_value();
    let debits = |i: usize| out["farms"][i]["debits"].clone();
    let lab = |i: usize, standard: &str| {
        out["farms"][i]["lab"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["standard"] == standard)
            .cloned()
            .unwrap()
    };
    // 2 of the last 4 over and the last over: no credit (L322-324)
    assert_eq!(debits(0)["LAB-SCC"], 5, "{}", out["farms"][0]);
    assert_eq!(lab(0, "somatic_cells")["over_in_last_four"], 2);
    assert_eq!(lab(0, "somatic_cells")["debited"], true);
    assert_eq!(lab(0, "bacteria")["debited"], false);
    // no results at all: fewer than the required number (L324-330)
    for standard in [
        "bacteria",
        "somatic_cells",
        "cooling_temperature",
        "drug_residue",
    ] {
        assert_eq!(lab(1, standard)["required_number_met"], false);
        assert_eq!(lab(1, standard)["debited"], true, "{standard}");
    }
    // a permit under six months is credited without the required number, the last result
    // within the limits (L330-334)
    assert_eq!(lab(2, "somatic_cells")["required_number_met"], false);
    assert_eq!(
        lab(2, "somatic_cells")["debited"],
        false,
        "{}",
        out["farms"][2]
    );
    // a tap without a reason leaves the column to the ledger, and the remarks say so
    assert_eq!(debits(3).get("LAB-SCC"), None, "{}", out["farms"][3]);
    assert!(out["farms"][3]["remarks"]
        .as_str()
        .unwrap()
        .contains("credited from the lab ledger"));
    // a tap with its reason is a recorded finding: debited, the reason on the form
    assert_eq!(debits(4)["LAB-SCC"], 5);
    assert!(out["farms"][4]["remarks"]
        .as_str()
        .unwrap()
        .contains("900,000"));
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
