//! The laboratory ledger's enforcement rules (PMO Section 6 as the MMSR audits them in Appendix
//! A; requirements.md T-A10, T-B1, T-B2, T-B7): the sampling frequency, the written notice after
//! 2 of the last 4 results over a standard with its resample window, the suspension after 3 of
//! the last 5, and the reinstatement samples.

use crate::calendar::plus_days;
use chrono::{Datelike, Months, NaiveDate};

/// What the ledger requires after the latest result of one standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerAction {
    /// Nothing to do.
    None,
    /// 2 of the last 4 over: a written notice, and an extra sample taken no sooner than 3 and
    /// no later than 21 days after the notice (MMSR seed 004 L8184-8186, L8522-8524).
    WarningLetter {
        resample_from: NaiveDate,
        resample_by: NaiveDate,
    },
    /// 3 of the last 5 over: suspension (farms: or a monetary penalty in lieu; plants:
    /// immediately) (L8187-8193, L8525-8526).
    Suspension,
}

/// One sample's reading of a standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// A bacterial or somatic cell or coliform count, or a cooling temperature.
    Value(crate::exact::Exact),
    /// A drug residue test.
    Positive(bool),
}

/// A subject's results as the ledger counts them: one per day, oldest first. Samples taken of
/// the same farm (or the same milk product) on the same day from several storage tanks or silos
/// are averaged, and the average is compared with the standard (MMSR L8245-8247, L8571-8574);
/// a drug residue day is positive when any of its samples is. Counting tanks separately would
/// let two tanks of one pick-up make "2 of the last 4".
pub fn daily_results(
    samples: &[(NaiveDate, Reading)],
    limit: Option<&crate::exact::Exact>,
) -> Vec<(NaiveDate, bool)> {
    let mut days: Vec<NaiveDate> = samples.iter().map(|s| s.0).collect();
    days.sort_unstable();
    days.dedup();
    days.into_iter()
        .map(|day| {
            let of_day = samples.iter().filter(|s| s.0 == day).map(|s| &s.1);
            let mut sum = crate::exact::whole(0);
            let mut n = 0i128;
            let mut positive = false;
            for r in of_day {
                match r {
                    Reading::Value(v) => {
                        sum += *v;
                        n += 1;
                    }
                    Reading::Positive(p) => positive |= *p,
                }
            }
            let over_average = n > 0 && limit.is_some_and(|l| sum / crate::exact::whole(n) > *l);
            (day, positive || over_average)
        })
        .collect()
}

/// The action due after results `(date, over)` of one standard, with the notice dated
/// `notice_date` (usually the day the last result is recorded).
pub fn action_after(results: &[(NaiveDate, bool)], notice_date: NaiveDate) -> LedgerAction {
    let mut sorted = results.to_vec();
    sorted.sort_by_key(|r| r.0);
    let last_n = |n: usize| sorted.iter().rev().take(n).filter(|r| r.1).count();
    let last_over = sorted.last().is_some_and(|r| r.1);
    if last_over && last_n(5) >= 3 {
        LedgerAction::Suspension
    } else if last_over && last_n(4) >= 2 {
        LedgerAction::WarningLetter {
            resample_from: plus_days(notice_date, 3),
            resample_by: plus_days(notice_date, 21),
        }
    } else {
        LedgerAction::None
    }
}

/// Whether samples meet the frequency: at least 4 in 4 separate months of every 6 consecutive
/// months from `from` to `to` (L8093-8105), a month with two sampling dates 20 days apart
/// counting twice when only 3 months were sampled. Returns the first 6-month window that falls
/// short, by its first day.
pub fn first_frequency_gap(
    samples: &[NaiveDate],
    from: NaiveDate,
    to: NaiveDate,
) -> Option<NaiveDate> {
    let mut start = from.with_day(1)?;
    loop {
        let end = start.checked_add_months(Months::new(6))?;
        if end.pred_opt()? > to {
            return None;
        }
        let window: Vec<NaiveDate> = samples
            .iter()
            .copied()
            .filter(|d| *d >= start && *d < end)
            .collect();
        let rating_date = end.pred_opt()?;
        // the same count as the rating's "required number of samples" over this window
        let in_months: Vec<NaiveDate> = window.into_iter().filter(|d| *d <= rating_date).collect();
        if !crate::rating::lab::required_number_met_between(&in_months, start, rating_date) {
            return Some(start);
        }
        start = start.checked_add_months(Months::new(1))?;
    }
}

