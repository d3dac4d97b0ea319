//! One rule, one home (issue 13): figures the tablet, the agency record, the review pages and
//! the producer's report each show come from one function in `shared`, so they are equal.

use milkshed_app::device::report::report_lines;
use milkshed_shared::document::{Header, InspectionKind, ItemState, Person, Subject, SubjectKind};
use milkshed_shared::rating::inspection::inspection_debits;
use milkshed_tests::{now, TestDevice, TestServer, WebClient};
use uuid::Uuid;

fn violated(points: Option<u32>, products: &[&str]) -> ItemState {
    ItemState::Violated {
        points,
        products: products.iter().map(|p| p.to_string()).collect(),
    }
}

/// A plant inspection by Sue (a supervisor inspects plants too) with one whole-plant debit and
/// a partial debit against one product.
fn plant_inspection(sue: &mut TestDevice) -> milkshed_shared::ids::InspectionId {
    let header = Header {
        id: milkshed_shared::ids::InspectionId::new_v7(),
        kind: InspectionKind::Plant,
        agency: sue.enrollment.agency.clone(),
        subject: Subject {
            kind: SubjectKind::Plant,
            id: "plant-1".into(),
            name: "Plant one".into(),
            permit: None,
            producer_number: None,
        },
        inspector: Person {
            id: sue.enrollment.user_id.clone().into(),
            name: sue.enrollment.user_name.clone(),
        },
        catalog: "pmo-2011".into(),
        started_at: now(),
        follows: None,
    };
    let id = sue.store.create_inspection(&header).unwrap();
    sue.store
        .edit(id, &now(), |d| d.set_product("Tubs", 7_000, &now()))
        .unwrap();
    for (item, state) in [
        ("1", violated(None, &[])),
        ("19", violated(None, &["Tubs"])),
    ] {
        sue.store
            .edit(id, &now(), |d| d.set_finding(item, &state, &now()))
            .unwrap();
    }
    id
}

