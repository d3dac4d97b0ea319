//! FORM 2359k worksheets: validation and result.

use chrono::NaiveDate;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::catalog::{Catalog, Form, LabRule, LabStandard};
use crate::exact::to_decimal_string;
use crate::rating::lab::{self, LabFinding, LabHistory, LabResult};
use crate::rating::raw_milk::{self, FarmRow};
use crate::rating::Mark;

use super::wire::{FarmIn, RawMilkIn, ViolationIn};
use super::{catalog, cwt, lab_results, mark, Problems, WorksheetError};

/// A validated FORM 2359k worksheet.
#[derive(Debug, Clone)]
pub struct RawMilkWorksheet {
    pub catalog: &'static Catalog,
    pub shipper: Option<String>,
    pub rating_date: Option<NaiveDate>,
    pub farms: Vec<Farm>,
    pub listing: Option<crate::listing::ListingInput>,
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
    let listing = super::enforcement::sanitation_listing(input.listing, &mut problems);
    problems.finish(RawMilkWorksheet {
        catalog,
        shipper: input.shipper,
        rating_date: input.rating_date,
        farms,
        listing,
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
                        LabRule::LastFour | LabRule::ReportedOnly => standard.limit_value(),
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
                LabRule::ReportedOnly => lab::reported_only(h),
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
                    if let Some(column) = form.lab_standards[*si].column_in(form) {
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

/// A farm's debits as the form shows them: the columns marked, in form order.
struct Debits<'a> {
    form: &'a Form,
    points: Vec<u32>,
}

impl Serialize for Debits<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (col, p) in self.form.columns.iter().zip(&self.points) {
            if *p > 0 {
                map.serialize_entry(&col.key, p)?;
            }
        }
        map.end()
    }
}

/// One figure per column of the form, in form order.
struct PerColumn<'a, T> {
    form: &'a Form,
    values: Vec<T>,
}

impl<T: Serialize> Serialize for PerColumn<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.values.len()))?;
        for (col, v) in self.form.columns.iter().zip(&self.values) {
            map.serialize_entry(&col.key, v)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct LabOut<'a> {
    standard: &'a str,
    column: Option<&'a str>,
    debited: bool,
    required_number_met: bool,
    over_in_last_four: u32,
    results_in_last_four: u32,
    last_over: Option<bool>,
}

#[derive(Serialize)]
struct FarmOut<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    producer_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pounds_sold_daily: Option<u64>,
    cwt: u64,
    debits: Debits<'a>,
    total_debits: u32,
    cwt_x_debits: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    lab: Vec<LabOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<&'a str>,
}

/// The computed FORM 2359k as the result JSON: every figure the paper form shows.
#[derive(Serialize)]
pub struct RawMilkResult<'a> {
    form: &'static str,
    catalog: &'a str,
    shipper: Option<&'a str>,
    rating_date: Option<String>,
    pub rating: u32,
    rating_unrounded: String,
    quotient: String,
    farms_rated: usize,
    total_cwt: u64,
    total_debits: u64,
    total_cwt_x_debits: u64,
    farms: Vec<FarmOut<'a>>,
    farms_violating: PerColumn<'a, u64>,
    percent_violating: PerColumn<'a, u32>,
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listing: Option<serde_json::Value>,
}

pub(super) fn rate(w: &RawMilkWorksheet) -> RawMilkResult<'_> {
    let form = &w.catalog.farm;
    let (farm_rows, findings): (Vec<FarmRow>, Vec<Vec<(usize, LabFinding)>>) =
        rows(w).into_iter().unzip();
    let mut r = raw_milk::rate(form, &farm_rows);
    let lines = std::mem::take(&mut r.farms);
    let farms_rated = lines.len();
    let mut warnings = Vec::new();
    let column_key = |s: &LabStandard| s.column_in(form).map(|c| form.columns[c].key.as_str());
    let mut farms = Vec::with_capacity(w.farms.len());
    for ((f, line), findings) in w.farms.iter().zip(lines).zip(&findings) {
        let lab = findings
            .iter()
            .map(|(si, fd)| {
                let s = &form.lab_standards[*si];
                if s.rule != LabRule::LastFour && fd.last_over == Some(true) {
                    warnings.push(format!(
                        "{}: a positive {} result — Appendix N applies (MMSR L155–195): the \
                         milk is held and the rating is completed only when the BTU is in \
                         substantial compliance",
                        f.name,
                        s.standard.replace('_', " ")
                    ));
                }
                LabOut {
                    standard: &s.standard,
                    column: column_key(s),
                    debited: fd.debited,
                    required_number_met: fd.required_number_met,
                    over_in_last_four: fd.over_in_last_four,
                    results_in_last_four: fd.last_four_count,
                    last_over: fd.last_over,
                }
            })
            .collect();
        farms.push(FarmOut {
            name: &f.name,
            producer_number: f.producer_number.as_deref(),
            pounds_sold_daily: f.pounds_sold_daily,
            cwt: line.cwt,
            debits: Debits {
                form,
                points: line.column_points,
            },
            total_debits: line.total_debits,
            cwt_x_debits: line.cwt_x_debits,
            lab,
            remarks: f.remarks.as_deref(),
        });
    }
    if r.clamped {
        warnings.push("the computed rating fell outside 0..=100 and was clamped".to_string());
    }
    RawMilkResult {
        form: "2359k",
        catalog: &w.catalog.id,
        shipper: w.shipper.as_deref(),
        rating_date: w.rating_date.map(|d| d.to_string()),
        rating: r.rating,
        rating_unrounded: to_decimal_string(&r.rating_exact, 4),
        quotient: to_decimal_string(&r.quotient, 4),
        farms_rated,
        total_cwt: r.total_cwt,
        total_debits: r.total_debits,
        total_cwt_x_debits: r.total_cwt_x_debits,
        farms_violating: PerColumn {
            form,
            values: r.farms_violating,
        },
        percent_violating: PerColumn {
            form,
            values: r.percent_violating,
        },
        farms,
        warnings,
        listing: w
            .listing
            .as_ref()
            .map(|l| super::enforcement::listing_json(l, Some(r.rating))),
    }
}
