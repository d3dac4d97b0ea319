//! Store tests: migrations, durable edits, compaction, photos, reference data, and a writer
//! process killed at random instants, many times.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use chrono::TimeZone;
use milkshed_shared::document::{
    InspectionKind, ItemState, Person, SignerRole, Status, Subject, SubjectKind,
};

use super::*;

fn t(second: u32) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 24, 9, second / 60 % 60, second % 60)
        .unwrap()
}

fn header(n: u128) -> Header {
    Header {
        id: InspectionId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n),
        kind: InspectionKind::RoutineFarm,
        agency: "WI-DATCP".into(),
        subject: Subject {
            kind: SubjectKind::Farm,
            id: format!("farm-{n}").into(),
            name: format!("Farm {n}"),
            permit: None,
            producer_number: None,
        },
        inspector: Person {
            id: "u-ann".into(),
            name: "Ann".into(),
        },
        catalog: "pmo-2011".into(),
        started_at: t(0),
        follows: None,
    }
}

fn violated() -> ItemState {
    ItemState::Violated {
        points: None,
        products: vec![],
    }
}

#[test]
fn a_new_store_is_migrated_and_keeps_its_actor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let actor = store.actor();
    drop(store);
    assert_eq!(Store::open(&path).unwrap().actor(), actor);
}

#[test]
fn a_store_from_a_newer_app_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::NewerSchema { found: 99, .. })
    ));
}

#[test]
fn edits_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = Store::open(&path).unwrap();
    let id = store.create_inspection(&header(1)).unwrap();
    store
        .edit(id, &t(1), |d| d.set_finding("3", &violated(), &t(1)))
        .unwrap();
    store
        .edit(id, &t(2), |d| {
            d.set_item_note("3", "feed in the barn", &t(2))
        })
        .unwrap();
    store
        .edit(id, &t(3), |d| d.set_pounds_sold_daily(1700, &t(3)))
        .unwrap();
    let before = store.inspection(id).unwrap();
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.inspection(id).unwrap(), before);
    let list = store.inspections().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].violations, 1);
    assert_eq!(list[0].status, "draft");
}

#[test]
fn a_refused_edit_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = Store::open(&path).unwrap();
    let id = store.create_inspection(&header(1)).unwrap();
    store
        .edit(id, &t(1), |d| {
            d.sign(SignerRole::Inspector, "Ann", "", &t(1))
        })
        .unwrap();
    let err = store
        .edit(id, &t(2), |d| d.set_finding("4", &violated(), &t(2)))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Document(DocumentError::Locked(_))),
        "{err}"
    );
    assert!(!err.is_retriable());
    drop(store);
    let mut store = Store::open(&path).unwrap();
    let i = store.inspection(id).unwrap();
    assert_eq!(i.status, Status::Signed);
    assert!(i.findings.is_empty());
}

#[test]
fn compaction_keeps_every_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = Store::open(&path).unwrap();
    let id = store.create_inspection(&header(1)).unwrap();
    for i in 0..(COMPACT_AFTER as u64 + 10) {
        store
            .edit(id, &t(1), |d| d.set_pounds_sold_daily(i, &t(1)))
            .unwrap();
    }
    let pending: i64 = store
        .conn
        .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap();
    assert!(pending < COMPACT_AFTER, "compacted ({pending} left)");
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(
        store.inspection(id).unwrap().pounds_sold_daily,
        Some(COMPACT_AFTER as u64 + 9)
    );
}

