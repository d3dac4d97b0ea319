//! Importing laboratory results (CSV from an approved laboratory) into the lab ledger: the
//! whole file is checked first and refused with the line and field at fault, so nothing is
//! half-imported; then the ledger's actions due (written notices, suspensions) are computed by
//! `shared::ledger`.

use milkshed_shared::catalog::{Catalog, DEFAULT_CATALOG};
use milkshed_shared::exact::parse_decimal;
use milkshed_shared::rating::gates;

use crate::db::LabRow;

/// The columns a lab CSV must have, in this order.
pub const HEADER: [&str; 5] = [
    "lab_number",
    "sample_date",
    "subject_id",
    "standard",
    "value",
];

/// A problem with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CsvProblem {
    pub line: u64,
    pub field: String,
    pub message: String,
}

/// The limit of a standard for a dairy farm's milk (`farm`) or a plant's milk product: the
/// farm's bacterial standard is 100,000/mL, a pasteurized product's 20,000/mL (catalog
/// `lab_standards`); coliform exists only for products.
pub fn limit(standard: &str, farm: bool) -> Option<milkshed_shared::exact::Exact> {
    let c = Catalog::builtin(DEFAULT_CATALOG).ok()?;
    let form = if farm { &c.farm } else { &c.plant };
    form.lab_standard(standard).and_then(|s| s.limit_value())
}

/// A subject's results of one standard as the ledger counts them: `(date, over)`, one per day,
/// oldest first — same-day samples of several tanks averaged (`shared::ledger::daily_results`)
/// and judged by the subject's standard ([`limit`]).
pub fn history(
    conn: &crate::db::Conn,
    agency: &str,
    subject: &str,
    standard: &str,
) -> Result<Vec<(chrono::NaiveDate, bool)>, crate::db::DbError> {
    let (samples, farm) = crate::db::lab_samples(conn, agency, subject, standard)?;
    Ok(milkshed_shared::ledger::daily_results(
        &samples,
        limit(standard, farm).as_ref(),
    ))
}

/// One series as the ledger counts it: `(subject, standard, daily results (date, over))`.
pub type History = (String, String, Vec<(chrono::NaiveDate, bool)>);

/// Every series of the agency's ledger (of one subject when `only`) as [`history`] counts it,
/// from one query.
pub fn histories(
    conn: &crate::db::Conn,
    agency: &str,
    only: Option<&str>,
) -> Result<Vec<History>, crate::db::DbError> {
    Ok(crate::db::lab_samples_all(conn, agency, only)?
        .into_iter()
        .map(|(subject, standard, farm, samples)| {
            let daily =
                milkshed_shared::ledger::daily_results(&samples, limit(&standard, farm).as_ref());
            (subject, standard, daily)
        })
        .collect())
}

/// When a facility's permit was issued: the earliest `issued` event of its permits.
pub fn permit_issued(
    conn: &crate::db::Conn,
    facility: &str,
) -> Result<Option<chrono::NaiveDate>, crate::db::DbError> {
    Ok(crate::db::registry::permits_of(conn, facility)?
        .iter()
        .flat_map(|p| &p.history)
        .filter(|e| e.status == "issued")
        .filter_map(|e| e.effective_on.parse().ok())
        .min())
}

/// The agency's ledger of the given farms as a rating credits it: every series as
/// [`histories`] counts it and each farm's permit date (`shared::worksheet::LabBook`).
pub fn book(
    conn: &crate::db::Conn,
    agency: &str,
    farms: &[String],
) -> Result<milkshed_shared::worksheet::LabBook, crate::db::DbError> {
    let mut book = milkshed_shared::worksheet::LabBook::new();
    for farm in farms {
        let mut ledger = milkshed_shared::worksheet::LedgerLab {
            permit_issued: permit_issued(conn, farm)?,
            ..Default::default()
        };
        for (_, standard, daily) in histories(conn, agency, Some(farm))? {
            ledger.series.insert(standard, daily);
        }
        book.insert(farm.clone(), ledger);
    }
    Ok(book)
}

/// Judges each row against its subject's standard: dairy farms (as `is_farm` says) by the
/// farm's, anything else (a plant's milk product) by the plant's.
pub fn judge(rows: &mut [LabRow], is_farm: impl Fn(&str) -> bool) {
    for r in rows.iter_mut() {
        if r.standard == "drug_residue" {
            r.over = r.value == "positive";
            continue;
        }
        let limit = limit(&r.standard, is_farm(&r.subject_id));
        r.over = match (parse_decimal(&r.value), limit) {
            (Some(v), Some(l)) => v > l,
            _ => false,
        };
    }
}