/// The kinds of enforcement action an agency takes on a permit: every one the MMSR's
/// enforcement categories name (Section 7 #10, L8114-8125; Category II-IV L8142-8201) — a
/// written notice (warning letter) after 2 of the last 4 samples, notice of intent to suspend,
/// suspension or a monetary penalty in lieu of it, the permit holder's notice of correction
/// and the reinstatement inspection it calls for, reinstatement or a temporary permit,
/// revocation after repeated suspensions, a hearing, a court action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    WarningLetter,
    IntentToSuspend,
    Suspension,
    MonetaryPenalty,
    NoticeOfCorrection,
    ReinstatementInspection,
    Reinstatement,
    TemporaryPermit,
    Revocation,
    Hearing,
    CourtAction,
}

impl ActionKind {
    pub const ALL: [ActionKind; 11] = [
        ActionKind::WarningLetter,
        ActionKind::IntentToSuspend,
        ActionKind::Suspension,
        ActionKind::MonetaryPenalty,
        ActionKind::NoticeOfCorrection,
        ActionKind::ReinstatementInspection,
        ActionKind::Reinstatement,
        ActionKind::TemporaryPermit,
        ActionKind::Revocation,
        ActionKind::Hearing,
        ActionKind::CourtAction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::WarningLetter => "warning_letter",
            ActionKind::IntentToSuspend => "intent_to_suspend",
            ActionKind::Suspension => "suspension",
            ActionKind::MonetaryPenalty => "monetary_penalty",
            ActionKind::NoticeOfCorrection => "notice_of_correction",
            ActionKind::ReinstatementInspection => "reinstatement_inspection",
            ActionKind::Reinstatement => "reinstatement",
            ActionKind::TemporaryPermit => "temporary_permit",
            ActionKind::Revocation => "revocation",
            ActionKind::Hearing => "hearing",
            ActionKind::CourtAction => "court_action",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The action's name as a letter or a page prints it.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::WarningLetter => "Warning letter (written notice)",
            ActionKind::IntentToSuspend => "Notice of intent to suspend",
            ActionKind::Suspension => "Permit suspension",
            ActionKind::MonetaryPenalty => "Monetary penalty in lieu of suspension",
            ActionKind::NoticeOfCorrection => "Notice of correction received",
            ActionKind::ReinstatementInspection => "Reinstatement inspection",
            ActionKind::Reinstatement => "Permit reinstatement",
            ActionKind::TemporaryPermit => "Temporary permit",
            ActionKind::Revocation => "Permit revocation",
            ActionKind::Hearing => "Hearing",
            ActionKind::CourtAction => "Court action",
        }
    }

    /// The MMSR lines the action rests on (a letter cites them).
    pub fn rule_cited(self) -> &'static str {
        match self {
            ActionKind::WarningLetter => "MMSR Section 7 #10, Category II Product Compliance b (L8184-8186): two of the last four samples exceeded the standard; an additional sample is taken within 21 days of this notice, but not before 3 days",
            ActionKind::IntentToSuspend => "MMSR Section 7 #10, Category II Sanitation Requirements a (L8142-8143); repeat violations (L3013)",
            ActionKind::Suspension => "MMSR Section 7 #10, Category II Sanitation Requirements b and Product Compliance c (L8144-8148, L8187-8194)",
            ActionKind::MonetaryPenalty => "MMSR Section 7 #10, Category II c and its note on Grade \"A\" PMO Section 3 (L8150-8158, L8181-8183): milk produced while a monetary penalty is imposed is not eligible for sale as Grade \"A\"",
            ActionKind::NoticeOfCorrection => "MMSR Section 7 #10, Category IV note (L8167-8171): the Regulatory Agency inspects within one week of receiving the notice of correction",
            ActionKind::ReinstatementInspection => "MMSR Section 7 #10, Category IV note (L8167-8171)",
            ActionKind::Reinstatement => "MMSR Section 7 #10, Category IV: reinstatement procedures followed (L8166)",
            ActionKind::TemporaryPermit => "MMSR Section 7 #10, Category IV Product Compliance a (L8199-8201)",
            ActionKind::Revocation => "MMSR Section 7 #10, Category III: revocation upon multiple suspensions (L8162)",
            ActionKind::Hearing => "MMSR Section 7 #10, Category V: hearings provided for as required (L8173-8175)",
            ActionKind::CourtAction => "MMSR Section 7 #10, Category V: hearing/court action (L8125, L8173-8175)",
        }
    }

    /// The permit status the action brings, where it changes the permit: a suspension, a
    /// reinstatement, a temporary permit and a revocation. A monetary penalty leaves the permit
    /// as it is (its milk is not Grade "A" while it is imposed, L8150-8151).
    pub fn permit_status(self) -> Option<crate::registry::PermitStatus> {
        use crate::registry::PermitStatus;
        match self {
            ActionKind::Suspension => Some(PermitStatus::Suspended),
            ActionKind::Reinstatement => Some(PermitStatus::Reinstated),
            ActionKind::TemporaryPermit => Some(PermitStatus::Temporary),
            ActionKind::Revocation => Some(PermitStatus::Revoked),
            _ => None,
        }
    }

    /// The deadline the MMSR sets for what must follow the action, where it sets one: a
    /// written notice's extra sample within 21 days (L8184-8186); a reinstatement inspection
    /// within one week of the permit holder's notice of correction (L8168-8171). The others
    /// have no deadline in the seeds (requirements.md marks them [GAP]).
    pub fn deadline(self, issued_on: NaiveDate) -> Option<NaiveDate> {
        match self {
            ActionKind::WarningLetter => Some(plus_days(issued_on, 21)),
            ActionKind::ReinstatementInspection | ActionKind::NoticeOfCorrection => {
                Some(plus_days(issued_on, 7))
            }
            _ => None,
        }
    }
}

