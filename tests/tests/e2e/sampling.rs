//! Sampling surveillance end to end: only a certified SSO or a delegated official evaluates
//! hauler/samplers — refused on the device and by the server with the rule's sentence — and a
//! delegation is earned by comparison evaluations recorded through the API.

use milkshed_app::device::work;
use milkshed_shared::ids::InspectionId;
use milkshed_shared::sampling::EvaluatingAs;
use milkshed_shared::sampling::Outcome;
use milkshed_sync_server::db;
use milkshed_sync_server::service::{auth, demo};
use milkshed_tests::{now, post_json, TestDevice, TestServer};

/// A second evaluator, `gil`, with no certificate and no delegation.
fn add_gil(server: &TestServer) -> String {
    let hash = auth::hash_password(demo::PASSWORD).unwrap();
    db::add_user(
        &server.db(),
        demo::AGENCY,
        "gil",
        "Gil Sorensen",
        auth::Role::HaulerSamplerEvaluator,
        &hash,
    )
    .unwrap()
}

fn evaluation(dev: &mut TestDevice) -> InspectionId {
    dev.hauler_evaluation(
        ("hauler-2", "Rita Vogel", "BH-5502"),
        "14d",
        Outcome::Satisfactory,
    )
}

fn comparison(sso: &str, kind: &str, on: &str, agree: bool) -> serde_json::Value {
    // items of the sampler's own form: FORM FDA 2399a for a hauler, 2399 for a plant sampler
    let (kept, judged) = if kind == "bulk_milk_hauler_sampler" {
        ("2", "14d")
    } else {
        ("1a", "10")
    };
    let candidate = if agree { "deviation" } else { "compliant" };
    serde_json::json!({
        "sso_user_id": sso,
        "sampler_kind": kind,
        "sampler_id": "hauler-1",
        "evaluated_on": on,
        "sso_marks": {kept: "compliant", judged: "deviation"},
        "candidate_marks": {kept: "compliant", judged: candidate},
    })
}

