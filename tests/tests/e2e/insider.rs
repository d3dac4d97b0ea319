//! Hostile insiders and hostile requests against the agency record (issue 12): a device of the
//! agency that edits what is not its user's, a review in someone else's name, a reserved actor,
//! guessing passwords, formulas in exports, decompression bombs, and requests built to take the
//! server down. Each asserts the refusal **and** that nothing stored changed.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use milkshed_shared::document::automerge::{transaction::Transactable, ReadDoc, Value, ROOT};
use milkshed_shared::document::{
    Header, InspectionDoc, InspectionKind, PhotoRef, Review, Subject, SubjectKind,
};
use milkshed_shared::sync::{self, DocOutcome, SyncRequest, SyncResponse};
use milkshed_sync_server::{db, http::server, service::auth, service::demo};
use milkshed_tests::{
    agent, fingerprint, get_json, json_of, now, TestDevice, TestServer, WebClient,
};
use uuid::Uuid;

/// A second sanitarian of the demo agency, `bob`.
fn add_bob(server: &TestServer) {
    let hash = auth::hash_password(demo::PASSWORD).unwrap();
    db::add_user(
        &server.db(),
        demo::AGENCY,
        "bob",
        "Bob Tanaka",
        auth::Role::Sanitarian,
        &hash,
    )
    .unwrap();
}

/// Ann's inspection of farm-1 with a violation, signed and submitted, on the server.
fn submitted_by_ann(server: &TestServer) -> (TestDevice, milkshed_shared::ids::InspectionId) {
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let id = ann.inspect_farm("farm-1", &["3"]);
    ann.sign_and_submit(id);
    let report = ann.sync().unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    (ann, id)
}

fn raw_sync(server: &TestServer, token: &str, req: &SyncRequest) -> (u16, Vec<u8>) {
    let resp = agent()
        .post(&format!("{}/api/sync", server.url()))
        .header("authorization", &format!("Bearer {token}"))
        .send(&sync::encode(req)[..])
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.into_body().read_to_vec().unwrap())
}

/// Asks for a document the device does not hold (`{id, heads: [], changes: []}`).
fn pull(
    server: &TestServer,
    dev: &TestDevice,
    id: milkshed_shared::ids::InspectionId,
) -> sync::DocReply {
    let req = SyncRequest {
        protocol: sync::PROTOCOL_VERSION,
        request_id: Uuid::now_v7(),
        docs: vec![sync::DocOffer {
            id,
            heads: vec![],
            changes: vec![],
        }],
        reference_version: u64::MAX,
    };
    let (status, body) = raw_sync(server, &dev.enrollment.token, &req);
    assert_eq!(status, 200);
    let resp: SyncResponse = sync::decode(&body).unwrap();
    resp.docs.into_iter().find(|d| d.id == id).unwrap()
}

/// Pulls someone's inspection into a device's store, then changes it with the raw Automerge
/// API as a tampered app would (bypassing the device's own checks), and syncs it.
fn tamper_and_sync(
    server: &TestServer,
    dev: &mut TestDevice,
    id: milkshed_shared::ids::InspectionId,
    edit: impl FnOnce(&mut InspectionDoc),
) -> Vec<(milkshed_shared::ids::InspectionId, String)> {
    if dev.store.inspection(id).is_err() {
        let reply = pull(server, dev, id);
        assert_eq!(reply.outcome, DocOutcome::Merged);
        let mut doc = InspectionDoc::load(
            &reply.changes,
            dev.store.actor().as_str().try_into().unwrap(),
        )
        .unwrap();
        dev.store.receive(&mut doc, &now()).unwrap();
    }
    edit(dev.store.document(id).unwrap());
    dev.sync().unwrap().rejected
}

fn put_str(doc: &mut InspectionDoc, path: &[&str], value: &str) {
    let am = doc.automerge();
    let mut obj = ROOT;
    for key in &path[..path.len() - 1] {
        let Ok(Some((Value::Object(_), o))) = am.get(&obj, *key) else {
            panic!("no {key}")
        };
        obj = o;
    }
    am.put(&obj, path[path.len() - 1], value).unwrap();
    am.commit();
}

