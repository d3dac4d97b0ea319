//! The merge rate of the agency record on each engine, side by side in one run: the same work
//! (16 sanitarians' devices, 400 inspections made offline, then an edit of every one) synced to one server
//! on SQLite, to one server on PostgreSQL, and to two server processes on one PostgreSQL (the
//! devices split between them). Printed as a Markdown table with each rate as a ratio to SQLite
//! and two instances' as a ratio to one.
//!
//! Run: `cargo bench -p milkshed-tests --bench instances` (starts a throwaway PostgreSQL
//! cluster with `scripts/pg-cluster`, or uses `MILKSHED_TEST_DATABASE` when set).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use milkshed_shared::document::ItemState;
use milkshed_sync_server::db;
use milkshed_sync_server::service::{auth, demo};
use milkshed_tests::{now, record_of, workspace_root, ChildServer, TestDevice, TEST_DATABASE};

const DEVICES: usize = 16;
const DOCS_PER_DEVICE: usize = 25;

struct Rate {
    wall: Duration,
    docs: usize,
    changes: usize,
}

/// Every device syncs at once, `urls[n % len]`; the time until the last one is done.
fn sync_all(devices: &mut [TestDevice], urls: &[String]) -> Duration {
    let barrier = Arc::new(Barrier::new(devices.len() + 1));
    let start = std::thread::scope(|s| {
        let handles: Vec<_> = devices
            .iter_mut()
            .enumerate()
            .map(|(n, d)| {
                let barrier = barrier.clone();
                d.use_server(&urls[n % urls.len()]);
                s.spawn(move || {
                    barrier.wait();
                    let r = d.sync().unwrap();
                    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for h in handles {
            h.join().unwrap();
        }
        start
    });
    start.elapsed()
}

/// The changes of the documents a device made.
fn changes_of(d: &mut TestDevice, ids: &[milkshed_shared::ids::InspectionId]) -> usize {
    ids.iter()
        .map(|&id| {
            d.store
                .document(id)
                .unwrap()
                .automerge()
                .get_changes(&[])
                .len()
        })
        .sum()
}

/// The workload against servers at `urls` on the record of `dir`: a sanitarian per device
/// (each with their own inspections, as in the field), new inspections, then an edit of each.
fn run(dir: &Path, urls: &[String]) -> Rate {
    let hash = auth::hash_password(demo::PASSWORD).unwrap();
    let conn = record_of(dir);
    for n in 0..DEVICES {
        db::add_user(
            &conn,
            demo::AGENCY,
            &format!("bench-{n}"),
            &format!("Bench Sanitarian {n}"),
            auth::Role::Sanitarian,
            &hash,
        )
        .unwrap();
    }
    drop(conn);
    let mut devices: Vec<TestDevice> = (0..DEVICES)
        .map(|n| TestDevice::enroll(&urls[n % urls.len()], &format!("bench-{n}")))
        .collect();
    // each device holds its user's documents: the first sync brings the demo's down
    sync_all(&mut devices, urls);
    let made: Vec<Vec<_>> = devices
        .iter_mut()
        .enumerate()
        .map(|(n, d)| {
            (0..DOCS_PER_DEVICE)
                .map(|k| d.inspect_farm(&format!("farm-{}", (n + k) % 12 + 1), &["3", "6", "9"]))
                .collect()
        })
        .collect();
    let first = sync_all(&mut devices, urls);
    for (d, mine) in devices.iter_mut().zip(&made) {
        for &id in mine {
            d.store
                .edit(id, &now(), |doc| {
                    doc.set_finding(
                        "12",
                        &ItemState::Violated {
                            points: None,
                            products: vec![],
                        },
                        &now(),
                    )?;
                    doc.set_item_note("12", "rechecked", &now())
                })
                .unwrap();
        }
    }
    let second = sync_all(&mut devices, urls);
    let changes = devices
        .iter_mut()
        .zip(&made)
        .map(|(d, mine)| changes_of(d, mine))
        .sum();
    Rate {
        wall: first + second,
        docs: DEVICES * DOCS_PER_DEVICE * 2,
        changes,
    }
}

fn cluster() -> (Option<PathBuf>, String) {
    if let Ok(url) = std::env::var(TEST_DATABASE) {
        return (None, url);
    }
    let dir = tempfile::tempdir().unwrap().keep();
    let data = dir.join("data");
    if unsafe_is_root() {
        std::process::Command::new("chown")
            .args(["postgres", dir.to_str().unwrap()])
            .status()
            .unwrap();
    }
    let out = std::process::Command::new(workspace_root().join("scripts/pg-cluster"))
        .arg("start")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        Some(data),
        String::from_utf8(out.stdout).unwrap().trim().to_string(),
    )
}

fn unsafe_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

fn stop(data: &Path) {
    let _ = std::process::Command::new(workspace_root().join("scripts/pg-cluster"))
        .arg("stop")
        .arg(data)
        .status();
}

fn main() {
    let exe = env!("CARGO_BIN_EXE_milkshed-test-server");
    // SQLite: the data directory's file, one writer
    std::env::remove_var(TEST_DATABASE);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = {
        let s = ChildServer::start(exe, dir.path());
        run(dir.path(), &[s.url()])
    };
    let (data, url) = cluster();
    // the child servers read the cluster's URL from the environment
    std::env::set_var(TEST_DATABASE, &url);
    let dir = tempfile::tempdir().unwrap();
    let pg_one = {
        let s = ChildServer::start(exe, dir.path());
        run(dir.path(), &[s.url()])
    };
    let dir = tempfile::tempdir().unwrap();
    let pg_two = {
        let a = ChildServer::start(exe, dir.path());
        let b = ChildServer::start(exe, dir.path());
        run(dir.path(), &[a.url(), b.url()])
    };
    if let Some(data) = data {
        stop(&data);
    }
    let rate = |r: &Rate| {
        (
            r.changes as f64 / r.wall.as_secs_f64(),
            r.docs as f64 / r.wall.as_secs_f64(),
        )
    };
    let (s_c, _) = rate(&sqlite);
    println!(
        "{DEVICES} devices, {} inspections made offline then each edited once: {} documents merged, {} changes.\n",
        DEVICES * DOCS_PER_DEVICE,
        sqlite.docs,
        sqlite.changes
    );
    println!("| record | wall | changes/s | documents/s | changes/s ÷ SQLite |");
    println!("|---|---|---|---|---|");
    for (name, r) in [
        ("SQLite, one server", &sqlite),
        ("PostgreSQL, one server", &pg_one),
        ("PostgreSQL, two servers", &pg_two),
    ] {
        let (c, d) = rate(r);
        println!(
            "| {name} | {:.2} s | {c:.0} | {d:.1} | {:.2} |",
            r.wall.as_secs_f64(),
            c / s_c
        );
    }
    println!(
        "\nTwo PostgreSQL servers ÷ one: {:.2} (target ≥ 1.6)",
        rate(&pg_two).0 / rate(&pg_one).0
    );
}
