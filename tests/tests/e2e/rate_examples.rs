//! The worked examples rated through the server's `rate` path, as an agency would exchange
//! them: from a file on disk to the printed result.

use milkshed_sync_server::service::rate::{rate_file, RateError};
use milkshed_tests::workspace_root;
use serde_json::Value;

#[test]
fn every_example_worksheet_rates_through_the_server() {
    let dir = workspace_root().join("shared/tests/data");
    let expected = [
        ("h13-great-cows-2359k.json", "rating", Value::from(91)),
        ("h14-ima-dairy-2359L.json", "rating", Value::from(90)),
        ("h15-metro-dairy-2359L.json", "rating", Value::from(91)),
        ("f2c3b-option2.json", "raw_milk_rating", Value::from(92)),
        (
            "h-my-haccp-option1.json",
            "raw_milk_rating",
            Value::from("90*"),
        ),
        (
            "h-clean-milk-dairy-combined.json",
            "raw_milk_rating",
            Value::from(92),
        ),
    ];
    for (file, field, value) in expected {
        let out: Value = serde_json::from_str(&rate_file(&dir.join(file)).unwrap()).unwrap();
        assert_eq!(out[field], value, "{file}");
    }
}

#[test]
fn an_oversized_worksheet_is_refused_before_parsing() {
    let dir = std::env::temp_dir().join(format!("milkshed-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.json");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(milkshed_sync_server::service::rate::MAX_WORKSHEET_BYTES + 1)
        .unwrap();
    let err = rate_file(&path).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(err, RateError::TooLarge { .. }), "{err}");
}
