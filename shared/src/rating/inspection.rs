//! The Total Debits of one inspection, as its report, the tablet, the agency record and the
//! review pages all show it: one function, so they can never disagree.
//!
//! - A farm (FORM 2359a items): the 2359k line's Total Debits — each marked column counted
//!   once, then the item caps (8r ≤ 5, 15r ≤ 7, 18r ≤ 5; MMSR L366-384).
//! - A plant or station (FORM 2359 items): the whole-plant line of the 2359L — the debits that
//!   are not limited to products — and, for each product a partial debit is limited to, that
//!   product's own line (MMSR L724-757: a partial debit counts against the products named).
//! - A hauler/sampler evaluation carries no debits.

use crate::catalog::{Catalog, Form};
use crate::document::{Inspection, ItemState, SubjectKind};

use super::{column_points, raw_milk, Mark};

/// An inspection's debits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionDebits {
    /// The Total Debits of the farm, or of the whole-plant line.
    pub total: u32,
    /// Plants: each product with a partial debit, and that product's line Total Debits.
    pub products: Vec<(String, u32)>,
}

fn mark(form: &Form, item: &str, points: Option<u32>) -> Option<Mark> {
    let column = form.column_for_id(item)?;
    Some(Mark {
        column,
        points: points.unwrap_or(form.columns[column].default_points()),
    })
}

/// The debits of an inspection's findings; `None` for an evaluation or a rating report (no
/// debit form) or an unknown catalog.
pub fn inspection_debits(i: &Inspection) -> Option<InspectionDebits> {
    let catalog = Catalog::builtin(&i.header.catalog).ok()?;
    if !i.header.kind.is_visit() {
        return None;
    }
    match i.header.subject.kind {
        SubjectKind::Hauler | SubjectKind::Btu => None,
        SubjectKind::Farm => {
            let form = &catalog.farm;
            let marks: Vec<Mark> = i
                .violations()
                .filter_map(|f| match &f.state {
                    ItemState::Violated { points, .. } => mark(form, &f.item, *points),
                    _ => None,
                })
                .collect();
            let points = column_points(form.columns.len(), &marks);
            Some(InspectionDebits {
                total: raw_milk::farm_total_debits(form, &points),
                products: Vec::new(),
            })
        }
        SubjectKind::Plant | SubjectKind::ReceivingStation | SubjectKind::TransferStation => {
            let form = &catalog.plant;
            let mut whole = Vec::new();
            let mut by_product: Vec<(String, Vec<Mark>)> = Vec::new();
            for f in i.violations() {
                let ItemState::Violated { points, products } = &f.state else {
                    continue;
                };
                let Some(m) = mark(form, &f.item, *points) else {
                    continue;
                };
                if products.is_empty() {
                    whole.push(m);
                }
                for p in products {
                    match by_product.iter_mut().find(|(name, _)| name == p) {
                        Some((_, marks)) => marks.push(m),
                        None => by_product.push((p.clone(), vec![m])),
                    }
                }
            }
            let total = |marks: &[Mark]| column_points(form.columns.len(), marks).iter().sum();
            Some(InspectionDebits {
                total: total(&whole),
                products: by_product
                    .iter()
                    .map(|(name, marks)| (name.clone(), total(marks)))
                    .collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Header, InspectionDoc, InspectionKind, Person, Subject};
    use automerge::ActorId;
    use chrono::{FixedOffset, TimeZone};

    fn doc(kind: SubjectKind) -> InspectionDoc {
        InspectionDoc::create(
            ActorId::from([1u8; 16]),
            &Header {
                id: uuid::Uuid::from_u128(1).into(),
                kind: if kind == SubjectKind::Farm {
                    InspectionKind::RoutineFarm
                } else {
                    InspectionKind::Plant
                },
                agency: "a".into(),
                subject: Subject {
                    kind,
                    id: "s".into(),
                    name: "S".into(),
                    permit: None,
                    producer_number: None,
                },
                inspector: Person {
                    id: "u".into(),
                    name: "U".into(),
                },
                catalog: "pmo-2011".into(),
                started_at: FixedOffset::east_opt(0)
                    .unwrap()
                    .with_ymd_and_hms(2026, 11, 2, 8, 0, 0)
                    .unwrap(),
                follows: None,
            },
        )
        .unwrap()
    }

    fn violate(d: &mut InspectionDoc, item: &str, points: Option<u32>, products: &[&str]) {
        let t = FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
            .unwrap();
        d.set_finding(
            item,
            &ItemState::Violated {
                points,
                products: products.iter().map(|p| p.to_string()).collect(),
            },
            &t,
        )
        .unwrap();
    }

    #[test]
    fn a_farm_counts_as_its_2359k_line() {
        let mut d = doc(SubjectKind::Farm);
        assert_eq!(inspection_debits(&d.read().unwrap()).unwrap().total, 0);
        violate(&mut d, "3", None, &[]);
        violate(&mut d, "4", None, &[]);
        let i = d.read().unwrap();
        // the same figure the 2359k line gives for these marks
        let form = &Catalog::builtin("pmo-2011").unwrap().farm;
        let marks: Vec<Mark> = ["3", "4"]
            .iter()
            .filter_map(|c| mark(form, c, None))
            .collect();
        let line = raw_milk::farm_line(form, &raw_milk::FarmRow { cwt: 0, marks });
        assert_eq!(inspection_debits(&i).unwrap().total, line.total_debits);
        assert!(line.total_debits > 0);
    }

    #[test]
    fn a_plants_partial_debit_counts_against_its_products_only() {
        let form = &Catalog::builtin("pmo-2011").unwrap().plant;
        let partial = form
            .columns
            .iter()
            .find(|c| c.partial_by_product && !c.lab)
            .map(|c| c.ids[0].clone())
            .unwrap();
        let whole_item = form
            .columns
            .iter()
            .find(|c| !c.partial_by_product && !c.lab)
            .map(|c| c.ids[0].clone())
            .unwrap();
        let mut d = doc(SubjectKind::Plant);
        violate(&mut d, &whole_item, None, &[]);
        violate(&mut d, &partial, None, &["Tubs"]);
        let got = inspection_debits(&d.read().unwrap()).unwrap();
        let w = |id: &str| form.columns[form.column_for_id(id).unwrap()].default_points();
        assert_eq!(got.total, w(&whole_item));
        assert_eq!(got.products, vec![("Tubs".to_string(), w(&partial))]);
    }
}
