//! The field app's real window, driven like a person would under Xvfb: xdotool clicks and
//! types, `import` takes screenshots, and the device store and the server say what happened.
//! Positions are those of the app's fixed 900 × 1100 layout.
//!
//! Screenshots go to `target/ui-screens/`, and to `docs/screens/` when
//! `MILKSHED_UPDATE_SCREENS=1`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use milkshed_app::device::Store;
use milkshed_shared::document::{ItemState, Status};
use milkshed_tests::{app_binary, workspace_root, ChildServer, Display};

trait Drive {
    fn click(&self, x: u32, y: u32);
    fn type_text(&self, text: &str);
    fn screenshot(&self, name: &str);
}

impl Drive for Display {
    fn click(&self, x: u32, y: u32) {
        self.xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
        settle();
    }

    fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "150", text]);
        settle();
    }

    fn screenshot(&self, name: &str) {
        let dir = workspace_root().join("target/ui-screens");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let ok = Command::new("import")
            .args(["-window", "root", path.to_str().unwrap()])
            .env("DISPLAY", self.name())
            .status()
            .expect("imagemagick's import is needed")
            .success();
        assert!(ok, "screenshot {name}");
        if std::env::var("MILKSHED_UPDATE_SCREENS").as_deref() == Ok("1") {
            let docs = workspace_root().join("docs/screens");
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::copy(&path, docs.join(format!("{name}.png"))).unwrap();
        }
    }
}

/// Time for the webview to render after an input event.
fn settle() {
    std::thread::sleep(Duration::from_millis(600));
}

fn wait_for(what: &str, limit: Duration, cond: impl FnMut() -> bool) {
    assert!(wait_until(limit, cond), "timed out waiting for {what}");
}

/// Whether `cond` came true within `limit`.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

struct App {
    child: Child,
}

impl App {
    fn launch(display: &Display, data: &Path, probe: &Path) -> App {
        Self::launch_at(display, data, probe, None)
    }

