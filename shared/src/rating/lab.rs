//! Laboratory crediting: whether a farm's or a plant product's bacterial, somatic cell,
//! coliform, cooling-temperature or drug-residue requirement is credited on the rating form,
//! from the Regulatory Agency's records (MMSR farm L320–334, plant L496–518). The farm and
//! plant rules are worded differently and are implemented each as written (§f A9).

use chrono::{Datelike, Months, NaiveDate};

use crate::policy;

/// One official result: its sample date and whether it exceeded the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabResult {
    pub date: NaiveDate,
    pub over: bool,
}

/// A requirement's record at the rating date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabHistory {
    /// Results in any order; those after the rating date are ignored.
    pub results: Vec<LabResult>,
    pub rating_date: NaiveDate,
    /// Farm: permitted less than six months before the rating (L330–334). Plant: permitted
    /// less than six months or not operating year round (L514–518).
    pub exempt_from_sample_count: bool,
}

/// Why a requirement was or was not credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabFinding {
    pub debited: bool,
    pub required_number_met: bool,
    /// Results over the limit among the last four.
    pub over_in_last_four: u32,
    /// Results among the last four (fewer for a new permit).
    pub last_four_count: u32,
    pub last_over: Option<bool>,
}

/// The first day of the window for "the preceding six months": the elapsed part of the rating
/// month plus the six preceding calendar months (L328–330, [`policy::REQUIRED_SAMPLES`]).
pub fn window_start(rating_date: NaiveDate) -> NaiveDate {
    let first = rating_date.with_day(1).unwrap_or(rating_date);
    first
        .checked_sub_months(Months::new(policy::LAB_WINDOW_PRECEDING_MONTHS))
        .unwrap_or(first)
}

/// Whether a permit issued on `issued` is under six months old at `rating_date`.
pub fn is_new_permit(issued: NaiveDate, rating_date: NaiveDate) -> bool {
    match issued.checked_add_months(Months::new(policy::NEW_PERMIT_MONTHS)) {
        Some(six_months_on) => rating_date < six_months_on,
        None => false,
    }
}

/// Whether the required number of samples was examined in the window
/// ([`policy::REQUIRED_SAMPLES`]; Appendix A L8093–8097, L8418–8425).
pub fn required_number_met(dates: &[NaiveDate], rating_date: NaiveDate) -> bool {
    required_number_met_between(dates, window_start(rating_date), rating_date)
}

/// [`required_number_met`] over any window `start..=end`.
pub fn required_number_met_between(
    dates: &[NaiveDate],
    start: NaiveDate,
    rating_date: NaiveDate,
) -> bool {
    let mut in_window: Vec<NaiveDate> = dates
        .iter()
        .copied()
        .filter(|d| *d >= start && *d <= rating_date)
        .collect();
    in_window.sort_unstable();
    if in_window.len() < policy::REQUIRED_SAMPLES as usize {
        return false;
    }
    let mut months: Vec<(i32, u32, NaiveDate, NaiveDate)> = Vec::new();
    for d in in_window {
        match months
            .iter_mut()
            .find(|(y, m, _, _)| *y == d.year() && *m == d.month())
        {
            Some((_, _, _, last)) => *last = d,
            None => months.push((d.year(), d.month(), d, d)),
        }
    }
    let distinct = months.len() as u32;
    let split_month = months.iter().any(|(_, _, first, last)| {
        (*last - *first).num_days() >= policy::SAME_MONTH_SAMPLES_DAYS_APART
    });
    let credit = if distinct == policy::REQUIRED_SAMPLES - 1 && split_month {
        distinct + 1
    } else {
        distinct
    };
    credit >= policy::REQUIRED_SAMPLES
}

fn last_four(history: &LabHistory) -> (Vec<LabResult>, bool) {
    let mut rs: Vec<LabResult> = history
        .results
        .iter()
        .copied()
        .filter(|r| r.date <= history.rating_date)
        .collect();
    rs.sort_by_key(|r| r.date);
    let dates: Vec<NaiveDate> = rs.iter().map(|r| r.date).collect();
    let met = required_number_met(&dates, history.rating_date);
    let tail = rs.split_off(rs.len().saturating_sub(4));
    (tail, met)
}

fn finding(history: &LabHistory, debit_when_met: impl Fn(u32, bool) -> bool) -> LabFinding {
    let (last4, met) = last_four(history);
    let over = last4.iter().filter(|r| r.over).count() as u32;
    let last_over = last4.last().map(|r| r.over);
    let debited = if met {
        debit_when_met(over, last_over.unwrap_or(false))
    } else {
        // Too few samples: debited, unless exempt and the last result is within the limit.
        !(history.exempt_from_sample_count && last_over == Some(false))
    };
    LabFinding {
        debited,
        required_number_met: met,
        over_in_last_four: over,
        last_four_count: last4.len() as u32,
        last_over,
    }
}

