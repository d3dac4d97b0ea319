//! What must hold before a rating officer may open an IMS rating and draw its farms. Each
//! refusal names the MMSR or NCIMS Procedures line it rests on; a supervisor may record an
//! override with a reason, which stays in the record of the rating.
//!
//! - **Appendix N** (MMSR seed 004 L159–163, L180–183): a shipper that is not in substantial
//!   compliance with Appendix N of the PMO is not rated. The record shows it by each positive
//!   drug residue result's notifications and disposition (requirements T-N8).
//! - **Approved laboratory** (004 L314–319): "Ratings shall not be conducted when an approved
//!   laboratory is not utilized by the Regulatory Agency for the necessary tests."
//! - **Producer list** (004 L250–254, L276–279): a current listing of the producers, each with
//!   the pounds the 40 % rule weighs.
//! - **Certificate** (Procedures 003 L110, L446): a SRO holds a valid certificate (three
//!   years) in the category of the shipper.
//! - **Independence** (003 L110, L470): a SRO "shall not have direct responsibility for the
//!   routine regulatory inspection and enforcement or regulatory auditing of the shipper to be
//!   rated" — read here as being the assigned inspector of the shipper or one of its farms, or
//!   having made a routine inspection of them within the appraisal window (requirements I-1).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::draw::{Producer, COMPARISON_DAYS};
use crate::calendar;
use crate::registry::FacilityKind;
use crate::residue::ResidueEvent;

/// One gate of a rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    AppendixN,
    ApprovedLaboratory,
    ProducerList,
    Certificate,
    Independence,
}

impl Gate {
    pub const ALL: [Gate; 5] = [
        Gate::AppendixN,
        Gate::ApprovedLaboratory,
        Gate::ProducerList,
        Gate::Certificate,
        Gate::Independence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Gate::AppendixN => "appendix_n",
            Gate::ApprovedLaboratory => "approved_laboratory",
            Gate::ProducerList => "producer_list",
            Gate::Certificate => "certificate",
            Gate::Independence => "independence",
        }
    }

    pub fn parse(s: &str) -> Option<Gate> {
        Gate::ALL.into_iter().find(|g| g.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Gate::AppendixN => "Appendix N program",
            Gate::ApprovedLaboratory => "Approved laboratory",
            Gate::ProducerList => "Current producer list",
            Gate::Certificate => "Rating officer's certificate",
            Gate::Independence => "Rating officer's independence",
        }
    }

    /// The lines the gate rests on.
    pub fn cites(self) -> &'static str {
        match self {
            Gate::AppendixN => "MMSR L159-163, L180-183 (PMO Appendix N)",
            Gate::ApprovedLaboratory => "MMSR L314-319",
            Gate::ProducerList => "MMSR L250-254, L276-279",
            Gate::Certificate => "NCIMS Procedures L110, L446",
            Gate::Independence => "NCIMS Procedures L110, L470",
        }
    }
}

/// Why a gate is shut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub gate: Gate,
    pub message: String,
}

impl Refusal {
    fn new(gate: Gate, message: impl Into<String>) -> Refusal {
        Refusal {
            gate,
            message: format!("{} ({})", message.into(), gate.cites()),
        }
    }
}

/// The category a SRO is certified in (Procedures L446).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Dairy farms (BTUs and attached supplies).
    DairyFarms,
    /// Milk pasteurization plants.
    Plants,
    /// Receiving and transfer stations.
    ReceivingTransferStations,
}

