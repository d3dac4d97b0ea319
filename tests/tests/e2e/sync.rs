//! Sync end to end over real sockets: devices converge, a week offline syncs whole, a cut
//! connection and a killed server lose nothing, 100 devices sync at once.

use std::sync::atomic::Ordering;

use milkshed_app::device::sync_client::SyncClientError;
use milkshed_app::device::Store;
use milkshed_shared::document::{ItemState, SignerRole};
use milkshed_tests::{fingerprint, now, server_counts, ChildServer, Proxy, TestDevice, TestServer};

#[test]
fn two_devices_edit_one_inspection_offline_and_converge() {
    let server = TestServer::start();
    let mut a = TestDevice::enroll(&server.url(), "ann");
    let mut b = TestDevice::enroll(&server.url(), "ann");
    let id = a.inspect_farm("farm-1", &["3"]);
    a.sync().unwrap();
    // the second device of the same inspector receives it
    let report = b.sync().unwrap();
    assert!(report.docs_received >= 1);
    assert!(
        report.reference_updated,
        "farms, plants and haulers come down too"
    );
    assert!(b.store.reference_count("farm").unwrap() >= 10);
    // both edit offline: different items, and the same field differently
    a.store
        .edit(id, &now(), |d| {
            d.set_finding(
                "6",
                &ItemState::Violated {
                    points: None,
                    products: vec![],
                },
                &now(),
            )
        })
        .unwrap();
    b.store
        .edit(id, &now(), |d| {
            d.set_finding(
                "12",
                &ItemState::Violated {
                    points: None,
                    products: vec![],
                },
                &now(),
            )
        })
        .unwrap();
    a.store
        .edit(id, &now(), |d| d.set_pounds_sold_daily(1700, &now()))
        .unwrap();
    b.store
        .edit(id, &now(), |d| d.set_pounds_sold_daily(1750, &now()))
        .unwrap();
    a.sync().unwrap();
    b.sync().unwrap();
    a.sync().unwrap();
    let ia = a.store.inspection(id).unwrap();
    let ib = b.store.inspection(id).unwrap();
    assert_eq!(ia, ib);
    let items: Vec<&str> = ia.findings.iter().map(|f| f.item.as_str()).collect();
    assert_eq!(items, ["3", "6", "12"]);
    // the conflicting pounds are shown, not dropped
    let conflicts = a.store.document(id).unwrap().conflicts();
    assert!(
        conflicts
            .iter()
            .any(|c| c.path == "volume/pounds_sold_daily"),
        "{conflicts:?}"
    );
    // the agency record has the merged inspection
    let violations: i64 = server
        .db()
        .query_row(
            "SELECT violations FROM inspections WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(violations, 3);
}

#[test]
fn a_week_offline_with_40_inspections_and_200_photos_syncs_completely() {
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let (docs_before, _) = server_counts(server.dir.path());
    for n in 0..40u32 {
        let id = d.inspect_farm(&format!("farm-{}", n % 12 + 1), &["3", "6"]);
        for p in 0..5 {
            d.photograph(id, "3", n * 5 + p);
        }
        d.store
            .edit(id, &now(), |doc| {
                doc.sign(SignerRole::Inspector, "Ann Lindqvist", "M0 0 L5 5", &now())
            })
            .unwrap();
        d.store.edit(id, &now(), |doc| doc.submit(&now())).unwrap();
    }
    let report = d.sync().unwrap();
    assert_eq!(report.photos_uploaded, 200);
    assert!(report.round_trips <= 2, "{report:?}");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let (docs, photos) = server_counts(server.dir.path());
    assert_eq!(docs - docs_before, 40);
    assert_eq!(photos, 200);
    assert!(d.store.pending("server").unwrap().is_empty());
    assert!(d.store.photos_to_upload().unwrap().is_empty());
    let submitted: i64 = server
        .db()
        .query_row(
            "SELECT count(*) FROM inspections WHERE status = 'submitted' AND integrity = 'intact'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(submitted >= 40);
}

#[test]
fn a_connection_cut_mid_sync_loses_nothing_and_resumes() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.addr);
    let mut d = TestDevice::enroll(&server.url(), "ann");
    d.use_server(&proxy.url());
    let mut ids = Vec::new();
    for n in 0..4u32 {
        let id = d.inspect_farm("farm-2", &["3", "9"]);
        // 1600 × 1200 noisy photos: several upload chunks each; and small ones, which go up
        // in batches
        d.photograph_sized(id, "3", 1000 + n, 1600, 1200);
        d.photograph_sized(id, "9", 2000 + n, 400, 300);
        ids.push(id);
    }
    let before = fingerprint(server.dir.path());
    // cut a few kilobytes into the sync request: the server sees a truncated body, stores nothing
    proxy.cut_after.store(3_000, Ordering::SeqCst);
    let err = d.sync().unwrap_err();
    assert!(matches!(err, SyncClientError::Network(_)), "{err}");
    assert!(err.is_retriable());
    assert_eq!(fingerprint(server.dir.path()), before);
    // cut later and later: inside the documents, between them and the photos, inside a photo
    let partial_dir = server.dir.path().join("photos-partial");
    let mut saw_partial_upload = false;
    for cut in (1..=16).map(|k| k * 150_000) {
        proxy.sent.store(0, Ordering::SeqCst);
        proxy.cut_after.store(cut, Ordering::SeqCst);
        let _ = d.sync();
        saw_partial_upload |= std::fs::read_dir(&partial_dir)
            .map(|mut r| r.next().is_some())
            .unwrap_or(false);
    }
    assert!(saw_partial_upload, "some cut fell inside a photo upload");
    // the link comes back: everything arrives; photos resume from where they stopped
    proxy.cut_after.store(u64::MAX, Ordering::SeqCst);
    let report = d.sync().unwrap();
    assert!(report.rejected.is_empty());
    assert!(d.store.photos_to_upload().unwrap().is_empty());
    assert!(d.store.pending("server").unwrap().is_empty());
    let (_, photos) = server_counts(server.dir.path());
    assert_eq!(photos, 8);
    for id in ids {
        let n: i64 = server
            .db()
            .query_row(
                "SELECT violations FROM inspections WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
    }
}

#[test]
fn a_server_killed_mid_merge_loses_nothing_and_sync_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_milkshed-test-server");
    let server = ChildServer::start(exe, dir.path());
    let mut d = TestDevice::enroll(&server.url(), "ann");
    for n in 0..40u32 {
        let id = d.inspect_farm(&format!("farm-{}", n % 12 + 1), &["3", "4", "6", "9"]);
        d.photograph(id, "4", 5000 + n);
    }
    // kill the server while the device is syncing
    let mut device = d;
    let handle = std::thread::spawn(move || {
        let r = device.sync();
        (device, r)
    });
    std::thread::sleep(std::time::Duration::from_millis(150));
    server.kill();
    let (mut d, first) = handle.join().unwrap();
    // whatever the first attempt got done, the restarted server opens and the sync completes
    let server = ChildServer::start(exe, dir.path());
    d.use_server(&server.url());
    let _ = first;
    let mut attempts = 0;
    while !(d.store.pending("server").unwrap().is_empty()
        && d.store.photos_to_upload().unwrap().is_empty())
    {
        attempts += 1;
        assert!(attempts <= 5, "sync did not finish");
        d.sync().unwrap();
    }
    let (docs, photos) = server_counts(dir.path());
    if photos != 40 {
        let rows: Vec<(String, i64)> = milkshed_tests::record_of(dir.path())
            .query_map("SELECT p.hash, (SELECT count(*) FROM photos s WHERE s.hash = p.hash) FROM inspection_photos p", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        let missing: Vec<_> = rows.iter().filter(|r| r.1 == 0).collect();
        eprintln!(
            "referenced {} missing {:?}; device photos {} to upload {:?}",
            rows.len(),
            missing,
            d.store.photo_count().unwrap(),
            d.store.photos_to_upload().unwrap()
        );
        eprintln!(
            "partials: {:?}",
            std::fs::read_dir(dir.path().join("photos-partial")).map(|r| r
                .flatten()
                .map(|e| (e.file_name(), e.metadata().map(|m| m.len()).unwrap_or(0)))
                .collect::<Vec<_>>())
        );
    }
    assert_eq!(
        docs,
        40 + milkshed_sync_server::service::demo::DOCUMENTS,
        "40 synced and the demo's"
    );
    assert_eq!(photos, 40);
    drop(server);
}

#[test]
fn a_hundred_devices_sync_at_once() {
    let server = TestServer::start();
    let url = server.url();
    let (docs_before, _) = server_counts(server.dir.path());
    let handles: Vec<_> = (0..100)
        .map(|n| {
            let url = url.clone();
            std::thread::spawn(move || {
                // the users whose role makes routine farm inspections
                let user = ["ann", "sue"][n % 2];
                let mut d = TestDevice::enroll(&url, user);
                let a = d.inspect_farm(&format!("farm-{}", n % 12 + 1), &["3"]);
                let b = d.inspect_farm(&format!("farm-{}", (n + 5) % 12 + 1), &["6", "10"]);
                let report = d.sync().unwrap();
                assert!(report.rejected.is_empty(), "{:?}", report.rejected);
                assert!(d.store.pending("server").unwrap().is_empty());
                vec![a, b]
            })
        })
        .collect();
    let ids: Vec<milkshed_shared::ids::InspectionId> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let (docs, _) = server_counts(server.dir.path());
    assert_eq!(docs - docs_before, 200);
    let conn = server.db();
    for id in ids {
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM inspections WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 1, "{id} is accounted for");
    }
}

