//! The review pages over HTTP: sign-in and its refusals, session expiry, CSRF, who may review,
//! and that another agency's records are never shown, even by guessing ids. The browser test
//! (`browser.rs`) clicks through the same pages in Chromium.

use milkshed_tests::{fingerprint, TestDevice, TestServer, WebClient};

fn inspection_of(server: &TestServer, farm: &str) -> String {
    server
        .db()
        .query_row(
            "SELECT id FROM inspections WHERE subject_id = ?1",
            [farm],
            |r| r.get(0),
        )
        .unwrap()
}

fn signed_in(server: &TestServer, user: &str) -> WebClient {
    let mut c = WebClient::new(&server.url());
    let a = c.login("demo", user, "milkshed-demo");
    assert_eq!(a.status, 303, "{}", a.body);
    let cookie = a.set_cookie.unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    c
}

#[test]
fn sign_in_sessions_and_who_may_use_the_pages() {
    let server = TestServer::start();
    let mut c = WebClient::new(&server.url());
    let a = c.get("/review");
    assert_eq!(
        (a.status, a.location.as_deref()),
        (303, Some("/review/login"))
    );
    let a = c.login("demo", "sue", "wrong");
    assert_eq!(a.status, 401);
    assert!(a.body.contains("Wrong agency, user name or password"));
    assert!(c.cookie.is_none());
    for user in ["ann", "hal"] {
        let a = c.login("demo", user, "milkshed-demo");
        assert_eq!(a.status, 403, "{user} uses the field app");
        assert!(c.cookie.is_none());
    }
    let a = c.login("demo", "sue", "milkshed-demo");
    assert_eq!(a.status, 303);
    let a = c.get("/review");
    assert_eq!(a.status, 200);
    assert!(a.body.contains("Roy Harris") && a.body.contains("submitted"));
    // filters and counts
    let a = c.get("/review?status=accepted");
    assert!(a.body.contains("Pete Carhart") && !a.body.contains("Roy Harris"));
    let a = c.get("/review?violations=3");
    assert!(a.body.contains("Roy Harris") && !a.body.contains("Pete Carhart"));
    let a = c.get("/review?subject=Barkley");
    assert!(a.body.contains("John Barkley") && !a.body.contains("Roy Harris"));

    // an idle session ends; so does one past its life
    let conn = server.db();
    conn.execute(
        "UPDATE web_sessions SET last_seen = ?1",
        [(chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339()],
    )
    .unwrap();
    let a = c.get("/review");
    assert_eq!(a.status, 303);
    assert_eq!(a.location.as_deref(), Some("/review/login?expired=1"));
    let mut c = signed_in(&server, "sam");
    conn.execute(
        "UPDATE web_sessions SET expires_at = ?1",
        [(chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339()],
    )
    .unwrap();
    assert_eq!(c.get("/review").status, 303);

    // signing out needs the form's token, and ends the session
    let mut c = signed_in(&server, "sue");
    c.get("/review");
    let cookie = c.cookie.clone();
    assert_eq!(c.post("/review/logout", &[]).status, 403);
    let a = c.submit("/review/logout", &[]);
    assert_eq!(a.status, 303);
    let mut old = WebClient::new(&server.url());
    old.cookie = cookie;
    assert_eq!(
        old.get("/review").status,
        303,
        "the old cookie no longer works"
    );
}

#[test]
fn reviews_need_the_form_token_and_a_reviewer_other_than_the_inspector() {
    let server = TestServer::start();
    let id = inspection_of(&server, "farm-1");
    let path = format!("/review/inspections/{id}/review");
    let mut sue = signed_in(&server, "sue");
    let page = sue.get(&format!("/review/inspections/{id}"));
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("Verified: the content is what the inspector signed."));
    assert!(page.body.contains("Return with comments"));
    let before = fingerprint(server.dir.path());
    // no token, a wrong token: refused, nothing written
    let a = sue.post(&path, &[("decision", "return"), ("comment", "x")]);
    assert_eq!(a.status, 403);
    let a = sue.post(
        &path,
        &[("csrf", "0000"), ("decision", "return"), ("comment", "x")],
    );
    assert_eq!(a.status, 403);
    // an administrator reads but does not review
    let mut admin = signed_in(&server, "admin");
    admin.get(&format!("/review/inspections/{id}"));
    assert_eq!(admin.submit(&path, &[("decision", "accept")]).status, 403);
    // a comment on an item the inspection does not have
    assert_eq!(
        sue.submit(&path, &[("decision", "return"), ("item:99Z", "what?")])
            .status,
        400
    );
    // returning with nothing to amend
    assert_eq!(sue.submit(&path, &[("decision", "return")]).status, 409);
    assert_eq!(
        fingerprint(server.dir.path()),
        before,
        "refusals change nothing"
    );
    let a = sue.submit(
        &path,
        &[
            ("decision", "return"),
            ("comment", "Recheck the water supply."),
            ("item:2A", "Which well?"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let page = sue.get(&format!("/review/inspections/{id}"));
    assert!(page.body.contains("Returned") && page.body.contains("Which well?"));
    assert!(
        page.body.contains("Sue Marchetti on the review pages"),
        "the history names the reviewer"
    );
    let status: String = server
        .db()
        .query_row("SELECT status FROM inspections WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(status, "returned");
    // once returned it is not reviewed again
    assert_eq!(sue.submit(&path, &[("decision", "accept")]).status, 409);
}

#[test]
fn another_agency_sees_nothing_even_by_id() {
    let server = TestServer::start();
    server.add_north_agency();
    // a photo of a demo inspection, uploaded by the demo inspector
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    let mine = ann.inspect_farm("farm-2", &["3"]);
    let photo = ann.photograph_sized(mine, "3", 7, 800, 600);
    ann.sync().unwrap();
    let id = inspection_of(&server, "farm-1");
    let mut nina = WebClient::new(&server.url());
    assert_eq!(nina.login("north", "nina", "north-pass").status, 303);
    let q = nina.get("/review");
    assert_eq!(q.status, 200);
    assert!(!q.body.contains("Roy Harris") && !q.body.contains("Ann Lindqvist"));
    for path in [
        format!("/review/inspections/{id}"),
        format!("/review/photos/{photo}"),
        format!("/review/photos/{photo}/thumb"),
        "/review/facilities/farm-1".to_string(),
        format!("/review/inspections/{}", uuid::Uuid::now_v7()),
        "/review/inspections/not-a-uuid".to_string(),
    ] {
        assert_eq!(nina.get(&path).status, 404, "{path}");
    }
    let before = fingerprint(server.dir.path());
    nina.get("/review");
    let a = nina.submit(
        &format!("/review/inspections/{id}/review"),
        &[("decision", "accept")],
    );
    assert_eq!(a.status, 404);
    assert_eq!(fingerprint(server.dir.path()), before);
    let csv = nina.get("/review/export/findings.csv");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.lines().count(), 1, "only the header: {}", csv.body);
    // the demo's own supervisor sees the photo and the findings
    let mut sue = signed_in(&server, "sue");
    assert_eq!(sue.get(&format!("/review/photos/{photo}")).status, 200);
    // the thumbnail: made from the stored photo, 320 px on its longest side
    let thumb = milkshed_tests::agent()
        .get(&format!("{}/review/photos/{photo}/thumb", server.url()))
        .header("cookie", sue.cookie.as_deref().unwrap())
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    let img = image::load_from_memory(&thumb).unwrap();
    assert_eq!((img.width(), img.height()), (320, 240));
    let csv = sue.get("/review/export/findings.csv");
    assert!(csv.body.lines().count() > 5 && csv.body.contains("Roy Harris"));
}

/// A rating officer's farm rating visits, synced, make the BTU's FORM 2359k on the review
/// pages — the same figures the shared engine gives for the same visits.
#[test]
fn the_2359k_page_rates_the_synced_rating_visits_as_the_engine_does() {
    let server = TestServer::start();
    let mut sam = TestDevice::enroll(&server.url(), "sam");
    let ids = [
        sam.rating_visit("farm-1", "Roy Harris", 1700, &["3", "12"]),
        sam.rating_visit("farm-2", "James Henley", 2100, &["8A"]),
        sam.rating_visit("farm-3", "W. T. Miller", 500, &["2A", "5C", "18C"]),
    ];
    sam.sync().unwrap();
    let visits: Vec<_> = ids
        .iter()
        .map(|id| sam.store.inspection(*id).unwrap())
        .collect();
    let date = visits[0].header.started_at.date_naive();
    // the lab columns from the ledger as the tablet's briefcase holds it
    let ledger = milkshed_app::device::work::lab_book(&sam.store, ["farm-1", "farm-2", "farm-3"]);
    let expected =
        milkshed_shared::worksheet::raw_milk_from_visits("Great Cows BTU", date, &visits, &ledger)
            .map(|w| milkshed_shared::worksheet::rate(&w).to_value())
            .unwrap();
    let mut web = signed_in(&server, "sam");
    let page = web.get("/review/ratings/btu-1");
    assert_eq!(page.status, 200, "{}", page.body);
    let shown = format!("<strong id=\"rating\">{}</strong>", expected["rating"]);
    assert!(page.body.contains(&shown), "{shown} in {}", page.body);
    for farm in ["Roy Harris", "James Henley", "W. T. Miller"] {
        assert!(page.body.contains(farm));
    }
    assert!(
        page.body.contains("too few farms rated"),
        "3 of 12 farms is under TABLE 1"
    );
    assert!(web
        .get("/review/ratings/plant-2")
        .body
        .contains("No rating visits"));
    assert_eq!(
        web.get("/review/ratings/farm-1").status,
        404,
        "a farm is not a shipper"
    );
}

/// The 2359k's lab columns are the MMSR's crediting rule (L320-334) applied to the agency's
/// lab ledger, on the review page and on the tablet alike, and shown with the results they
/// rest on; a LAB-SCC tap without a reason does not override the ledger.
#[test]
fn the_2359k_lab_columns_are_the_crediting_rule_applied_to_the_ledger() {
    use milkshed_shared::rating::lab::{self, LabHistory, LabResult};
    let server = TestServer::start();
    let sue = TestDevice::enroll(&server.url(), "sue");
    let mut sam = TestDevice::enroll(&server.url(), "sam");
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| (today - chrono::Duration::days(n)).to_string();
    // Roy Harris: two fresh somatic cell counts over 750,000, the last of them over
    let csv = format!(
        "lab_number,sample_date,subject_id,standard,value\n55001,{},farm-1,somatic_cells,800000\n55001,{},farm-1,somatic_cells,910000\n",
        day(12),
        day(3)
    );
    let (status, body) = milkshed_tests::post_lab_csv(&server.url(), &sue.enrollment.token, &csv);
    assert_eq!(status, 200, "{body}");
    sam.sync().unwrap();
    let ids = [
        sam.rating_visit("farm-1", "Roy Harris", 1700, &["3"]),
        // tapped, but without a reason: the ledger decides
        sam.rating_visit("farm-2", "James Henley", 2100, &["LAB-SCC"]),
        sam.rating_visit("farm-3", "W. T. Miller", 500, &[]),
    ];
    sam.sync().unwrap();

    // what the rule gives on the ledger as the agency record holds it
    let conn = server.db();
    let date = sam
        .store
        .inspection(ids[0])
        .unwrap()
        .header
        .started_at
        .date_naive();
    let mut expected = Vec::new();
    for farm in ["farm-1", "farm-2", "farm-3"] {
        for standard in ["bacteria", "somatic_cells", "cooling_temperature"] {
            let history =
                milkshed_sync_server::service::lab::history(&conn, "demo", farm, standard).unwrap();
            let finding = lab::farm(&LabHistory {
                results: history
                    .iter()
                    .map(|(date, over)| LabResult {
                        date: *date,
                        over: *over,
                    })
                    .collect(),
                rating_date: date,
                exempt_from_sample_count: false,
            });
            expected.push((farm, standard, finding.debited));
        }
    }
    assert!(
        expected.contains(&("farm-1", "somatic_cells", true)),
        "2 of the last 4 over and the last over is not credited: {expected:?}"
    );
    assert!(expected.contains(&("farm-2", "somatic_cells", false)));

    let mut web = signed_in(&server, "sam");
    let page = web.get("/review/ratings/btu-1");
    assert_eq!(page.status, 200, "{}", page.body);
    let table = page
        .body
        .split("<table id=\"lab-credits\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the page shows the lab credits")
        .to_string();
    let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
    let names = [
        ("farm-1", "Roy Harris"),
        ("farm-2", "James Henley"),
        ("farm-3", "W. T. Miller"),
    ];
    for (farm, standard, debited) in &expected {
        let name = names.iter().find(|n| n.0 == *farm).unwrap().1;
        let label = standard.replace('_', " ");
        let row = rows
            .iter()
            .find(|r| r.contains(name) && r.contains(&format!("<td>{label}</td>")))
            .unwrap_or_else(|| panic!("{name} {label} in {table}"));
        assert_eq!(row.contains("debited"), *debited, "{name} {label}: {row}");
    }
    // the results it rests on: Roy Harris's last count, over
    assert!(table.contains(&format!("{} over", day(3))), "{table}");

    // the tablet's live 2359k credits the same from its briefcase, so the figures agree
    let visits: Vec<_> = ids
        .iter()
        .map(|id| sam.store.inspection(*id).unwrap())
        .collect();
    let ledger = milkshed_app::device::work::lab_book(&sam.store, ["farm-1", "farm-2", "farm-3"]);
    let tablet =
        milkshed_shared::worksheet::raw_milk_from_visits("Great Cows BTU", date, &visits, &ledger)
            .map(|w| milkshed_shared::worksheet::rate(&w).to_value())
            .unwrap();
    assert!(
        page.body.contains(&format!(
            "<strong id=\"rating\">{}</strong>",
            tablet["rating"]
        )),
        "{}",
        tablet
    );
    assert_eq!(
        tablet["farms"][0]["debits"]["LAB-SCC"], 5,
        "{}",
        tablet["farms"][0]
    );
    assert_eq!(
        tablet["farms"][1]["debits"].get("LAB-SCC"),
        None,
        "{}",
        tablet["farms"][1]
    );
    assert!(tablet["farms"][1]["remarks"]
        .as_str()
        .unwrap()
        .contains("credited from the lab ledger"));
}

/// A signed inspection altered at rest (its stored snapshot edited behind the server's back)
/// is flagged on its page: the page verifies the signature from the document on every view.
#[test]
fn an_inspection_altered_at_rest_is_flagged_tampered() {
    use milkshed_shared::document::automerge::{transaction::Transactable, ReadDoc, Value, ROOT};
    let server = TestServer::start();
    let id = inspection_of(&server, "farm-1");
    let conn = server.db();
    let actor = milkshed_shared::document::automerge::ActorId::random();
    let mut stored = milkshed_sync_server::db::load_doc(&conn, &id.parse().unwrap(), &actor)
        .unwrap()
        .unwrap();
    {
        let am = stored.doc.automerge();
        let Ok(Some((Value::Object(_), states))) = am.get(ROOT, "states") else {
            panic!("states map")
        };
        am.put(&states, "3", "violated").unwrap();
        am.commit();
    }
    conn.execute(
        "UPDATE documents SET snapshot = ?1 WHERE id = ?2",
        milkshed_sync_server::db::params![stored.doc.save(), id],
    )
    .unwrap();
    let mut sue = signed_in(&server, "sue");
    let page = sue.get(&format!("/review/inspections/{id}"));
    assert!(
        page.body
            .contains("TAMPERED: the content no longer matches what the inspector signed."),
        "{}",
        page.body
    );
}

#[test]
fn a_hauler_sampler_evaluation_shows_its_items_texts() {
    let server = TestServer::start();
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    let by = milkshed_tests::now().date_naive() + chrono::Duration::days(30);
    let id = hal.hauler_evaluation(
        ("hauler-1", "Gus Petersen", "BH-5501"),
        "14b",
        milkshed_shared::sampling::Outcome::Unsatisfactory { reevaluate_by: by },
    );
    let report = hal.sync().unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    let mut sue = signed_in(&server, "sue");
    let page = sue.get(&format!("/review/inspections/{id}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("Bulk tank milk outlet valve sanitized before connecting the transfer hose"),
        "the evaluation's item text, not the plant form's blank"
    );
    assert!(page.body.contains("Tank truck: T-17"), "the pick-up record");
    assert!(
        page.body
            .contains(&format!("Unsatisfactory: re-evaluation due by {by}")),
        "the outcome"
    );
}
