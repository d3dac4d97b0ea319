//! The field app's real window at a phone's 390 × 844, driven like a person would under Xvfb:
//! xdotool taps, types and draws where the screen's elements are (the app's test driver says
//! where), the desktop portal's file chooser is answered for the camera, `import` takes
//! screenshots, and the device store, the server and its review pages say what happened.
//! Every screen's tap targets are measured; screenshots at phone and tablet sizes go to
//! `target/ui-screens/` (and `docs/screens/` with `MILKSHED_UPDATE_SCREENS=1`).

use std::path::Path;
use std::time::Duration;

use milkshed_app::device::Store;
use milkshed_shared::document::{Inspection, ItemState, LocationMoment, SignerRole, Status};
use milkshed_tests::ui::{wait_for, App, PHONE, TABLET_LANDSCAPE, TABLET_PORTRAIT};
use milkshed_tests::{jpeg, ChildServer, Display, WebClient};

fn store(data: &Path) -> Store {
    Store::open(&data.join("device.db")).unwrap()
}

fn inspection_of(data: &Path, subject: &str) -> Option<Inspection> {
    let mut s = store(data);
    let id = s
        .inspections()
        .ok()?
        .into_iter()
        .find(|i| i.subject_name == subject)?
        .id;
    s.inspection(id).ok()
}

fn inspection(data: &Path, id: milkshed_shared::ids::InspectionId) -> Inspection {
    store(data).inspection(id).unwrap()
}

const SECS: Duration = Duration::from_secs(20);

/// Enrolls on the enroll screen as `user`, then syncs until the agency's farms are on the
/// device.
fn enroll_and_sync(app: &App, server: &str, user: &str, data: &Path) {
    app.fill("#server", server);
    app.fill("#username", user);
    app.fill("#password", "milkshed-demo");
    app.tap("#enroll");
    wait_for("enrollment", Duration::from_secs(60), || {
        store(data).setting("enrollment").unwrap().is_some()
    });
    app.tap("#nav-sync");
    app.tap("#sync-now");
    wait_for("reference data", Duration::from_secs(60), || {
        store(data).reference_count("farm").unwrap() >= 12
    });
}

/// Opens the signing tab, draws the inspector's signature and keeps it; waits until it is
/// stored.
fn sign_with_a_stroke(app: &App, data: &Path, id: milkshed_shared::ids::InspectionId) {
    app.tap("#tab-sign");
    app.draw("#signature-pad", &STROKE);
    app.tap("#signature-pad-done");
    wait_for("the inspector's signature", SECS, || {
        inspection(data, id).status == Status::Signed
    });
}

/// A signature stroke, as fractions of the pad.
const STROKE: [(f64, f64); 5] = [
    (0.1, 0.6),
    (0.25, 0.3),
    (0.4, 0.7),
    (0.6, 0.35),
    (0.85, 0.55),
];

