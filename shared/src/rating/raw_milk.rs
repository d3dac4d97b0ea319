//! FORM FDA 2359k — Status of Raw Milk for Pasteurization: the sanitation compliance rating
//! of a BTU or attached supply from its randomly selected farms (MMSR Section B, seed 004
//! L284–400).

use crate::catalog::Form;
use crate::exact::{whole, Exact};
use crate::policy;

use super::{column_points, Mark};

/// One rated farm: its daily pounds sold as cwt (MMSR L302–306, L346–352) and the columns its
/// inspection (FORM 2359a) marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarmRow {
    pub cwt: u64,
    pub marks: Vec<Mark>,
}

/// One farm's line on the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarmLine {
    pub cwt: u64,
    /// Points per column (0 = not violated), each column once.
    pub column_points: Vec<u32>,
    /// Total Debits: the sum over items of the item's columns, capped (MMSR L353–358,
    /// L366–384, form footnote 2 at L2062–2064).
    pub total_debits: u32,
    /// cwt × Total Debits (MMSR L359–364).
    pub cwt_x_debits: u64,
}

/// The computed FORM 2359k.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMilkRating {
    pub farms: Vec<FarmLine>,
    pub total_cwt: u64,
    pub total_debits: u64,
    pub total_cwt_x_debits: u64,
    /// Farms violating each column, in form order.
    pub farms_violating: Vec<u64>,
    /// Percent of rated farms violating each column (MMSR L396–400, [`policy::percent_of`]).
    pub percent_violating: Vec<u32>,
    /// `Σ(cwt × debits) / Σ cwt`, exact.
    pub quotient: Exact,
    /// `100 − quotient`, exact (MMSR L386–389; footnote 1 at L2059–2061).
    pub rating_exact: Exact,
    /// The reported whole-number rating ([`policy::whole_rating`]).
    pub rating: u32,
    pub clamped: bool,
}

/// A farm's Total Debits: each item's columns summed, then the item cap applied
/// (8r ≤ 5, 15r ≤ 7, 18r ≤ 5 — MMSR L366–384; [`policy::capped`]).
pub fn farm_total_debits(form: &Form, points: &[u32]) -> u32 {
    let item_of = form.item_of_column();
    let caps = form.item_caps_by_index();
    let mut sums = vec![0u32; caps.len()];
    for (item, p) in item_of.iter().zip(points) {
        if let Some(sum) = sums.get_mut(*item) {
            *sum += p;
        }
    }
    sums.iter()
        .zip(caps)
        .map(|(sum, cap)| policy::capped(*sum, *cap))
        .sum()
}

/// One farm's line: column points, Total Debits and cwt × Total Debits.
pub fn farm_line(form: &Form, farm: &FarmRow) -> FarmLine {
    let column_points = column_points(form.columns.len(), &farm.marks);
    let total_debits = farm_total_debits(form, &column_points);
    FarmLine {
        cwt: farm.cwt,
        cwt_x_debits: farm.cwt * u64::from(total_debits),
        column_points,
        total_debits,
    }
}

/// Rates a BTU or attached supply: `100 − Σ(cwt × Total Debits) / Σ cwt` over the rated farms
/// (MMSR L359–364, L386–394). With no volume the quotient is 0.
pub fn rate(form: &Form, farms: &[FarmRow]) -> RawMilkRating {
    let lines: Vec<FarmLine> = farms.iter().map(|f| farm_line(form, f)).collect();
    let total_cwt: u64 = lines.iter().map(|l| l.cwt).sum();
    let total_debits: u64 = lines.iter().map(|l| u64::from(l.total_debits)).sum();
    let total_cwt_x_debits: u64 = lines.iter().map(|l| l.cwt_x_debits).sum();
    let mut farms_violating = vec![0u64; form.columns.len()];
    for line in &lines {
        for (count, p) in farms_violating.iter_mut().zip(&line.column_points) {
            *count += u64::from(*p > 0);
        }
    }
    let rated = lines.len() as u64;
    let percent_violating = farms_violating
        .iter()
        .map(|v| policy::percent_of(*v, rated))
        .collect();
    let quotient = if total_cwt == 0 {
        whole(0)
    } else {
        Exact::new(i128::from(total_cwt_x_debits), i128::from(total_cwt))
    };
    let rating_exact = whole(100) - quotient;
    let (rating, clamped) = policy::whole_rating(&rating_exact);
    RawMilkRating {
        farms: lines,
        total_cwt,
        total_debits,
        total_cwt_x_debits,
        farms_violating,
        percent_violating,
        quotient,
        rating_exact,
        rating,
        clamped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, DEFAULT_CATALOG};

    fn form() -> &'static Form {
        &Catalog::builtin(DEFAULT_CATALOG).unwrap().farm
    }

    fn marks(cols: &[(&str, u32)]) -> Vec<Mark> {
        cols.iter()
            .map(|(c, p)| Mark {
                column: form().column_by_col(c).unwrap(),
                points: *p,
            })
            .collect()
    }

    fn total(cols: &[(&str, u32)]) -> u32 {
        farm_line(
            form(),
            &FarmRow {
                cwt: 1,
                marks: marks(cols),
            },
        )
        .total_debits
    }

    /// e.11 farm item caps (derived from MMSR L366–384).
    #[test]
    fn item_caps() {
        assert_eq!(total(&[("18r_ab", 5), ("18r_c", 1)]), 5);
        assert_eq!(total(&[("15r_abc", 2), ("15r_de", 5)]), 7);
        assert_eq!(total(&[("8r", 2), ("8r", 5)]), 5);
        assert_eq!(total(&[("8r", 5)]), 5);
        assert_eq!(total(&[("8r", 2)]), 2);
        // A5: two minors in one column debit the column once
        assert_eq!(total(&[("8r", 2), ("8r", 2)]), 2);
    }

    #[test]
    fn every_column_violated_totals_100() {
        let all: Vec<Mark> = form()
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| Mark {
                column: i,
                points: c.default_points(),
            })
            .collect();
        let line = farm_line(form(), &FarmRow { cwt: 7, marks: all });
        assert_eq!(line.total_debits, 100);
        let r = rate(
            form(),
            &[FarmRow {
                cwt: 7,
                marks: line_marks(&line),
            }],
        );
        assert_eq!(r.rating, 0);
        assert!(!r.clamped);
    }

    fn line_marks(line: &FarmLine) -> Vec<Mark> {
        line.column_points
            .iter()
            .enumerate()
            .filter(|(_, p)| **p > 0)
            .map(|(i, p)| Mark {
                column: i,
                points: *p,
            })
            .collect()
    }

    /// e.2 H13 W. T. Miller reconstructed: nine columns, uncapped 35, capped 34, × 5 cwt = 170.
    #[test]
    fn miller_row_under_18r_cap() {
        let cols = [
            ("1r_scc", 5),
            ("3r", 3),
            ("4r", 3),
            ("5r_b", 1),
            ("12r", 2),
            ("13r", 5),
            ("18r_ab", 5),
            ("18r_c", 1),
            ("lab_bact_or_drug", 10),
        ];
        let line = farm_line(
            form(),
            &FarmRow {
                cwt: 5,
                marks: marks(&cols),
            },
        );
        assert_eq!(line.total_debits, 34);
        assert_eq!(line.cwt_x_debits, 170);
    }
}
