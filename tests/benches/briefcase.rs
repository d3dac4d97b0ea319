//! The devices' briefcase (reference data) in a 2,000-farm agency: bytes and time of the first,
//! full download, and of the sync after one farm changed (a delta by version), side by side.
//!
//! Run: `cargo bench -p milkshed-tests --bench briefcase`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use milkshed_sync_server::service::demo;
use milkshed_tests::{post_json, TestDevice, TestServer};

const FARMS: usize = 2_000;

fn main() {
    let server = TestServer::start_with(|state| {
        demo::seed(&state.db, &state.server_actor).unwrap();
        milkshed_tests::bench_registry(&mut state.db.write().unwrap(), FARMS);
    });
    let sue = TestDevice::enroll(&server.url(), "sue");
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let t = Instant::now();
    let full = ann.sync().unwrap();
    let full_time = t.elapsed();
    assert!(full.reference_updated);
    let farms = ann.store.reference_count("farm").unwrap();
    // one farm's volume changes in the registry
    let (status, body) = post_json(
        &server.url(),
        &sue.enrollment.token,
        "/api/facilities/bench-farm-7/pounds",
        &serde_json::json!({"pounds_daily": 4200, "effective_on": "2026-11-30"}),
    );
    assert_eq!(status, 200, "{body}");
    let t = Instant::now();
    let delta = ann.sync().unwrap();
    let delta_time = t.elapsed();
    assert!(delta.reference_updated);
    assert_eq!(
        ann.store
            .reference("farm", "bench-farm-7")
            .unwrap()
            .unwrap()["pounds_sold_daily"],
        4200
    );
    assert_eq!(ann.store.reference_count("farm").unwrap(), farms);
    println!("| sync ({farms} farms on the device) | bytes down | time |");
    println!("|---|---|---|");
    println!(
        "| first sync: the whole briefcase | {} | {:.1} ms |",
        full.bytes_down,
        full_time.as_secs_f64() * 1e3
    );
    println!(
        "| after one farm changed: the delta | {} | {:.1} ms |",
        delta.bytes_down,
        delta_time.as_secs_f64() * 1e3
    );
    println!(
        "| ratio full / delta | {:.0} × | {:.1} × |",
        full.bytes_down as f64 / delta.bytes_down.max(1) as f64,
        full_time.as_secs_f64() / delta_time.as_secs_f64()
    );
}
