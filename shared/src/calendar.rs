//! The date rules of the MMSR: month arithmetic at month ends, the frequency deadline (a
//! frequency is met through the end of the month in which it falls due), the appraisal window
//! of an enforcement rating, Appendix P inspection categories and listing expiry.

use chrono::{Datelike, Months, NaiveDate};

/// The agency's civil date of an instant (requirements.md DR-8): month-end grace and every
/// deadline run on the calendar of the agency's time zone, never the server's — at 7 pm in
/// Wisconsin on November 30 it is already December 1 in UTC, and a farm due by November 30 is
/// not yet overdue.
pub fn civil_date(at: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The earliest day a date from outside (a query, a form, a file) may name.
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// The latest day a date from outside may name: far past any deadline the record keeps, and
/// far from the end of the calendar, so no date rule runs off it.
pub const LATEST: NaiveDate = match NaiveDate::from_ymd_opt(2999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// A date from outside, outside [`EARLIEST`]..=[`LATEST`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is outside the dates the record keeps ({EARLIEST} to {LATEST})")]
pub struct DateOutOfRange(pub NaiveDate);

/// Checks a date that came from outside (the one gate every date passes where it enters).
pub fn check_date(d: NaiveDate) -> Result<NaiveDate, DateOutOfRange> {
    if (EARLIEST..=LATEST).contains(&d) {
        Ok(d)
    } else {
        Err(DateOutOfRange(d))
    }
}

/// Parses a `YYYY-MM-DD` date from outside and checks its range.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        format!(
            "`{}` is not a date (YYYY-MM-DD)",
            s.chars().take(40).collect::<String>()
        )
    })?;
    check_date(d).map_err(|e| e.to_string())
}

/// Serde: a `YYYY-MM-DD` date from outside, range-checked ([`check_date`]).
pub fn de_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    parse_date(&s).map_err(serde::de::Error::custom)
}

/// Serde: an optional `YYYY-MM-DD` date from outside, range-checked.
pub fn de_opt_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let s = <Option<std::borrow::Cow<'de, str>> as serde::Deserialize>::deserialize(d)?;
    s.map(|s| parse_date(&s).map_err(serde::de::Error::custom))
        .transpose()
}