#[test]
fn a_photo_is_stored_once_however_many_findings_use_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("device.db")).unwrap();
    let img = image::RgbImage::from_fn(80, 60, |x, y| image::Rgb([x as u8, y as u8, 100]));
    let bytes = crate::device::photos::tests::jpeg(&img);
    let p = crate::device::process_photo(&bytes).unwrap();
    let id = store.create_inspection(&header(1)).unwrap();
    for item in ["3", "4", "6"] {
        let hash = store.put_photo(&p).unwrap();
        store
            .edit(id, &t(1), |d| {
                d.add_photo(
                    &milkshed_shared::document::PhotoRef {
                        hash: hash.clone(),
                        item: Some(item.into()),
                        caption: String::new(),
                        taken_at: None,
                        width: p.width,
                        height: p.height,
                        gps: None,
                    },
                    &t(1),
                )
            })
            .unwrap();
    }
    assert_eq!(store.photo_count().unwrap(), 1);
    assert_eq!(store.photo(&p.hash).unwrap().unwrap(), p.jpeg);
    assert_eq!(store.thumbnail(&p.hash).unwrap().unwrap(), p.thumb);
}

#[test]
fn only_photos_an_inspection_refers_to_go_to_the_agency() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut store = Store::open(&path).unwrap();
    let photo = |n: u8| {
        let img = image::RgbImage::from_fn(80, 60, |x, y| image::Rgb([x as u8, y as u8, n]));
        crate::device::process_photo(&crate::device::photos::tests::jpeg(&img)).unwrap()
    };
    let (kept, removed, stray) = (photo(1), photo(2), photo(3));
    let id = store.create_inspection(&header(1)).unwrap();
    for p in [&kept, &removed] {
        store.put_photo(p).unwrap();
        let r = p.reference(Some("3".into()), "", &t(1));
        store.edit(id, &t(1), |d| d.add_photo(&r, &t(1))).unwrap();
    }
    // stored but never attached (the app was killed in between)
    store.put_photo(&stray).unwrap();
    store
        .edit(id, &t(2), |d| d.remove_photo(&removed.hash, &t(2)))
        .unwrap();
    assert_eq!(store.photos_to_upload().unwrap(), vec![kept.hash.clone()]);
    assert!(
        store.photo(&removed.hash).unwrap().is_some(),
        "its blob stays"
    );
    // a store from before the references is filled from its documents when it opens
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE photo_refs").unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.photos_to_upload().unwrap(), vec![kept.hash]);
}

#[test]
fn reference_data_is_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("device.db")).unwrap();
    let farms: Vec<(String, serde_json::Value)> = (0..50)
        .map(|i| {
            (
                format!("farm-{i}"),
                serde_json::json!({"name": format!("Farm {i}"), "permit": i}),
            )
        })
        .collect();
    store
        .replace_reference("farm", &farms, "2026-11-24T09:00:00Z")
        .unwrap();
    store
        .replace_reference("farm", &farms[..10], "2026-11-25T09:00:00Z")
        .unwrap();
    assert_eq!(store.reference_count("farm").unwrap(), 10);
    assert_eq!(
        store.reference("farm", "farm-3").unwrap().unwrap()["permit"],
        3
    );
}

#[test]
fn a_replica_from_another_device_merges_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Store::open(&dir.path().join("a.db")).unwrap();
    let mut b = Store::open(&dir.path().join("b.db")).unwrap();
    let id = a.create_inspection(&header(1)).unwrap();
    let mut copy = InspectionDoc::load(&a.doc(id).unwrap().save(), ActorId::random()).unwrap();
    assert_eq!(b.receive(&mut copy, &t(1)).unwrap(), id);
    b.edit(id, &t(2), |d| d.set_finding("6", &violated(), &t(2)))
        .unwrap();
    let mut from_b = InspectionDoc::load(&b.doc(id).unwrap().save(), ActorId::random()).unwrap();
    a.edit(id, &t(3), |d| d.set_finding("3", &violated(), &t(3)))
        .unwrap();
    a.receive(&mut from_b, &t(4)).unwrap();
    let items: Vec<String> = a
        .inspection(id)
        .unwrap()
        .findings
        .into_iter()
        .map(|f| f.item)
        .collect();
    assert_eq!(items, ["3", "6"]);
}

const CHILD_ENV: &str = "MILKSHED_CRASH_CHILD_DB";

