//! Properties every sanitation rating keeps, over generated worksheets: it stays within
//! 0..=100, adding a violation never raises it, row order never changes it, and rating the
//! same worksheet twice gives the same bytes.

use milkshed_shared::catalog::{Catalog, DEFAULT_CATALOG};
use milkshed_shared::rating::plant::{self, DebitLine, PlantSheet, StationRow};
use milkshed_shared::rating::raw_milk::{self, FarmRow};
use milkshed_shared::rating::Mark;
use milkshed_shared::worksheet;
use proptest::prelude::*;
use serde_json::{json, Value};

fn farm_form() -> &'static milkshed_shared::catalog::Form {
    &Catalog::builtin(DEFAULT_CATALOG).unwrap().farm
}

fn plant_form() -> &'static milkshed_shared::catalog::Form {
    &Catalog::builtin(DEFAULT_CATALOG).unwrap().plant
}

/// A mark on column `i` of `form` with one of the points it allows.
fn mark_on(form: &milkshed_shared::catalog::Form, i: usize, major: bool) -> Mark {
    let col = &form.columns[i % form.columns.len()];
    let allowed = col.allowed_points();
    let points = if major {
        allowed[allowed.len() - 1]
    } else {
        allowed[0]
    };
    Mark {
        column: i % form.columns.len(),
        points,
    }
}

fn farms() -> impl Strategy<Value = Vec<(u64, Vec<(usize, bool)>)>> {
    prop::collection::vec(
        (
            0u64..2_000,
            prop::collection::vec((0usize..64, any::<bool>()), 0..12),
        ),
        1..40,
    )
}

fn rows(form: &milkshed_shared::catalog::Form, spec: &[(u64, Vec<(usize, bool)>)]) -> Vec<FarmRow> {
    spec.iter()
        .map(|(cwt, marks)| FarmRow {
            cwt: *cwt + 1,
            marks: marks.iter().map(|(i, m)| mark_on(form, *i, *m)).collect(),
        })
        .collect()
}