/// The optional last column: the laboratory procedure code (seed 001 L237-274).
pub const PROCEDURE: &str = "procedure";

/// Checks one result — a CSV line, or one entered by hand — given as its fields in
/// [`HEADER`] order, then the optional procedure code. Every problem names `line` and its field.
pub fn check_row(line: u64, fields: &[&str]) -> Result<LabRow, Vec<CsvProblem>> {
    let mut problems = Vec::new();
    let field = |i: usize| {
        fields
            .get(i)
            .map(|f| f.trim())
            .unwrap_or_default()
            .to_string()
    };
    let mut bad = |f: &str, m: String| {
        problems.push(CsvProblem {
            line,
            field: f.into(),
            message: m,
        })
    };
    let lab_number = field(0);
    if lab_number.len() != 5 || !lab_number.chars().all(|c| c.is_ascii_digit()) {
        bad(
            "lab_number",
            format!("\"{lab_number}\" is not a 5-digit lab number (FIPS + 3)"),
        );
    }
    let sample_date = match milkshed_shared::calendar::parse_date(&field(1)) {
        Ok(d) => Some(d),
        Err(m) => {
            bad("sample_date", m);
            None
        }
    };
    let subject_id = field(2);
    if subject_id.is_empty() {
        bad("subject_id", "empty".into());
    }
    let standard = field(3);
    let value = field(4);
    let over = match standard.as_str() {
        "drug_residue" => match value.as_str() {
            "positive" => Some(true),
            "negative" => Some(false),
            _ => {
                bad(
                    "value",
                    "drug residue is \"positive\" or \"negative\"".into(),
                );
                None
            }
        },
        "bacteria" | "somatic_cells" | "cooling_temperature" | "coliform" => {
            match parse_decimal(&value) {
                Some(v)
                    if v < milkshed_shared::exact::Exact::from_integer(0)
                        && standard != "cooling_temperature" =>
                {
                    bad("value", format!("\"{value}\": a count is not negative"));
                    None
                }
                // judged against the subject's standard by `judge`
                Some(_) => Some(false),
                None => {
                    bad("value", format!("\"{value}\" is not a number"));
                    None
                }
            }
        }
        other => {
            bad("standard", format!("\"{other}\" is not bacteria, somatic_cells, cooling_temperature, coliform or drug_residue"));
            None
        }
    };
    let procedure = Some(field(5)).filter(|p| !p.is_empty());
    match (sample_date, over) {
        (Some(sample_date), Some(over)) if problems.is_empty() => Ok(LabRow {
            lab_number,
            sample_date,
            subject_id,
            standard,
            value,
            over,
            line,
            lab_classification: None,
            procedure,
        }),
        _ => Err(problems),
    }
}