fn rejected_with(rejected: &[(milkshed_shared::ids::InspectionId, String)], words: &str) {
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(rejected[0].1.contains(words), "{rejected:?}");
}

#[test]
fn a_device_sees_and_writes_only_what_its_user_may() {
    let server = TestServer::start();
    add_bob(&server);
    // Ann's inspection in the works (a draft, or one returned to her: not signed)
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let id = ann.inspect_farm("farm-1", &["3"]);
    ann.sync().unwrap();
    let bob = TestDevice::enroll(&server.url(), "bob");
    let mut sue = TestDevice::enroll(&server.url(), "sue");
    let mut sue2 = TestDevice::enroll(&server.url(), "sue");
    let before = fingerprint(server.dir.path());

    // another sanitarian cannot even read Ann's inspection
    let reply = pull(&server, &bob, id);
    assert!(
        matches!(reply.outcome, DocOutcome::Rejected(_)),
        "{:?}",
        reply.outcome
    );
    assert!(reply.changes.is_empty());

    // a supervisor's device may read it, but not change her findings or notes...
    let r = tamper_and_sync(&server, &mut sue, id, |d| {
        put_str(d, &["states", "4"], "violated");
    });
    rejected_with(&r, "only the inspector");
    assert_eq!(fingerprint(server.dir.path()), before);

    // ...nor take it over by rewriting the inspector (to accept it herself later)
    let sue_id = sue2.enrollment.user_id.clone();
    let r = tamper_and_sync(&server, &mut sue2, id, |d| {
        put_str(d, &["inspector", "id"], &sue_id);
        put_str(d, &["inspector", "name"], "Sue Marchetti");
    });
    rejected_with(&r, "inspector is fixed");
    assert_eq!(fingerprint(server.dir.path()), before);

    // a rating officer's device cannot append a review in the supervisor's name
    let (_ann, id) = submitted_by_ann(&server);
    let mut sam = TestDevice::enroll(&server.url(), "sam");
    let before = fingerprint(server.dir.path());
    let r = tamper_and_sync(&server, &mut sam, id, |d| {
        d.review(&Review {
            by: milkshed_shared::document::Person {
                id: sue_id.clone().into(),
                name: "Sue Marchetti".into(),
            },
            at: now(),
            accepted: true,
            comment: String::new(),
            item_comments: vec![],
        })
        .unwrap();
    });
    rejected_with(&r, "names the user who makes it");
    assert_eq!(fingerprint(server.dir.path()), before);
}

