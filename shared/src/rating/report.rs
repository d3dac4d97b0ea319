//! The rating report: FORM FDA 2359j as the rating officer fills it in on the tablet and the
//! agency record holds it (a [`crate::document::InspectionKind::RatingReport`] document).
//!
//! - **Section A**, the report of the milk sanitation rating (MMSR L1028-1067, the form at
//!   L1355-1388): what the rating officer writes ([`SECTION_A`]: the shipper's address, the
//!   Regulatory Agency, its milk sanitarian, the ordinance in effect, the approved laboratory,
//!   the recommendations) and the summary of rating results, which is never typed: the numbers
//!   of farms and plants and the ratings come from the rating's visits and this report's
//!   Section B ([`Summary`]).
//! - **Section B**, the report of enforcement methods (Parts I-III, MMSR L797-1027), item by
//!   item as the enforcement engine reads it ([`enforcement_worksheet`]).
//!
//! Entries are stored flat, by path (`a/recommendations`, `part_i/3/number`), each value JSON
//! text, so two devices editing different items converge item by item; [`draft_of`] nests them
//! back.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::enforcement::{EnforcementForm, ItemDef, Mode};

/// What a rating report of a registry facility is of: a BTU as a BTU, a plant or station as
/// itself; a farm or a hauler/sampler is not a shipper (`None`). The tablet starts reports and
/// the server accepts them by this one rule.
pub fn report_subject(kind: crate::registry::FacilityKind) -> Option<crate::document::SubjectKind> {
    use crate::document::SubjectKind;
    use crate::registry::FacilityKind;
    match kind {
        FacilityKind::Btu => Some(SubjectKind::Btu),
        k if k.is_shipper() => crate::workload::subject_of(k),
        _ => None,
    }
}

/// An entry's path from its parts.
pub fn entry_path(parts: &[&str]) -> String {
    parts.join("/")
}

/// The path of a Section A field.
pub fn section_a_path(key: &str) -> String {
    entry_path(&["a", key])
}

/// The fields of Section A the rating officer writes, `(key, label)`, in the form's order
/// (L1355-1370, L1388).
pub const SECTION_A: [(&str, &str); 9] = [
    ("shipper_address", "Shipper's name and address"),
    ("regulatory_agency", "Regulatory Agency"),
    ("milk_sanitarian", "Milk sanitarian"),
    ("ordinance", "Ordinance in effect"),
    ("ordinance_edition", "Ordinance edition"),
    ("ordinance_adopted", "Date adopted"),
    ("laboratory", "Approved laboratory (name or #)"),
    ("laboratory_date", "Laboratory approval date"),
    ("recommendations", "Recommendations of the Rating Officer"),
];

/// The shipper type of a draft that names none: a BTU shipping only raw milk for
/// pasteurization (L843-850).
pub const DEFAULT_SHIPPER_TYPE: &str = "btu_only";

/// The report's entries nested back into the draft the enforcement screen edits:
/// `{"shipper_type": …, "part_i": {"3": {"number": 4}}, "a": {…}}`. Entries whose value is not
/// JSON are skipped.
pub fn draft_of(entries: &BTreeMap<String, String>) -> Value {
    let mut draft = json!({"shipper_type": DEFAULT_SHIPPER_TYPE});
    for (path, text) in entries {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let parts: Vec<&str> = path.split('/').collect();
        let Some((last, parents)) = parts.split_last() else {
            continue;
        };
        let mut slot = &mut draft;
        for p in parents {
            if !slot.get(*p).is_some_and(Value::is_object) {
                slot[*p] = json!({});
            }
            slot = &mut slot[*p];
        }
        slot[*last] = value;
    }
    draft
}

fn item_value(def: &ItemDef, entry: &Value) -> Option<Value> {
    match def.mode {
        Mode::AllOrNothing => entry.get("complies").cloned(),
        Mode::Count | Mode::CountOrPoints => {
            if let Some(list) = points_off(entry) {
                return Some(json!({ "points_off": list }));
            }
            let n = entry.get("number")?.as_u64()?;
            let c = entry.get("complying")?.as_u64()?;
            Some(json!({"number": n, "complying": c}))
        }
        Mode::Points => Some(json!({ "points_off": points_off(entry).unwrap_or_default() })),
        _ => entry
            .get("percent")
            .and_then(|p| p.as_u64())
            .map(|p| json!({ "percent": p })),
    }
}