/// Parses and checks a lab CSV; every problem is reported, none imported when any.
pub fn parse(text: &str) -> Result<Vec<LabRow>, Vec<CsvProblem>> {
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let with_procedure = HEADER.iter().copied().chain([PROCEDURE]);
    match reader.headers() {
        Ok(h) if h.iter().eq(HEADER.iter().copied()) || h.iter().eq(with_procedure) => {}
        Ok(h) => problems.push(CsvProblem {
            line: 1,
            field: "header".into(),
            message: format!(
                "expected {} (and optionally ,{PROCEDURE}), found {}",
                HEADER.join(","),
                h.iter().collect::<Vec<_>>().join(",")
            ),
        }),
        Err(e) => problems.push(CsvProblem {
            line: 1,
            field: "header".into(),
            message: e.to_string(),
        }),
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let columns = reader.headers().map(|h| h.len()).unwrap_or(HEADER.len());
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let record = match record {
            Ok(r) if r.len() == columns => r,
            Ok(r) => {
                problems.push(CsvProblem {
                    line,
                    field: "line".into(),
                    message: format!("{} fields, the header has {columns}", r.len()),
                });
                continue;
            }
            Err(e) => {
                problems.push(CsvProblem {
                    line,
                    field: "line".into(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let fields: Vec<&str> = record.iter().collect();
        match check_row(line, &fields) {
            Ok(row) => rows.push(row),
            Err(p) => problems.extend(p),
        }
    }
    if problems.is_empty() && rows.is_empty() {
        problems.push(CsvProblem {
            line: 2,
            field: "line".into(),
            message: "the file has no results".into(),
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// A register entry as the shared laboratory rule reads it.
pub fn lab_used(
    lab: &crate::db::registry::Laboratory,
    edition: &milkshed_shared::reference::Edition,
) -> gates::LabUsed {
    gates::LabUsed {
        lab_number: lab.lab_number.clone(),
        name: lab.name.clone(),
        classification: lab.classification.clone(),
        usable: edition.classification_usable(&lab.classification) == Some(true),
        approved_until: lab.approved_until.parse().ok(),
    }
}

/// Checks each result's laboratory against the agency's register: the laboratory must be
/// listed, of a classification usable for official IMS tests (F or C, seed 001 L290-295) and
/// approved on the sample date (ratings may not use results of an unapproved laboratory, MMSR
/// L318-319, L502-504). Records the classification on each row; every refusal names its line.
pub fn check_laboratories(
    rows: &mut [LabRow],
    labs: &[crate::db::registry::Laboratory],
    edition: &milkshed_shared::reference::Edition,
) -> Result<(), Vec<CsvProblem>> {
    let mut problems = Vec::new();
    for r in rows.iter_mut() {
        let mut bad = |m: String| {
            problems.push(CsvProblem {
                line: r.line,
                field: "lab_number".into(),
                message: m,
            })
        };
        if let Err(m) = edition.lab_kind(&r.lab_number) {
            bad(m);
            continue;
        }
        let lab = labs.iter().find(|l| l.lab_number == r.lab_number);
        if let Err(why) =
            gates::laboratory_usable(lab.map(|l| lab_used(l, edition)).as_ref(), r.sample_date)
        {
            bad(format!(
                "laboratory {} {why} (sample of {})",
                r.lab_number, r.sample_date
            ));
            continue;
        }
        let Some(lab) = lab else { continue };
        if let Some(code) = &r.procedure {
            if !edition.lab_procedures.iter().any(|p| &p.code == code) {
                // the fault is the procedure column's, not the laboratory's
                problems.push(CsvProblem {
                    line: r.line,
                    field: "procedure".into(),
                    message: format!(
                        "\"{code}\" is not a laboratory procedure code of {}",
                        edition.title
                    ),
                });
                continue;
            }
        }
        r.lab_classification = Some(lab.classification.clone());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_parses_and_marks_results_over_the_standard() {
        let mut rows = parse("lab_number,sample_date,subject_id,standard,value\n55001,2026-10-05,farm-1,bacteria,150000\n55001,2026-10-05,farm-1,somatic_cells,200000\n55001,2026-10-05,farm-1,drug_residue,negative\n55001,2026-10-05,plant-1/2% milk,bacteria,50000\n55001,2026-10-05,farm-2,bacteria,50000\n").unwrap();
        assert_eq!(rows.len(), 5);
        judge(&mut rows, |s| s.starts_with("farm"));
        let over: Vec<bool> = rows.iter().map(|r| r.over).collect();
        // 50,000/mL is within a farm's 100,000 and over a pasteurized product's 20,000
        assert_eq!(over, [true, false, false, true, false]);
    }

    #[test]
    fn every_bad_line_and_field_is_named() {
        let p = parse("lab_number,sample_date,subject_id,standard,value\n55001,2026-10-05,farm-1,bacteria,150000\n5500,2026-13-05,farm-1,bacteria,abc\n55001,2026-10-05,farm-1,yeast,3\n").unwrap_err();
        let found: Vec<(u64, &str)> = p.iter().map(|p| (p.line, p.field.as_str())).collect();
        assert_eq!(
            found,
            [
                (3, "lab_number"),
                (3, "sample_date"),
                (3, "value"),
                (4, "standard")
            ]
        );
        let p = parse("date,farm\n").unwrap_err();
        assert_eq!(p[0].field, "header");
    }

    #[test]
    fn results_of_unlisted_removed_or_lapsed_laboratories_are_refused() {
        use crate::db::registry::Laboratory;
        let labs = [
            Laboratory {
                lab_number: "55001".into(),
                name: "State Central Lab".into(),
                classification: "F".into(),
                approved_until: "2027-06-30".into(),
            },
            Laboratory {
                lab_number: "55150".into(),
                name: "Badger Commercial".into(),
                classification: "N".into(),
                approved_until: "2027-06-30".into(),
            },
            Laboratory {
                lab_number: "55160".into(),
                name: "Lapsed Lab".into(),
                classification: "C".into(),
                approved_until: "2026-05-31".into(),
            },
        ];
        let edition = milkshed_shared::reference::Edition::builtin(
            milkshed_shared::reference::DEFAULT_EDITION,
        )
        .unwrap();
        let mut rows = parse("lab_number,sample_date,subject_id,standard,value\n55001,2026-06-05,farm-1,bacteria,1\n55150,2026-06-05,farm-1,bacteria,1\n55160,2026-06-05,farm-1,bacteria,1\n55999,2026-06-05,farm-1,bacteria,1\n").unwrap();
        let p = check_laboratories(&mut rows, &labs, edition).unwrap_err();
        let lines: Vec<u64> = p.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(p[0].message.contains("classified N"));
        assert!(p[1].message.contains("approved until 2026-05-31"));
        assert!(p[2].message.contains("not in this agency's register"));
        let mut good = rows[..1].to_vec();
        check_laboratories(&mut good, &labs, edition).unwrap();
        assert_eq!(good[0].lab_classification.as_deref(), Some("F"));
    }

    #[test]
    fn an_optional_procedure_column_and_a_short_line() {
        let rows = parse("lab_number,sample_date,subject_id,standard,value,procedure\n55001,2026-10-05,farm-1,somatic_cells,200000,16\n55001,2026-10-05,farm-1,bacteria,9000,\n").unwrap();
        assert_eq!(rows[0].procedure.as_deref(), Some("16"));
        assert_eq!(rows[1].procedure, None);
        let p =
            parse("lab_number,sample_date,subject_id,standard,value\n55001,2026-10-05,farm-1\n")
                .unwrap_err();
        assert_eq!((p[0].line, p[0].field.as_str()), (2, "line"));
        let p = check_row(1, &["55001", "yesterday", "", "bacteria", "x"]).unwrap_err();
        let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["sample_date", "subject_id", "value"]);
    }
}

/// One standard of a subject's ledger as the desk shows it.
#[derive(Debug, Clone)]
pub struct StandardLedger {
    pub standard: String,
    /// The last five daily results, `(date, over)`, oldest first.
    pub last: Vec<(chrono::NaiveDate, bool)>,
    /// What the ledger calls for today (`shared::ledger::action_after`, the board's rule).
    pub action: milkshed_shared::ledger::LedgerAction,
    /// Every sample of the last 12 months, `(date, value, over)` (drug residue: 1 or 0).
    pub year: Vec<(chrono::NaiveDate, f64, bool)>,
    /// The standard's limit for the subject, when it has one.
    pub limit: Option<f64>,
}

fn as_f64(v: &milkshed_shared::exact::Exact) -> f64 {
    *v.numer() as f64 / *v.denom() as f64
}

/// A subject's ledger per standard: the last 4/5 with what they call for, and the year's
/// samples for the chart.
pub fn ledger_of(
    conn: &crate::db::Conn,
    agency: &str,
    subject: &str,
    today: chrono::NaiveDate,
) -> Result<Vec<StandardLedger>, crate::db::DbError> {
    use milkshed_shared::ledger::Reading;
    let mut out = Vec::new();
    for standard in crate::service::publish::lab_standards() {
        let (samples, farm) = crate::db::lab_samples(conn, agency, subject, &standard)?;
        if samples.is_empty() {
            continue;
        }
        let lim = limit(&standard, farm);
        let daily = milkshed_shared::ledger::daily_results(&samples, lim.as_ref());
        let skip = daily.len().saturating_sub(5);
        let from = milkshed_shared::calendar::minus_days(today, 365);
        let year = samples
            .iter()
            .filter(|(d, _)| *d > from && *d <= today)
            .map(|(d, r)| match r {
                Reading::Value(v) => (*d, as_f64(v), lim.as_ref().is_some_and(|l| v > l)),
                Reading::Positive(p) => (*d, if *p { 1.0 } else { 0.0 }, *p),
            })
            .collect();
        out.push(StandardLedger {
            standard,
            action: milkshed_shared::ledger::action_after(&daily, today),
            last: daily[skip..].to_vec(),
            year,
            limit: lim.as_ref().map(as_f64),
        });
    }
    Ok(out)
}