impl Category {
    pub const ALL: [Category; 3] = [
        Category::DairyFarms,
        Category::Plants,
        Category::ReceivingTransferStations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::DairyFarms => "dairy_farms",
            Category::Plants => "plants",
            Category::ReceivingTransferStations => "receiving_transfer_stations",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The categories a SRO must be certified in to rate a shipper of this kind (Procedures
/// L446): a BTU's farms; a plant and, when it has an attached supply, its farms; a receiving
/// or transfer station.
pub fn categories_needed(kind: FacilityKind, has_farms: bool) -> Vec<Category> {
    let mut out = match kind {
        FacilityKind::Btu | FacilityKind::DairyFarm => vec![Category::DairyFarms],
        FacilityKind::ReceivingStation | FacilityKind::TransferStation => {
            vec![Category::ReceivingTransferStations]
        }
        FacilityKind::MilkPlant | FacilityKind::AsepticPlant | FacilityKind::CondensedDryPlant => {
            vec![Category::Plants]
        }
        FacilityKind::Hauler => Vec::new(),
    };
    if has_farms && !out.contains(&Category::DairyFarms) {
        out.push(Category::DairyFarms);
    }
    out
}

/// A SRO's certificate of qualification: valid three years from the day it was issued
/// (Procedures L446, L459).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub issued_on: NaiveDate,
    pub categories: Vec<Category>,
}

/// How long a SRO certificate is valid (Procedures L446).
pub const CERTIFICATE_YEARS: u32 = 3;

impl Certificate {
    /// The last day it is valid.
    pub fn expires(&self) -> NaiveDate {
        calendar::add_months(self.issued_on, CERTIFICATE_YEARS * 12)
            .pred_opt()
            .unwrap_or(self.issued_on)
    }

    pub fn valid_on(&self, on: NaiveDate) -> bool {
        on >= self.issued_on && on <= self.expires()
    }
}

/// A laboratory whose results the rating rests on, as the agency's register holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabUsed {
    pub lab_number: String,
    pub name: String,
    /// The register's classification (F, C, N …) and whether official tests may come from it.
    pub classification: String,
    pub usable: bool,
    pub approved_until: Option<NaiveDate>,
}

/// Whether a laboratory may give official results on a day: in the register, classified
/// usable, and approved through that day. The one rule the lab import and the rating gate use.
pub fn laboratory_usable(lab: Option<&LabUsed>, on: NaiveDate) -> Result<(), String> {
    let Some(lab) = lab else {
        return Err("is not in this agency's register of approved laboratories".into());
    };
    if !lab.usable {
        return Err(format!(
            "({}) is classified {}: not usable for official tests",
            lab.name, lab.classification
        ));
    }
    match lab.approved_until {
        Some(until) if until >= on => Ok(()),
        Some(until) => Err(format!("({}) was approved until {until}", lab.name)),
        None => Err(format!("({}) has no approval date", lab.name)),
    }
}

/// A responsibility of the rating officer for the shipper that takes away independence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duty {
    /// The facility (the shipper or one of its farms).
    pub subject: String,
    pub what: DutyKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DutyKind {
    /// The officer is the facility's assigned inspector.
    AssignedInspector,
    /// The officer made a routine inspection (or reinspection) of it on that day.
    Inspected { on: NaiveDate },
    /// The officer recorded an enforcement action against it on that day.
    Enforced { on: NaiveDate },
}

/// Everything the gates look at, gathered by the caller from the agency record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The day the rating is opened.
    pub on: NaiveDate,
    /// The date of the shipper's last rating, which bounds the appraisal window.
    pub last_rating: Option<NaiveDate>,
    /// The shipper's drug residue events of the last twelve months.
    pub residue: Vec<ResidueEvent>,
    /// The laboratories of the shipper's official results of the last six months.
    pub labs: Vec<(String, Option<LabUsed>)>,
    /// The producer list and the day it was taken.
    pub producers: Vec<Producer>,
    pub producers_listed_on: NaiveDate,
    /// The certificate categories the shipper's rating needs ([`categories_needed`]).
    pub categories: Vec<Category>,
    pub certificate: Option<Certificate>,
    /// The rating officer's responsibilities for the shipper and its farms.
    pub duties: Vec<Duty>,
}

