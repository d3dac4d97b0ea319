//! Sync measurements: documents merged per second, bytes on the wire per inspection against
//! posting it as JSON, the offline week over a 1 Mbit/s loopback link, and server memory with
//! 100 devices. Prints a Markdown table.
//!
//! Run: `cargo bench -p milkshed-tests --bench sync`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering;
use std::time::Instant;

use milkshed_shared::document::{ItemState, SignerRole};
use milkshed_tests::{now, server_counts, ChildServer, Proxy, TestDevice, TestServer};
use serde_json::json;

/// A typical routine farm inspection: 12 items recorded, 4 violated with notes, pounds, signed.
fn typical(d: &mut TestDevice, farm: &str) -> milkshed_shared::ids::InspectionId {
    typical_with_photos(d, farm, &[]).0
}

/// [`typical`] with photos (320 × 240) taken before signing; returns their stored bytes.
fn typical_with_photos(
    d: &mut TestDevice,
    farm: &str,
    seeds: &[u32],
) -> (milkshed_shared::ids::InspectionId, u64) {
    let id = d.inspect_farm(farm, &["3", "6", "12", "15C"]);
    let mut bytes = 0;
    for seed in seeds {
        let hash = d.photograph_sized(id, "3", *seed, 320, 240);
        bytes += d.store.photo(&hash).unwrap().unwrap().len() as u64;
    }
    for item in ["1", "4", "9", "10", "11", "13", "16", "17"] {
        d.store
            .edit(id, &now(), |doc| {
                doc.set_finding(item, &ItemState::InCompliance, &now())
            })
            .unwrap();
    }
    for item in ["3", "6", "12", "15C"] {
        d.store
            .edit(id, &now(), |doc| {
                doc.set_item_note(
                    item,
                    "Observed during the evening milking; discussed with the owner.",
                    &now(),
                )
            })
            .unwrap();
    }
    d.store
        .edit(id, &now(), |doc| doc.set_pounds_sold_daily(1700, &now()))
        .unwrap();
    d.store
        .edit(id, &now(), |doc| {
            doc.sign(
                SignerRole::Inspector,
                "Ann Lindqvist",
                "M10 40 C 20 10, 40 10, 50 40",
                &now(),
            )
        })
        .unwrap();
    (id, bytes)
}

/// The same inspection posted as a JSON document (what a plain REST form app would send).
fn as_json(i: &milkshed_shared::document::Inspection) -> usize {
    let findings: Vec<_> = i
        .findings
        .iter()
        .map(|f| json!({"item": f.item, "state": f.state.name(), "note": f.note}))
        .collect();
    json!({
        "id": i.header.id, "kind": i.header.kind.as_str(), "agency": i.header.agency,
        "subject": {"kind": i.header.subject.kind.as_str(), "id": i.header.subject.id, "name": i.header.subject.name},
        "inspector": {"id": i.header.inspector.id, "name": i.header.inspector.name},
        "started_at": i.header.started_at.to_rfc3339(), "status": i.status.as_str(),
        "pounds_sold_daily": i.pounds_sold_daily, "findings": findings,
        "signatures": i.signatures.iter().map(|s| json!({"name": s.name, "signed_at": s.signed_at.to_rfc3339(), "hash": s.content_hash, "strokes": s.strokes})).collect::<Vec<_>>(),
    })
    .to_string()
    .len()
}

fn main() {
    let mut rows: Vec<(String, String)> = Vec::new();

    // bytes on the wire per inspection
    {
        let server = TestServer::start();
        let mut d = TestDevice::enroll(&server.url(), "ann");
        d.sync().unwrap();
        let id = typical(&mut d, "farm-1");
        let first = d.sync().unwrap();
        let json_bytes = as_json(&d.store.inspection(id).unwrap());
        d.store.edit(id, &now(), |doc| doc.submit(&now())).unwrap();
        let edit = d.sync().unwrap();
        rows.push((
            "sync request, one new typical inspection (12 items, 4 notes, signed)".into(),
            format!("{} B up, {} B down", first.bytes_up, first.bytes_down),
        ));
        rows.push((
            "the same inspection posted as JSON".into(),
            format!("{json_bytes} B"),
        ));
        rows.push((
            "sync request after one more change (submit)".into(),
            format!("{} B up, {} B down", edit.bytes_up, edit.bytes_down),
        ));
    }

    // documents merged per second: 400 inspections in one sync
    {
        let server = TestServer::start();
        let mut d = TestDevice::enroll(&server.url(), "ann");
        for n in 0..400 {
            typical(&mut d, &format!("farm-{}", n % 12 + 1));
        }
        let start = Instant::now();
        let r = d.sync().unwrap();
        let secs = start.elapsed().as_secs_f64();
        assert!(r.rejected.is_empty());
        rows.push((
            "documents merged per second (400 new inspections in one sync, end to end)".into(),
            format!("{:.0} docs/s ({:.2} s)", 400.0 / secs, secs),
        ));
    }

    // the offline week over a 1 Mbit/s link
    {
        let server = TestServer::start();
        let proxy = Proxy::start(server.addr);
        let mut d = TestDevice::enroll(&server.url(), "ann");
        d.sync().unwrap();
        d.use_server(&proxy.url());
        let mut photo_bytes = 0u64;
        for n in 0..40u32 {
            let seeds: Vec<u32> = (0..5).map(|p| n * 5 + p).collect();
            photo_bytes += typical_with_photos(&mut d, &format!("farm-{}", n % 12 + 1), &seeds).1;
        }
        let bps: u64 = 1_000_000 / 8;
        proxy.bytes_per_sec.store(bps, Ordering::SeqCst);
        let start = Instant::now();
        let r = d.sync().unwrap();
        let secs = start.elapsed().as_secs_f64();
        let floor = photo_bytes as f64 / bps as f64;
        assert_eq!(r.photos_uploaded, 200);
        rows.push((
            "offline week (40 inspections, 200 photos) over a 1 Mbit/s loopback link".into(),
            format!(
                "{secs:.1} s, {} sync round trip(s) + 400 photo requests; photos alone {:.1} MB = {floor:.1} s at 1 Mbit/s → {:+.1} %",
                r.round_trips,
                photo_bytes as f64 / 1e6,
                (secs / floor - 1.0) * 100.0
            ),
        ));
        let (docs, photos) = server_counts(server.dir.path());
        assert!(docs >= 40 && photos == 200);
    }

    // server memory with 100 devices
    {
        let dir = tempfile::tempdir().unwrap();
        let server = ChildServer::start(env!("CARGO_BIN_EXE_milkshed-test-server"), dir.path());
        let url = server.url();
        let handles: Vec<_> = (0..100)
            .map(|n| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let mut d = TestDevice::enroll(&url, ["ann", "hal", "sam", "sue"][n % 4]);
                    for k in 0..3 {
                        typical(&mut d, &format!("farm-{}", (n + k) % 12 + 1));
                    }
                    d.sync().unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
                .unwrap_or(0)
        };
        rows.push((
            "server memory after 100 devices synced 300 inspections at once: peak RSS / RSS".into(),
            format!(
                "{:.1} MiB / {:.1} MiB",
                field("VmHWM:") as f64 / 1024.0,
                field("VmRSS:") as f64 / 1024.0
            ),
        ));
    }

    println!("| measurement | result |");
    println!("|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