#[test]
fn the_header_is_frozen_and_each_role_makes_only_its_kinds() {
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let id = ann.inspect_farm("farm-2", &["3"]);
    ann.sync().unwrap();
    // a draft's agency, start time and subject cannot be rewritten, even by its inspector
    for (path, value, words) in [
        (&["agency"][..], "north", "agency north"),
        (
            &["started_at"][..],
            "2020-01-01T00:00:00+00:00",
            "start time is fixed",
        ),
        (
            &["subject", "name"][..],
            "=cmd|' /C calc'!A0",
            "subject is fixed",
        ),
    ] {
        let before = fingerprint(server.dir.path());
        let r = tamper_and_sync(&server, &mut ann, id, |d| put_str(d, path, value));
        rejected_with(&r, words);
        assert_eq!(fingerprint(server.dir.path()), before);
        // the refused change stays on the device only; start again from the server's copy
        ann = TestDevice::enroll(&server.url(), "ann");
        ann.sync().unwrap();
    }

    // an inspection under a name that is not the account's, or of a kind the role does not make
    let header = |kind: InspectionKind, name: &str, dev: &TestDevice| Header {
        id: milkshed_shared::ids::InspectionId::new_v7(),
        kind,
        agency: demo::AGENCY.into(),
        subject: Subject {
            kind: SubjectKind::Farm,
            id: "farm-3".into(),
            name: "W. T. Miller".into(),
            permit: None,
            producer_number: None,
        },
        inspector: milkshed_shared::document::Person {
            id: dev.enrollment.user_id.clone().into(),
            name: name.into(),
        },
        catalog: "pmo-2011".into(),
        started_at: now(),
        follows: None,
    };
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    let before = fingerprint(server.dir.path());
    let renamed = header(InspectionKind::RoutineFarm, "Sue Marchetti", &ann);
    let not_hers = header(InspectionKind::RoutineFarm, "Hal Brenner", &hal);
    for (dev, h, words) in [
        (&mut ann, renamed, "account's name"),
        (&mut hal, not_hers, "does not make routine_farm"),
    ] {
        // the device refuses to create it...
        assert!(dev.store.create_inspection(&h).is_err());
        // ...and so does the server when a tampered app sends it anyway
        let actor = dev.store.actor().as_str().try_into().unwrap();
        let mut doc = InspectionDoc::create(actor, &h).unwrap();
        let req = SyncRequest {
            protocol: sync::PROTOCOL_VERSION,
            request_id: Uuid::now_v7(),
            docs: vec![sync::offer_all(&mut doc, h.id)],
            reference_version: u64::MAX,
        };
        let (status, body) = raw_sync(&server, &dev.enrollment.token, &req);
        assert_eq!(status, 200);
        let resp: SyncResponse = sync::decode(&body).unwrap();
        match &resp.docs[0].outcome {
            DocOutcome::Rejected(why) => assert!(why.contains(words), "{why}"),
            other => panic!("accepted: {other:?}"),
        }
        assert_eq!(fingerprint(server.dir.path()), before);
    }
}

#[test]
fn names_in_the_record_come_from_the_accounts() {
    let server = TestServer::start();
    let (_ann, id) = submitted_by_ann(&server);
    let (inspector, by): (String, String) = server
        .db()
        .query_row(
            "SELECT inspector_name, (SELECT by_name FROM reviews WHERE inspection_id = i.id) FROM inspections i WHERE id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default())),
        )
        .unwrap();
    assert_eq!((inspector.as_str(), by.as_str()), ("Ann Lindqvist", ""));
    // the reviewer's page shows the account's name for the review it makes
    let mut sue = WebClient::new(&server.url());
    assert_eq!(sue.login("demo", "sue", demo::PASSWORD).status, 303);
    sue.get(&format!("/review/inspections/{id}"));
    let a = sue.submit(
        &format!("/review/inspections/{id}/review"),
        &[("decision", "accept")],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let by: String = server
        .db()
        .query_row(
            "SELECT by_name FROM reviews WHERE inspection_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by, "Sue Marchetti");
}

#[test]
fn reserved_actors_cannot_be_enrolled() {
    let server = TestServer::start();
    let before = fingerprint(server.dir.path());
    // a second handle on the same record tells the actors the server writes with
    let state = server::AppState::open_at(
        server.dir.path(),
        &milkshed_tests::location_for(server.dir.path()),
    )
    .unwrap();
    let sue: String = server
        .db()
        .query_row("SELECT id FROM users WHERE username = 'sue'", [], |r| {
            r.get(0)
        })
        .unwrap();
    for actor in [
        state.server_actor.to_hex_string(),
        state.web_actor(&sue).to_hex_string(),
        state.web_actor(&sue).to_hex_string().to_uppercase(),
    ] {
        let (status, body) = json_of(post_enroll(
            &server,
            serde_json::json!({
                "agency": "demo", "username": "ann", "password": demo::PASSWORD,
                "device_name": "mine", "actor": actor,
            }),
        ));
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("actor_reserved")),
            "{body}"
        );
    }
    assert_eq!(fingerprint(server.dir.path()), before);
}