/// Automatic sync: when a connection appears, what is waiting goes without a tap.
#[test]
fn waiting_work_syncs_on_its_own_when_the_server_is_reachable() {
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let id = d.inspect_farm("farm-3", &["6"]);
    let path = d.dir.path().join("device.db");
    let (tx, rx) = std::sync::mpsc::channel();
    let (_wake, woken) = std::sync::mpsc::channel();
    milkshed_app::device::sync_client::spawn_auto_sync(
        path,
        std::time::Duration::from_millis(100),
        woken,
        move |event| {
            // one sync is enough: tell the test, then stop the loop
            if event != milkshed_app::device::sync_client::AutoSync::Finished {
                return true;
            }
            let _ = tx.send(());
            false
        },
    );
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("an automatic sync");
    let n: i64 = server
        .db()
        .query_row(
            "SELECT count(*) FROM inspections WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// Coming back to the foreground syncs at once, even with nothing waiting (the supervisor's
/// returns come down), and the status bar learns when it went through; a failure says why.
#[test]
fn a_resumed_app_syncs_at_once_and_the_status_says_how_it_went() {
    use milkshed_app::device::sync_client;
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    d.sync().unwrap();
    let path = d.dir.path().join("device.db");
    let (tx, rx) = std::sync::mpsc::channel();
    let (wake, woken) = std::sync::mpsc::channel();
    // an hour between tries: only the wake can make this one
    let mut events = Vec::new();
    sync_client::spawn_auto_sync(
        path.clone(),
        std::time::Duration::from_secs(3600),
        woken,
        move |event| {
            events.push(event);
            if event == sync_client::AutoSync::Finished {
                let _ = tx.send(events.clone());
            }
            true
        },
    );
    let status = || sync_client::status(&mut Store::open(&path).unwrap());
    assert_eq!(
        status().last_synced_at,
        None,
        "a sync the test made itself is not recorded"
    );
    wake.send(()).unwrap();
    let events = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("a sync on resume");
    assert_eq!(
        events.first(),
        Some(&sync_client::AutoSync::Started),
        "{events:?}"
    );
    assert_eq!(events.last(), Some(&sync_client::AutoSync::Finished));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, sync_client::AutoSync::Progress(p) if p.round_trips >= 1)),
        "the screens hear how far it got: {events:?}"
    );
    let s = status();
    assert!(s.last_synced_at.is_some(), "{s:?}");
    assert_eq!(s.failed, None);
    assert_eq!(s.waiting, 0);
    // the server is gone: the next one fails, and says why
    let mut e: serde_json::Value =
        serde_json::from_str(&d.store.setting("enrollment").unwrap().unwrap()).unwrap();
    e["server"] = "http://127.0.0.1:9".into();
    d.store.set_setting("enrollment", &e.to_string()).unwrap();
    wake.send(()).unwrap();
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("a second try");
    let s = status();
    let (at, why) = s.failed.expect("the failure is recorded");
    assert!(at >= s.last_synced_at.unwrap());
    assert!(
        why.contains("connection") || why.contains("server"),
        "{why}"
    );
}

/// The status bar's progress: every round trip and every photo chunk is told, and the photo
/// bytes sent reach the total the sync announced.
#[test]
fn a_sync_tells_how_far_it_has_got() {
    use milkshed_app::device::sync_client::{self, SyncProgress};
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let id = d.inspect_farm("farm-3", &["6"]);
    d.photograph_sized(id, "6", 3, 1600, 1200);
    d.photograph_sized(id, "6", 4, 1600, 1200);
    let mut seen: Vec<SyncProgress> = Vec::new();
    let report =
        sync_client::sync_with_progress(&mut d.store, &d.enrollment, &mut |p| seen.push(p))
            .unwrap();
    assert_eq!(report.photos_uploaded, 2);
    let last = *seen.last().unwrap();
    assert!(last.photo_bytes_total > 0);
    assert_eq!(last.photo_bytes_sent, last.photo_bytes_total, "{seen:?}");
    assert_eq!(last.docs_sent, 1);
    assert!(
        seen.windows(2)
            .all(|w| w[1].photo_bytes_sent >= w[0].photo_bytes_sent),
        "progress never goes back"
    );
}
