//! FORM 2359L worksheets: validation and result.

use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use crate::catalog::{Catalog, Form, LabRule};
use crate::exact::to_decimal_string;
use crate::rating::lab::{self, LabHistory};
use crate::rating::plant::{self, DebitLine, PlantSheet, StationRow};
use crate::rating::Mark;

use super::wire::{PlantIn, PlantKind, Supervision, ViolationIn};
use super::{catalog, cwt, date_string, lab_results, mark, Problems, WorksheetError};

/// A validated FORM 2359L worksheet.
#[derive(Debug, Clone)]
pub struct PlantWorksheet {
    pub catalog: &'static Catalog,
    pub kind: PlantKind,
    pub rating_date: Option<NaiveDate>,
    pub plant_name: String,
    pub plant: DebitLine,
    pub products: Vec<Product>,
    pub stations: Vec<Station>,
    pub listing: Option<crate::listing::ListingInput>,
}

/// A product (or packaging type, or pasteurization unit) that partial debits may name.
#[derive(Debug, Clone)]
pub struct Product {
    pub name: String,
    pub cwt: u64,
    /// Partial-debit marks against this product.
    pub marks: Vec<Mark>,
    /// Lab standards with results, by index into the catalog's plant standards.
    pub lab: Vec<(usize, LabHistory)>,
}

/// A station line.
#[derive(Debug, Clone)]
pub struct Station {
    pub name: String,
    pub cwt: u64,
    pub supervision: Supervision,
    /// The station's rating, given or computed from its own violations.
    pub own_rating: u32,
    pub own_debits: Option<u32>,
    /// Weights of unattached-milk violations on receipt (policy A13).
    pub on_receipt_debits: u32,
}

impl Station {
    /// The rating compared with the plant (own rating less on-receipt debits, A13).
    pub fn rating(&self) -> u32 {
        self.own_rating.saturating_sub(self.on_receipt_debits)
    }
}

const PARTIAL_RULE: &str = "only items 16, 18, 19 and the bacterial, coliform and \
                            cooling-temperature standards may be debited against part of the \
                            plant's volume (MMSR L479–491, L724–735)";

