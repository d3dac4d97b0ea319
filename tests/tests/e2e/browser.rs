//! The review pages in a real browser (Debian's headless Chromium, driven by playwright-core
//! from `tests/browser/`): a supervisor signs in, returns an inspection with a comment on a
//! finding and opens each export; the inspector's device then syncs and has the comment.
//! `MILKSHED_UPDATE_SCREENS=1` writes the screenshots to `docs/screens/`.

use std::process::Command;

use milkshed_shared::document::Status;
use milkshed_tests::{workspace_root, TestDevice, TestServer};

#[test]
fn a_supervisor_returns_an_inspection_in_chromium_and_the_device_gets_the_comment() {
    let root = workspace_root();
    let browser = root.join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/browser` (scripts/test does) to install playwright-core"
    );
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    ann.sync().unwrap();
    // the rating officer's visits of every farm of the Great Cows BTU (TABLE 1: all 12)
    let mut sam = TestDevice::enroll(&server.url(), "sam");
    let farms = [
        ("Roy Harris", 1700, &["3", "12"][..]),
        ("James Henley", 2100, &["8A"][..]),
        ("W. T. Miller", 500, &["2A", "5C", "18C"][..]),
        ("John Barkley", 1100, &["6"][..]),
        ("K. R. Olson", 1500, &[][..]),
        ("Robert Taylor", 1000, &["15C"][..]),
        ("Pete Carhart", 1800, &["10", "13"][..]),
        ("Davis & Nelson", 3300, &["3"][..]),
        ("Al Hart", 1000, &[][..]),
        ("Don Meyers", 800, &["2B", "12"][..]),
        ("Wm. Long", 1200, &["9"][..]),
        ("Jon Jones", 2700, &["4", "17"][..]),
    ];
    for (n, (name, pounds, items)) in farms.iter().enumerate() {
        sam.rating_visit(&format!("farm-{}", n + 1), name, *pounds, items);
    }
    sam.sync().unwrap();
    let shots = if std::env::var_os("MILKSHED_UPDATE_SCREENS").is_some() {
        root.join("docs/screens")
    } else {
        std::env::temp_dir().join(format!("milkshed-review-{}", std::process::id()))
    };
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(browser.join("review.mjs"))
        .arg(server.url())
        .arg(&shots)
        .current_dir(&browser)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "the browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value =
        serde_json::from_slice(out.stdout.trim_ascii()).expect("the script's JSON line");
    assert_eq!(
        seen["total_debits"], "8",
        "Roy Harris: 2A (1) + 8 major (5) + 12 (2)"
    );
    let id: milkshed_shared::ids::InspectionId =
        seen["inspection"].as_str().unwrap().parse().unwrap();
    // the page's 2359k is the engine's, for the visits as the server holds them
    let visits: Vec<_> = sam
        .store
        .inspection_ids()
        .unwrap()
        .into_iter()
        .map(|i| sam.store.inspection(i).unwrap())
        .collect();
    let mut visits = visits;
    visits.sort_by_key(|v| v.header.started_at);
    let date = visits[0].header.started_at.date_naive();
    let expected =
        milkshed_shared::worksheet::raw_milk_from_visits("Great Cows BTU", date, &visits)
            .map(|w| milkshed_shared::worksheet::rate(&w).to_value())
            .unwrap();
    assert_eq!(seen["rating_2359k"], expected["rating"].to_string());
    assert!(
        seen["check_2359i"].as_str().unwrap().starts_with("Checked"),
        "the demo BTU's 2359i is ready: {}",
        seen["check_2359i"]
    );

    // the comment reaches the inspector's device on its next sync
    ann.sync().unwrap();
    let ins = ann.store.inspection(id).unwrap();
    assert_eq!(ins.status, Status::Returned);
    let review = ins.reviews.last().unwrap();
    assert_eq!(review.by.name, "Sue Marchetti");
    assert_eq!(review.comment, "Please describe the well casing you found.");
    assert_eq!(
        review.item_comments,
        [(
            "2A".to_string(),
            "Is the well cap sealed? Add a photo.".to_string()
        )]
    );
    assert!(shots.join("review-3-inspection.png").exists());
}
