//! FORM FDA 2359j — the Enforcement Rating of a Regulatory Agency's enforcement of the PMO
//! (MMSR Sections B–E and Appendix A): Part I (dairy farms), Part II (plants and stations),
//! Part III (the individual shipper), and the worksheets of Sections C (sampling procedures),
//! D (farm enforcement actions and records) and E (plant enforcement actions and records).
//!
//! Credits are exact fractions; only the C/D/E sub-scores (before entry into Section B) and
//! the final rating are rounded, half up (L900-903, L8222; AMB-1, AMB-2, AMB-15).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::exact::{round_half_up, whole, Exact};

/// How an item's percent complying is obtained (MMSR Appendix A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Full weight or nothing (the percent column is blocked out, L856-862).
    AllOrNothing,
    /// Weight × complying / number.
    Count,
    /// Count, or (single-farm BTU) points: 100 − Σ weights misinterpreted (Part I #4).
    CountOrPoints,
    /// 100 − Σ weights of the items misinterpreted (Part II #4).
    Points,
    /// Section C worksheet, rounded to a whole percent.
    SectionC,
    /// Section D enforcement / records worksheet (farms).
    SectionDEnforcement,
    SectionDRecords,
    /// Section E enforcement / records worksheet (plants).
    SectionEEnforcement,
    SectionERecords,
}

/// One item of Part I or II.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    pub no: u32,
    pub pmo: String,
    pub text: String,
    pub weight: u32,
    pub mode: Mode,
    pub mmsr: String,
    /// Why the MMSR credits this item in full whatever is found (Part I item 7, the milking
    /// time inspection program: L8089-8091), when it does.
    #[serde(default)]
    pub full_credit: Option<String>,
}

/// One item of Section C.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionCItem {
    pub no: u32,
    pub text: String,
    pub weight: u32,
    /// Whether the item applies on the plant side (items 4 and 7 are farms only).
    pub plant: bool,
}

/// A category of Sections D and E.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub no: u32,
    pub text: String,
    pub weight: u32,
}

/// Which parts a shipper type uses (MMSR L841-1022, form instructions L1564-1592).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipperTypeDef {
    #[serde(rename = "type")]
    pub name: String,
    pub part_i: bool,
    /// Part II items omitted (`None`: Part II not used).
    pub part_ii_omit: Option<Vec<u32>>,
    pub part_ii_divisor: Option<u32>,
    /// Part III item 1 weight (`"47/100"`), or none.
    pub item1: Option<String>,
    pub item2: Option<String>,
    pub mmsr: String,
}

/// FORM 2359j as data (`shared/catalogs/form-2359j.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnforcementForm {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub part_i: Vec<ItemDef>,
    pub part_ii: Vec<ItemDef>,
    pub part_iii: serde_json::Value,
    pub section_c: Vec<SectionCItem>,
    pub section_c_plant_divisor: u32,
    pub enforcement_categories: Vec<Category>,
    pub records_categories: Vec<Category>,
    pub shipper_types: Vec<ShipperTypeDef>,
}

impl EnforcementForm {
    /// The form shipped with Milkshed.
    pub fn builtin() -> Option<&'static EnforcementForm> {
        static FORM: OnceLock<Option<EnforcementForm>> = OnceLock::new();
        FORM.get_or_init(|| {
            serde_json::from_str(include_str!("../../catalogs/form-2359j.json")).ok()
        })
        .as_ref()
    }

    pub fn shipper_type(&self, name: &str) -> Option<&ShipperTypeDef> {
        self.shipper_types.iter().find(|t| t.name == name)
    }
}

/// Parses `"47/100"`.
pub fn fraction(s: &str) -> Option<Exact> {
    let (n, d) = s.split_once('/')?;
    let d: i128 = d.trim().parse().ok()?;
    let n: i128 = n.trim().parse().ok()?;
    (d != 0).then(|| Exact::new(n, d))
}

/// Number in a population and how many comply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub number: u64,
    pub complying: u64,
}

impl Counts {
    /// complying / number; nothing required counts as full compliance (AMB-7).
    pub fn fraction(self) -> Exact {
        if self.number == 0 {
            whole(1)
        } else {
            Exact::new(i128::from(self.complying), i128::from(self.number))
        }
    }
}

/// A sub-score worksheet (Section C, D or E): its credits, total and the whole percent entered
/// into Section B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubScore {
    /// `(item or category number, weight, counts, credit)`.
    pub rows: Vec<(u32, u32, Counts, Exact)>,
    pub total: Exact,
    /// The total as a percent of its maximum (Section C plant: ÷ 75 × 100).
    pub percent: Exact,
    /// Rounded half up before entry (L1840-1844, L8222: 97.6 → 98).
    pub entered: u32,
}

