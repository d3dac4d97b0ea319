//! The worksheet wire types: exactly the JSON of `shared/spec/worksheet-format.md`. Unknown
//! fields are errors, so a typo cannot silently drop a debit.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A violation: an item id (`"2A"`) or an object with points or affected products.
#[derive(Debug, Clone, PartialEq)]
pub enum ViolationIn {
    Id(String),
    Detail(ViolationDetail),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViolationDetail {
    pub item: String,
    #[serde(default)]
    pub points: Option<u32>,
    #[serde(default)]
    pub products: Option<Vec<String>>,
    #[serde(default)]
    pub remark: Option<String>,
}

impl ViolationIn {
    pub fn item(&self) -> &str {
        match self {
            ViolationIn::Id(id) => id,
            ViolationIn::Detail(d) => &d.item,
        }
    }
}

impl<'de> Deserialize<'de> for ViolationIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ViolationIn;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an item id such as \"2A\" or an object {\"item\": …}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ViolationIn, E> {
                Ok(ViolationIn::Id(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ViolationIn, A::Error> {
                ViolationDetail::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ViolationIn::Detail)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// One official laboratory result.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultIn {
    pub date: NaiveDate,
    /// The count (per mL) or temperature (°F) as reported.
    #[serde(default)]
    pub value: Option<serde_json::Number>,
    /// Drug residue: whether the test was positive.
    #[serde(default)]
    pub positive: Option<bool>,
}

/// A farm's laboratory records for the rating (MMSR L320–334). A standard left out is not
/// evaluated; a standard given as `[]` has no samples, which is debited.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FarmLabIn {
    #[serde(default)]
    pub permit_issued: Option<NaiveDate>,
    #[serde(default)]
    pub bacteria: Option<Vec<ResultIn>>,
    #[serde(default)]
    pub somatic_cells: Option<Vec<ResultIn>>,
    #[serde(default)]
    pub cooling_temperature: Option<Vec<ResultIn>>,
    #[serde(default)]
    pub drug_residue: Option<Vec<ResultIn>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FarmIn {
    pub name: String,
    #[serde(default)]
    pub producer_number: Option<String>,
    #[serde(default)]
    pub pounds_sold_daily: Option<u64>,
    #[serde(default)]
    pub cwt: Option<u64>,
    #[serde(default)]
    pub violations: Vec<ViolationIn>,
    #[serde(default)]
    pub lab: Option<FarmLabIn>,
    #[serde(default)]
    pub remarks: Option<String>,
}

/// FORM 2359k worksheet.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMilkIn {
    pub form: String,
    #[serde(default)]
    pub catalog: Option<String>,
    #[serde(default)]
    pub shipper: Option<String>,
    #[serde(default)]
    pub rating_date: Option<NaiveDate>,
    pub farms: Vec<FarmIn>,
    #[serde(default)]
    pub listing: Option<super::enforcement::ListingIn>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlantLineIn {
    pub name: String,
    #[serde(default)]
    pub pounds_processed_daily: Option<u64>,
    #[serde(default)]
    pub cwt: Option<u64>,
    #[serde(default)]
    pub violations: Vec<ViolationIn>,
}

/// A product's laboratory records (MMSR L496–518). A standard left out is not evaluated; a
/// standard given as `[]` has no samples, which is debited.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductLabIn {
    /// Commingled raw milk before pasteurization (raw-milk bacterial limit).
    #[serde(default)]
    pub raw_for_pasteurization: bool,
    /// Permit under six months or a plant not operating year round (L514–518).
    #[serde(default)]
    pub new_permit_or_seasonal: bool,
    #[serde(default)]
    pub bacteria: Option<Vec<ResultIn>>,
    #[serde(default)]
    pub coliform: Option<Vec<ResultIn>>,
    #[serde(default)]
    pub cooling_temperature: Option<Vec<ResultIn>>,
    /// Reported, not debited (§f A25).
    #[serde(default)]
    pub phosphatase: Option<Vec<ResultIn>>,
    /// Reported, not debited (§f A25); results give `positive`.
    #[serde(default)]
    pub drug_residue: Option<Vec<ResultIn>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    pub name: String,
    #[serde(default)]
    pub pounds_daily: Option<u64>,
    #[serde(default)]
    pub cwt: Option<u64>,
    #[serde(default)]
    pub lab: Option<ProductLabIn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supervision {
    /// Operated by the plant under the same routine supervision (L736–745).
    Local,
    /// Separately rated and listed, shipping to the plant (L777–782).
    SeparatelyListed,
}

impl Supervision {
    pub fn as_str(self) -> &'static str {
        match self {
            Supervision::Local => "local",
            Supervision::SeparatelyListed => "separately_listed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationIn {
    pub name: String,
    #[serde(default)]
    pub pounds_shipped_daily: Option<u64>,
    #[serde(default)]
    pub cwt: Option<u64>,
    #[serde(default)]
    pub rating: Option<u32>,
    #[serde(default)]
    pub violations: Option<Vec<ViolationIn>>,
    pub supervision: Supervision,
    /// Standards (`bacteria`, `cooling_temperature`) that unattached milk shipped through this
    /// station violated on receipt (L792–795).
    #[serde(default)]
    pub unattached_violations_on_receipt: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlantKind {
    MilkPlant,
    ReceivingStation,
    TransferStation,
}

impl PlantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlantKind::MilkPlant => "milk_plant",
            PlantKind::ReceivingStation => "receiving_station",
            PlantKind::TransferStation => "transfer_station",
        }
    }
}

/// FORM 2359L worksheet.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlantIn {
    pub form: String,
    #[serde(default)]
    pub catalog: Option<String>,
    #[serde(default)]
    pub kind: Option<PlantKind>,
    #[serde(default)]
    pub rating_date: Option<NaiveDate>,
    pub plant: PlantLineIn,
    #[serde(default)]
    pub products: Vec<ProductIn>,
    #[serde(default)]
    pub stations: Vec<StationIn>,
    #[serde(default)]
    pub listing: Option<super::enforcement::ListingIn>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachedIn {
    #[serde(default)]
    pub name: Option<String>,
    pub rating: u32,
    pub rating_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyIn {
    pub name: String,
    pub rating: u32,
    pub rating_date: NaiveDate,
    #[serde(default)]
    pub percent_of_supply: Option<serde_json::Number>,
    #[serde(default = "yes")]
    pub listed: bool,
}

fn yes() -> bool {
    true
}

/// Combined raw milk rating worksheet.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinedIn {
    pub form: String,
    #[serde(default)]
    pub option: Option<u8>,
    #[serde(default)]
    pub plant: Option<String>,
    #[serde(default)]
    pub plant_rating_date: Option<NaiveDate>,
    #[serde(default)]
    pub attached_supply: Option<AttachedIn>,
    #[serde(default)]
    pub supplies: Vec<SupplyIn>,
    #[serde(default)]
    pub listing: Option<super::enforcement::ListingIn>,
}
