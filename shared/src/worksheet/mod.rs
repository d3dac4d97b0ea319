//! The worksheet exchange format (`shared/spec/worksheet-format.md`): parsing with JSON paths
//! in every error, validation against the catalog, and the result every paper form shows.
//!
//! [`parse`] turns text into a validated [`Worksheet`] or a [`WorksheetError`] listing every
//! problem; [`rate`] computes it and cannot fail; [`rate_json`] does both.

mod documents;
mod enforcement;
mod farm;
mod plant;
mod supplies;
pub mod wire;

use std::fmt;

use chrono::NaiveDate;
use serde_json::Value;

use crate::catalog::{Catalog, Form, DEFAULT_CATALOG};
use crate::exact::{from_json_number, Exact};
use crate::rating::lab::LabResult;
use crate::rating::Mark;

pub use documents::{
    farm_lab_from_ledger, plant_from_visit, plant_rating_visit, rating_visits,
    raw_milk_from_visits, LabBook, LedgerLab, MIN_LAB_FINDING_REASON, RATING_SPAN_DAYS,
};
pub use farm::{RawMilkResult, RawMilkWorksheet};
pub use plant::PlantWorksheet;
pub use supplies::CombinedWorksheet;

/// The format version this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// One thing wrong with a worksheet, at a JSON path (`farms[3].violations[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a worksheet was refused. No rating is computed from a refused worksheet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorksheetError {
    #[error("the worksheet is not valid JSON (line {line}, column {column}): {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the worksheet has {} problem(s):\n{}", .0.len(), list(.0))]
    Invalid(Vec<Problem>),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl WorksheetError {
    fn one(path: impl Into<String>, message: impl Into<String>) -> Self {
        WorksheetError::Invalid(vec![Problem {
            path: path.into(),
            message: message.into(),
        }])
    }

    /// The problems, with `$` as the path of a syntax error.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            WorksheetError::Syntax {
                line,
                column,
                message,
            } => vec![Problem {
                path: "$".into(),
                message: format!("line {line}, column {column}: {message}"),
            }],
            WorksheetError::Invalid(p) => p.clone(),
        }
    }
}

/// A validated worksheet, ready to rate.
#[derive(Debug, Clone)]
pub enum Worksheet {
    RawMilk(RawMilkWorksheet),
    Plant(PlantWorksheet),
    Combined(CombinedWorksheet),
    Enforcement(Box<enforcement::EnforcementWorksheet>),
}

/// The forms this version rates, for messages.
const FORMS: &str = "\"2359k\", \"2359L\", \"raw_milk_combined\" or \"2359j\"";

/// The head of a worksheet: its form, the rest skipped without being built.
#[derive(serde::Deserialize)]
struct Head {
    form: Option<Value>,
}

/// Parses and validates a worksheet. The text is read twice — once for its form, once into
/// that form's types with JSON-path tracking — and never built into a generic JSON tree.
pub fn parse(text: &str) -> Result<Worksheet, WorksheetError> {
    let head: Head = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            WorksheetError::one("$", "a worksheet is a JSON object")
        }
        _ => WorksheetError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        },
    })?;
    let form = match head.form {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(WorksheetError::one(
                "form",
                format!("must be one of {FORMS}"),
            ))
        }
        None => {
            return Err(WorksheetError::one(
                "form",
                format!("missing; give one of {FORMS}"),
            ))
        }
    };
    match form.as_str() {
        "2359k" => farm::validate(typed(text)?).map(Worksheet::RawMilk),
        "2359L" => plant::validate(typed(text)?).map(Worksheet::Plant),
        "raw_milk_combined" => supplies::validate(typed(text)?).map(Worksheet::Combined),
        "2359j" => enforcement::validate(typed(text)?).map(|w| Worksheet::Enforcement(Box::new(w))),
        other => Err(WorksheetError::one(
            "form",
            format!("unknown form \"{other}\"; expected {FORMS}"),
        )),
    }
}

fn typed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, WorksheetError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { "$".to_string() } else { path };
        WorksheetError::one(path, e.into_inner().to_string())
    })
}

/// A computed worksheet; it serializes to the JSON the paper form shows.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum RatingResult<'a> {
    RawMilk(Box<RawMilkResult<'a>>),
    Plant(Value),
    Combined(Value),
    Enforcement(Value),
}

impl RatingResult<'_> {
    /// The result as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Rates a validated worksheet.
pub fn rate(worksheet: &Worksheet) -> RatingResult<'_> {
    match worksheet {
        Worksheet::RawMilk(w) => RatingResult::RawMilk(Box::new(farm::rate(w))),
        Worksheet::Plant(w) => RatingResult::Plant(plant::rate(w)),
        Worksheet::Combined(w) => RatingResult::Combined(supplies::rate(w)),
        Worksheet::Enforcement(w) => RatingResult::Enforcement(enforcement::rate(w)),
    }
}

