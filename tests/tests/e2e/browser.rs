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
    let id: uuid::Uuid = seen["inspection"].as_str().unwrap().parse().unwrap();

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