pub(super) fn validate(input: PlantIn) -> Result<PlantWorksheet, WorksheetError> {
    let catalog = catalog(input.catalog.as_deref())?;
    let form = &catalog.plant;
    let mut problems = Problems::default();
    let plant_cwt = cwt(
        input.plant.pounds_processed_daily,
        input.plant.cwt,
        "pounds_processed_daily",
        "plant",
        &mut problems,
    );
    if plant_cwt == 0 && (input.plant.pounds_processed_daily.is_some() || input.plant.cwt.is_some())
    {
        problems.push(
            "plant",
            "the plant processes no milk (cwt 0): nothing to rate",
        );
    }
    let mut products: Vec<Product> = Vec::new();
    for (i, p) in input.products.iter().enumerate() {
        let path = format!("products[{i}]");
        if products.iter().any(|q| q.name == p.name) {
            problems.push(
                format!("{path}.name"),
                format!("product \"{}\" is listed twice", p.name),
            );
        }
        let cwt = cwt(p.pounds_daily, p.cwt, "pounds_daily", &path, &mut problems);
        let mut lab = Vec::new();
        if let Some(l) = &p.lab {
            match input.rating_date {
                None => problems.push(
                    "rating_date",
                    "needed to credit laboratory results (the window ends at the rating date)",
                ),
                Some(rating_date) => {
                    for (name, results) in [
                        ("bacteria", &l.bacteria),
                        ("coliform", &l.coliform),
                        ("cooling_temperature", &l.cooling_temperature),
                        ("phosphatase", &l.phosphatase),
                        ("drug_residue", &l.drug_residue),
                    ] {
                        let (Some(results), Some(si)) = (
                            results,
                            form.lab_standards.iter().position(|s| s.standard == name),
                        ) else {
                            continue;
                        };
                        let s = &form.lab_standards[si];
                        let limit = if s.rule == LabRule::ReportedOnly && s.limit.is_none() {
                            None
                        } else if l.raw_for_pasteurization {
                            s.raw_limit_value()
                        } else {
                            s.limit_value()
                        };
                        let results = lab_results(
                            results,
                            limit.as_ref(),
                            &format!("{path}.lab.{name}"),
                            &mut problems,
                        );
                        lab.push((
                            si,
                            LabHistory {
                                results,
                                rating_date,
                                exempt_from_sample_count: l.new_permit_or_seasonal,
                            },
                        ));
                    }
                }
            }
        }
        products.push(Product {
            name: p.name.clone(),
            cwt,
            marks: Vec::new(),
            lab,
        });
    }
    let mut plant_marks = Vec::new();
    for (j, v) in input.plant.violations.iter().enumerate() {
        let path = format!("plant.violations[{j}]");
        let (points, targets) = match v {
            ViolationIn::Id(_) => (None, None),
            ViolationIn::Detail(d) => (d.points, d.products.as_ref()),
        };
        let Some(m) = mark(form, "2359L", v.item(), points, &path, &mut problems) else {
            continue;
        };
        match targets {
            None => plant_marks.push(m),
            Some(names) => {
                if !form.columns[m.column].partial_by_product {
                    problems.push(
                        format!("{path}.products"),
                        format!(
                            "item {} cannot take a partial debit: {PARTIAL_RULE}",
                            v.item()
                        ),
                    );
                    continue;
                }
                if names.is_empty() {
                    problems.push(
                        format!("{path}.products"),
                        "name the affected products, or drop `products` to debit the whole plant",
                    );
                }
                for (k, name) in names.iter().enumerate() {
                    match products.iter_mut().find(|p| &p.name == name) {
                        Some(p) => p.marks.push(m),
                        None => problems.push(
                            format!("{path}.products[{k}]"),
                            format!("no product \"{name}\" in `products`"),
                        ),
                    }
                }
            }
        }
    }
    let stations = input
        .stations
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let path = format!("stations[{i}]");
            let cwt = cwt(
                s.pounds_shipped_daily,
                s.cwt,
                "pounds_shipped_daily",
                &path,
                &mut problems,
            );
            let (own_rating, own_debits) = match (s.rating, &s.violations) {
                (Some(r), None) => {
                    if r > 100 {
                        problems.push(format!("{path}.rating"), "a rating is 0 to 100");
                    }
                    (r.min(100), None)
                }
                (None, Some(vs)) => {
                    let marks: Vec<Mark> = vs
                        .iter()
                        .enumerate()
                        .filter_map(|(j, v)| {
                            let vpath = format!("{path}.violations[{j}]");
                            if let ViolationIn::Detail(d) = v {
                                if d.products.is_some() {
                                    problems.push(
                                        format!("{vpath}.products"),
                                        "a station is rated on one line: no partial debits",
                                    );
                                    return None;
                                }
                            }
                            let points = match v {
                                ViolationIn::Detail(d) => d.points,
                                ViolationIn::Id(_) => None,
                            };
                            mark(form, "2359L", v.item(), points, &vpath, &mut problems)
                        })
                        .collect();
                    let debits = plant::line_total_debits(form, &marks);
                    (plant::station_rating_from_debits(debits), Some(debits))
                }
                (Some(_), Some(_)) => {
                    problems.push(
                        &path,
                        "give the station's `rating` or its `violations`, not both",
                    );
                    (100, None)
                }
                (None, None) => {
                    problems.push(&path, "give the station's `rating` or its `violations`");
                    (100, None)
                }
            };
            let on_receipt_debits = on_receipt(
                form,
                &s.unattached_violations_on_receipt,
                &path,
                &mut problems,
            );
            Station {
                name: s.name.clone(),
                cwt,
                supervision: s.supervision,
                own_rating,
                own_debits,
                on_receipt_debits,
            }
        })
        .collect();
    let listing = super::enforcement::sanitation_listing(input.listing, &mut problems);
    problems.finish(PlantWorksheet {
        listing,
        catalog,
        kind: input.kind.unwrap_or(PlantKind::MilkPlant),
        rating_date: input.rating_date,
        plant_name: input.plant.name,
        plant: DebitLine {
            cwt: plant_cwt,
            marks: plant_marks,
        },
        products,
        stations,
    })
}

fn on_receipt(form: &Form, standards: &[String], path: &str, problems: &mut Problems) -> u32 {
    let mut total = 0;
    for (k, name) in standards.iter().enumerate() {
        let allowed = ["bacteria", "cooling_temperature"];
        let column = form
            .lab_standard(name)
            .filter(|_| allowed.contains(&name.as_str()))
            .and_then(|s| s.column_in(form));
        match column {
            Some(c) => total += form.columns[c].default_points(),
            None => problems.push(
                format!("{path}.unattached_violations_on_receipt[{k}]"),
                format!(
                    "\"{name}\" is not a standard checked on receipt; use \"bacteria\" or \"cooling_temperature\" (MMSR L792–795)"
                ),
            ),
        }
    }
    total
}

