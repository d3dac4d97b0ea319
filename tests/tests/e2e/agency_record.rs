//! The agency record's workflows through the server's API: the facility registry and permit
//! history, laboratories and the lab import, drug residue events, the listing register, the
//! board of what is overdue or breached, and the records that can never be changed, deleted or
//! purged too early.

use chrono::{Duration, Utc};
use milkshed_sync_server::db;
use milkshed_tests::{get_json, post_json, TestDevice, TestServer};
use serde_json::{json, Value};

fn token(server: &TestServer, user: &str) -> String {
    TestDevice::enroll(&server.url(), user).enrollment.token
}

fn board(server: &TestServer, t: &str, today: &str) -> Value {
    let (status, b) = get_json(&server.url(), t, &format!("/api/board?today={today}"));
    assert_eq!(status, 200, "{b}");
    b
}

/// What the board says a listing rating still owes on `today`.
fn listing_problems(server: &TestServer, t: &str, today: &str, rating: &str) -> Vec<String> {
    board(server, t, today)["listings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rating_id"] == rating)
        .flat_map(|l| {
            l["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
        })
        .collect()
}

/// A second agency with a supervisor, to prove nothing crosses agencies: its device token.
fn other_agency(server: &TestServer) -> String {
    server.add_north_agency();
    TestDevice::enroll_in(&server.url(), "north", "nina", "north-pass")
        .enrollment
        .token
}

