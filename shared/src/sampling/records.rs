//! What the agency keeps of each sampler, and what it is judged on: the history card of
//! evaluations (MMSR L8704-8705, Item 8c), repeat violations that call for action on the
//! permit (L8697-8698, Item 7a), the annual notice of all samplers and evaluations (L8682-8683,
//! Item 5b), and the samplers identified at a rating's farms, counted for FORM 2359j Section C
//! (L281-287, L8618-8708; the worked examples H #6, L4075-4134).
//!
//! One home for the review pages' history card, the board's "action owed" line, the annual
//! notice and the rating sheet's Section C.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{may_evaluate, EvaluatingAs, EvaluatorCredentials, Outcome};
use crate::calendar;
use crate::rating::enforcement::Counts;

/// Samplers are evaluated every 2 years, met through the end of the month (MMSR L8675-8681).
pub const EVALUATION_MONTHS: u32 = 24;

/// One signed evaluation on a sampler's history card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvaluationEntry {
    pub inspection_id: String,
    /// The day of the evaluation (the pick-up's local day).
    pub on: NaiveDate,
    pub evaluator: String,
    /// `None`: signed before outcomes were recorded.
    pub outcome: Option<Outcome>,
    /// The items marked out of compliance, in form order.
    pub deviations: Vec<String>,
}

impl EvaluationEntry {
    pub fn unsatisfactory(&self) -> bool {
        matches!(self.outcome, Some(Outcome::Unsatisfactory { .. }))
    }
}

/// A violation of sampling requirements repeated from the sampler's previous evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepeatViolation {
    /// The evaluation that repeated it.
    pub inspection_id: String,
    pub on: NaiveDate,
    /// Items out of compliance at this evaluation and at the one before.
    pub items: Vec<String>,
    /// Both evaluations were unsatisfactory.
    pub unsatisfactory_twice: bool,
}

/// The repeat violations on a history card: at an evaluation, an item out of compliance that
/// was out of compliance at the sampler's previous evaluation, or an unsatisfactory outcome
/// after an unsatisfactory one. The MMSR asks for "action taken on repeat violations of
/// sampling requirements" (L8697-8698) without saying what repeats; this reading — the same
/// requirement at consecutive evaluations — is the agency default, kept here alone.
pub fn repeat_violations(history: &[EvaluationEntry]) -> Vec<RepeatViolation> {
    let mut sorted: Vec<&EvaluationEntry> = history.iter().collect();
    sorted.sort_by(|a, b| (a.on, &a.inspection_id).cmp(&(b.on, &b.inspection_id)));
    sorted
        .windows(2)
        .filter_map(|w| {
            let (before, now) = (w[0], w[1]);
            let items: Vec<String> = now
                .deviations
                .iter()
                .filter(|i| before.deviations.contains(i))
                .cloned()
                .collect();
            let twice = before.unsatisfactory() && now.unsatisfactory();
            (!items.is_empty() || twice).then(|| RepeatViolation {
                inspection_id: now.inspection_id.clone(),
                on: now.on,
                items,
                unsatisfactory_twice: twice,
            })
        })
        .collect()
}

/// The latest repeat violation no enforcement action on the sampler's permit has answered (an
/// action issued on or after its day answers it): what the board lists and Section C item 7
/// counts against the agency.
pub fn action_owed(
    history: &[EvaluationEntry],
    actions_issued: &[NaiveDate],
) -> Option<RepeatViolation> {
    repeat_violations(history)
        .into_iter()
        .max_by_key(|r| r.on)
        .filter(|r| !actions_issued.iter().any(|a| *a >= r.on))
}

/// The latest evaluation of a history card.
pub fn latest(history: &[EvaluationEntry]) -> Option<&EvaluationEntry> {
    history
        .iter()
        .max_by(|a, b| (a.on, &a.inspection_id).cmp(&(b.on, &b.inspection_id)))
}

/// Whether `history` holds an evaluation within 24 months (and the rest of the month) of `on`.
pub fn evaluated_within_two_years(history: &[EvaluationEntry], on: NaiveDate) -> bool {
    latest(history).is_some_and(|l| l.on <= on && calendar::deadline(l.on, EVALUATION_MONTHS) >= on)
}

