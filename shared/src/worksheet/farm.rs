//! FORM 2359k worksheets: validation and result.

use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use crate::catalog::{Catalog, LabRule};
use crate::exact::to_decimal_string;
use crate::rating::lab::{self, LabFinding, LabHistory, LabResult};
use crate::rating::raw_milk::{self, FarmRow};
use crate::rating::Mark;

use super::wire::{FarmIn, RawMilkIn, ViolationIn};
use super::{catalog, cwt, date_string, lab_results, mark, Problems, WorksheetError};

/// A validated FORM 2359k worksheet.
#[derive(Debug, Clone)]
pub struct RawMilkWorksheet {
    pub catalog: &'static Catalog,
    pub shipper: Option<String>,
    pub rating_date: Option<NaiveDate>,
    pub farms: Vec<Farm>,
}

/// A validated farm row.
#[derive(Debug, Clone)]
pub struct Farm {
    pub name: String,
    pub producer_number: Option<String>,
    pub pounds_sold_daily: Option<u64>,
    pub cwt: u64,
    pub marks: Vec<Mark>,
    /// Each lab standard the farm gave results for, by index into the catalog's standards.
    pub lab: Vec<(usize, LabHistory)>,
    pub remarks: Option<String>,
}

pub(super) fn validate(input: RawMilkIn) -> Result<RawMilkWorksheet, WorksheetError> {
    let catalog = catalog(input.catalog.as_deref())?;
    let mut problems = Problems::default();
    if input.farms.is_empty() {
        problems.push("farms", "a 2359k rates at least one farm");
    }
    let farms: Vec<Farm> = input
        .farms
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            farm(
                catalog,
                f,
                input.rating_date,
                &format!("farms[{i}]"),
                &mut problems,
            )
        })
        .collect();
    if problems.is_empty() && !farms.is_empty() && farms.iter().all(|f| f.cwt == 0) {
        problems.push(
            "farms",
            "the rated farms sell no milk (total cwt 0): nothing to rate",
        );
    }
    problems.finish(RawMilkWorksheet {
        catalog,
        shipper: input.shipper,
        rating_date: input.rating_date,
        farms,
    })
}

fn farm(
    catalog: &Catalog,
    f: FarmIn,
    rating_date: Option<NaiveDate>,
    path: &str,
    problems: &mut Problems,
) -> Farm {
    let form = &catalog.farm;
    let cwt = cwt(
        f.pounds_sold_daily,
        f.cwt,
        "pounds_sold_daily",
        path,
        problems,
    );
    let mut marks = Vec::new();
    for (j, v) in f.violations.iter().enumerate() {
        let vpath = format!("{path}.violations[{j}]");
        let points = match v {
            ViolationIn::Id(_) => None,
            ViolationIn::Detail(d) => {
                if d.products.is_some() {
                    problems.push(
                        format!("{vpath}.products"),
                        "partial debits by product are for FORM 2359L only",
                    );
                    continue;
                }
                d.points
            }
        };
        if let Some(m) = mark(form, "2359k", v.item(), points, &vpath, problems) {
            marks.push(m);
        }
    }
    let mut lab = Vec::new();
    if let Some(l) = &f.lab {
        let lpath = format!("{path}.lab");
        match rating_date {
            None => problems.push(
                "rating_date",
                "needed to credit laboratory results (the window ends at the rating date)",
            ),
            Some(rating_date) => {
                let exempt = l
                    .permit_issued
                    .is_some_and(|issued| lab::is_new_permit(issued, rating_date));
                for (name, results) in [
                    ("bacteria", &l.bacteria),
                    ("somatic_cells", &l.somatic_cells),
                    ("cooling_temperature", &l.cooling_temperature),
                    ("drug_residue", &l.drug_residue),
                ] {
                    let (Some(results), Some(si)) = (
                        results,
                        form.lab_standards.iter().position(|s| s.standard == name),
                    ) else {
                        continue;
                    };
                    let standard = &form.lab_standards[si];
                    let limit = match standard.rule {
                        LabRule::LastFour => standard.limit_value(),
                        LabRule::SamplesOnly => None,
                    };
                    let results: Vec<LabResult> = lab_results(
                        results,
                        limit.as_ref(),
                        &format!("{lpath}.{name}"),
                        problems,
                    );
                    lab.push((
                        si,
                        LabHistory {
                            results,
                            rating_date,
                            exempt_from_sample_count: exempt,
                        },
                    ));
                }
            }
        }
    }
    Farm {
        name: f.name,
        producer_number: f.producer_number,
        pounds_sold_daily: f.pounds_sold_daily,
        cwt,
        marks,
        lab,
        remarks: f.remarks,
    }
}

