//! Several server instances on one PostgreSQL record (the PostgreSQL pass of the suite): 50
//! devices syncing at random to either of two server processes, the same documents edited on
//! several devices, one server killed with SIGKILL mid-sync and the devices finishing on the
//! other. Everything converges, every acknowledged change is in the record, nothing twice.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use milkshed_shared::document::automerge::{ActorId, ChangeHash};

use milkshed_shared::document::PhotoRef;
use milkshed_shared::document::{InspectionDoc, ItemState};
use milkshed_shared::ids::InspectionId;
use milkshed_tests::{agent, jpeg, json_of, now, on_postgres, record_of, ChildServer, TestDevice};
use rand::{Rng, SeedableRng};

const DEVICES: usize = 50;
const ROUNDS: usize = 3;

/// A document's heads on a device when a sync of its edits was acknowledged.
type Acknowledged = Vec<(InspectionId, Vec<ChangeHash>)>;

/// The record's copy of each document.
fn record_docs(dir: &std::path::Path) -> BTreeMap<String, InspectionDoc> {
    let rows: Vec<(String, Vec<u8>)> = record_of(dir)
        .query_map("SELECT id, snapshot FROM documents", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    rows.into_iter()
        .map(|(id, s)| (id, InspectionDoc::load(&s, ActorId::random()).unwrap()))
        .collect()
}

/// One sync, trying the other server when the first cannot be reached (killed).
fn sync_to_either(d: &mut TestDevice, first: &str, other: &str) -> Option<String> {
    for url in [first, other, other, other] {
        d.use_server(url);
        match d.sync() {
            Ok(report) => {
                assert!(report.rejected.is_empty(), "{:?}", report.rejected);
                return Some(url.to_string());
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    None
}

#[test]
fn two_servers_on_one_postgres_converge_and_a_killed_one_loses_nothing() {
    if !on_postgres() {
        eprintln!("several instances share a PostgreSQL record: this test runs in the suite's PostgreSQL pass");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_milkshed-test-server");
    let dir = tempfile::tempdir().unwrap();
    // one after the other: the first migrates and seeds the demo, the second finds it done
    let a = ChildServer::start(exe, dir.path());
    let b = ChildServer::start(exe, dir.path());
    let urls = [a.url(), b.url()];
    let docs_before = record_docs(dir.path()).len();

    // every device is one of Ann's: each holds (and edits) the same documents
    let devices: Vec<Arc<Mutex<TestDevice>>> = (0..DEVICES)
        .map(|n| {
            let mut d = TestDevice::enroll(&urls[n % 2], "ann");
            if n < 10 {
                d.inspect_farm(&format!("farm-{}", n + 1), &["3"]);
            }
            Arc::new(Mutex::new(d))
        })
        .collect();
    // what each acknowledged sync carried: the device's heads of the documents it edited
    let acknowledged: Arc<Mutex<Acknowledged>> = Arc::default();
    let created: Arc<Mutex<BTreeSet<InspectionId>>> = Arc::default();
    for d in &devices {
        let d = d.lock().unwrap();
        for s in d.store.inspections().unwrap() {
            if s.status == "draft" {
                created.lock().unwrap().insert(s.id);
            }
        }
    }
    let mut b = Some(b);
    for round in 0..ROUNDS {
        let handles: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(n, d)| {
                let (d, urls) = (d.clone(), urls.clone());
                let (acknowledged, created) = (acknowledged.clone(), created.clone());
                std::thread::spawn(move || {
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64((round * 1000 + n) as u64);
                    let mut d = d.lock().unwrap();
                    // after the kill, the second server is gone: a device finds out on its own
                    let pick = rng.gen_range(0..2);
                    let (first, other) = (&urls[pick], &urls[1 - pick]);
                    if round > 0 {
                        // edit up to three of the shared drafts this device holds
                        let held: Vec<InspectionId> = {
                            let mine: BTreeSet<InspectionId> = d
                                .store
                                .inspections()
                                .unwrap()
                                .iter()
                                .map(|s| s.id)
                                .collect();
                            created
                                .lock()
                                .unwrap()
                                .intersection(&mine)
                                .copied()
                                .collect()
                        };
                        let mut edited = Vec::new();
                        for _ in 0..rng.gen_range(1..=3) {
                            if held.is_empty() {
                                break;
                            }
                            let id = held[rng.gen_range(0..held.len())];
                            let item = ["4", "6", "9", "10", "12"][rng.gen_range(0..5)];
                            let note = format!("device {n} round {round}");
                            d.store
                                .edit(id, &now(), |doc| {
                                    doc.set_finding(
                                        item,
                                        &ItemState::Violated {
                                            points: None,
                                            products: vec![],
                                        },
                                        &now(),
                                    )?;
                                    doc.set_item_note(item, &note, &now())
                                })
                                .unwrap();
                            edited.push(id);
                        }
                        let heads: Acknowledged = edited
                            .iter()
                            .map(|id| (*id, d.store.document(*id).unwrap().automerge().get_heads()))
                            .collect();
                        if sync_to_either(&mut d, first, other).is_some() {
                            acknowledged.lock().unwrap().extend(heads);
                        }
                    } else {
                        assert!(sync_to_either(&mut d, first, other).is_some(), "device {n}");
                    }
                })
            })
            .collect();
        if round == 1 {
            // SIGKILL the second server while the round's syncs are under way
            std::thread::sleep(std::time::Duration::from_millis(400));
            b.take().unwrap().kill();
        }
        for h in handles {
            h.join().unwrap();
        }
    }
    assert!(b.is_none(), "the second server was killed");

    // the devices finish on the first server: twice round, so each gets what the others sent
    for _ in 0..2 {
        for d in &devices {
            let mut d = d.lock().unwrap();
            d.use_server(&urls[0]);
            let report = d.sync().unwrap();
            assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        }
    }

    let mut record = record_docs(dir.path());
    let created = created.lock().unwrap().clone();
    // nothing twice: every document once, the demo's and the ten made here
    assert_eq!(record.len(), docs_before + created.len());
    let projected: i64 = record_of(dir.path())
        .query_row("SELECT count(*) FROM inspections", [], |r| r.get(0))
        .unwrap();
    assert_eq!(projected as usize, record.len());
    // every acknowledged change is in the record
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= DEVICES,
        "{} acknowledged edits",
        acknowledged.len()
    );
    for (id, heads) in &acknowledged {
        let doc = record.get_mut(&id.to_string()).unwrap();
        for h in heads {
            assert!(
                doc.automerge().get_change_by_hash(h).is_some(),
                "an acknowledged change of {id} is missing from the record"
            );
        }
    }
    // and every device holds what the record holds
    for d in &devices {
        let mut d = d.lock().unwrap();
        for id in &created {
            let mut on_device = d.store.document(*id).unwrap().automerge().get_heads();
            let mut in_record = record
                .get_mut(&id.to_string())
                .unwrap()
                .automerge()
                .get_heads();
            on_device.sort();
            in_record.sort();
            assert_eq!(on_device, in_record, "{id} converged");
        }
    }
    drop(a);
}

fn put_chunk(
    url: &str,
    token: &str,
    hash: &str,
    offset: usize,
    total: usize,
    body: &[u8],
) -> serde_json::Value {
    let (status, body) = json_of(
        agent()
            .put(&format!(
                "{url}/api/photos/{hash}?offset={offset}&total={total}"
            ))
            .header("authorization", &format!("Bearer {token}"))
            .send(body)
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    body
}

/// Two instances with data directories of their own share the record and the photo store: an
/// upload begun on one is resumed on the other, and either serves the photo.
#[test]
fn an_upload_begun_on_one_instance_is_finished_on_the_other_and_both_serve_it() {
    if !on_postgres() {
        eprintln!("several instances share a PostgreSQL record: this test runs in the suite's PostgreSQL pass");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_milkshed-test-server");
    let (record, a_dir, b_dir, photos) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let store = format!("file://{}", photos.path().display());
    let a = ChildServer::start_instance(exe, a_dir.path(), record.path(), &store);
    let b = ChildServer::start_instance(exe, b_dir.path(), record.path(), &store);
    let mut d = TestDevice::enroll(&a.url(), "ann");
    let id = d.inspect_farm("farm-1", &["3"]);
    let photo = milkshed_app::device::process_photo(&jpeg(91, 1600, 1200)).unwrap();
    d.store
        .edit(id, &now(), |doc| {
            doc.add_photo(
                &PhotoRef {
                    hash: photo.hash.clone(),
                    item: Some("3".into()),
                    caption: String::new(),
                    taken_at: None,
                    width: photo.width,
                    height: photo.height,
                    gps: None,
                },
                &now(),
            )
        })
        .unwrap();
    d.sync().unwrap();
    let token = d.enrollment.token.clone();
    let (bytes, half) = (&photo.jpeg, photo.jpeg.len() / 2);
    let first = put_chunk(
        &a.url(),
        &token,
        &photo.hash,
        0,
        bytes.len(),
        &bytes[..half],
    );
    assert_eq!(first["received"], half as u64);
    // the other instance sees how far the upload got, and takes the rest
    let (_, status) = json_of(
        agent()
            .get(&format!("{}/api/photos/{}", b.url(), photo.hash))
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .unwrap(),
    );
    assert_eq!(status["received"], half as u64, "{status}");
    let done = put_chunk(
        &b.url(),
        &token,
        &photo.hash,
        half,
        bytes.len(),
        &bytes[half..],
    );
    assert_eq!(done["complete"], true, "{done}");
    // neither instance's data directory holds it: the shared store does, and both serve it
    for dir in [a_dir.path(), b_dir.path()] {
        assert!(!dir.join("photos").join(&photo.hash[..2]).exists());
    }
    for url in [a.url(), b.url()] {
        let served = agent()
            .get(&format!("{url}/api/photos/{}/data", photo.hash))
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .unwrap()
            .into_body()
            .read_to_vec()
            .unwrap();
        assert_eq!(&served, bytes);
        let (_, health) = json_of(agent().get(&format!("{url}/health")).call().unwrap());
        assert_eq!(health["photos"], "ok", "{health}");
    }
}