/// The weights misinterpreted, as typed ("15, 5") or as a list.
fn points_off(entry: &Value) -> Option<Vec<u32>> {
    match entry.get("points_off")? {
        Value::String(s) => Some(
            s.split(|c: char| c == ',' || c.is_whitespace())
                .filter_map(|x| x.trim().parse().ok())
                .collect(),
        ),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|v| v.as_u64().and_then(|n| u32::try_from(n).ok()))
                .collect(),
        ),
        _ => None,
    }
}

/// Section B of a draft as the exchange-format 2359j worksheet (`worksheet-format.md`), which
/// [`crate::worksheet::rate_json`] rates: the items the shipper type rates, each as the engine
/// reads it (MMSR L843-1027; Appendix A's guidelines).
pub fn enforcement_worksheet(form: &EnforcementForm, draft: &Value, rating_date: &str) -> Value {
    let shipper_type = draft
        .get("shipper_type")
        .and_then(|v| v.as_str())
        .unwrap_or(DEFAULT_SHIPPER_TYPE);
    let t = form.shipper_type(shipper_type);
    let part = |name: &str, defs: &[ItemDef], omit: &[u32]| -> Value {
        let mut m = Map::new();
        for def in defs.iter().filter(|d| !omit.contains(&d.no)) {
            let entry = &draft[name][def.no.to_string()];
            if let Some(v) = item_value(def, entry) {
                m.insert(def.no.to_string(), v);
            }
        }
        Value::Object(m)
    };
    let mut ws = json!({"form": "2359j", "shipper_type": shipper_type, "rating_date": rating_date});
    if t.is_some_and(|t| t.part_i) {
        ws["part_i"] = part("part_i", &form.part_i, &[]);
    }
    if let Some(omit) = t.and_then(|t| t.part_ii_omit.clone()) {
        ws["part_ii"] = part("part_ii", &form.part_ii, &omit);
    }
    if t.is_some_and(|t| t.item2.is_some()) {
        let l = &draft["labeling"];
        ws["part_iii"] = json!({"labeling": {"number": l["number"].as_u64().unwrap_or(0), "complying": l["complying"].as_u64().unwrap_or(0)}});
    }
    ws
}

/// Section B rated: the engine's 2359j result, or what is still to fill in.
pub fn rate_enforcement(
    form: &EnforcementForm,
    entries: &BTreeMap<String, String>,
    rating_date: &str,
) -> Result<Value, Vec<String>> {
    let sheet = enforcement_worksheet(form, &draft_of(entries), rating_date);
    crate::worksheet::rate_json(&sheet.to_string())
        .map_err(|e| e.problems().into_iter().map(|p| p.to_string()).collect())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| vec![e.to_string()]))
}

/// Section A's summary of rating results (L1039-1047, L1372-1385): each figure from the
/// rating's computed worksheets and this report's Section B, never typed. `None` where the
/// rating has no such part (a BTU has no plant) or it cannot be computed yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub dairy_farms: Option<usize>,
    pub dairy_farms_inspected: Option<usize>,
    /// The sanitation compliance rating of raw milk for pasteurization (FORM 2359k; the
    /// combined rating where supplies were combined, L1041-1047).
    pub raw_milk_rating: Option<u32>,
    pub plants: Option<usize>,
    pub plants_inspected: Option<usize>,
    /// The sanitation compliance rating of the milk plant, receiving or transfer station
    /// (FORM 2359L).
    pub plant_rating: Option<u32>,
    pub enforcement_rating: Option<u32>,
    pub pounds_pasteurized_daily: Option<u64>,
}