fn lab_findings(catalog: &Catalog, farm: &Farm) -> Vec<(usize, LabFinding)> {
    farm.lab
        .iter()
        .map(|(si, h)| {
            let f = match catalog.farm.lab_standards[*si].rule {
                LabRule::LastFour => lab::farm(h),
                LabRule::SamplesOnly => lab::farm_samples_only(h),
            };
            (*si, f)
        })
        .collect()
}

/// The farm rows as rated: marks from the violations plus the lab standards not credited.
fn rows(w: &RawMilkWorksheet) -> Vec<(FarmRow, Vec<(usize, LabFinding)>)> {
    let form = &w.catalog.farm;
    w.farms
        .iter()
        .map(|f| {
            let findings = lab_findings(w.catalog, f);
            let mut marks = f.marks.clone();
            for (si, finding) in &findings {
                if finding.debited {
                    if let Some(column) = form.column_by_col(&form.lab_standards[*si].column) {
                        marks.push(Mark {
                            column,
                            points: form.columns[column].default_points(),
                        });
                    }
                }
            }
            (FarmRow { cwt: f.cwt, marks }, findings)
        })
        .collect()
}

pub(super) fn rate(w: &RawMilkWorksheet) -> Value {
    let form = &w.catalog.farm;
    let rows = rows(w);
    let farm_rows: Vec<FarmRow> = rows.iter().map(|(r, _)| r.clone()).collect();
    let r = raw_milk::rate(form, &farm_rows);
    let mut warnings = Vec::new();
    let farms: Vec<Value> = w
        .farms
        .iter()
        .zip(&r.farms)
        .zip(&rows)
        .map(|((f, line), (_, findings))| {
            let mut debits = Map::new();
            for (col, p) in form.columns.iter().zip(&line.column_points) {
                if *p > 0 {
                    debits.insert(col.key.clone(), json!(p));
                }
            }
            let lab: Vec<Value> = findings
                .iter()
                .map(|(si, fd)| {
                    let s = &form.lab_standards[*si];
                    let column = form
                        .column_by_col(&s.column)
                        .map(|c| form.columns[c].key.clone());
                    if s.rule == LabRule::SamplesOnly && fd.last_over == Some(true) {
                        warnings.push(format!(
                            "{}: a positive {} result — Appendix N applies (MMSR L155–195): \
                             the milk is held and the rating is completed only when the BTU is \
                             in substantial compliance",
                            f.name,
                            s.standard.replace('_', " ")
                        ));
                    }
                    json!({
                        "standard": s.standard,
                        "column": column,
                        "debited": fd.debited,
                        "required_number_met": fd.required_number_met,
                        "over_in_last_four": fd.over_in_last_four,
                        "results_in_last_four": fd.last_four_count,
                        "last_over": fd.last_over,
                    })
                })
                .collect();
            let mut row = Map::new();
            row.insert("name".into(), json!(f.name));
            if let Some(n) = &f.producer_number {
                row.insert("producer_number".into(), json!(n));
            }
            if let Some(p) = f.pounds_sold_daily {
                row.insert("pounds_sold_daily".into(), json!(p));
            }
            row.insert("cwt".into(), json!(line.cwt));
            row.insert("debits".into(), Value::Object(debits));
            row.insert("total_debits".into(), json!(line.total_debits));
            row.insert("cwt_x_debits".into(), json!(line.cwt_x_debits));
            if !lab.is_empty() {
                row.insert("lab".into(), Value::Array(lab));
            }
            if let Some(rm) = &f.remarks {
                row.insert("remarks".into(), json!(rm));
            }
            Value::Object(row)
        })
        .collect();
    if r.clamped {
        warnings.push("the computed rating fell outside 0..=100 and was clamped".to_string());
    }
    let per_column = |values: &[u64]| -> Map<String, Value> {
        form.columns
            .iter()
            .zip(values)
            .map(|(c, v)| (c.key.clone(), json!(v)))
            .collect()
    };
    let percents: Vec<u64> = r.percent_violating.iter().map(|p| u64::from(*p)).collect();
    json!({
        "form": "2359k",
        "catalog": w.catalog.id,
        "shipper": w.shipper,
        "rating_date": date_string(w.rating_date),
        "rating": r.rating,
        "rating_unrounded": to_decimal_string(&r.rating_exact, 4),
        "quotient": to_decimal_string(&r.quotient, 4),
        "farms_rated": r.farms.len(),
        "total_cwt": r.total_cwt,
        "total_debits": r.total_debits,
        "total_cwt_x_debits": r.total_cwt_x_debits,
        "farms": farms,
        "farms_violating": per_column(&r.farms_violating),
        "percent_violating": per_column(&percents),
        "warnings": warnings,
    })
}