fn post_enroll(server: &TestServer, body: serde_json::Value) -> ureq::http::Response<ureq::Body> {
    agent()
        .post(&format!("{}/enroll", server.url()))
        .header("content-type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap()
}

fn enroll_attempt(server: &TestServer, user: &str, password: &str) -> (u16, Option<String>) {
    let resp = post_enroll(
        server,
        serde_json::json!({
            "agency": "demo", "username": user, "password": password,
            "device_name": "guess", "actor": hex_actor(),
        }),
    );
    let wait = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (resp.status().as_u16(), wait)
}

fn hex_actor() -> String {
    Uuid::new_v4().simple().to_string()
}

#[test]
fn guessing_passwords_is_throttled_and_unknown_users_take_as_long() {
    let server = TestServer::start();
    // the allowance of failures, then 429 with Retry-After — even for the right password
    for _ in 0..auth::ACCOUNT_FREE_FAILURES {
        assert_eq!(enroll_attempt(&server, "ann", "guess").0, 401);
    }
    assert_eq!(
        enroll_attempt(&server, "ann", "guess").0,
        401,
        "counted, then locked"
    );
    let (status, wait) = enroll_attempt(&server, "ann", demo::PASSWORD);
    assert_eq!(status, 429);
    assert!(wait.is_some_and(|w| w.parse::<u64>().is_ok_and(|s| s >= 1)));
    // the review pages' sign-in shares the counters
    let mut c = WebClient::new(&server.url());
    assert_eq!(c.login("demo", "ann", demo::PASSWORD).status, 429);
    // the lock passes; the right password works again and clears the count
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(enroll_attempt(&server, "ann", demo::PASSWORD).0, 200);

    // an unknown user costs a hash too: its refusal is no quicker than a wrong password's
    let time = |user: &str| {
        let t = Instant::now();
        assert_eq!(enroll_attempt(&server, user, "nope").0, 401);
        t.elapsed()
    };
    let mut known: Vec<Duration> = (0..3).map(|_| time("sue")).collect();
    let mut unknown: Vec<Duration> = (0..3).map(|n| time(&format!("nobody{n}"))).collect();
    known.sort();
    unknown.sort();
    assert!(
        unknown[1] * 3 > known[1],
        "unknown {unknown:?} vs known {known:?}"
    );
}

#[test]
fn exported_cells_cannot_carry_formulas() {
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let id = ann.inspect_farm("farm-4", &["3"]);
    ann.store
        .edit(id, &now(), |d| {
            d.set_item_note("3", "=HYPERLINK(\"http://evil\",\"x\")", &now())
        })
        .unwrap();
    ann.store
        .edit(id, &now(), |d| {
            d.set_notes("@SUM(1+1)*cmd|' /C calc'!A0", &now())
        })
        .unwrap();
    ann.sync().unwrap();
    let mut sue = WebClient::new(&server.url());
    sue.login("demo", "sue", demo::PASSWORD);
    let csv = sue.get("/review/export/findings.csv").body;
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    for line in csv.lines() {
        for cell in line.split(',') {
            let c = cell.trim_start_matches('"');
            assert!(
                !c.starts_with(['=', '+', '@', '\t', '\r']),
                "raw formula: {line}"
            );
        }
    }
    for path in [
        "/review/export/inspections.csv",
        "/review/export/ratings.csv",
    ] {
        let a = sue.get(path);
        assert_eq!(a.status, 200);
        assert!(!a.body.lines().any(|l| l.starts_with('=')), "{}", a.body);
    }
}

/// A PNG whose header claims `w × h` pixels, with next to no image data (a decompression bomb
/// is this plus a long run of zeros).
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn a_decompression_bomb_is_refused_before_it_is_decoded() {
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let id = ann.inspect_farm("farm-5", &["3"]);
    let bomb = png_claiming(20_000, 20_000);
    let hash = milkshed_shared::document::sha256_hex(&bomb);
    ann.store
        .edit(id, &now(), |d| {
            d.add_photo(
                &PhotoRef {
                    hash: hash.clone(),
                    item: Some("3".into()),
                    caption: String::new(),
                    taken_at: None,
                    width: 20_000,
                    height: 20_000,
                    gps: None,
                },
                &now(),
            )
        })
        .unwrap();
    // the device has no such photo to upload; a hostile client sends it by hand
    let _ = ann.sync();
    let before = fingerprint(server.dir.path());
    let (status, body) = json_of(
        agent()
            .put(&format!(
                "{}/api/photos/{hash}?offset=0&total={}",
                server.url(),
                bomb.len()
            ))
            .header("authorization", &format!("Bearer {}", ann.enrollment.token))
            .send(&bomb[..])
            .unwrap(),
    );
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("not_an_image")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("20000"),
        "{body}"
    );
    assert_eq!(fingerprint(server.dir.path()), before);
}