/// Farm (R16/R17): credited iff no more than 2 of the last 4 exceed **and** the last is within
/// the limit (L322–325), and the required number of samples was examined (L325–334).
pub fn farm(history: &LabHistory) -> LabFinding {
    finding(history, |over, last_over| over > 2 || last_over)
}

/// Farm requirement tested only by sample count (drug residue, [`policy::FARM_DRUG_RESIDUE_SAMPLES_ONLY`]).
pub fn farm_samples_only(history: &LabHistory) -> LabFinding {
    finding(history, |_, _| false)
}

/// A standard used in determining compliance but debited in no column (plant phosphatase and
/// drug residue, [`crate::catalog::LabRule::ReportedOnly`]): never debited; the finding says
/// whether the last result failed.
pub fn reported_only(history: &LabHistory) -> LabFinding {
    let mut f = finding(history, |_, _| false);
    f.debited = false;
    f
}

/// Plant product (R18/R19): debited iff 2 of the last 4 exceed **and** the last is in
/// violation (L505–511), or too few samples were examined (L511–518).
pub fn plant(history: &LabHistory) -> LabFinding {
    finding(history, |over, last_over| over >= 2 && last_over)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn history(over: &[bool], monthly: bool, exempt: bool) -> LabHistory {
        // results one a month ending in the rating month, or all in one month (too few months)
        let rating_date = d("2012-08-10");
        let n = over.len();
        let results = over
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let back = (n - 1 - i) as u32;
                let date = if monthly {
                    d("2012-08-05")
                        .checked_sub_months(Months::new(back))
                        .unwrap()
                } else {
                    d("2012-08-01") + chrono::Days::new(i as u64)
                };
                LabResult { date, over: *o }
            })
            .collect();
        LabHistory {
            results,
            rating_date,
            exempt_from_sample_count: exempt,
        }
    }

    /// e.10 lab crediting vectors (farm L322–334, plant L505–518).
    #[test]
    fn crediting_vectors() {
        let cases: &[(&[bool], bool, bool, bool, bool)] = &[
            // results, required met, exempt, farm debit, plant debit
            (&[false, false, false, true], true, false, true, false),
            (&[true, false, false, true], true, false, true, true),
            (&[true, true, false, false], true, false, false, false),
            (&[true, true, true, false], true, false, true, false),
            (&[true, true, true, true], true, false, true, true),
            (&[false, false, false, false], true, false, false, false),
            (&[false, false, false, false], false, false, true, true),
            (&[false, false], false, true, false, false),
            (&[false, true], false, true, true, true),
        ];
        for (over, met, exempt, farm_debit, plant_debit) in cases {
            let h = history(over, *met, *exempt);
            let f = farm(&h);
            assert_eq!(f.required_number_met, *met, "{over:?}");
            assert_eq!(f.debited, *farm_debit, "farm {over:?} met={met}");
            assert_eq!(plant(&h).debited, *plant_debit, "plant {over:?} met={met}");
        }
    }

    #[test]
    fn window_is_rating_month_plus_six() {
        assert_eq!(window_start(d("2012-08-10")), d("2012-02-01"));
        assert_eq!(window_start(d("2012-03-31")), d("2011-09-01"));
        assert_eq!(window_start(d("2024-02-29")), d("2023-08-01"));
    }

    #[test]
    fn split_month_counts_twice_only_when_three_months_sampled() {
        let rd = d("2012-08-10");
        let dates = [
            d("2012-05-02"),
            d("2012-05-25"),
            d("2012-06-10"),
            d("2012-07-10"),
        ];
        assert!(required_number_met(&dates, rd));
        let close = [
            d("2012-05-02"),
            d("2012-05-15"),
            d("2012-06-10"),
            d("2012-07-10"),
        ];
        assert!(!required_number_met(&close, rd));
        let old = [
            d("2012-01-31"),
            d("2012-05-15"),
            d("2012-06-10"),
            d("2012-07-10"),
        ];
        assert!(
            !required_number_met(&old, rd),
            "January is outside the window"
        );
    }

    #[test]
    fn new_permit_is_under_six_months() {
        assert!(is_new_permit(d("2012-03-01"), d("2012-08-31")));
        assert!(!is_new_permit(d("2012-02-10"), d("2012-08-10")));
        assert!(is_new_permit(d("2012-02-29"), d("2012-08-28")));
    }

    #[test]
    fn results_after_the_rating_date_do_not_count() {
        let mut h = history(&[false, false, false, false], true, false);
        h.results.push(LabResult {
            date: d("2012-08-20"),
            over: true,
        });
        assert!(!farm(&h).debited);
    }
}