/// The writer process of [`a_writer_killed_at_any_instant_loses_no_saved_edit`]: edits forever,
/// printing `saved N` after each edit is durable. A no-op unless started by that test.
#[test]
fn crash_child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut store = Store::open(Path::new(&path)).unwrap();
    let id = header(7).id;
    let mut n = match store.inspection(id) {
        Ok(i) => i.pounds_sold_daily.unwrap_or(0),
        Err(_) => {
            store.create_inspection(&header(7)).unwrap();
            0
        }
    };
    let items = ["3", "4", "6", "9", "10", "12", "13"];
    let mut out = std::io::stdout().lock();
    loop {
        n += 1;
        let item = items[(n % items.len() as u64) as usize];
        store
            .edit(id, &t(1), |d| {
                d.set_pounds_sold_daily(n, &t(1))?;
                d.set_item_note(item, &format!("edit {n}"), &t(1))
            })
            .unwrap();
        writeln!(out, "saved {n}").unwrap();
        out.flush().unwrap();
    }
}

/// A process killed at any instant (SIGKILL, 25 times, at varying points of its writes) leaves
/// a store that opens and holds every edit it reported saved.
#[test]
fn a_writer_killed_at_any_instant_loses_no_saved_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let exe = std::env::current_exe().unwrap();
    let mut last_saved = 0u64;
    for round in 0..25u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "device::store::tests::crash_child_writer",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // let it write a varying number of edits, then kill it without warning
        let target = 3 + (round * 7919) % 40;
        let mut seen = 0;
        while let Some(Ok(line)) = lines.next() {
            if let Some(n) = line.strip_prefix("saved ") {
                last_saved = n.parse().unwrap();
                seen += 1;
                if seen >= target {
                    break;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_micros(round * 137 % 2000));
        child.kill().unwrap();
        child.wait().unwrap();
        let mut store = Store::open(&path).unwrap();
        let i = store.inspection(header(7).id).unwrap();
        let stored = i.pounds_sold_daily.unwrap_or(0);
        assert!(
            stored >= last_saved,
            "round {round}: saved {last_saved}, found {stored}"
        );
        assert!(i
            .findings
            .iter()
            .any(|f| f.note == format!("edit {stored}")));
    }
    assert!(last_saved > 25);
}

fn enrolled_as(store: &mut Store, user_id: &str, name: &str, role: &str) {
    let e = serde_json::json!({
        "server": "http://127.0.0.1:1", "device_id": "d", "token": "t", "agency": "WI-DATCP",
        "user_id": user_id, "user_name": name, "role": role,
    });
    store.set_setting("enrollment", &e.to_string()).unwrap();
}

#[test]
fn the_device_refuses_what_the_server_would() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("device.db")).unwrap();
    enrolled_as(&mut s, "u-ann", "Ann", "sanitarian");
    let id = s.create_inspection(&header(1)).unwrap();
    s.edit(id, &t(1), |d| d.set_finding("3", &violated(), &t(1)))
        .unwrap();
    // a sanitarian makes no rating visits
    let mut visit = header(2);
    visit.kind = InspectionKind::RatingVisitFarm;
    assert!(matches!(
        s.create_inspection(&visit),
        Err(StoreError::Refused(Refusal::KindNotForRole { .. }))
    ));
    // another user's device holding Ann's inspection cannot change her findings; the refused
    // change is forgotten and the stored copy stays as it was
    enrolled_as(&mut s, "u-bob", "Bob", "supervisor");
    let before = s.inspection(id).unwrap();
    let refused = s.edit(id, &t(2), |d| d.set_finding("4", &violated(), &t(2)));
    assert!(matches!(
        refused,
        Err(StoreError::Refused(Refusal::ContentByOther))
    ));
    assert_eq!(s.inspection(id).unwrap(), before);
    drop(s);
    let mut s = Store::open(&dir.path().join("device.db")).unwrap();
    assert_eq!(s.inspection(id).unwrap(), before);
}
