//! Field-app measurements through the real window under Xvfb, on a device holding 2,000 farms
//! of reference data and 500 past inspections: cold start to an interactive work list, and the
//! time from a tap on an item to its change being durable in the device store.
//!
//! Run: `cargo build --release -p milkshed-app && cargo bench -p milkshed-tests --bench app`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use milkshed_app::device::Store;
use milkshed_shared::document::{Header, InspectionKind, ItemState, Person, Subject, SubjectKind};
use milkshed_tests::{app_binary, now, Display};
use uuid::Uuid;

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
            id: Uuid::now_v7(),
            kind: InspectionKind::RoutineFarm,
            agency: "demo".into(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: format!("farm-{n}"),
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

fn launch(display: &str, dir: &Path, probe: &Path, screen: Option<&str>) -> Child {
    let _ = std::fs::remove_file(probe);
    let mut cmd = Command::new(app_binary());
    cmd.env("DISPLAY", display)
        .env("MILKSHED_DATA_DIR", dir)
        .env("MILKSHED_UI_PROBE", probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(s) = screen {
        cmd.env("MILKSHED_START_SCREEN", s);
    }
    cmd.spawn().unwrap()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
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
    let probe = dir.path().join("probe.json");

    // cold start to the work list on screen, 5 launches
    let mut starts = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let mut app = launch(&x.name(), dir.path(), &probe, None);
        while !probe.exists() {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "the work list never showed"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        starts.push(t.elapsed());
        let shown = std::fs::read_to_string(&probe).unwrap();
        assert!(
            shown.contains("\"farms\":2000") && shown.contains("\"inspections\":500"),
            "{shown}"
        );
        let _ = app.kill();
        let _ = app.wait();
    }
    starts.sort();

    // tap to durable: open the latest inspection, tap item 1 (the top row) twenty times
    let mut app = launch(&x.name(), dir.path(), &probe, Some("inspect"));
    std::thread::sleep(Duration::from_secs(4));
    let conn = rusqlite::Connection::open(dir.path().join("device.db")).unwrap();
    let last_change = || -> i64 {
        conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let mut taps = Vec::new();
    for _ in 0..20 {
        let before = last_change();
        let t = Instant::now();
        let ok = Command::new("xdotool")
            .args(["mousemove", "450", "376", "click", "1"])
            .env("DISPLAY", x.name())
            .status()
            .unwrap()
            .success();
        assert!(ok);
        while last_change() == before {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "the tap was not stored"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        taps.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(300));
    }
    taps.sort();
    let _ = app.kill();
    let _ = app.wait();
    println!("| measurement | result |");
    println!("|---|---|");
    println!("| cold start to the work list on screen (2,000 farms, 500 inspections): median of 5 | {} (min {}, max {}) |", ms(starts[2]), ms(starts[0]), ms(starts[4]));
    println!(
        "| tap on an item to its change durable in the device store: p50 of 20 | {} |",
        ms(taps[10])
    );
    println!("| … p95 (19th of 20) | {} |", ms(taps[18]));
}
