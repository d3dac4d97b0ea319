//! Bulk import of facilities and their permits from CSV: every row goes through the registry's
//! own entry ([`add_facility_in`]) inside one transaction, each in a savepoint so one bad row
//! does not hide the next; the whole file is written only when every row is good. The preview
//! runs the same and rolls back, so what it shows is what the import does.

use super::*;
use crate::service::lab::CsvProblem;

/// The columns of a registry CSV, in any order (`name` is required; the rest as a facility
/// needs them).
pub const COLUMNS: [&str; 9] = [
    "id",
    "kind",
    "name",
    "number",
    "permit_state",
    "pounds_daily",
    "permit_number",
    "permit_issued_on",
    "listing",
];

/// Most rows one file may carry.
pub const MAX_ROWS: usize = 20_000;

/// One row as checked: its line, the facility, and the warnings it raised.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportedRow {
    pub line: u64,
    pub id: String,
    pub name: String,
    pub kind: String,
    pub warnings: Vec<String>,
    #[serde(skip)]
    listing: Option<String>,
}

/// What a file would do (preview) or did (import).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportOutcome {
    pub rows: Vec<ImportedRow>,
    pub problems: Vec<CsvProblem>,
    pub written: bool,
}

fn problem(line: u64, message: &str) -> CsvProblem {
    // the registry's refusals start with the field at fault ("number: ...")
    let (field, message) = match message.split_once(": ") {
        Some((f, m)) if f.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
            let f = match f {
                "permit" => "permit_number",
                other => other,
            };
            (f.to_string(), m.to_string())
        }
        _ => ("row".to_string(), message.to_string()),
    };
    CsvProblem {
        line,
        field,
        message,
    }
}

/// The row as the registry's input.
fn facility_of(
    get: &dyn Fn(&str) -> Option<String>,
    line: u64,
) -> Result<FacilityInput, CsvProblem> {
    let mut v = serde_json::Map::new();
    if let Some(id) = get("id") {
        v.insert("id".into(), json!(id));
    }
    v.insert(
        "kind".into(),
        json!(get("kind").unwrap_or_else(|| "dairy_farm".into())),
    );
    v.insert("name".into(), json!(get("name").unwrap_or_default()));
    for k in ["number", "permit_state", "listing"] {
        if let Some(x) = get(k) {
            v.insert(k.into(), json!(x));
        }
    }
    if let Some(p) = get("pounds_daily") {
        let n: i64 = p.replace(',', "").parse().map_err(|_| CsvProblem {
            line,
            field: "pounds_daily".into(),
            message: format!("\"{p}\" is not a whole number of pounds"),
        })?;
        v.insert("pounds_daily".into(), json!(n));
    }
    match (get("permit_number"), get("permit_issued_on")) {
        (None, None) => {}
        (Some(number), Some(on)) => {
            v.insert("permit".into(), json!({"number": number, "issued_on": on}));
        }
        (Some(_), None) => {
            return Err(CsvProblem {
                line,
                field: "permit_issued_on".into(),
                message: "the permit's date of issue, YYYY-MM-DD".into(),
            })
        }
        (None, Some(_)) => {
            return Err(CsvProblem {
                line,
                field: "permit_number".into(),
                message: "a permit's date without its number".into(),
            })
        }
    }
    FacilityInput::from_json(&Value::Object(v)).map_err(|e| problem(line, &e))
}

/// Checks (and when `write`, imports) a registry CSV as `caller`.
pub fn import_facilities(
    db: &Db,
    caller: &Caller,
    text: &str,
    write: bool,
) -> ServiceResult<ImportOutcome> {
    allow(caller, OFFICE, "change the facility registry")?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ServiceError::bad_request(format!("line 1: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut problems = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(CsvProblem {
                line: 1,
                field: h.clone(),
                message: format!("unknown column; the columns are {}", COLUMNS.join(", ")),
            });
        }
    }
    if !headers.iter().any(|h| h == "name") {
        problems.push(CsvProblem {
            line: 1,
            field: "name".into(),
            message: "the header has no name column".into(),
        });
    }
    if !problems.is_empty() {
        return Ok(ImportOutcome {
            rows: Vec::new(),
            problems,
            written: false,
        });
    }
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        if n >= MAX_ROWS {
            problems.push(CsvProblem {
                line,
                field: "row".into(),
                message: format!("a file holds at most {MAX_ROWS} rows"),
            });
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(CsvProblem {
                    line,
                    field: "row".into(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let get = |k: &str| -> Option<String> {
            let i = headers.iter().position(|h| h == k)?;
            record
                .get(i)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let f = match facility_of(&get, line) {
            Ok(f) => f,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        // enter_facility checks everything before it writes: a refused row leaves nothing
        match enter_facility(&tx, &caller.agency_id, caller.user_id.as_str(), &f) {
            Ok(id) => {
                rows.push(ImportedRow {
                    line,
                    id,
                    name: get("name").unwrap_or_default(),
                    kind: get("kind").unwrap_or_else(|| "dairy_farm".into()),
                    warnings: Vec::new(),
                    listing: f.listing().map(str::to_string),
                });
            }
            Err(e) if e.code != ErrorCode::Internal => {
                problems.push(problem(line, &e.message));
            }
            Err(e) => return Err(e),
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(CsvProblem {
            line: 2,
            field: "row".into(),
            message: "the file has no rows".into(),
        });
    }
    // each listing's 40 % warning once, on the rows that join it
    let mut listings: Vec<&str> = rows.iter().filter_map(|r| r.listing.as_deref()).collect();
    listings.sort_unstable();
    listings.dedup();
    let mut warned = std::collections::HashMap::new();
    for l in listings {
        warned.insert(l.to_string(), warnings_for(&tx, Some(l))?);
    }
    for r in rows.iter_mut() {
        if let Some(w) = r.listing.as_ref().and_then(|l| warned.get(l)) {
            r.warnings = w.clone();
        }
    }
    let written = write && problems.is_empty();
    if written {
        // the devices' briefcase gets every facility kept
        for r in &rows {
            crate::service::publish::publish_reference(&tx, &caller.agency_id, &r.id)?;
        }
        audit(
            &tx,
            caller,
            "facility.imported",
            &format!("{} rows", rows.len()),
            format!(
                "{} facilities imported from CSV: {}",
                rows.len(),
                rows.iter()
                    .take(5)
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if rows.len() > 5 { ", …" } else { "" }
            ),
        )?;
        tx.commit()?;
    } else {
        tx.rollback()?;
    }
    Ok(ImportOutcome {
        rows,
        problems,
        written,
    })
}