/// Reinstatement samples after a suspension: at most 2 a week, on separate days, all within
/// 3 weeks of the first (L8204-8206, L8546-8548).
pub fn reinstatement_samples_ok(samples: &[NaiveDate]) -> bool {
    let mut s = samples.to_vec();
    s.sort_unstable();
    let Some(first) = s.first().copied() else {
        return false;
    };
    let separate_days = s.windows(2).all(|w| w[0] != w[1]);
    let within_three_weeks = s.iter().all(|d| *d < plus_days(first, 21));
    let two_a_week = s.iter().all(|d| {
        s.iter()
            .filter(|x| **x >= *d && **x < plus_days(*d, 7))
            .count()
            <= 2
    });
    separate_days && within_three_weeks && two_a_week
}

/// Where reinstatement of a permit suspended for a lab standard stands (MMSR L8197-8206,
/// L8540-8548, Category IV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reinstatement {
    /// No reinstating accelerated sample since the suspension.
    AwaitingSamples,
    /// The accelerated samples break the pattern: more than 2 a week, two on one day, or
    /// spread over more than 3 weeks.
    OutOfPattern,
    /// The latest accelerated sample is still over the standard.
    StillOver,
    /// The resampling shows the milk within the standard: a temporary permit may be issued
    /// (for somatic cells on the samples alone; for bacteria and cooling temperature after a
    /// reinspection within one week of the notice of correction).
    MayReinstate { reinspection_needed: bool },
}

