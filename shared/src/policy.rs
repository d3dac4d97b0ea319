//! Every reading of an ambiguous MMSR passage, each in one named place. The ids (A1, A2, …)
//! are those of `shared/spec/sanitation-ratings.md` §f; ARCHITECTURE.md lists each decision
//! with its seed lines. Change a reading here and only here.

use crate::exact::{round_half_up, whole, Exact};

/// A1 — pounds to 100-lb units (cwt). "Expressed to the nearest 100 pound unit"
/// (MMSR seed 004 L346–352: 3,760 lb → 38; L713–719: 86,340 lb → 863). The half case is not
/// covered: x50 lb rounds **up** (3,750 → 38). A farm selling under 50 lb a day weighs 0.
pub fn cwt_from_pounds(pounds: u64) -> u64 {
    pounds / 100 + u64::from(pounds % 100 >= 50)
}

/// A2 — the reported rating: the exact value `100 − N/D` rounded **once**, half up, to a whole
/// number (MMSR L386–394, L769–775 give no half rule; the only explicit one, L899–903, rounds
/// .5 up; the IMS List reports "to the nearest whole number", seed 002 L43). The quotient is
/// never rounded first (the examples print it to one decimal for display only). A27: a value
/// outside 0..=100 is clamped (a farm cannot leave it; a plant with stacked product and station
/// lines could) and the result says it was clamped.
pub fn whole_rating(exact: &Exact) -> (u32, bool) {
    let r = round_half_up(exact);
    let clamped = r.clamp(0, 100);
    (u32::try_from(clamped).unwrap_or(0), clamped != r)
}

/// A2 — eligibility thresholds (≥ 90, ≥ 80) are tested on the **reported whole number**, the
/// figure that is listed (89.5 → 90 passes).
pub const THRESHOLDS_ON_WHOLE_RATING: bool = true;

/// F6 / A21 — percent of rated farms violating a column: `100 × v / n` rounded half up
/// (MMSR L396–400; the printed table rounds 12.5 → 13 at L7901). Computed, never looked up in
/// the printed table, 65 of whose cells are off by about one.
pub fn percent_of(violating: u64, rated: u64) -> u32 {
    if rated == 0 {
        return 0;
    }
    let p = round_half_up(&Exact::new(i128::from(violating) * 100, i128::from(rated)));
    u32::try_from(p).unwrap_or(0)
}

/// A5 — several marks in one column (two minor water-supply violations, or two sub-items of
/// 15A–C): a column is debited **once**, at the largest points marked in it (two minors → 2;
/// a minor and a major → 5). The worksheet format states the same for sub-items sharing a
/// column; FORM 2359k has one cell per column per farm.
pub fn column_points(marked: impl IntoIterator<Item = u32>) -> Option<u32> {
    marked.into_iter().max()
}

/// A3 — item caps apply per farm after the columns are summed per item (8r ≤ 5, 15r ≤ 7,
/// 18r ≤ 5; L366–384). W. T. Miller's free `X` in the Great Cows example (L5501) is read as
/// 18r_c under the 18r cap.
pub fn capped(sum: u32, cap: Option<u32>) -> u32 {
    cap.map_or(sum, |c| sum.min(c))
}

/// A9 — plant products: "two of the last four" means **at least two** (L509–511); the farm
/// rule (no more than two of four over and the last within, L322–325) is implemented as
/// written. Each rule is applied to the results available when fewer than four exist.
pub const PLANT_TWO_OF_FOUR_MEANS_AT_LEAST_TWO: bool = true;

/// A10 / R20 — the "required number of samples": at least 4 samples taken in at least 4
/// separate months (PMO frequency, MMSR Appendix A L8093–8097, L8418–8425), counted over the
/// window of L328–330: the rating month up to the rating date plus the 6 preceding calendar
/// months. A month holding two sampling dates at least 20 days apart counts as two months
/// when only three months were sampled (the exception of L8093–8097).
pub const REQUIRED_SAMPLES: u32 = 4;
/// See [`REQUIRED_SAMPLES`]: calendar months before the rating month in the window.
pub const LAB_WINDOW_PRECEDING_MONTHS: u32 = 6;
/// See [`REQUIRED_SAMPLES`]: days between two samples of one month for it to count twice.
pub const SAME_MONTH_SAMPLES_DAYS_APART: i64 = 20;
/// R17 / R19 — a permit younger than this many months qualifies for the new-permit exception.
pub const NEW_PERMIT_MONTHS: u32 = 6;

