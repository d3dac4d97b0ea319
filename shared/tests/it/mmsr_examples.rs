//! Each worked example of the MMSR that computes a sanitation compliance rating, as a
//! worksheet under `tests/data/` with the figures the seed prints in `*.expected.json`.

use std::path::{Path, PathBuf};

use milkshed_shared::worksheet;
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Every key of `expected` is in `actual` with the same value (objects compared recursively,
/// arrays element by element and of the same length).
fn assert_subset(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}.{k}: missing from the result"));
                assert_subset(ev, av, &format!("{path}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{path}: row count");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_subset(ev, av, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

fn check(name: &str) -> Value {
    let dir = data_dir();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let sheet = expected["worksheet"].as_str().unwrap();
    let text = std::fs::read_to_string(dir.join(sheet)).unwrap();
    let result: Value = serde_json::from_str(&worksheet::rate_json(&text).unwrap()).unwrap();
    assert_subset(&expected["expected"], &result, name);
    result
}

/// Section H #13, Great Cows BTU (L5421–5680): 25 farms, 378 cwt, 3,255 → 100 − 8.6 = 91.
/// Every row, both totals and all 34 printed percentages are reproduced.
#[test]
fn h13_great_cows_btu_2359k() {
    let r = check("h13-great-cows-2359k");
    // Miller's X (A3): nine columns marked, 35 uncapped, 34 under the 18r cap.
    let miller = &r["farms"][2];
    assert_eq!(miller["debits"].as_object().unwrap().len(), 9);
    assert_eq!(miller["total_debits"], 34);
    // his lab debits come from "Insufficient Milk Samples" (L5501)
    let lab = miller["lab"].as_array().unwrap();
    assert!(lab
        .iter()
        .all(|l| l["debited"] == true && l["required_number_met"] == false));
    // Wolf's printed entries were lost; his total 6 on 19 cwt survives (A4)
    assert_eq!(r["farms"][15]["cwt_x_debits"], 114);
}

/// Section H #14, I.M.A. Dairy (L5717–6027): partial product debits, 49,637 / 5,000 → 90;
/// the 953 cwt of product lines stay out of the denominator (L732–734).
#[test]
fn h14_ima_dairy_2359l_partial_products() {
    let r = check("h14-ima-dairy-2359L");
    let sour_cream = &r["rows"][6];
    assert_eq!(sour_cream["debits"]["LAB-COLI"], 10);
    let one_percent = &r["rows"][4];
    assert_eq!(one_percent["debits"]["LAB-BACT"], 5);
    assert_eq!(one_percent["debits"]["LAB-TEMP"], 5);
}

/// Section H #15, Metro Dairy Company (L6028–6287): a receiving station at 91 adds nothing;
/// a transfer station at 89 adds (92 − 89) × 220 → 8,660 / 1,000 → 91.
#[test]
fn h15_metro_dairy_2359l_stations() {
    check("h15-metro-dairy-2359L");
}

/// Section F.2.c.3.B Option 2 (L1243–1261): 95 × .20 + 90 × .35 + 92 × .45 = 91.9 → 92.
#[test]
fn f2c3b_option2_weighted_average() {
    check("f2c3b-option2");
}

/// Clean Milk Dairy (L6379–6380, L6427): the attached supply's 92 is reported; the earliest
/// rating date is the plant's 8/3, not the enforcement date or the unattached sources'.
#[test]
fn clean_milk_dairy_attached_with_unattached() {
    check("h-clean-milk-dairy-combined");
}

/// My HACCP Milk Plant (L7257, L7379–7382): Option 1 reports "90*" at the plant rating date.
#[test]
fn my_haccp_plant_option1() {
    check("h-my-haccp-option1");
}

/// Every worksheet in `tests/data/` has its expectations and is exercised above.
#[test]
fn every_worksheet_has_expectations() {
    let mut sheets = 0;
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".expected.json") {
            check(stem);
            sheets += 1;
        }
    }
    assert_eq!(sheets, 11);
}

/// The five worked enforcement ratings of Section H (84, 91, 76, 90, 91) from their 2359j
/// worksheets, with the C/D/E worksheets given as rows where the MMSR prints them.
#[test]
fn worked_enforcement_ratings() {
    for name in [
        "h2-clear-milk-dairy-2359j",
        "h5-clear-milk-coop-2359j",
        "h9-united-dairy-2359j",
        "h11-great-cows-2359j",
        "aseptic-dairy-2359j",
    ] {
        check(name);
    }
}
