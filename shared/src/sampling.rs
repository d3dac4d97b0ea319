//! Sampling surveillance: the evaluation forms of bulk milk hauler/samplers (FORM FDA 2399a)
//! and of dairy and industry plant samplers (FORM FDA 2399) as versioned catalog data, and the
//! rules of who may evaluate them — a certified Sampling Surveillance Officer (SSO) or a
//! properly delegated Sampling Surveillance Regulatory Official — with the delegation computed
//! from comparison evaluations (MMSR L8630-8712, FORM 2359j Section C).
//!
//! The forms are not among the seeds: `shared/catalogs/fda-2399a.json` and `fda-2399.json`
//! record where their items were read and mark each item that could not be confirmed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar;

pub mod records;

/// Who collects official samples, and so is evaluated (MMSR L8666-8672).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerKind {
    /// Collects farm samples at a routine pick-up (FORM FDA 2399a).
    BulkMilkHaulerSampler,
    /// The agency's sampler of raw and finished products and containers at a plant (FORM 2399).
    DairyPlantSampler,
    /// Industry's sampler of raw milk from a milk tank truck at a plant (FORM 2399).
    IndustryPlantSampler,
}

impl SamplerKind {
    pub const ALL: [SamplerKind; 3] = [
        SamplerKind::BulkMilkHaulerSampler,
        SamplerKind::DairyPlantSampler,
        SamplerKind::IndustryPlantSampler,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SamplerKind::BulkMilkHaulerSampler => "bulk_milk_hauler_sampler",
            SamplerKind::DairyPlantSampler => "dairy_plant_sampler",
            SamplerKind::IndustryPlantSampler => "industry_plant_sampler",
        }
    }

    /// The evaluation form this sampler is evaluated on.
    pub fn form(self) -> &'static SamplerForm {
        match self {
            SamplerKind::BulkMilkHaulerSampler => forms().0,
            _ => forms().1,
        }
    }
}

/// One item (or sub-item) of an evaluation form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormItem {
    pub id: String,
    pub text: String,
    /// Read from a public copy but not confirmed against a printed form (see the notes).
    #[serde(default)]
    pub unconfirmed: bool,
    /// Sub-items: when present, they are what is marked (`9a`, `9b`).
    #[serde(default)]
    pub sub: Vec<FormItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSection {
    pub title: String,
    pub items: Vec<FormItem>,
}

/// An evaluation form as versioned data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplerForm {
    pub id: String,
    pub form: String,
    pub title: String,
    pub edition: String,
    pub applies_to: Vec<SamplerKind>,
    /// Where the items were read: `{what, where}` each.
    pub sources: Vec<serde_json::Value>,
    pub notes: Vec<String>,
    pub sections: Vec<FormSection>,
}

impl SamplerForm {
    /// What is marked, in form order: each sub-item, or the item when it has none —
    /// `(section title, id, text)`.
    pub fn marked_items(&self) -> Vec<(&str, &str, &str)> {
        let mut out = Vec::new();
        for s in &self.sections {
            for i in &s.items {
                if i.sub.is_empty() {
                    out.push((s.title.as_str(), i.id.as_str(), i.text.as_str()));
                }
                for sub in &i.sub {
                    out.push((s.title.as_str(), sub.id.as_str(), sub.text.as_str()));
                }
            }
        }
        out
    }

    /// The text of a marked item ("9a: Accuracy checked …" with its item's heading).
    pub fn text_of(&self, id: &str) -> Option<String> {
        for s in &self.sections {
            for i in &s.items {
                if i.id == id && i.sub.is_empty() {
                    return Some(i.text.clone());
                }
                if let Some(sub) = i.sub.iter().find(|x| x.id == id) {
                    return Some(if i.sub.len() > 1 && sub.text != i.text {
                        format!("{}: {}", i.text, sub.text)
                    } else {
                        sub.text.clone()
                    });
                }
            }
        }
        None
    }
}

/// Why a form's data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the form's data is not valid: {0}")]
    Malformed(String),
    #[error("item {0} appears twice on the form")]
    Duplicate(String),
}

