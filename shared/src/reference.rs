//! Versioned reference data of the IMS List and FORM 2359i: product codes, FIPS state codes,
//! laboratory numbering, procedure codes and classifications (requirements.md §3.10–3.12).
//!
//! Each edition is a JSON file in `shared/reference/`, read at compile time. An agency adopts
//! an edition by name; a record keeps the edition it was checked against, so adopting a new one
//! never rewrites what was recorded under an old one. The 2004 IMS List prints 40 product codes
//! (seed 001 L117-156); the 10/11 FORM 2359i prints 44 (seed 004 L2303-2333).

use std::sync::OnceLock;

use serde::Deserialize;

/// The editions built in, oldest first. The last is the default for new agencies.
const BUILTIN: &[(&str, &str)] = &[
    ("ims-2004", include_str!("../reference/ims-2004.json")),
    (
        "form-2359i-2011",
        include_str!("../reference/form-2359i-2011.json"),
    ),
];

/// The edition a new agency starts on.
pub const DEFAULT_EDITION: &str = "form-2359i-2011";

/// Why reference data could not be had.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    #[error("no reference edition \"{0}\"; known: ims-2004, form-2359i-2011")]
    UnknownEdition(String),
    #[error("reference edition {0} is damaged: {1}")]
    Damaged(String, String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProductCode {
    pub code: u32,
    pub name: String,
    /// A raw product (raw milk for pasteurization of a species, concentrated raw milk).
    pub raw: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Fips {
    pub state: String,
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LabNumberRange {
    pub from: u32,
    pub to: u32,
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LabProcedure {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LabClassification {
    pub code: String,
    pub meaning: String,
    pub usable_for_ims: bool,
}

/// One edition of the reference data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    pub edition: String,
    pub title: String,
    /// Seed lines of each table.
    pub sources: std::collections::BTreeMap<String, String>,
    pub product_codes: Vec<ProductCode>,
    pub fips: Vec<Fips>,
    pub lab_number_ranges: Vec<LabNumberRange>,
    pub lab_procedures: Vec<LabProcedure>,
    pub lab_classifications: Vec<LabClassification>,
}

/// A problem with an identifier, naming what is wrong.
pub type Problem = String;

impl Edition {
    /// A built-in edition by name (parsed once).
    pub fn builtin(name: &str) -> Result<&'static Edition, ReferenceError> {
        static PARSED: OnceLock<Vec<Result<Edition, ReferenceError>>> = OnceLock::new();
        let parsed = PARSED.get_or_init(|| {
            BUILTIN
                .iter()
                .map(|(n, text)| {
                    serde_json::from_str(text)
                        .map_err(|e| ReferenceError::Damaged((*n).into(), e.to_string()))
                })
                .collect()
        });
        let i = BUILTIN
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| ReferenceError::UnknownEdition(name.to_string()))?;
        parsed[i].as_ref().map_err(Clone::clone)
    }

    /// The names of the built-in editions, oldest first.
    pub fn names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    pub fn product(&self, code: u32) -> Option<&ProductCode> {
        self.product_codes.iter().find(|p| p.code == code)
    }

    pub fn state_of_fips(&self, code: &str) -> Option<&str> {
        self.fips
            .iter()
            .find(|f| f.code == code)
            .map(|f| f.state.as_str())
    }

    /// Checks the product codes of a listing: each known in this edition, and a BTU lists raw
    /// products only (requirements.md §3.10 [INF]).
    pub fn check_product_codes(&self, codes: &[u32], btu: bool) -> Vec<Problem> {
        let mut problems = Vec::new();
        for c in codes {
            match self.product(*c) {
                None => problems.push(format!(
                    "product code {c} is not in {} (1-{})",
                    self.title,
                    self.product_codes.len()
                )),
                Some(p) if btu && !p.raw => problems.push(format!(
                    "product code {c} ({}) is not a raw product; a BTU lists raw milk only",
                    p.name
                )),
                Some(_) => {}
            }
        }
        problems
    }

    /// A domestic plant packaging code `SS-NNN`: a FIPS state code, a hyphen, the State's plant
    /// number (seed 001 L105-107, 002 L130-132; the plant part's length is not given).
    pub fn check_plant_code(&self, code: &str) -> Option<Problem> {
        let Some((state, plant)) = code.split_once('-') else {
            return Some(format!(
                "plant code \"{code}\" is not SS-NNN (FIPS, hyphen, plant number)"
            ));
        };
        if state.len() != 2 || self.state_of_fips(state).is_none() {
            return Some(format!(
                "plant code \"{code}\": \"{state}\" is not a FIPS state code"
            ));
        }
        if plant.is_empty() || !plant.chars().all(|c| c.is_ascii_digit()) {
            return Some(format!(
                "plant code \"{code}\": the plant number \"{plant}\" is not digits"
            ));
        }
        None
    }

    /// A laboratory number: 5 digits, the FIPS state code and a number whose range says the
    /// kind of laboratory (seed 001 L279-288). Returns the kind.
    pub fn lab_kind(&self, number: &str) -> Result<&str, Problem> {
        if number.len() != 5 || !number.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "\"{number}\" is not a 5-digit laboratory number (FIPS + 3)"
            ));
        }
        let (state, n) = number.split_at(2);
        if self.state_of_fips(state).is_none() {
            return Err(format!(
                "laboratory number {number}: {state} is not a FIPS state code"
            ));
        }
        let n: u32 = n
            .parse()
            .map_err(|_| format!("\"{number}\" is not digits"))?;
        self.lab_number_ranges
            .iter()
            .find(|r| (r.from..=r.to).contains(&n))
            .map(|r| r.kind.as_str())
            .ok_or_else(|| format!("laboratory number {number}: {n:03} is in no laboratory range"))
    }

    /// Whether a laboratory of this classification may run official IMS tests: F (approved) and
    /// C (conditionally approved) may; N (approval recently removed) may not (seed 001 L290-295).
    pub fn classification_usable(&self, code: &str) -> Option<bool> {
        self.lab_classifications
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.usable_for_ims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_edition_loads_and_the_product_lists_differ_as_the_seeds_do() {
        for name in Edition::names() {
            Edition::builtin(name).unwrap();
        }
        let old = Edition::builtin("ims-2004").unwrap();
        let new = Edition::builtin(DEFAULT_EDITION).unwrap();
        assert_eq!(old.product_codes.len(), 40);
        assert_eq!(new.product_codes.len(), 44);
        assert_eq!(old.fips.len(), 52);
        // code 43 (raw water buffalo milk) exists only on the 2011 form
        assert!(old.check_product_codes(&[43], true)[0].contains("not in"));
        assert!(new.check_product_codes(&[43], true).is_empty());
        assert!(new.check_product_codes(&[1, 2], true)[0].contains("not a raw product"));
        assert!(Edition::builtin("pmo-1999").is_err());
    }

    #[test]
    fn identifiers() {
        let e = Edition::builtin(DEFAULT_EDITION).unwrap();
        assert_eq!(
            e.check_plant_code("37-275"),
            None,
            "North Carolina, plant 275"
        );
        assert!(
            e.check_plant_code("72-1").is_some(),
            "Puerto Rico is 43 in the seeds"
        );
        assert!(e.check_plant_code("37275").is_some());
        assert!(e.check_plant_code("37-27a").is_some());
        assert_eq!(e.lab_kind("55001"), Ok("central_or_official"));
        assert_eq!(e.lab_kind("55150"), Ok("commercial"));
        assert_eq!(e.lab_kind("55950"), Ok("federal"));
        assert!(e.lab_kind("03001").is_err(), "03 is not a state");
        assert!(e.lab_kind("5500").is_err());
        assert_eq!(e.classification_usable("C"), Some(true));
        assert_eq!(e.classification_usable("N"), Some(false));
        assert_eq!(e.classification_usable("Q"), None);
    }
}
