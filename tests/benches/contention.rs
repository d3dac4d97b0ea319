//! The review pages while the server is busy: a supervisor's pages timed with the server idle,
//! then again while four devices sync new inspections and upload their photos as fast as they
//! can. Printed side by side as a Markdown table with the ratio of the p95s.
//!
//! Run: `cargo bench -p milkshed-tests --bench contention`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use milkshed_shared::document::SignerRole;
use milkshed_tests::{now, TestDevice, TestServer, WebClient};

const REQUESTS: usize = 300;
const DEVICES: usize = 4;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn time_pages(web: &mut WebClient, paths: &[String]) -> Vec<Vec<Duration>> {
    paths
        .iter()
        .map(|path| {
            let mut t: Vec<Duration> = (0..REQUESTS)
                .map(|_| {
                    let s = Instant::now();
                    let a = web.get(path);
                    assert_eq!(a.status, 200, "{path}");
                    s.elapsed()
                })
                .collect();
            t.sort();
            t
        })
        .collect()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let server = TestServer::start();
    let url = server.url();
    let mut sue = WebClient::new(&url);
    assert_eq!(sue.login("demo", "sue", "milkshed-demo").status, 303);
    let id: String = server
        .db()
        .query_row("SELECT id FROM inspections LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let paths = vec![
        "/review".to_string(),
        "/review/board".to_string(),
        format!("/review/inspections/{id}"),
        "/review/facilities".to_string(),
    ];
    let idle = time_pages(&mut sue, &paths);

    let stop = Arc::new(AtomicBool::new(false));
    let synced = Arc::new(AtomicUsize::new(0));
    let photos = Arc::new(AtomicUsize::new(0));
    let devices: Vec<_> = (0..DEVICES)
        .map(|n| {
            let (url, stop, synced, photos) =
                (url.clone(), stop.clone(), synced.clone(), photos.clone());
            std::thread::spawn(move || {
                let mut d = TestDevice::enroll(&url, ["ann", "sue"][n % 2]);
                let name = d.person().name;
                let mut round = 0u32;
                // bounded: stops when the pages are measured, or after 10 minutes
                let end = Instant::now() + Duration::from_secs(600);
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    for k in 0..3 {
                        let id = d.inspect_farm(
                            &format!("farm-{}", (round as usize + k) % 12 + 1),
                            &["3", "6"],
                        );
                        for p in 0..2 {
                            d.photograph_sized(id, "3", round * 10 + p, 1600, 1200);
                        }
                        d.store
                            .edit(id, &now(), |doc| {
                                doc.sign(SignerRole::Inspector, &name, "M0 0", &now())
                            })
                            .unwrap();
                    }
                    let r = d.sync().unwrap();
                    synced.fetch_add(r.docs_sent, Ordering::Relaxed);
                    photos.fetch_add(r.photos_uploaded, Ordering::Relaxed);
                    round += 1;
                }
            })
        })
        .collect();
    // let the devices get going
    std::thread::sleep(Duration::from_secs(2));
    let t = Instant::now();
    let loaded = time_pages(&mut sue, &paths);
    let during = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    for d in devices {
        d.join().unwrap();
    }

    println!(
        "While measuring ({:.1} s): {} inspections synced and {} photos uploaded by {DEVICES} devices.\n",
        during.as_secs_f64(),
        synced.load(Ordering::Relaxed),
        photos.load(Ordering::Relaxed)
    );
    println!("| page | idle p50 | idle p95 | busy p50 | busy p95 | busy max | p95 busy / idle | target p95 < 200 ms |");
    println!("|---|---|---|---|---|---|---|---|");
    for (i, path) in paths.iter().enumerate() {
        let (a, b) = (&idle[i], &loaded[i]);
        let (ia, lb) = (percentile(a, 0.95), percentile(b, 0.95));
        println!(
            "| `{}` | {} | {} | {} | {} | {} | {:.2} | {} |",
            path.split('/').take(3).collect::<Vec<_>>().join("/"),
            ms(percentile(a, 0.5)),
            ms(ia),
            ms(percentile(b, 0.5)),
            ms(lb),
            ms(*b.last().unwrap()),
            lb.as_secs_f64() / ia.as_secs_f64(),
            if lb < Duration::from_millis(200) {
                "✔"
            } else {
                "✘"
            }
        );
    }
}