#[test]
fn an_evaluator_without_certificate_or_delegation_is_refused_on_both_sides() {
    let server = TestServer::start();
    let gil_id = add_gil(&server);
    let mut gil = TestDevice::enroll(&server.url(), "gil");
    gil.sync().unwrap();
    let today = work::agency_today(&gil.store);
    let why = work::may_evaluate(&gil.store, &gil_id, today).unwrap_err();
    assert!(
        why.contains("Sampling Surveillance Officer") && why.contains("MMSR L8673-8676"),
        "{why}"
    );
    // a tampered app sends one anyway: the server refuses it with the same rule
    let id = evaluation(&mut gil);
    let report = gil.sync().unwrap();
    let (_, reason) = report
        .rejected
        .iter()
        .find(|(r, _)| *r == id)
        .expect("refused by the server");
    assert!(
        reason.contains("neither an FDA SSO certificate nor a delegation"),
        "{reason}"
    );
    let stored: i64 = server
        .db()
        .query_row(
            "SELECT count(*) FROM inspections WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0, "nothing of it reached the record");
    // Hal, the demo's certified SSO, may
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    let hal_id = hal.enrollment.user_id.clone();
    assert_eq!(
        work::may_evaluate(&hal.store, &hal_id, today),
        Ok(EvaluatingAs::CertifiedSso)
    );
    let id = evaluation(&mut hal);
    assert!(hal.sync().unwrap().rejected.is_empty());
    let stored: String = server
        .db()
        .query_row(
            "SELECT status FROM inspections WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, "submitted");
}

#[test]
fn comparison_evaluations_earn_a_delegation_that_reaches_the_device() {
    let server = TestServer::start();
    let gil_id = add_gil(&server);
    let sue = TestDevice::enroll(&server.url(), "sue");
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    let hal_id = hal.enrollment.user_id.clone();
    let token = &sue.enrollment.token;
    let post = |body: &serde_json::Value| {
        post_json(
            &server.url(),
            token,
            &format!("/api/evaluators/{gil_id}/comparisons"),
            body,
        )
    };
    // an SSO without a valid certificate cannot be compared with
    let (status, answer) = post(&comparison(
        &gil_id,
        "bulk_milk_hauler_sampler",
        "2026-11-02",
        true,
    ));
    assert_eq!(status, 400, "{answer}");
    // a sanitarian's device may not record them
    let ann = TestDevice::enroll(&server.url(), "ann");
    let (status, _) = post_json(
        &server.url(),
        &ann.enrollment.token,
        &format!("/api/evaluators/{gil_id}/comparisons"),
        &comparison(&hal_id, "bulk_milk_hauler_sampler", "2026-11-02", true),
    );
    assert_eq!(status, 403);
    // four haulers, one with a disagreement on 14d, a plant and an industry sampler: not yet
    for (n, agree) in [(2, true), (3, true), (4, false), (5, true)] {
        let (status, answer) = post(&comparison(
            &hal_id,
            "bulk_milk_hauler_sampler",
            &format!("2026-11-0{n}"),
            agree,
        ));
        assert_eq!(status, 200, "{answer}");
        assert!(answer["delegation"].is_null());
    }
    for kind in ["dairy_plant_sampler", "industry_plant_sampler"] {
        let (status, answer) = post(&comparison(&hal_id, kind, "2026-11-06", true));
        assert_eq!(status, 200, "{answer}");
    }
    let (_, answer) = post(&comparison(
        &hal_id,
        "bulk_milk_hauler_sampler",
        "2026-11-07",
        true,
    ));
    // the fifth hauler: 4 of 5 agree on 14d, exactly 80 % — delegated for three years
    assert_eq!(answer["delegation"]["granted_on"], "2026-11-07", "{answer}");
    assert_eq!(answer["delegation"]["valid_until"], "2029-11-07");
    let (status, view) =
        milkshed_tests::get_json(&server.url(), token, &format!("/api/evaluators/{gil_id}"));
    assert_eq!(status, 200);
    assert_eq!(view["delegation"]["valid_until"], "2029-11-07");
    // the records are append-only
    assert!(server.db().execute("DELETE FROM delegations", []).is_err());
    // gil's device learns it in its next sync, and the server takes its evaluation
    let mut gil = TestDevice::enroll(&server.url(), "gil");
    gil.sync().unwrap();
    let today = work::agency_today(&gil.store);
    assert_eq!(
        work::may_evaluate(&gil.store, &gil_id, today),
        Ok(EvaluatingAs::DelegatedOfficial)
    );
    evaluation(&mut gil);
    assert!(gil.sync().unwrap().rejected.is_empty());
}

#[test]
fn an_unsatisfactory_evaluation_brings_the_next_one_forward_on_the_board_and_the_tablet() {
    use milkshed_shared::briefcase;
    let server = TestServer::start();
    let sue = TestDevice::enroll(&server.url(), "sue");
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    let today = work::agency_today(&hal.store);
    let by = today + chrono::Duration::days(10);
    // a satisfactory evaluation, then a later one that is not: re-evaluate in ten days
    let first = evaluation(&mut hal);
    let mut h = hal.store.inspection(first).unwrap().header;
    h.id = InspectionId::new_v7();
    h.started_at = now() + chrono::Duration::minutes(5);
    let later = hal.store.create_inspection(&h).unwrap();
    hal.store
        .edit(later, &now(), |d| {
            d.set_outcome(Outcome::Unsatisfactory { reevaluate_by: by }, &now())
        })
        .unwrap();
    hal.sign_and_submit(later);
    assert!(hal.sync().unwrap().rejected.is_empty());
    // the board, after the re-evaluation date, owes hauler-2 with that date and its rule
    let after = by + chrono::Duration::days(1);
    let (status, board) = milkshed_tests::get_json(
        &server.url(),
        &sue.enrollment.token,
        &format!("/api/board?today={after}"),
    );
    assert_eq!(status, 200, "{board}");
    let line = board["overdue_inspections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["facility_id"] == "hauler-2")
        .unwrap_or_else(|| panic!("hauler-2 owed: {board}"));
    assert_eq!(line["due"], by.to_string());
    assert!(
        line["rule"].as_str().unwrap().contains("re-evaluation"),
        "{line}"
    );
    // the tablet's due list, after its sync, says the same date
    hal.sync().unwrap();
    let rita = work::facilities(&hal.store, briefcase::HAULERS)
        .unwrap()
        .into_iter()
        .find(|f| f.id == "hauler-2")
        .unwrap();
    assert_eq!(work::routine_due(&rita, briefcase::HAULERS), Some(by));
}

fn supervisor_web(server: &TestServer) -> milkshed_tests::WebClient {
    let mut web = milkshed_tests::WebClient::new(&server.url());
    let a = web.login(demo::AGENCY, "sue", demo::PASSWORD);
    assert_eq!(a.status, 303, "{}", a.body);
    web
}

/// What a page holds between `open` and the next `close`.
fn within<'a>(body: &'a str, open: &str, close: &str) -> &'a str {
    let start = body
        .find(open)
        .unwrap_or_else(|| panic!("{open} in {body}"))
        + open.len();
    let end = start + body[start..].find(close).unwrap_or(body.len() - start);
    &body[start..end]
}

fn at(day: chrono::NaiveDate, time: &str) -> chrono::DateTime<chrono::FixedOffset> {
    // a Central time pick-up: its local day, not the UTC one, is the evaluation's day
    chrono::DateTime::parse_from_rfc3339(&format!("{day}T{time}-06:00")).unwrap()
}

/// The annual notice holds every sampler and exactly the year's evaluations, by the pick-up's
/// local day (23:30 on 31 December in Wisconsin is 05:30 UTC on New Year's Day), and no draft;
/// the history card shows each evaluation with its items' text.
#[test]
fn the_annual_notice_holds_exactly_the_years_evaluations_and_the_card_all_of_them() {
    use chrono::Datelike;
    let server = TestServer::start();
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    let today = work::agency_today(&hal.store);
    let year = today.year();
    let new_year = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let eve = new_year.pred_opt().unwrap();
    let gus = ("hauler-1", "Gus Petersen", "BH-5501");
    let last_year =
        hal.hauler_evaluation_at(gus, "WI", "14d", Outcome::Satisfactory, at(eve, "23:30:00"));
    let first = hal.hauler_evaluation_at(
        gus,
        "WI",
        "9a",
        Outcome::Satisfactory,
        at(new_year, "00:10:00"),
    );
    let by = today + chrono::Duration::days(30);
    let latest = hal.hauler_evaluation_at(
        gus,
        "WI",
        "12a",
        Outcome::Unsatisfactory { reevaluate_by: by },
        now(),
    );
    // a draft is not on file
    let mut h = hal.store.inspection(latest).unwrap().header;
    h.id = InspectionId::new_v7();
    let draft = hal.store.create_inspection(&h).unwrap();
    assert!(hal.sync().unwrap().rejected.is_empty());

    let mut web = supervisor_web(&server);
    let csv = web.get(&format!("/review/samplers/notice.csv?year={year}"));
    assert_eq!(csv.status, 200, "{}", csv.body);
    let mut rows = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    let gus_days: Vec<String> = rows
        .iter()
        .filter(|r| &r[1] == "hauler-1")
        .map(|r| r[6].to_string())
        .collect();
    let mut expected = vec![new_year.to_string(), today.to_string()];
    expected.dedup();
    assert_eq!(gus_days, expected, "{}", csv.body);
    // every sampler of the registry is on it, evaluated or not
    for hauler in ["hauler-2", "hauler-3"] {
        assert!(
            rows.iter().any(|r| &r[1] == hauler),
            "{hauler}: {}",
            csv.body
        );
    }
    assert!(csv.body.contains("unsatisfactory"));
    let before = web.get(&format!("/review/samplers/notice.csv?year={}", year - 1));
    let before_days: Vec<String> = csv::Reader::from_reader(before.body.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[1] == "hauler-1")
        .map(|r| r[6].to_string())
        .collect();
    assert_eq!(before_days, vec![eve.to_string()]);
    let pdf = web.get(&format!("/review/samplers/notice.pdf?year={year}"));
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with("%PDF"));
    let page = web.get(&format!("/review/samplers?year={year}"));
    let evaluated = rows.iter().filter(|r| !r[6].is_empty()).count();
    assert!(
        page.body
            .contains(&format!("{evaluated} evaluations in {year}")),
        "{}",
        page.body
    );
    assert_eq!(web.get("/review/samplers?year=1").status, 400);
    // the same notice as JSON, for the office only
    let sue = TestDevice::enroll(&server.url(), "sue");
    let (status, notice) = milkshed_tests::get_json(
        &server.url(),
        &sue.enrollment.token,
        &format!("/api/samplers/notice?year={year}"),
    );
    assert_eq!(status, 200, "{notice}");
    let gus_json: Vec<&str> = notice["samplers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["facility_id"] == "hauler-1")
        .flat_map(|s| s["evaluations"].as_array().unwrap())
        .map(|e| e["evaluated_on"].as_str().unwrap())
        .collect();
    assert_eq!(gus_json, expected);
    let (status, _) = milkshed_tests::get_json(
        &server.url(),
        &hal.enrollment.token,
        &format!("/api/samplers/notice?year={year}"),
    );
    assert_eq!(
        status, 403,
        "an evaluator does not read the office's notice"
    );

    // the history card: all three, newest first, each item with its text; never the draft
    let page = web.get("/review/facilities/hauler-1");
    assert_eq!(page.status, 200);
    let card = within(&page.body, "<section id=\"history-card\">", "</section>");
    for id in [last_year, first, latest] {
        assert!(card.contains(&id.to_string()), "{id} on the card");
    }
    assert!(!card.contains(&draft.to_string()));
    assert!(card.contains("History card"));
    assert!(card.contains(&format!("re-evaluate by {by}")));
    let text_12a = milkshed_shared::sampling::SamplerKind::BulkMilkHaulerSampler
        .form()
        .text_of("12a")
        .unwrap();
    let escaped = text_12a
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    assert!(card.contains(&escaped), "{escaped}");
    assert!(
        card.contains(&format!("Next evaluation due by <strong>{by}</strong>")),
        "{card}"
    );
}

/// The same requirement out of compliance at two evaluations running puts the hauler/sampler
/// on the board until an action on the permit is recorded.
#[test]
fn a_repeat_violation_is_owed_action_on_the_board_until_one_is_recorded() {
    let server = TestServer::start();
    let sue = TestDevice::enroll(&server.url(), "sue");
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    let gus = ("hauler-1", "Gus Petersen", "BH-5501");
    let earlier = now() - chrono::Duration::days(60);
    hal.hauler_evaluation_at(gus, "WI", "14d", Outcome::Satisfactory, earlier);
    let again = hal.hauler_evaluation(gus, "14d", Outcome::Satisfactory);
    assert!(hal.sync().unwrap().rejected.is_empty());
    let board = |dev: &TestDevice| {
        let (status, b) =
            milkshed_tests::get_json(&server.url(), &dev.enrollment.token, "/api/board");
        assert_eq!(status, 200, "{b}");
        b["sampler_actions_owed"].as_array().unwrap().clone()
    };
    // (the demo's Tom Quist is owed one too)
    let owed: Vec<serde_json::Value> = board(&sue)
        .into_iter()
        .filter(|l| l["facility_id"] != "hauler-3")
        .collect();
    assert_eq!(owed.len(), 1, "{owed:?}");
    assert_eq!(owed[0]["facility_id"], "hauler-1");
    assert_eq!(owed[0]["evaluation_id"], again.to_string());
    assert_eq!(owed[0]["items"], serde_json::json!(["14d"]));
    let mut web = supervisor_web(&server);
    assert!(web
        .get("/review/board")
        .body
        .contains("repeat violations awaiting action"));
    assert!(web
        .get("/review/facilities/hauler-1")
        .body
        .contains("action on the permit and re-evaluation are owed"));
    let today = work::agency_today(&hal.store);
    let (status, a) = post_json(
        &server.url(),
        &sue.enrollment.token,
        "/api/actions",
        &serde_json::json!({"subject_id": "hauler-1", "kind": "warning_letter",
            "issued_on": today.to_string(), "cause": format!("repeat violation, evaluation {again}")}),
    );
    assert_eq!(status, 200, "{a}");
    assert!(board(&sue).iter().all(|l| l["facility_id"] != "hauler-1"));
}

/// FORM 2359j Section C from the hauler/samplers the rating visits identified: one permitted
/// and evaluated today, one permitted but last evaluated 800 days ago, one of another State the
/// record does not hold; named twice at two farms, counted once.
#[test]
fn section_c_is_counted_from_the_haulers_identified_at_the_rated_farms() {
    let server = TestServer::start();
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    hal.hauler_evaluation(
        ("hauler-1", "Gus Petersen", "BH-5501"),
        "14d",
        Outcome::Satisfactory,
    );
    assert!(hal.sync().unwrap().rejected.is_empty());
    let mut sam = TestDevice::enroll(&server.url(), "sam");
    sam.rating_visit_identifying(
        "farm-1",
        "Roy Harris",
        1700,
        &["3"],
        &[
            ("WI", "BH-5501", "Gus Petersen"),
            ("WI", "BH-5502", "Rita Vogel"),
        ],
    );
    sam.rating_visit_identifying(
        "farm-2",
        "James Henley",
        2100,
        &[],
        &[
            ("wi", "bh-5501", "Gus"),
            ("MN", "MN-H-9999", "Weekend driver"),
        ],
    );
    assert!(sam.sync().unwrap().rejected.is_empty());
    let mut web = supervisor_web(&server);
    let page = web.get("/review/ratings/btu-1");
    assert_eq!(page.status, 200, "{}", page.body);
    let json = within(&page.body, "<code id=\"section-c-json\">", "</code>");
    let rows: serde_json::Value = serde_json::from_str(&json.replace("&quot;", "\"")).unwrap();
    let c = |n: &str| {
        (
            rows[n]["number"].as_u64().unwrap(),
            rows[n]["complying"].as_u64().unwrap(),
        )
    };
    assert_eq!(c("4"), (3, 2), "{rows}");
    assert_eq!(c("5"), (3, 1), "{rows}");
    assert_eq!(c("6"), (1, 1), "{rows}");
    assert_eq!(c("7"), (3, 3), "{rows}");
    // Hal, the agency's one SSO, is certified; nobody holds a delegation
    assert_eq!(c("1"), (1, 1), "{rows}");
    assert_eq!(c("3"), (0, 0), "{rows}");
    assert!(
        page.body.contains("obtain the issuing agency"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("more than two years before"),
        "{}",
        page.body
    );
}

/// A record written before the sampler projections existed gets them when the server opens it:
/// the history card of an evaluation synced then is not blank.
#[test]
fn a_record_from_before_the_sampler_projections_is_projected_when_opened() {
    let server = TestServer::start();
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    let id = hal.hauler_evaluation(
        ("hauler-1", "Gus Petersen", "BH-5501"),
        "14d",
        Outcome::Satisfactory,
    );
    assert!(hal.sync().unwrap().rejected.is_empty());
    let conn = server.db();
    conn.execute_batch(&format!(
        // schema 8 as it was: neither the sampler projections (9), the desk's tables (10) nor
        // the IMS rating record (12)
        "DROP TABLE rating_replacements; DROP TABLE rating_days; DROP TABLE ims_ratings;
         DROP TABLE rating_overrides; DROP TABLE sro_certificates;
         DROP TABLE haulers_identified; DROP TABLE evaluation_pickups;
         DROP TABLE audit_log; DROP TABLE letter_approvals; DROP TABLE letters;
         DROP TABLE letter_templates; DROP TABLE outbox_attempts; DROP TABLE outbox;
         DROP TABLE assignments; ALTER TABLE users DROP COLUMN email;
         DROP INDEX inspections_conflicts; ALTER TABLE inspections DROP COLUMN conflicts;
         {}",
        match conn.dialect() {
            db::Dialect::Sqlite => "PRAGMA user_version = 8;",
            db::Dialect::Postgres => "DELETE FROM schema_version WHERE version > 8;",
        }
    ))
    .unwrap();
    let conn = db::open_at(&milkshed_tests::location_for(server.data_dir())).unwrap();
    let truck: String = conn
        .query_row(
            "SELECT tank_truck FROM evaluation_pickups WHERE inspection_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(truck, "T-17");
}

/// A hauler/sampler with another State's permit, typed in at the pick-up, is registered by the
/// server when the evaluation is sent in — under the id its permit makes, so the next device to
/// type it evaluates the same sampler; a made-up subject or a permit the registry holds under
/// another record is refused.
#[test]
fn a_sampler_typed_in_is_registered_when_the_evaluation_is_sent_in() {
    let server = TestServer::start();
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    let known = work::sampler_by_permit(&hal.store, "wi", " bh-5501", "").unwrap();
    assert_eq!(
        known.id, "hauler-1",
        "a permit the briefcase holds is its sampler"
    );
    assert!(work::sampler_by_permit(&hal.store, "Minn", "1", "Lars").is_err());
    assert!(work::sampler_by_permit(&hal.store, "MN", "", "Lars").is_err());
    let lars = work::sampler_by_permit(&hal.store, "mn", "MN-H-4410", "Lars Berg").unwrap();
    let permit = lars.permit.clone().unwrap();
    let id = hal.hauler_evaluation_at(
        (lars.id.as_str(), &lars.name, &permit),
        "MN",
        "14d",
        Outcome::Satisfactory,
        now(),
    );
    assert!(hal.sync().unwrap().rejected.is_empty());
    let mut web = supervisor_web(&server);
    let page = web.get(&format!("/review/facilities/{}", lars.id));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("MN-H-4410"));
    assert!(
        page.body.contains("issuing agency&#39;s records")
            || page.body.contains("issuing agency's records")
    );
    let card = within(&page.body, "<section id=\"history-card\">", "</section>");
    assert!(card.contains(&id.to_string()));
    // the next sync brings the sampler to the briefcase: typing the permit again finds it
    hal.sync().unwrap();
    let again = work::sampler_by_permit(&hal.store, "MN", "mn-h-4410", "").unwrap();
    assert_eq!(again.id, lars.id);
    // a subject the registry lacks that no permit names, and a registered permit under a new id
    let made_up = hal.hauler_evaluation_at(
        ("hauler-zz", "Nobody", "X-1"),
        "MN",
        "14d",
        Outcome::Satisfactory,
        now(),
    );
    let copy = hal.hauler_evaluation_at(
        (
            milkshed_shared::sampling::records::sampler_id_for_permit("WI", "BH 5501").as_str(),
            "Gus again",
            "BH 5501",
        ),
        "WI",
        "14d",
        Outcome::Satisfactory,
        now(),
    );
    let report = hal.sync().unwrap();
    let why = |id: InspectionId| {
        report
            .rejected
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, w)| w.clone())
            .unwrap_or_default()
    };
    assert!(
        why(made_up).contains("not in the registry"),
        "{:?}",
        report.rejected
    );
    assert!(
        why(copy).contains("already in the registry"),
        "{:?}",
        report.rejected
    );
}
