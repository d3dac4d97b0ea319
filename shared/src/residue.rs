//! Drug residue events (PMO Appendix N as the MMSR and Procedures repeat it; requirements.md
//! T-N1 to T-N6): a positive tanker or producer sample, the immediate notifications it requires,
//! the producer held from shipping until a negative result, and the 12-month repeat count.

use chrono::{DateTime, Months, NaiveDate, Utc};

/// Who must be told of a positive, immediately (seed 004 L185-189, L444-452).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The Regulatory Agency, with how the milk was kept out of the food chain.
    RegulatoryAgency,
    /// The permit holder of the BTU or attached supply (a positive load).
    PermitHolder,
}

/// A positive result and what has been done about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidueEvent {
    pub producer: String,
    pub sampled_on: NaiveDate,
    /// A tanker load (true) or the producer's own sample.
    pub load: bool,
    pub notified: Vec<(Notice, DateTime<Utc>)>,
    /// The first negative result after the positive, when there is one.
    pub negative_on: Option<NaiveDate>,
    /// The signed disposition report (Procedures L171-185) is on file.
    pub disposition_reported: bool,
}

impl ResidueEvent {
    /// The notifications still owed.
    pub fn notices_due(&self) -> Vec<Notice> {
        let mut due = vec![Notice::RegulatoryAgency];
        if self.load {
            due.push(Notice::PermitHolder);
        }
        due.retain(|n| !self.notified.iter().any(|(m, _)| m == n));
        due
    }

    /// The producer may not ship until the milk tests negative (T-N4).
    pub fn may_ship(&self) -> bool {
        self.negative_on.is_some()
    }
}

/// Positive events of a producer in the 12 months before `on` (T-N6: repeat violations are
/// counted over a 12-month window; action is confirmed at 2 or 3 in 12 months).
pub fn repeats_in_12_months(events: &[ResidueEvent], producer: &str, on: NaiveDate) -> usize {
    let from = on
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    events
        .iter()
        .filter(|e| e.producer == producer && e.sampled_on > from && e.sampled_on <= on)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn event(producer: &str, on: &str, load: bool) -> ResidueEvent {
        ResidueEvent {
            producer: producer.into(),
            sampled_on: d(on),
            load,
            notified: vec![],
            negative_on: None,
            disposition_reported: false,
        }
    }

    #[test]
    fn a_positive_load_owes_two_notices_and_holds_the_producer() {
        let mut e = event("55-0101", "2026-11-20", true);
        assert_eq!(
            e.notices_due(),
            [Notice::RegulatoryAgency, Notice::PermitHolder]
        );
        assert!(!e.may_ship());
        e.notified.push((
            Notice::RegulatoryAgency,
            DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
        ));
        assert_eq!(e.notices_due(), [Notice::PermitHolder]);
        e.negative_on = Some(d("2026-11-22"));
        assert!(e.may_ship());
        assert_eq!(
            event("55-0101", "2026-11-20", false).notices_due(),
            [Notice::RegulatoryAgency]
        );
    }

    #[test]
    fn repeats_count_over_twelve_months_including_leap_years() {
        let events = [
            event("a", "2023-02-28", true),
            event("a", "2023-03-01", true),
            event("a", "2023-11-15", false),
            event("a", "2024-02-29", true),
            event("b", "2024-02-01", true),
        ];
        // 12 months before 2/29/2024 is 2/28/2023: that day is outside, 3/1/2023 inside
        assert_eq!(repeats_in_12_months(&events, "a", d("2024-02-29")), 3);
        assert_eq!(repeats_in_12_months(&events, "a", d("2024-11-15")), 1);
        assert_eq!(repeats_in_12_months(&events, "b", d("2024-02-29")), 1);
    }
}
