//! The supervisor's desk over HTTP, as a browser posts its forms: a CSV of 200 farms checked
//! then imported (and one bad row refusing the whole file), a suspension with its letter
//! approved, printed and e-mailed through a real SMTP server (aiosmtpd on loopback), a returned
//! inspection's e-mail to its inspector, lab results raising a 2-of-4 warning, a conflict two
//! devices made resolved by the supervisor and seen on a device after sync, a farm assigned and
//! listed first on the inspector's tablet, and each of these in the audit log and its CSV.
//! The browser test clicks through the same pages in Chromium.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use milkshed_app::device::work;
use milkshed_shared::briefcase;
use milkshed_tests::{now, SmtpServer, TestDevice, TestServer, WebClient};

fn signed_in(server: &TestServer, user: &str) -> WebClient {
    let mut c = WebClient::new(&server.url());
    let a = c.login("demo", user, "milkshed-demo");
    assert_eq!(a.status, 303, "{}", a.body);
    c.get("/review");
    c
}

fn count(server: &TestServer, sql: &str) -> i64 {
    server.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn farms_csv(n: usize, bad_line: Option<usize>) -> String {
    let mut csv = String::from("name,number,permit_number,permit_issued_on,pounds_daily,listing\n");
    for i in 0..n {
        let line = i + 2;
        let number = if Some(line) == bad_line {
            String::new()
        } else {
            format!("77-{i:04}")
        };
        csv.push_str(&format!(
            "Import Farm {i},{number},IP-{i:04},2026-01-15,{},btu-1\n",
            1000 + i
        ));
    }
    csv
}

#[test]
fn a_csv_of_200_farms_is_checked_then_imported_and_a_bad_row_writes_nothing() {
    let server = TestServer::start();
    let mut c = signed_in(&server, "sue");
    let before = count(&server, "SELECT COUNT(*) FROM facilities");

    // one row without its producer number: the whole file is refused, by line and field
    let a = c.submit(
        "/review/facilities/import",
        &[("step", "import"), ("csv", &farms_csv(200, Some(57)))],
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("Nothing was imported"), "{}", a.body);
    assert!(a.body.contains("<td>57</td><td>number</td>"), "{}", a.body);
    assert_eq!(count(&server, "SELECT COUNT(*) FROM facilities"), before);
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'facility.imported'"
        ),
        0
    );

    // a good file: the preview checks every row and writes nothing
    let good = farms_csv(200, None);
    let a = c.submit(
        "/review/facilities/import",
        &[("step", "preview"), ("csv", &good)],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("200 rows are good"), "{}", a.body);
    assert_eq!(count(&server, "SELECT COUNT(*) FROM facilities"), before);
    // then the import writes them all, with their permits and listing
    let a = c.submit(
        "/review/facilities/import",
        &[("step", "import"), ("csv", &good)],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("200 facilities imported"), "{}", a.body);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM facilities"),
        before + 200
    );
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM permits WHERE number LIKE 'IP-%'"
        ),
        200
    );
    // the same file again: every permit is taken now
    let a = c.submit(
        "/review/facilities/import",
        &[("step", "import"), ("csv", &good)],
    );
    assert_eq!(a.status, 422);
    assert!(a.body.contains("already in the registry"));
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM facilities"),
        before + 200
    );

    // one farm by the form, and a refusal that keeps what was typed
    let a = c.submit(
        "/review/facilities/new",
        &[
            ("kind", "dairy_farm"),
            ("name", "Form Farm"),
            ("number", ""),
            ("listing", "btu-1"),
        ],
    );
    assert_eq!(a.status, 400);
    assert!(a.body.contains("producer number") && a.body.contains("value=\"Form Farm\""));
    let a = c.submit(
        "/review/facilities/new",
        &[
            ("kind", "dairy_farm"),
            ("name", "Form Farm"),
            ("number", "77-9999"),
            ("permit_number", "FF-1"),
            ("permit_issued_on", "2026-02-01"),
            ("listing", "btu-1"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let page = c.get(a.location.as_deref().unwrap());
    assert!(page.body.contains("Form Farm") && page.body.contains("FF-1"));
    // renamed: the registry shows the new name, its history the change
    let farm = a
        .location
        .as_deref()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let a = c.submit(&format!("{farm}/name"), &[("name", "  ")]);
    assert_eq!(a.status, 400);
    let a = c.submit(&format!("{farm}/name"), &[("name", "Form Farm & Sons")]);
    assert_eq!(a.status, 303, "{}", a.body);
    let page = c.get(&farm);
    assert!(
        page.body.contains("<h1>Form Farm &amp; Sons</h1>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("renamed"));
    assert!(c
        .get("/review/facilities")
        .body
        .contains("Form Farm &amp; Sons"));

    // the audit log names who did it, through what
    let log = c.get("/review/audit?action=facility");
    assert!(log.body.contains("facility.imported") && log.body.contains("facility.added"));
    assert!(log.body.contains("Sue Marchetti") && log.body.contains("review pages"));
    let csv = c.get("/review/audit.csv?action=facility.imported");
    assert_eq!(csv.status, 200);
    assert!(csv
        .body
        .starts_with("at,user_id,user_name,role,via,action,subject,detail"));
    assert_eq!(csv.body.lines().count(), 2, "{}", csv.body);

    // a rating officer may read the registry but not change it
    let mut ro = signed_in(&server, "sam");
    let a = ro.submit(
        "/review/facilities/import",
        &[("step", "import"), ("csv", &farms_csv(2, None))],
    );
    assert_eq!(a.status, 403);
}

#[test]
fn a_suspension_letter_is_approved_printed_and_emailed_and_a_return_reaches_the_inspector() {
    let smtp = SmtpServer::start();
    let server = TestServer::start_mailing(&format!("smtp://127.0.0.1:{}", smtp.port));
    let mut c = signed_in(&server, "sue");
    let ann: String = server
        .db()
        .query_row("SELECT id FROM users WHERE username = 'ann'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let a = c.submit(
        &format!("/review/users/{ann}/email"),
        &[("email", "ann@dairy.example")],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let a = c.submit(
        &format!("/review/users/{ann}/email"),
        &[("email", "not an address")],
    );
    assert_eq!(a.status, 400);
    // the supervisor's daily digest: the overdue work and the 2359o not back, once a day
    let sue: String = server
        .db()
        .query_row("SELECT id FROM users WHERE username = 'sue'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let a = c.submit(
        &format!("/review/users/{sue}/email"),
        &[("email", "sue@dairy.example")],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let digest = smtp.wait_for("to the supervisor", |m| m.contains("sue@dairy.example"));
    assert!(
        digest.contains("Overdue work") && digest.contains("2359o"),
        "{digest}"
    );

    // suspend Roy Harris's permit: the action, the permit change and the letter's draft
    let a = c.submit(
        "/review/facilities/farm-1/actions",
        &[
            ("kind", "suspension"),
            ("issued_on", &now().date_naive().to_string()),
            ("cause", "3 of the last 5 bacteria counts over the standard"),
            ("findings", "Bacteria 140,000; 180,000; 210,000 per mL"),
            ("recipient", "roy.harris@farm.example"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let action_page = a.location.unwrap();
    let page = c.get(&action_page);
    assert!(
        page.body.contains("Permit suspension") && page.body.contains("Approve, date and send")
    );
    assert!(
        page.body.contains("Bacteria 140,000"),
        "the findings are merged: {}",
        page.body
    );
    assert!(page.body.contains("L8144-8148"), "the rule is cited");
    let farm = c.get("/review/facilities/farm-1");
    assert!(
        farm.body.contains("now suspended"),
        "the permit is suspended"
    );
    let letter = page
        .body
        .split("/review/letters/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // nothing is sent before the approval
    std::thread::sleep(Duration::from_millis(600));
    assert!(smtp
        .messages()
        .iter()
        .all(|m| !m.contains("roy.harris@farm.example")));
    assert_eq!(c.get(&format!("/review/letters/{letter}/pdf")).status, 404);

    let a = c.submit(&format!("/review/letters/{letter}/approve"), &[]);
    assert_eq!(a.status, 303, "{}", a.body);
    let a = c.submit(&format!("/review/letters/{letter}/approve"), &[]);
    assert_eq!(a.status, 409, "approved once");
    let pdf = c.get(&format!("/review/letters/{letter}/pdf"));
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with("%PDF-"));
    let mail = smtp.wait_for("to the permit holder", |m| {
        m.contains("roy.harris@farm.example")
    });
    assert!(mail.contains("Permit suspension"), "{mail}");
    assert!(
        mail.contains("application/pdf") && mail.contains("letter-"),
        "the PDF is attached"
    );
    assert!(mail.contains("Sue Marchetti"), "signed by the approver");

    // a returned inspection tells its inspector
    let id: String = server
        .db()
        .query_row(
            "SELECT id FROM inspections WHERE status = 'submitted' AND kind = 'routine_farm'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    c.get(&format!("/review/inspections/{id}"));
    let a = c.submit(
        &format!("/review/inspections/{id}/review"),
        &[
            ("decision", "return"),
            ("comment", "Photograph the well cap."),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let mail = smtp.wait_for("to the inspector", |m| m.contains("ann@dairy.example"));
    assert!(mail.contains("Photograph the well cap."), "{mail}");

    // the outbox shows both sent; the audit log every step
    let outbox = c.get("/review/outbox");
    assert_eq!(outbox.body.matches("sent 20").count(), 3, "{}", outbox.body);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM outbox WHERE kind = 'digest'"),
        1,
        "one digest a day"
    );
    let log = c.get("/review/audit");
    for a in [
        "action.suspension",
        "permit.status",
        "letter.drafted",
        "letter.approved",
        "inspection.returned",
        "user.email",
    ] {
        assert!(log.body.contains(a), "{a} in the audit log");
    }
    let csv = c.get("/review/audit.csv?subject=farm-1");
    assert!(
        csv.body.contains("letter.approved")
            && csv.body.contains("e-mailed to roy.harris@farm.example")
    );
}

#[test]
fn a_bad_smtp_answer_is_retried_with_a_growing_wait_and_every_attempt_recorded() {
    // nothing listens on this port: each attempt fails and is recorded with the next try
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = TestServer::start_mailing(&format!("smtp://127.0.0.1:{port}"));
    let mut c = signed_in(&server, "sue");
    // the permit holder's address on record: the action's letter goes there
    let a = c.submit(
        "/review/facilities/farm-2/contact",
        &[("email", "bad address")],
    );
    assert_eq!(a.status, 400);
    let a = c.submit(
        "/review/facilities/farm-2/contact",
        &[("email", "henley@farm.example")],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let a = c.submit(
        "/review/facilities/farm-2/actions",
        &[
            ("kind", "warning_letter"),
            ("issued_on", &now().date_naive().to_string()),
            ("cause", "2 of the last 4 somatic cell counts over"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let page = c.get(a.location.as_deref().unwrap());
    let letter = page
        .body
        .split("/review/letters/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        c.submit(&format!("/review/letters/{letter}/approve"), &[])
            .status,
        303
    );
    let start = Instant::now();
    while count(&server, "SELECT COUNT(*) FROM outbox_attempts") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the sender tried"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // one attempt, then a wait of a minute: not another at once
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(count(&server, "SELECT COUNT(*) FROM outbox_attempts"), 1);
    let (sent, next): (bool, Option<String>) = server
        .db()
        .query_row("SELECT sent, next_at FROM outbox_attempts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(!sent && next.is_some());
    let outbox = c.get("/review/outbox");
    assert!(outbox.body.contains("retry at"), "{}", outbox.body);
    assert!(
        outbox.body.contains("henley@farm.example"),
        "to the address on record"
    );
}

#[test]
fn lab_results_uploaded_on_the_page_raise_the_two_of_four_warning() {
    let server = TestServer::start();
    let mut c = signed_in(&server, "sue");
    let today = now().date_naive();
    let day = |n: u64| (today - chrono::Days::new(n)).to_string();
    // four recent bacteria counts of farm-6, two over 100,000: with the demo's four older ones
    // (none over in the last five), 2 of the last 4 are over
    let csv = format!(
        "lab_number,sample_date,subject_id,standard,value,procedure\n\
         55001,{},farm-6,bacteria,30000,2\n55001,{},farm-6,bacteria,150000,2\n\
         55001,{},farm-6,bacteria,40000,2\n55001,{},farm-6,bacteria,160000,2\n",
        day(25),
        day(20),
        day(15),
        day(10)
    );
    // a bad line refuses the file whole
    let bad = csv.replace(",40000,", ",lots,");
    let a = c.submit("/review/lab/import", &[("csv", &bad)]);
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("Nothing was imported"));
    let results =
        "SELECT COUNT(*) FROM lab_results WHERE subject_id = 'farm-6' AND standard = 'bacteria'";
    assert_eq!(count(&server, results), 4, "only the demo's four");
    let a = c.submit("/review/lab/import", &[("csv", &csv)]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("4 results recorded"));
    assert_eq!(count(&server, results), 8);
    assert!(a.body.contains("2 of the last 4 over"), "{}", a.body);
    let ledger = c.get("/review/lab/farm-6");
    assert!(
        ledger.body.contains("ledger-warning") && ledger.body.contains("<svg"),
        "{}",
        ledger.body
    );
    assert_eq!(
        ledger.body.matches("<circle").count(),
        8 + 3 * 4,
        "the year's samples on the charts: eight bacterial counts, the demo's four of each other standard"
    );
    // one result by hand, checked as a CSV line is
    let a = c.submit(
        "/review/lab/entry",
        &[
            ("lab_number", "55001"),
            ("sample_date", &day(2)),
            ("subject_id", "farm-6"),
            ("standard", "bacteria"),
            ("value", "-5"),
            ("procedure", "2"),
        ],
    );
    assert_eq!(a.status, 422);
    let a = c.submit(
        "/review/lab/entry",
        &[
            ("lab_number", "55001"),
            ("sample_date", &day(2)),
            ("subject_id", "farm-6"),
            ("standard", "bacteria"),
            ("value", "20000"),
            ("procedure", "2"),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(c
        .get("/review/audit?action=lab")
        .body
        .contains("lab.imported"));
}

#[test]
fn a_conflict_two_devices_made_is_resolved_by_the_supervisor_and_reaches_a_device() {
    let server = TestServer::start();
    let mut a = TestDevice::enroll(&server.url(), "ann");
    let mut b = TestDevice::enroll(&server.url(), "ann");
    let id = a.inspect_farm("farm-3", &[]);
    a.sync().unwrap();
    b.sync().unwrap();
    // apart, the two tablets record different volumes
    a.store
        .edit(id, &now(), |d| d.set_pounds_sold_daily(1700, &now()))
        .unwrap();
    b.store
        .edit(id, &now(), |d| d.set_pounds_sold_daily(1750, &now()))
        .unwrap();
    a.sync().unwrap();
    b.sync().unwrap();
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM inspections WHERE conflicts > 0"
        ),
        1
    );

    let mut c = signed_in(&server, "sue");
    let queue = c.get("/review/conflicts");
    assert!(
        queue.body.contains(&format!("/review/conflicts/{id}")),
        "{}",
        queue.body
    );
    let page = c.get(&format!("/review/conflicts/{id}"));
    assert!(
        page.body.contains("volume/pounds_sold_daily"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1700") && page.body.contains("1750"));
    assert!(
        page.body.contains("Ann Lindqvist (test tablet)"),
        "who set each value: {}",
        page.body
    );
    // keep the value not shown now
    let shown = if page.body.find("1700").unwrap() < page.body.find("1750").unwrap() {
        1700
    } else {
        1750
    };
    let other = if shown == 1700 { 1750 } else { 1700 };
    let a_ = c.submit(
        &format!("/review/conflicts/{id}"),
        &[("path", "volume/pounds_sold_daily"), ("choice", "1")],
    );
    assert_eq!(a_.status, 303, "{}", a_.body);
    assert!(c
        .get(&format!("/review/conflicts/{id}"))
        .body
        .contains("No conflicting values remain"));
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM inspections WHERE conflicts > 0"
        ),
        0
    );
    // the supervisor's change reaches the tablet, which agrees
    a.sync().unwrap();
    let i = a.store.inspection(id).unwrap();
    assert_eq!(i.pounds_sold_daily, Some(other));
    assert!(a.store.document(id).unwrap().conflicts().is_empty());
    b.sync().unwrap();
    assert_eq!(
        b.store.inspection(id).unwrap().pounds_sold_daily,
        Some(other)
    );
    assert!(c
        .get("/review/audit?action=conflict")
        .body
        .contains(&format!("set to {other}")));
    // a stale choice is refused rather than written twice
    let again = c.submit(
        &format!("/review/conflicts/{id}"),
        &[("path", "volume/pounds_sold_daily"), ("choice", "1")],
    );
    assert_eq!(again.status, 409);
}

#[test]
fn a_farm_assigned_on_the_desk_comes_first_on_the_inspectors_tablet() {
    let server = TestServer::start();
    let mut ann = TestDevice::enroll(&server.url(), "ann");
    ann.sync().unwrap();
    let first_before = work::in_work_order(&ann.store, briefcase::FARMS).unwrap()[0]
        .id
        .to_string();
    // the farm due last is the one assigned
    let last = work::in_work_order(&ann.store, briefcase::FARMS)
        .unwrap()
        .last()
        .unwrap()
        .id
        .to_string();
    assert_ne!(first_before, last);
    let ann_id = ann.enrollment.user_id.clone();
    let mut c = signed_in(&server, "sue");
    let a = c.submit(
        &format!("/review/facilities/{last}/assign"),
        &[("user", &ann_id), ("reason", "")],
    );
    assert_eq!(a.status, 400, "a reason is given");
    let a = c.submit(
        &format!("/review/facilities/{last}/assign"),
        &[("user", &ann_id), ("reason", "route change")],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let page = c.get(&format!("/review/facilities/{last}"));
    assert!(
        page.body
            .contains("Assigned to <strong>Ann Lindqvist</strong>"),
        "{}",
        page.body
    );
    ann.sync().unwrap();
    let list = work::in_work_order(&ann.store, briefcase::FARMS).unwrap();
    assert_eq!(list[0].id.to_string(), last, "her assignment first");
    assert_eq!(list[0].assigned_name.as_deref(), Some("Ann Lindqvist"));
    // another inspector's tablet keeps its own order: the farm is not hers
    let mut hal = TestDevice::enroll(&server.url(), "hal");
    hal.sync().unwrap();
    let hal_list = work::in_work_order(&hal.store, briefcase::FARMS).unwrap();
    assert_ne!(
        hal_list.first().map(|f| f.id.to_string()),
        Some(last.clone())
    );
    // reassigning with an inspection open records it
    let open = ann.inspect_farm(&last, &[]);
    ann.sync().unwrap();
    let a = c.submit(
        &format!("/review/facilities/{last}/assign"),
        &[("user", ""), ("reason", "leave")],
    );
    assert_eq!(a.status, 303);
    let log = c.get("/review/audit?action=inspection.reassigned");
    assert!(log.body.contains(&open.to_string()), "{}", log.body);
    // a user of another role, or of another agency, is not an inspector to assign
    let sam: String = server
        .db()
        .query_row("SELECT id FROM users WHERE username = 'sam'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        c.submit(
            &format!("/review/facilities/{last}/assign"),
            &[("user", &sam), ("reason", "x")]
        )
        .status,
        404
    );
}

/// Every form of the desk: its path and fields (ids of the demo agency's records).
fn desk_forms(
    action: &str,
    letter: &str,
    inspection: &str,
    ann: &str,
    residue: &str,
    listing: &str,
    permit: &str,
) -> Vec<(String, Vec<(&'static str, String)>)> {
    let today = now().date_naive().to_string();
    vec![
        ("/review/facilities/farm-2/pounds".into(), vec![("pounds_daily", "2200".into()), ("effective_on", today.clone())]),
        ("/review/facilities/farm-2/name".into(), vec![("name", "James Henley & Sons".into())]),
        ("/review/facilities/farm-2/contact".into(), vec![("email", "henley@farm.example".into())]),
        ("/review/facilities/farm-2/appendix-p".into(), vec![("category", "12".into()), ("effective_on", today.clone())]),
        ("/review/lab/laboratories".into(), vec![("lab_number", "55002".into()), ("name", "Matrix Lab".into()), ("classification", "F".into()), ("approved_until", "2027-12-31".into())]),
        (format!("/review/permits/{permit}/status"), vec![("status", "expired".into()), ("effective_on", today.clone()), ("reason", "matrix".into())]),
        ("/review/residue".into(), vec![("producer_id", "farm-4".into()), ("sampled_on", today.clone()), ("time", "06:00".into()), ("plant", "P".into()), ("test_method", "T".into()), ("result", "positive".into())]),
        (format!("/review/residue/{residue}/steps"), vec![("step", "notified".into()), ("party", "permit_holder".into()), ("how", "phone".into()), ("at", format!("{today}T07:00"))]),
        (format!("/review/listings/{listing}/events"), vec![("event", "permission_received".into()), ("on", today.clone()), ("signed_by", "J".into()), ("title", "T".into())]),
        ("/review/facilities/new".into(), vec![("kind", "dairy_farm".into()), ("name", "Matrix Farm".into()), ("number", "99-0001".into())]),
        ("/review/facilities/import".into(), vec![("step", "import".into()), ("csv", "name,number\nMatrix Import,99-0002\n".into())]),
        ("/review/facilities/farm-2/move".into(), vec![("step", "preview".into()), ("listing", "btu-1".into()), ("effective_on", today.clone())]),
        ("/review/facilities/farm-2/assign".into(), vec![("user", ann.into()), ("reason", "matrix".into())]),
        ("/review/facilities/farm-2/actions".into(), vec![("kind", "hearing".into()), ("issued_on", today.clone()), ("cause", "matrix".into())]),
        (format!("/review/actions/{action}/letters"), vec![("findings", "matrix".into())]),
        (format!("/review/letters/{letter}/approve"), vec![]),
        ("/review/templates/hearing".into(), vec![("subject", "{{action}}".into()), ("body", "Dear {{facility}}".into())]),
        ("/review/lab/import".into(), vec![("csv", format!("lab_number,sample_date,subject_id,standard,value,procedure\n55001,{today},farm-2,bacteria,1000,2\n"))]),
        ("/review/lab/entry".into(), vec![("lab_number", "55001".into()), ("sample_date", today.clone()), ("subject_id", "farm-2".into()), ("standard", "bacteria".into()), ("value", "1000".into()), ("procedure", "2".into())]),
        (format!("/review/conflicts/{inspection}"), vec![("path", "volume/pounds_sold_daily".into()), ("choice", "1".into())]),
        (format!("/review/users/{ann}/email"), vec![("email", "ann@dairy.example".into())]),
    ]
}

#[test]
fn the_authorization_matrix_of_the_desk_role_by_form_and_another_agency_by_id() {
    let server = TestServer::start();
    server.add_north_agency();
    let one = |sql: &str| -> String { server.db().query_row(sql, [], |r| r.get(0)).unwrap() };
    let ann = one("SELECT id FROM users WHERE username = 'ann'");
    let inspection = one("SELECT id FROM inspections WHERE agency_id = 'demo' LIMIT 1");
    // an action with a letter to approve, made by the supervisor
    let mut sue = signed_in(&server, "sue");
    let a = sue.submit(
        "/review/facilities/farm-2/actions",
        &[
            ("kind", "warning_letter"),
            ("issued_on", &now().date_naive().to_string()),
            ("cause", "matrix"),
        ],
    );
    let action = a.location.unwrap().rsplit('/').next().unwrap().to_string();
    let letter = one("SELECT id FROM letters ORDER BY drafted_at DESC LIMIT 1");
    let residue = one("SELECT id FROM residue_events LIMIT 1");
    let listing = one("SELECT id FROM listing_ratings LIMIT 1");
    let permit = one("SELECT id FROM permits WHERE facility_id = 'farm-2'");
    let forms = desk_forms(
        &action,
        &letter,
        &inspection,
        &ann,
        &residue,
        &listing,
        &permit,
    );
    let changes = || count(&server, "SELECT COUNT(*) FROM audit_log");

    // who may: the office (supervisor, administrator) keeps the registry, enforcement, the lab,
    // Appendix N, assignments and addresses; a reviewer (supervisor, rating officer) resolves
    // conflicts; the Rating Agency (rating officer, administrator) keeps the listing register
    let may = |user: &str, path: &str| -> bool {
        if path.starts_with("/review/conflicts/") {
            matches!(user, "sue" | "sam")
        } else if path.starts_with("/review/listings/") {
            matches!(user, "sam" | "admin")
        } else {
            matches!(user, "sue" | "admin")
        }
    };
    for user in ["sue", "admin", "sam"] {
        let mut c = signed_in(&server, user);
        for (path, fields) in &forms {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            // without the session's CSRF token: refused, whoever it is
            let before = changes();
            let mut no_csrf = fields.clone();
            no_csrf.push(("csrf", "forged"));
            assert_eq!(
                c.post(path, &no_csrf).status,
                403,
                "{user} {path} without its token"
            );
            assert_eq!(
                changes(),
                before,
                "{user} {path}: nothing written without the token"
            );
            let allowed = may(user, path);
            let a = c.submit(path, &fields);
            assert!(a.status < 500, "{user} {path}: {} {}", a.status, a.body);
            if allowed {
                assert_ne!(a.status, 403, "{user} may {path}: {}", a.body);
            } else {
                assert_eq!(a.status, 403, "{user} may not {path}: {}", a.body);
                assert_eq!(changes(), before, "{user} {path}: a refusal writes nothing");
            }
        }
    }

    // another agency's supervisor finds none of these records, even by their ids
    let mut nina = WebClient::new(&server.url());
    assert_eq!(nina.login("north", "nina", "north-pass").status, 303);
    nina.get("/review");
    let before = changes();
    for (path, fields) in &forms {
        if matches!(
            path.as_str(),
            "/review/facilities/new"
                | "/review/facilities/import"
                | "/review/lab/import"
                | "/review/lab/entry"
                | "/review/lab/laboratories"
        ) {
            continue; // her own agency's forms, with no id in them
        }
        if path.starts_with("/review/templates/") {
            continue; // an action kind, not a record
        }
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a = nina.submit(path, &fields);
        // not found in her agency (or, for the listing register, not her role's at all)
        let expected = if path.starts_with("/review/listings/") {
            403
        } else {
            404
        };
        assert_eq!(a.status, expected, "north: {path}: {}", a.body);
    }
    for path in [
        format!("/review/actions/{action}"),
        format!("/review/letters/{letter}/pdf"),
        "/review/lab/farm-2".into(),
        format!("/review/conflicts/{inspection}"),
    ] {
        assert_eq!(nina.get(&path).status, 404, "north reads {path}");
    }
    // her lab file naming the demo's farm is refused as not hers
    let a = nina.submit(
        "/review/lab/entry",
        &[
            ("lab_number", "55001"),
            ("sample_date", &now().date_naive().to_string()),
            ("subject_id", "farm-2"),
            ("standard", "bacteria"),
            ("value", "1000"),
            ("procedure", "2"),
        ],
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM audit_log WHERE agency_id = 'demo'"
        ),
        before
    );
    let log = nina.get("/review/audit");
    assert!(
        !log.body.contains("Sue Marchetti"),
        "the audit log is the agency's own"
    );
}

#[test]
fn appendix_n_steps_and_the_2359o_are_logged_on_the_pages_with_who_and_when() {
    let server = TestServer::start();
    let today = now().date_naive().to_string();
    let mut sue = signed_in(&server, "sue");
    let a = sue.submit(
        "/review/residue",
        &[
            ("producer_id", "farm-4"),
            ("sampled_on", &today),
            ("time", "06:40"),
            ("plant", "Valley Dairy"),
            ("test_method", "SNAP Beta-Lactam"),
            ("result", "positive"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let page = sue.get("/review/residue");
    assert!(page.body.contains("held: do not ship") && page.body.contains("Notices owed"));
    let id: String = server
        .db()
        .query_row("SELECT id FROM residue_events WHERE producer_id = 'farm-4' ORDER BY recorded_at DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let steps = format!("/review/residue/{id}/steps");
    let at = format!("{today}T07:15");
    for party in ["regulatory_agency", "permit_holder"] {
        let a = sue.submit(
            &steps,
            &[
                ("step", "notified"),
                ("party", party),
                ("how", "phone"),
                ("at", &at),
            ],
        );
        assert_eq!(a.status, 303, "{party}: {}", a.body);
    }
    // a disposition report missing its fields is refused, naming them
    let a = sue.submit(
        &steps,
        &[
            ("step", "disposition"),
            ("disposition", "dumped"),
            ("signed_by", "Sue"),
            ("at", &at),
        ],
    );
    assert_eq!(a.status, 400);
    assert!(a.body.contains("producers"), "{}", a.body);
    let tomorrow = (now().date_naive() + chrono::Days::new(1)).to_string();
    let a = sue.submit(
        &steps,
        &[
            ("step", "negative"),
            ("at", &tomorrow),
            ("test_method", "SNAP Beta-Lactam"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let page = sue.get("/review/residue");
    let section = |body: &str| -> String {
        let start = body.find(&format!("id=\"residue-{id}\"")).unwrap();
        body[start..]
            .split("</section>")
            .next()
            .unwrap()
            .to_string()
    };
    let ours = section(&page.body);
    assert!(
        !ours.contains("Notices owed"),
        "both notices logged: {ours}"
    );
    assert!(
        ours.contains("may ship") && ours.contains("Sue Marchetti"),
        "{ours}"
    );

    // the 2359o: the rating officer records it received, signed
    let listing: String = server
        .db()
        .query_row("SELECT id FROM listing_ratings LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let mut sam = signed_in(&server, "sam");
    let path = format!("/review/listings/{listing}/events");
    let a = sam.submit(
        &path,
        &[
            ("event", "permission_received"),
            ("on", &today),
            ("signed_by", "J. Plant"),
            ("title", ""),
        ],
    );
    assert_eq!(a.status, 400, "the 2359o comes back signed with a title");
    let a = sam.submit(
        &path,
        &[
            ("event", "permission_received"),
            ("on", &today),
            ("signed_by", "J. Plant"),
            ("title", "Manager"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(sam.get("/review/listings").body.contains("received"));
    // a supervisor keeps Appendix N, not the listing register
    assert_eq!(
        sue.submit(&path, &[("event", "permission_sent"), ("on", &today)])
            .status,
        403
    );
    let log = sue.get("/review/audit");
    for a in [
        "residue.event",
        "residue.notified",
        "residue.negative",
        "listing.permission_received",
    ] {
        assert!(log.body.contains(a), "{a} in the audit log");
    }
}