fn product_marks(form: &Form, p: &Product, warnings: &mut Vec<String>) -> (Vec<Mark>, Vec<Value>) {
    let mut marks = p.marks.clone();
    let mut lab = Vec::new();
    for (si, h) in &p.lab {
        let s = &form.lab_standards[*si];
        let f = match s.rule {
            LabRule::ReportedOnly => lab::reported_only(h),
            LabRule::LastFour | LabRule::SamplesOnly => lab::plant(h),
        };
        if s.rule == LabRule::ReportedOnly && f.last_over == Some(true) {
            warnings.push(format!(
                "{}: the last {} result failed — not a 2359L debit (MMSR L497–499 uses it to \
                 judge compliance; §f A25): follow up under the PMO",
                p.name,
                s.standard.replace('_', " ")
            ));
        }
        let column = s.column_in(form);
        if f.debited {
            if let Some(c) = column {
                marks.push(Mark {
                    column: c,
                    points: form.columns[c].default_points(),
                });
            }
        }
        lab.push(json!({
            "standard": s.standard,
            "column": column.map(|c| form.columns[c].key.clone()),
            "debited": f.debited,
            "required_number_met": f.required_number_met,
            "over_in_last_four": f.over_in_last_four,
            "results_in_last_four": f.last_four_count,
            "last_over": f.last_over,
        }));
    }
    (marks, lab)
}

fn debits_map(form: &Form, points: &[u32]) -> Map<String, Value> {
    form.columns
        .iter()
        .zip(points)
        .filter(|(_, p)| **p > 0)
        .map(|(c, p)| (c.key.clone(), json!(p)))
        .collect()
}

pub(super) fn rate(w: &PlantWorksheet) -> Value {
    let form = &w.catalog.plant;
    let mut warnings = Vec::new();
    let with_lab: Vec<(Vec<Mark>, Vec<Value>)> = w
        .products
        .iter()
        .map(|p| product_marks(form, p, &mut warnings))
        .collect();
    let sheet = PlantSheet {
        plant: w.plant.clone(),
        products: w
            .products
            .iter()
            .zip(&with_lab)
            .map(|(p, (marks, _))| DebitLine {
                cwt: p.cwt,
                marks: marks.clone(),
            })
            .collect(),
        stations: w
            .stations
            .iter()
            .map(|s| StationRow {
                cwt: s.cwt,
                rating: s.rating(),
            })
            .collect(),
    };
    let r = plant::rate(form, &sheet);
    let mut rows = vec![json!({
        "kind": "plant",
        "name": w.plant_name,
        "cwt": r.plant.cwt,
        "debits": debits_map(form, &r.plant.column_points),
        "total_debits": r.plant.total_debits,
        "product": r.plant.product,
    })];
    for ((p, line), (_, lab)) in w.products.iter().zip(&r.products).zip(&with_lab) {
        if line.total_debits == 0 && lab.is_empty() {
            continue;
        }
        let mut row = json!({
            "kind": "product",
            "name": p.name,
            "cwt": line.cwt,
            "debits": debits_map(form, &line.column_points),
            "total_debits": line.total_debits,
            "product": line.product,
        });
        if !lab.is_empty() {
            row["lab"] = Value::Array(lab.clone());
        }
        rows.push(row);
    }
    for (s, line) in w.stations.iter().zip(&r.stations) {
        rows.push(json!({
            "kind": "station",
            "name": s.name,
            "supervision": s.supervision.as_str(),
            "cwt": line.cwt,
            "station_debits": s.own_debits,
            "on_receipt_debits": s.on_receipt_debits,
            "station_rating": line.rating,
            "total_debits": line.total_debits,
            "product": line.product,
        }));
    }
    if r.clamped {
        warnings.push("the computed rating fell below 0 and was clamped (A27)".to_string());
    }
    let station_cwt: u64 = r.stations.iter().map(|s| s.cwt).sum();
    if station_cwt > r.total_cwt {
        warnings.push(format!(
            "the stations ship {station_cwt} cwt a day, more than the {} cwt the plant processes: \
             check the volumes (MMSR L741–745 counts what each station ships to this plant)",
            r.total_cwt
        ));
    }
    let listing = w
        .listing
        .as_ref()
        .map(|l| super::enforcement::listing_json(l, Some(r.rating)));
    let mut out = json!({
        "form": "2359L",
        "catalog": w.catalog.id,
        "kind": w.kind.as_str(),
        "rating_date": date_string(w.rating_date),
        "rating": r.rating,
        "rating_unrounded": to_decimal_string(&r.rating_exact, 4),
        "quotient": to_decimal_string(&r.quotient, 4),
        "plant_line_rating": r.plant_line_rating,
        "total_cwt": r.total_cwt,
        "total_debits": r.total_debits,
        "total_product": r.total_product,
        "rows": rows,
        "warnings": warnings,
    });
    if let Some(l) = listing {
        out["listing"] = l;
    }
    out
}
