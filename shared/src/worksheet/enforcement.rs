//! FORM 2359j worksheets (and their `listing` block): validation with JSON paths and result.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::calendar;
use crate::exact::{round_half_up, to_decimal_string, Exact};
use crate::listing::{self, ListingInput, ShipperKind, Source};
use crate::rating::enforcement::{
    self, Counts, EnforcementForm, ItemDef, ItemInput, PartTotal, SubScore,
};

use super::{Problems, WorksheetError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountsIn {
    pub number: u64,
    pub complying: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemObj {
    #[serde(default)]
    pub number: Option<u64>,
    #[serde(default)]
    pub complying: Option<u64>,
    #[serde(default)]
    pub points_off: Option<Vec<u32>>,
    #[serde(default)]
    pub percent: Option<u32>,
    /// Section C worksheet rows by item number.
    #[serde(default)]
    pub section_c: Option<BTreeMap<String, CountsIn>>,
    /// Section D/E worksheet rows `[number, complying]` by category.
    #[serde(default)]
    pub rows: Option<Vec<[u64; 2]>>,
}

/// An item: `true`/`false` (all-or-nothing) or an object.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemIn {
    Complies(bool),
    Obj(ItemObj),
}

impl<'de> Deserialize<'de> for ItemIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemIn;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true/false, or an object such as {\"number\": 25, \"complying\": 20}")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ItemIn, E> {
                Ok(ItemIn::Complies(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ItemIn, A::Error> {
                ItemObj::deserialize(de::value::MapAccessDeserializer::new(map)).map(ItemIn::Obj)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartIIIIn {
    /// Item 3: products correctly labeled of all products.
    pub labeling: CountsIn,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceIn {
    pub name: String,
    #[serde(default = "yes")]
    pub listed: bool,
    pub sanitation_rating: u32,
    #[serde(default)]
    pub enforcement_history: Vec<u32>,
    #[serde(default)]
    pub months_enforcement_below_90: u32,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingIn {
    pub kind: String,
    pub rating_dates: Vec<NaiveDate>,
    #[serde(default)]
    pub sanitation_rating: Option<u32>,
    #[serde(default)]
    pub sources: Vec<SourceIn>,
    #[serde(default)]
    pub haccp_marked: Vec<String>,
    #[serde(default)]
    pub aseptic_noncompliant: Vec<String>,
    /// The shipper's enforcement rating (taken from the worksheet itself on a 2359j).
    #[serde(default)]
    pub enforcement_rating: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnforcementIn {
    pub form: String,
    pub shipper_type: String,
    #[serde(default)]
    pub shipper: Option<String>,
    pub rating_date: NaiveDate,
    #[serde(default)]
    pub last_rating_date: Option<NaiveDate>,
    #[serde(default)]
    pub part_i: Option<BTreeMap<String, ItemIn>>,
    #[serde(default)]
    pub part_ii: Option<BTreeMap<String, ItemIn>>,
    #[serde(default)]
    pub part_iii: Option<PartIIIIn>,
    #[serde(default)]
    pub listing: Option<ListingIn>,
}

/// A validated 2359j worksheet with its computed parts.
#[derive(Debug, Clone)]
pub struct EnforcementWorksheet {
    pub shipper_type: String,
    pub shipper: Option<String>,
    pub rating_date: NaiveDate,
    pub last_rating_date: Option<NaiveDate>,
    pub part_i: Option<PartTotal>,
    pub part_ii: Option<PartTotal>,
    pub labeling: Option<Counts>,
    pub subscores: Vec<(String, SubScore)>,
    pub listing: Option<ListingInput>,
}

fn input_of(
    form: &EnforcementForm,
    def: &ItemDef,
    item: &ItemIn,
    path: &str,
    subscores: &mut Vec<(String, SubScore)>,
    problems: &mut Problems,
) -> Option<ItemInput> {
    use enforcement::Mode;
    match item {
        ItemIn::Complies(b) => Some(ItemInput::Complies(*b)),
        ItemIn::Obj(o) => {
            let given = [
                o.number.is_some() || o.complying.is_some(),
                o.points_off.is_some(),
                o.percent.is_some(),
                o.section_c.is_some(),
                o.rows.is_some(),
            ];
            if given.iter().filter(|g| **g).count() != 1 {
                problems.push(
                    path,
                    "give exactly one of number/complying, points_off, percent, section_c or rows",
                );
                return None;
            }
            if let (Some(n), Some(c)) = (o.number, o.complying) {
                return Some(ItemInput::Counts(Counts {
                    number: n,
                    complying: c,
                }));
            }
            if o.number.is_some() || o.complying.is_some() {
                problems.push(path, "give both number and complying");
                return None;
            }
            if let Some(p) = &o.points_off {
                return Some(ItemInput::PointsOff(p.clone()));
            }
            if let Some(p) = o.percent {
                return Some(ItemInput::Percent(p));
            }
            if let Some(rows) = &o.section_c {
                if def.mode != Mode::SectionC {
                    problems.push(
                        format!("{path}.section_c"),
                        format!("item {} is not the Section C item", def.no),
                    );
                    return None;
                }
                let plant = path.starts_with("part_ii");
                let mut counts = Vec::new();
                for (k, v) in rows {
                    match k
                        .parse::<u32>()
                        .ok()
                        .and_then(|n| form.section_c.iter().find(|i| i.no == n))
                    {
                        Some(i) if plant && !i.plant => problems.push(
                            format!("{path}.section_c.{k}"),
                            format!(
                                "Section C item {k} does not apply to plants (MMSR L8436-8448)"
                            ),
                        ),
                        Some(_) if v.complying > v.number => problems.push(
                            format!("{path}.section_c.{k}"),
                            format!("{} complying of {} is impossible", v.complying, v.number),
                        ),
                        Some(i) => counts.push((
                            i.no,
                            Counts {
                                number: v.number,
                                complying: v.complying,
                            },
                        )),
                        None => problems.push(
                            format!("{path}.section_c.{k}"),
                            "Section C has items 1 to 8",
                        ),
                    }
                }
                let s = enforcement::section_c(form, plant, &counts);
                subscores.push((path.to_string(), s.clone()));
                return Some(ItemInput::SubScore(s));
            }
            if let Some(rows) = &o.rows {
                let cats = match def.mode {
                    Mode::SectionDEnforcement | Mode::SectionEEnforcement => {
                        &form.enforcement_categories
                    }
                    Mode::SectionDRecords | Mode::SectionERecords => &form.records_categories,
                    _ => {
                        problems.push(
                            format!("{path}.rows"),
                            format!("item {} is not a Section D or E item", def.no),
                        );
                        return None;
                    }
                };
                if rows.len() != cats.len() {
                    problems.push(
                        format!("{path}.rows"),
                        format!("this worksheet has {} categories", cats.len()),
                    );
                    return None;
                }
                if let Some(i) = rows.iter().position(|r| r[1] > r[0]) {
                    problems.push(format!("{path}.rows[{i}]"), "more complying than inspected");
                    return None;
                }
                let counts: Vec<Counts> = rows
                    .iter()
                    .map(|r| Counts {
                        number: r[0],
                        complying: r[1],
                    })
                    .collect();
                let s = enforcement::section_de(cats, &counts);
                subscores.push((path.to_string(), s.clone()));
                return Some(ItemInput::SubScore(s));
            }
            None
        }
    }
}

#[allow(clippy::too_many_arguments)] // one call site per part; a struct would only rename them
fn part_of(
    form: &EnforcementForm,
    defs: &[ItemDef],
    given: &BTreeMap<String, ItemIn>,
    omit: &[u32],
    divisor: u32,
    name: &str,
    subscores: &mut Vec<(String, SubScore)>,
    problems: &mut Problems,
) -> Option<PartTotal> {
    let mut inputs = Vec::new();
    for (k, item) in given {
        let path = format!("{name}.{k}");
        match k
            .parse::<u32>()
            .ok()
            .and_then(|n| defs.iter().find(|d| d.no == n))
        {
            Some(def) => {
                if let Some(i) = input_of(form, def, item, &path, subscores, problems) {
                    inputs.push((def.no, i));
                }
            }
            None => problems.push(path, format!("no item {k}; items are 1 to {}", defs.len())),
        }
    }
    match enforcement::part(defs, &inputs, omit, divisor) {
        Ok(p) => Some(p),
        Err(errors) => {
            for e in errors {
                let no = match &e {
                    enforcement::ItemError::Missing(n)
                    | enforcement::ItemError::BadPercent(n)
                    | enforcement::ItemError::NotApplicable(n) => *n,
                    enforcement::ItemError::WrongInput { no, .. }
                    | enforcement::ItemError::TooManyComplying { no, .. } => *no,
                };
                problems.push(format!("{name}.{no}"), e.to_string());
            }
            None
        }
    }
}

pub(super) fn validate(input: EnforcementIn) -> Result<EnforcementWorksheet, WorksheetError> {
    let mut problems = Problems::default();
    let Some(form) = EnforcementForm::builtin() else {
        return Err(WorksheetError::Invalid(vec![super::Problem {
            path: "form".into(),
            message: "the FORM 2359j catalog failed to load".into(),
        }]));
    };
    let Some(t) = form.shipper_type(&input.shipper_type) else {
        let known: Vec<&str> = form.shipper_types.iter().map(|t| t.name.as_str()).collect();
        problems.push(
            "shipper_type",
            format!(
                "unknown shipper type \"{}\"; one of {}",
                input.shipper_type,
                known.join(", ")
            ),
        );
        return problems.finish(unreachable_sheet());
    };
    let mut subscores = Vec::new();
    let part_i = match (t.part_i, &input.part_i) {
        (true, Some(p)) => part_of(
            form,
            &form.part_i,
            p,
            &[],
            100,
            "part_i",
            &mut subscores,
            &mut problems,
        ),
        (true, None) => {
            problems.push(
                "part_i",
                format!("a {} rating has Part I (dairy farms)", t.name),
            );
            None
        }
        (false, Some(_)) => {
            problems.push("part_i", format!("a {} rating has no Part I", t.name));
            None
        }
        (false, None) => None,
    };
    let part_ii = match (&t.part_ii_omit, &input.part_ii) {
        (Some(omit), Some(p)) => part_of(
            form,
            &form.part_ii,
            p,
            omit,
            t.part_ii_divisor.unwrap_or(100),
            "part_ii",
            &mut subscores,
            &mut problems,
        ),
        (Some(_), None) => {
            problems.push(
                "part_ii",
                format!("a {} rating has Part II (plants and stations)", t.name),
            );
            None
        }
        (None, Some(_)) => {
            problems.push("part_ii", format!("a {} rating has no Part II", t.name));
            None
        }
        (None, None) => None,
    };
    let labeling = match (&t.item2, &input.part_iii) {
        (Some(_), Some(p)) => {
            if p.labeling.complying > p.labeling.number {
                problems.push("part_iii.labeling", "more complying than products");
            }
            Some(Counts {
                number: p.labeling.number,
                complying: p.labeling.complying,
            })
        }
        (Some(_), None) => {
            problems.push(
                "part_iii",
                "give Part III item 3: {\"labeling\": {\"number\", \"complying\"}}",
            );
            None
        }
        (None, Some(_)) => {
            problems.push("part_iii", format!("a {} rating has no Part III", t.name));
            None
        }
        (None, None) => None,
    };
    let listing = input.listing.map(|l| listing_input(l, &mut problems));
    problems.finish(EnforcementWorksheet {
        shipper_type: t.name.clone(),
        shipper: input.shipper,
        rating_date: input.rating_date,
        last_rating_date: input.last_rating_date,
        part_i,
        part_ii,
        labeling,
        subscores,
        listing,
    })
}

/// Validates a `listing` block (any form's).
pub(super) fn listing_input(l: ListingIn, problems: &mut Problems) -> ListingInput {
    let kind = ShipperKind::parse(&l.kind).unwrap_or_else(|| {
        problems.push(
            "listing.kind",
            "one of btu, milk_plant, receiving_station, transfer_station, single_service",
        );
        ShipperKind::MilkPlant
    });
    if l.rating_dates.is_empty() {
        problems.push(
            "listing.rating_dates",
            "give the first days of the farm and plant ratings",
        );
    }
    if l.enforcement_rating.is_some_and(|r| r > 100) {
        problems.push("listing.enforcement_rating", "a rating is 0 to 100");
    }
    ListingInput {
        kind,
        rating_dates: l.rating_dates,
        sanitation_rating: l.sanitation_rating,
        enforcement_rating: l.enforcement_rating.unwrap_or(0),
        sources: l
            .sources
            .into_iter()
            .map(|s| Source {
                name: s.name,
                listed: s.listed,
                sanitation_rating: s.sanitation_rating,
                enforcement_history: s.enforcement_history,
                months_enforcement_below_90: s.months_enforcement_below_90,
            })
            .collect(),
        haccp_marked: l.haccp_marked,
        aseptic_noncompliant: l.aseptic_noncompliant,
    }
}

/// A listing block of a sanitation worksheet needs the enforcement rating given.
pub(super) fn sanitation_listing(
    l: Option<ListingIn>,
    problems: &mut Problems,
) -> Option<ListingInput> {
    let l = l?;
    if l.enforcement_rating.is_none() {
        problems.push(
            "listing.enforcement_rating",
            "needed for the expiry: 24 months, or 6 when below 90 (MMSR L1144-1147)",
        );
    }
    Some(listing_input(l, problems))
}

/// The listing decision as JSON; the worksheet's own rating stands in for a missing
/// `sanitation_rating`.
pub(super) fn listing_json(input: &ListingInput, own_rating: Option<u32>) -> Value {
    let mut l = input.clone();
    if l.sanitation_rating.is_none() {
        l.sanitation_rating = own_rating;
    }
    match listing::decide(&l) {
        Some(d) => json!({
            "eligible": d.eligible,
            "earliest_rating_date": d.earliest_rating_date.to_string(),
            "expiry": d.expiry.to_string(),
            "valid_months": if l.enforcement_rating < 90 { 6 } else { 24 },
            "triggers": d.triggers.iter().map(|t| json!({"mandatory": t.mandatory(), "reason": t.describe()})).collect::<Vec<_>>(),
        }),
        None => Value::Null,
    }
}

fn unreachable_sheet() -> EnforcementWorksheet {
    EnforcementWorksheet {
        shipper_type: String::new(),
        shipper: None,
        rating_date: NaiveDate::MIN,
        last_rating_date: None,
        part_i: None,
        part_ii: None,
        labeling: None,
        subscores: Vec::new(),
        listing: None,
    }
}

fn dec(x: &Exact) -> String {
    to_decimal_string(x, 4)
}

fn part_json(form_items: &[ItemDef], p: &PartTotal) -> Value {
    let items: Vec<Value> = p
        .lines
        .iter()
        .map(|l| {
            let text = form_items
                .iter()
                .find(|d| d.no == l.no)
                .map(|d| d.text.as_str());
            json!({
                "no": l.no,
                "text": text,
                "weight": l.weight,
                "percent_complying": l.percent.as_ref().map(round_half_up),
                "credit": dec(&l.credit),
            })
        })
        .collect();
    json!({"items": items, "total": dec(&p.total), "divisor": p.divisor, "percent": dec(&p.percent)})
}

/// What the MMSR credited in full although the worksheet entered less.
fn full_credit_warnings(r: &enforcement::EnforcementRating) -> Vec<String> {
    [("Part I", &r.part_i), ("Part II", &r.part_ii)]
        .into_iter()
        .filter_map(|(name, p)| p.as_ref().map(|p| (name, p)))
        .flat_map(|(name, p)| {
            p.lines.iter().filter_map(move |l| {
                l.credited_in_full.as_ref().map(|why| {
                    format!(
                        "{name} item {}: entered as not met, credited in full: {why}",
                        l.no
                    )
                })
            })
        })
        .collect()
}

pub(super) fn rate(w: &EnforcementWorksheet) -> Value {
    let form = EnforcementForm::builtin();
    let r = form
        .and_then(|f| f.shipper_type(&w.shipper_type))
        .map(|t| enforcement::rate(t, w.part_i.clone(), w.part_ii.clone(), w.labeling));
    let Some((form, r)) = form.zip(r) else {
        return json!({"form": "2359j", "error": "the FORM 2359j catalog failed to load"});
    };
    let (from, to) = calendar::appraisal_window(w.rating_date, w.last_rating_date);
    let mut out = json!({
        "form": "2359j",
        "shipper_type": w.shipper_type,
        "shipper": w.shipper,
        "rating_date": w.rating_date.to_string(),
        "appraisal_window": {"from": from.to_string(), "to": to.to_string()},
        "part_i": r.part_i.as_ref().map(|p| part_json(&form.part_i, p)),
        "part_ii": r.part_ii.as_ref().map(|p| part_json(&form.part_ii, p)),
        "part_iii": r.part_iii.as_ref().map(|(a, b, c)| json!({"item1": a.as_ref().map(dec), "item2": b.as_ref().map(dec), "item3": dec(c)})),
        "worksheets": w.subscores.iter().map(|(path, s)| json!({"feeds": path, "total": dec(&s.total), "percent": dec(&s.percent), "entered": s.entered})).collect::<Vec<_>>(),
        "enforcement_rating": r.rating,
        "enforcement_rating_unrounded": dec(&r.exact),
        "warnings": full_credit_warnings(&r),
    });
    if let Some(mut l) = w.listing.clone() {
        l.enforcement_rating = r.rating;
        out["listing"] = listing_json(&l, None);
    }
    out
}