/// Parses, validates and rates a worksheet, returning the result as pretty JSON. The same
/// input always gives the same bytes.
pub fn rate_json(text: &str) -> Result<String, WorksheetError> {
    let worksheet = parse(text)?;
    let mut out = serde_json::to_string_pretty(&rate(&worksheet)).unwrap_or_default();
    out.push('\n');
    Ok(out)
}

/// Collects problems while validating.
#[derive(Default)]
pub(crate) struct Problems(Vec<Problem>);

impl Problems {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, WorksheetError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(WorksheetError::Invalid(self.0))
        }
    }
}

pub(crate) fn catalog(id: Option<&str>) -> Result<&'static Catalog, WorksheetError> {
    Catalog::builtin(id.unwrap_or(DEFAULT_CATALOG))
        .map_err(|e| WorksheetError::one("catalog", e.to_string()))
}

/// Volume in cwt from pounds (converted as the MMSR rounds, [`crate::policy::cwt_from_pounds`])
/// or given directly; exactly one of the two.
pub(crate) fn cwt(
    pounds: Option<u64>,
    cwt: Option<u64>,
    pounds_field: &str,
    path: &str,
    problems: &mut Problems,
) -> u64 {
    match (pounds, cwt) {
        (Some(p), None) => crate::policy::cwt_from_pounds(p),
        (None, Some(c)) => c,
        (Some(_), Some(_)) => {
            problems.push(
                path,
                format!("give either `{pounds_field}` or `cwt`, not both"),
            );
            0
        }
        (None, None) => {
            problems.push(
                path,
                format!("missing volume: give `{pounds_field}` or `cwt`"),
            );
            0
        }
    }
}

/// Resolves one violation to a column mark on `form`.
pub(crate) fn mark(
    form: &Form,
    form_name: &str,
    id: &str,
    points: Option<u32>,
    path: &str,
    problems: &mut Problems,
) -> Option<Mark> {
    let Some(column) = form.column_for_id(id) else {
        let subs: Vec<&str> = form
            .known_ids()
            .into_iter()
            .filter(|k| {
                k.strip_prefix(id).is_some_and(|rest| {
                    rest.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_uppercase() || c == '-')
                })
            })
            .collect();
        let hint = if subs.is_empty() {
            format!("known items: {}", form.known_ids().join(", "))
        } else {
            format!(
                "item {id} has sub-items on this form; name one of {}",
                subs.join(", ")
            )
        };
        problems.push(
            path,
            format!("unknown item \"{id}\" on FORM {form_name}; {hint}"),
        );
        return None;
    };
    let col = &form.columns[column];
    let points = match points {
        Some(p) if col.allows_points(p) => p,
        Some(p) => {
            problems.push(
                format!("{path}.points"),
                format!(
                    "item {id} takes {} point(s), not {p}",
                    or_list(&col.allowed_points())
                ),
            );
            return None;
        }
        None if col.weight.is_none() => {
            problems.push(
                path,
                format!(
                    "item {id} needs \"points\": {} (minor 2, major 5; MMSR Appendix B)",
                    or_list(&col.allowed_points())
                ),
            );
            return None;
        }
        None => col.default_points(),
    };
    Some(Mark { column, points })
}

fn or_list(v: &[u32]) -> String {
    v.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Reads lab results into [`LabResult`]s against a limit (`over` when the value exceeds it),
/// or, for drug residue (`limit` None), from `positive`.
pub(crate) fn lab_results(
    results: &[wire::ResultIn],
    limit: Option<&Exact>,
    path: &str,
    problems: &mut Problems,
) -> Vec<LabResult> {
    let mut out = Vec::with_capacity(results.len());
    for (i, r) in results.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let over = match (limit, &r.value, r.positive) {
            (Some(limit), Some(v), None) => match from_json_number(v) {
                Some(v) if v >= Exact::from_integer(0) || path.ends_with("temperature") => {
                    v > *limit
                }
                Some(_) => {
                    problems.push(format!("{p}.value"), "a count cannot be negative");
                    continue;
                }
                None => {
                    problems.push(format!("{p}.value"), "not a number this engine can read");
                    continue;
                }
            },
            (Some(_), _, _) => {
                problems.push(&p, "give the result's `value` (and no `positive`)");
                continue;
            }
            (None, None, Some(positive)) => positive,
            (None, _, _) => {
                problems.push(&p, "a drug residue result gives `positive`: true or false");
                continue;
            }
        };
        out.push(LabResult { date: r.date, over });
    }
    out
}

pub(crate) fn date_string(d: Option<NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| Value::String(d.to_string()))
}

#[cfg(test)]
mod tests;