/// Every gate that is shut, each naming its line. Empty: the rating may be opened.
pub fn check(f: &Facts) -> Vec<Refusal> {
    let mut out = Vec::new();
    // Appendix N: every positive notified as it must be, and its disposition reported
    for e in &f.residue {
        let due = e.notices_due();
        if !due.is_empty() {
            out.push(Refusal::new(
                Gate::AppendixN,
                format!(
                    "the positive drug residue result of {} on {} lacks {} notice(s)",
                    e.producer,
                    e.sampled_on,
                    due.len()
                ),
            ));
        } else if !e.disposition_reported {
            out.push(Refusal::new(
                Gate::AppendixN,
                format!(
                    "no disposition is reported for the positive drug residue result of {} on {}",
                    e.producer, e.sampled_on
                ),
            ));
        }
    }
    // laboratories
    if f.labs.is_empty() {
        out.push(Refusal::new(
            Gate::ApprovedLaboratory,
            "no official laboratory result of the last six months: no approved laboratory is shown to be used for the necessary tests",
        ));
    }
    for (number, lab) in &f.labs {
        if let Err(why) = laboratory_usable(lab.as_ref(), f.on) {
            out.push(Refusal::new(
                Gate::ApprovedLaboratory,
                format!("laboratory {number} {why}"),
            ));
        }
    }
    // the producer list
    if f.producers.is_empty() {
        out.push(Refusal::new(
            Gate::ProducerList,
            "the producer list is empty",
        ));
    }
    if calendar::minus_days(f.on, COMPARISON_DAYS) > f.producers_listed_on {
        out.push(Refusal::new(
            Gate::ProducerList,
            format!(
                "the producer list of {} is older than {COMPARISON_DAYS} days",
                f.producers_listed_on
            ),
        ));
    }
    let unweighed: Vec<&str> = f
        .producers
        .iter()
        .filter(|p| p.daily_pounds == 0)
        .map(|p| p.farm_id.as_str())
        .collect();
    if !unweighed.is_empty() {
        out.push(Refusal::new(
            Gate::ProducerList,
            format!(
                "no daily pounds on record for {} (the 40 % rule weighs every producer)",
                unweighed.join(", ")
            ),
        ));
    }
    // certificate
    match &f.certificate {
        None => out.push(Refusal::new(
            Gate::Certificate,
            "the rating officer holds no SRO certificate",
        )),
        Some(c) if !c.valid_on(f.on) => out.push(Refusal::new(
            Gate::Certificate,
            format!(
                "the SRO certificate issued {} expired {}",
                c.issued_on,
                c.expires()
            ),
        )),
        Some(c) => {
            for need in f.categories.iter().filter(|n| !c.categories.contains(n)) {
                out.push(Refusal::new(
                    Gate::Certificate,
                    format!(
                        "the SRO certificate does not cover {}",
                        need.as_str().replace('_', " ")
                    ),
                ));
            }
        }
    }
    // independence, within the appraisal window (MMSR L822-827)
    let (from, _) = calendar::appraisal_window(f.on, f.last_rating);
    for d in &f.duties {
        let why = match &d.what {
            DutyKind::AssignedInspector => Some(format!(
                "the rating officer is the assigned inspector of {}",
                d.subject
            )),
            DutyKind::Inspected { on } if *on >= from => Some(format!(
                "the rating officer inspected {} on {on}",
                d.subject
            )),
            DutyKind::Enforced { on } if *on >= from => Some(format!(
                "the rating officer took enforcement action against {} on {on}",
                d.subject
            )),
            _ => None,
        };
        if let Some(why) = why {
            out.push(Refusal::new(Gate::Independence, why));
        }
    }
    out
}

/// A supervisor's decision to open a rating although a gate is shut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub gate: Gate,
    pub by: String,
    pub reason: String,
    pub at: String,
}

/// The shortest reason an override may give.
pub const MIN_OVERRIDE_REASON: usize = 10;

