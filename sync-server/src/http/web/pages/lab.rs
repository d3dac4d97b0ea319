//! The laboratory on the desk: a lab CSV uploaded (the API's whole-or-nothing check), one
//! result entered by hand, and each farm's ledger — the last 4/5 per standard with what they
//! call for, and a small chart of the year's samples against the standard.

use super::*;
use crate::http::web::WebForm;
use crate::service::lab::{self, CsvProblem, StandardLedger};
use crate::service::office;
use milkshed_shared::ledger::LedgerAction;

fn forms(s: &WebSession, farms: &[reg::Facility]) -> Markup {
    html! {
        h2 { "Upload a laboratory CSV" }
        form method="post" action="/review/lab/import" enctype="multipart/form-data" #lab-upload .filters {
            (csrf_field(s))
            label { "CSV file" input type="file" name="csv" accept=".csv,text/csv" required; }
            button type="submit" { "Import the results" }
        }
        p.muted { "Columns: lab_number, sample_date, subject_id, standard, value, procedure. The file is imported whole or not at all." }
        h2 { "Enter one result" }
        form method="post" action="/review/lab/entry" #lab-entry .filters {
            (csrf_field(s))
            label { "Laboratory number" input name="lab_number" required; }
            label { "Sampled on" input type="date" name="sample_date" required; }
            label { "Farm" select name="subject_id" { @for f in farms { option value=(f.id) { (f.name) } } } }
            label { "Standard" select name="standard" { @for st in crate::service::publish::lab_standards() { option value=(st) { (st.replace('_', " ")) } } } }
            label { "Value" input name="value" required; }
            label { "Procedure" input name="procedure"; }
            button type="submit" { "Record" }
        }
    }
}

fn farms_of(conn: &crate::db::Conn, agency: &str) -> PageResult<Vec<reg::Facility>> {
    Ok(reg::facilities(conn, agency)?
        .into_iter()
        .filter(|f| f.kind == "dairy_farm")
        .collect())
}

/// `GET /review/lab`.
pub async fn lab_page(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let farms = farms_of(&conn, &s.agency_id)?;
        let today = reg::agency_today(&conn, &s.agency_id)?;
        let labs = reg::laboratories(&conn, &s.agency_id)?;
        // the board's lab lines alone (the same rule), not the whole board
        let names: std::collections::HashMap<&str, &str> = farms.iter().map(|f| (f.id.as_str(), f.name.as_str())).collect();
        let breaches = crate::service::board::lab_breaches(&conn, &s.agency_id, today, None, &|id| {
            names.get(id).map_or_else(|| id.to_string(), |n| n.to_string())
        })?;
        drop(conn);
        let body = html! {
            @if !breaches.is_empty() {
                h2 { "What the ledgers call for (" (breaches.len()) ")" }
                ul #lab-breaches { @for l in breaches.iter().take(200) { li.breach { a href={"/review/lab/" (l.subject_id)} { (l.subject) } ": " (l.standard.replace('_', " ")) " — " (l.detail) } } }
            }
            (forms(&s, &farms))
            h2 { "Approved laboratories" }
            table #laboratories { thead { tr { th { "Number" } th { "Name" } th { "Classification" } th { "Approved until" } } }
                tbody { @for l in &labs { tr { td { (l.lab_number) } td { (l.name) } td { (l.classification) } td { (l.approved_until) } } } } }
            @if super::desk::keeps_registry(&s) {
                form.filters method="post" action="/review/lab/laboratories" #laboratory-form {
                    (csrf_field(&s))
                    label { "Lab number (FIPS + 3)" input name="lab_number" required maxlength="5"; }
                    label { "Name" input name="name" required; }
                    label { "Classification" select name="classification" { option value="F" { "F — approved" } option value="C" { "C — conditional" } option value="N" { "N — removed" } } }
                    label { "Approved until" input type="date" name="approved_until" required; }
                    button type="submit" { "Record the approval" }
                }
            }
            h2 { "Farms' ledgers" }
            ul.grid { @for f in &farms { li { a href={"/review/lab/" (f.id)} { (f.name) } } } }
        };
        Ok(page(&s, "Laboratory", body))
    })
    .await
}

fn action_text(a: &LedgerAction) -> Option<String> {
    match a {
        LedgerAction::None => None,
        LedgerAction::WarningLetter { resample_from, resample_by } => Some(format!(
            "2 of the last 4 over the standard: send the written notice; an additional sample between {resample_from} and {resample_by} (MMSR L8184-8186)"
        )),
        LedgerAction::Suspension => Some(
            "3 of the last 5 over the standard: suspension, or a monetary penalty in lieu (MMSR L8187-8193)".into(),
        ),
    }
}