/// Bytes of a raw HTTP exchange: the answer to `request` (the connection closed after it).
fn raw_http(server: &TestServer, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn no_request_takes_the_server_down() {
    let server = TestServer::start();
    let ann = TestDevice::enroll(&server.url(), "ann");
    let token = &ann.enrollment.token;
    let before = fingerprint(server.dir.path());
    // dates at the end of the calendar, numbers past any page, garbage in a query string
    for path in [
        "/api/board?today=+262142-12-31",
        "/api/board?today=99999-01-01",
        "/api/board?today=not-a-date",
        "/api/actions/overdue?today=%2B262142-12-31",
    ] {
        let (status, body) = get_json(&server.url(), token, path);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{path}"
        );
    }
    let (status, body) = json_of(
        agent()
            .put(&format!(
                "{}/api/photos/{}?offset=abc&total=1",
                server.url(),
                "a".repeat(64)
            ))
            .header("authorization", &format!("Bearer {token}"))
            .send(&b"x"[..])
            .unwrap(),
    );
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
    let mut sue = WebClient::new(&server.url());
    sue.login("demo", "sue", demo::PASSWORD);
    for path in [
        "/review/board?today=+262142-12-31",
        "/review?page=9223372036854775807",
        "/review?page=-9223372036854775808",
    ] {
        let a = sue.get(path);
        assert!(a.status == 400 || a.status == 200, "{path}: {}", a.status);
        assert!(a.status != 200 || path.contains("page=-"), "{path}");
    }
    // a body announced too large is refused before it is read
    let t = Instant::now();
    let answer = raw_http(
        &server,
        &format!(
            "POST /api/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            70 * 1024 * 1024
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(t.elapsed() < Duration::from_secs(5));
    // and the server is still whole: health, the board, the pages
    let (status, body) = json_of(
        agent()
            .get(&format!("{}/health", server.url()))
            .call()
            .unwrap(),
    );
    assert_eq!((status, body["database"].as_str()), (200, Some("ok")));
    assert_eq!(get_json(&server.url(), token, "/api/board").0, 200);
    assert_eq!(sue.get("/review/board").status, 200);
    assert_eq!(sue.get("/review").status, 200);
    assert_eq!(fingerprint(server.dir.path()), before);
}

#[test]
fn pages_carry_their_policy_and_sign_in_needs_the_forms_own_token() {
    let server = TestServer::start();
    let resp = agent()
        .get(&format!("{}/review/login", server.url()))
        .call()
        .unwrap();
    let h = resp.headers();
    let has = |k: &str, v: &str| {
        h.get(k)
            .and_then(|x| x.to_str().ok())
            .is_some_and(|x| x.contains(v))
    };
    assert!(has("content-security-policy", "default-src 'none'"));
    assert!(has("content-security-policy", "frame-ancestors 'none'"));
    assert!(has("x-frame-options", "DENY"));
    assert!(has("x-content-type-options", "nosniff"));
    assert!(has("cache-control", "no-store"));
    // a cross-site form post carries no form token (and no SameSite cookie): no session
    let resp = agent()
        .post(&format!("{}/review/login", server.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(&b"agency=demo&username=sue&password=milkshed-demo"[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let cookies: Vec<_> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        !cookies.iter().any(|c| c.starts_with("milkshed_session=")),
        "{cookies:?}"
    );
    let mut c = WebClient::new(&server.url());
    assert_eq!(c.login("demo", "sue", demo::PASSWORD).status, 303);
}

#[test]
fn facility_ids_are_checked_and_another_agencys_id_is_a_clean_conflict() {
    let server = TestServer::start();
    server.add_north_agency();
    let nina = TestDevice::enroll_in(&server.url(), "north", "nina", "north-pass");
    let before = fingerprint(server.dir.path());
    for (id, status) in [("farm-1", 409), ("bad\"id\r\nX-Evil: 1", 400), ("", 400)] {
        let (got, body) = milkshed_tests::post_json(
            &server.url(),
            &nina.enrollment.token,
            "/api/facilities",
            &serde_json::json!({"id": id, "kind": "milk_plant", "name": "North Dairy", "number": "12345",
                "permit_state": "WI", "permit": {"number": "N-1", "issued_on": "2026-01-05"}}),
        );
        assert_eq!(got, status, "{id:?}: {body}");
        assert!(!body.to_string().contains("Roy Harris"));
    }
    assert_eq!(fingerprint(server.dir.path()), before);
}

#[test]
fn a_partial_upload_belongs_to_the_device_that_started_it() {
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let id = ann.inspect_farm("farm-6", &["3"]);
    let hash = ann.photograph(id, "3", 7);
    // the inspection (and its photo reference) reaches the server; the photo is held back
    let photo = ann.store.photo(&hash).unwrap().unwrap();
    let put = |dev: &TestDevice, offset: usize, bytes: &[u8]| {
        json_of(
            agent()
                .put(&format!(
                    "{}/api/photos/{hash}?offset={offset}&total={}",
                    server.url(),
                    photo.len()
                ))
                .header("authorization", &format!("Bearer {}", dev.enrollment.token))
                .send(bytes)
                .unwrap(),
        )
    };
    let req = SyncRequest {
        protocol: sync::PROTOCOL_VERSION,
        request_id: Uuid::now_v7(),
        docs: vec![sync::offer_all(ann.store.document(id).unwrap(), id)],
        reference_version: u64::MAX,
    };
    assert_eq!(raw_sync(&server, &ann.enrollment.token, &req).0, 200);
    let half = photo.len() / 2;
    assert_eq!(put(&ann, 0, &photo[..half]).0, 200);
    // another device of the agency cannot append to (or spoil) Ann's half
    let sue = TestDevice::enroll(&server.url(), "sue");
    let (status, body) = put(&sue, half, b"garbage that would spoil the photo");
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("wrong_offset")),
        "{body}"
    );
    // Ann finishes her upload as if nothing happened
    let (status, body) = put(&ann, half, &photo[half..]);
    assert_eq!(
        (status, body["complete"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
}

#[test]
fn reads_do_not_wait_for_a_write() {
    let mut state = None;
    let server = TestServer::start_with(|s| {
        demo::seed(&s.db, &s.server_actor).unwrap();
        state = Some(s.clone());
    });
    let state = state.unwrap();
    let ann = TestDevice::enroll(&server.url(), "ann");
    let mut sue = WebClient::new(&server.url());
    sue.login("demo", "sue", demo::PASSWORD);
    // a long write holds the writer (as a large sync would)...
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let mut conn = state.db.write().unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute(
            "UPDATE settings SET value = value WHERE key = 'server_actor'",
            [],
        )
        .unwrap();
        held_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(Duration::from_secs(60));
        drop(tx);
    });
    held_rx.recv().unwrap();
    // ...and the pages and the API's reads still answer at once
    let t = Instant::now();
    assert_eq!(sue.get("/review").status, 200);
    assert_eq!(sue.get("/review/board").status, 200);
    assert_eq!(
        get_json(&server.url(), &ann.enrollment.token, "/api/board").0,
        200
    );
    assert_eq!(
        get_json(&server.url(), &ann.enrollment.token, "/api/me").0,
        200
    );
    let took = t.elapsed();
    release_tx.send(()).unwrap();
    writer.join().unwrap();
    assert!(
        took < Duration::from_secs(10),
        "reads waited {took:?} for the writer"
    );
}