/// The refusals no override covers. An override covers every refusal of its gate.
pub fn unresolved(refusals: &[Refusal], overrides: &[Override]) -> Vec<Refusal> {
    refusals
        .iter()
        .filter(|r| !overrides.iter().any(|o| o.gate == r.gate))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn open_facts() -> Facts {
        Facts {
            on: d("2026-06-10"),
            last_rating: Some(d("2024-06-01")),
            residue: Vec::new(),
            labs: vec![(
                "LAB-1".into(),
                Some(LabUsed {
                    lab_number: "LAB-1".into(),
                    name: "State lab".into(),
                    classification: "F".into(),
                    usable: true,
                    approved_until: Some(d("2027-01-01")),
                }),
            )],
            producers: vec![Producer {
                farm_id: "f1".into(),
                name: "One".into(),
                daily_pounds: 1000,
            }],
            producers_listed_on: d("2026-06-10"),
            categories: categories_needed(FacilityKind::Btu, true),
            certificate: Some(Certificate {
                issued_on: d("2024-01-15"),
                categories: vec![Category::DairyFarms],
            }),
            duties: Vec::new(),
        }
    }

    fn gates_of(f: &Facts) -> Vec<Gate> {
        check(f).into_iter().map(|r| r.gate).collect()
    }

    #[test]
    fn open_gates_refuse_nothing() {
        assert!(check(&open_facts()).is_empty());
    }

    #[test]
    fn each_gate_refuses_and_names_its_line() {
        let mut f = open_facts();
        f.residue.push(ResidueEvent {
            producer: "f1".into(),
            sampled_on: d("2026-05-01"),
            load: false,
            notified: Vec::new(),
            negative_on: None,
            disposition_reported: false,
        });
        let r = check(&f);
        assert_eq!(r[0].gate, Gate::AppendixN);
        assert!(r[0].message.contains("L159-163"), "{}", r[0].message);

        let mut f = open_facts();
        f.labs[0].1.as_mut().unwrap().approved_until = Some(d("2026-06-09"));
        let r = check(&f);
        assert_eq!(gates_of(&f), [Gate::ApprovedLaboratory]);
        assert!(r[0].message.contains("L314-319"), "{}", r[0].message);
        f.labs[0].1 = None;
        assert!(check(&f)[0]
            .message
            .contains("not in this agency's register"));
        f.labs.clear();
        assert_eq!(gates_of(&f), [Gate::ApprovedLaboratory]);

        let mut f = open_facts();
        f.producers_listed_on = d("2026-04-10");
        let r = check(&f);
        assert_eq!(gates_of(&f), [Gate::ProducerList]);
        assert!(r[0].message.contains("L250-254"), "{}", r[0].message);
        f.producers_listed_on = d("2026-04-11");
        assert!(check(&f).is_empty(), "sixty days is still current");
        f.producers[0].daily_pounds = 0;
        assert_eq!(gates_of(&f), [Gate::ProducerList]);

        let mut f = open_facts();
        f.certificate = None;
        assert_eq!(gates_of(&f), [Gate::Certificate]);
        f.certificate = Some(Certificate {
            issued_on: d("2023-06-10"),
            categories: vec![Category::DairyFarms],
        });
        let r = check(&f);
        assert_eq!(gates_of(&f), [Gate::Certificate]);
        assert!(
            r[0].message.contains("expired 2026-06-09"),
            "{}",
            r[0].message
        );
        assert!(r[0].message.contains("Procedures L110, L446"));
        f.certificate = Some(Certificate {
            issued_on: d("2025-01-01"),
            categories: vec![Category::Plants],
        });
        assert!(check(&f)[0].message.contains("does not cover dairy farms"));

        let mut f = open_facts();
        f.duties.push(Duty {
            subject: "f1".into(),
            what: DutyKind::AssignedInspector,
        });
        let r = check(&f);
        assert_eq!(gates_of(&f), [Gate::Independence]);
        assert!(r[0].message.contains("L470"), "{}", r[0].message);
    }

    /// An inspection made before the appraisal window is no longer a responsibility for the
    /// shipper's present conditions; one inside it is.
    #[test]
    fn independence_looks_at_the_appraisal_window() {
        let mut f = open_facts();
        f.duties.push(Duty {
            subject: "f1".into(),
            what: DutyKind::Inspected {
                on: d("2024-05-01"),
            },
        });
        assert!(check(&f).is_empty(), "before the last rating");
        f.duties.push(Duty {
            subject: "f1".into(),
            what: DutyKind::Enforced {
                on: d("2025-12-01"),
            },
        });
        assert_eq!(gates_of(&f), [Gate::Independence]);
    }

    #[test]
    fn notified_and_disposed_positives_pass_appendix_n() {
        let mut f = open_facts();
        let mut e = ResidueEvent {
            producer: "f1".into(),
            sampled_on: d("2026-05-01"),
            load: false,
            notified: Vec::new(),
            negative_on: Some(d("2026-05-03")),
            disposition_reported: true,
        };
        for n in e.notices_due() {
            e.notified
                .push((n, "2026-05-01T10:00:00Z".parse().unwrap()));
        }
        assert!(e.notices_due().is_empty());
        f.residue.push(e);
        assert!(check(&f).is_empty());
    }

    #[test]
    fn an_override_covers_its_gate_only() {
        let mut f = open_facts();
        f.certificate = None;
        f.producers.clear();
        let r = check(&f);
        let o = Override {
            gate: Gate::Certificate,
            by: "sue".into(),
            reason: "FDA renewal letter on file".into(),
            at: "2026-06-10T08:00:00Z".into(),
        };
        let left = unresolved(&r, &[o]);
        assert_eq!(
            left.iter().map(|r| r.gate).collect::<Vec<_>>(),
            [Gate::ProducerList]
        );
    }
}
