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