/// Parses and checks a form (every marked id once).
pub fn parse_form(text: &str) -> Result<SamplerForm, FormError> {
    let f: SamplerForm =
        serde_json::from_str(text).map_err(|e| FormError::Malformed(e.to_string()))?;
    let mut seen = std::collections::HashSet::new();
    for (_, id, _) in f.marked_items() {
        if !seen.insert(id.to_string()) {
            return Err(FormError::Duplicate(id.to_string()));
        }
    }
    Ok(f)
}

fn forms() -> (&'static SamplerForm, &'static SamplerForm) {
    static FORMS: std::sync::OnceLock<(SamplerForm, SamplerForm)> = std::sync::OnceLock::new();
    let (a, b) = FORMS.get_or_init(|| {
        // built in and checked by the tests: a failure here is a build defect
        let parse = |t: &str| parse_form(t).unwrap_or_else(|e| panic!("built-in form: {e}"));
        (
            parse(include_str!("../catalogs/fda-2399a.json")),
            parse(include_str!("../catalogs/fda-2399.json")),
        )
    });
    (a, b)
}

/// A built-in form by id (`fda-2399a-2011`, `fda-2399-2011`).
pub fn form(id: &str) -> Option<&'static SamplerForm> {
    let (a, b) = forms();
    [a, b].into_iter().find(|f| f.id == id)
}

/// How an evaluator marked one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Compliant,
    Deviation,
    NotApplicable,
}

/// A comparison evaluation: the delegate candidate and the certified SSO evaluating the same
/// sampler at the same pick-up (or plant), each marking the form (MMSR L8652-8664).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub sampler: SamplerKind,
    pub on: NaiveDate,
    /// A bulk milk hauler/sampler's comparison counts only at a routine pick-up at a producer
    /// dairy (MMSR L8653-8654).
    #[serde(default = "yes")]
    pub routine_pickup: bool,
    pub sso: BTreeMap<String, Mark>,
    pub candidate: BTreeMap<String, Mark>,
}

fn yes() -> bool {
    true
}

/// The least agreement on each listed item (MMSR L8657, L8664).
pub const AGREEMENT_PERCENT: u32 = 80;
/// An SSO's certificate is valid three years (MMSR L8637-8638).
pub const SSO_CERTIFICATE_YEARS: u32 = 3;
/// Re-delegation at least every three years (MMSR L8659).
pub const DELEGATION_YEARS: u32 = 3;

/// The comparisons a delegation needs: `(bulk milk hauler/samplers, plant samplers, industry
/// plant samplers)` — initial 5, 1, 1; re-delegation 2, 1, 1; the plant and industry ones "if
/// applicable" (MMSR L8652-8664).
pub fn comparisons_needed(redelegation: bool) -> (usize, usize, usize) {
    if redelegation {
        (2, 1, 1)
    } else {
        (5, 1, 1)
    }
}

/// Per item listed in any comparison, `(agreed, compared)`: an item both marked, and marked
/// alike. An item one of them did not mark counts as a disagreement.
pub fn agreement(comparisons: &[Comparison]) -> BTreeMap<String, (u32, u32)> {
    let mut out: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for c in comparisons {
        let items: std::collections::BTreeSet<&String> =
            c.sso.keys().chain(c.candidate.keys()).collect();
        for item in items {
            let e = out.entry(item.clone()).or_insert((0, 0));
            e.1 += 1;
            if c.sso.contains_key(item) && c.sso.get(item) == c.candidate.get(item) {
                e.0 += 1;
            }
        }
    }
    out
}

/// Whether `agreed` of `compared` is at least [`AGREEMENT_PERCENT`] (exact: no rounding).
pub fn agrees_enough(agreed: u32, compared: u32) -> bool {
    compared > 0 && u64::from(agreed) * 100 >= u64::from(compared) * u64::from(AGREEMENT_PERCENT)
}

/// What a delegation round needs besides the comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelegationRound {
    /// The candidate already holds a delegation (a re-delegation's smaller counts).
    pub redelegation: bool,
    /// The agency has plant samplers to compare on (else that count does not apply).
    pub plant_samplers: bool,
    /// The agency has industry plant samplers to compare on.
    pub industry_plant_samplers: bool,
}

/// A delegation of sampling surveillance authority: granted on the last comparison's day,
/// valid [`DELEGATION_YEARS`] years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegation {
    pub granted_on: NaiveDate,
    pub valid_until: NaiveDate,
}

