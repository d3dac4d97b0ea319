//! Validation errors name the JSON path and what is wrong; nothing is rated.

use super::*;

fn problems(text: &str) -> Vec<Problem> {
    match parse(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.problems(),
    }
}

fn first(text: &str) -> (String, String) {
    let p = problems(text);
    (p[0].path.clone(), p[0].message.clone())
}

const FARM: &str = r#"{"form":"2359k","farms":[{"name":"A","pounds_sold_daily":1700,"violations":["2A"]},
  {"name":"B","cwt":21,"violations":[VIOLATION]}]}"#;

fn farm_with(v: &str) -> String {
    FARM.replace("VIOLATION", v)
}

#[test]
fn unknown_item_names_its_path() {
    let (path, msg) = first(&farm_with(r#""2Z""#));
    assert_eq!(path, "farms[1].violations[0]");
    assert!(msg.contains("unknown item \"2Z\""), "{msg}");
}

#[test]
fn item_with_sub_items_asks_for_one() {
    let (path, msg) = first(&farm_with(r#""15""#));
    assert_eq!(path, "farms[1].violations[0]");
    assert!(msg.contains("15A, 15B, 15C, 15D, 15E"), "{msg}");
}

#[test]
fn points_the_item_does_not_allow_are_refused() {
    let (path, msg) = first(&farm_with(r#"{"item":"8","points":3}"#));
    assert_eq!(path, "farms[1].violations[0].points");
    assert!(msg.contains("2 or 5"), "{msg}");
    let (path, _) = first(&farm_with(r#"{"item":"3","points":4}"#));
    assert_eq!(path, "farms[1].violations[0].points");
    assert!(parse(&farm_with(r#"{"item":"3","points":3}"#)).is_ok());
}

#[test]
fn water_supply_needs_its_points() {
    let (_, msg) = first(&farm_with(r#""8""#));
    assert!(msg.contains("needs \"points\""), "{msg}");
}

#[test]
fn unknown_fields_are_errors() {
    let (path, msg) = first(&farm_with(r#"{"item":"3","pionts":3}"#));
    assert_eq!(path, "farms[1].violations[0].pionts");
    assert!(msg.contains("unknown field `pionts`"), "{msg}");
    let (path, msg) = first(r#"{"form":"2359k","farms":[{"name":"A","cwt":1,"violation":[]}]}"#);
    assert_eq!(path, "farms[0].violation");
    assert!(msg.contains("unknown field `violation`"), "{msg}");
}

#[test]
fn negative_pounds_are_refused() {
    let (path, msg) = first(r#"{"form":"2359k","farms":[{"name":"A","pounds_sold_daily":-5}]}"#);
    assert_eq!(path, "farms[0].pounds_sold_daily");
    assert!(msg.contains("-5"), "{msg}");
}

#[test]
fn truncated_json_is_a_syntax_error() {
    let e = parse(r#"{"form":"2359k","farms":[{"name":"A","#).unwrap_err();
    assert!(matches!(e, WorksheetError::Syntax { line: 1, .. }), "{e}");
}

#[test]
fn every_problem_is_reported() {
    let p = problems(
        r#"{"form":"2359k","farms":[{"name":"A","violations":["99"]},{"name":"B","cwt":3,"pounds_sold_daily":300}]}"#,
    );
    let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["farms[0]", "farms[0].violations[0]", "farms[1]"]);
}

#[test]
fn partial_debits_only_where_the_mmsr_allows() {
    let sheet = |v: &str| {
        format!(
            r#"{{"form":"2359L","plant":{{"name":"P","cwt":100,"violations":[{v}]}},
               "products":[{{"name":"Milk","cwt":10}}]}}"#
        )
    };
    let (path, msg) = first(&sheet(r#"{"item":"7","products":["Milk"]}"#));
    assert_eq!(path, "plant.violations[0].products");
    assert!(msg.contains("cannot take a partial debit"), "{msg}");
    let (path, msg) = first(&sheet(r#"{"item":"19","products":["Cream"]}"#));
    assert_eq!(path, "plant.violations[0].products[0]");
    assert!(msg.contains("no product \"Cream\""), "{msg}");
    assert!(parse(&sheet(r#"{"item":"19","products":["Milk"]}"#)).is_ok());
    let (path, _) = first(&farm_with(r#"{"item":"3","products":["Milk"]}"#));
    assert_eq!(path, "farms[1].violations[0].products");
}

#[test]
fn unknown_form_and_catalog() {
    let (path, msg) = first(r#"{"form":"2359z"}"#);
    assert_eq!(path, "form");
    assert!(msg.contains("2359k"), "{msg}");
    let (path, _) = first(r#"{"form":"2359k","catalog":"pmo-1999","farms":[]}"#);
    assert_eq!(path, "catalog");
    let (path, _) = first(r#"[1,2]"#);
    assert_eq!(path, "$");
}

#[test]
fn option2_shares_must_add_up() {
    let (path, msg) = first(
        r#"{"form":"raw_milk_combined","option":2,"supplies":[
            {"name":"A","rating":95,"percent_of_supply":20,"rating_date":"2011-06-15"},
            {"name":"B","rating":90,"percent_of_supply":35,"rating_date":"2011-06-15"}]}"#,
    );
    assert_eq!(path, "supplies");
    assert!(msg.contains("55"), "{msg}");
}

#[test]
fn plant_phosphatase_is_reported_not_debited() {
    let text = r#"{"form":"2359L","rating_date":"2012-09-20","plant":{"name":"P","cwt":100},
        "products":[{"name":"Milk","cwt":40,"lab":{"phosphatase":[{"date":"2012-09-01","value":900}]}}]}"#;
    let out: Value = serde_json::from_str(&rate_json(text).unwrap()).unwrap();
    assert_eq!(out["rating"], 100);
    let warnings = out["warnings"].as_array().unwrap();
    assert!(
        warnings[0].as_str().unwrap().contains("phosphatase"),
        "{warnings:?}"
    );
    assert_eq!(out["rows"][1]["lab"][0]["debited"], false);
}

#[test]
fn farm_lab_results_debit_their_columns() {
    // 3 of the last 4 bacterial counts over 100,000 with the last within: debited (L322–325)
    let text = r#"{"form":"2359k","rating_date":"2012-08-10","farms":[{"name":"A","cwt":10,
        "lab":{"bacteria":[{"date":"2012-05-01","value":150000},{"date":"2012-06-01","value":200000},
                           {"date":"2012-07-01","value":120000},{"date":"2012-08-01","value":5000}]}}]}"#;
    let out: Value = serde_json::from_str(&rate_json(text).unwrap()).unwrap();
    assert_eq!(out["farms"][0]["debits"]["LAB-BACT-DRUG"], 10);
    assert_eq!(out["rating"], 90);
    // an empty list is a requirement with no samples: debited too
    let none = text.replace(
        r#"[{"date":"2012-05-01","value":150000},{"date":"2012-06-01","value":200000},
                           {"date":"2012-07-01","value":120000},{"date":"2012-08-01","value":5000}]"#,
        "[]",
    );
    let out: Value = serde_json::from_str(&rate_json(&none).unwrap()).unwrap();
    assert_eq!(out["farms"][0]["lab"][0]["required_number_met"], false);
    assert_eq!(out["rating"], 90);
}

#[test]
fn enforcement_worksheet_errors_name_the_item() {
    let base = r#"{"form":"2359j","shipper_type":"btu_only","rating_date":"2012-06-16","part_i":{
        "1":{"number":1,"complying":1},"2":{"number":4,"complying":3},"3":{"number":1,"complying":1},
        "4":{"points_off":[1,3,5]},"5":true,"6":{"number":5,"complying":4},"7":true,"8":{"number":1,"complying":0},
        "9":{"percent":100},"10":{"rows":[[1,0],[1,0],[1,1],[1,1],[1,1]]},"11":{"rows":[[1,1],[1,1],[1,0],[1,1]]}}}"#;
    let out: Value = serde_json::from_str(&rate_json(base).unwrap()).unwrap();
    assert_eq!(out["enforcement_rating"], 76);
    let (path, msg) = first(&base.replace(r#""5":true"#, r#""5":{"number":3,"complying":2}"#));
    assert_eq!(path, "part_i.5");
    assert!(msg.contains("all-or-nothing"), "{msg}");
    let (path, _) = first(&base.replace(r#""7":true,"#, ""));
    assert_eq!(path, "part_i.7");
    let (path, msg) = first(&base.replace(
        r#""8":{"number":1,"complying":0}"#,
        r#""8":{"number":1,"complying":2}"#,
    ));
    assert_eq!(path, "part_i.8");
    assert!(msg.contains("impossible"), "{msg}");
    let (path, _) = first(&base.replace(
        r#""11":{"rows":[[1,1],[1,1],[1,0],[1,1]]}"#,
        r#""11":{"rows":[[1,1]]}"#,
    ));
    assert_eq!(path, "part_i.11.rows");
    let (path, _) = first(&base.replace("btu_only", "plant_only"));
    assert_eq!(path, "shipper_type");
    let (path, _) = first(&base.replace("btu_only", "plant_unattached_only"));
    assert_eq!(path, "part_i");
}

#[test]
fn a_listing_block_on_a_sanitation_worksheet() {
    let text = include_str!("../../tests/data/h15-metro-dairy-2359L.json");
    let mut v: Value = serde_json::from_str(text).unwrap();
    v["listing"] = serde_json::json!({"kind": "milk_plant", "rating_dates": ["2012-10-30"], "enforcement_rating": 87,
        "sources": [{"name": "Metro Receiving Station", "sanitation_rating": 91}]});
    let out: Value = serde_json::from_str(&rate_json(&v.to_string()).unwrap()).unwrap();
    assert_eq!(out["listing"]["eligible"], true, "plant rated 91 ≥ 90");
    assert_eq!(
        out["listing"]["expiry"], "2013-04-29",
        "enforcement 87: six months less a day"
    );
    v["listing"]["sources"][0]["sanitation_rating"] = 89.into();
    let out: Value = serde_json::from_str(&rate_json(&v.to_string()).unwrap()).unwrap();
    assert_eq!(out["listing"]["eligible"], false);
    v["listing"]
        .as_object_mut()
        .unwrap()
        .remove("enforcement_rating");
    let (path, _) = first(&v.to_string());
    assert_eq!(path, "listing.enforcement_rating");
}

#[test]
fn a_milking_time_program_entered_as_missing_is_credited_in_full_with_a_warning() {
    let text = include_str!("../../tests/data/h11-great-cows-2359j.json");
    let mut v: Value = serde_json::from_str(text).unwrap();
    let rated =
        |v: &Value| -> Value { serde_json::from_str(&rate_json(&v.to_string()).unwrap()).unwrap() };
    v["part_i"]["7"] = Value::Bool(true);
    let met = rated(&v);
    v["part_i"]["7"] = Value::Bool(false);
    let missing = rated(&v);
    assert_eq!(met["enforcement_rating"], missing["enforcement_rating"]);
    assert_eq!(met["part_i"]["total"], missing["part_i"]["total"]);
    assert_eq!(met["warnings"], serde_json::json!([]));
    let w = missing["warnings"][0].as_str().unwrap();
    assert!(
        w.contains("Part I item 7") && w.contains("L8089-8091"),
        "{w}"
    );
}
