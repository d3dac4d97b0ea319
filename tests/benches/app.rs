//! Field-app measurements through the real window under Xvfb at a phone's 390 × 844, on a
//! device holding 2,000 farms of reference data and 500 past inspections: cold start to an
//! interactive work list; a tap on an item to its visual feedback (the row's new state drawn)
//! and to its change durable in the device store; three 12 MP photos, from their choosing in
//! the camera's chooser to their thumbnails on screen.
//!
//! Run: `cargo build --release -p milkshed-app --features test-hooks && cargo bench -p milkshed-tests --bench app`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use milkshed_app::device::Store;
use milkshed_shared::document::{Header, InspectionKind, ItemState, Person, Subject, SubjectKind};
use milkshed_tests::ui::{wait_for, App};
use milkshed_tests::{now, Display};

fn seed(dir: &Path) {
    let mut s = Store::open(&dir.join("device.db")).unwrap();
    s.set_setting(
        "enrollment",
        &serde_json::json!({"server": "http://127.0.0.1:9", "device_id": "d", "token": "t", "agency": "demo",
            "user_id": "u-ann", "user_name": "Ann Lindqvist", "role": "sanitarian"})
        .to_string(),
    )
    .unwrap();
    milkshed_app::device::session::open_session(&mut s, chrono::Utc::now()).unwrap();
    let farms: Vec<(String, serde_json::Value)> = (0..2000)
        .map(|n| {
            let id = format!("farm-{n}");
            (id.clone(), serde_json::json!({"id": id, "name": format!("Farm {n:04}"), "producer_number": format!("55-{n:04}"),
                "permit": format!("FP-{n}"), "pounds_sold_daily": 1000 + n, "btu": format!("BTU {}", n % 20),
                "last_inspection": format!("2026-{:02}-15", n % 11 + 1)}))
        })
        .collect();
    s.replace_reference("farm", &farms, "2026-11-24T00:00:00Z")
        .unwrap();
    for n in 0..500u32 {
        let header = Header {
            id: milkshed_shared::ids::InspectionId::new_v7(),
            kind: InspectionKind::RoutineFarm,
            agency: "demo".into(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: format!("farm-{n}").into(),
                name: format!("Farm {n:04}"),
                permit: None,
                producer_number: None,
            },
            inspector: Person {
                id: "u-ann".into(),
                name: "Ann Lindqvist".into(),
            },
            catalog: "pmo-2011".into(),
            started_at: now(),
            follows: None,
        };
        let id = s.create_inspection(&header).unwrap();
        s.edit(id, &now(), |d| {
            for item in ["3", "6", "12"] {
                d.set_finding(
                    item,
                    &ItemState::Violated {
                        points: None,
                        products: vec![],
                    },
                    &now(),
                )?;
            }
            d.set_pounds_sold_daily(1500, &now())
        })
        .unwrap();
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A 12-megapixel camera photo (4000 × 3000) with detail that JPEG cannot squeeze away.
fn twelve_megapixels(seed: u32) -> Vec<u8> {
    milkshed_tests::jpeg(seed, 4000, 3000)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    seed(dir.path());
    eprintln!(
        "seeded 2,000 farms and 500 inspections in {:?}",
        t.elapsed()
    );
    let x = Display::start(300);

    // cold start to the work list on screen, 5 launches
    let mut starts = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let app = App::launch(&x, dir.path(), &[]);
        wait_for("the work list", Duration::from_secs(60), || {
            app.eval("return document.querySelectorAll('button.open-inspection').length;") == 500
        });
        starts.push(t.elapsed());
        drop(app);
    }
    starts.sort();

    // tap to feedback: the page notes when the pointer went down and when the row's new class
    // was drawn (the frame after the change); tap to durable: the store's last change
    let app = App::launch(&x, dir.path(), &[]);
    app.tap("button.open-inspection");
    app.wait_for_selector("#item-1", Duration::from_secs(20));
    app.eval(
        "window.__taps = [];
         const row = document.querySelector('#item-1');
         document.addEventListener('pointerdown', () => { window.__down = performance.now(); }, true);
         new MutationObserver(() => requestAnimationFrame(() => window.__taps.push(performance.now() - window.__down)))
           .observe(document.querySelector('main'), { attributes: true, subtree: true, attributeFilter: ['class'] });
         return true;",
    );
    let conn = rusqlite::Connection::open(dir.path().join("device.db")).unwrap();
    let last_change = || -> i64 {
        conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let mut durable = Vec::new();
    for n in 0..20 {
        let (x, y) = app.point_in("#item-1");
        let before = last_change();
        let t = Instant::now();
        app.click_at(x, y);
        while last_change() == before {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "the tap was not stored"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        durable.push(t.elapsed());
        wait_for("the row drawn", Duration::from_secs(10), || {
            app.eval("return window.__taps.length;")
                .as_u64()
                .unwrap_or(0)
                > n
        });
    }
    durable.sort();
    let mut feedback: Vec<f64> = app
        .eval("return window.__taps;")
        .as_array()
        .unwrap()
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    feedback.sort_by(f64::total_cmp);

    // three 12 MP photos: from the chooser's answer to three thumbnails in the row
    let roll = tempfile::tempdir().unwrap();
    for n in 0..3 {
        std::fs::write(
            roll.path().join(format!("IMG_{n}.jpg")),
            twelve_megapixels(n),
        )
        .unwrap();
    }
    let thumbs = "return document.querySelectorAll('.finding img.thumb').length;";
    let before = app.eval(thumbs).as_u64().unwrap_or(0);
    app.tap("#camera-1");
    app.choose_files(roll.path());
    let t = Instant::now();
    wait_for("three thumbnails", Duration::from_secs(120), || {
        app.eval(thumbs).as_u64().unwrap_or(0) >= before + 3
    });
    let photos = t.elapsed();
    drop(app);

    println!("| measurement | result |");
    println!("|---|---|");
    println!("| cold start to the work list on screen (2,000 farms, 500 inspections): median of 5 | {} (min {}, max {}) |", ms(starts[2]), ms(starts[0]), ms(starts[4]));
    println!(
        "| tap on an item to its new state drawn (pointerdown to the next frame): p50 of 20 | {:.1} ms |",
        feedback[feedback.len() / 2]
    );
    println!(
        "| … p95 | {:.1} ms |",
        feedback[feedback.len() * 19 / 20 - 1]
    );
    println!(
        "| tap on an item to its change durable in the device store: p50 of 20 | {} |",
        ms(durable[10])
    );
    println!("| … p95 (19th of 20) | {} |", ms(durable[18]));
    println!(
        "| three 12 MP photos, chosen, to their three thumbnails on screen | {} |",
        ms(photos)
    );
}