impl Summary {
    /// The summary's lines as the form prints them, `(label, figure)`.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let show = |v: Option<String>| v.unwrap_or_else(|| "—".into());
        vec![
            (
                "Number of dairy farms",
                show(self.dairy_farms.map(|n| n.to_string())),
            ),
            (
                "Number of dairy farms inspected",
                show(self.dairy_farms_inspected.map(|n| n.to_string())),
            ),
            (
                "Sanitation compliance rating of raw milk for pasteurization",
                show(self.raw_milk_rating.map(|n| n.to_string())),
            ),
            (
                "Number of milk plants, receiving stations or transfer stations",
                show(self.plants.map(|n| n.to_string())),
            ),
            (
                "Number of milk plants, receiving stations or transfer stations inspected",
                show(self.plants_inspected.map(|n| n.to_string())),
            ),
            (
                "Sanitation compliance rating of milk plant, receiving station or transfer station",
                show(self.plant_rating.map(|n| n.to_string())),
            ),
            (
                "Enforcement rating",
                show(self.enforcement_rating.map(|n| n.to_string())),
            ),
            (
                "Total pounds of pasteurized milk produced daily",
                show(self.pounds_pasteurized_daily.map(|n| n.to_string())),
            ),
        ]
    }
}

/// One rated worksheet of the rating, as the summary counts it: the engine's result (2359k or
/// 2359L), how many of its kind the shipper has and how many were rated.
#[derive(Debug, Clone, Copy)]
pub struct Rated<'a> {
    pub result: Option<&'a Value>,
    pub in_listing: usize,
    pub visited: usize,
}

/// Section A's summary from the rating's computed worksheets and Section B rated (L1039-1047):
/// the one function the tablet and the review pages both fill it with.
pub fn summary(
    farms: Option<Rated<'_>>,
    plant: Option<Rated<'_>>,
    enforcement: Option<&Value>,
    pounds_pasteurized_daily: Option<u64>,
) -> Summary {
    let rating = |r: &Rated<'_>| {
        r.result
            .and_then(|v| v["rating"].as_u64())
            .and_then(|n| u32::try_from(n).ok())
    };
    Summary {
        dairy_farms: farms.map(|f| f.in_listing),
        dairy_farms_inspected: farms.map(|f| f.visited),
        raw_milk_rating: farms.as_ref().and_then(rating),
        plants: plant.map(|p| p.in_listing),
        plants_inspected: plant.map(|p| p.visited),
        plant_rating: plant.as_ref().and_then(rating),
        enforcement_rating: enforcement
            .and_then(|v| v["enforcement_rating"].as_u64())
            .and_then(|n| u32::try_from(n).ok()),
        pounds_pasteurized_daily,
    }
}

/// A Section A field as written (text; an entry that is not a string shows as JSON).
pub fn section_a_field(entries: &BTreeMap<String, String>, key: &str) -> String {
    match entries
        .get(&section_a_path(key))
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
    {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The figures a listing takes from a rating report: the sanitation compliance rating (the
/// 2359k's for a BTU, the 2359L's for a plant) and Section B's enforcement rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportFigures {
    pub sanitation_rating: Option<u32>,
    pub enforcement_rating: u32,
}

impl Summary {
    /// What the listing register records from this report, when Section B is complete.
    pub fn figures(&self) -> Option<ReportFigures> {
        Some(ReportFigures {
            sanitation_rating: self.raw_milk_rating.or(self.plant_rating),
            enforcement_rating: self.enforcement_rating?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, Value)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .collect()
    }

    /// MMSR Section H #9 (United Dairy, a BTU): Part I entered item by item as the tablet
    /// stores it rates 76.
    #[test]
    fn entries_rate_like_the_worked_example() {
        let form = EnforcementForm::builtin().unwrap();
        let e = entries(&[
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
            ("a/recommendations", json!("Sample every farm monthly.")),
        ]);
        let rated = rate_enforcement(form, &e, "2012-06-16").unwrap();
        assert_eq!(rated["enforcement_rating"], 76);
        assert_eq!(
            section_a_field(&e, "recommendations"),
            "Sample every farm monthly."
        );
        // an item left out is named
        let mut short = e.clone();
        short.remove("part_i/9/percent");
        let problems = rate_enforcement(form, &short, "2012-06-16").unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("part_i")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_summary_gives_the_listing_its_figures() {
        let s = Summary {
            raw_milk_rating: Some(94),
            enforcement_rating: Some(76),
            ..Default::default()
        };
        assert_eq!(
            s.figures(),
            Some(ReportFigures {
                sanitation_rating: Some(94),
                enforcement_rating: 76
            })
        );
        assert_eq!(Summary::default().figures(), None);
        assert_eq!(s.lines()[2].1, "94");
    }
}