/// A6 — a farm's drug-residue samples debit the bacterial-count-or-drug-residue column only
/// through the required-number-of-samples test (L325–328; the 2-of-4 test of L323–325 names
/// bacteria, SCC and temperature only). A positive drug residue is an Appendix N matter
/// (L155–195) and is reported, not debited. A farm failing both bacteria and drug residue is
/// debited the column once (10). A farm's cooling-temperature results debit 18r A–B (5).
pub const FARM_DRUG_RESIDUE_SAMPLES_ONLY: bool = true;

/// A8 — plant laboratory standards are debited **per standard**: bacterial count 5 and
/// cooling temperature 5 (both in the 5* column) and coliform 10 (10* column). This reads
/// I.M.A. Dairy's "insufficient samples" row (tokens 5, 5, 10 → 20, L5991–6005) exactly.
pub const PLANT_LAB_PER_STANDARD: bool = true;

/// A11 — a station is compared with the **plant line's own rating** (`100 − plant debits`,
/// before product and station lines), as in Metro Dairy (100 − 8 = 92, L6232–6268). A station
/// lowers the rating only if its rating is below 90 **and** below the plant's (L746–756,
/// L782–790); it then adds `(plant − station) × station cwt`.
pub fn station_debits(plant_line_rating: u32, station_rating: u32) -> u32 {
    if station_rating < 90 && station_rating < plant_line_rating {
        plant_line_rating - station_rating
    } else {
        0
    }
}

/// A13 — unattached raw milk that violated the bacterial or cooling-temperature standard on
/// receipt (L792–795) is debited against the shipping station's own rating at the plant
/// form's laboratory weights (bacteria 5, temperature 5), before the station is compared with
/// the plant.
pub const UNATTACHED_ON_RECEIPT_DEBITS_STATION: bool = true;

/// A16 — Option 2 shares are percents of the plant's raw milk supply that must add up to 100
/// (checked exactly); the weighted average is rounded once, half up (91.9 → 92, L1250–1261).
pub fn option2_total_percent() -> Exact {
    whole(100)
}

/// A19 — systematic selection when `N / n` is not whole: the i-th farm is at index
/// `floor(start + i × N / n)` with a random `start` in `[0, N / n)`, so the whole list is
/// traversed (L266–275: 280 farms, 40 to rate → every 7th).
pub const FRACTIONAL_INTERVAL: bool = true;

/// A20 — the 40 % producer rule (L277–280) is applied once, to the BTU's list as it stands
/// immediately before the first random drawing, on pounds sold daily.
pub const FORTY_PERCENT_SINGLE_PASS: bool = true;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwt_rounds_to_nearest_hundred_half_up() {
        assert_eq!(cwt_from_pounds(3760), 38);
        assert_eq!(cwt_from_pounds(86340), 863);
        assert_eq!(cwt_from_pounds(3750), 38);
        assert_eq!(cwt_from_pounds(3749), 37);
        assert_eq!(cwt_from_pounds(49), 0);
    }

    #[test]
    fn percent_violating_rounds_half_up() {
        assert_eq!(percent_of(16, 25), 64);
        assert_eq!(percent_of(9, 25), 36);
        assert_eq!(percent_of(1, 8), 13);
        assert_eq!(percent_of(7, 8), 88);
        assert_eq!(percent_of(5, 25), 20);
        assert_eq!(percent_of(0, 0), 0);
    }

    /// A21: the printed "TABLE FOR COMPUTING PERCENT VIOLATION" (L7888–7968) has cells off by
    /// one (e.g. 5 of 25 printed 19, 1 of 23 printed 5); the rule gives 20 and 4.
    #[test]
    fn percent_table_misprints_are_not_copied() {
        assert_eq!(percent_of(5, 25), 20);
        assert_eq!(percent_of(1, 23), 4);
    }

    /// e.12 station vectors (H #15: 92/91 → 0, 92/89 → 3).
    #[test]
    fn station_rule_vectors() {
        for (plant, station, expected) in [
            (92, 91, 0),
            (92, 89, 3),
            (85, 88, 0),
            (85, 80, 5),
            (95, 90, 0),
            (89, 89, 0),
        ] {
            assert_eq!(
                station_debits(plant, station),
                expected,
                "{plant}/{station}"
            );
        }
    }

    #[test]
    fn rating_is_rounded_once_and_clamped() {
        // exact 90.46 → 90; rounding the quotient first (9.5) would give 90.5 → 91
        assert_eq!(whole_rating(&Exact::new(9046, 100)), (90, false));
        assert_eq!(whole_rating(&Exact::new(-3, 1)), (0, true));
    }
}
