//! Combining raw milk ratings of a plant's supplies (MMSR Section F.2.c, seed 004
//! L1170–1277): an attached supply with unattached supplies, and plants with unattached
//! supplies only (Option 1 and Option 2).

use chrono::NaiveDate;

use crate::exact::{whole, Exact};
use crate::policy;

/// An unattached supply shipping to the plant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supply {
    pub rating: u32,
    pub rating_date: NaiveDate,
    /// Percent of the plant's raw milk supply (Option 2 only).
    pub percent: Option<Exact>,
    /// Whether the source is listed on the IMS List.
    pub listed: bool,
}

/// The raw-milk rating reported for the plant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRating {
    /// A whole-number rating.
    Whole(u32),
    /// Option 1: every source is listed at 90 or more; reported as "90" or with an asterisk
    /// (L1230–1231; §f A17 — a distinct value, not the number 90).
    AllSourcesAtLeast90,
}

/// Why a supply makes the plant ineligible: milk from an unlisted source or one rated below 90
/// means immediate withdrawal (L1202–1205, L1238–1241, L1267–1270).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    Unlisted,
    RatedBelow90,
}

/// A combined raw-milk rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combined {
    pub raw: RawRating,
    /// Option 2: the exact weighted average.
    pub exact: Option<Exact>,
    pub earliest_rating_date: NaiveDate,
    /// Supplies (by index) that break the listing.
    pub ineligible: Vec<(usize, Ineligible)>,
}

fn ineligible(supplies: &[Supply]) -> Vec<(usize, Ineligible)> {
    supplies
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            if !s.listed {
                Some((i, Ineligible::Unlisted))
            } else if s.rating < 90 {
                Some((i, Ineligible::RatedBelow90))
            } else {
                None
            }
        })
        .collect()
}

/// Attached supply with unattached supplies (F.2.c.2, L1185–1205): every unattached supply must
/// be 90 or more; the attached supply's rating is the plant's raw-milk rating; the earliest
/// rating date is the earlier of the farm and plant rating dates (L1176–1177, §f A15).
pub fn attached(
    attached_rating: u32,
    attached_rating_date: NaiveDate,
    plant_rating_date: NaiveDate,
    unattached: &[Supply],
) -> Combined {
    Combined {
        raw: RawRating::Whole(attached_rating),
        exact: None,
        earliest_rating_date: attached_rating_date.min(plant_rating_date),
        ineligible: ineligible(unattached),
    }
}

/// Option 1 (F.2.c.3.A, L1228–1242): all sources listed at 90 or more; reported as 90 or with
/// an asterisk; the listing date is the plant rating date.
pub fn option1(plant_rating_date: NaiveDate, supplies: &[Supply]) -> Combined {
    Combined {
        raw: RawRating::AllSourcesAtLeast90,
        exact: None,
        earliest_rating_date: plant_rating_date,
        ineligible: ineligible(supplies),
    }
}

/// Option 2 (F.2.c.3.B, L1243–1265): the supply-share-weighted average of the sources' ratings,
/// rounded once half up (95 × .20 + 90 × .35 + 92 × .45 = 91.9 → 92); the earliest rating date
/// is the earliest of any source's or the plant's. Shares must add up to 100 (checked when the
/// worksheet is validated, [`policy::option2_total_percent`]).
pub fn option2(plant_rating_date: NaiveDate, supplies: &[Supply]) -> Combined {
    let exact = supplies.iter().fold(whole(0), |acc, s| {
        acc + whole(i128::from(s.rating)) * s.percent.unwrap_or_else(|| whole(0))
    }) / policy::option2_total_percent();
    let (rating, _) = policy::whole_rating(&exact);
    let earliest = supplies
        .iter()
        .map(|s| s.rating_date)
        .chain(std::iter::once(plant_rating_date))
        .min()
        .unwrap_or(plant_rating_date);
    Combined {
        raw: RawRating::Whole(rating),
        exact: Some(exact),
        earliest_rating_date: earliest,
        ineligible: ineligible(supplies),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn supply(rating: u32, pct: i128, date: &str) -> Supply {
        Supply {
            rating,
            rating_date: d(date),
            percent: Some(whole(pct)),
            listed: true,
        }
    }

    /// e.5 Option 2 (L1243–1261): 91.9 → 92, exact (in binary floating point 90 × .35 is
    /// 31.499999999999996).
    #[test]
    fn option2_worked_example() {
        let s = [
            supply(95, 20, "2011-06-15"),
            supply(90, 35, "2011-09-01"),
            supply(92, 45, "2011-03-02"),
        ];
        let c = option2(d("2011-10-01"), &s);
        assert_eq!(c.raw, RawRating::Whole(92));
        assert_eq!(c.exact, Some(Exact::new(919, 10)));
        assert_eq!(c.earliest_rating_date, d("2011-03-02"));
        assert!(c.ineligible.is_empty());
    }

    /// e.9 Clean Milk Dairy: attached 92 with unattached 91/92/90; earliest = plant 8/3.
    #[test]
    fn clean_milk_dairy_attached_with_unattached() {
        let u = [
            supply(91, 0, "2011-12-20"),
            supply(92, 0, "2012-06-22"),
            supply(90, 0, "2012-04-29"),
        ];
        let c = attached(92, d("2012-08-05"), d("2012-08-03"), &u);
        assert_eq!(c.raw, RawRating::Whole(92));
        assert_eq!(c.earliest_rating_date, d("2012-08-03"));
        assert!(c.ineligible.is_empty());
    }

    /// e.9 My HACCP Milk Plant, Option 1 with sources 90/92/94 → "90*", plant date.
    #[test]
    fn option1_reports_asterisk_and_plant_date() {
        let mut u = [
            supply(90, 0, "2011-12-20"),
            supply(92, 0, "2010-06-03"),
            supply(94, 0, "2010-04-13"),
        ];
        let c = option1(d("2012-01-23"), &u);
        assert_eq!(c.raw, RawRating::AllSourcesAtLeast90);
        assert_eq!(c.earliest_rating_date, d("2012-01-23"));
        u[1].rating = 89;
        u[2].listed = false;
        let c = option1(d("2012-01-23"), &u);
        assert_eq!(
            c.ineligible,
            [(1, Ineligible::RatedBelow90), (2, Ineligible::Unlisted)]
        );
    }
}
