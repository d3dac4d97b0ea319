//! Inspection item catalogs as versioned data (`shared/catalogs/*.json`): the debit columns of
//! FORM FDA 2359k (farm items of inspection report 2359a) and FORM FDA 2359L (plant items of
//! inspection report 2359), their weights, item caps and laboratory standards.
//!
//! A catalog is identified by its `id` (e.g. `pmo-2011`); inspections and worksheets name the
//! catalog they were recorded against, so an agency can adopt a new edition without rewriting
//! old records.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::exact::{parse_decimal, Exact};

/// The catalog used when a worksheet names none: the 2011 PMO edition the MMSR examples use.
pub const DEFAULT_CATALOG: &str = "pmo-2011";

const BUILTIN: &[(&str, &str)] = &[("pmo-2011", include_str!("../catalogs/pmo-2011.json"))];

/// Why a catalog could not be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum CatalogError {
    #[error("unknown catalog `{0}`; known catalogs: {1}")]
    Unknown(String, String),
    #[error("catalog `{id}` is malformed: {reason}")]
    Malformed { id: String, reason: String },
}

/// One debit column of a rating form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Stable internal id (`2r_a`, `16p_c2`), as in `sanitation-ratings.md`.
    pub col: String,
    /// The column as the form heads it and as results key it (`2A`, `15A-C`, `LAB-SCC`).
    pub key: String,
    /// The inspection-report item the column belongs to (`15`); caps group columns by item.
    pub item: String,
    /// The item / sub-item ids that debit this column (`15A`, `15B`, `15C`).
    pub ids: Vec<String>,
    pub label: String,
    /// The fixed weight; absent when the column takes one of `weight_options`.
    #[serde(default)]
    pub weight: Option<u32>,
    /// Variable weights (item 8r water supply: 2 minor or 5 major).
    #[serde(default)]
    pub weight_options: Vec<u32>,
    /// Laboratory column: debited only when the standard is not credited.
    #[serde(default)]
    pub lab: bool,
    /// May be debited against only the affected products' volume (FORM 2359L).
    #[serde(default)]
    pub partial_by_product: bool,
}

impl Column {
    /// Whether `points` is a weight this column can carry.
    pub fn allows_points(&self, points: u32) -> bool {
        match self.weight {
            Some(w) => w == points,
            None => self.weight_options.contains(&points),
        }
    }

    /// The weight debited when the column is marked without points (an `X` on the form): the
    /// fixed weight, or the largest option for a variable column.
    pub fn default_points(&self) -> u32 {
        self.weight
            .or_else(|| self.weight_options.iter().copied().max())
            .unwrap_or(0)
    }

    /// The weights this column allows, for messages.
    pub fn allowed_points(&self) -> Vec<u32> {
        match self.weight {
            Some(w) => vec![w],
            None => self.weight_options.clone(),
        }
    }
}

/// A cap on the total debits of one inspection item (MMSR seed 004 L366–384).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemCap {
    pub item: String,
    pub max: u32,
    /// The MMSR lines the cap comes from.
    pub mmsr: String,
}

/// How a laboratory standard is credited.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LabRule {
    /// The "last four results" test plus the required-number-of-samples test.
    LastFour,
    /// Only the required-number-of-samples test (farm drug residue, seed 004 L325–328).
    SamplesOnly,
    /// Used in determining compliance but debited in no column of the form: results are
    /// reported and a failure is flagged (plant phosphatase and drug residue, L497–499; §f A25).
    ReportedOnly,
}

/// A laboratory standard and the column it debits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabStandard {
    pub standard: String,
    /// The column a failure debits; none for [`LabRule::ReportedOnly`].
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
    /// Limit for raw milk sampled at a plant before pasteurization.
    #[serde(default)]
    pub raw_limit: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    pub rule: LabRule,
}

impl LabStandard {
    /// The column index this standard debits on `form`, if any.
    pub fn column_in(&self, form: &Form) -> Option<usize> {
        self.column.as_deref().and_then(|c| form.column_by_col(c))
    }