/// The worksheet JSON of generated farms, with each column's first id.
fn worksheet_json(spec: &[(u64, Vec<(usize, bool)>)]) -> String {
    let form = farm_form();
    let farms: Vec<Value> = spec
        .iter()
        .enumerate()
        .map(|(n, (cwt, marks))| {
            let violations: Vec<Value> = marks
                .iter()
                .map(|(i, major)| {
                    let m = mark_on(form, *i, *major);
                    let col = &form.columns[m.column];
                    if col.weight.is_none() {
                        json!({"item": col.ids[0], "points": m.points})
                    } else {
                        json!(col.ids[0])
                    }
                })
                .collect();
            json!({"name": format!("Farm {n}"), "pounds_sold_daily": cwt * 100 + 40, "violations": violations})
        })
        .collect();
    json!({"form": "2359k", "shipper": "Generated BTU", "farms": farms}).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn farm_rating_stays_within_0_100(spec in farms()) {
        let r = raw_milk::rate(farm_form(), &rows(farm_form(), &spec));
        prop_assert!(r.rating <= 100);
        prop_assert!(!r.clamped, "a farm never exceeds 100 debits");
        prop_assert!(r.farms.iter().all(|f| f.total_debits <= 100));
    }

    #[test]
    fn adding_a_violation_never_raises_the_farm_rating(
        spec in farms(), farm in 0usize..40, col in 0usize..64, major in any::<bool>()
    ) {
        let form = farm_form();
        let before = raw_milk::rate(form, &rows(form, &spec));
        let mut more = rows(form, &spec);
        let n = more.len();
        more[farm % n].marks.push(mark_on(form, col, major));
        let after = raw_milk::rate(form, &more);
        prop_assert!(after.rating_exact <= before.rating_exact);
        prop_assert!(after.rating <= before.rating);
    }

    #[test]
    fn farm_row_order_never_changes_the_rating(spec in farms(), seed in any::<u64>()) {
        let form = farm_form();
        let a = raw_milk::rate(form, &rows(form, &spec));
        let mut shuffled = spec.clone();
        // a deterministic permutation from the seed
        let n = shuffled.len();
        for i in (1..n).rev() {
            let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        let b = raw_milk::rate(form, &rows(form, &shuffled));
        prop_assert_eq!(a.rating_exact, b.rating_exact);
        prop_assert_eq!(a.percent_violating, b.percent_violating);
        prop_assert_eq!(a.total_cwt_x_debits, b.total_cwt_x_debits);
    }

    #[test]
    fn rating_a_worksheet_twice_gives_the_same_bytes(spec in farms()) {
        let text = worksheet_json(&spec);
        let first = worksheet::rate_json(&text).unwrap();
        let second = worksheet::rate_json(&text).unwrap();
        prop_assert_eq!(&first, &second);
        let v: Value = serde_json::from_str(&first).unwrap();
        let rating = v["rating"].as_u64().unwrap();
        prop_assert!(rating <= 100);
    }

    #[test]
    fn plant_rating_stays_within_0_100_and_never_rises_with_a_violation(
        plant_cwt in 1u64..100_000,
        plant_marks in prop::collection::vec((0usize..64, any::<bool>()), 0..30),
        products in prop::collection::vec((1u64..100_000, prop::collection::vec(0usize..64, 0..10)), 0..20),
        stations in prop::collection::vec((1u64..20_000, 0u32..=100), 0..5),
        extra in 0usize..64,
    ) {
        let form = plant_form();
        let partial: Vec<usize> = (0..form.columns.len()).filter(|i| form.columns[*i].partial_by_product).collect();
        let sheet = PlantSheet {
            plant: DebitLine { cwt: plant_cwt, marks: plant_marks.iter().map(|(i, m)| mark_on(form, *i, *m)).collect() },
            products: products.iter().map(|(cwt, cols)| DebitLine {
                cwt: *cwt,
                marks: cols.iter().map(|c| mark_on(form, partial[c % partial.len()], false)).collect(),
            }).collect(),
            stations: stations.iter().map(|(cwt, rating)| StationRow { cwt: *cwt, rating: *rating }).collect(),
        };
        // Stations ship into the plant, so together they ship no more than it processes. Past
        // that the MMSR's station rule (plant − station) × cwt is no longer monotone: a plant
        // violation shrinks every station's difference (the result warns; see ARCHITECTURE.md).
        let station_cwt: u64 = sheet.stations.iter().map(|s| s.cwt).sum();
        prop_assume!(station_cwt <= plant_cwt);
        let before = plant::rate(form, &sheet);
        prop_assert!(before.rating <= 100);
        let mut worse = sheet.clone();
        worse.plant.marks.push(mark_on(form, extra, false));
        let after = plant::rate(form, &worse);
        prop_assert!(after.rating <= before.rating);
    }
}

/// Any day chrono can hold, the ends of the calendar included.
fn any_day() -> impl Strategy<Value = chrono::NaiveDate> {
    let (min, max) = (
        chrono::NaiveDate::MIN.num_days_from_ce(),
        chrono::NaiveDate::MAX.num_days_from_ce(),
    );
    prop_oneof![
        Just(chrono::NaiveDate::MIN),
        Just(chrono::NaiveDate::MAX),
        (max - 400..=max).prop_map(|d| chrono::NaiveDate::from_num_days_from_ce_opt(d).unwrap()),
        (min..=max).prop_map(|d| chrono::NaiveDate::from_num_days_from_ce_opt(d).unwrap()),
    ]
}

use chrono::Datelike;

proptest! {
    /// The date rules are total: no date, however far out, makes one panic (a request's
    /// `today=+262142-12-31` once took the whole server down). Dates from outside are refused
    /// past `calendar::LATEST`; the rules themselves saturate.
    #[test]
    fn no_date_makes_a_date_rule_panic(a in any_day(), b in any_day(), n in 0u32..400) {
        use milkshed_shared::{calendar, ledger, register};
        let _ = calendar::reinspection_due(a);
        let _ = calendar::add_months(a, n);
        let _ = calendar::month_end(a);
        let _ = calendar::deadline(a, n);
        let _ = calendar::on_time(a, b, n);
        let _ = calendar::listing_expiry(a, n);
        let _ = calendar::appraisal_window(a, Some(b));
        for p in [calendar::AppendixP::Months12, calendar::AppendixP::Months6, calendar::AppendixP::Months3] {
            let _ = calendar::appendix_p_due(a, p, Some(b));
        }
        let _ = register::add_working_days(a, n);
        let _ = register::standing(a, b);
        let _ = register::permission_due(a);
        let _ = register::rerating_due(a, n);
        let _ = register::rerating_letter_due(a);
        let _ = ledger::action_after(&[(a, true), (b, true), (a, false)], b);
        let _ = ledger::reinstatement_samples_ok(&[a, b]);
        let _ = ledger::reinstatement("bacteria", a, &[(b, false), (a, false)]);
        for kind in ledger::ActionKind::ALL {
            let _ = kind.deadline(a);
        }
        let _ = ledger::first_frequency_gap(&[a], calendar::minus_days(a, 400), a);
        prop_assert_eq!(calendar::check_date(a).is_ok(), (calendar::EARLIEST..=calendar::LATEST).contains(&a));
    }
}
