//! Hostile input: each answered with a 4xx JSON error and no change to stored data.

use milkshed_app::device::sync_client;
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::document::{
    sha256_hex, Header, InspectionDoc, InspectionKind, Person, PhotoRef, Subject, SubjectKind,
};
use milkshed_shared::sync::{self, SyncRequest};
use milkshed_sync_server::{db, service::auth};
use milkshed_tests::{agent, fingerprint, jpeg, json_of, now, TestDevice, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

fn post_sync(server: &TestServer, token: &str, body: &[u8]) -> (u16, Value) {
    json_of(
        agent()
            .post(&format!("{}/api/sync", server.url()))
            .header("authorization", &format!("Bearer {token}"))
            .send(body)
            .unwrap(),
    )
}

fn put_photo(
    server: &TestServer,
    token: &str,
    hash: &str,
    offset: usize,
    total: usize,
    body: &[u8],
) -> (u16, Value) {
    json_of(
        agent()
            .put(&format!(
                "{}/api/photos/{hash}?offset={offset}&total={total}",
                server.url()
            ))
            .header("authorization", &format!("Bearer {token}"))
            .send(body)
            .unwrap(),
    )
}

fn photo_statuses(server: &TestServer, token: &str, body: &[u8]) -> (u16, Value) {
    json_of(
        agent()
            .post(&format!("{}/api/photos/status", server.url()))
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(body)
            .unwrap(),
    )
}

/// Asserts a 4xx JSON error with the given code, and that nothing stored changed.
fn refused(server: &TestServer, before: &str, (status, body): (u16, Value), code: &str) {
    assert!((400..500).contains(&status), "status {status}: {body}");
    assert_eq!(body["error"], code, "{body}");
    // every refusal's code is one the device knows
    assert!(body["error"]
        .as_str()
        .and_then(milkshed_shared::sync::ErrorCode::parse)
        .is_some());
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(
        fingerprint(server.dir.path()),
        before,
        "stored data changed"
    );
}

fn request(docs: Vec<sync::DocOffer>) -> SyncRequest {
    SyncRequest {
        protocol: sync::PROTOCOL_VERSION,
        request_id: Uuid::now_v7(),
        docs,
        reference_version: 0,
    }
}

#[test]
fn requests_without_a_valid_token_get_401() {
    let server = TestServer::start();
    let health = agent()
        .get(&format!("{}/health", server.url()))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let before = fingerprint(server.dir.path());
    for path in ["/api/sync", "/api/me", "/api/no-such-route"] {
        let r = json_of(
            agent()
                .get(&format!("{}{path}", server.url()))
                .call()
                .unwrap(),
        );
        refused(&server, &before, r, "unauthorized");
    }
    refused(
        &server,
        &before,
        post_sync(&server, "0123456789abcdef", b""),
        "unauthorized",
    );
    // wrong credentials at enrollment
    let dir = tempfile::tempdir().unwrap();
    let mut store = milkshed_app::device::Store::open(&dir.path().join("d.db")).unwrap();
    let err = sync_client::enroll(
        &mut store,
        &server.url(),
        "demo",
        "ann",
        "wrong password",
        "x",
    )
    .unwrap_err();
    assert!(
        matches!(err, sync_client::SyncClientError::Refused { status: 401, ref code, .. } if code == "bad_credentials"),
        "{err}"
    );
}

#[test]
fn expired_and_revoked_tokens_are_refused() {
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    d.sync().unwrap();
    let body = sync::encode(&request(vec![]));
    let before = fingerprint(server.dir.path());
    server
        .db()
        .execute(
            "UPDATE devices SET expires_at = '2020-01-01T00:00:00+00:00' WHERE id = ?1",
            [&d.enrollment.device_id],
        )
        .unwrap();
    refused(
        &server,
        &before,
        post_sync(&server, &d.enrollment.token, &body),
        "expired",
    );
    server
        .db()
        .execute(
            "UPDATE devices SET expires_at = '2099-01-01T00:00:00+00:00' WHERE id = ?1",
            [&d.enrollment.device_id],
        )
        .unwrap();
    assert!(db::revoke_device(&server.db(), &d.enrollment.device_id).unwrap());
    let before = fingerprint(server.dir.path());
    refused(
        &server,
        &before,
        post_sync(&server, &d.enrollment.token, &body),
        "revoked",
    );
}

#[test]
fn garbage_and_truncated_sync_messages_get_400() {
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let id = d.inspect_farm("farm-1", &["3"]);
    let before = fingerprint(server.dir.path());
    let token = d.enrollment.token.clone();
    refused(
        &server,
        &before,
        post_sync(&server, &token, b"\x00\xffnot cbor at all"),
        "bad_request",
    );
    let offer = sync::offer(d.store.document(id).unwrap(), id, &[]);
    let full = sync::encode(&request(vec![offer.clone()]));
    refused(
        &server,
        &before,
        post_sync(&server, &token, &full[..full.len() / 2]),
        "bad_request",
    );
    // well-formed CBOR carrying broken Automerge changes
    let mut broken = offer.clone();
    broken.changes = b"\x85\x6f\x4a\x83garbage".to_vec();
    refused(
        &server,
        &before,
        post_sync(&server, &token, &sync::encode(&request(vec![broken]))),
        "bad_request",
    );
    // heads that are not hashes
    let mut bad_heads = offer;
    bad_heads.heads = vec![1, 2, 3];
    refused(
        &server,
        &before,
        post_sync(&server, &token, &sync::encode(&request(vec![bad_heads]))),
        "bad_request",
    );
    // an old protocol
    let mut old = request(vec![]);
    old.protocol = 0;
    refused(
        &server,
        &before,
        post_sync(&server, &token, &sync::encode(&old)),
        "bad_request",
    );
}

#[test]
fn a_replayed_request_is_refused() {
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let id = d.inspect_farm("farm-1", &["3"]);
    let body = sync::encode(&request(vec![sync::offer(
        d.store.document(id).unwrap(),
        id,
        &[],
    )]));
    let (status, _) = post_sync(&server, &d.enrollment.token, &body);
    assert_eq!(status, 200);
    let before = fingerprint(server.dir.path());
    refused(
        &server,
        &before,
        post_sync(&server, &d.enrollment.token, &body),
        "replayed",
    );
}

#[test]
fn changes_by_an_actor_that_is_not_the_device_are_refused() {
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let person: Person = d.person();
    // a document written by some other actor, claiming to be Ann's
    let header = Header {
        id: milkshed_shared::ids::InspectionId::new_v7(),
        kind: InspectionKind::RoutineFarm,
        agency: "demo".into(),
        subject: Subject {
            kind: SubjectKind::Farm,
            id: "farm-1".into(),
            name: "Roy Harris".into(),
            permit: None,
            producer_number: None,
        },
        inspector: person,
        catalog: "pmo-2011".into(),
        started_at: now(),
        follows: None,
    };
    let mut forged = InspectionDoc::create(ActorId::random(), &header).unwrap();
    let offer = sync::offer(&mut forged, header.id, &[]);
    let before = fingerprint(server.dir.path());
    refused(
        &server,
        &before,
        post_sync(
            &server,
            &d.enrollment.token,
            &sync::encode(&request(vec![offer])),
        ),
        "forged_actor",
    );
    // and Ann's own device still syncs
    d.inspect_farm("farm-2", &["6"]);
    assert!(d.sync().unwrap().rejected.is_empty());
}

#[test]
fn another_agencys_documents_are_out_of_reach() {
    let server = TestServer::start();
    {
        let conn = server.db();
        db::create_agency(&conn, "other", "Other State").unwrap();
        db::add_user(
            &conn,
            "other",
            "olga",
            "Olga",
            auth::Role::Sanitarian,
            &auth::hash_password("other-password").unwrap(),
        )
        .unwrap();
    }
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let id = ann.inspect_farm("farm-1", &["3"]);
    ann.sync().unwrap();
    let mut olga = TestDevice::enroll_in(&server.url(), "other", "olga", "other-password");
    // Olga never receives Ann's inspection
    olga.sync().unwrap();
    assert!(olga.store.inspection_ids().unwrap().is_empty());
    // offering changes to it (a copy written by her device) is refused as not found
    let mut copy = InspectionDoc::load(
        &ann.store.document(id).unwrap().save(),
        ActorId::try_from(olga.store.actor().as_str()).unwrap(),
    )
    .unwrap();
    copy.set_notes("overwritten", &now()).unwrap();
    let offer = sync::offer(&mut copy, id, &[]);
    let before = fingerprint(server.dir.path());
    refused(
        &server,
        &before,
        post_sync(
            &server,
            &olga.enrollment.token,
            &sync::encode(&request(vec![offer])),
        ),
        "not_found",
    );
    // a new inspection claiming Ann's agency is refused too
    let header = Header {
        id: milkshed_shared::ids::InspectionId::new_v7(),
        kind: InspectionKind::RoutineFarm,
        agency: "demo".into(),
        subject: Subject {
            kind: SubjectKind::Farm,
            id: "farm-1".into(),
            name: "Roy Harris".into(),
            permit: None,
            producer_number: None,
        },
        inspector: olga.person(),
        catalog: "pmo-2011".into(),
        started_at: now(),
        follows: None,
    };
    let mut doc = InspectionDoc::create(
        ActorId::try_from(olga.store.actor().as_str()).unwrap(),
        &header,
    )
    .unwrap();
    let offer = sync::offer(&mut doc, header.id, &[]);
    refused(
        &server,
        &before,
        post_sync(
            &server,
            &olga.enrollment.token,
            &sync::encode(&request(vec![offer])),
        ),
        "other_agency",
    );
    // her photos cannot read Ann's either
    let hash = ann.photograph(id, "3", 9);
    ann.sync().unwrap();
    let r = json_of(
        agent()
            .get(&format!("{}/api/photos/{hash}/data", server.url()))
            .header(
                "authorization",
                &format!("Bearer {}", olga.enrollment.token),
            )
            .call()
            .unwrap(),
    );
    refused(&server, &before_photo(&server), r, "not_found");
}

fn before_photo(server: &TestServer) -> String {
    fingerprint(server.dir.path())
}

#[test]
fn bad_photo_uploads_are_refused_and_a_cut_upload_resumes() {
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let id = d.inspect_farm("farm-1", &["3"]);
    // a photo the inspection refers to, and bytes that are not an image but hash right
    let good = milkshed_app::device::process_photo(&jpeg(77, 1600, 1200)).unwrap();
    let not_image = b"this is a text file, not a photo".repeat(100);
    let not_image_hash = sha256_hex(&not_image);
    d.store
        .edit(id, &now(), |doc| {
            doc.add_photo(
                &PhotoRef {
                    hash: good.hash.clone(),
                    item: Some("3".into()),
                    caption: String::new(),
                    taken_at: None,
                    width: good.width,
                    height: good.height,
                    gps: None,
                },
                &now(),
            )?;
            doc.add_photo(
                &PhotoRef {
                    hash: not_image_hash.clone(),
                    item: None,
                    caption: String::new(),
                    taken_at: None,
                    width: 1,
                    height: 1,
                    gps: None,
                },
                &now(),
            )
        })
        .unwrap();
    d.sync().unwrap();
    let token = d.enrollment.token.clone();
    let before = fingerprint(server.dir.path());
    // a photo no inspection refers to
    let stray = sha256_hex(b"stray");
    refused(
        &server,
        &before,
        put_photo(&server, &token, &stray, 0, 5, b"stray"),
        "unreferenced",
    );
    // wrong hash: bytes of another photo under this photo's name
    let other = milkshed_app::device::process_photo(&jpeg(78, 64, 48)).unwrap();
    refused(
        &server,
        &before,
        put_photo(
            &server,
            &token,
            &good.hash,
            0,
            other.jpeg.len(),
            &other.jpeg,
        ),
        "hash_mismatch",
    );
    // oversized
    refused(
        &server,
        &before,
        put_photo(&server, &token, &good.hash, 0, 41 * 1024 * 1024, b"x"),
        "too_large",
    );
    // not an image
    refused(
        &server,
        &before,
        put_photo(
            &server,
            &token,
            &not_image_hash,
            0,
            not_image.len(),
            &not_image,
        ),
        "not_an_image",
    );
    // a malformed address
    refused(
        &server,
        &before,
        put_photo(&server, &token, "not-a-hash", 0, 1, b"x"),
        "bad_request",
    );
    refused(
        &server,
        &before,
        put_photo(&server, &token, "../../etc/passwd", 0, 1, b"x"),
        "not_found",
    );
    // cut half way: the server keeps what arrived and says where to resume
    let half = good.jpeg.len() / 2;
    let (status, body) = put_photo(
        &server,
        &token,
        &good.hash,
        0,
        good.jpeg.len(),
        &good.jpeg[..half],
    );
    assert_eq!((status, body["complete"].as_bool()), (200, Some(false)));
    let (status, body) = put_photo(
        &server,
        &token,
        &good.hash,
        10,
        good.jpeg.len(),
        &good.jpeg[10..],
    );
    assert_eq!(status, 409, "a wrong offset is refused: {body}");
    assert_eq!(body["error"], "wrong_offset");
    let status_now = json_of(
        agent()
            .get(&format!("{}/api/photos/{}", server.url(), good.hash))
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .unwrap(),
    );
    assert_eq!(status_now.1["received"], half as u64);
    // the batch question answers the same, for every photo asked about
    let (status, batch) = photo_statuses(
        &server,
        &token,
        json!({"hashes": [good.hash, stray]}).to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{batch}");
    assert_eq!(batch["photos"][&good.hash]["received"], half as u64);
    assert_eq!(batch["photos"][&good.hash]["complete"], false);
    assert_eq!(batch["photos"][&stray]["received"], 0);
    let before_batch = fingerprint(server.dir.path());
    for (body, code) in [
        (b"{\"hashes\": [\"../x\"]}".to_vec(), "bad_request"),
        (b"{\"hashes\": 7}".to_vec(), "bad_request"),
        (b"not json".to_vec(), "bad_request"),
        (b"{\"hashes\": [], \"extra\": 1}".to_vec(), "bad_request"),
        (
            json!({"hashes": vec![stray.clone(); 2001]})
                .to_string()
                .into_bytes(),
            "too_large",
        ),
    ] {
        refused(
            &server,
            &before_batch,
            photo_statuses(&server, &token, &body),
            code,
        );
    }
    let (status, body) = put_photo(
        &server,
        &token,
        &good.hash,
        half,
        good.jpeg.len(),
        &good.jpeg[half..],
    );
    assert_eq!(
        (status, body["complete"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let stored = agent()
        .get(&format!("{}/api/photos/{}/data", server.url(), good.hash))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert_eq!(stored, good.jpeg);
    let (_, batch) = photo_statuses(
        &server,
        &token,
        json!({"hashes": [good.hash]}).to_string().as_bytes(),
    );
    assert_eq!(batch["photos"][&good.hash]["complete"], true);
}

#[test]
fn a_sanitarian_cannot_accept_an_inspection_and_reviewers_cannot_review_their_own() {
    use milkshed_app::device::StoreError;
    use milkshed_shared::authority::Refusal;
    use milkshed_shared::document::{Review, Status};
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let id = ann.inspect_farm("farm-1", &["3"]);
    ann.sign_and_submit(id);
    ann.sync().unwrap();
    let before = fingerprint(server.dir.path());
    // Ann accepts her own inspection on her device: the device refuses the edit...
    let me = ann.person();
    let review = Review {
        by: me.clone(),
        at: now(),
        accepted: true,
        comment: String::new(),
        item_comments: vec![],
    };
    let refused = ann.store.edit(id, &now(), |d| d.review(&review));
    assert!(
        matches!(refused, Err(StoreError::Refused(Refusal::OwnReview))),
        "{refused:?}"
    );
    assert_eq!(ann.store.inspection(id).unwrap().status, Status::Submitted);
    // ...and a tampered app that makes it anyway is refused by the server
    ann.store.document(id).unwrap().review(&review).unwrap();
    let report = ann.sync().unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(
        report.rejected[0].1.contains("does not review their own"),
        "{:?}",
        report.rejected
    );
    assert_eq!(fingerprint(server.dir.path()), before);
}

#[test]
fn an_invalid_document_is_refused_and_the_stored_copy_is_unchanged() {
    use milkshed_shared::document::automerge::{transaction::Transactable, ReadDoc, Value, ROOT};
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let id = d.inspect_farm("farm-1", &["3"]);
    d.sync().unwrap();
    let before = fingerprint(server.dir.path());
    // the device's own actor writes an item that is not on the form, bypassing the typed API
    d.store
        .edit(id, &now(), |doc| {
            let am = doc.automerge();
            let Ok(Some((Value::Object(_), states))) = am.get(ROOT, "states") else {
                panic!("states map")
            };
            am.put(&states, "99Z", "violated").unwrap();
            am.commit();
            Ok(())
        })
        .unwrap();
    let report = d.sync().unwrap();
    assert_eq!(report.rejected.len(), 1);
    assert!(
        report.rejected[0].1.contains("99Z"),
        "{:?}",
        report.rejected
    );
    assert_eq!(fingerprint(server.dir.path()), before);
}

fn post_csv(server: &TestServer, token: &str, body: &str) -> (u16, Value) {
    milkshed_tests::post_lab_csv(&server.url(), token, body)
}

/// A malformed lab CSV is refused whole, naming the line and field; a good one is imported and
/// answers with the ledger's actions (2 of 4 over: a written notice; 3 of 5: a suspension).
#[test]
fn lab_results_import_whole_or_not_at_all() {
    let server = TestServer::start();
    let sue = TestDevice::enroll(&server.url(), "sue");
    let ann = TestDevice::enroll(&server.url(), "ann");
    let count = || milkshed_sync_server::db::lab_result_count(&server.db(), "demo").unwrap();
    let before = count();
    let header = "lab_number,sample_date,subject_id,standard,value\n";
    let bad = format!(
        "{header}55001,2026-06-05,farm-1,bacteria,90000\n55001,2026-07-05,farm-1,bacteria,lots\n"
    );
    let (status, body) = post_csv(&server, &sue.enrollment.token, &bad);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["problems"][0]["line"], 3);
    assert_eq!(body["problems"][0]["field"], "value");
    assert_eq!(count(), before, "nothing half-imported");
    let (status, _) = post_csv(
        &server,
        &ann.enrollment.token,
        &format!("{header}55001,2026-06-05,farm-1,bacteria,90000\n"),
    );
    assert_eq!(status, 403, "a sanitarian does not import lab results");
    // farm-2's counts after the demo's own (the latest a month ago)
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let good = format!(
        "{header}55001,2026-06-05,farm-1,bacteria,90000\n55001,2026-07-05,farm-1,bacteria,150000\n55001,2026-08-05,farm-1,bacteria,80000\n55001,2026-09-05,farm-1,bacteria,210000\n\
         55001,{},farm-2,somatic_cells,800000\n55001,{},farm-2,somatic_cells,900000\n55001,{},farm-2,somatic_cells,100000\n55001,{},farm-2,somatic_cells,850000\n",
        day(25),
        day(20),
        day(15),
        day(10)
    );
    let (status, body) = post_csv(&server, &sue.enrollment.token, &good);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 8);
    let actions = body["actions"].as_array().unwrap();
    assert!(
        actions
            .iter()
            .any(|a| a["subject_id"] == "farm-1" && a["action"] == "warning_letter"),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|a| a["subject_id"] == "farm-2" && a["action"] == "suspension"),
        "{actions:?}"
    );
    assert_eq!(count(), before + 8);
}

fn post_json(server: &TestServer, token: &str, path: &str, body: &Value) -> (u16, Value) {
    milkshed_tests::post_json(&server.url(), token, path, body)
}

/// Enforcement actions carry their deadline, show on the overdue list until done, are amended
/// by new linked records, and are never changed in place or deleted.
#[test]
fn enforcement_actions_and_the_overdue_list() {
    let server = TestServer::start();
    let sue = TestDevice::enroll(&server.url(), "sue");
    let ann = TestDevice::enroll(&server.url(), "ann");
    let t = sue.enrollment.token.clone();
    let letter = serde_json::json!({"subject_id": "farm-1", "kind": "warning_letter", "issued_on": "2026-10-01", "cause": "lab: 2 of the last 4 bacterial counts over"});
    let (status, body) = post_json(&server, &ann.enrollment.token, "/api/actions", &letter);
    assert_eq!(status, 403, "{body}");
    let (status, body) = post_json(&server, &t, "/api/actions", &letter);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["due_on"], "2026-10-22",
        "the resample is due within 21 days of the notice"
    );
    let id = body["id"].as_str().unwrap().to_string();
    let overdue = |today: &str| {
        json_of(
            agent()
                .get(&format!(
                    "{}/api/actions/overdue?today={today}",
                    server.url()
                ))
                .header("authorization", &format!("Bearer {t}"))
                .call()
                .unwrap(),
        )
        .1["overdue"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(overdue("2026-10-22"), 0, "due through its last day");
    assert_eq!(overdue("2026-10-23"), 1);
    let (status, _) = post_json(
        &server,
        &t,
        &format!("/api/actions/{id}/complete"),
        &serde_json::json!({"on": "2026-10-20"}),
    );
    assert_eq!(status, 200);
    assert_eq!(overdue("2026-10-23"), 0);
    // an amendment is a new record linked to the one it amends
    let (status, body) = post_json(
        &server,
        &t,
        "/api/actions",
        &serde_json::json!({"subject_id": "farm-1", "kind": "suspension", "issued_on": "2026-11-02", "cause": "lab: 3 of the last 5 over", "amends": id}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = post_json(
        &server,
        &t,
        "/api/actions",
        &serde_json::json!({"subject_id": "farm-1", "kind": "fine", "issued_on": "2026-11-02", "cause": "x"}),
    );
    assert_eq!(status, 400);
    // the record itself cannot be changed or deleted, even from the database
    let conn = server.db();
    assert!(conn
        .execute(
            "UPDATE enforcement_actions SET kind = 'hearing' WHERE id = ?1",
            [&id]
        )
        .is_err());
    assert!(conn
        .execute("DELETE FROM enforcement_actions WHERE id = ?1", [&id])
        .is_err());
}

fn post_batch(server: &TestServer, token: &str, body: &[u8]) -> (u16, Value) {
    json_of(
        agent()
            .post(&format!("{}/api/photos/batch", server.url()))
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "application/cbor")
            .send(body)
            .unwrap(),
    )
}

/// A batch of whole photos: the good ones are kept in one commit, each bad one is named with
/// its reason and spoils nothing else; a malformed or oversized batch is refused whole.
#[test]
fn a_photo_batch_keeps_the_good_and_names_each_refusal() {
    use milkshed_shared::sync::{BatchPhoto, PhotoBatch, MAX_BATCH_PHOTOS};
    let server = TestServer::start();
    let mut d = TestDevice::enroll(&server.url(), "ann");
    let id = d.inspect_farm("farm-1", &["3"]);
    let good = milkshed_app::device::process_photo(&jpeg(91, 320, 240)).unwrap();
    let other = milkshed_app::device::process_photo(&jpeg(92, 320, 240)).unwrap();
    let not_image = b"not a photo at all".repeat(50);
    let not_image_hash = sha256_hex(&not_image);
    d.store
        .edit(id, &now(), |doc| {
            for (hash, item) in [
                (&good.hash, "3"),
                (&other.hash, "3"),
                (&not_image_hash, "3"),
            ] {
                doc.add_photo(
                    &PhotoRef {
                        hash: hash.clone(),
                        item: Some(item.into()),
                        caption: String::new(),
                        taken_at: None,
                        width: 1,
                        height: 1,
                        gps: None,
                    },
                    &now(),
                )?;
            }
            Ok(())
        })
        .unwrap();
    d.sync().unwrap();
    let token = d.enrollment.token.clone();
    let before = fingerprint(server.dir.path());
    let photo = |hash: &str, bytes: &[u8]| BatchPhoto {
        hash: hash.to_string(),
        bytes: bytes.to_vec(),
    };
    // malformed, oversized, too many, a bad address: refused whole, nothing stored
    refused(
        &server,
        &before,
        post_batch(&server, &token, b"\xff\x00 not cbor"),
        "bad_request",
    );
    let many = PhotoBatch {
        photos: vec![photo(&good.hash, b"x"); MAX_BATCH_PHOTOS + 1],
    };
    refused(
        &server,
        &before,
        post_batch(&server, &token, &sync::encode(&many)),
        "too_large",
    );
    // photos over the byte limit in a body the server still reads: refused by name
    let half = sync::MAX_BATCH_BYTES / 2 + 1024;
    let heavy = PhotoBatch {
        photos: vec![photo(&good.hash, &vec![0u8; half]); 2],
    };
    refused(
        &server,
        &before,
        post_batch(&server, &token, &sync::encode(&heavy)),
        "too_large",
    );
    // a body far over it: 413 before it is read (the server may close the connection while
    // the client is still sending, which is a refusal too)
    let huge = PhotoBatch {
        photos: vec![photo(&good.hash, &vec![0u8; 3 * 1024 * 1024]); 2],
    };
    let sent = agent()
        .post(&format!("{}/api/photos/batch", server.url()))
        .header("authorization", &format!("Bearer {token}"))
        .header("content-type", "application/cbor")
        .send(&sync::encode(&huge)[..]);
    if let Ok(resp) = sent {
        assert_eq!(
            resp.status().as_u16(),
            413,
            "a body over the limit is refused"
        );
    }
    assert_eq!(fingerprint(server.dir.path()), before);
    let bad_address = PhotoBatch {
        photos: vec![photo("../../etc/passwd", b"x")],
    };
    refused(
        &server,
        &before,
        post_batch(&server, &token, &sync::encode(&bad_address)),
        "bad_request",
    );
    // one of each: kept, wrong bytes, not an image, not referenced
    let stray = sha256_hex(b"stray");
    let batch = PhotoBatch {
        photos: vec![
            photo(&good.hash, &good.jpeg),
            photo(&other.hash, &good.jpeg),
            photo(&not_image_hash, &not_image),
            photo(&stray, b"stray"),
        ],
    };
    let (status, body) = post_batch(&server, &token, &sync::encode(&batch));
    assert_eq!(status, 200, "{body}");
    let p = &body["photos"];
    assert_eq!(p[&good.hash]["complete"], true, "{body}");
    assert_eq!(p[&other.hash]["error"], "hash_mismatch", "{body}");
    assert_eq!(p[&not_image_hash]["error"], "not_an_image", "{body}");
    assert_eq!(p[&stray]["error"], "unreferenced", "{body}");
    let kept = |hash: &str| -> i64 {
        server
            .db()
            .query_row("SELECT count(*) FROM photos WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .unwrap()
    };
    assert_eq!(kept(&good.hash), 1);
    for hash in [&other.hash, &not_image_hash, &stray] {
        assert_eq!(kept(hash), 0, "{hash} was refused");
    }
    let served = agent()
        .get(&format!("{}/api/photos/{}/data", server.url(), good.hash))
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert_eq!(served, good.jpeg);
    // sent again: already kept, nothing doubles
    let (_, again) = post_batch(
        &server,
        &token,
        &sync::encode(&PhotoBatch {
            photos: vec![photo(&good.hash, &good.jpeg)],
        }),
    );
    assert_eq!(again["photos"][&good.hash]["complete"], true);
    assert_eq!(kept(&good.hash), 1);
}