/// Whether comparisons earn a delegation (MMSR L8647-8664): enough of each kind, and at least
/// 80 % agreement on each listed item over them. The refusal lists every shortfall.
pub fn delegation(
    comparisons: &[Comparison],
    round: DelegationRound,
) -> Result<Delegation, Vec<String>> {
    let (haulers, plant, industry) = comparisons_needed(round.redelegation);
    let count = |k: SamplerKind| {
        comparisons
            .iter()
            .filter(|c| c.sampler == k)
            .filter(|c| k != SamplerKind::BulkMilkHaulerSampler || c.routine_pickup)
            .count()
    };
    let which = if round.redelegation {
        "re-delegation (MMSR L8659-8664)"
    } else {
        "initial delegation (MMSR L8652-8657)"
    };
    let mut problems = Vec::new();
    for (kind, need, applies, name) in [
        (
            SamplerKind::BulkMilkHaulerSampler,
            haulers,
            true,
            "bulk milk hauler/samplers at a routine pick-up",
        ),
        (
            SamplerKind::DairyPlantSampler,
            plant,
            round.plant_samplers,
            "plant sampler",
        ),
        (
            SamplerKind::IndustryPlantSampler,
            industry,
            round.industry_plant_samplers,
            "industry plant sampler",
        ),
    ] {
        let have = count(kind);
        if applies && have < need {
            problems.push(format!(
                "{which} needs comparison evaluations of at least {need} {name}; {have} recorded"
            ));
        }
    }
    for (item, (agreed, compared)) in agreement(comparisons) {
        if !agrees_enough(agreed, compared) {
            problems.push(format!(
                "item {item}: agreement {agreed} of {compared}, under {AGREEMENT_PERCENT} % (MMSR L8657)"
            ));
        }
    }
    let Some(granted_on) = comparisons.iter().map(|c| c.on).max() else {
        problems.push(format!(
            "{which} needs comparison evaluations; none recorded"
        ));
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Delegation {
        granted_on,
        valid_until: calendar::add_months(granted_on, DELEGATION_YEARS * 12),
    })
}

/// What an evaluator holds: an SSO certificate (FDA-certified, the day it was issued) and/or a
/// delegation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluatorCredentials {
    #[serde(default)]
    pub sso_certified_on: Option<NaiveDate>,
    #[serde(default)]
    pub delegation: Option<Delegation>,
}

/// On what authority an evaluation is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluatingAs {
    CertifiedSso,
    DelegatedOfficial,
}

/// Whether the holder of `c` may evaluate samplers on `on` (MMSR L8636-8638, L8647-8664,
/// L8673-8676); the refusal says why, for the device and the server alike.
pub fn may_evaluate(c: &EvaluatorCredentials, on: NaiveDate) -> Result<EvaluatingAs, String> {
    if let Some(cert) = c.sso_certified_on {
        if on >= cert && on < calendar::add_months(cert, SSO_CERTIFICATE_YEARS * 12) {
            return Ok(EvaluatingAs::CertifiedSso);
        }
    }
    if let Some(d) = c.delegation {
        if on >= d.granted_on && on <= d.valid_until {
            return Ok(EvaluatingAs::DelegatedOfficial);
        }
    }
    let why = match (c.sso_certified_on, c.delegation) {
        (Some(cert), _) if on >= cert => format!(
            "your SSO certificate of {cert} lapsed after {SSO_CERTIFICATE_YEARS} years (MMSR L8638)"
        ),
        (_, Some(d)) if on > d.valid_until => format!(
            "your delegation lapsed on {}: re-delegation is due every {DELEGATION_YEARS} years (MMSR L8659)",
            d.valid_until
        ),
        _ => "you hold neither an FDA SSO certificate nor a delegation".to_string(),
    };
    Err(format!(
        "Only a certified Sampling Surveillance Officer or a properly delegated Sampling Surveillance Regulatory Official evaluates samplers (MMSR L8673-8676): {why}."
    ))
}

/// The re-evaluation an unsatisfactory evaluation proposes when the evaluator sets no date:
/// the MMSR asks for re-evaluations "as required" (L8710) and names no interval, so this is the
/// agency's default — one place to change, as `calendar::REINSPECTION_DAYS` is for farms.
pub const DEFAULT_REEVALUATION_DAYS: i64 = 30;