#[test]
fn total_debits_are_one_figure_on_the_tablet_the_record_the_page_and_the_report() {
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let farm = ann.inspect_farm("farm-7", &["3", "4", "15A", "15B"]);
    ann.store
        .edit(farm, &now(), |d| {
            d.set_finding("8", &violated(Some(2), &[]), &now())
        })
        .unwrap();
    ann.sync().unwrap();
    let mut sue = TestDevice::enroll(&server.url(), "sue");
    let plant = plant_inspection(&mut sue);
    sue.sync().unwrap();
    let mut web = WebClient::new(&server.url());
    web.login("demo", "sam", "milkshed-demo");
    for (dev, id) in [(&mut ann, farm), (&mut sue, plant)] {
        let i = dev.store.inspection(id).unwrap();
        let d = inspection_debits(&i).unwrap();
        assert!(d.total > 0);
        // the agency record
        let stored: i64 = server
            .db()
            .query_row(
                "SELECT total_debits FROM inspections WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, i64::from(d.total), "{:?}", i.header.kind);
        // the review page
        let page = web.get(&format!("/review/inspections/{id}")).body;
        let shown = page
            .split("id=\"total-debits\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .unwrap();
        assert_eq!(shown, d.total.to_string());
        // the producer's report
        let lines = report_lines(&i);
        assert!(
            lines
                .iter()
                .any(|(_, l)| l == &format!("Total Debits: {}", d.total)),
            "{lines:?}"
        );
        for (product, debits) in &d.products {
            assert!(lines
                .iter()
                .any(|(_, l)| l == &format!("Debits against {product} only: {debits}")));
        }
    }
    // the plant's partial debit is not in its whole-plant Total Debits
    let d = inspection_debits(&sue.store.inspection(plant).unwrap()).unwrap();
    assert_eq!(d.products.len(), 1);
    assert!(d.products[0].1 > 0);
}

/// Sets the demo agency's time zone, as its administrator would.
fn set_time_zone(server: &TestServer, zone: &str) {
    milkshed_sync_server::service::registry::set_agency(
        &server.db(),
        "demo",
        &milkshed_sync_server::service::registry::AgencyChange {
            reference_edition: None,
            time_zone: Some(zone),
            home_state: None,
            retention_months: None,
        },
    )
    .unwrap();
}

/// For each facility of a device's reference data, whether the work list says its routine
/// inspection is overdue on `today`.
fn tablet_overdue(
    dev: &TestDevice,
    today: chrono::NaiveDate,
) -> std::collections::BTreeSet<String> {
    use milkshed_app::device::work;
    use milkshed_shared::briefcase;
    let mut out = std::collections::BTreeSet::new();
    for table in [briefcase::FARMS, briefcase::PLANTS, briefcase::HAULERS] {
        for f in work::facilities(&dev.store, table).unwrap() {
            if work::routine_due(&f, table).is_some_and(|d| today > d) {
                out.insert(f.id.to_string());
            }
        }
    }
    out
}

fn board_overdue(
    server: &TestServer,
    token: &str,
    today: chrono::NaiveDate,
) -> std::collections::BTreeSet<String> {
    let (status, board) =
        milkshed_tests::get_json(&server.url(), token, &format!("/api/board?today={today}"));
    assert_eq!(status, 200, "{board}");
    board["overdue_inspections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["facility_id"].as_str().unwrap().to_string())
        .collect()
}

/// The reinspections a device's work list owes past their due date on `today`.
fn tablet_reinspections(
    dev: &mut TestDevice,
    today: chrono::NaiveDate,
) -> std::collections::BTreeSet<(String, String)> {
    milkshed_app::device::work::reinspections_owed(&mut dev.store)
        .into_iter()
        .filter(|(_, _, due)| today > *due)
        .map(|(id, _, due)| (id.to_string(), due.to_string()))
        .collect()
}

/// The board of `today`.
fn board(server: &TestServer, token: &str, today: Option<chrono::NaiveDate>) -> serde_json::Value {
    let path = match today {
        Some(d) => format!("/api/board?today={d}"),
        None => "/api/board".to_string(),
    };
    let (status, board) = milkshed_tests::get_json(&server.url(), token, &path);
    assert_eq!(status, 200, "{board}");
    board
}

fn board_reinspections(board: &serde_json::Value) -> std::collections::BTreeSet<(String, String)> {
    board["reinspections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["overdue"].as_bool().unwrap())
        .map(|l| {
            (
                l["inspection_id"].as_str().unwrap().to_string(),
                l["due"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Per facility, the worst the lab ledger calls for: 1 a written notice, 2 a suspension.
fn board_lab(board: &serde_json::Value) -> std::collections::BTreeMap<String, u8> {
    let mut out = std::collections::BTreeMap::new();
    for l in board["lab_breaches"].as_array().unwrap() {
        let rank = match l["breach"].as_str().unwrap() {
            "warning_letter" => 1,
            "suspension" => 2,
            _ => continue,
        };
        let e = out
            .entry(l["subject_id"].as_str().unwrap().to_string())
            .or_insert(0);
        *e = (*e).max(rank);
    }
    out
}

fn tablet_lab(
    dev: &TestDevice,
    today: chrono::NaiveDate,
) -> std::collections::BTreeMap<String, u8> {
    use milkshed_app::device::work;
    use milkshed_shared::briefcase;
    let mut out = std::collections::BTreeMap::new();
    for f in work::facilities(&dev.store, briefcase::FARMS).unwrap() {
        if let Some(w) = work::lab_warning(&dev.store, f.id.as_str(), today) {
            out.insert(
                f.id.to_string(),
                if w.contains("suspension") { 2 } else { 1 },
            );
        }
    }
    out
}

fn board_suspended(board: &serde_json::Value) -> std::collections::BTreeSet<String> {
    board["suspended_permits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["facility_id"].as_str().unwrap().to_string())
        .collect()
}

fn tablet_suspended(dev: &TestDevice) -> std::collections::BTreeSet<String> {
    use milkshed_app::device::work;
    use milkshed_shared::briefcase;
    use milkshed_shared::registry::PermitStatus;
    let mut out = std::collections::BTreeSet::new();
    for table in [briefcase::FARMS, briefcase::PLANTS, briefcase::HAULERS] {
        for f in work::facilities(&dev.store, table).unwrap() {
            let status = f.permit_status.as_deref().and_then(PermitStatus::parse);
            if status.is_some_and(|s| !s.grade_a_sale_allowed()) {
                out.insert(f.id.to_string());
            }
        }
    }
    out
}

#[test]
fn the_tablet_and_the_board_owe_the_same_inspections_and_an_inspection_moves_both() {
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    ann.sync().unwrap();
    let token = ann.enrollment.token.clone();
    // on many days around the demo's dates, across month ends: the two views agree
    let today = chrono::Utc::now().date_naive();
    for offset in [-40i64, -1, 0, 1, 29, 30, 31, 60, 120, 200, 400] {
        let day = today + chrono::Duration::days(offset);
        assert_eq!(
            tablet_overdue(&ann, day),
            board_overdue(&server, &token, day),
            "on {day}"
        );
    }
    // a farm owed on a day three months out: Ann inspects it today on one tablet...
    let later = today + chrono::Duration::days(200);
    let owed = board_overdue(&server, &token, later);
    let farm = owed
        .iter()
        .find(|id| id.starts_with("farm-"))
        .unwrap()
        .clone();
    let id = ann.inspect_farm(&farm, &[]);
    ann.sign_and_submit(id);
    ann.sync().unwrap();
    // ...and her second tablet, after its next sync, no longer lists it, as the board does not
    let mut second = TestDevice::enroll(&server.url(), "ann");
    second.sync().unwrap();
    assert!(!board_overdue(&server, &token, later).contains(&farm));
    assert!(!tablet_overdue(&second, later).contains(&farm));
    assert_eq!(
        tablet_overdue(&second, later),
        board_overdue(&server, &token, later)
    );
}

#[test]
fn a_lab_import_that_makes_two_of_four_over_warns_on_the_tablet_after_sync() {
    use milkshed_app::device::work::lab_warning;
    let server = TestServer::start();
    let sue = TestDevice::enroll(&server.url(), "sue");
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    ann.sync().unwrap();
    let today = chrono::Utc::now().date_naive();
    let warning = |ann: &TestDevice| lab_warning(&ann.store, "farm-3", today);
    assert_eq!(warning(&ann), None, "the demo's farm-3 owes nothing");
    // two fresh counts over 100,000: at least 2 of the last 4 over
    let day = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let csv = format!(
        "lab_number,sample_date,subject_id,standard,value\n55001,{},farm-3,bacteria,150000\n55001,{},farm-3,bacteria,240000\n",
        day(9),
        day(2)
    );
    let (status, body) = milkshed_tests::post_lab_csv(&server.url(), &sue.enrollment.token, &csv);
    assert_eq!(status, 200, "{body}");
    assert!(ann.sync().unwrap().reference_updated);
    let w = warning(&ann).expect("the tablet shows the ledger's warning");
    // (the demo's own earlier count over makes it 3 of the last 5: the ledger's worse verdict)
    assert!(
        w.contains("bacteria") && (w.contains("2 of last 4") || w.contains("3 of last 5")),
        "{w}"
    );
}

#[test]
fn the_briefcase_comes_down_as_a_delta_by_version() {
    use milkshed_shared::sync::{self, SyncRequest, SyncResponse};
    let server = TestServer::start();
    let sue = TestDevice::enroll(&server.url(), "sue");
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    ann.sync().unwrap();
    let farms = ann.store.reference_count("farm").unwrap();
    let held: u64 = ann
        .store
        .setting("reference_version")
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    // one farm changes in the registry
    let (status, body) = milkshed_tests::post_json(
        &server.url(),
        &sue.enrollment.token,
        "/api/facilities/farm-5/pounds",
        &serde_json::json!({"pounds_daily": 4321, "effective_on": "2026-11-30"}),
    );
    assert_eq!(status, 200, "{body}");
    // what the server would send: that farm alone, after the version the device holds
    let req = SyncRequest {
        protocol: sync::PROTOCOL_VERSION,
        request_id: Uuid::now_v7(),
        docs: vec![],
        reference_version: held,
    };
    let resp = milkshed_tests::agent()
        .post(&format!("{}/api/sync", server.url()))
        .header("authorization", &format!("Bearer {}", ann.enrollment.token))
        .send(&sync::encode(&req)[..])
        .unwrap();
    let reply: SyncResponse = sync::decode(&resp.into_body().read_to_vec().unwrap()).unwrap();
    let delta = reply.reference.unwrap();
    assert_eq!(delta.since, held);
    let ids: Vec<&str> = delta.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["farm-5"]);
    // the device applies it and keeps everything else
    assert!(ann.sync().unwrap().reference_updated);
    assert_eq!(ann.store.reference_count("farm").unwrap(), farms);
    assert_eq!(
        ann.store.reference("farm", "farm-5").unwrap().unwrap()["pounds_sold_daily"],
        4321
    );
    // nothing changed since: nothing comes down
    assert!(!ann.sync().unwrap().reference_updated);
}

/// Random registries (farms with and without a last inspection and an Appendix P category,
/// plants and stations of every kind, haulers), inspections synced and sent in, a device
/// synced: on days across month ends and years, its work list owes exactly what the board
/// owes, facility by facility. Seeded, so a failure names its case.
#[test]
fn on_any_day_the_work_list_is_the_boards_view_of_the_same_rule() {
    use rand::{Rng, SeedableRng};
    let kinds = [
        "milk_plant",
        "receiving_station",
        "transfer_station",
        "aseptic_plant",
        "condensed_dry_plant",
    ];
    // how often each view had something to agree on (a sweep of empty sets proves nothing)
    let (mut seen_reinspections, mut seen_lab, mut seen_suspended) = (0, 0, 0);
    for case in 0..6u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(case);
        let server = TestServer::start();
        let sue = TestDevice::enroll(&server.url(), "sue");
        let today = chrono::Utc::now().date_naive();
        let date = |rng: &mut rand_chacha::ChaCha8Rng| {
            today - chrono::Duration::days(rng.gen_range(0..800))
        };
        let mut facilities = Vec::new();
        for n in 0..rng.gen_range(3..9) {
            let (kind, extra) = match rng.gen_range(0..4) {
                0 | 1 => (
                    "dairy_farm",
                    serde_json::json!({"number": format!("77-{case}{n:03}"), "listing": "btu-1"}),
                ),
                2 => (
                    kinds[rng.gen_range(0..kinds.len())],
                    serde_json::json!({"number": format!("{}", 500 + n)}),
                ),
                _ => ("hauler", serde_json::json!({})),
            };
            let id = format!("case{case}-{n}");
            let mut body = serde_json::json!({"id": id, "kind": kind, "name": format!("Facility {case}-{n}"), "permit_state": "WI",
                "permit": {"number": format!("P-{case}-{n}"), "issued_on": "2020-01-01"}});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            if rng.gen_bool(0.7) {
                body["last_inspection"] = date(&mut rng).to_string().into();
            }
            let (status, answer) = milkshed_tests::post_json(
                &server.url(),
                &sue.enrollment.token,
                "/api/facilities",
                &body,
            );
            assert_eq!(status, 200, "case {case}: {answer}");
            if kind == "dairy_farm" && rng.gen_bool(0.5) {
                let category = [3, 4, 6, 12][rng.gen_range(0..4)];
                let on = date(&mut rng);
                let (status, answer) = milkshed_tests::post_json(
                    &server.url(),
                    &sue.enrollment.token,
                    &format!("/api/facilities/{id}/appendix-p"),
                    &serde_json::json!({"category": category, "effective_on": on.to_string()}),
                );
                assert_eq!(status, 200, "case {case}: {answer}");
            }
            facilities.push((id, kind));
        }
        // the agency's calendar: a zone whose day may differ from UTC's
        let zone = [
            "America/Chicago",
            "Pacific/Kiritimati",
            "Pacific/Pago_Pago",
            "UTC",
        ][rng.gen_range(0..4)];
        set_time_zone(&server, zone);
        // lab series (some making 2 of 4 or 3 of 5 over) and permit changes
        let mut csv = String::from("lab_number,sample_date,subject_id,standard,value\n");
        for (id, kind) in &facilities {
            if *kind == "dairy_farm" && rng.gen_bool(0.6) {
                for _ in 0..rng.gen_range(1..6) {
                    let on = today - chrono::Duration::days(rng.gen_range(1..90));
                    let count = if rng.gen_bool(0.5) { 150_000 } else { 20_000 };
                    csv.push_str(&format!("55001,{on},{id},bacteria,{count}\n"));
                }
            }
            if rng.gen_bool(0.25) {
                let (_, detail) = milkshed_tests::get_json(
                    &server.url(),
                    &sue.enrollment.token,
                    &format!("/api/facilities/{id}"),
                );
                let permit = detail["permits"][0]["id"].as_str().unwrap().to_string();
                let (status, answer) = milkshed_tests::post_json(
                    &server.url(),
                    &sue.enrollment.token,
                    &format!("/api/permits/{permit}/status"),
                    &serde_json::json!({"status": "suspended", "effective_on": (today - chrono::Duration::days(3)).to_string(), "reason": "sweep"}),
                );
                assert_eq!(status, 200, "case {case}: {answer}");
            }
        }
        let resp = milkshed_tests::agent()
            .post(&format!("{}/api/lab-results", server.url()))
            .header("authorization", &format!("Bearer {}", sue.enrollment.token))
            .header("content-type", "text/csv")
            .send(csv.as_bytes())
            .unwrap();
        assert!(
            resp.status().as_u16() == 200 || !csv.contains(",bacteria,"),
            "case {case}: lab import refused"
        );
        // some farms inspected today and sent in, some with a violation (a reinspection owed)
        let mut ann = TestDevice::enroll(&server.url(), "ann");
        let mut sent = Vec::new();
        for (id, kind) in &facilities {
            if *kind == "dairy_farm" && rng.gen_bool(0.4) {
                let items: &[&str] = if rng.gen_bool(0.5) { &["3"] } else { &[] };
                let i = ann.inspect_farm(id, items);
                ann.sign_and_submit(i);
                sent.push(i);
            }
        }
        ann.sync().unwrap();
        // the supervisor accepts some and returns some on the review pages
        let mut web = WebClient::new(&server.url());
        web.login("demo", "sue", milkshed_sync_server::service::demo::PASSWORD);
        for i in &sent {
            if rng.gen_bool(0.5) {
                let page = format!("/review/inspections/{i}");
                assert_eq!(web.get(&page).status, 200);
                let decision = if rng.gen_bool(0.5) {
                    [("decision", "accept"), ("comment", "")]
                } else {
                    [("decision", "return"), ("comment", "see me")]
                };
                let a = web.submit(&format!("{page}/review"), &decision);
                assert!(a.status < 400, "case {case}: {}", a.body);
            }
        }
        // her second tablet, and a tablet that holds none of her inspections
        let mut device = TestDevice::enroll(&server.url(), "ann");
        device.sync().unwrap();
        let mut other = TestDevice::enroll(&server.url(), "sam");
        other.sync().unwrap();
        let token = device.enrollment.token.clone();
        let ours =
            |m: std::collections::BTreeMap<String, u8>| -> std::collections::BTreeMap<String, u8> {
                m.into_iter()
                    .filter(|(k, _)| k.starts_with("case"))
                    .collect()
            };
        let b = board(&server, &token, None);
        assert_eq!(
            b["today"].as_str().unwrap(),
            milkshed_app::device::work::agency_today(&device.store).to_string(),
            "case {case}: the tablet's day is the board's ({zone})"
        );
        assert_eq!(
            tablet_suspended(&device),
            board_suspended(&b),
            "case {case}"
        );
        seen_suspended += tablet_suspended(&device)
            .iter()
            .filter(|f| f.starts_with("case"))
            .count();
        for _ in 0..6 {
            let day = today + chrono::Duration::days(rng.gen_range(-30..900));
            for d in [
                day,
                crate_month_end(day),
                crate_month_end(day) + chrono::Duration::days(1),
            ] {
                let b = board(&server, &token, Some(d));
                assert_eq!(
                    tablet_overdue(&device, d),
                    board_overdue(&server, &token, d),
                    "case {case}, on {d}"
                );
                assert_eq!(tablet_overdue(&other, d), board_overdue(&server, &token, d));
                assert_eq!(
                    tablet_reinspections(&mut device, d),
                    board_reinspections(&b),
                    "case {case}, reinspections on {d}"
                );
                assert_eq!(
                    tablet_reinspections(&mut other, d),
                    board_reinspections(&b),
                    "case {case}, reinspections known only from the briefcase, on {d}"
                );
                assert_eq!(
                    ours(tablet_lab(&device, d)),
                    ours(board_lab(&b)),
                    "case {case}, lab ledger on {d}"
                );
                seen_reinspections += board_reinspections(&b).len();
                seen_lab += ours(board_lab(&b)).len();
            }
        }
    }
    assert!(
        seen_reinspections > 0 && seen_lab > 0 && seen_suspended > 0,
        "the sweep compared empty views: {seen_reinspections} {seen_lab} {seen_suspended}"
    );
}

#[test]
fn a_reinspection_owed_and_the_last_violations_reach_another_tablet() {
    use milkshed_app::device::work;
    use milkshed_shared::briefcase;
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    ann.sync().unwrap();
    let id = ann.inspect_farm("farm-4", &["3", "2A"]);
    ann.sign_and_submit(id);
    ann.sync().unwrap();
    // a tablet that never held the inspection knows what is owed and what was found
    let mut other = TestDevice::enroll(&server.url(), "sam");
    other.sync().unwrap();
    let owed = work::reinspections_owed(&mut other.store);
    assert!(owed.iter().any(|(i, _, _)| *i == id), "{owed:?}");
    let farm = work::facilities(&other.store, briefcase::FARMS)
        .unwrap()
        .into_iter()
        .find(|f| f.id == "farm-4")
        .unwrap();
    let items: Vec<&str> = farm
        .last_violations
        .iter()
        .map(|v| v.item.as_str())
        .collect();
    assert_eq!(items, ["2A", "3"]);
    // a reinspection started there names the facility from the briefcase and ends the debt
    let subject = work::owed_subject(&other.store, id).expect("the briefcase names the farm");
    assert_eq!(subject.id, "farm-4");
    // the supervisor returns it on the review pages: nothing is owed on any tablet after sync
    let mut web = WebClient::new(&server.url());
    web.login("demo", "sue", milkshed_sync_server::service::demo::PASSWORD);
    let page = format!("/review/inspections/{id}");
    assert_eq!(web.get(&page).status, 200);
    let a = web.submit(
        &format!("{page}/review"),
        &[("decision", "return"), ("comment", "redo item 3")],
    );
    assert!(a.status < 400, "{}", a.body);
    assert!(
        ann.sync().unwrap().reference_updated,
        "a review bumps the briefcase"
    );
    other.sync().unwrap();
    assert!(!work::reinspections_owed(&mut ann.store)
        .iter()
        .any(|(i, _, _)| *i == id));
    assert!(!work::reinspections_owed(&mut other.store)
        .iter()
        .any(|(i, _, _)| *i == id));
}

fn crate_month_end(d: chrono::NaiveDate) -> chrono::NaiveDate {
    milkshed_shared::calendar::month_end(d)
}

#[test]
fn a_shipping_hold_and_an_open_action_reach_the_farm_gate() {
    use milkshed_app::device::work;
    use milkshed_shared::briefcase;
    let server = TestServer::start();
    let sue = TestDevice::enroll(&server.url(), "sue");
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    ann.sync().unwrap();
    let farm = |ann: &TestDevice| {
        work::facilities(&ann.store, briefcase::FARMS)
            .unwrap()
            .into_iter()
            .find(|f| f.id == "farm-9")
            .unwrap()
    };
    assert!(!farm(&ann).shipping_hold);
    let before = farm(&ann).open_actions.len();
    let (status, body) = milkshed_tests::post_json(
        &server.url(),
        &sue.enrollment.token,
        "/api/residue-events",
        &serde_json::json!({"producer_id": "farm-9", "sampled_on": "2026-11-20", "time": "06:40", "load": false,
            "plant": "I.M.A. Dairy", "test_method": "Charm SL", "result": "positive beta-lactam"}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = milkshed_tests::post_json(
        &server.url(),
        &sue.enrollment.token,
        "/api/actions",
        &serde_json::json!({"subject_id": "farm-9", "kind": "warning_letter", "issued_on": "2026-11-21", "cause": "residue positive 2026-11-20"}),
    );
    assert_eq!(status, 200, "{body}");
    assert!(ann.sync().unwrap().reference_updated);
    let f = farm(&ann);
    assert!(f.shipping_hold, "held until a negative result (Appendix N)");
    assert_eq!(f.open_actions.len(), before + 1);
    let a = f.open_actions.last().unwrap();
    assert_eq!(a.kind, "warning_letter");
    assert_eq!(a.due_on.unwrap().to_string(), "2026-12-12");
}

#[test]
fn the_tablet_runs_its_day_on_the_agencys_calendar() {
    use chrono::Timelike;
    use milkshed_app::device::work;
    let server = TestServer::start();
    // a zone whose date differs from UTC's right now, so the device's own clock would be wrong
    let now = chrono::Utc::now();
    let zone = if now.hour() >= 10 {
        "Pacific/Kiritimati"
    } else {
        "Pacific/Pago_Pago"
    };
    set_time_zone(&server, zone);
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    ann.sync().unwrap();
    let tz = milkshed_shared::calendar::time_zone(zone).unwrap();
    let expected = milkshed_shared::calendar::civil_date(chrono::Utc::now(), tz);
    assert_eq!(work::agency_today(&ann.store), expected);
    assert_ne!(
        expected,
        chrono::Utc::now().date_naive(),
        "{zone} is a day away from UTC now"
    );
}