    /// The numeric limit, exact.
    pub fn limit_value(&self) -> Option<Exact> {
        self.limit.as_deref().and_then(parse_decimal)
    }

    /// The limit for raw milk before pasteurization, falling back to [`Self::limit_value`].
    pub fn raw_limit_value(&self) -> Option<Exact> {
        self.raw_limit
            .as_deref()
            .and_then(parse_decimal)
            .or_else(|| self.limit_value())
    }
}

/// The columns of one rating form, with an index from item ids to columns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub form: String,
    #[serde(default)]
    pub item_caps: Vec<ItemCap>,
    pub columns: Vec<Column>,
    pub lab_standards: Vec<LabStandard>,
    #[serde(skip)]
    by_id: HashMap<String, usize>,
    /// Per column, the index of its item in `items`.
    #[serde(skip)]
    item_of: Vec<usize>,
    /// Per item (in form order), its cap.
    #[serde(skip)]
    item_cap: Vec<Option<u32>>,
}

impl Form {
    /// The column an item or sub-item id debits (`"15B"` → column `15r_abc`).
    pub fn column_for_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The column with internal id `col`.
    pub fn column_by_col(&self, col: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.col == col)
    }

    /// Per column, the index of the item it belongs to (items numbered in form order).
    pub fn item_of_column(&self) -> &[usize] {
        &self.item_of
    }

    /// Per item index, its cap (see [`Self::item_of_column`]).
    pub fn item_caps_by_index(&self) -> &[Option<u32>] {
        &self.item_cap
    }

    /// The cap on `item`, if any.
    pub fn cap_for_item(&self, item: &str) -> Option<u32> {
        self.item_caps
            .iter()
            .find(|c| c.item == item)
            .map(|c| c.max)
    }

    /// A laboratory standard by name (`bacteria`).
    pub fn lab_standard(&self, name: &str) -> Option<&LabStandard> {
        self.lab_standards.iter().find(|s| s.standard == name)
    }

    /// Every id a worksheet may use on this form, in form order (for error messages).
    pub fn known_ids(&self) -> Vec<&str> {
        self.columns
            .iter()
            .flat_map(|c| c.ids.iter().map(String::as_str))
            .collect()
    }

    fn index(&mut self, catalog: &str) -> Result<(), CatalogError> {
        let malformed = |reason: String| CatalogError::Malformed {
            id: catalog.to_string(),
            reason,
        };
        for (i, c) in self.columns.iter().enumerate() {
            if c.weight.is_none() && c.weight_options.is_empty() {
                return Err(malformed(format!("column {} has no weight", c.col)));
            }
            for id in &c.ids {
                if self.by_id.insert(id.clone(), i).is_some() {
                    return Err(malformed(format!("id {id} debits two columns")));
                }
            }
        }
        let mut items: Vec<&str> = Vec::new();
        for c in &self.columns {
            let i = match items.iter().position(|i| *i == c.item) {
                Some(i) => i,
                None => {
                    items.push(&c.item);
                    items.len() - 1
                }
            };
            self.item_of.push(i);
        }
        self.item_cap = items.iter().map(|i| self.cap_for_item(i)).collect();
        for cap in &self.item_caps {
            if !items.contains(&cap.item.as_str()) {
                return Err(malformed(format!("cap on unknown item {}", cap.item)));
            }
        }
        for s in &self.lab_standards {
            let column_ok = match (&s.column, s.rule) {
                (None, LabRule::ReportedOnly) => true,
                (Some(c), LabRule::LastFour | LabRule::SamplesOnly) => {
                    self.column_by_col(c).is_some()
                }
                _ => false,
            };
            if !column_ok {
                return Err(malformed(format!(
                    "lab standard {} must debit a known column unless reported only",
                    s.standard
                )));
            }
            if s.rule == LabRule::LastFour && s.limit_value().is_none() {
                return Err(malformed(format!(
                    "lab standard {} has no limit",
                    s.standard
                )));
            }
        }
        Ok(())
    }
}

