//! Worksheets derived from rating-visit documents: the farms a rating officer visited become
//! the rows of a FORM 2359k, a plant visit the lines of a FORM 2359L. The result is the
//! exchange-format JSON, validated by [`super::parse`] like any other worksheet.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::catalog::{Catalog, Form, LabRule};
use crate::document::{Finding, Inspection, InspectionKind, ItemState};
use crate::rating::lab::{self, LabHistory, LabResult};

use super::{Problem, Worksheet, WorksheetError};

/// A farm's laboratory record as the agency's lab ledger holds it: each standard's results as
/// the ledger counts them — one per day, `(date, over)`, same-day tanks averaged
/// ([`crate::ledger::daily_results`]) — and when the farm's permit was issued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerLab {
    pub series: BTreeMap<String, Vec<(NaiveDate, bool)>>,
    pub permit_issued: Option<NaiveDate>,
}

/// The agency's lab ledger by farm (facility id), as far as a rating needs it.
pub type LabBook = BTreeMap<String, LedgerLab>;

/// A farm's lab columns as the MMSR credits them (L320–334): every standard of the catalog's
/// farm form judged on the ledger's results at the rating date — a standard without results
/// in the ledger has not had the required number examined and gets no credit, unless the
/// permit is under six months old.
pub fn farm_lab_from_ledger(
    form: &Form,
    ledger: Option<&LedgerLab>,
    rating_date: NaiveDate,
) -> Vec<(usize, LabHistory)> {
    let exempt = ledger
        .and_then(|l| l.permit_issued)
        .is_some_and(|issued| lab::is_new_permit(issued, rating_date));
    form.lab_standards
        .iter()
        .enumerate()
        .filter(|(_, s)| s.rule != LabRule::ReportedOnly)
        .map(|(si, s)| {
            let results = ledger
                .and_then(|l| l.series.get(&s.standard))
                .map(|points| {
                    points
                        .iter()
                        .map(|(date, over)| LabResult {
                            date: *date,
                            over: *over,
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                si,
                LabHistory {
                    results,
                    rating_date,
                    exempt_from_sample_count: exempt,
                },
            )
        })
        .collect()
}

/// Whether a finding is on one of the form's laboratory columns (`LAB-SCC`, …), which the
/// ledger decides.
fn on_lab_column(form: &Form, f: &Finding) -> bool {
    form.column_for_id(&f.item)
        .is_some_and(|c| form.columns[c].lab)
}

/// The least a rating officer writes to debit a laboratory column the ledger credits: the
/// debit is a recorded finding, never a silent tap.
pub const MIN_LAB_FINDING_REASON: usize = 10;

fn violations(visit: &Inspection, form: Option<&Form>) -> Vec<Value> {
    visit
        .violations()
        // a lab column tapped without a reason is left to the ledger
        .filter(|f| {
            !form.is_some_and(|form| {
                on_lab_column(form, f) && f.note.trim().chars().count() < MIN_LAB_FINDING_REASON
            })
        })
        .map(|f| match &f.state {
            ItemState::Violated { points, products } => {
                if points.is_none() && products.is_empty() {
                    json!(f.item)
                } else {
                    let mut v = json!({"item": f.item});
                    if let Some(p) = points {
                        v["points"] = json!(p);
                    }
                    if !products.is_empty() {
                        v["products"] = json!(products);
                    }
                    v
                }
            }
            _ => json!(f.item),
        })
        .collect()
}

fn refuse(path: String, message: String) -> WorksheetError {
    WorksheetError::Invalid(vec![Problem { path, message }])
}

/// A rating's farm visits are the latest visit and those within this many days before it (a
/// rating takes days, not months; the next rating is months away).
pub const RATING_SPAN_DAYS: u64 = 30;

/// Which of a BTU's farm rating visits make its rating, and the rating date: the latest visit
/// and those within [`RATING_SPAN_DAYS`] before it, one per farm (its latest), in the order they
/// were made; the rating date is the day of the first of them (the rating's earliest visit).
/// `None` without any visit. The review pages, the CLI and the tablet all choose with this.
pub fn rating_visits(visits: &[Inspection]) -> Option<(Vec<Inspection>, NaiveDate)> {
    let mut all: Vec<&Inspection> = visits
        .iter()
        .filter(|v| v.header.kind == InspectionKind::RatingVisitFarm)
        .collect();
    all.sort_by_key(|v| std::cmp::Reverse(v.header.started_at));
    let latest = all.first()?.header.started_at.date_naive();
    let from = crate::calendar::minus_days(latest, RATING_SPAN_DAYS);
    let mut chosen: Vec<Inspection> = Vec::new();
    for v in all
        .into_iter()
        .filter(|v| v.header.started_at.date_naive() >= from)
    {
        if !chosen
            .iter()
            .any(|c| c.header.subject.id == v.header.subject.id)
        {
            chosen.push(v.clone());
        }
    }
    chosen.reverse();
    let rating_date = chosen
        .iter()
        .map(|v| v.header.started_at.date_naive())
        .min()
        .unwrap_or(latest);
    Some((chosen, rating_date))
}

/// A plant's rating visit and rating date: its latest visit, rated on the day it was made.
pub fn plant_rating_visit(visits: &[Inspection]) -> Option<(&Inspection, NaiveDate)> {
    visits
        .iter()
        .filter(|v| v.header.kind == InspectionKind::RatingVisitPlant)
        .max_by_key(|v| v.header.started_at)
        .map(|v| (v, v.header.started_at.date_naive()))
}

/// The FORM 2359k of a BTU from its farms' rating visits (MMSR L284–364), each farm's
/// laboratory columns credited from the agency's ledger ([`farm_lab_from_ledger`]; MMSR
/// L318–334: "the SRO may utilize the Regulatory Agency's records"). A lab column tapped on the
/// tablet counts only as a finding with its reason ([`MIN_LAB_FINDING_REASON`]), named in the
/// farm's remarks; one tapped without a reason is left to the ledger, and the remarks say so.
pub fn raw_milk_from_visits(
    shipper: &str,
    rating_date: NaiveDate,
    visits: &[Inspection],
    ledger: &LabBook,
) -> Result<Worksheet, WorksheetError> {
    let mut farms = Vec::with_capacity(visits.len());
    let mut catalog: Option<&str> = None;
    for (i, v) in visits.iter().enumerate() {
        if v.header.kind != InspectionKind::RatingVisitFarm {
            return Err(refuse(
                format!("farms[{i}]"),
                format!("inspection {} is not a farm rating visit", v.header.id),
            ));
        }
        match catalog {
            Some(c) if c != v.header.catalog => {
                return Err(refuse(
                    format!("farms[{i}]"),
                    format!(
                        "inspection {} uses catalog {}, the others {c}",
                        v.header.id, v.header.catalog
                    ),
                ))
            }
            _ => catalog = Some(&v.header.catalog),
        }
        let form = Catalog::builtin(&v.header.catalog).ok().map(|c| &c.farm);
        let mut farm = json!({
            "name": v.header.subject.name,
            "violations": violations(v, form),
        });
        if let Some(remarks) = form.and_then(|form| lab_remarks(form, v)) {
            farm["remarks"] = json!(remarks);
        }
        if let Some(n) = &v.header.subject.producer_number {
            farm["producer_number"] = json!(n);
        }
        match v.pounds_sold_daily {
            Some(p) => farm["pounds_sold_daily"] = json!(p),
            None => {
                return Err(refuse(
                    format!("farms[{i}]"),
                    format!(
                        "{}: record the pounds sold daily before rating",
                        v.header.subject.name
                    ),
                ))
            }
        }
        farms.push(farm);
    }
    let sheet = json!({
        "form": "2359k",
        "catalog": catalog.unwrap_or(crate::catalog::DEFAULT_CATALOG),
        "shipper": shipper,
        "rating_date": rating_date.to_string(),
        "farms": farms,
    });
    let mut sheet = super::parse(&sheet.to_string())?;
    if let Worksheet::RawMilk(w) = &mut sheet {
        let form = &w.catalog.farm;
        for (farm, visit) in w.farms.iter_mut().zip(visits) {
            farm.lab = farm_lab_from_ledger(
                form,
                ledger.get(visit.header.subject.id.as_str()),
                rating_date,
            );
        }
    }
    Ok(sheet)
}

/// What the farm's remarks say of lab columns tapped on the tablet: each debit recorded with
/// its reason, and each tap without one that the ledger overrules.
fn lab_remarks(form: &Form, visit: &Inspection) -> Option<String> {
    let lines: Vec<String> = visit
        .violations()
        .filter(|f| on_lab_column(form, f))
        .map(|f| {
            let reason = f.note.trim();
            if reason.chars().count() >= MIN_LAB_FINDING_REASON {
                format!("{} debited by the rating officer: {reason}", f.item)
            } else {
                format!(
                    "{} tapped without a reason: credited from the lab ledger instead",
                    f.item
                )
            }
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("; "))
}

/// The FORM 2359L of a plant from its rating visit (MMSR L455–790).
pub fn plant_from_visit(
    visit: &Inspection,
    rating_date: NaiveDate,
) -> Result<Worksheet, WorksheetError> {
    if visit.header.kind != InspectionKind::RatingVisitPlant {
        return Err(refuse(
            "plant".into(),
            format!("inspection {} is not a plant rating visit", visit.header.id),
        ));
    }
    let Some(pounds) = visit.pounds_processed_daily else {
        return Err(refuse(
            "plant".into(),
            "record the pounds processed daily before rating".into(),
        ));
    };
    let products: Vec<Value> = visit
        .products
        .iter()
        .map(|(name, p)| json!({"name": name, "pounds_daily": p}))
        .collect();
    let sheet = json!({
        "form": "2359L",
        "catalog": visit.header.catalog,
        "rating_date": rating_date.to_string(),
        "plant": {"name": visit.header.subject.name, "pounds_processed_daily": pounds, "violations": violations(visit, None)},
        "products": products,
    });
    super::parse(&sheet.to_string())
}
