//! `milkshed-server rate`: a good worksheet prints its result; a bad one exits non-zero with an
//! error naming the JSON path and prints no rating.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/tests/data")
        .join(name)
}

fn rate_path(path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_milkshed-server"))
        .arg("rate")
        .arg(path)
        .output()
        .unwrap()
}

fn rate_text(text: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_milkshed-server"))
        .args(["rate", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text).unwrap();
    child.wait_with_output().unwrap()
}

fn refused(out: &Output) -> String {
    assert!(!out.status.success(), "accepted");
    assert!(
        out.stdout.is_empty(),
        "printed a result: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn rates_the_great_cows_btu() {
    let out = rate_path(&data("h13-great-cows-2359k.json"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rating"], 91);
    assert_eq!(v["total_cwt_x_debits"], 3255);
    // the same worksheet rated again prints the same bytes
    assert_eq!(
        rate_path(&data("h13-great-cows-2359k.json")).stdout,
        out.stdout
    );
}

#[test]
fn reads_standard_input() {
    let text = std::fs::read(data("h15-metro-dairy-2359L.json")).unwrap();
    let out = rate_text(&text);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rating"], 91);
}

#[test]
fn unknown_item_names_the_json_path() {
    let err = refused(&rate_text(
        br#"{"form":"2359k","farms":[{"name":"A","cwt":3,"violations":["2A","27"]}]}"#,
    ));
    assert!(err.contains("farms[0].violations[1]"), "{err}");
    assert!(err.contains("unknown item \"27\""), "{err}");
}

#[test]
fn unknown_field_is_refused() {
    let err = refused(&rate_text(
        br#"{"form":"2359k","farms":[{"name":"A","cwt":3,"violatons":["2A"]}]}"#,
    ));
    assert!(err.contains("farms[0].violatons"), "{err}");
}

#[test]
fn negative_pounds_are_refused() {
    let err = refused(&rate_text(
        br#"{"form":"2359k","farms":[{"name":"A","pounds_sold_daily":-1700}]}"#,
    ));
    assert!(err.contains("farms[0].pounds_sold_daily"), "{err}");
}

#[test]
fn points_the_item_does_not_allow() {
    let err = refused(&rate_text(
        br#"{"form":"2359k","farms":[{"name":"A","cwt":3,"violations":[{"item":"8","points":4}]}]}"#,
    ));
    assert!(err.contains("farms[0].violations[0].points"), "{err}");
}

#[test]
fn partial_debit_on_an_item_that_cannot_take_one() {
    let err = refused(&rate_text(
        br#"{"form":"2359L","plant":{"name":"P","cwt":10,"violations":[{"item":"9","products":["Milk"]}]},
             "products":[{"name":"Milk","cwt":2}]}"#,
    ));
    assert!(err.contains("plant.violations[0].products"), "{err}");
}

#[test]
fn truncated_json_is_refused() {
    let full = std::fs::read(data("h13-great-cows-2359k.json")).unwrap();
    let err = refused(&rate_text(&full[..full.len() / 2]));
    assert!(err.contains("not valid JSON"), "{err}");
}

#[test]
fn missing_and_binary_files_are_refused() {
    let err = refused(&rate_path(Path::new("/nonexistent/worksheet.json")));
    assert!(
        err.contains("cannot read /nonexistent/worksheet.json"),
        "{err}"
    );
    let err = refused(&rate_text(&[0xff, 0xfe, 0x00, 0x7b]));
    assert!(err.contains("not UTF-8"), "{err}");
}