/// A versioned catalog: the farm form (2359k) and the plant form (2359L).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub sources: HashMap<String, String>,
    pub farm: Form,
    pub plant: Form,
}

impl Catalog {
    /// Parses and checks a catalog from its JSON text.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let mut catalog: Catalog =
            serde_json::from_str(text).map_err(|e| CatalogError::Malformed {
                id: "?".into(),
                reason: e.to_string(),
            })?;
        let id = catalog.id.clone();
        catalog.farm.index(&id)?;
        catalog.plant.index(&id)?;
        Ok(catalog)
    }

    /// A catalog shipped with Milkshed, by id.
    pub fn builtin(id: &str) -> Result<&'static Catalog, CatalogError> {
        static LOADED: OnceLock<Vec<Result<Catalog, CatalogError>>> = OnceLock::new();
        let loaded = LOADED.get_or_init(|| {
            BUILTIN
                .iter()
                .map(|(_, text)| Catalog::from_json(text))
                .collect()
        });
        let pos = BUILTIN
            .iter()
            .position(|(name, _)| *name == id)
            .ok_or_else(|| {
                CatalogError::Unknown(
                    id.to_string(),
                    BUILTIN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
        match &loaded[pos] {
            Ok(c) => Ok(c),
            Err(e) => Err(e.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped_max(form: &Form) -> u32 {
        let mut by_item: Vec<(String, u32)> = Vec::new();
        for c in &form.columns {
            let w = c.default_points();
            match by_item.iter_mut().find(|(i, _)| *i == c.item) {
                Some((_, sum)) => *sum += w,
                None => by_item.push((c.item.clone(), w)),
            }
        }
        by_item
            .iter()
            .map(|(item, sum)| form.cap_for_item(item).map_or(*sum, |cap| (*sum).min(cap)))
            .sum()
    }

    /// MMSR seed 004 L1967–1993, L5491: the 34 farm weights total exactly 100 with the caps of
    /// L366–384, so a farm never scores below 0.
    #[test]
    fn farm_weights_total_100_with_caps() {
        let c = Catalog::builtin(DEFAULT_CATALOG).unwrap();
        assert_eq!(c.farm.columns.len(), 34);
        assert_eq!(capped_max(&c.farm), 100);
    }

    /// MMSR seed 004 L2079–2084: the 28 non-laboratory 2359L weights total 100.
    #[test]
    fn plant_non_lab_weights_total_100() {
        let c = Catalog::builtin(DEFAULT_CATALOG).unwrap();
        let non_lab: u32 = c
            .plant
            .columns
            .iter()
            .filter(|c| !c.lab)
            .map(Column::default_points)
            .sum();
        assert_eq!(non_lab, 100);
        let partial: Vec<&str> = c
            .plant
            .columns
            .iter()
            .filter(|c| c.partial_by_product && !c.lab)
            .map(|c| c.item.as_str())
            .collect();
        assert_eq!(partial, ["16", "16", "16", "16", "18", "19"]);
    }

    #[test]
    fn sub_items_share_a_column() {
        let c = Catalog::builtin(DEFAULT_CATALOG).unwrap();
        let a = c.farm.column_for_id("15A").unwrap();
        assert_eq!(c.farm.column_for_id("15C"), Some(a));
        assert_ne!(c.farm.column_for_id("15D"), Some(a));
        assert!(c.farm.column_for_id("15").is_none());
    }

    #[test]
    fn unknown_catalog_is_named() {
        let e = Catalog::builtin("pmo-1999").unwrap_err();
        assert!(e.to_string().contains("pmo-2011"));
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let text = include_str!("../catalogs/pmo-2011.json").replace("\"2B\"", "\"2A\"");
        assert!(matches!(
            Catalog::from_json(&text),
            Err(CatalogError::Malformed { .. })
        ));
    }
}