/// Against a real `milkshed-server` process, at phone size: enroll and sync; offline (the server
/// killed) inspect a farm from the work list — items marked with notes, three photos through
/// the camera's chooser, one captioned, one removed, signed with a drawn stroke, the producer's
/// drawn acknowledgement, "no fix" GPS recorded, the report handed to the system's viewer —
/// submit; amend and re-sign a returned inspection; a routine plant inspection with its volume,
/// a product and a partial debit; the server back, sync; the review page shows the photos on
/// their findings with their captions, and the strokes. Then tablet sizes; then a rating
/// officer's rating visit, the 2359j worksheet, and a plant rating visit.
#[test]
fn a_sanitarians_day_through_the_real_window() {
    let server_dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_milkshed-test-server");
    let server = ChildServer::start(exe, server_dir.path());
    let port = server.addr.port();
    let display = Display::start(50);
    let data = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    // the system's viewer stands in as a script that keeps what it was handed
    let viewer = scratch.path().join("viewer.sh");
    let handed = scratch.path().join("handed-over.pdf");
    std::fs::write(
        &viewer,
        format!(
            "#!/bin/sh\ncp \"$1\" '{0}.part' && mv '{0}.part' '{0}'\n",
            handed.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&viewer, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // three photos from the "camera roll"
    let roll = scratch.path().join("roll");
    std::fs::create_dir_all(&roll).unwrap();
    // (names with different first letters: the chooser completes a common start)
    for (n, name) in ["a-gutter", "b-stall", "c-walk"].iter().enumerate() {
        std::fs::write(
            roll.join(format!("{name}.jpg")),
            jpeg(n as u32 + 7, 1600, 1200),
        )
        .unwrap();
    }
    // and a file that only calls itself a photo: refused, with the reason, changing nothing
    std::fs::write(roll.join("z-notes.jpg"), b"not a photo at all").unwrap();
    let plant_roll = scratch.path().join("plant-roll");
    std::fs::create_dir_all(&plant_roll).unwrap();
    std::fs::write(plant_roll.join("capper.jpg"), jpeg(21, 1200, 1600)).unwrap();
    std::fs::write(plant_roll.join("dock.jpg"), jpeg(22, 1600, 1200)).unwrap();

    let app = App::launch(&display, data.path(), &[("MILKSHED_TEST_VIEWER", &viewer)]);
    app.screenshot("phone-1-enroll");
    app.assert_tap_targets("the enroll screen");

    // enroll, and sync: the agency's farms and Ann's inspections come down
    enroll_and_sync(&app, &server.url(), "ann", data.path());
    app.wait_for_selector("#sync-result", SECS);
    app.screenshot("phone-2-sync");
    app.assert_tap_targets("the sync screen");
    // the signal is gone: everything below is recorded offline
    server.kill();
    app.tap("#nav-work");
    app.screenshot("phone-3-work-list");
    app.assert_tap_targets("the work list");

    // inspect K. R. Olson from the work list, found by producer number
    app.fill("#search", "55-0105");
    app.tap_text("button.start-inspection", "K. R. Olson");
    wait_for("the new inspection", SECS, || {
        inspection_of(data.path(), "K. R. Olson").is_some()
    });
    let olson = inspection_of(data.path(), "K. R. Olson").unwrap().header.id;
    for item in ["4", "3", "2A"] {
        app.tap(&format!("#item-{item}"));
    }
    wait_for("three violations", SECS, || {
        inspection(data.path(), olson).violations().count() == 3
    });
    app.fill("#note-3", "Gutters not cleaned since the morning milking");
    wait_for("the note", SECS, || {
        inspection(data.path(), olson)
            .findings
            .iter()
            .any(|f| f.item == "3" && f.note.starts_with("Gutters"))
    });
    // the GPS was asked when the inspection started; the webview has none: "no fix"
    wait_for("the start's location record", SECS, || {
        inspection(data.path(), olson)
            .locations
            .iter()
            .any(|l| l.moment == LocationMoment::Started && l.fix.is_none() && !l.no_fix.is_empty())
    });

    // three photos through item 3's camera button, processed off the UI thread
    app.tap("#camera-3");
    app.choose_files(&roll);
    wait_for("three photos of item 3", Duration::from_secs(60), || {
        let i = inspection(data.path(), olson);
        i.photos.len() == 3 && i.photos.iter().all(|p| p.item.as_deref() == Some("3"))
    });
    wait_for("their progress", SECS, || {
        let shown = app.text("#photo-progress");
        shown.matches("attached to item 3").count() == 3
            && shown.contains("z-notes.jpg: not attached — this file is not a JPEG or PNG photo")
    });
    assert_eq!(
        inspection(data.path(), olson).photos.len(),
        3,
        "the refused one changed nothing"
    );
    assert_eq!(
        app.eval("return document.querySelectorAll('.finding img.thumb').length;"),
        3,
        "the thumbnails are in item 3's row"
    );
    app.screenshot("phone-4-inspect");
    app.assert_tap_targets("the inspection's items");

    // the photos: one captioned, one removed (its blob stays on the device)
    app.tap("#tab-photos");
    app.screenshot("phone-5-photos");
    app.assert_tap_targets("the photos");
    app.fill(
        "#photo-0-caption",
        "Manure build-up in the gutter behind stall 12",
    );
    let removed = inspection(data.path(), olson).photos[2].hash.clone();
    app.tap("#photo-2-remove");
    wait_for("the caption and the removal", SECS, || {
        let i = inspection(data.path(), olson);
        i.photos.len() == 2
            && i.photos
                .iter()
                .any(|p| p.caption.starts_with("Manure build-up"))
            && !i.photos.iter().any(|p| p.hash == removed)
    });
    assert!(
        store(data.path()).photo(&removed).unwrap().is_some(),
        "a removed photo's blob stays until nothing refers to it"
    );

    // sign with a drawn stroke; the producer acknowledges with one; the report is handed over
    sign_with_a_stroke(&app, data.path(), olson);
    app.fill("#producer", "Karl Olson");
    app.draw("#producer-pad", &STROKE[1..]);
    app.screenshot("phone-6-acknowledge");
    app.assert_tap_targets("the signing screen");
    app.tap("#producer-pad-done");
    wait_for("the acknowledgement", SECS, || {
        inspection(data.path(), olson)
            .signatures
            .iter()
            .any(|s| s.role == SignerRole::Acknowledgement && s.name == "Karl Olson")
    });
    let signed = inspection(data.path(), olson);
    assert!(
        signed
            .signatures
            .iter()
            .all(|s| s.strokes.matches('L').count() >= 3),
        "both drawn strokes are kept: {:?}",
        signed.signatures
    );
    assert!(
        signed
            .locations
            .iter()
            .any(|l| l.moment == LocationMoment::Signed && l.fix.is_none()),
        "the signing's location is recorded as no fix"
    );
    app.tap("#export-report");
    wait_for("the report handed to the viewer", SECS, || handed.exists());
    let pdf = std::fs::read(&handed).unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("Total Debits: 7"),
        "the report's Total Debits"
    );
    assert!(text.contains("Signed \\(acknowledgement\\): Karl Olson"));
    assert_eq!(text.matches("/Subtype /Image").count(), 2, "the two photos");
    assert!(text.contains("Manure build-up"), "the caption is printed");
    app.tap("#delivered-printed");
    wait_for("the delivery recorded", SECS, || {
        inspection(data.path(), olson).deliveries.iter().any(|d| {
            d.how == milkshed_shared::document::DeliveryMethod::Printed && d.to == "Karl Olson"
        })
    });
    app.tap("#submit");
    wait_for("submission", SECS, || {
        inspection(data.path(), olson).status == Status::Submitted
    });

    // a returned inspection: the supervisor's comments show; amend, re-sign, submit
    app.tap("#nav-work");
    app.fill("#search", "Barkley");
    app.tap_text("button.open-inspection", "John Barkley");
    app.wait_for_selector("#returned", SECS);
    let barkley = inspection_of(data.path(), "John Barkley")
        .unwrap()
        .header
        .id;
    assert_eq!(inspection(data.path(), barkley).status, Status::Returned);
    app.screenshot("phone-7-returned");
    app.tap("#item-4");
    wait_for("the amendment", SECS, || {
        inspection(data.path(), barkley).violations().count() == 3
    });
    sign_with_a_stroke(&app, data.path(), barkley);
    app.tap("#submit");
    wait_for("re-submission", SECS, || {
        inspection(data.path(), barkley).status == Status::Submitted
    });

    // a routine plant inspection (FORM 2359 items): volume, a product, a partial debit; the app
    // started again with the camera read, and the report shared, the way Android and iOS do
    // it (the page's bridge and the webview's own chooser; the Web Share API)
    drop(app);
    let app = App::launch(
        &display,
        data.path(),
        &[
            ("MILKSHED_TEST_VIEWER", &viewer),
            ("MILKSHED_TEST_BRIDGED_CAMERA", Path::new("1")),
            ("MILKSHED_TEST_WEB_SHARE", Path::new("1")),
        ],
    );
    app.tap("#nav-work");
    app.fill("#search", "");
    // the demo agency's first milk plant
    let plant_name = "I.M.A. Dairy";
    app.tap_text("button.start-other", plant_name);
    wait_for("the plant inspection", SECS, || {
        inspection_of(data.path(), plant_name).is_some()
    });
    let plant = inspection_of(data.path(), plant_name).unwrap().header.id;
    app.fill("#pounds-processed", "86340");
    app.fill("#product-name", "Half and half");
    app.fill("#product-pounds", "4200");
    app.tap("#add-product");
    wait_for("the volume and the product", SECS, || {
        let i = inspection(data.path(), plant);
        i.pounds_processed_daily == Some(86_340) && i.products.len() == 1
    });
    app.tap("#item-19");
    app.tap_text(".finding button", "Half and half");
    wait_for("the partial debit", SECS, || {
        inspection(data.path(), plant).findings.iter().any(|f| {
            f.item == "19"
                && matches!(&f.state, ItemState::Violated { products, .. } if products == &["Half and half".to_string()])
        })
    });
    app.tap("#camera-19");
    app.choose_files(&plant_roll);
    wait_for(
        "the capper's photos, through the bridge",
        Duration::from_secs(60),
        || {
            let i = inspection(data.path(), plant);
            i.photos.len() == 2 && i.photos.iter().all(|p| p.item.as_deref() == Some("19"))
        },
    );
    app.screenshot("phone-8-plant");
    app.assert_tap_targets("the plant inspection");
    sign_with_a_stroke(&app, data.path(), plant);
    app.fill("#producer", "Irene Adams");
    app.draw("#producer-pad", &STROKE);
    app.tap("#producer-pad-done");
    wait_for("the operator's acknowledgement", SECS, || {
        inspection(data.path(), plant).signatures.len() == 2
    });
    // WebKitGTK has no share sheet: a stand-in records what the page offers it, as the iOS
    // sheet would receive it
    app.eval(
        "navigator.canShare = () => true;
         navigator.share = async (d) => { window.__shared = d.files.map((f) => [f.name, f.size, f.type].join('|')).join(',') + '|' + d.title; };
         return true;",
    );
    app.tap("#export-report");
    wait_for(
        "the plant's report offered to the share sheet",
        SECS,
        || app.eval("return window.__shared || '';") != "",
    );
    let offered = app.eval("return window.__shared;");
    let offered: Vec<&str> = offered.as_str().unwrap().split('|').collect();
    assert_eq!(offered[2], "application/pdf", "{offered:?}");
    assert!(offered[3].starts_with("Inspection report: "), "{offered:?}");
    let shared = data.path().join("reports").join(offered[0]);
    let bytes = std::fs::read(&shared).unwrap();
    assert_eq!(
        offered[1],
        bytes.len().to_string(),
        "the whole PDF went to the sheet"
    );
    wait_for("the screen saying so", SECS, || {
        app.text("body")
            .contains("The report went to the share sheet")
    });
    let text = String::from_utf8_lossy(&bytes).to_string();
    let plant_debits =
        milkshed_shared::rating::inspection::inspection_debits(&inspection(data.path(), plant))
            .unwrap()
            .total;
    for line in [
        "Pounds processed daily: 86340".to_string(),
        "Product: Half and half - 4200 lb daily".to_string(),
        format!("Total Debits: {plant_debits}"),
        "Debits against Half and half only".to_string(),
    ] {
        assert!(text.contains(&line), "the plant's report holds {line:?}");
    }
    app.tap("#submit");
    wait_for("the plant's submission", SECS, || {
        inspection(data.path(), plant).status == Status::Submitted
    });

    // a sync with no server fails gracefully, says so, and loses nothing
    app.tap("#nav-sync");
    app.tap("#sync-now");
    wait_for("the failed sync", Duration::from_secs(60), || {
        app.text("#sync-status").contains("Not synced")
    });
    app.screenshot("phone-9-offline-sync");
    assert_eq!(
        store(data.path()).pending("server").unwrap().len(),
        3,
        "all three wait for the signal"
    );

    // online again (the server comes back on its address): all reach the agency record
    let server = ChildServer::start_on(exe, server_dir.path(), port);
    app.tap("#sync-now");
    let db = || milkshed_tests::record_of(server_dir.path());
    wait_for(
        "the server to hold all three",
        Duration::from_secs(60),
        || {
            let n: i64 = db()
            .query_row(
                "SELECT count(*) FROM inspections WHERE status = 'submitted' AND integrity = 'intact' AND id IN (?1, ?2, ?3)",
                [olson.to_string(), barkley.to_string(), plant.to_string()],
                |r| r.get(0),
            )
            .unwrap();
            n == 3
        },
    );
    wait_for("the photos uploaded", Duration::from_secs(60), || {
        store(data.path()).photos_to_upload().unwrap().is_empty()
    });
    let debits = |id: milkshed_shared::ids::InspectionId| -> i64 {
        db().query_row(
            "SELECT total_debits FROM inspections WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(debits(olson), 7);

    // the supervisor's review page: the photos on their finding with the caption, the
    // drawn strokes, the GPS record; the plant's volume, product and Total Debits
    let mut web = WebClient::new(&server.url());
    assert_eq!(web.login("demo", "sue", "milkshed-demo").status, 303);
    let page = web.get(&format!("/review/inspections/{olson}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<strong>3</strong> Manure build-up in the gutter"),
        "the caption on item 3"
    );
    assert_eq!(page.body.matches("/thumb\"").count(), 2, "two photos");
    assert_eq!(
        page.body.matches("<svg class=\"signature\"").count(),
        2,
        "both strokes"
    );
    assert!(page.body.contains("GPS when started: no fix"));
    assert!(
        page.body.contains("Report printed to Karl Olson"),
        "the delivery"
    );
    let page = web.get(&format!("/review/inspections/{plant}"));
    assert!(
        page.body.contains("Pounds processed daily: 86340"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Half and half (4200 lb daily)"));
    assert!(page.body.contains(&format!(
        "<strong id=\"total-debits\">{}</strong>",
        debits(plant)
    )));

    // the same screens at tablet sizes: the items and the panel side by side
    for (size, name) in [
        (TABLET_PORTRAIT, "tablet-portrait"),
        (TABLET_LANDSCAPE, "tablet-landscape"),
    ] {
        app.resize(size);
        app.tap("#nav-work");
        // the list and a farm's record side by side
        app.fill("#search", "Olson");
        app.tap("button.farm-detail[aria-label='Record of K. R. Olson']");
        app.wait_for_selector("#farm-detail", SECS);
        let side_by_side = app.eval(
            "const a = document.querySelector('.worklist > .items').getBoundingClientRect();
             const b = document.querySelector('.worklist > .side').getBoundingClientRect();
             return a.width > 0 && b.width > 0 && b.left >= a.right;",
        );
        assert_eq!(
            side_by_side, true,
            "the work list and the record side by side at {name}"
        );
        app.screenshot(&format!("{name}-1-work-list"));
        app.assert_tap_targets(&format!("the work list at {name}"));
        app.tap_text("button.open-inspection", "K. R. Olson");
        app.wait_for_selector(".split .side", SECS);
        let side_by_side = app.eval(
            "const a = document.querySelector('.split .items').getBoundingClientRect();
             const b = document.querySelector('.split .side').getBoundingClientRect();
             return a.width > 0 && b.width > 0 && b.left >= a.right;",
        );
        assert_eq!(side_by_side, true, "items and panel side by side at {name}");
        app.screenshot(&format!("{name}-2-inspect"));
        app.assert_tap_targets(&format!("the inspection at {name}"));
    }
    app.resize(PHONE);
    // on the phone the record opens in the list's place: what was found last time, the
    // reinspection owed, at the farm gate with no signal
    app.tap("#nav-work");
    app.fill("#search", "Olson");
    app.tap("button.farm-detail[aria-label='Record of K. R. Olson']");
    app.wait_for_selector("#farm-detail", SECS);
    let record = app.text("#farm-detail");
    for words in [
        "Found last time",
        "3 Milking barn",
        "Gutters not cleaned since the morning milking",
        "Start reinspection (due by",
        "Start routine inspection",
    ] {
        assert!(
            record.contains(words),
            "the farm's record shows {words:?}:\n{record}"
        );
    }
    assert_eq!(
        app.eval(
            "return document.querySelector('.worklist > .items').getBoundingClientRect().width;"
        ),
        0,
        "the list gives way to the record on a phone"
    );
    app.screenshot("phone-14-farm-record");
    app.assert_tap_targets("the farm's record");
    app.tap("#close-detail");
    app.wait_for_selector(".worklist:not(.has-detail)", SECS);
    drop(app);

    // a rating visit is the rating officer's to make: the agency record opens the rating of the
    // demo's BTU behind its gates and announces today's three farms; Sam's own device, enrolled
    // the same way, brings them down
    let rating = milkshed_tests::open_demo_rating(&server.url(), 3);
    let data = tempfile::tempdir().unwrap();
    let app = App::launch(&display, data.path(), &[]);
    enroll_and_sync(&app, &server.url(), "sam", data.path());
    app.tap("#nav-rating");
    app.wait_for_selector("#commitment", SECS);
    let commitment = rating["commitment"].as_str().unwrap();
    assert!(
        app.text("#commitment").contains(&commitment[..16]),
        "{}",
        app.text("#commitment")
    );
    assert_eq!(
        app.eval("return document.querySelectorAll('button.rate-farm').length;"),
        serde_json::json!(3),
        "the three farms the agency record announced, and no draw of the tablet's own"
    );
    assert_eq!(
        app.eval("return document.querySelector('#seed') === null;"),
        serde_json::json!(true)
    );
    app.screenshot("phone-10-rating-visit");
    app.assert_tap_targets("the rating visit");
    for n in 0..3usize {
        let before = store(data.path()).inspections().unwrap().len();
        app.eval(&format!(
            "document.querySelectorAll('button.rate-farm')[{n}].setAttribute('data-farm', '{n}'); return true;"
        ));
        app.tap(&format!("[data-farm='{n}']"));
        wait_for("a rating visit", SECS, || {
            store(data.path()).inspections().unwrap().len() == before + 1
        });
        app.tap("#item-4");
        app.tap("#item-3");
        if n == 0 {
            // the hauler/samplers on the farm's weight tickets: one of the agency's, one tap;
            // one permitted by another State, typed in (Section C's population)
            app.tap("#identify-hauler-1");
            app.fill("#hauler-state", "MN");
            app.fill("#hauler-permit", "MN-H-9999");
            app.fill("#hauler-name", "Weekend driver");
            app.tap("#identify-typed");
            wait_for("two hauler/samplers identified", SECS, || {
                let mut s = store(data.path());
                let ids: Vec<_> = s.inspections().unwrap().into_iter().map(|i| i.id).collect();
                ids.iter().any(|id| {
                    let keys: Vec<_> = s
                        .inspection(*id)
                        .unwrap()
                        .haulers_identified
                        .iter()
                        .map(|h| h.key())
                        .collect();
                    keys == [
                        ("MN".into(), "MN-H-9999".into()),
                        ("WI".into(), "BH-5501".into()),
                    ]
                })
            });
            app.screenshot("phone-16-haulers-identified");
            app.assert_tap_targets("the haulers identified");
        }
        wait_for("its violations", SECS, || {
            let mut s = store(data.path());
            let ids: Vec<_> = s.inspections().unwrap().into_iter().map(|i| i.id).collect();
            ids.iter()
                .filter(|id| s.inspection(**id).unwrap().violations().count() == 2)
                .count()
                == n + 1
        });
        // signed with a finger and sent in: the agency record rates the visits it was sent
        let visit = {
            let s = store(data.path());
            s.inspections()
                .unwrap()
                .into_iter()
                .filter(|i| i.kind == "rating_visit_farm")
                .max_by(|a, b| a.started_at.cmp(&b.started_at))
                .map(|i| i.id)
                .unwrap()
        };
        sign_with_a_stroke(&app, data.path(), visit);
        app.tap("#submit");
        wait_for("the visit sent in", SECS, || {
            inspection(data.path(), visit).status == Status::Submitted
        });
        app.tap("#nav-rating");
        wait_for("the live rating", SECS, || {
            app.eval("const e = document.querySelector('#live-rating'); return e ? e.dataset.farms : null;")
                == serde_json::json!((n + 1).to_string())
        });
    }
    app.screenshot("phone-11-rating-visit-live");
    let shown = app.eval("return document.querySelector('#live-rating').dataset.rating;");
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
    let ledger = {
        let s = store(data.path());
        let farms: Vec<String> = visits
            .iter()
            .map(|v| v.header.subject.id.as_str().to_string())
            .collect();
        milkshed_app::device::work::lab_book(&s, farms.iter().map(String::as_str))
    };
    let sheet = milkshed_shared::worksheet::raw_milk_from_visits(
        "Great Cows BTU",
        chrono::Local::now().date_naive(),
        &visits,
        &ledger,
    )
    .unwrap();
    let engine = milkshed_shared::worksheet::rate(&sheet).to_value();
    assert_eq!(
        shown,
        serde_json::json!(engine["rating"].to_string()),
        "the screen shows the engine's rating"
    );
    assert!(engine["rating"].as_u64().unwrap() < 100, "{engine}");

    // the rating report: FORM 2359j started for the BTU, Section A written, Section B filled
    // item by item, each entry kept in the report's document as it is typed; rated live; signed
    // with a finger, submitted and synced; the listing takes its ratings from it
    app.tap("#open-2359j");
    app.tap("#start-2359j");
    let report = || {
        let mut s = store(data.path());
        let id = s
            .inspections()
            .unwrap()
            .into_iter()
            .find(|i| i.kind == "rating_report")
            .map(|i| i.id)?;
        s.inspection(id).ok()
    };
    wait_for("the rating report", SECS, || report().is_some());
    app.fill("#a-ordinance", "Wisconsin ATCP 65");
    let counts = [
        (1, "1", "1"),
        (2, "4", "3"),
        (3, "1", "1"),
        (4, "3", "2"),
        (6, "5", "4"),
        (8, "1", "0"),
    ];
    for (item, number, complying) in counts {
        app.fill(&format!("#part_i-{item}-number"), number);
        app.fill(&format!("#part_i-{item}-complying"), complying);
    }
    app.tap("#part_i-5-complies");
    app.tap("#part_i-7-does-not");
    for (item, percent) in [(9, "100"), (10, "60"), (11, "75")] {
        app.fill(&format!("#part_i-{item}-percent"), percent);
    }
    wait_for("every 2359j entry", SECS, || {
        report().is_some_and(|r| r.report.len() == 2 * counts.len() + 2 + 3 + 1)
    });
    let entries = report().unwrap().report;
    let form = milkshed_shared::rating::enforcement::EnforcementForm::builtin().unwrap();
    let rating_date = chrono::Local::now().date_naive().to_string();
    let engine = milkshed_shared::rating::report::rate_enforcement(form, &entries, &rating_date)
        .expect("every Part I item is entered");
    let er = engine["enforcement_rating"].to_string();
    wait_for("the live enforcement rating", SECS, || {
        app.eval("return document.querySelector('#enforcement-result').dataset.rating;")
            == serde_json::json!(er)
    });
    app.screenshot("phone-12-enforcement");
    app.assert_tap_targets("the enforcement worksheet");
    app.draw("#report-signature-pad", &STROKE);
    app.tap("#report-signature-pad-done");
    wait_for("the signed report", SECS, || {
        report().is_some_and(|r| r.status == Status::Signed)
    });
    app.tap("#submit-2359j");
    wait_for("the submitted report", SECS, || {
        report().is_some_and(|r| r.status == Status::Submitted)
    });
    app.screenshot("phone-12b-report-submitted");
    let report_id = report().unwrap().header.id;
    app.tap("#nav-sync");
    app.tap("#sync-now");
    let token = store(data.path())
        .setting("enrollment")
        .unwrap()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e).ok())
        .and_then(|e| e["token"].as_str().map(String::from))
        .unwrap();
    let listing = serde_json::json!({"shipper_id": "btu-1", "rating_report": report_id.to_string(), "product_codes": [1]});
    let mut listed = (0, serde_json::Value::Null);
    wait_for("the synced report to list", Duration::from_secs(60), || {
        listed = milkshed_tests::post_json(&server.url(), &token, "/api/listings", &listing);
        listed.0 == 200
    });
    assert_eq!(
        listed.1["enforcement_rating"].to_string(),
        er,
        "{}",
        listed.1
    );
    assert_eq!(
        listed.1["sanitation_rating"].to_string(),
        shown.as_str().unwrap(),
        "the tablet's 2359k"
    );
    let mut web = milkshed_tests::WebClient::new(&server.url());
    assert_eq!(web.login("demo", "sam", "milkshed-demo").status, 303);
    let page = web.get("/review/ratings/btu-1");
    assert!(
        page.body
            .contains(&format!("<strong id=\"enforcement-rating\">{er}</strong>")),
        "{}",
        page.body
    );
    // the listing on the review page, with the figures the report gave it
    let listings = web.get("/review/listings");
    let id = listed.1["id"].as_str().unwrap();
    let row = listings
        .body
        .split("<tr>")
        .find(|r| r.contains(&format!("/review/listings/{id}/2359i")))
        .unwrap_or_else(|| panic!("the new listing on {}", listings.body));
    assert!(
        row.contains(&format!("<td>{er}</td>")) || row.contains(&format!(">{er}</span>")),
        "{row}"
    );

    // a plant rating visit: its volume, a product, and a partial debit against that product
    app.tap("#nav-rating");
    app.tap("button.rate-plant");
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
    wait_for("the plant visit", SECS, || plant_visit().is_some());
    app.fill("#pounds-processed", "500000");
    app.fill("#product-name", "Tubs");
    app.fill("#product-pounds", "7000");
    app.tap("#add-product");
    wait_for("the product", SECS, || {
        plant_visit()
            .is_some_and(|v| v.products.len() == 1 && v.pounds_processed_daily == Some(500_000))
    });
    app.tap("#item-19");
    app.tap_text(".finding button", "Tubs");
    wait_for("the partial debit", SECS, || {
        plant_visit().is_some_and(|v| v.findings.iter().any(|f| f.item == "19" && matches!(&f.state, ItemState::Violated { products, .. } if products == &["Tubs".to_string()])))
    });
    app.screenshot("phone-13-plant-visit");
    let visit = plant_visit().unwrap();
    let sheet =
        milkshed_shared::worksheet::plant_from_visit(&visit, chrono::Local::now().date_naive())
            .unwrap();
    let rated = milkshed_shared::worksheet::rate(&sheet).to_value();
    // 70 cwt of tubs × 5 over the plant's 5,000 cwt: 100 − 0.07 → 100
    assert_eq!(rated["total_product"], 350);
    assert_eq!(rated["rating"], 100);
    drop(app);

    // a bulk milk hauler/sampler evaluation by Hal, the demo's certified SSO, at phone size:
    // the 2399a's items, the pick-up record, an unsatisfactory outcome with its re-evaluation
    // date, both signatures drawn, submitted and synced
    let data = tempfile::tempdir().unwrap();
    let app = App::launch(&display, data.path(), &[]);
    enroll_and_sync(&app, &server.url(), "hal", data.path());
    app.tap("#nav-work");
    app.fill("#search", "Rita Vogel");
    app.tap_text("button.start-other", "Rita Vogel");
    let evaluation = || {
        let mut s = store(data.path());
        let id = s
            .inspections()
            .unwrap()
            .into_iter()
            .find(|i| i.kind == "hauler_sampler")
            .map(|i| i.id)?;
        s.inspection(id).ok()
    };
    wait_for("the evaluation", SECS, || evaluation().is_some());
    let id = evaluation().unwrap().header.id;
    app.tap("#item-14d");
    wait_for("a deviation on 14d", SECS, || {
        evaluation().is_some_and(|e| e.violations().any(|f| f.item == "14d"))
    });
    app.fill("#pickup-producer", "Roy Harris 55-0101");
    app.fill("#pickup-tank_truck", "T-17");
    app.fill("#pickup-milk_temperature_f", "38.5");
    app.fill("#pickup-sample_id", "55-0101-1202");
    wait_for("the pick-up record", SECS, || {
        evaluation().and_then(|e| e.pickup).is_some_and(|p| {
            p.milk_temperature_f == "38.5"
                && p.sample_id == "55-0101-1202"
                && p.tank_truck == "T-17"
        })
    });
    app.tap("#outcome-unsatisfactory");
    wait_for("the unsatisfactory outcome", SECS, || {
        evaluation().and_then(|e| e.pickup).is_some_and(|p| {
            matches!(
                p.outcome,
                Some(milkshed_shared::sampling::Outcome::Unsatisfactory { .. })
            )
        })
    });
    app.screenshot("phone-15-evaluation");
    app.assert_tap_targets("the evaluation");
    // the finding's photo, through 14d's camera button
    let hauler_roll = tempfile::tempdir().unwrap();
    // (two: with a single file in the folder the chooser takes it on the first Return, and the
    // driver's second Return would land on the camera button)
    std::fs::write(hauler_roll.path().join("a-hose.jpg"), jpeg(31, 1600, 1200)).unwrap();
    std::fs::write(
        hauler_roll.path().join("b-outlet.jpg"),
        jpeg(32, 1200, 1600),
    )
    .unwrap();
    app.tap("#camera-14d");
    app.choose_files(hauler_roll.path());
    wait_for("the photos of 14d", Duration::from_secs(60), || {
        evaluation().is_some_and(|e| {
            e.photos.len() == 2 && e.photos.iter().all(|p| p.item.as_deref() == Some("14d"))
        })
    });
    sign_with_a_stroke(&app, data.path(), id);
    app.fill("#producer", "Rita Vogel");
    app.draw("#producer-pad", &STROKE);
    app.tap("#producer-pad-done");
    wait_for("the hauler's acknowledgement", SECS, || {
        inspection(data.path(), id).signatures.len() == 2
    });
    app.tap("#submit");
    wait_for("the submission", SECS, || {
        inspection(data.path(), id).status == Status::Submitted
    });
    app.tap("#nav-sync");
    app.tap("#sync-now");
    let db = || milkshed_tests::record_of(server_dir.path());
    wait_for(
        "the evaluation in the agency record",
        Duration::from_secs(60),
        || {
            db().query_row(
            "SELECT count(*) FROM inspections WHERE id = ?1 AND status = 'submitted' AND integrity = 'intact'",
            [id.to_string()],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
        },
    );
    let reevaluate_by = match evaluation().unwrap().pickup.unwrap().outcome {
        Some(milkshed_shared::sampling::Outcome::Unsatisfactory { reevaluate_by }) => reevaluate_by,
        other => panic!("{other:?}"),
    };
    let mut web = WebClient::new(&server.url());
    assert_eq!(web.login("demo", "sue", "milkshed-demo").status, 303);
    let page = web.get(&format!("/review/inspections/{id}"));
    for words in [
        "Test thermometer sanitized before use".to_string(),
        "Milk temperature (°F): 38.5".to_string(),
        "Sample identity: 55-0101-1202".to_string(),
        format!("Unsatisfactory: re-evaluation due by {reevaluate_by}"),
    ] {
        assert!(
            page.body.contains(&words),
            "the review page shows {words:?}"
        );
    }
    assert_eq!(
        page.body.matches("<svg class=\"signature\"").count(),
        2,
        "both strokes"
    );
    // the history card holds it, and the due list and the board agree on the next due date
    let card = web.get("/review/facilities/hauler-2");
    assert!(
        card.body.contains(&id.to_string()),
        "the evaluation on the history card"
    );
    assert!(
        card.body.contains(&format!(
            "Next evaluation due by <strong>{reevaluate_by}</strong>"
        )),
        "the history card's next evaluation"
    );
    let sue = milkshed_tests::TestDevice::enroll(&server.url(), "sue");
    let (_, board) = milkshed_tests::get_json(
        &server.url(),
        &sue.enrollment.token,
        &format!(
            "/api/board?today={}",
            reevaluate_by + chrono::Duration::days(1)
        ),
    );
    let owed = board["overdue_inspections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["facility_id"] == "hauler-2")
        .unwrap_or_else(|| panic!("Rita Vogel on the board: {board}"));
    assert_eq!(owed["due"], reevaluate_by.to_string());
    app.tap("#nav-sync");
    app.tap("#sync-now");
    app.tap("#nav-work");
    let shown = || {
        app.eval(
            "const b = [...document.querySelectorAll('button.start-other')].find(b => b.innerText.includes('Rita Vogel')); return b ? b.innerText : '';",
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    };
    let due = format!("due by {reevaluate_by}");
    wait_for(
        "the due list's next evaluation",
        Duration::from_secs(60),
        || shown().contains(&due),
    );
}