fn subscore(rows: Vec<(u32, u32, Counts, Exact)>, max: u32) -> SubScore {
    let total = rows.iter().fold(whole(0), |a, r| a + r.3);
    let percent = total * whole(100) / whole(i128::from(max.max(1)));
    let entered = u32::try_from(round_half_up(&percent).clamp(0, 100)).unwrap_or(0);
    SubScore {
        rows,
        total,
        percent,
        entered,
    }
}

/// Section C — evaluation of sampling procedures (L1782-1845, L8618-8708). Farm side: all eight
/// items, out of 100; plant side: items 4 and 7 do not apply, out of 75.
pub fn section_c(form: &EnforcementForm, plant: bool, counts: &[(u32, Counts)]) -> SubScore {
    let rows = form
        .section_c
        .iter()
        .filter(|i| !plant || i.plant)
        .map(|i| {
            let c = counts
                .iter()
                .find(|(n, _)| *n == i.no)
                .map(|(_, c)| *c)
                .unwrap_or(Counts {
                    number: 0,
                    complying: 0,
                });
            (
                i.no,
                i.weight,
                c,
                whole(i128::from(i.weight)) * c.fraction(),
            )
        })
        .collect();
    subscore(
        rows,
        if plant {
            form.section_c_plant_divisor
        } else {
            100
        },
    )
}

/// Sections D and E — enforcement (5 × 20) or records (4 × 25) categories, each row the number
/// inspected and complying (L8114-8273, L8450-8580).
pub fn section_de(categories: &[Category], rows: &[Counts]) -> SubScore {
    let rows = categories
        .iter()
        .zip(rows)
        .map(|(cat, c)| {
            (
                cat.no,
                cat.weight,
                *c,
                whole(i128::from(cat.weight)) * c.fraction(),
            )
        })
        .collect();
    subscore(rows, 100)
}

/// What an item was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemInput {
    Complies(bool),
    Counts(Counts),
    /// Weights of the items found misinterpreted (Part II #4; Part I #4 on a single farm).
    PointsOff(Vec<u32>),
    /// A sub-score entered as its whole percent.
    Percent(u32),
    /// A sub-score computed from its worksheet.
    SubScore(SubScore),
}

/// An item's line in Section B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLine {
    pub no: u32,
    pub weight: u32,
    /// Percent complying (exact); none for an all-or-nothing item.
    pub percent: Option<Exact>,
    pub credit: Exact,
    /// Credited in full by the MMSR although the input gave less ([`ItemDef::full_credit`]).
    pub credited_in_full: Option<String>,
}

/// Why an item's input does not fit it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("item {0} is missing")]
    Missing(u32),
    #[error("item {no} is {mode}; give {expected}")]
    WrongInput {
        no: u32,
        mode: &'static str,
        expected: &'static str,
    },
    #[error("item {no}: {complying} complying of {number} is impossible")]
    TooManyComplying {
        no: u32,
        number: u64,
        complying: u64,
    },
    #[error("item {0}: a percent is 0 to 100")]
    BadPercent(u32),
    #[error("item {0} does not apply to this shipper type")]
    NotApplicable(u32),
}

