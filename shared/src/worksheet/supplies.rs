//! Combined raw milk rating worksheets (attached and unattached supplies): validation and
//! result.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::exact::{from_json_number, to_decimal_string, whole, Exact};
use crate::policy;
use crate::rating::combined::{self, Ineligible, RawRating, Supply};

use super::wire::CombinedIn;
use super::{Problems, WorksheetError};

/// How the raw milk rating is combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// An attached supply (with any unattached supplies), F.2.c.2.
    Attached {
        rating: u32,
        rating_date: NaiveDate,
        plant_rating_date: NaiveDate,
    },
    /// Unattached supplies only, Option 1 (F.2.c.3.A).
    Option1 { plant_rating_date: NaiveDate },
    /// Unattached supplies only, Option 2 (F.2.c.3.B).
    Option2 {
        plant_rating_date: Option<NaiveDate>,
    },
}

/// A validated combined worksheet.
#[derive(Debug, Clone)]
pub struct CombinedWorksheet {
    pub plant: Option<String>,
    pub basis: Basis,
    pub names: Vec<String>,
    pub supplies: Vec<Supply>,
    pub listing: Option<crate::listing::ListingInput>,
}

pub(super) fn validate(input: CombinedIn) -> Result<CombinedWorksheet, WorksheetError> {
    let mut problems = Problems::default();
    let mut supplies = Vec::new();
    let option = input.option;
    for (i, s) in input.supplies.iter().enumerate() {
        let path = format!("supplies[{i}]");
        if s.rating > 100 {
            problems.push(format!("{path}.rating"), "a rating is 0 to 100");
        }
        let percent = match &s.percent_of_supply {
            None => None,
            Some(n) => match from_json_number(n) {
                Some(p) if p >= whole(0) && p <= whole(100) => Some(p),
                _ => {
                    problems.push(
                        format!("{path}.percent_of_supply"),
                        "a percent from 0 to 100",
                    );
                    None
                }
            },
        };
        if option == Some(2) && s.percent_of_supply.is_none() {
            problems.push(
                &path,
                "Option 2 weighs each supply by its `percent_of_supply`",
            );
        }
        supplies.push(Supply {
            rating: s.rating.min(100),
            rating_date: s.rating_date,
            percent,
            listed: s.listed,
        });
    }
    let basis = match (&input.attached_supply, option, input.plant_rating_date) {
        (Some(a), None, Some(plant_rating_date)) => {
            if a.rating > 100 {
                problems.push("attached_supply.rating", "a rating is 0 to 100");
            }
            Basis::Attached {
                rating: a.rating.min(100),
                rating_date: a.rating_date,
                plant_rating_date,
            }
        }
        (Some(_), None, None) => {
            problems.push(
                "plant_rating_date",
                "needed: the earliest rating date is the earlier of the farm and plant ratings (MMSR L1176–1177)",
            );
            Basis::Option2 {
                plant_rating_date: None,
            }
        }
        (Some(_), Some(_), _) => {
            problems.push(
                "option",
                "Options 1 and 2 are for plants with unattached supplies only (MMSR L1207–1265); drop `option` or `attached_supply`",
            );
            Basis::Option2 {
                plant_rating_date: None,
            }
        }
        (None, Some(1), Some(plant_rating_date)) => Basis::Option1 { plant_rating_date },
        (None, Some(1), None) => {
            problems.push(
                "plant_rating_date",
                "needed: under Option 1 the listing date is the plant rating date (MMSR L1230)",
            );
            Basis::Option2 {
                plant_rating_date: None,
            }
        }
        (None, Some(2), plant_rating_date) => Basis::Option2 { plant_rating_date },
        (None, Some(n), _) => {
            problems.push("option", format!("option {n} does not exist; use 1 or 2"));
            Basis::Option2 {
                plant_rating_date: None,
            }
        }
        (None, None, _) => {
            problems.push(
                "option",
                "with no `attached_supply`, choose Option 1 or 2 (MMSR L1207–1265)",
            );
            Basis::Option2 {
                plant_rating_date: None,
            }
        }
    };
    if input.supplies.is_empty() && !matches!(basis, Basis::Attached { .. }) {
        problems.push("supplies", "list the unattached supplies");
    }
    if option == Some(2) {
        let total = supplies
            .iter()
            .filter_map(|s| s.percent)
            .fold(whole(0), |a, p| a + p);
        if supplies.iter().all(|s| s.percent.is_some()) && total != policy::option2_total_percent()
        {
            problems.push(
                "supplies",
                format!(
                    "the supplies' `percent_of_supply` add up to {}, not 100",
                    to_decimal_string(&total, 4)
                ),
            );
        }
    }
    let listing = super::enforcement::sanitation_listing(input.listing, &mut problems);
    problems.finish(CombinedWorksheet {
        listing,
        plant: input.plant,
        basis,
        names: input.supplies.into_iter().map(|s| s.name).collect(),
        supplies,
    })
}

pub(super) fn rate(w: &CombinedWorksheet) -> Value {
    let (basis, c) = match &w.basis {
        Basis::Attached {
            rating,
            rating_date,
            plant_rating_date,
        } => (
            "attached_supply",
            combined::attached(*rating, *rating_date, *plant_rating_date, &w.supplies),
        ),
        Basis::Option1 { plant_rating_date } => (
            "option_1",
            combined::option1(*plant_rating_date, &w.supplies),
        ),
        Basis::Option2 { plant_rating_date } => {
            let earliest = plant_rating_date
                .or_else(|| w.supplies.iter().map(|s| s.rating_date).min())
                .unwrap_or_default();
            ("option_2", combined::option2(earliest, &w.supplies))
        }
    };
    let raw = match c.raw {
        RawRating::Whole(r) => json!(r),
        RawRating::AllSourcesAtLeast90 => json!("90*"),
    };
    let ineligible: Vec<Value> = c
        .ineligible
        .iter()
        .map(|(i, why)| {
            json!({
                "name": w.names.get(*i),
                "rating": w.supplies.get(*i).map(|s| s.rating),
                "reason": match why {
                    Ineligible::Unlisted => "source is not listed: receiving its milk withdraws the listing (MMSR L1202–1205, L1267–1270)",
                    Ineligible::RatedBelow90 => "source is rated below 90: receiving its milk withdraws the listing (MMSR L1202–1205, L1238–1241, L1267–1270)",
                },
            })
        })
        .collect();
    let own = match c.raw {
        RawRating::Whole(r) => Some(r),
        RawRating::AllSourcesAtLeast90 => Some(90),
    };
    let listing = w
        .listing
        .as_ref()
        .map(|l| super::enforcement::listing_json(l, own));
    let mut out = json!({
        "form": "raw_milk_combined",
        "plant": w.plant,
        "basis": basis,
        "raw_milk_rating": raw,
        "rating_unrounded": c.exact.as_ref().map(|e: &Exact| to_decimal_string(e, 4)),
        "earliest_rating_date": c.earliest_rating_date.to_string(),
        "eligible": ineligible.is_empty(),
        "ineligible_supplies": ineligible,
    });
    if let Some(l) = listing {
        out["listing"] = l;
    }
    out
}