/// The evaluations of a history card made in `year` — the annual notice's content
/// (MMSR L8682-8683): every evaluation whose day falls in the year, no other.
pub fn in_year(history: &[EvaluationEntry], year: i32) -> Vec<&EvaluationEntry> {
    let mut out: Vec<&EvaluationEntry> = history
        .iter()
        .filter(|e| chrono::Datelike::year(&e.on) == year)
        .collect();
    out.sort_by(|a, b| (a.on, &a.inspection_id).cmp(&(b.on, &b.inspection_id)));
    out
}

/// A hauler/sampler identified at a rated farm from at least the previous 30 days of records
/// (weight tickets), by permit and the State that issued it (MMSR L281-287).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IdentifiedSampler {
    /// The issuing State, upper case (`WI`).
    pub state: String,
    /// The permit number as written on the records, trimmed.
    pub permit: String,
    pub name: String,
}

impl IdentifiedSampler {
    /// The one key a sampler is counted by, whichever farm and tablet named them.
    pub fn key(&self) -> (String, String) {
        (
            self.state.trim().to_uppercase(),
            self.permit.trim().to_uppercase(),
        )
    }
}

/// The registry id of a hauler/sampler the agency's registry does not hold yet, evaluated under a
/// permit typed in at the pick-up (another State's, MMSR L285-287): made from the permit, so
/// every device that types the same permit names the same sampler, and the server registers it
/// under that id when the evaluation is sent in.
pub fn sampler_id_for_permit(state: &str, permit: &str) -> String {
    let (state, permit) = IdentifiedSampler {
        state: state.into(),
        permit: permit.into(),
        name: String::new(),
    }
    .key();
    let clean: String = permit
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut id = format!("hauler-{}-{}", state.to_lowercase(), clean.to_lowercase());
    id.truncate(64);
    id
}

/// Whether two permits are the same, as written on different records (`BH-5501`, `bh 5501`).
pub fn same_permit(state_a: &str, permit_a: &str, state_b: &str, permit_b: &str) -> bool {
    sampler_id_for_permit(state_a, permit_a) == sampler_id_for_permit(state_b, permit_b)
}

/// What the agency record holds of an identified sampler on the rating date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SamplerStanding {
    /// The registry's id of the sampler.
    pub facility_id: String,
    /// The permit is in force on the rating date (not suspended or revoked).
    pub permit_valid: bool,
    pub history: Vec<EvaluationEntry>,
    /// The days enforcement actions on the sampler's permit were issued.
    pub actions_issued: Vec<NaiveDate>,
}

/// One identified sampler as Section C counts them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionCSampler {
    pub sampler: IdentifiedSampler,
    pub facility_id: Option<String>,
    /// Item 4: holds a valid permit.
    pub permitted: bool,
    /// Item 5: evaluated within two years (counted only when permitted, as H #6 does).
    pub evaluated: bool,
    /// Item 6: the latest evaluation was satisfactory (counted among the evaluated).
    pub in_compliance: bool,
    /// Item 7: what action or re-evaluation is owed and not taken, if any.
    pub owed: Option<String>,
    /// Why it counts against an item, for the rating file.
    pub remarks: Vec<String>,
}

/// Section C as the agency record shows it on the rating date: items 1, 3, 4, 5, 6 and 7
/// counted, item 8's number (item 3's plus item 5's, L4133-4134); item 2 (the training
/// program) and item 8's complying are the rating officer's appraisal, not the record's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionCRecord {
    pub on: NaiveDate,
    pub counted: BTreeMap<u32, Counts>,
    pub item8_number: u64,
    pub samplers: Vec<SectionCSampler>,
}