/// `date` plus `days`, saturating at the end of the calendar: the date rules are total
/// functions, so no date — however far out — can make them panic.
pub fn plus_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(chrono::Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` minus `days`, saturating at the start of the calendar.
pub fn minus_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(chrono::Days::new(days))
        .unwrap_or(NaiveDate::MIN)
}

/// An IANA time zone by name (`America/Chicago`).
pub fn time_zone(name: &str) -> Option<chrono_tz::Tz> {
    name.parse().ok()
}

/// Days after a violation-finding inspection by which its reinspection is due. The PMO's
/// reinspection intervals are not in the seeds (requirements.md T-B4 [GAP]); this is the
/// default the producer's report, the work list and the agency's board all use — one place to
/// change.
pub const REINSPECTION_DAYS: u64 = 30;

/// The day a reinspection of an inspection ended on `inspected_on` is due.
pub fn reinspection_due(inspected_on: NaiveDate) -> NaiveDate {
    plus_days(inspected_on, REINSPECTION_DAYS)
}

/// The kinds of inspection whose violations owe a reinspection: routine farm and plant
/// inspections (a reinspection's own findings are followed up by the next routine visit).
pub const REINSPECTED_KINDS: [crate::document::InspectionKind; 2] = [
    crate::document::InspectionKind::RoutineFarm,
    crate::document::InspectionKind::Plant,
];

/// The statuses in which an inspection has been sent in (and so owes what it found).
pub const SENT_IN: [crate::document::Status; 2] = [
    crate::document::Status::Submitted,
    crate::document::Status::Accepted,
];

/// Whether an inspection owes a reinspection (unless one follows it): of a reinspected kind,
/// sent in, with a violation. The agency record's query applies the same constants.
pub fn owes_reinspection(
    kind: crate::document::InspectionKind,
    status: crate::document::Status,
    violations: usize,
) -> bool {
    REINSPECTED_KINDS.contains(&kind) && SENT_IN.contains(&status) && violations > 0
}

/// The inspections whose reinspection is owed ([`owes_reinspection`], and no inspection
/// follows them) — `(inspection, subject name, due)`.
pub fn reinspections_owed(
    all: &[crate::document::Inspection],
) -> Vec<(crate::ids::InspectionId, String, NaiveDate)> {
    all.iter()
        .filter(|i| owes_reinspection(i.header.kind, i.status, i.violations().count()))
        .filter(|i| !all.iter().any(|r| r.header.follows == Some(i.header.id)))
        .map(|i| {
            let on = i.ended_at.unwrap_or(i.header.started_at).date_naive();
            (
                i.header.id,
                i.header.subject.name.clone(),
                reinspection_due(on),
            )
        })
        .collect()
}

/// The reinspections a device's work list shows: those the agency record owes (`known`, from
/// the briefcase: every device's inspections, as the board counts them) and those this
/// device's own inspections owe before they are synced ([`reinspections_owed`] over `local`),
/// less any an inspection on this device already follows. `(inspection, subject name, due)`,
/// soonest first.
pub fn reinspections_owed_with(
    known: &[(crate::ids::InspectionId, String, NaiveDate)],
    local: &[crate::document::Inspection],
) -> Vec<(crate::ids::InspectionId, String, NaiveDate)> {
    let mut owed = reinspections_owed(local);
    for k in known {
        let followed = local.iter().any(|r| r.header.follows == Some(k.0));
        let held = local.iter().any(|i| i.header.id == k.0);
        if !followed && !held {
            owed.push(k.clone());
        }
    }
    owed.sort_by(|a, b| (a.2, &a.1, a.0).cmp(&(b.2, &b.1, b.0)));
    owed
}

/// `date` plus `months`, clamped to the last day of the target month (8/31 + 6 months →
/// 2/28 or 2/29). AMB-11 / A18: the MMSR's examples never start at a month end; clamping is
/// what a calendar does and what an SRO would write.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The last day of `date`'s month.
pub fn month_end(date: NaiveDate) -> NaiveDate {
    let first = date.with_day(1).unwrap_or(date);
    add_months(first, 1).pred_opt().unwrap_or(date)
}

/// The deadline of a frequency: the end of the month in which `previous + months` falls
/// (MMSR L837-839, L864-866, L955-957, L7995-7996, L8066-8068, L8302).
pub fn deadline(previous: NaiveDate, months: u32) -> NaiveDate {
    month_end(add_months(previous, months))
}

/// Whether an event on `event` met a frequency of `months` after `previous`.
pub fn on_time(previous: NaiveDate, event: NaiveDate, months: u32) -> bool {
    event <= deadline(previous, months)
}

/// The appraisal window of an enforcement rating, ending at the rating date: the time since the
/// last rating but at least six months, and at most two years (MMSR L822-827). With no earlier
/// rating, two years (AMB-9).
pub fn appraisal_window(
    rating_date: NaiveDate,
    last_rating: Option<NaiveDate>,
) -> (NaiveDate, NaiveDate) {
    let two_years = rating_date
        .checked_sub_months(Months::new(24))
        .unwrap_or(NaiveDate::MIN);
    let six_months = rating_date
        .checked_sub_months(Months::new(6))
        .unwrap_or(NaiveDate::MIN);
    let start = match last_rating {
        None => two_years,
        Some(last) => last.min(six_months).max(two_years),
    };
    (start, rating_date)
}

/// Listing expiry: the earliest rating date plus 24 months, or 6 months when the enforcement
/// rating is below 90, less one day (MMSR L1144-1147, L2275-2277; 6/15/2011 → 12/14/2011).
/// The enforcement rating compared is the reported whole number (AMB-5).
pub fn listing_expiry(earliest_rating_date: NaiveDate, enforcement_rating: u32) -> NaiveDate {
    let months = if enforcement_rating < 90 { 6 } else { 24 };
    add_months(earliest_rating_date, months)
        .pred_opt()
        .unwrap_or(earliest_rating_date)
}

/// Appendix P inspection categories (MMSR L868-881): producers re-categorized every 3 months
/// from the previous 12 months of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendixP {
    Months12,
    Months6,
    Months4,
    Months3,
}

impl AppendixP {
    pub const ALL: [AppendixP; 4] = [
        AppendixP::Months12,
        AppendixP::Months6,
        AppendixP::Months4,
        AppendixP::Months3,
    ];

    /// The category of an interval in months (12, 6, 4 or 3).
    pub fn from_months(months: u64) -> Option<AppendixP> {
        Self::ALL
            .into_iter()
            .find(|c| u64::from(c.months()) == months)
    }

    pub fn months(self) -> u32 {
        match self {
            AppendixP::Months12 => 12,
            AppendixP::Months6 => 6,
            AppendixP::Months4 => 4,
            AppendixP::Months3 => 3,
        }
    }
}

/// The next routine inspection due date of an Appendix P farm: the end of the month of the
/// last inspection plus its category's interval; if that fell before the latest
/// re-categorization, up to 30 days after it — for the 6-, 4- and 3-month categories only
/// (L877-881; AMB-10 read as written: the 12-month category gets no extension).
pub fn appendix_p_due(
    last_inspection: NaiveDate,
    category: AppendixP,
    recategorized_on: Option<NaiveDate>,
) -> NaiveDate {
    let due = deadline(last_inspection, category.months());
    match recategorized_on {
        Some(r) if due < r && category != AppendixP::Months12 => plus_days(r, 30),
        _ => due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// e.5 listing-date vectors and the 2359i examples.
    #[test]
    fn listing_expiry_vectors() {
        for (earliest, er, expiry) in [
            ("2011-06-15", 89, "2011-12-14"),
            ("2011-10-01", 90, "2013-09-30"),
            ("2011-10-01", 89, "2012-03-31"),
            ("2008-10-01", 90, "2010-09-30"),
            ("2012-08-03", 90, "2014-08-02"),
            ("2012-10-01", 87, "2013-03-31"),
            ("2012-01-23", 92, "2014-01-22"),
        ] {
            assert_eq!(
                listing_expiry(d(earliest), er),
                d(expiry),
                "{earliest} ER {er}"
            );
        }
    }

    #[test]
    fn month_ends_leap_days_and_year_ends() {
        assert_eq!(listing_expiry(d("2011-08-31"), 80), d("2012-02-28"));
        assert_eq!(
            listing_expiry(d("2023-08-31"), 80),
            d("2024-02-28"),
            "2/29/2024 less a day"
        );
        assert_eq!(listing_expiry(d("2024-02-29"), 95), d("2026-02-27"));
        assert_eq!(listing_expiry(d("2012-12-31"), 95), d("2014-12-30"));
        assert_eq!(deadline(d("2024-08-31"), 6), d("2025-02-28"));
        assert_eq!(deadline(d("2023-08-15"), 6), d("2024-02-29"));
        assert_eq!(deadline(d("2012-07-20"), 6), d("2013-01-31"));
        assert_eq!(month_end(d("2100-02-10")), d("2100-02-28"));
    }

    /// L837-839: a frequency is met through the end of the month in which it falls due.
    #[test]
    fn frequency_is_met_through_the_month_end() {
        assert!(on_time(d("2012-01-10"), d("2012-07-31"), 6));
        assert!(!on_time(d("2012-01-10"), d("2012-08-01"), 6));
        assert!(on_time(d("2011-11-30"), d("2012-02-29"), 3));
    }

    #[test]
    fn appraisal_window_is_between_six_months_and_two_years() {
        let rd = d("2012-06-12");
        assert_eq!(
            appraisal_window(rd, Some(d("2011-06-01"))).0,
            d("2011-06-01")
        );
        assert_eq!(
            appraisal_window(rd, Some(d("2012-03-01"))).0,
            d("2011-12-12"),
            "at least 6 months"
        );
        assert_eq!(
            appraisal_window(rd, Some(d("2008-01-01"))).0,
            d("2010-06-12"),
            "at most 2 years"
        );
        assert_eq!(appraisal_window(rd, None).0, d("2010-06-12"));
        assert_eq!(
            appraisal_window(d("2012-08-31"), Some(d("2012-05-01"))).0,
            d("2012-02-29")
        );
    }

    #[test]
    fn appendix_p_due_dates() {
        assert_eq!(
            appendix_p_due(d("2012-01-10"), AppendixP::Months3, None),
            d("2012-04-30")
        );
        assert_eq!(
            appendix_p_due(d("2012-01-10"), AppendixP::Months12, None),
            d("2013-01-31")
        );
        // due before the re-categorization: up to 30 days after it (not for 12-month producers)
        assert_eq!(
            appendix_p_due(d("2012-01-10"), AppendixP::Months3, Some(d("2012-06-01"))),
            d("2012-07-01")
        );
        assert_eq!(
            appendix_p_due(d("2011-01-10"), AppendixP::Months12, Some(d("2012-06-01"))),
            d("2012-01-31")
        );
    }

    #[test]
    fn civil_dates_follow_the_agency_time_zone() {
        let utc = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let chicago = time_zone("America/Chicago").unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // 11:30 pm in Wisconsin on a month end is the next day, and month, in UTC
        let at = utc("2026-12-01T05:30:00Z");
        assert_eq!(civil_date(at, chicago), d("2026-11-30"));
        assert_eq!(civil_date(at, chrono_tz::UTC), d("2026-12-01"));
        // a farm last inspected 2026-05-20 is due by 2026-11-30: still on time in Wisconsin
        let due = deadline(d("2026-05-20"), 6);
        assert!(civil_date(at, chicago) <= due);
        assert!(civil_date(at, chrono_tz::UTC) > due);
        // a leap day in Denver, the year's end in New York
        assert_eq!(
            civil_date(
                utc("2028-03-01T03:00:00Z"),
                time_zone("America/Denver").unwrap()
            ),
            d("2028-02-29")
        );
        assert_eq!(
            civil_date(
                utc("2027-01-01T04:59:00Z"),
                time_zone("America/New_York").unwrap()
            ),
            d("2026-12-31")
        );
        // either side of the spring change (08:00 UTC on 2026-03-08 in Chicago)
        assert_eq!(
            civil_date(utc("2026-03-08T05:59:00Z"), chicago),
            d("2026-03-07")
        );
        assert_eq!(
            civil_date(utc("2026-03-08T06:00:00Z"), chicago),
            d("2026-03-08")
        );
        assert_eq!(
            civil_date(utc("2026-11-01T05:00:00Z"), chicago),
            d("2026-11-01")
        );
        assert!(time_zone("Mars/Olympus").is_none());
    }
}
