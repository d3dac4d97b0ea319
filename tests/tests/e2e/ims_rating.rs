//! The IMS rating as one record (issue #18): the gates refuse and name their lines, a
//! supervisor's override is kept with its reason, the seed is fixed by the server and never
//! shown until the draw closes, a re-draw is impossible (in the service and in the database),
//! farms are announced one day's work at a time, and the revealed seed recomputes the draw.

use milkshed_shared::rating::draw::{self, Draw, Population};
use milkshed_sync_server::db;
use milkshed_tests::{get_json, post_json, TestDevice, TestServer};
use serde_json::{json, Value};

fn refused(r: &(u16, Value), status: u16, code: &str) {
    assert_eq!(r.0, status, "{}", r.1);
    assert_eq!(r.1["error"], code, "{}", r.1);
}

fn ratings(server: &TestServer) -> i64 {
    server
        .db()
        .query_row("SELECT count(*) FROM ims_ratings", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_rating_opens_behind_its_gates_and_its_draw_is_fixed_by_the_server() {
    let server = TestServer::start();
    let url = server.url();
    let sam = TestDevice::enroll(&url, "sam");
    let sue = TestDevice::enroll(&url, "sue");
    let ann = TestDevice::enroll(&url, "ann");
    let (sam_t, sue_t, ann_t) = (
        sam.enrollment.token.clone(),
        sue.enrollment.token.clone(),
        ann.enrollment.token.clone(),
    );
    let sam_id = sam.enrollment.user_id.clone();
    let open = json!({"shipper_id": "btu-1"});

    // only a rating officer opens a rating
    refused(
        &post_json(&url, &ann_t, "/api/ratings", &open),
        403,
        "forbidden",
    );
    refused(
        &post_json(&url, &sue_t, "/api/ratings", &open),
        403,
        "forbidden",
    );

    // the demo's BTU: a positive load with the permit holder's notice owed, and Sam holds no
    // SRO certificate — both gates refuse, each naming its line; nothing is recorded
    let r = post_json(&url, &sam_t, "/api/ratings", &open);
    refused(&r, 409, "gate_shut");
    let m = r.1["message"].as_str().unwrap();
    assert!(
        m.contains("Appendix N program") && m.contains("MMSR L159-163"),
        "{m}"
    );
    assert!(m.contains("farm-10"), "names the producer: {m}");
    assert!(
        m.contains("Rating officer's certificate") && m.contains("Procedures L110, L446"),
        "{m}"
    );
    assert_eq!(ratings(&server), 0);

    // certificates are the supervisor's to record, from the FDA's certificate
    let cert = json!({"user_id": sam_id, "issued_on": "2025-03-01", "categories": ["dairy_farms"]});
    refused(
        &post_json(&url, &ann_t, "/api/ratings/certificates", &cert),
        403,
        "forbidden",
    );
    refused(
        &post_json(
            &url,
            &sue_t,
            "/api/ratings/certificates",
            &json!({"user_id": sam_id, "issued_on": "2025-03-01", "categories": ["farms"]}),
        ),
        400,
        "bad_request",
    );
    let (s, b) = post_json(&url, &sue_t, "/api/ratings/certificates", &cert);
    assert_eq!(s, 200, "{b}");
    let r = post_json(&url, &sam_t, "/api/ratings", &open);
    refused(&r, 409, "gate_shut");
    let m = r.1["message"].as_str().unwrap();
    assert!(
        !m.contains("certificate"),
        "the certificate gate is open now: {m}"
    );

    // independence: the officer assigned as a farm's inspector may not rate its BTU
    {
        let conn = server.db();
        db::desk::assign(&conn, "demo", "farm-3", Some(&sam_id), "admin", "test").unwrap();
    }
    let m = post_json(&url, &sam_t, "/api/ratings", &open).1["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        m.contains("Rating officer's independence")
            && m.contains("assigned inspector of farm-3")
            && m.contains("Procedures L110, L470"),
        "{m}"
    );
    {
        let conn = server.db();
        let ann_id = ann.enrollment.user_id.clone();
        db::desk::assign(&conn, "demo", "farm-3", Some(&ann_id), "admin", "back").unwrap();
    }

    // an override: a supervisor's, with a reason of substance, for this officer and shipper
    let over = |reason: &str| json!({"shipper_id": "btu-1", "officer_id": sam_id, "gate": "appendix_n", "reason": reason});
    refused(
        &post_json(
            &url,
            &sam_t,
            "/api/ratings/overrides",
            &over("I say so, really"),
        ),
        403,
        "forbidden",
    );
    refused(
        &post_json(&url, &sue_t, "/api/ratings/overrides", &over("ok")),
        400,
        "bad_request",
    );
    refused(
        &post_json(
            &url,
            &sue_t,
            "/api/ratings/overrides",
            &json!({"shipper_id": "btu-1", "officer_id": sam_id, "gate": "luck", "reason": "because of reasons"}),
        ),
        400,
        "bad_request",
    );
    let reason = "permit holder told by phone 06:40, written notice follows";
    let (s, b) = post_json(&url, &sue_t, "/api/ratings/overrides", &over(reason));
    assert_eq!(s, 200, "{b}");

    // now it opens: the population, TABLE 1 size and commitment — but neither the seed nor the
    // order of the draw
    let (s, rating) = post_json(
        &url,
        &sam_t,
        "/api/ratings",
        &json!({"shipper_id": "btu-1", "method": "shuffle"}),
    );
    assert_eq!(s, 200, "{rating}");
    let id = rating["id"].as_str().unwrap().to_string();
    assert_eq!(rating["remaining"], 12);
    assert_eq!(rating["to_rate"], 12, "TABLE 1: up to 24 farms, all");
    assert_eq!(rating["separated"], json!([]), "no producer has 40 %");
    assert_eq!(rating["seed"], Value::Null);
    assert!(rating.get("draw").is_none(), "{rating}");
    assert_eq!(rating["announced"], json!([]));
    let commitment = rating["commitment"].as_str().unwrap().to_string();
    assert_eq!(commitment.len(), 64);
    assert_eq!(rating["overrides"][0]["gate"], "appendix_n");
    assert_eq!(rating["overrides"][0]["reason"], reason);
    assert!(
        rating["gates"].to_string().contains("L159-163"),
        "the refusal is kept"
    );
    assert_eq!(ratings(&server), 1);

    // the override served that rating: a second opening finds the gate shut again
    refused(
        &post_json(&url, &sam_t, "/api/ratings", &open),
        409,
        "gate_shut",
    );
    assert_eq!(ratings(&server), 1);

    // others: a sanitarian does not see it; a supervisor does
    refused(
        &get_json(&url, &ann_t, &format!("/api/ratings/{id}")),
        404,
        "not_found",
    );
    assert_eq!(get_json(&url, &sue_t, &format!("/api/ratings/{id}")).0, 200);

    // the seed is not revealed while farms are still to be announced
    refused(
        &post_json(
            &url,
            &sam_t,
            &format!("/api/ratings/{id}/reveal"),
            &json!({}),
        ),
        409,
        "conflict",
    );
    // one day's work at a time: a second list on the same day is refused
    let days = format!("/api/ratings/{id}/days");
    refused(
        &post_json(&url, &sue_t, &days, &json!({"farms": 4})),
        403,
        "forbidden",
    );
    let (s, after_day) = post_json(&url, &sam_t, &days, &json!({"farms": 4}));
    assert_eq!(s, 200, "{after_day}");
    assert_eq!(after_day["days"][0]["farms"].as_array().unwrap().len(), 4);
    assert_eq!(after_day["left_to_announce"], 8);
    let r = post_json(&url, &sam_t, &days, &json!({"farms": 4}));
    refused(&r, 409, "conflict");
    assert!(r.1["message"].as_str().unwrap().contains("L255-257"));
    refused(
        &post_json(&url, &sam_t, &days, &json!({"farms": "all"})),
        400,
        "bad_request",
    );

    // a replacement needs a reason; with every farm drawn there is no one left to take its place
    let replace = format!("/api/ratings/{id}/replacements");
    let first = after_day["days"][0]["farms"][0]["id"].as_str().unwrap();
    let r = post_json(
        &url,
        &sam_t,
        &replace,
        &json!({"farm_id": first, "reason": " "}),
    );
    refused(&r, 409, "conflict");
    let r = post_json(
        &url,
        &sam_t,
        &replace,
        &json!({"farm_id": first, "reason": "barn fire"}),
    );
    refused(&r, 409, "conflict");
    assert!(r.1["message"]
        .as_str()
        .unwrap()
        .contains("no producer is left"));

    // no one can draw again: the database refuses to change what the opening fixed
    {
        let conn = server.db();
        for stmt in [
            "UPDATE ims_ratings SET seed = '1'",
            "UPDATE ims_ratings SET draw = '{}'",
            "UPDATE ims_ratings SET commitment = 'x'",
            "DELETE FROM ims_ratings",
            "UPDATE rating_days SET farms = '[]'",
            "DELETE FROM rating_days",
            "UPDATE rating_overrides SET reason = 'x'",
            "DELETE FROM sro_certificates",
        ] {
            let r = conn.execute(stmt, []);
            assert!(
                r.as_ref().is_err_and(|e| e.is_constraint()),
                "{stmt}: {r:?}"
            );
        }
    }

    // the draw is closed on the last day (here: the rest announced, then revealed)
    let (seed_row, population_row, draw_row): (String, String, String) = server
        .db()
        .query_row(
            "SELECT seed, population, draw FROM ims_ratings WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let population: Population = serde_json::from_str(&population_row).unwrap();
    let fixed: Draw = serde_json::from_str(&draw_row).unwrap();
    let shown: Vec<String> = after_day["days"][0]["farms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shown, fixed.announce[..4], "announced in the fixed order");
    {
        // (a second day, as the next morning would announce it)
        let conn = server.db();
        let mut conn = conn;
        let tx = conn.transaction().unwrap();
        let next = draw::Day {
            on: chrono::NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
            farms: fixed.announce[4..].to_vec(),
        };
        db::ims::add_day(&tx, &id, 2, &next, &sam_id).unwrap();
        tx.commit().unwrap();
    }
    refused(
        &post_json(
            &url,
            &ann_t,
            &format!("/api/ratings/{id}/reveal"),
            &json!({}),
        ),
        404,
        "not_found",
    );
    let (s, closed) = post_json(
        &url,
        &sam_t,
        &format!("/api/ratings/{id}/reveal"),
        &json!({}),
    );
    assert_eq!(s, 200, "{closed}");
    assert_eq!(closed["seed"], seed_row);
    assert_eq!(closed["verified"], true);
    assert_eq!(
        closed["commitment"], commitment,
        "the commitment never moved"
    );
    let seed: u64 = seed_row.parse().unwrap();
    assert!(draw::verify(&id, seed, &commitment, &population, &fixed));
    assert_eq!(
        closed["announced"].as_array().unwrap().len(),
        12,
        "every farm announced"
    );
    // revealed once; asking again changes nothing
    let (_, again) = post_json(
        &url,
        &sam_t,
        &format!("/api/ratings/{id}/reveal"),
        &json!({}),
    );
    assert_eq!(again["seed_revealed_at"], closed["seed_revealed_at"]);
    refused(
        &post_json(&url, &sam_t, &days, &json!({"farms": 1})),
        409,
        "conflict",
    );
}

/// Section B of MMSR Section H #9 (United Dairy, a BTU), entered as the tablet stores it: 76.
fn united_dairy_part_i() -> Vec<(&'static str, Value)> {
    vec![
        ("part_i/1/number", json!(1)),
        ("part_i/1/complying", json!(1)),
        ("part_i/2/number", json!(4)),
        ("part_i/2/complying", json!(3)),
        ("part_i/3/number", json!(1)),
        ("part_i/3/complying", json!(1)),
        ("part_i/4/points_off", json!("1, 3, 5")),
        ("part_i/5/complies", json!(true)),
        ("part_i/6/number", json!(5)),
        ("part_i/6/complying", json!(4)),
        ("part_i/7/complies", json!(true)),
        ("part_i/8/number", json!(1)),
        ("part_i/8/complying", json!(0)),
        ("part_i/9/percent", json!(100)),
        ("part_i/10/percent", json!(60)),
        ("part_i/11/percent", json!(75)),
        (
            "a/recommendations",
            json!("Sample every producer in each of four months."),
        ),
        ("a/ordinance", json!("Wisconsin ATCP 65")),
    ]
}

/// The 2359j is a document synced from the tablet: the agency record rates its Section B as
/// the engine does, fills Section A's summary from the synced visits (the tablet's figures,
/// by the same function), and the listing register takes both ratings from it — a retyped
/// figure that differs is refused, and a report of a farm is not accepted at all.
#[test]
fn the_2359j_synced_from_the_tablet_gives_the_listing_its_ratings() {
    use milkshed_shared::document::SubjectKind;
    let server = TestServer::start();
    let url = server.url();
    let mut sam = TestDevice::enroll(&url, "sam");
    sam.sync().unwrap();
    sam.rating_visit("farm-1", "Roy Harris", 1700, &["3", "12"]);
    sam.rating_visit("farm-2", "James Henley", 2100, &["8A"]);
    sam.rating_visit("farm-3", "W. T. Miller", 500, &["2A", "5C"]);
    let report = sam.rating_report(
        ("btu-1", "Great Cows BTU", SubjectKind::Btu),
        &united_dairy_part_i(),
    );
    // a report of a farm is no shipper's
    let stray = sam.rating_report(("farm-4", "A farm", SubjectKind::Btu), &[]);
    let r = sam.sync().unwrap();
    assert!(
        r.rejected
            .iter()
            .any(|(id, why)| *id == stray && why.contains("shipper")),
        "{:?}",
        r.rejected
    );
    assert!(
        !r.rejected.iter().any(|(id, _)| *id == report),
        "{:?}",
        r.rejected
    );

    // the tablet's summary, by the shared function
    let shipper = milkshed_app::device::work::shippers(&sam.store)
        .into_iter()
        .find(|s| s.id == "btu-1")
        .expect("the BTU reaches the briefcase");
    let entries = sam.store.inspection(report).unwrap().report;
    let today = milkshed_app::device::work::agency_today(&sam.store);
    let (tablet, _) =
        milkshed_app::device::work::report_summary(&mut sam.store, &shipper, &entries, today);
    assert_eq!(tablet.enforcement_rating, Some(76));
    assert_eq!(tablet.dairy_farms_inspected, Some(3));
    let scr = tablet.raw_milk_rating.expect("the 2359k rates");

    // the review page shows the same report, Section A and Section B
    let mut web = milkshed_tests::WebClient::new(&url);
    assert_eq!(web.login("demo", "sam", "milkshed-demo").status, 303);
    let page = web.get("/review/ratings/btu-1");
    assert!(
        page.body
            .contains("<strong id=\"enforcement-rating\">76</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Wisconsin ATCP 65"));
    assert!(page
        .body
        .contains(&format!("<strong id=\"rating\">{scr}</strong>")));
    let pdf = web.get("/review/ratings/btu-1/pdf");
    assert_eq!(pdf.status, 200);

    // the listing takes its figures from the record
    let token = sam.enrollment.token.clone();
    let listing =
        json!({"shipper_id": "btu-1", "rating_report": report.to_string(), "product_codes": [1]});
    let retyped = json!({"shipper_id": "btu-1", "rating_report": report.to_string(), "product_codes": [1],
                         "enforcement_rating": 90});
    refused(
        &post_json(&url, &token, "/api/listings", &retyped),
        409,
        "conflict",
    );
    let (status, body) = post_json(&url, &token, "/api/listings", &listing);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enforcement_rating"], 76);
    assert_eq!(body["sanitation_rating"], scr);
    let (_, all) = get_json(&url, &token, "/api/listings");
    let row = all["listings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == body["id"])
        .cloned()
        .unwrap();
    assert_eq!(row["enforcement_rating"], 76, "{row}");
    assert_eq!(row["sanitation_rating"], scr, "{row}");
    // the rating as one page: the worksheets, the 2359j and the listing it gave
    let page = web.get("/review/ratings/btu-1");
    let listing_table = page
        .body
        .split("<table id=\"listing\">")
        .nth(1)
        .expect("the listing on the rating's page");
    assert!(listing_table.contains("<td>76</td>"), "{listing_table}");
    // only the shipper's latest report, sent in, lists
    let other =
        json!({"shipper_id": "plant-1", "rating_report": report.to_string(), "product_codes": [2]});
    refused(
        &post_json(&url, &token, "/api/listings", &other),
        409,
        "conflict",
    );
    let none = json!({"shipper_id": "btu-1", "product_codes": [1], "rating_dates": ["2026-06-15"]});
    refused(
        &post_json(&url, &token, "/api/listings", &none),
        400,
        "bad_request",
    );
}

/// The tablet draws nothing: the farms the agency record announces reach the rating officer's
/// own devices at the next sync, with the commitment and never the seed — and no other user's
/// device, where an inspector could prepare those farms before the officer came.
#[test]
fn the_announced_farms_reach_only_the_officers_tablet() {
    use milkshed_shared::briefcase::{RatingRecord, RATINGS};
    let server = TestServer::start();
    let url = server.url();
    let rating = milkshed_tests::open_demo_rating(&url, 3);
    let mut sam = TestDevice::enroll(&url, "sam");
    let mut ann = TestDevice::enroll(&url, "ann");
    sam.sync().unwrap();
    ann.sync().unwrap();
    let id = rating["id"].as_str().unwrap();
    let on_tablet: RatingRecord =
        serde_json::from_value(sam.store.reference(RATINGS, id).unwrap().unwrap()).unwrap();
    assert_eq!(on_tablet.announced.len(), 3);
    assert_eq!(on_tablet.commitment, rating["commitment"].as_str().unwrap());
    assert_eq!(on_tablet.seed, None, "the seed stays at the agency record");
    assert_eq!(
        milkshed_app::device::work::open_rating(&sam.store, "btu-1").map(|r| r.id),
        Some(id.to_string())
    );
    assert_eq!(ann.store.reference(RATINGS, id).unwrap(), None);
    // the review page shows the draw beside the worksheets: the commitment and the farms
    // announced, never the seed while the draw is open
    let mut web = milkshed_tests::WebClient::new(&url);
    assert_eq!(web.login("demo", "sam", "milkshed-demo").status, 303);
    let page = web.get("/review/ratings/btu-1");
    let draw = page
        .body
        .split("<table id=\"draw\">")
        .nth(1)
        .expect("the draw on the rating's page");
    assert!(
        draw.contains(rating["commitment"].as_str().unwrap()),
        "{draw}"
    );
    for f in &on_tablet.announced {
        // (as the page escapes it: the draw may pick Davis & Nelson)
        let shown = f.name.replace('&', "&amp;");
        assert!(draw.contains(&shown), "{shown} in {draw}");
    }
    assert!(draw.contains("kept by the agency record"), "{draw}");
    assert_eq!(ann.store.reference_count(RATINGS).unwrap(), 0);
    // the next day's announcement follows on the next sync
    let announced: Vec<String> = on_tablet.announced.iter().map(|f| f.id.clone()).collect();
    let names = server
        .db()
        .query_row(
            "SELECT farms FROM rating_days WHERE rating_id = ?1 AND day_no = 1",
            [id],
            |r| r.get::<_, String>(0),
        )
        .unwrap();
    for farm in &announced {
        assert!(names.contains(farm.as_str()), "{farm} in {names}");
    }
}

/// The rating officer opens the rating, announces the day's farms and closes the draw from the
/// rating's page, through the same services as the API: a shut gate is shown with its line and
/// records nothing; the page's controls are the officer's only.
#[test]
fn the_rating_officer_runs_the_draw_from_the_rating_page() {
    let server = TestServer::start();
    let url = server.url();
    let sue = TestDevice::enroll(&url, "sue");
    let sam = TestDevice::enroll(&url, "sam");
    let mut web = milkshed_tests::WebClient::new(&url);
    assert_eq!(web.login("demo", "sam", "milkshed-demo").status, 303);
    let page = web.get("/review/ratings/btu-1");
    assert!(page.body.contains("id=\"open-rating\""), "{}", page.body);
    let shut = web.submit("/review/ratings/btu-1/open", &[("method", "shuffle")]);
    assert_eq!(shut.status, 409, "{}", shut.body);
    assert!(shut.body.contains("MMSR L159-163"), "{}", shut.body);
    assert_eq!(ratings(&server), 0);
    // a supervisor's page shows no controls of the draw
    let mut sue_web = milkshed_tests::WebClient::new(&url);
    assert_eq!(sue_web.login("demo", "sue", "milkshed-demo").status, 303);
    assert!(!sue_web
        .get("/review/ratings/btu-1")
        .body
        .contains("open-rating"));
    let sue_try = sue_web.submit("/review/ratings/btu-1/open", &[("method", "shuffle")]);
    assert_eq!(sue_try.status, 403, "{}", sue_try.body);

    let sam_id = sam.enrollment.user_id.clone();
    for (path, body) in [
        (
            "/api/ratings/certificates",
            json!({"user_id": sam_id, "issued_on": "2025-03-01", "categories": ["dairy_farms"]}),
        ),
        (
            "/api/ratings/overrides",
            json!({"shipper_id": "btu-1", "officer_id": sam_id, "gate": "appendix_n", "reason": "permit holder told by phone, notice follows"}),
        ),
    ] {
        let (s, b) = post_json(&url, &sue.enrollment.token, path, &body);
        assert_eq!(s, 200, "{b}");
    }
    assert_eq!(
        web.submit("/review/ratings/btu-1/open", &[("method", "shuffle")])
            .status,
        303
    );
    assert_eq!(ratings(&server), 1);
    let page = web.get("/review/ratings/btu-1");
    assert!(page.body.contains("id=\"draw\""), "{}", page.body);
    let id: String = server
        .db()
        .query_row("SELECT id FROM ims_ratings", [], |r| r.get(0))
        .unwrap();
    let announce = |web: &mut milkshed_tests::WebClient, n: &str| {
        web.submit(
            "/review/ratings/btu-1/announce",
            &[("rating", id.as_str()), ("farms", n)],
        )
    };
    assert_eq!(announce(&mut web, "12").status, 303);
    // one day's work at a time, and nothing left: the seed is revealed from the page
    assert_eq!(announce(&mut web, "1").status, 409);
    let page = web.get("/review/ratings/btu-1");
    assert!(page.body.contains("id=\"reveal-seed\""), "{}", page.body);
    assert_eq!(
        web.submit("/review/ratings/btu-1/reveal", &[("rating", id.as_str())])
            .status,
        303
    );
    let page = web.get("/review/ratings/btu-1");
    assert!(
        page.body.contains("the draw recomputes from it"),
        "{}",
        page.body
    );
}