/// The answer to an upload or an entry: what was imported and what is now due, or every line
/// and field at fault with nothing imported.
fn outcome(s: &WebSession, r: Result<serde_json::Value, Vec<CsvProblem>>) -> Response {
    match r {
        Ok(v) => {
            let actions = v["actions"].as_array().cloned().unwrap_or_default();
            let body = html! {
                p.ok #lab-imported { (v["imported"].as_u64().unwrap_or(0)) " results recorded." }
                @if !actions.is_empty() {
                    h2 { "Now due" }
                    ul #lab-actions { @for a in &actions {
                        @let subject = a["subject_id"].as_str().unwrap_or_default();
                        li.breach { a href={"/review/lab/" (subject)} { (subject) } " — " (a["standard"].as_str().unwrap_or_default().replace('_', " ")) ": "
                            @match a["action"].as_str() {
                                Some("warning_letter") => { "2 of the last 4 over: written notice; resample between " (a["resample_from"].as_str().unwrap_or_default()) " and " (a["resample_by"].as_str().unwrap_or_default()) }
                                _ => { "3 of the last 5 over: suspension" }
                            }
                            " · " a href={"/review/facilities/" (subject)} { "record the action" }
                        }
                    } }
                }
                p { a href="/review/lab" { "Back to the laboratory" } }
            };
            page(s, "Laboratory results", body).into_response()
        }
        Err(problems) => {
            let body = html! {
                p.error role="alert" #lab-refused { "Nothing was imported: " (problems.len()) " problem" @if problems.len() != 1 { "s" } "." }
                table #lab-problems { thead { tr { th { "Line" } th { "Field" } th { "Problem" } } }
                    tbody { @for p in &problems { tr { td { (p.line) } td { (p.field) } td { (p.message) } } } } }
                p { a href="/review/lab" { "Back to the laboratory" } }
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                page(s, "Laboratory results", body),
            )
                .into_response()
        }
    }
}

/// `POST /review/lab/import`.
pub async fn import(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let text = form.get("csv").unwrap_or_default().to_string();
    run(move || {
        let r = match lab::parse(&text) {
            Ok(rows) => office::record_lab_results(&state.db, &s.caller(), rows)?,
            Err(p) => Err(p),
        };
        Ok(outcome(&s, r))
    })
    .await
}

/// `POST /review/lab/entry`.
pub async fn entry(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let f = |k: &str| form.get(k).unwrap_or_default().trim().to_string();
    let fields = [
        f("lab_number"),
        f("sample_date"),
        f("subject_id"),
        f("standard"),
        f("value"),
        f("procedure"),
    ];
    run(move || {
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        let r = match lab::check_row(1, &refs) {
            Ok(row) => office::record_lab_results(&state.db, &s.caller(), vec![row])?,
            Err(p) => Err(p),
        };
        Ok(outcome(&s, r))
    })
    .await
}

/// A small chart of a standard's year: one dot a sample (red when over), the standard as a
/// dashed line; plain SVG, no script.
fn chart(l: &StandardLedger, today: NaiveDate) -> Markup {
    const W: f64 = 360.0;
    const H: f64 = 90.0;
    let from = milkshed_shared::calendar::minus_days(today, 365);
    let top = l
        .year
        .iter()
        .map(|p| p.1)
        .chain(l.limit)
        .fold(1.0_f64, f64::max)
        * 1.15;
    let x = |d: NaiveDate| ((d - from).num_days() as f64 / 365.0 * (W - 20.0) + 10.0).clamp(0.0, W);
    let y = |v: f64| (H - 10.0 - v / top * (H - 20.0)).clamp(0.0, H);
    html! {
        svg.chart width=(W) height=(H) viewBox={"0 0 " (W) " " (H)} role="img" aria-label={(l.standard.replace('_', " ")) ", last 12 months"} {
            rect x="0" y="0" width=(W) height=(H) fill="#fff" stroke="#dde2dc" {}
            @if let Some(lim) = l.limit {
                line x1="0" x2=(W) y1=(format!("{:.1}", y(lim))) y2=(format!("{:.1}", y(lim))) stroke="#a01414" stroke-dasharray="4 3" {}
            }
            @for (d, v, over) in &l.year {
                circle cx=(format!("{:.1}", x(*d))) cy=(format!("{:.1}", y(*v))) r="3" fill=(if *over { "#a01414" } else { "#1d6b33" }) { title { (d) ": " (v) } }
            }
        }
    }
}

/// `GET /review/lab/{id}`: a farm's ledger.
pub async fn ledger(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let f = reg::facility(&conn, &s.agency_id, &id)?.ok_or_else(|| PageError::not_found("facility"))?;
        let today = reg::agency_today(&conn, &s.agency_id)?;
        let ledgers = lab::ledger_of(&conn, &s.agency_id, &id, today)?;
        drop(conn);
        let body = html! {
            p { a href={"/review/facilities/" (f.id)} { (f.name) } " · as of " (today) }
            @if ledgers.is_empty() { p.muted { "No official results yet." } }
            @for l in &ledgers {
                section.standard id={"ledger-" (l.standard)} {
                    h2 { (l.standard.replace('_', " ")) @if let Some(lim) = l.limit { span.muted { " (standard " (lim) ")" } } }
                    @if let Some(t) = action_text(&l.action) { p.breach.ledger-warning { (t) } }
                    table.ledger { thead { tr { th { "Day" } th { "Result" } } }
                        tbody { @for (d, over) in &l.last { tr { td { (d) } td { @if *over { span.breach { "over" } } @else { "within" } } } } } }
                    (chart(l, today))
                }
            }
        };
        Ok(page(&s, &format!("Laboratory ledger: {}", f.name), body))
    })
    .await
}