/// The reinstatement of a permit suspended on `suspended_on` for `standard`, from that
/// standard's results `(date, over)`: the samples after the suspension are the reinstating
/// accelerated samples.
pub fn reinstatement(
    standard: &str,
    suspended_on: NaiveDate,
    results: &[(NaiveDate, bool)],
) -> Reinstatement {
    let mut after: Vec<(NaiveDate, bool)> = results
        .iter()
        .copied()
        .filter(|(d, _)| *d > suspended_on)
        .collect();
    after.sort_by_key(|r| r.0);
    let dates: Vec<NaiveDate> = after.iter().map(|r| r.0).collect();
    match after.last() {
        None => Reinstatement::AwaitingSamples,
        Some(_) if !reinstatement_samples_ok(&dates) => Reinstatement::OutOfPattern,
        Some((_, true)) => Reinstatement::StillOver,
        Some((_, false)) => Reinstatement::MayReinstate {
            reinspection_needed: standard != "somatic_cells",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn results(over: &[bool]) -> Vec<(NaiveDate, bool)> {
        over.iter()
            .enumerate()
            .map(|(i, o)| {
                (
                    d("2026-01-10")
                        .checked_add_months(Months::new(i as u32))
                        .unwrap(),
                    *o,
                )
            })
            .collect()
    }

    #[test]
    fn two_of_four_is_a_notice_with_a_resample_window() {
        let a = action_after(&results(&[false, true, false, true]), d("2026-05-12"));
        assert_eq!(
            a,
            LedgerAction::WarningLetter {
                resample_from: d("2026-05-15"),
                resample_by: d("2026-06-02")
            }
        );
        assert_eq!(
            action_after(&results(&[false, false, false, true]), d("2026-05-12")),
            LedgerAction::None
        );
        assert_eq!(
            action_after(&results(&[true, true, false, false]), d("2026-05-12")),
            LedgerAction::None,
            "the last within: no new action"
        );
    }

    #[test]
    fn three_of_five_is_a_suspension() {
        assert_eq!(
            action_after(&results(&[true, false, true, false, true]), d("2026-06-12")),
            LedgerAction::Suspension
        );
        assert!(
            matches!(
                action_after(
                    &results(&[true, false, false, false, true, true]),
                    d("2026-07-12")
                ),
                LedgerAction::WarningLetter { .. }
            ),
            "only 2 of the last 5"
        );
    }

    #[test]
    fn the_four_in_six_frequency() {
        let monthly: Vec<NaiveDate> = (0..12)
            .map(|m| d("2025-01-15").checked_add_months(Months::new(m)).unwrap())
            .collect();
        assert_eq!(
            first_frequency_gap(&monthly, d("2025-01-01"), d("2025-12-31")),
            None
        );
        let mut gappy = monthly.clone();
        gappy.retain(|x| x.month() != 4 && x.month() != 5 && x.month() != 6);
        assert_eq!(
            first_frequency_gap(&gappy, d("2025-01-01"), d("2025-12-31")),
            Some(d("2025-01-01"))
        );
        // a month with two dates 20 days apart makes up for one missing month
        let mut split = monthly.clone();
        split.retain(|x| x.month() != 5);
        split.push(d("2025-04-30"));
        split.push(d("2025-04-02"));
        assert_eq!(
            first_frequency_gap(&split, d("2025-01-01"), d("2025-12-31")),
            None
        );
    }

    #[test]
    fn action_deadlines() {
        assert_eq!(
            ActionKind::WarningLetter.deadline(d("2026-12-20")),
            Some(d("2027-01-10"))
        );
        assert_eq!(
            ActionKind::ReinstatementInspection.deadline(d("2024-02-26")),
            Some(d("2024-03-04"))
        );
        assert_eq!(ActionKind::Suspension.deadline(d("2026-12-20")), None);
        assert_eq!(ActionKind::parse("hearing"), Some(ActionKind::Hearing));
        assert_eq!(ActionKind::parse("fine"), None);
        assert_eq!(
            ActionKind::NoticeOfCorrection.deadline(d("2024-02-26")),
            Some(d("2024-03-04"))
        );
    }

    #[test]
    fn every_action_kind_round_trips_and_cites_its_line() {
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::parse(k.as_str()), Some(k));
            assert!(k.rule_cited().contains("L8"), "{k:?} cites its MMSR line");
        }
        use crate::registry::PermitStatus;
        assert_eq!(
            ActionKind::Suspension.permit_status(),
            Some(PermitStatus::Suspended)
        );
        assert_eq!(ActionKind::MonetaryPenalty.permit_status(), None);
        assert_eq!(
            ActionKind::TemporaryPermit.permit_status(),
            Some(PermitStatus::Temporary)
        );
    }

    #[test]
    fn reinstatement_samples() {
        assert!(reinstatement_samples_ok(&[
            d("2026-03-02"),
            d("2026-03-05"),
            d("2026-03-10")
        ]));
        assert!(
            !reinstatement_samples_ok(&[d("2026-03-02"), d("2026-03-03"), d("2026-03-04")]),
            "three in one week"
        );
        assert!(
            !reinstatement_samples_ok(&[d("2026-03-02"), d("2026-03-02")]),
            "same day"
        );
        assert!(
            !reinstatement_samples_ok(&[d("2026-03-02"), d("2026-03-25")]),
            "beyond three weeks"
        );
        assert!(!reinstatement_samples_ok(&[]));
    }

    #[test]
    fn reinstatement_after_a_suspension() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let before = [(d("2026-09-01"), true), (d("2026-10-01"), true)];
        let suspended = d("2026-10-02");
        assert_eq!(
            reinstatement("somatic_cells", suspended, &before),
            Reinstatement::AwaitingSamples
        );
        let mut r = before.to_vec();
        r.push((d("2026-10-05"), true));
        assert_eq!(
            reinstatement("somatic_cells", suspended, &r),
            Reinstatement::StillOver
        );
        r.push((d("2026-10-07"), false));
        assert_eq!(
            reinstatement("somatic_cells", suspended, &r),
            Reinstatement::MayReinstate {
                reinspection_needed: false
            }
        );
        assert_eq!(
            reinstatement("bacteria", suspended, &r),
            Reinstatement::MayReinstate {
                reinspection_needed: true
            }
        );
        // a third sample in one week breaks the pattern
        r.push((d("2026-10-08"), false));
        assert_eq!(
            reinstatement("somatic_cells", suspended, &r),
            Reinstatement::OutOfPattern
        );
    }

    #[test]
    fn same_day_tanks_are_averaged_before_the_standard() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let v = |n: i128| Reading::Value(crate::exact::whole(n));
        let limit = crate::exact::whole(100_000);
        // two tanks on 10-05: 150,000 and 40,000 average 95,000, within the standard
        let samples = [
            (d("2026-10-05"), v(150_000)),
            (d("2026-10-05"), v(40_000)),
            (d("2026-09-05"), v(120_000)),
            (d("2026-11-05"), v(101_000)),
        ];
        assert_eq!(
            daily_results(&samples, Some(&limit)),
            [
                (d("2026-09-05"), true),
                (d("2026-10-05"), false),
                (d("2026-11-05"), true)
            ]
        );
        // averaged, one notice (2 of the last 4 with the last over), not a suspension
        let days = daily_results(&samples, Some(&limit));
        assert!(matches!(
            action_after(&days, d("2026-11-06")),
            LedgerAction::WarningLetter { .. }
        ));
        // drug residue: any positive that day
        let residue = [
            (d("2026-10-05"), Reading::Positive(false)),
            (d("2026-10-05"), Reading::Positive(true)),
        ];
        assert_eq!(daily_results(&residue, None), [(d("2026-10-05"), true)]);
    }
}
