//! The review pages with a large agency record: 2,000 farms in 10 BTUs, 50,000 synced
//! inspections (real Automerge documents, signed, most submitted, some reviewed) with 200,000
//! photos, 20 inspectors. Generates the record, starts the server on it, signs in as a
//! supervisor and times every page over loopback (p50, p95, max). Prints a Markdown table.
//!
//! Run: `cargo bench -p milkshed-tests --bench review` (`REVIEW_BENCH_INSPECTIONS=5000` for a
//! smaller record).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::document::{
    Header, InspectionDoc, InspectionKind, ItemState, Person, PhotoRef, Review, SignerRole,
    Subject, SubjectKind,
};
use milkshed_sync_server::{db, service::auth, service::demo};
use milkshed_tests::{TestServer, WebClient};
use rand::{Rng, SeedableRng};

const FARMS: usize = 2_000;
const PHOTOS_PER_INSPECTION: usize = 4;
const INSPECTORS: usize = 20;
const ITEMS: [&str; 16] = [
    "1", "2A", "3", "4", "5A", "6", "7", "9", "10", "11", "12", "13", "15C", "16", "17", "18A",
];

fn generate(state: &milkshed_sync_server::http::server::AppState, inspections: usize) {
    let t0 = Instant::now();
    demo::seed(&state.db, &state.server_actor).unwrap();
    let mut conn = state.db.write().unwrap();
    let hash = auth::hash_password("bench").unwrap();
    let inspectors: Vec<Person> = (0..INSPECTORS)
        .map(|i| {
            let username = format!("insp{i}");
            let name = format!("Inspector {i:02}");
            let id = db::add_user(
                &conn,
                demo::AGENCY,
                &username,
                &name,
                auth::Role::Sanitarian,
                &hash,
            )
            .unwrap();
            Person {
                id: id.into(),
                name,
            }
        })
        .collect();
    milkshed_tests::bench_registry(&mut conn, FARMS);
    let registry = t0.elapsed();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let actor = ActorId::random();
    let reviewer = Person {
        id: "bench-reviewer".into(),
        name: "Bench Reviewer".into(),
    };
    let offset = FixedOffset::west_opt(6 * 3600).unwrap();
    let start: DateTime<FixedOffset> =
        (Utc::now() - chrono::Duration::days(700)).with_timezone(&offset);
    let mut tx = conn.transaction().unwrap();
    for i in 0..inspections {
        let farm = rng.gen_range(0..FARMS);
        let inspector = &inspectors[i % INSPECTORS];
        let at = start + chrono::Duration::minutes((i as i64) * 20);
        let header = Header {
            id: milkshed_shared::ids::InspectionId::new_v7(),
            kind: InspectionKind::RoutineFarm,
            agency: demo::AGENCY.into(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: format!("bench-farm-{farm}").into(),
                name: format!("Bench Farm {farm:04}"),
                permit: Some(format!("BF-{farm:05}")),
                producer_number: Some(format!("55-{farm:05}")),
            },
            inspector: inspector.clone(),
            catalog: "pmo-2011".into(),
            started_at: at,
            follows: None,
        };
        let mut doc = InspectionDoc::create(actor.clone(), &header).unwrap();
        doc.set_pounds_sold_daily(1700, &at).unwrap();
        for (k, item) in ITEMS.iter().enumerate() {
            let state = if rng.gen_bool(0.2) {
                ItemState::Violated {
                    points: None,
                    products: vec![],
                }
            } else if k % 5 == 4 {
                ItemState::NotApplicable
            } else {
                ItemState::InCompliance
            };
            doc.set_finding(item, &state, &at).unwrap();
        }
        doc.set_notes("Routine inspection; owner present.", &at)
            .unwrap();
        for (p, item) in ITEMS.iter().enumerate().take(PHOTOS_PER_INSPECTION) {
            let hash = milkshed_shared::document::sha256_hex(format!("photo {i} {p}").as_bytes());
            doc.add_photo(
                &PhotoRef {
                    hash: hash.clone(),
                    item: Some((*item).into()),
                    caption: format!("photo {p}"),
                    taken_at: Some(at),
                    width: 1600,
                    height: 1200,
                    gps: None,
                },
                &at,
            )
            .unwrap();
            db::record_photo(&tx, demo::AGENCY, &hash, 140_000).unwrap();
        }
        doc.sign(SignerRole::Inspector, &inspector.name, "M0 0 L 10 10", &at)
            .unwrap();
        doc.submit(&at).unwrap();
        if i % 3 == 0 {
            doc.review(&Review {
                by: reviewer.clone(),
                at,
                accepted: i % 6 == 0,
                comment: "Recheck item 3.".into(),
                item_comments: vec![],
            })
            .unwrap();
        }
        db::store_doc(&tx, demo::AGENCY, &mut doc).unwrap();
        if i % 1000 == 999 {
            tx.commit().unwrap();
            tx = conn.transaction().unwrap();
        }
    }
    tx.commit().unwrap();
    // the desk's record: an audit line per inspection, lab results for every farm, and a
    // document with conflicting values
    let tx = conn.transaction().unwrap();
    let caller = db::Caller {
        user_id: "bench-reviewer".to_string().into(),
        user_name: "Bench Reviewer".into(),
        agency_id: demo::AGENCY.into(),
        role: auth::Role::Supervisor,
        via: db::Via::Web,
    };
    for i in 0..inspections {
        db::desk::audit(
            &tx,
            &caller,
            if i % 2 == 0 {
                "inspection.synced"
            } else {
                "permit.status"
            },
            &format!("bench-farm-{}", i % FARMS),
            &format!("bench change {i}"),
        )
        .unwrap();
    }
    let today = Utc::now().date_naive();
    let mut rows = Vec::new();
    for f in 0..FARMS {
        for k in 0..6u64 {
            rows.push(db::LabRow {
                lab_number: "55001".into(),
                sample_date: today - chrono::Days::new(30 * (k + 1)),
                subject_id: format!("bench-farm-{f}"),
                standard: "bacteria".into(),
                value: (20_000 + 30_000 * ((f as u64 + k) % 5)).to_string(),
                over: false,
                line: 0,
                lab_classification: Some("F".into()),
                procedure: Some("2".into()),
            });
        }
    }
    milkshed_sync_server::service::lab::judge(&mut rows, |_| true);
    tx.commit().unwrap();
    db::import_lab_results(&mut conn, demo::AGENCY, &rows).unwrap();
    {
        let header = Header {
            id: milkshed_shared::ids::InspectionId::new_v7(),
            kind: InspectionKind::RoutineFarm,
            agency: demo::AGENCY.into(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: "bench-farm-1".into(),
                name: "Bench Farm 0001".into(),
                permit: None,
                producer_number: None,
            },
            inspector: inspectors[0].clone(),
            catalog: "pmo-2011".into(),
            started_at: start,
            follows: None,
        };
        let mut a = InspectionDoc::create(ActorId::random(), &header).unwrap();
        let mut b = InspectionDoc::load(&a.save(), ActorId::random()).unwrap();
        a.set_pounds_sold_daily(1700, &start).unwrap();
        b.set_pounds_sold_daily(1750, &start).unwrap();
        a.merge(&mut b).unwrap();
        let tx = conn.transaction().unwrap();
        db::store_doc(&tx, demo::AGENCY, &mut a).unwrap();
        tx.commit().unwrap();
    }
    conn.execute_batch("ANALYZE").unwrap();
    drop(conn);
    // a few photo files, so the photo page serves real bytes
    let jpeg = milkshed_tests::jpeg(1, 320, 240);
    for i in 0..200 {
        let hash = milkshed_shared::document::sha256_hex(format!("photo {i} 0").as_bytes());
        state.blobs.put(&hash, &jpeg).unwrap();
    }
    eprintln!(
        "generated {FARMS} farms in {:.1} s and {inspections} inspections with {} photos in {:.1} s",
        registry.as_secs_f64(),
        inspections * PHOTOS_PER_INSPECTION,
        (t0.elapsed() - registry).as_secs_f64()
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// One row of the table: requests, p50, p95, max and whether p95 is under the 200 ms target.
fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let p95 = percentile(&times, 0.95);
    println!(
        "| {name} | {} | {} | {} | {} | {} |",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(p95),
        ms(*times.last().unwrap()),
        if p95 < Duration::from_millis(200) {
            "✔"
        } else {
            "✘"
        }
    );
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let inspections: usize = std::env::var("REVIEW_BENCH_INSPECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let server = TestServer::start_with(|state| generate(state, inspections));
    let conn = server.db();
    let ids: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT id FROM inspections ORDER BY random() LIMIT 400")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let inspector: String = conn
        .query_row("SELECT id FROM users WHERE username = 'insp3'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let photos: i64 = conn
        .query_row("SELECT count(*) FROM photos", [], |r| r.get(0))
        .unwrap();
    let docs: i64 = conn
        .query_row("SELECT count(*) FROM inspections", [], |r| r.get(0))
        .unwrap();
    let conflicted: String = conn
        .query_row(
            "SELECT id FROM inspections WHERE conflicts > 0 LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut c = WebClient::new(&server.url());
    assert_eq!(c.login("demo", "sue", "milkshed-demo").status, 303);
    c.get("/review");
    // enforcement actions with their letters, made through the desk's own form
    let today = Utc::now().date_naive().to_string();
    for f in 0..200 {
        let a = c.submit(
            &format!("/review/facilities/bench-farm-{f}/actions"),
            &[
                ("kind", "warning_letter"),
                ("issued_on", &today),
                ("cause", "bench: 2 of the last 4 over"),
            ],
        );
        assert_eq!(a.status, 303, "{}", a.body);
    }
    let actions: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT id FROM enforcement_actions ORDER BY random() LIMIT 100")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let csv200: String =
        std::iter::once("name,number,permit_number,permit_issued_on,listing".to_string())
            .chain(
                (0..200).map(|i| {
                    format!("Preview Farm {i},66-{i:04},PV-{i:04},2026-01-15,bench-btu-0")
                }),
            )
            .collect::<Vec<_>>()
            .join("\n");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    type PathFn<'a> = Box<dyn FnMut(&mut rand_chacha::ChaCha8Rng) -> String + 'a>;
    let pages: Vec<(&str, PathFn)> = vec![
        ("queue, newest first", Box::new(|_| "/review".into())),
        (
            "queue, status = submitted",
            Box::new(|_| "/review?status=submitted".into()),
        ),
        (
            "queue, one inspector",
            Box::new(|_| format!("/review?inspector={inspector}")),
        ),
        (
            "queue, farm name search",
            Box::new(|r| format!("/review?subject=Farm+{:04}", r.gen_range(0..FARMS))),
        ),
        (
            "queue, violations ≥ 6",
            Box::new(|_| "/review?violations=6".into()),
        ),
        (
            "queue, page 100 (rows 5,000-5,050)",
            Box::new(|_| "/review?page=100".into()),
        ),
        (
            "inspection detail (random)",
            Box::new(|r| format!("/review/inspections/{}", ids[r.gen_range(0..ids.len())])),
        ),
        (
            "photo (full size)",
            Box::new(|r| {
                format!(
                    "/review/photos/{}",
                    milkshed_shared::document::sha256_hex(
                        format!("photo {} 0", r.gen_range(0..200)).as_bytes()
                    )
                )
            }),
        ),
        (
            "overdue & breached board",
            Box::new(|_| "/review/board".into()),
        ),
        (
            "farms, plants, haulers (2,000+)",
            Box::new(|_| "/review/facilities".into()),
        ),
        (
            "one farm: history, permits, inspections",
            Box::new(|r| format!("/review/facilities/bench-farm-{}", r.gen_range(0..FARMS))),
        ),
        (
            "a BTU with 200 farms",
            Box::new(|r| format!("/review/facilities/bench-btu-{}", r.gen_range(0..10))),
        ),
        (
            "ratings & listings",
            Box::new(|_| "/review/listings".into()),
        ),
        (
            "desk: new facility form",
            Box::new(|_| "/review/facilities/new".into()),
        ),
        (
            "desk: CSV import form",
            Box::new(|_| "/review/facilities/import".into()),
        ),
        (
            "desk: enforcement actions (500 newest)",
            Box::new(|_| "/review/actions".into()),
        ),
        (
            "desk: one action with its letter",
            Box::new(|r| format!("/review/actions/{}", actions[r.gen_range(0..actions.len())])),
        ),
        (
            "desk: letter templates",
            Box::new(|_| "/review/templates".into()),
        ),
        (
            "desk: one template",
            Box::new(|_| "/review/templates/suspension".into()),
        ),
        (
            "desk: laboratory (with the board's lab warnings)",
            Box::new(|_| "/review/lab".into()),
        ),
        (
            "desk: one farm's lab ledger and chart",
            Box::new(|r| format!("/review/lab/bench-farm-{}", r.gen_range(0..FARMS))),
        ),
        ("desk: Appendix N", Box::new(|_| "/review/residue".into())),
        (
            "desk: conflict queue",
            Box::new(|_| "/review/conflicts".into()),
        ),
        (
            "desk: one conflicted inspection",
            Box::new(|_| format!("/review/conflicts/{conflicted}")),
        ),
        (
            "desk: audit log, newest 200",
            Box::new(|_| "/review/audit".into()),
        ),
        (
            "desk: audit log, one farm",
            Box::new(|r| format!("/review/audit?subject=bench-farm-{}", r.gen_range(0..FARMS))),
        ),
        (
            "desk: audit log, one action, page 10",
            Box::new(|_| "/review/audit?action=permit.status&page=10".into()),
        ),
        ("desk: outbox", Box::new(|_| "/review/outbox".into())),
    ];
    println!("| page ({docs} inspections, {photos} photos) | requests | p50 | p95 | max | target p95 < 200 ms |");
    println!("|---|---|---|---|---|---|");
    for (name, mut path) in pages {
        let mut times = Vec::new();
        for _ in 0..100 {
            let p = path(&mut rng);
            let t = Instant::now();
            let a = c.get(&p);
            times.push(t.elapsed());
            assert_eq!(
                a.status,
                200,
                "{p}: {}",
                a.body.chars().take(300).collect::<String>()
            );
        }
        report(name, times);
    }
    // the forms that answer with a page: the import's preview of 200 rows (rolled back) and a
    // farm's move checked before it is saved
    for (name, path, fields) in [
        (
            "desk: import preview of 200 farms (POST)",
            "/review/facilities/import",
            vec![("step", "preview"), ("csv", csv200.as_str())],
        ),
        (
            "desk: a farm's move checked (POST)",
            "/review/facilities/bench-farm-3/move",
            vec![
                ("step", "preview"),
                ("listing", "bench-btu-9"),
                ("effective_on", today.as_str()),
            ],
        ),
    ] {
        let mut times = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let a = c.submit(path, &fields);
            times.push(t.elapsed());
            assert_eq!(
                a.status,
                200,
                "{path}: {}",
                a.body.chars().take(300).collect::<String>()
            );
        }
        report(name, times);
    }
    for path in [
        "/review/audit.csv",
        "/review/export/inspections.csv",
        "/review/export/findings.csv",
    ] {
        let t = Instant::now();
        let a = c.get(path);
        assert_eq!(a.status, 200);
        println!(
            "| export {path} ({} lines, {} KiB) | 1 | {} | — | — | — |",
            a.body.lines().count(),
            a.body.len() / 1024,
            ms(t.elapsed())
        );
    }
}