/// A farm joins a BTU with its permit; the registry keeps its history; the farm is in one
/// listing only; the 40 % producer is flagged; devices see the new farm after sync; roles and
/// agencies are kept apart.
#[test]
fn facility_registry_with_history_one_listing_and_the_forty_percent_warning() {
    let server = TestServer::start();
    let url = server.url();
    let sue = token(&server, "sue");
    let mut ann = TestDevice::enroll(&url, "ann");
    let farm = json!({"kind": "dairy_farm", "name": "Big Ridge Farm", "number": "55-0199", "pounds_daily": 40000,
                      "listing": "btu-1", "permit": {"number": "FP-1099", "issued_on": "2026-03-01"}});
    let (status, body) = post_json(&url, &ann.enrollment.token, "/api/facilities", &farm);
    assert_eq!(
        status, 403,
        "a sanitarian does not change the registry: {body}"
    );
    let (status, body) = post_json(&url, &sue, "/api/facilities", &farm);
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    // 12 demo farms ship 17,000 lb a day; 40,000 is over 40 % of the BTU
    let w = body["warnings"].as_array().unwrap();
    assert!(w.iter().any(|w| w.as_str().unwrap().contains(&id)), "{w:?}");
    // the same permit number again is refused
    let (status, _) = post_json(
        &url,
        &sue,
        "/api/facilities",
        &json!({"kind": "dairy_farm", "name": "Copy", "number": "55-0200", "permit": {"number": "FP-1099", "issued_on": "2026-03-01"}}),
    );
    assert_eq!(status, 409);
    for (bad, why) in [
        (json!({"kind": "dairy_barn", "name": "X"}), "unknown kind"),
        (
            json!({"kind": "dairy_farm", "name": "X"}),
            "no producer number",
        ),
        (
            json!({"kind": "milk_plant", "name": "A plant name much longer than thirty-four"}),
            "2359i name length",
        ),
        (
            json!({"kind": "hauler", "name": "X", "permit_state": "ZZ"}),
            "not a State",
        ),
        (
            json!({"kind": "dairy_farm", "name": "X", "number": "1", "listing": "plant-1x"}),
            "unknown listing",
        ),
        (
            json!({"kind": "dairy_farm", "name": "X", "number": "1", "listing": "station-1"}),
            "a station has no farms",
        ),
    ] {
        let (status, body) = post_json(&url, &sue, "/api/facilities", &bad);
        assert!((400..500).contains(&status), "{why}: {status} {body}");
    }
    // a hauler permitted by another State
    let (status, body) = post_json(
        &url,
        &sue,
        "/api/facilities",
        &json!({"kind": "hauler", "name": "Ole Lund", "permit_state": "MN", "permit": {"number": "MN-H-1", "issued_on": "2025-01-10"}}),
    );
    assert_eq!(status, 200, "{body}");

    // moving the farm to the plant's attached supply takes it out of the BTU
    let (status, body) = post_json(
        &url,
        &sue,
        &format!("/api/facilities/{id}/listing"),
        &json!({"listing": "plant-1", "effective_on": "2026-11-01"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["left"], "btu-1");
    let (_, btu) = get_json(&url, &sue, "/api/facilities/btu-1");
    assert!(!btu["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == id.as_str()));
    let (_, detail) = get_json(&url, &sue, &format!("/api/facilities/{id}"));
    assert_eq!(detail["facility"]["listing"], "plant-1");
    let events: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["joined_listing", "left_listing", "joined_listing"]);
    assert!(detail["history"][1]["by_user"]
        .as_str()
        .is_some_and(|u| !u.is_empty()));
    let conn = server.db();
    assert!(
        conn.execute(
            "INSERT INTO listing_members (agency_id, farm_id, shipper_id, since) VALUES ('demo', ?1, 'btu-1', '2026-11-02')",
            [&id],
        )
        .is_err(),
        "a farm is in one listing only"
    );

    // the device sees the registry's farm in its work list data
    ann.sync().unwrap();
    let r = ann.store.reference("farm", &id).unwrap().unwrap();
    assert_eq!(r["name"], "Big Ridge Farm");
    assert_eq!(r["permit"], "FP-1099");
    assert_eq!(r["btu"], "I.M.A. Dairy");

    // another agency sees nothing of ours, even by id
    let nina = other_agency(&server);
    assert_eq!(
        get_json(&url, &nina, &format!("/api/facilities/{id}")).0,
        404
    );
    assert_eq!(
        get_json(&url, &nina, "/api/facilities").1["facilities"],
        json!([])
    );
    let (status, _) = post_json(
        &url,
        &nina,
        &format!("/api/facilities/{id}/listing"),
        &json!({"listing": "btu-1", "effective_on": "2026-11-01"}),
    );
    assert_eq!(status, 404);
}

/// A permit's status changes are dated and attributed; suspension stops Grade "A" sale and shows
/// on the board; reinstatement after a lab suspension waits for the reinstating accelerated
/// samples; a revoked permit stays revoked; history is never rewritten.
#[test]
fn permit_history_suspension_and_reinstatement_from_the_lab_ledger() {
    let server = TestServer::start();
    let url = server.url();
    // dated after the demo's own results (the latest a month ago)
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let sue = token(&server, "sue");
    let (_, farm) = get_json(&url, &sue, "/api/facilities/farm-3");
    let permit = farm["permits"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(farm["permits"][0]["status"], "issued");
    let path = format!("/api/permits/{permit}/status");
    let (status, body) = post_json(
        &url,
        &sue,
        &path,
        &json!({"status": "suspended", "effective_on": day(12), "reason": "3 of the last 5 somatic cell counts over"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["grade_a_sale_allowed"], false);
    let b = board(&server, &sue, &day(11));
    assert!(b["suspended_permits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["facility_id"] == "farm-3"));
    let reinstate = json!({"status": "reinstated", "effective_on": day(5), "reason": "accelerated samples within the standard", "lab_standard": "somatic_cells"});
    let (status, body) = post_json(&url, &sue, &path, &reinstate);
    assert_eq!(status, 409, "no accelerated samples yet: {body}");
    assert!(body["message"].as_str().unwrap().contains("no reinstating"));
    let conn = server.db();
    db::registry::add_laboratory(
        &conn,
        "demo",
        &db::registry::Laboratory {
            lab_number: "55150".into(),
            name: "Badger Commercial Lab".into(),
            classification: "C".into(),
            approved_until: "2027-12-31".into(),
        },
        "test",
    )
    .unwrap();
    let header = "lab_number,sample_date,subject_id,standard,value\n";
    let csv = format!(
        "{header}55150,{},farm-3,somatic_cells,800000\n55150,{},farm-3,somatic_cells,300000\n",
        day(10),
        day(8)
    );
    let (status, body) = milkshed_tests::json_of(
        milkshed_tests::agent()
            .post(&format!("{url}/api/lab-results"))
            .header("authorization", &format!("Bearer {sue}"))
            .send(csv.as_bytes())
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_json(&url, &sue, &path, &reinstate);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reinstatement"]["reinspection_needed"], false);
    let (_, farm) = get_json(&url, &sue, "/api/facilities/farm-3");
    let history: Vec<&str> = farm["permits"][0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["issued", "suspended", "reinstated"]);
    // revoked stays revoked; a change dated before the last is refused
    let (status, _) = post_json(
        &url,
        &sue,
        &path,
        &json!({"status": "revoked", "effective_on": day(13), "reason": "x"}),
    );
    assert_eq!(status, 400, "back-dated before the last change");
    let (status, _) = post_json(
        &url,
        &sue,
        &path,
        &json!({"status": "revoked", "effective_on": day(2), "reason": "repeated suspensions"}),
    );
    assert_eq!(status, 200);
    let (status, _) = post_json(
        &url,
        &sue,
        &path,
        &json!({"status": "issued", "effective_on": day(1), "reason": "x"}),
    );
    assert_eq!(status, 409);
    assert!(conn
        .execute("UPDATE permit_events SET status = 'issued'", [])
        .is_err());
    assert!(conn.execute("DELETE FROM permit_events", []).is_err());
    assert!(conn.execute("DELETE FROM facilities", []).is_err());
}

fn post_csv(url: &str, t: &str, csv: &str) -> (u16, Value) {
    milkshed_tests::json_of(
        milkshed_tests::agent()
            .post(&format!("{url}/api/lab-results"))
            .header("authorization", &format!("Bearer {t}"))
            .send(csv.as_bytes())
            .unwrap(),
    )
}

/// Results are accepted only from laboratories in the agency's register, usable (F or C) and
/// approved on the sample date; the import records the classification; a refusal names the line
/// and field, and nothing is half-imported. The board then shows the notice the ledger owes.
#[test]
fn laboratory_approval_gates_the_import_and_the_board_shows_what_is_owed() {
    let server = TestServer::start();
    let url = server.url();
    let sue = token(&server, "sue");
    let (status, body) = post_json(
        &url,
        &sue,
        "/api/laboratories",
        &json!({"lab_number": "55160", "name": "Lapsed Lab", "classification": "C", "approved_until": "2026-06-30"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kind"], "commercial");
    let (status, _) = post_json(
        &url,
        &sue,
        "/api/laboratories",
        &json!({"lab_number": "03001", "name": "Nowhere", "classification": "F", "approved_until": "2027-06-30"}),
    );
    assert_eq!(status, 400, "03 is not a FIPS state");
    let count = || db::lab_result_count(&server.db(), "demo").unwrap();
    let before = count();
    let header = "lab_number,sample_date,subject_id,standard,value\n";
    let csv = format!("{header}55001,2026-10-05,farm-5,bacteria,150000\n55160,2026-07-05,farm-5,bacteria,150000\n55777,2026-07-05,farm-5,bacteria,1\n");
    let (status, body) = post_csv(&url, &sue, &csv);
    assert_eq!(status, 422, "{body}");
    let lines: Vec<(u64, &str)> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["field"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, [(3, "lab_number"), (4, "lab_number")]);
    assert_eq!(count(), before, "nothing half-imported");
    // one result entered by hand is checked as a CSV line is, procedure code included
    let entry = |v: Value| post_json(&url, &sue, "/api/lab-results/entry", &v);
    let (status, body) = entry(
        json!({"lab_number": "55001", "sample_date": "2026-10-05", "subject_id": "farm-5",
                                      "standard": "bacteria", "value": "lots"}),
    );
    assert_eq!(
        (status, body["problems"][0]["field"].as_str()),
        (422, Some("value")),
        "{body}"
    );
    let (status, body) = entry(
        json!({"lab_number": "55001", "sample_date": "2026-10-05", "subject_id": "farm-5",
                                      "standard": "bacteria", "value": "9000", "procedure": "99"}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("procedure"));
    assert_eq!(count(), before, "nothing half-imported");
    let (status, body) = entry(
        json!({"lab_number": "55001", "sample_date": "2026-10-05", "subject_id": "farm-5",
                                      "standard": "somatic_cells", "value": "210000", "procedure": "16"}),
    );
    assert_eq!(
        (status, body["imported"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    let ann = token(&server, "ann");
    assert_eq!(
        post_json(&url, &ann, "/api/lab-results/entry", &json!({"lab_number": "55001", "sample_date": "2026-10-05", "subject_id": "farm-5", "standard": "bacteria", "value": "1"})).0,
        403
    );
    // two of farm-5's last four bacterial counts over → a written notice is owed
    let today = Utc::now().date_naive();
    let d1 = (today - Duration::days(5)).to_string();
    let (status, body) = post_csv(
        &url,
        &sue,
        &format!("{header}55001,{d1},farm-5,bacteria,150000\n"),
    );
    assert_eq!(status, 200, "{body}");
    let classification: String = server
        .db()
        .query_row(
            "SELECT lab_classification FROM lab_results WHERE sample_date = ?1",
            [&d1],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(classification, "F");
    let t = today.to_string();
    let owed = |b: &Value| {
        b["lab_breaches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["subject_id"] == "farm-5" && l["breach"] == "warning_letter")
    };
    assert!(
        owed(&board(&server, &sue, &t)),
        "{}",
        board(&server, &sue, &t)
    );
    let (status, _) = post_json(
        &url,
        &sue,
        "/api/actions",
        &json!({"subject_id": "farm-5", "kind": "warning_letter", "issued_on": t, "cause": "lab: 2 of the last 4 bacterial counts over"}),
    );
    assert_eq!(status, 200);
    let b = board(&server, &sue, &t);
    assert!(!owed(&b), "the notice is recorded: {b}");
    // 22 days later its resample is overdue
    let later = (today + Duration::days(22)).to_string();
    let b = board(&server, &sue, &later);
    assert!(b["overdue_actions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["subject_id"] == "farm-5"));
}

/// A positive load: both notices owed at once, the producer held; each notification logged
/// with its time; a negative result releases the hold; the disposition report needs its fields
/// and a signature; a second positive within 12 months counts as a repeat.
#[test]
fn drug_residue_event_notices_hold_disposition_and_repeats() {
    let server = TestServer::start();
    let url = server.url();
    let sue = token(&server, "sue");
    let hal = token(&server, "hal");
    let positive = json!({"producer_id": "farm-7", "sampled_on": "2026-11-20", "time": "06:40", "load": true,
                          "tanker": "T-88", "plant": "I.M.A. Dairy", "test_method": "Charm SL", "result": "positive beta-lactam"});
    assert_eq!(
        post_json(&url, &hal, "/api/residue-events", &positive).0,
        403
    );
    let mut no_tanker = positive.clone();
    no_tanker["tanker"] = Value::Null;
    assert_eq!(
        post_json(&url, &sue, "/api/residue-events", &no_tanker).0,
        400
    );
    let (status, body) = post_json(&url, &sue, "/api/residue-events", &positive);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["notices_due"],
        json!(["regulatory_agency", "permit_holder"])
    );
    assert_eq!(body["may_ship"], false);
    let id = body["event"]["id"].as_str().unwrap().to_string();
    let steps = format!("/api/residue-events/{id}/steps");
    let (status, body) = post_json(
        &url,
        &sue,
        &steps,
        &json!({"step": "notified", "at": "2026-11-20T07:05:00-06:00", "detail": {"party": "regulatory_agency", "how": "phone"}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["notices_due"], json!(["permit_holder"]));
    let b = board(&server, &sue, "2026-11-20");
    let open = b["residue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["event_id"] == id.as_str())
        .unwrap();
    assert_eq!(open["producer_id"], "farm-7");
    assert_eq!(open["on_hold"], true);
    assert_eq!(open["notices_due"], json!(["permit_holder"]));
    assert_eq!(
        post_json(&url, &sue, &steps, &json!({"step": "notified", "at": "soon", "detail": {"party": "permit_holder", "how": "phone"}})).0,
        400
    );
    assert_eq!(
        post_json(
            &url,
            &sue,
            &steps,
            &json!({"step": "negative", "at": "2026-11-19", "detail": {"test_method": "Charm SL"}})
        )
        .0,
        400,
        "a clearing sample comes after the positive"
    );
    let (status, body) = post_json(
        &url,
        &sue,
        &steps,
        &json!({"step": "negative", "at": "2026-11-22", "detail": {"test_method": "Charm SL"}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["may_ship"], true);
    let (status, body) = post_json(
        &url,
        &sue,
        &steps,
        &json!({"step": "disposition", "at": "2026-11-20T12:00:00-06:00", "detail": {"disposition": "dumped to digester"}}),
    );
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("producers"));
    let (status, body) = post_json(
        &url,
        &sue,
        &steps,
        &json!({"step": "disposition", "at": "2026-11-20T12:00:00-06:00", "detail": {
            "disposition": "dumped to digester", "producers": "55-0107", "confirmatory_method": "Charm II",
            "confirmatory_location": "State Central Milk Laboratory", "tester": "lab tech 14", "signed_by": "Plant manager R. Diaz"}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["disposition_reported"], true);
    let mut again = positive.clone();
    again["sampled_on"] = json!("2026-12-01");
    let (_, body) = post_json(&url, &sue, "/api/residue-events", &again);
    assert_eq!(body["repeats_in_12_months"], 2);
    let conn = server.db();
    assert!(conn.execute("DELETE FROM residue_steps", []).is_err());
    assert!(conn
        .execute("UPDATE residue_events SET result = 'negative'", [])
        .is_err());
}

/// A rating with an enforcement rating under 90 lists for 6 months less a day; product codes
/// follow the agency's reference edition; the 2359o clock runs; an unlisted source raises a
/// withdrawal task that names everyone to notify, until each is notified.
#[test]
fn listing_register_expiry_2359o_and_withdrawal_tasks() {
    let server = TestServer::start();
    let url = server.url();
    let sam = token(&server, "sam");
    let sue = token(&server, "sue");
    // a BTU of its own: the demo's BTU already has a newer rating, which would be the current one
    let (status, body) = post_json(
        &url,
        &sue,
        "/api/facilities",
        &json!({"id": "btu-test", "kind": "btu", "name": "Test Hills BTU", "number": "00456"}),
    );
    assert_eq!(status, 200, "{body}");
    let rating = json!({"shipper_id": "btu-test", "rating_dates": ["2026-06-15"], "sanitation_rating": 92,
                        "enforcement_rating": 84, "product_codes": [1]});
    assert_eq!(
        post_json(&url, &sue, "/api/listings", &rating).0,
        403,
        "the Rating Agency keeps the register"
    );
    let mut bad = rating.clone();
    bad["product_codes"] = json!([2]);
    let (status, body) = post_json(&url, &sam, "/api/listings", &bad);
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("raw"), "{body}");
    let (status, body) = post_json(&url, &sam, "/api/listings", &rating);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["expiry"], "2026-12-14",
        "6/15 + 6 months - 1 day (MMSR L1144-1147)"
    );
    assert_eq!(body["rerating_due"], "2026-12-14");
    let id = body["id"].as_str().unwrap().to_string();
    let ev = format!("/api/listings/{id}/events");
    let problems = |today: &str| listing_problems(&server, &sam, today, &id);
    assert!(problems("2026-06-20")
        .iter()
        .any(|p| p.contains("2359o not sent")));
    assert_eq!(
        post_json(&url, &sam, &ev, &json!({"event": "permission_received", "on": "2026-06-20", "detail": {"signed_by": "A", "title": "B"}})).0,
        409,
        "not sent yet"
    );
    assert_eq!(
        post_json(
            &url,
            &sam,
            &ev,
            &json!({"event": "permission_sent", "on": "2026-06-18"})
        )
        .0,
        200
    );
    assert!(
        problems("2026-06-23").is_empty(),
        "{:?}",
        problems("2026-06-23")
    );
    assert!(problems("2026-06-24")
        .iter()
        .any(|p| p.contains("due back signed by 2026-06-23")));
    assert_eq!(
        post_json(&url, &sam, &ev, &json!({"event": "permission_received", "on": "2026-06-22", "detail": {"signed_by": "J. Cow"}})).0,
        400,
        "a signed 2359o has a title"
    );
    assert_eq!(
        post_json(&url, &sam, &ev, &json!({"event": "permission_received", "on": "2026-06-22", "detail": {"signed_by": "J. Cow", "title": "Owner"}})).0,
        200
    );
    assert!(problems("2026-10-01").is_empty());
    assert!(problems("2026-10-20")
        .iter()
        .any(|p| p.contains("expires in 55 days")));
    let late = problems("2026-12-15");
    assert!(late.iter().any(|p| p.contains("expired")), "{late:?}");
    assert!(
        late.iter()
            .any(|p| p.contains("re-rating was due by 2026-12-14")),
        "{late:?}"
    );

    // a plant receiving from an unlisted source: mandatory withdrawal, everyone notified
    let (status, body) = post_json(
        &url,
        &sam,
        "/api/listings",
        &json!({"shipper_id": "plant-1", "rating_dates": ["2026-11-02"], "sanitation_rating": 93, "enforcement_rating": 95,
                "product_codes": [2, 41], "sources": [{"name": "Unknown Co-op", "listed": false, "sanitation_rating": 0}]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["eligible"], false);
    assert_eq!(
        body["withdrawal_tasks"][0]["notify"],
        json!(["shipper", "fda_regional_office", "receiving_states"])
    );
    let pid = body["id"].as_str().unwrap().to_string();
    let plant = |today: &str| listing_problems(&server, &sam, today, &pid);
    assert!(plant("2026-11-03")
        .iter()
        .any(|p| p.contains("Unknown Co-op")
            && p.contains("notify shipper, fda_regional_office, receiving_states")));
    let pev = format!("/api/listings/{pid}/events");
    assert_eq!(
        post_json(
            &url,
            &sam,
            &pev,
            &json!({"event": "withdrawn", "on": "2026-11-03"})
        )
        .0,
        200
    );
    for r in ["shipper", "fda_regional_office"] {
        assert_eq!(
            post_json(
                &url,
                &sam,
                &pev,
                &json!({"event": "notified", "on": "2026-11-03", "detail": {"recipient": r}})
            )
            .0,
            200
        );
    }
    assert!(plant("2026-11-04")
        .iter()
        .any(|p| p.contains("notify receiving_states")));
    assert_eq!(post_json(&url, &sam, &pev, &json!({"event": "notified", "on": "2026-11-04", "detail": {"recipient": "receiving_states"}})).0, 200);
    assert!(plant("2026-11-05").is_empty(), "{:?}", plant("2026-11-05"));
    let conn = server.db();
    assert!(conn
        .execute("UPDATE listing_ratings SET enforcement_rating = 99", [])
        .is_err());
    assert!(conn.execute("DELETE FROM listing_events", []).is_err());
}

/// Inspection records younger than 24 months cannot be deleted, by any path; overdue routine
/// inspections show on the board through the end of the month they fall due.
#[test]
fn retention_floor_and_overdue_inspections() {
    let server = TestServer::start();
    let sue = token(&server, "sue");
    let conn = server.db();
    assert!(conn.execute("DELETE FROM documents", []).is_err());
    assert!(conn.execute("DELETE FROM inspections", []).is_err());
    let n: i64 = conn
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, milkshed_sync_server::service::demo::DOCUMENTS);
    // a farm last inspected 7 months ago is overdue: its 6 months ended with last month
    let today = Utc::now().date_naive();
    let last = today - chrono::Months::new(7);
    let (status, body) = post_json(
        &server.url(),
        &sue,
        "/api/facilities",
        &json!({"id": "farm-late", "kind": "dairy_farm", "name": "Late Farm", "number": "55-0300",
                "listing": "btu-1", "last_inspection": last.to_string()}),
    );
    assert_eq!(status, 200, "{body}");
    let b = board(&server, &sue, &today.to_string());
    let due = b["overdue_inspections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["facility_id"] == "farm-late")
        .unwrap_or_else(|| panic!("{b}"))
        .clone();
    assert_eq!(due["last"], last.to_string());
    assert_eq!(
        due["due"].as_str().unwrap(),
        milkshed_shared::calendar::deadline(last, 6).to_string()
    );
    // on the last day of the month it fell due, it was still on time
    let month_end = milkshed_shared::calendar::deadline(last, 6);
    let b = board(&server, &sue, &month_end.to_string());
    assert!(!b["overdue_inspections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["facility_id"] == "farm-late"));
    // an Appendix P category of 12 months puts it back in time
    let (status, body) = post_json(
        &server.url(),
        &sue,
        "/api/facilities/farm-late/appendix-p",
        &json!({"category": 12, "effective_on": today.to_string()}),
    );
    assert_eq!(status, 200, "{body}");
    let b = board(&server, &sue, &today.to_string());
    assert!(!b["overdue_inspections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["facility_id"] == "farm-late"));
}

/// Without `?today=`, the board's day is the agency's civil date (DR-8), not the server's:
/// two zones 25 hours apart always name different days.
#[test]
fn the_board_runs_on_the_agency_calendar() {
    let server = TestServer::start();
    let sue = token(&server, "sue");
    let mut seen = Vec::new();
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let conn = server.db();
        let change = milkshed_sync_server::service::registry::AgencyChange {
            reference_edition: None,
            time_zone: Some(zone),
            home_state: None,
            retention_months: None,
        };
        milkshed_sync_server::service::registry::set_agency(&conn, "demo", &change).unwrap();
        let tz = milkshed_shared::calendar::time_zone(zone).unwrap();
        let before = milkshed_shared::calendar::civil_date(Utc::now(), tz).to_string();
        let (_, b) = get_json(&server.url(), &sue, "/api/board");
        let after = milkshed_shared::calendar::civil_date(Utc::now(), tz).to_string();
        let today = b["today"].as_str().unwrap().to_string();
        assert!(today == before || today == after, "{zone}: {today}");
        seen.push(today);
    }
    assert_ne!(seen[0], seen[1]);
}

/// A submitted inspection with a violation owes a reinspection: on the facility's page at once,
/// on the board once past due; the inspection that follows it up clears it.
#[test]
fn reinspections_owed_until_followed_up() {
    use milkshed_shared::document::{Header, InspectionKind, SignerRole, Subject, SubjectKind};
    let server = TestServer::start();
    let sue = token(&server, "sue");
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let now = milkshed_tests::now();
    let first = ann.inspect_farm("farm-5", &["3"]);
    ann.store
        .edit(first, &now, |d| {
            d.sign(SignerRole::Inspector, "Ann Lindqvist", "M0 0 L 1 1", &now)
        })
        .unwrap();
    ann.store.edit(first, &now, |d| d.submit(&now)).unwrap();
    ann.sync().unwrap();
    let due = milkshed_shared::calendar::reinspection_due(now.date_naive());
    let owed = |today: chrono::NaiveDate| -> bool {
        board(&server, &sue, &today.to_string())["reinspections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["inspection_id"] == first.to_string())
    };
    assert!(!owed(due), "due through its last day");
    assert!(owed(due + Duration::days(1)));
    let mut web = milkshed_tests::WebClient::new(&server.url());
    web.login("demo", "sue", "milkshed-demo");
    let page = web.get("/review/facilities/farm-5");
    assert!(
        page.body.contains(&format!("due by {due}")),
        "{}",
        page.body
    );
    // the reinspection, linked to the first
    let header = Header {
        id: milkshed_shared::ids::InspectionId::new_v7(),
        kind: InspectionKind::RoutineFarm,
        agency: "demo".into(),
        subject: Subject {
            kind: SubjectKind::Farm,
            id: "farm-5".into(),
            name: "K. R. Olson".into(),
            permit: None,
            producer_number: None,
        },
        inspector: ann.person(),
        catalog: "pmo-2011".into(),
        started_at: now,
        follows: Some(first),
    };
    ann.store.create_inspection(&header).unwrap();
    ann.sync().unwrap();
    assert!(!owed(due + Duration::days(1)), "followed up");
}

/// Two tanks sampled the same day count as one averaged result (MMSR L8245-8247), and a
/// plant's product is judged by the plant's standard, not the farm's.
#[test]
fn same_day_tanks_are_averaged_and_products_meet_the_plant_standard() {
    let server = TestServer::start();
    let url = server.url();
    let sue = token(&server, "sue");
    let today = Utc::now().date_naive();
    let day = |n: i64| (today - Duration::days(n)).to_string();
    let header = "lab_number,sample_date,subject_id,standard,value\n";
    // farm-6 (one of its last four over in the demo) gets two tanks on one day: 40,000 and
    // 150,000 average 95,000 — counted apart, the 150,000 would make 2 of the last 4
    let tanks = format!(
        "{header}55001,{d},farm-6,bacteria,40000\n55001,{d},farm-6,bacteria,150000\n\
         55001,{e},plant-1,bacteria,50000\n55001,{d},plant-1,bacteria,45000\n",
        d = day(2),
        e = day(20)
    );
    let (status, body) = post_csv(&url, &sue, &tanks);
    assert_eq!(status, 200, "{body}");
    let b = board(&server, &sue, &today.to_string());
    let breaches: Vec<(String, String)> = b["lab_breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["breach"] != "sampling_frequency")
        .map(|l| {
            (
                l["subject_id"].as_str().unwrap().to_string(),
                l["breach"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        !breaches.iter().any(|(s, _)| s == "farm-6"),
        "one averaged day within the standard: {breaches:?}"
    );
    // 50,000 and 45,000 are within a farm's 100,000 but over a pasteurized product's 20,000
    assert!(
        breaches.contains(&("plant-1".into(), "warning_letter".into())),
        "{breaches:?}"
    );
}
