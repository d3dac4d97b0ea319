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
fn plant_inspection(sue: &mut TestDevice) -> Uuid {
    let header = Header {
        id: Uuid::now_v7(),
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
            id: sue.enrollment.user_id.clone(),
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