/// Counts FORM 2359j Section C from the samplers identified at the rated farms (deduplicated by
/// permit and State) against what the record holds of each (`None`: not in the record — a
/// permit of another State whose records must be obtained, L285-287), and the agency's
/// evaluators' credentials:
/// - item 1: SSOs (a certificate recorded), complying while it is valid on `on` (L8636-8638);
/// - item 3: delegated officials (a delegation recorded), complying while it is current
///   (L8647-8664);
/// - item 4: the identified samplers, complying with a valid permit (L8667-8673);
/// - item 5: the same, complying when permitted and evaluated within two years (L8675-8681;
///   H #6 counts unpermitted samplers as not evaluated, L4123-4126);
/// - item 6: item 5's complying, complying when the latest evaluation was satisfactory
///   (L8684-8688; AMB-14);
/// - item 7: the identified samplers, complying unless a repeat violation awaits action or an
///   unsatisfactory evaluation's re-evaluation is past due (L8690-8693).
pub fn section_c_from_record(
    identified: &[(IdentifiedSampler, Option<SamplerStanding>)],
    evaluators: &[EvaluatorCredentials],
    on: NaiveDate,
) -> SectionCRecord {
    let mut unique: BTreeMap<String, &(IdentifiedSampler, Option<SamplerStanding>)> =
        BTreeMap::new();
    for entry in identified {
        unique
            .entry(sampler_id_for_permit(&entry.0.state, &entry.0.permit))
            .or_insert(entry);
    }
    let samplers: Vec<SectionCSampler> = unique
        .into_values()
        .map(|(sampler, standing)| sampler_row(sampler, standing.as_ref(), on))
        .collect();
    let count = |f: &dyn Fn(&SectionCSampler) -> bool, among: &dyn Fn(&SectionCSampler) -> bool| {
        let pool: Vec<&SectionCSampler> = samplers.iter().filter(|s| among(s)).collect();
        Counts {
            number: pool.len() as u64,
            complying: pool.iter().filter(|s| f(s)).count() as u64,
        }
    };
    // each evaluator judged on the one credential the item is about
    let held = |only: &dyn Fn(&EvaluatorCredentials) -> Option<EvaluatorCredentials>,
                as_: EvaluatingAs| {
        let pool: Vec<EvaluatorCredentials> = evaluators.iter().filter_map(only).collect();
        Counts {
            number: pool.len() as u64,
            complying: pool
                .iter()
                .filter(|c| may_evaluate(c, on) == Ok(as_))
                .count() as u64,
        }
    };
    let item1 = held(
        &|c| {
            c.sso_certified_on
                .filter(|d| *d <= on)
                .map(|d| EvaluatorCredentials {
                    sso_certified_on: Some(d),
                    delegation: None,
                })
        },
        EvaluatingAs::CertifiedSso,
    );
    let item3 = held(
        &|c| {
            c.delegation
                .filter(|d| d.granted_on <= on)
                .map(|d| EvaluatorCredentials {
                    sso_certified_on: None,
                    delegation: Some(d),
                })
        },
        EvaluatingAs::DelegatedOfficial,
    );
    let item4 = count(&|s| s.permitted, &|_| true);
    let item5 = count(&|s| s.evaluated, &|_| true);
    let item6 = count(&|s| s.in_compliance, &|s| s.evaluated);
    let item7 = count(&|s| s.owed.is_none(), &|_| true);
    let counted = BTreeMap::from([
        (1, item1),
        (3, item3),
        (4, item4),
        (5, item5),
        (6, item6),
        (7, item7),
    ]);
    SectionCRecord {
        on,
        item8_number: item3.number + item5.number,
        counted,
        samplers,
    }
}