/// The credit of one item (MMSR L856-862, L919-924; (c)5 of the spec).
pub fn item_line(def: &ItemDef, input: &ItemInput) -> Result<ItemLine, ItemError> {
    let w = whole(i128::from(def.weight));
    let wrong = |mode: &'static str, expected: &'static str| ItemError::WrongInput {
        no: def.no,
        mode,
        expected,
    };
    let (percent, credit) = match (def.mode, input) {
        (Mode::AllOrNothing, ItemInput::Complies(ok)) => (None, if *ok { w } else { whole(0) }),
        (Mode::AllOrNothing, _) => return Err(wrong("all-or-nothing", "true or false")),
        (Mode::Count | Mode::CountOrPoints, ItemInput::Counts(c)) => {
            if c.complying > c.number {
                return Err(ItemError::TooManyComplying {
                    no: def.no,
                    number: c.number,
                    complying: c.complying,
                });
            }
            let f = c.fraction();
            (Some(f * whole(100)), w * f)
        }
        (Mode::Points | Mode::CountOrPoints, ItemInput::PointsOff(points)) => {
            let off: u32 = points.iter().sum();
            let pct = whole(i128::from(100u32.saturating_sub(off)));
            (Some(pct), w * pct / whole(100))
        }
        (Mode::Count, _) => return Err(wrong("prorated by count", "{\"number\", \"complying\"}")),
        (Mode::CountOrPoints, _) => {
            return Err(wrong(
                "prorated",
                "{\"number\", \"complying\"} or {\"points_off\": [...]}",
            ))
        }
        (Mode::Points, _) => return Err(wrong("prorated by points", "{\"points_off\": [...]}")),
        (_, ItemInput::Percent(p)) => {
            if *p > 100 {
                return Err(ItemError::BadPercent(def.no));
            }
            let pct = whole(i128::from(*p));
            (Some(pct), w * pct / whole(100))
        }
        (_, ItemInput::SubScore(s)) => {
            let pct = whole(i128::from(s.entered));
            (Some(pct), w * pct / whole(100))
        }
        (_, _) => {
            return Err(wrong(
                "derived from a worksheet",
                "{\"percent\"} or the worksheet's rows",
            ))
        }
    };
    // the MMSR credits some items in full whatever was found; the input is still checked
    let (percent, credit, credited_in_full) = match &def.full_credit {
        Some(why) if credit < w => (percent.map(|_| whole(100)), w, Some(why.clone())),
        _ => (percent, credit, None),
    };
    Ok(ItemLine {
        no: def.no,
        weight: def.weight,
        percent,
        credit,
        credited_in_full,
    })
}

/// A part of Section B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartTotal {
    pub lines: Vec<ItemLine>,
    pub total: Exact,
    pub divisor: u32,
    /// `total × 100 / divisor` — transferred to Part III unrounded (AMB-2).
    pub percent: Exact,
}

/// Computes a part from its items' inputs; `omit` lists items that do not apply.
pub fn part(
    defs: &[ItemDef],
    inputs: &[(u32, ItemInput)],
    omit: &[u32],
    divisor: u32,
) -> Result<PartTotal, Vec<ItemError>> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for def in defs {
        let given = inputs.iter().find(|(n, _)| *n == def.no).map(|(_, i)| i);
        if omit.contains(&def.no) {
            if given.is_some() {
                errors.push(ItemError::NotApplicable(def.no));
            }
            continue;
        }
        match given {
            None => errors.push(ItemError::Missing(def.no)),
            Some(i) => match item_line(def, i) {
                Ok(l) => lines.push(l),
                Err(e) => errors.push(e),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let total = lines.iter().fold(whole(0), |a, l| a + l.credit);
    Ok(PartTotal {
        percent: total * whole(100) / whole(i128::from(divisor.max(1))),
        lines,
        total,
        divisor,
    })
}

/// Part III and the rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcementRating {
    pub part_i: Option<PartTotal>,
    pub part_ii: Option<PartTotal>,
    /// Part III items 1, 2 and 3 (labeling) credits, when Part III is used.
    pub part_iii: Option<(Option<Exact>, Option<Exact>, Exact)>,
    pub exact: Exact,
    /// Rounded half up (L900-903: 88.2 → 88).
    pub rating: u32,
}

/// The enforcement rating of a shipper type from its parts (L841-1022). `labeling` is Part III
/// item 3 (products correctly labeled of all products, L8596-8610).
pub fn rate(
    shipper: &ShipperTypeDef,
    part_i: Option<PartTotal>,
    part_ii: Option<PartTotal>,
    labeling: Option<Counts>,
) -> EnforcementRating {
    let part_iii = match (&shipper.item2, labeling) {
        (Some(item2), Some(lab)) => {
            let i1 = shipper
                .item1
                .as_deref()
                .and_then(fraction)
                .zip(part_i.as_ref())
                .map(|(w, p)| w * p.total);
            let i2 = fraction(item2)
                .zip(part_ii.as_ref())
                .map(|(w, p)| w * p.percent);
            let i3 = whole(6) * lab.fraction();
            Some((i1, i2, i3))
        }
        _ => None,
    };
    let exact = match &part_iii {
        Some((a, b, c)) => a.unwrap_or_else(|| whole(0)) + b.unwrap_or_else(|| whole(0)) + *c,
        None => part_i.as_ref().map_or_else(|| whole(0), |p| p.total),
    };
    let rating = u32::try_from(round_half_up(&exact).clamp(0, 100)).unwrap_or(0);
    EnforcementRating {
        part_i,
        part_ii,
        part_iii,
        exact,
        rating,
    }
}

#[cfg(test)]
mod tests;