/// The re-evaluation date proposed for an evaluation started on `started`.
pub fn default_reevaluation(started: NaiveDate) -> NaiveDate {
    started + chrono::Duration::days(DEFAULT_REEVALUATION_DAYS)
}

/// An evaluation's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    Satisfactory,
    /// The re-evaluation is due by the day given (MMSR L8710: re-evaluations made as required).
    Unsatisfactory {
        reevaluate_by: NaiveDate,
    },
}

/// The next evaluation of a sampler evaluated on `last`: 24 months plus the rest of the month
/// it falls due (MMSR L8673-8676) — or the re-evaluation date of an unsatisfactory one when
/// sooner: `workload::work_due`, the board's and the due list's one rule.
pub fn next_evaluation(last: NaiveDate, outcome: Outcome) -> NaiveDate {
    let reevaluate_by = match outcome {
        Outcome::Satisfactory => None,
        Outcome::Unsatisfactory { reevaluate_by } => Some(reevaluate_by),
    };
    crate::workload::work_due(
        crate::registry::FacilityKind::Hauler,
        last,
        None,
        reevaluate_by,
    )
    .map_or_else(|| calendar::deadline(last, 24), |r| r.due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn marks(pairs: &[(&str, Mark)]) -> BTreeMap<String, Mark> {
        pairs.iter().map(|(k, m)| (k.to_string(), *m)).collect()
    }

    fn hauler(on: &str, agree: bool) -> Comparison {
        let sso = marks(&[("2", Mark::Compliant), ("14d", Mark::Deviation)]);
        let mut candidate = sso.clone();
        if !agree {
            candidate.insert("14d".into(), Mark::Compliant);
        }
        Comparison {
            sampler: SamplerKind::BulkMilkHaulerSampler,
            on: d(on),
            routine_pickup: true,
            sso,
            candidate,
        }
    }

    fn plant(kind: SamplerKind, on: &str) -> Comparison {
        let m = marks(&[("1a", Mark::Compliant)]);
        Comparison {
            sampler: kind,
            on: d(on),
            routine_pickup: true,
            sso: m.clone(),
            candidate: m,
        }
    }

    const INITIAL: DelegationRound = DelegationRound {
        redelegation: false,
        plant_samplers: true,
        industry_plant_samplers: true,
    };

    #[test]
    fn the_built_in_forms_hold_their_items_once_with_their_sources() {
        let a = form("fda-2399a-2011").unwrap();
        assert_eq!(a.form, "FORM FDA 2399a");
        let items = a.marked_items();
        assert!(items
            .iter()
            .any(|(_, id, t)| *id == "14b" && t.contains("outlet valve")));
        assert!(!a.sources.is_empty() && !a.notes.is_empty());
        assert!(a
            .sections
            .iter()
            .flat_map(|s| &s.items)
            .any(|i| i.unconfirmed));
        assert_eq!(
            a.text_of("9a").unwrap(),
            "Thermometer - approved type: Accuracy checked against a standard thermometer every 6 months; accuracy within 1 division"
        );
        let b = SamplerKind::IndustryPlantSampler.form();
        assert_eq!(b.form, "FORM FDA 2399");
        assert!(b.marked_items().iter().any(|(_, id, _)| *id == "3g"));
        assert!(matches!(
            parse_form(&include_str!("../catalogs/fda-2399.json").replace("\"3g\"", "\"3f\"")),
            Err(FormError::Duplicate(_))
        ));
    }

    #[test]
    fn eighty_percent_on_each_item_exactly() {
        assert!(agrees_enough(4, 5));
        assert!(!agrees_enough(3, 4));
        assert!(agrees_enough(8, 10));
        assert!(!agrees_enough(79, 100));
        assert!(!agrees_enough(0, 0));
        // 4 of 5 haulers agree on 14d: 80 %, enough
        let mut c: Vec<Comparison> = (1..=4)
            .map(|n| hauler(&format!("2026-0{n}-10"), true))
            .collect();
        c.push(hauler("2026-05-10", false));
        assert_eq!(agreement(&c)["14d"], (4, 5));
        assert_eq!(agreement(&c)["2"], (5, 5));
    }

    #[test]
    fn an_initial_delegation_needs_five_one_and_one_with_agreement() {
        let mut c: Vec<Comparison> = (1..=4)
            .map(|n| hauler(&format!("2026-0{n}-10"), true))
            .collect();
        c.push(plant(SamplerKind::DairyPlantSampler, "2026-06-01"));
        c.push(plant(SamplerKind::IndustryPlantSampler, "2026-06-02"));
        let why = delegation(&c, INITIAL).unwrap_err();
        assert!(
            why[0].contains("at least 5 bulk milk hauler/samplers")
                && why[0].contains("4 recorded"),
            "{why:?}"
        );
        // a fifth at a routine pick-up: granted on the last comparison, for three years
        c.push(hauler("2026-06-03", true));
        assert_eq!(
            delegation(&c, INITIAL),
            Ok(Delegation {
                granted_on: d("2026-06-03"),
                valid_until: d("2029-06-03")
            })
        );
        // one not at a routine pick-up does not count
        c.last_mut().unwrap().routine_pickup = false;
        assert!(delegation(&c, INITIAL).is_err());
        c.last_mut().unwrap().routine_pickup = true;
        // two disagreements on 14d out of 5: 60 %, refused naming the item
        c[0] = hauler("2026-01-10", false);
        c[1] = hauler("2026-02-10", false);
        let why = delegation(&c, INITIAL).unwrap_err();
        assert!(
            why.iter().any(|w| w.contains("item 14d: agreement 3 of 5")),
            "{why:?}"
        );
    }

    #[test]
    fn a_redelegation_needs_two_one_and_one_and_plant_counts_only_where_they_apply() {
        let round = DelegationRound {
            redelegation: true,
            plant_samplers: false,
            industry_plant_samplers: false,
        };
        let c = vec![hauler("2029-01-10", true), hauler("2029-02-10", true)];
        assert!(delegation(&c, round).is_ok());
        let with_plants = DelegationRound {
            plant_samplers: true,
            ..round
        };
        let why = delegation(&c, with_plants).unwrap_err();
        assert!(why[0].contains("at least 1 plant sampler"), "{why:?}");
        assert!(delegation(&c[..1], round).is_err());
        assert!(delegation(&[], round).is_err());
    }

    #[test]
    fn only_a_current_sso_or_delegate_evaluates() {
        let sso = EvaluatorCredentials {
            sso_certified_on: Some(d("2024-03-01")),
            delegation: None,
        };
        assert_eq!(
            may_evaluate(&sso, d("2027-02-28")),
            Ok(EvaluatingAs::CertifiedSso)
        );
        let lapsed = may_evaluate(&sso, d("2027-03-01")).unwrap_err();
        assert!(lapsed.contains("lapsed after 3 years"), "{lapsed}");
        let delegate = EvaluatorCredentials {
            sso_certified_on: None,
            delegation: Some(Delegation {
                granted_on: d("2026-06-03"),
                valid_until: d("2029-06-03"),
            }),
        };
        assert_eq!(
            may_evaluate(&delegate, d("2029-06-03")),
            Ok(EvaluatingAs::DelegatedOfficial)
        );
        assert!(may_evaluate(&delegate, d("2029-06-04"))
            .unwrap_err()
            .contains("re-delegation is due"));
        assert!(
            may_evaluate(&EvaluatorCredentials::default(), d("2026-12-01"))
                .unwrap_err()
                .contains("neither an FDA SSO certificate nor a delegation")
        );
    }

    #[test]
    fn the_next_evaluation_is_24_months_and_the_rest_of_the_month_or_the_reevaluation() {
        assert_eq!(
            next_evaluation(d("2025-01-15"), Outcome::Satisfactory),
            d("2027-01-31")
        );
        assert_eq!(
            next_evaluation(d("2024-02-29"), Outcome::Satisfactory),
            d("2026-02-28")
        );
        assert_eq!(
            next_evaluation(
                d("2026-11-20"),
                Outcome::Unsatisfactory {
                    reevaluate_by: d("2026-12-20")
                }
            ),
            d("2026-12-20")
        );
        // the re-evaluation the screen proposes when the evaluator sets none
        assert_eq!(default_reevaluation(d("2026-12-02")), d("2027-01-01"));
    }
}