fn sampler_row(
    sampler: &IdentifiedSampler,
    standing: Option<&SamplerStanding>,
    on: NaiveDate,
) -> SectionCSampler {
    let Some(st) = standing else {
        return SectionCSampler {
            sampler: sampler.clone(),
            facility_id: None,
            permitted: false,
            evaluated: false,
            in_compliance: false,
            owed: None,
            remarks: vec![format!(
                "no record of permit {} ({}): obtain the issuing agency's records (MMSR L285-287)",
                sampler.permit, sampler.state
            )],
        };
    };
    let history: Vec<EvaluationEntry> = st.history.iter().filter(|e| e.on <= on).cloned().collect();
    let mut remarks = Vec::new();
    if !st.permit_valid {
        remarks.push("no valid permit on the rating date (Item 4)".to_string());
    }
    let evaluated = st.permit_valid && evaluated_within_two_years(&history, on);
    match latest(&history) {
        None => remarks.push("never evaluated (Item 5)".into()),
        Some(l) if !evaluated && st.permit_valid => remarks.push(format!(
            "last evaluated {}, more than two years before (Item 5)",
            l.on
        )),
        _ => {}
    }
    let last = latest(&history);
    let in_compliance = evaluated && last.is_some_and(|l| !l.unsatisfactory());
    if evaluated && !in_compliance {
        remarks.push("the latest evaluation was unsatisfactory (Item 6)".into());
    }
    let actions: Vec<NaiveDate> = st
        .actions_issued
        .iter()
        .copied()
        .filter(|d| *d <= on)
        .collect();
    let owed = match (action_owed(&history, &actions), last) {
        (Some(r), _) => Some(format!(
            "repeat violation at the evaluation of {} with no action on the permit since (Item 7a)",
            r.on
        )),
        (
            None,
            Some(EvaluationEntry {
                outcome: Some(Outcome::Unsatisfactory { reevaluate_by }),
                on: last_on,
                ..
            }),
        ) if *reevaluate_by < on => Some(format!(
            "re-evaluation after the unsatisfactory evaluation of {last_on} was due by {reevaluate_by} (Item 7b)"
        )),
        _ => None,
    };
    if let Some(o) = &owed {
        remarks.push(o.clone());
    }
    SectionCSampler {
        sampler: sampler.clone(),
        facility_id: Some(st.facility_id.clone()),
        permitted: st.permit_valid,
        evaluated,
        in_compliance,
        owed,
        remarks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating::enforcement::{section_c, EnforcementForm};
    use crate::sampling::Delegation;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn eval(id: &str, on: &str, deviations: &[&str], unsat: bool) -> EvaluationEntry {
        EvaluationEntry {
            inspection_id: id.into(),
            on: d(on),
            evaluator: "hal".into(),
            outcome: Some(if unsat {
                Outcome::Unsatisfactory {
                    reevaluate_by: d(on) + chrono::Duration::days(30),
                }
            } else {
                Outcome::Satisfactory
            }),
            deviations: deviations.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_repeat_is_the_same_requirement_at_consecutive_evaluations() {
        let h = vec![
            eval("c", "2026-03-01", &["9a", "12"], true),
            eval("a", "2024-01-10", &["12"], false),
            eval("b", "2025-02-01", &["3"], false),
        ];
        // 12 in 2024 and 2026 is not consecutive (3 in between)
        assert!(repeat_violations(&h).is_empty());
        let mut h2 = h.clone();
        h2.push(eval("d", "2026-04-01", &["12", "5"], true));
        let r = repeat_violations(&h2);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].inspection_id, "d");
        assert_eq!(r[0].items, vec!["12".to_string()]);
        assert!(r[0].unsatisfactory_twice);
        // an action issued on or after the repeat answers it; one before does not
        assert!(action_owed(&h2, &[d("2026-03-31")]).is_some());
        assert!(action_owed(&h2, &[d("2026-04-01")]).is_none());
    }

    #[test]
    fn a_typed_permit_names_one_sampler_whoever_types_it() {
        assert_eq!(
            sampler_id_for_permit("mn", " mn-h 0877 "),
            "hauler-mn-mn-h-0877"
        );
        assert_eq!(
            sampler_id_for_permit("MN", "MN-H 0877"),
            sampler_id_for_permit("mn", "mn-h 0877")
        );
        assert!(sampler_id_for_permit("WI", &"9".repeat(200)).len() <= 64);
        assert!(same_permit("WI", "BH-5501", "wi", " bh 5501"));
        assert!(!same_permit("WI", "BH-5501", "MN", "BH-5501"));
    }

    #[test]
    fn the_annual_notice_holds_exactly_the_years_evaluations() {
        let h = vec![
            eval("a", "2025-12-31", &[], false),
            eval("b", "2026-01-01", &[], false),
            eval("c", "2026-12-31", &[], false),
            eval("d", "2027-01-01", &[], false),
        ];
        let ids: Vec<&str> = in_year(&h, 2026)
            .iter()
            .map(|e| e.inspection_id.as_str())
            .collect();
        assert_eq!(ids, vec!["b", "c"]);
    }

    fn standing(id: &str, permit_valid: bool, history: Vec<EvaluationEntry>) -> SamplerStanding {
        SamplerStanding {
            facility_id: id.into(),
            permit_valid,
            history,
            actions_issued: Vec::new(),
        }
    }

    fn who(state: &str, permit: &str) -> IdentifiedSampler {
        IdentifiedSampler {
            state: state.into(),
            permit: permit.into(),
            name: format!("hauler {permit}"),
        }
    }

    /// H #6 (L4075-4134): 12 samplers from 30 days of weight tickets, 4 of them unpermitted;
    /// 6 evaluated within two years, 5 of those in substantial compliance; the record gives
    /// items 4 to 7 and, with items 1-3 and 8 as the example has them, 79.
    #[test]
    fn section_c_of_worked_example_h6_from_the_record() {
        let on = d("2012-06-16");
        let ok = |id: &str| vec![eval(id, "2011-08-01", &[], false)];
        let mut identified = Vec::new();
        // six permitted and evaluated, one of them unsatisfactory at its latest evaluation
        for n in 0..6 {
            let mut h = ok(&format!("e{n}"));
            if n == 5 {
                h = vec![eval("e5", "2012-06-01", &["9a"], true)];
            }
            identified.push((
                who("WI", &format!("P{n}")),
                Some(standing(&format!("h{n}"), true, h)),
            ));
        }
        // two permitted, evaluated three years ago
        for n in 6..8 {
            identified.push((
                who("WI", &format!("P{n}")),
                Some(standing(
                    &format!("h{n}"),
                    true,
                    vec![eval("old", "2009-03-01", &[], false)],
                )),
            ));
        }
        // three weekend haulers without a valid permit, and a field person with no record
        for n in 8..11 {
            identified.push((
                who("WI", &format!("P{n}")),
                Some(standing(&format!("h{n}"), false, Vec::new())),
            ));
        }
        identified.push((who("MN", "F-1"), None));
        // the same hauler named at a second farm, spelled differently, counts once
        identified.push((who("wi", " p0 "), None));
        let cert = EvaluatorCredentials {
            sso_certified_on: Some(d("2011-01-01")),
            delegation: None,
        };
        let delegate = EvaluatorCredentials {
            sso_certified_on: None,
            delegation: Some(Delegation {
                granted_on: d("2011-02-01"),
                valid_until: d("2014-02-01"),
            }),
        };
        let r = section_c_from_record(
            &identified,
            &[cert.clone(), cert, delegate.clone(), delegate],
            on,
        );
        let c = |n: u32| (r.counted[&n].number, r.counted[&n].complying);
        assert_eq!(r.samplers.len(), 12);
        assert_eq!(c(4), (12, 8));
        assert_eq!(c(5), (12, 6));
        assert_eq!(c(6), (6, 5));
        // the unsatisfactory one's re-evaluation is not yet due: nothing owed
        assert_eq!(c(7), (12, 12));
        assert_eq!((c(1), c(3)), ((2, 2), (2, 2)));
        assert_eq!(r.item8_number, 14);
        let form = EnforcementForm::builtin().unwrap();
        let mut counts: Vec<(u32, Counts)> = r.counted.iter().map(|(k, v)| (*k, *v)).collect();
        counts.push((
            2,
            Counts {
                number: 1,
                complying: 1,
            },
        ));
        counts.push((
            8,
            Counts {
                number: 14,
                complying: 14,
            },
        ));
        assert_eq!(section_c(form, false, &counts).entered, 79);
    }

    #[test]
    fn a_repeat_without_action_and_a_late_reevaluation_count_against_item_7() {
        let on = d("2026-06-01");
        let repeat = vec![
            eval("a", "2025-01-01", &["12"], false),
            eval("b", "2026-01-01", &["12"], false),
        ];
        let late = vec![eval("c", "2026-03-01", &["3"], true)];
        let answered = SamplerStanding {
            actions_issued: vec![d("2026-01-15")],
            ..standing("h3", true, repeat.clone())
        };
        let r = section_c_from_record(
            &[
                (who("WI", "1"), Some(standing("h1", true, repeat))),
                (who("WI", "2"), Some(standing("h2", true, late))),
                (who("WI", "3"), Some(answered)),
            ],
            &[],
            on,
        );
        assert_eq!(r.counted[&7].number, 3);
        assert_eq!(r.counted[&7].complying, 1);
        assert!(r.samplers[0].owed.as_deref().unwrap().contains("Item 7a"));
        assert!(r.samplers[1].owed.as_deref().unwrap().contains("Item 7b"));
    }
}
