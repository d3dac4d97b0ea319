//! The review pages in a real browser (Debian's headless Chromium, driven by playwright-core
//! from `tests/browser/`): a supervisor signs in, returns an inspection with a comment on a
//! finding and opens each export; the inspector's device then syncs and has the comment.
//! A second test drives the supervisor's desk (`desk.mjs`): its conflict resolution reaches a
//! tablet, its reassignment a work list, its letter the SMTP server.
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
    let farms: Vec<String> = visits
        .iter()
        .map(|v| v.header.subject.id.as_str().to_string())
        .collect();
    let ledger = milkshed_app::device::work::lab_book(&sam.store, farms.iter().map(String::as_str));
    let expected =
        milkshed_shared::worksheet::raw_milk_from_visits("Great Cows BTU", date, &visits, &ledger)
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

/// Runs one of `tests/browser/`'s scripts against `url`; answers the JSON line it printed.
fn run_script(script: &str, url: &str, shots: &std::path::Path) -> serde_json::Value {
    let browser = workspace_root().join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/browser` (scripts/test does) to install playwright-core"
    );
    let out = Command::new("node")
        .arg(browser.join(script))
        .arg(url)
        .arg(shots)
        .current_dir(&browser)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(out.stdout.trim_ascii()).expect("the script's JSON line")
}

#[test]
fn the_supervisors_desk_in_chromium_reaches_the_devices_and_the_smtp_server() {
    let root = workspace_root();
    let smtp = milkshed_tests::SmtpServer::start();
    let server = TestServer::start_mailing(&format!("smtp://127.0.0.1:{}", smtp.port));
    // two tablets of Ann's record different volumes of one inspection while apart
    let mut a = TestDevice::enroll(&server.url(), "ann");
    let mut b = TestDevice::enroll(&server.url(), "ann");
    let id = a.inspect_farm("farm-3", &[]);
    a.sync().unwrap();
    b.sync().unwrap();
    let now = milkshed_tests::now();
    a.store
        .edit(id, &now, |d| d.set_pounds_sold_daily(1700, &now))
        .unwrap();
    b.store
        .edit(id, &now, |d| d.set_pounds_sold_daily(1750, &now))
        .unwrap();
    a.sync().unwrap();
    b.sync().unwrap();
    let shots = if std::env::var_os("MILKSHED_UPDATE_SCREENS").is_some() {
        root.join("docs/screens")
    } else {
        std::env::temp_dir().join(format!("milkshed-desk-{}", std::process::id()))
    };
    std::fs::create_dir_all(&shots).unwrap();
    let seen = run_script("desk.mjs", &server.url(), &shots);
    // the value the supervisor kept is on the tablet after its sync
    let chosen: u64 = seen["chosen"].as_str().unwrap().parse().unwrap();
    a.sync().unwrap();
    assert_eq!(
        a.store.inspection(id).unwrap().pounds_sold_daily,
        Some(chosen)
    );
    assert!(a.store.document(id).unwrap().conflicts().is_empty());
    // the farm reassigned comes first on Ann's tablet
    let list =
        milkshed_app::device::work::in_work_order(&a.store, milkshed_shared::briefcase::FARMS)
            .unwrap();
    assert_eq!(list[0].id.as_str(), "farm-12");
    // the approved letter reached the permit holder through the SMTP server
    let mail = smtp.wait_for("to Roy Harris", |m| m.contains("roy.harris@farm.example"));
    assert!(mail.contains("application/pdf"), "{mail}");
    assert!(shots.join("desk-4-letter.png").exists());
}
