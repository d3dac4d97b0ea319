//! FORM FDA 2359L — Status of Milk Plants (and receiving and transfer stations): the
//! sanitation compliance rating of a plant with its product sub-rows and station rows (MMSR
//! Section C, seed 004 L455–795).

use crate::catalog::Form;
use crate::exact::{whole, Exact};
use crate::policy;

use super::{column_points, Mark};

/// A line debited against a volume: the plant itself, or the affected products of a partial
/// debit (MMSR L479–491, L724–735).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitLine {
    pub cwt: u64,
    pub marks: Vec<Mark>,
}

/// A receiving or transfer station (or separately listed BTU/station) shipping to the plant,
/// with its own rating and the cwt it ships daily (MMSR L736–756, L777–790).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationRow {
    pub cwt: u64,
    pub rating: u32,
}

/// What a 2359L rates: the plant line (whole volume), product lines (partial debits, their cwt
/// in parentheses and never in the denominator) and station lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantSheet {
    pub plant: DebitLine,
    pub products: Vec<DebitLine>,
    pub stations: Vec<StationRow>,
}

/// A computed line of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    pub cwt: u64,
    pub column_points: Vec<u32>,
    /// Sum of the weights of the columns violated (form footnote 2; no caps on 2359L).
    pub total_debits: u32,
    /// cwt × Total Debits.
    pub product: u64,
}

/// A computed station line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationResult {
    pub cwt: u64,
    pub rating: u32,
    /// The entry in Total Debits: `plant − station` when the station is below 90 and below the
    /// plant, else 0 ([`policy::station_debits`]).
    pub total_debits: u32,
    pub product: u64,
}

/// The computed FORM 2359L.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantRating {
    pub plant: LineResult,
    /// The plant line's own rating, `100 − plant Total Debits` (the figure stations are
    /// compared with, [`policy::station_debits`]).
    pub plant_line_rating: u32,
    pub products: Vec<LineResult>,
    pub stations: Vec<StationResult>,
    /// Σ of the Total Debits column.
    pub total_debits: u64,
    /// Σ of every line's product (the numerator).
    pub total_product: u64,
    /// The plant's cwt: the only volume in the denominator (MMSR L732–734, L781–782).
    pub total_cwt: u64,
    pub quotient: Exact,
    pub rating_exact: Exact,
    pub rating: u32,
    pub clamped: bool,
}

fn line(form: &Form, l: &DebitLine) -> LineResult {
    let column_points = column_points(form.columns.len(), &l.marks);
    let total_debits: u32 = column_points.iter().sum();
    LineResult {
        cwt: l.cwt,
        product: l.cwt * u64::from(total_debits),
        column_points,
        total_debits,
    }
}

/// A station rated on its own single line: `100 − Total Debits` (as Metro Dairy's stations,
/// MMSR L6232–6268), never below 0.
pub fn station_rating_from_debits(total_debits: u32) -> u32 {
    100u32.saturating_sub(total_debits)
}

/// Total Debits of one line of the plant form (the columns marked, each once).
pub fn line_total_debits(form: &Form, marks: &[Mark]) -> u32 {
    column_points(form.columns.len(), marks).iter().sum()
}

/// Rates a plant: `100 − (plant cwt × plant debits + Σ product cwt × product debits +
/// Σ station cwt × station entry) / plant cwt` (MMSR L758–771, L724–757, L777–790).
pub fn rate(form: &Form, sheet: &PlantSheet) -> PlantRating {
    let plant = line(form, &sheet.plant);
    let plant_line_rating = 100u32.saturating_sub(plant.total_debits);
    let products: Vec<LineResult> = sheet.products.iter().map(|p| line(form, p)).collect();
    let stations: Vec<StationResult> = sheet
        .stations
        .iter()
        .map(|s| {
            let total_debits = policy::station_debits(plant_line_rating, s.rating);
            StationResult {
                cwt: s.cwt,
                rating: s.rating,
                total_debits,
                product: s.cwt * u64::from(total_debits),
            }
        })
        .collect();
    let total_debits = u64::from(plant.total_debits)
        + products
            .iter()
            .map(|p| u64::from(p.total_debits))
            .sum::<u64>()
        + stations
            .iter()
            .map(|s| u64::from(s.total_debits))
            .sum::<u64>();
    let total_product = plant.product
        + products.iter().map(|p| p.product).sum::<u64>()
        + stations.iter().map(|s| s.product).sum::<u64>();
    let total_cwt = plant.cwt;
    let quotient = if total_cwt == 0 {
        whole(0)
    } else {
        Exact::new(i128::from(total_product), i128::from(total_cwt))
    };
    let rating_exact = whole(100) - quotient;
    let (rating, clamped) = policy::whole_rating(&rating_exact);
    PlantRating {
        plant,
        plant_line_rating,
        products,
        stations,
        total_debits,
        total_product,
        total_cwt,
        quotient,
        rating_exact,
        rating,
        clamped,
    }
}
