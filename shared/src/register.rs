//! The IMS listing register's clocks (requirements.md F-M14, F-M15; T-C2 to T-C9, T-D6, W-6):
//! expiry reminders, the FORM 2359o permission for publication and its 5-day return, the
//! re-rating deadlines after a rating below 90, and the notifications a withdrawal requires.
//! Working days skip Saturdays and Sundays; the seeds name no holiday calendar (DR-6 [AMB]).

use chrono::{Datelike, NaiveDate, Weekday};

use crate::calendar;
use crate::listing::Trigger;

/// How long before expiry the register starts reminding (a product choice: a rating takes
/// weeks to schedule, and the re-rating clocks run 15 days).
pub const REMINDER_DAYS: u64 = 60;

/// `date` plus `n` working days (Monday to Friday).
pub fn add_working_days(date: NaiveDate, n: u32) -> NaiveDate {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        let Some(next) = d.succ_opt() else {
            return d;
        };
        d = next;
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    d
}

/// Where a listing stands on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Listed, expiry more than [`REMINDER_DAYS`] away.
    Current,
    /// Expiry within [`REMINDER_DAYS`]: schedule the rating.
    ExpiresSoon { days_left: i64 },
    /// Past its expiry date (the day after it).
    Expired,
}

/// The standing of a listing expiring on `expiry` (its last valid day).
pub fn standing(expiry: NaiveDate, today: NaiveDate) -> Standing {
    let days_left = (expiry - today).num_days();
    if days_left < 0 {
        Standing::Expired
    } else if days_left <= REMINDER_DAYS as i64 {
        Standing::ExpiresSoon { days_left }
    } else {
        Standing::Current
    }
}

/// The day a FORM 2359o sent on `sent_on` is due back: the shipper signs and returns it within
/// 5 days of receipt (MMSR L2752; T-C9). Receipt is taken as the day it was sent.
pub fn permission_due(sent_on: NaiveDate) -> NaiveDate {
    crate::calendar::plus_days(sent_on, 5)
}

/// The latest day of the full re-rating owed after an enforcement rating below 90: within 6
/// months of the rating (Procedures L582; T-C3). Missing it withdraws the listing (L305; T-C4).
pub fn rerating_due(earliest_rating_date: NaiveDate, enforcement_rating: u32) -> Option<NaiveDate> {
    (enforcement_rating < 90).then(|| {
        calendar::add_months(earliest_rating_date, 6)
            .pred_opt()
            .unwrap_or(earliest_rating_date)
    })
}

/// The re-rating notification letter is dated within 5 working days of the rating (Procedures
/// L586; T-C6).
pub fn rerating_letter_due(rating_date: NaiveDate) -> NaiveDate {
    add_working_days(rating_date, 5)
}

/// Who must be told of a withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recipient {
    Shipper,
    FdaRegionalOffice,
    /// Every known receiving State.
    ReceivingStates,
}

impl Recipient {
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::Shipper => "shipper",
            Recipient::FdaRegionalOffice => "fda_regional_office",
            Recipient::ReceivingStates => "receiving_states",
        }
    }
}

/// The task a withdrawal trigger raises: who to notify, and by when the withdrawal letter is
/// dated (within 5 working days of the cause, Procedures L389, L410; T-D6). A mandatory
/// trigger withdraws immediately and notifies the shipper, FDA and every known receiving State
/// (L303-306; T-C4, T-C10); a discretionary one (a HACCP CLE) is a decision for the Rating
/// Agency, so the task is to decide, with the same recipients if it withdraws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalTask {
    pub reason: String,
    pub mandatory: bool,
    pub notify: Vec<Recipient>,
    pub letter_by: NaiveDate,
}

pub fn withdrawal_task(trigger: &Trigger, raised_on: NaiveDate) -> WithdrawalTask {
    WithdrawalTask {
        reason: trigger.describe(),
        mandatory: trigger.mandatory(),
        notify: vec![
            Recipient::Shipper,
            Recipient::FdaRegionalOffice,
            Recipient::ReceivingStates,
        ],
        letter_by: add_working_days(raised_on, 5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn working_days_skip_weekends() {
        // Friday 2026-10-30 + 5 working days → Friday 2026-11-06
        assert_eq!(add_working_days(d("2026-10-30"), 5), d("2026-11-06"));
        // across a leap day: Wednesday 2028-02-28 + 2 → Friday 2028-03-01
        assert_eq!(add_working_days(d("2028-02-28"), 2), d("2028-03-01"));
        assert_eq!(add_working_days(d("2026-12-31"), 1), d("2027-01-01"));
        assert_eq!(add_working_days(d("2026-10-31"), 0), d("2026-10-31"));
    }

    #[test]
    fn standing_around_expiry() {
        let expiry = d("2026-12-31");
        assert_eq!(standing(expiry, d("2026-10-01")), Standing::Current);
        assert_eq!(
            standing(expiry, d("2026-11-01")),
            Standing::ExpiresSoon { days_left: 60 }
        );
        assert_eq!(
            standing(expiry, d("2026-12-31")),
            Standing::ExpiresSoon { days_left: 0 }
        );
        assert_eq!(standing(expiry, d("2027-01-01")), Standing::Expired);
    }

    #[test]
    fn clocks_of_a_rating_below_90() {
        // 6/15/2011 with ER 84: listed to 12/14/2011 (DR-4), re-rated by then
        assert_eq!(rerating_due(d("2011-06-15"), 84), Some(d("2011-12-14")));
        assert_eq!(rerating_due(d("2011-06-15"), 90), None);
        // from a month end: 8/31 + 6 months clamps to 2/29 in a leap year, less a day
        assert_eq!(rerating_due(d("2023-08-31"), 80), Some(d("2024-02-28")));
        assert_eq!(permission_due(d("2026-02-26")), d("2026-03-03"));
        // letter within 5 working days of a Thursday rating → the next Thursday
        assert_eq!(rerating_letter_due(d("2026-11-26")), d("2026-12-03"));
    }

    #[test]
    fn a_withdrawal_task_notifies_everyone_and_dates_the_letter() {
        let t = withdrawal_task(&Trigger::UnlistedSource("X BTU".into()), d("2026-11-27"));
        assert!(t.mandatory);
        assert_eq!(t.notify.len(), 3);
        assert_eq!(t.letter_by, d("2026-12-04"));
        let cle = withdrawal_task(
            &Trigger::CriticalListingElement("4B".into()),
            d("2026-11-27"),
        );
        assert!(!cle.mandatory);
    }
}