    fn launch_at(display: &Display, data: &Path, probe: &Path, screen: Option<&str>) -> App {
        let child = Command::new(app_binary())
            .env("MILKSHED_START_SCREEN", screen.unwrap_or("work"))
            .env("DISPLAY", display.name())
            .env("MILKSHED_DATA_DIR", data)
            .env("MILKSHED_UI_PROBE", probe)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let name = display.name();
        wait_for("the app window", Duration::from_secs(90), || {
            Command::new("xdotool")
                .args(["search", "--name", "Milkshed"])
                .env("DISPLAY", &name)
                .output()
                .map(|o| !o.stdout.is_empty())
                .unwrap_or(false)
        });
        std::thread::sleep(Duration::from_secs(2));
        App { child }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Enrolls the app on the enroll screen as `user`, then syncs from the sync screen until the
/// agency's farms are on the device.
fn enroll_and_sync(display: &Display, server: &str, user: &str, data: &Path) {
    // a webview still drawing its first frame on a busy machine drops what is typed at it:
    // fill the form again (each field replaced) until the enrollment is stored
    let enrolled = (0..3).any(|attempt| {
        for (y, text) in [(144, server), (273, user), (338, "milkshed-demo")] {
            display.click(450, y);
            display.xdotool(&["key", "ctrl+a"]);
            display.type_text(text);
        }
        display.click(113, 389);
        let done = wait_until(Duration::from_secs(20), || {
            store(data).setting("enrollment").unwrap().is_some()
        });
        if !done {
            display.screenshot(&format!("1-enroll-attempt-{attempt}-{user}"));
        }
        done
    });
    assert!(enrolled, "timed out waiting for enrollment");
    display.click(747, 32);
    display.click(74, 232);
    wait_for("reference data", Duration::from_secs(30), || {
        store(data).reference_count("farm").unwrap() >= 12
    });
}

fn store(data: &Path) -> Store {
    Store::open(&data.join("device.db")).unwrap()
}

/// Against a real `milkshed-server` process: enroll and sync, then offline (the server is
/// killed) inspect a farm from the work list, sign, submit, and amend and re-sign a returned
/// inspection; then online again, sync; a rating visit over 3 farms whose live 2359k rating is
/// the rating engine's; the 2359j worksheet filled in the app.
#[test]
fn a_sanitarians_day_through_the_real_window() {
    let server_dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_milkshed-test-server");
    let server = ChildServer::start(exe, server_dir.path());
    let port = server.addr.port();
    let display = Display::start(50);
    let data = tempfile::tempdir().unwrap();
    let probe = data.path().join("probe.json");
    let app = App::launch(&display, data.path(), &probe);
    display.screenshot("1-enroll");

    // enroll, and sync: the agency's farms and Ann's inspections come down
    enroll_and_sync(&display, &server.url(), "ann", data.path());
    settle();
    display.screenshot("2-sync");
    // the signal is gone: everything below is recorded offline
    server.kill();
    display.click(152, 32);
    display.screenshot("3-work-list");

    // inspect K. R. Olson from the work list: three violations, signed, submitted
    let before = store(data.path()).inspections().unwrap().len();
    // search by producer number, then tap the one farm found; a keystroke the webview dropped
    // leaves nothing to tap, so search again (a tap never lands on another farm's row: the
    // filtered list holds one)
    let started = (0..3).any(|attempt| {
        display.click(450, 138);
        display.xdotool(&["key", "ctrl+a"]);
        display.type_text("55-0105");
        settle();
        display.screenshot(&format!("3b-search-{attempt}"));
        display.click(450, 320);
        wait_until(Duration::from_secs(10), || {
            store(data.path())
                .inspections()
                .unwrap()
                .iter()
                .any(|i| i.subject_name == "K. R. Olson")
        })
    });
    assert!(started, "timed out waiting for the new inspection");
    assert_eq!(
        store(data.path()).inspections().unwrap().len(),
        before + 1,
        "one inspection started"
    );
    let olson = store(data.path())
        .inspections()
        .unwrap()
        .into_iter()
        .find(|i| i.subject_name == "K. R. Olson")
        .unwrap()
        .id;
    display.click(450, 862); // item 4
    display.click(450, 802); // item 3
    display.click(450, 502); // item 2A
    wait_for("three violations", Duration::from_secs(10), || {
        store(data.path())
            .inspection(olson)
            .unwrap()
            .violations()
            .count()
            == 3
    });
    display.screenshot("4-inspect");
    display.click(309, 234); // Sign & submit
    display.xdotool(&[
        "mousemove",
        "60",
        "400",
        "mousedown",
        "1",
        "mousemove",
        "120",
        "450",
        "mousemove",
        "200",
        "390",
        "mousemove",
        "300",
        "440",
        "mouseup",
        "1",
    ]);
    settle();
    display.click(103, 518); // Sign the report
    wait_for("the signature", Duration::from_secs(10), || {
        store(data.path()).inspection(olson).unwrap().status == Status::Signed
    });
    display.screenshot("5-signed");
    display.click(617, 390); // Submit for review
    wait_for("submission", Duration::from_secs(10), || {
        store(data.path()).inspection(olson).unwrap().status == Status::Submitted
    });
    let signed = store(data.path()).inspection(olson).unwrap();
    assert!(
        !signed.signatures[0].strokes.is_empty(),
        "the drawn signature is kept"
    );

    // a returned inspection: the supervisor's comments show; amend, re-sign, submit
    display.click(152, 32);
    display.click(450, 138);
    display.xdotool(&["key", "ctrl+a", "BackSpace"]);
    display.type_text("Barkley");
    display.click(450, 236);
    let barkley = store(data.path())
        .inspections()
        .unwrap()
        .into_iter()
        .find(|i| i.subject_name == "John Barkley")
        .unwrap()
        .id;
    assert_eq!(
        store(data.path()).inspection(barkley).unwrap().status,
        Status::Returned
    );
    display.screenshot("6-returned");
    display.click(450, 932); // item 4, amended
    wait_for("the amendment", Duration::from_secs(10), || {
        store(data.path())
            .inspection(barkley)
            .unwrap()
            .violations()
            .count()
            == 3
    });
    display.click(309, 304);
    // the earlier signatures (inspector, producer) are listed above the pad
    display.xdotool(&[
        "mousemove",
        "60",
        "560",
        "mousedown",
        "1",
        "mousemove",
        "200",
        "600",
        "mouseup",
        "1",
    ]);
    settle();
    display.screenshot("6b-amended-sign");
    display.click(103, 684);
    wait_for("the re-signature", Duration::from_secs(10), || {
        store(data.path()).inspection(barkley).unwrap().status == Status::Signed
    });
    display.click(617, 486); // below three signatures now
    wait_for("re-submission", Duration::from_secs(10), || {
        store(data.path()).inspection(barkley).unwrap().status == Status::Submitted
    });

    // a sync with no server fails gracefully and loses nothing
    display.click(747, 32);
    display.click(74, 232);
    settle();
    display.screenshot("2b-offline-sync");
    assert_eq!(
        store(data.path()).pending("server").unwrap().len(),
        2,
        "both wait for the signal"
    );

    // online again (the server comes back on its address): both reach the agency record
    let _server = ChildServer::start_on(exe, server_dir.path(), port);
    display.click(74, 232);
    let db = || rusqlite::Connection::open(server_dir.path().join("agency.db")).unwrap();
    wait_for("the server to hold both", Duration::from_secs(30), || {
        let n: i64 = db()
            .query_row("SELECT count(*) FROM inspections WHERE status = 'submitted' AND integrity = 'intact' AND subject_name IN ('K. R. Olson', 'John Barkley')", [], |r| r.get(0))
            .unwrap();
        n == 2
    });
    let signatures: i64 = db()
        .query_row(
            "SELECT count(*) FROM signatures WHERE inspection_id = ?1 AND role = 'inspector'",
            [barkley.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        signatures, 2,
        "the returned inspection keeps both signatures"
    );
    let olson_debits: i64 = db()
        .query_row(
            "SELECT total_debits FROM inspections WHERE id = ?1",
            [olson.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(olson_debits, 7);

    // a rating visit is the rating officer's to make (a sanitarian's device refuses one):
    // Sam's own tablet, enrolled and synced the same way
    drop(app);
    let data = tempfile::tempdir().unwrap();
    let app = App::launch(&display, data.path(), &probe);
    enroll_and_sync(&display, &_server.url(), "sam", data.path());
    display.click(152, 32);
    settle();

    // a rating visit over 3 farms: the live rating is the engine's
    display.click(450, 32);
    display.screenshot("7-rating-visit");
    for n in 0..3u32 {
        // farms drawn, in drawing order; the live rating box pushes the list down once shown
        let y = if n == 0 { 316 } else { 376 } + 62 * n;
        let before = store(data.path()).inspections().unwrap().len();
        display.click(450, y);
        wait_for("a rating visit", Duration::from_secs(10), || {
            store(data.path()).inspections().unwrap().len() == before + 1
        });
        display.click(450, 862); // item 4
        display.click(450, 802); // item 3
        let _ = std::fs::remove_file(&probe);
        display.click(450, 32); // back to the rating visit
        wait_for("the live rating", Duration::from_secs(10), || {
            probe.exists()
        });
    }
    display.screenshot("8-rating-visit-live");
    let shown: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&probe).unwrap()).unwrap();
    let visits: Vec<_> = {
        let mut s = store(data.path());
        s.inspections()
            .unwrap()
            .into_iter()
            .filter(|i| i.kind == "rating_visit_farm")
            .map(|i| s.inspection(i.id).unwrap())
            .collect()
    };
    assert_eq!(visits.len(), 3);
    let sheet = milkshed_shared::worksheet::raw_milk_from_visits(
        "Great Cows BTU",
        chrono::Local::now().date_naive(),
        &visits,
    )
    .unwrap();
    let engine = milkshed_shared::worksheet::rate(&sheet).to_value();
    assert_eq!(shown["rating"], engine["rating"]);
    assert_eq!(shown["farms_rated"], 3);
    assert!(engine["rating"].as_u64().unwrap() < 100, "{engine}");
    drop(app);

    // the enforcement worksheet, filled in the app and kept as it is typed
    let app = App::launch_at(&display, data.path(), &probe, Some("enforcement"));
    display.click(67, 762); // Part I item 5: complies
    wait_for("the 2359j entry", Duration::from_secs(10), || {
        store(data.path())
            .setting("enforcement_draft")
            .unwrap()
            .is_some_and(|d| d.contains("\"complies\":true"))
    });
    display.screenshot("9-enforcement");
    drop(app);

    // a plant rating visit: its volume, a product, and a partial debit against that product
    let app = App::launch_at(&display, data.path(), &probe, Some("rating"));
    display.click(880, 230);
    display.xdotool(&["key", "End"]);
    settle();
    display.click(450, 802); // the first plant
    let plant_visit = || {
        let mut s = store(data.path());
        let id = s
            .inspections()
            .unwrap()
            .into_iter()
            .find(|i| i.kind == "rating_visit_plant")
            .map(|i| i.id)?;
        s.inspection(id).ok()
    };
    wait_for("the plant visit", Duration::from_secs(10), || {
        plant_visit().is_some()
    });
    display.click(350, 284);
    display.type_text("500000");
    display.xdotool(&["key", "Tab"]);
    settle();
    display.click(135, 383);
    display.type_text("Tubs");
    display.click(390, 383);
    display.type_text("7000");
    display.click(589, 383);
    wait_for("the product", Duration::from_secs(10), || {
        plant_visit()
            .is_some_and(|v| v.products.len() == 1 && v.pounds_processed_daily == Some(500_000))
    });
    display.click(880, 140);
    display.xdotool(&["key", "End"]);
    settle();
    display.click(450, 666); // item 19, capping
    display.click(246, 728); // only against Tubs
    wait_for("the partial debit", Duration::from_secs(10), || {
        plant_visit().is_some_and(|v| v.findings.iter().any(|f| f.item == "19" && matches!(&f.state, ItemState::Violated { products, .. } if products == &["Tubs".to_string()])))
    });
    display.screenshot("10-plant-visit");
    let visit = plant_visit().unwrap();
    let sheet =
        milkshed_shared::worksheet::plant_from_visit(&visit, chrono::Local::now().date_naive())
            .unwrap();
    let rated = milkshed_shared::worksheet::rate(&sheet).to_value();
    // 70 cwt of tubs × 5 over the plant's 5,000 cwt: 100 − 0.07 → 100
    assert_eq!(rated["total_product"], 350);
    assert_eq!(rated["rating"], 100);
    drop(app);
}
