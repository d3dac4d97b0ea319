//! Worksheets derived from rating-visit documents: the farms a rating officer visited become
//! the rows of a FORM 2359k, a plant visit the lines of a FORM 2359L. The result is the
//! exchange-format JSON, validated by [`super::parse`] like any other worksheet.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::document::{Inspection, InspectionKind, ItemState};

use super::{Problem, Worksheet, WorksheetError};

fn violations(visit: &Inspection) -> Vec<Value> {
    visit
        .violations()
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

/// The FORM 2359k of a BTU from its farms' rating visits (MMSR L284–364).
pub fn raw_milk_from_visits(
    shipper: &str,
    rating_date: NaiveDate,
    visits: &[Inspection],
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
        let mut farm = json!({
            "name": v.header.subject.name,
            "violations": violations(v),
        });
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
    super::parse(&sheet.to_string())
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
        "plant": {"name": visit.header.subject.name, "pounds_processed_daily": pounds, "violations": violations(visit)},
        "products": products,
    });
    super::parse(&sheet.to_string())
}
