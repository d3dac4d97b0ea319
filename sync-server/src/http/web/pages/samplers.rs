//! The sampler records on the review pages: a hauler/sampler's history card (on its facility
//! page), the annual notice of all samplers and evaluations (HTML, CSV, PDF), and FORM 2359j
//! Section C as the record shows it for a rating (on the rating sheet). Computed by
//! `service::samplers` over `shared::sampling::records`.

use super::*;
use crate::service::samplers::{self, HistoryCard};
use milkshed_shared::rating::enforcement::EnforcementForm;
use milkshed_shared::sampling::records::SectionCRecord;
use milkshed_shared::sampling::{Outcome, SamplerKind};

fn item_list(items: &[String]) -> Markup {
    let form = SamplerKind::BulkMilkHaulerSampler.form();
    html! {
        @if items.is_empty() { span.muted { "none" } }
        @else { ul { @for i in items { li { strong { (i) } " " (form.text_of(i).unwrap_or_default()) } } } }
    }
}

/// The history card of a hauler/sampler (MMSR L8704-8705): every evaluation on file with its
/// pick-up, outcome and violations, the repeat violations, the next evaluation due.
pub(super) fn history_card(card: &HistoryCard) -> Markup {
    html! {
        section #history-card {
            h2 { "History card — FORM FDA 2399a evaluations (" (card.evaluations.len()) ")" }
            @if let Some(due) = &card.next_due {
                p #next-evaluation { "Next evaluation due by " strong { (due.due) } " — " span.muted { (due.rule) } }
            }
            @if let Some(r) = &card.action_owed {
                p.breach #action-owed { "Repeat violation at the evaluation of " (r.on)
                    @if !r.items.is_empty() { " (items " (r.items.join(", ")) ")" }
                    @if r.unsatisfactory_twice { " — unsatisfactory twice running" }
                    ": action on the permit and re-evaluation are owed (MMSR L8697-8698)." }
            }
            @if card.evaluations.is_empty() { p.muted { "No evaluation on file." } }
            @else {
                table #evaluations {
                    thead { tr { th { "Evaluated" } th { "Evaluator" } th { "Pick-up" } th { "Temperature / sample" } th { "Outcome" } th { "Out of compliance" } } }
                    tbody { @for (row, e) in card.evaluations.iter().rev() { tr {
                        td { a href={"/review/inspections/" (row.inspection_id)} { (e.on) } " " (status_pill(&row.status)) }
                        td { (e.evaluator) }
                        td { (row.producer) @if !row.tank_truck.is_empty() { br; span.muted { "truck " (row.tank_truck) } } }
                        td { @if !row.milk_temperature_f.is_empty() { (row.milk_temperature_f) " °F" } br; span.muted { (row.sample_id) } }
                        td { @match e.outcome {
                            Some(Outcome::Satisfactory) => { span.ok { "satisfactory" } }
                            Some(Outcome::Unsatisfactory { reevaluate_by }) => { span.breach { "unsatisfactory" } br; "re-evaluate by " (reevaluate_by) }
                            None => { span.muted { "not recorded" } }
                        } }
                        td { (item_list(&e.deviations)) }
                    } } }
                }
            }
            @if !card.repeats.is_empty() {
                h3 { "Repeat violations" }
                ul { @for r in &card.repeats { li {
                    (r.on) ": " @if r.items.is_empty() { "unsatisfactory after an unsatisfactory evaluation" } @else { "items " (r.items.join(", ")) " again" }
                    @if card.actions_issued.iter().any(|a| *a >= r.on) { " — " span.ok { "action taken" } } @else { " — " span.breach { "no action since" } }
                } } }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct YearQuery {
    pub(crate) year: Option<i32>,
}

fn year_of(state: &AppState, s: &WebSession, q: &YearQuery) -> PageResult<i32> {
    Ok(samplers::notice_year(
        &reader(state)?,
        &s.agency_id,
        q.year,
    )?)
}

/// `GET /review/samplers?year=YYYY`: the annual notice to the proper agencies of all samplers
/// and all evaluations of the year (MMSR L8682-8683), with its CSV and PDF.
pub async fn samplers_notice(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Query(q): Query<YearQuery>,
) -> PageResult<Html<String>> {
    run(move || {
        let year = year_of(&state, &s, &q)?;
        let n = samplers::annual_notice(&reader(&state)?, &s.agency_id, year)?;
        let body = html! {
            p { "Annual notice to the proper agencies of all samplers and all evaluations (MMSR L8682-8683): "
                strong #notice-count { (n.samplers.len()) " samplers, " (n.evaluation_count()) " evaluations in " (year) } "." }
            p { a #notice-csv href={"/review/samplers/notice.csv?year=" (year)} { "CSV" } " · "
                a #notice-pdf href={"/review/samplers/notice.pdf?year=" (year)} { "PDF" } " · "
                a href={"/review/samplers?year=" (year - 1)} { (year - 1) } " · "
                a href={"/review/samplers?year=" (year + 1)} { (year + 1) } }
            table #notice {
                thead { tr { th { "Sampler" } th { "Permit" } th { "Status" } th { "Evaluations in " (year) } th { "Next due" } } }
                tbody { @for x in &n.samplers { tr {
                    td { a href={"/review/facilities/" (x.facility_id)} { (x.name) } }
                    td { (x.permit) " (" (x.issuing_state) ")" }
                    td { (x.permit_status) }
                    td { @if x.evaluations.is_empty() { span.muted { "none" } }
                        @else { ul { @for e in &x.evaluations { li {
                            a href={"/review/inspections/" (e.inspection_id)} { (e.evaluated_on) } " by " (e.evaluator) ": " (e.outcome)
                            @if let Some(by) = &e.reevaluate_by { " — re-evaluate by " (by) }
                        } } } } }
                    td { (x.next_due.clone().unwrap_or_default()) }
                } } }
            }
        };
        Ok(page(&s, &format!("Samplers and evaluations {year}"), body))
    })
    .await
}

/// `GET /review/samplers/notice.pdf?year=YYYY`
pub async fn samplers_notice_pdf(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Query(q): Query<YearQuery>,
) -> PageResult<Response> {
    run(move || {
        let year = year_of(&state, &s, &q)?;
        let n = samplers::annual_notice(&reader(&state)?, &s.agency_id, year)?;
        Ok(pdf_response(
            &format!("samplers-{year}.pdf"),
            samplers::notice_pdf(&n),
        ))
    })
    .await
}

/// FORM 2359j Section C as the record shows it for a rating: the counts of items 1, 3-7 and
/// item 8's number, every identified sampler with why it counts against an item, and the
/// `section_c` rows for the 2359j worksheet (items 2 and 8's complying left to the officer).
pub(super) fn section_c(r: &SectionCRecord) -> Markup {
    let form = EnforcementForm::builtin();
    let text = |no: u32| {
        form.and_then(|f| f.section_c.iter().find(|i| i.no == no))
            .map(|i| format!("{} (weight {})", i.text, i.weight))
            .unwrap_or_default()
    };
    let rows: serde_json::Map<String, serde_json::Value> = r
        .counted
        .iter()
        .map(|(no, c)| {
            (
                no.to_string(),
                serde_json::json!({"number": c.number, "complying": c.complying}),
            )
        })
        .collect();
    html! {
        section #section-c {
            h2 { "FORM 2359j Section C — from the record on " (r.on) }
            p.muted { "Hauler/samplers identified at the rated farms from at least 30 days of records (MMSR L281-287), counted against the agency's permits, evaluations and actions. Item 2 (training) and item 8's complying are the rating officer's appraisal." }
            table #section-c-counts {
                thead { tr { th { "Item" } th { "Number" } th { "Complying" } } }
                tbody {
                    @for (no, c) in &r.counted { tr { td { (no) ". " (text(*no)) } td { (c.number) } td { (c.complying) } } }
                    tr { td { "8. " (text(8)) } td { (r.item8_number) } td.muted { "officer's appraisal" } }
                }
            }
            @if r.samplers.is_empty() { p.breach { "No hauler/sampler was identified at the rated farms: record them at each farm visit (MMSR L281-287)." } }
            @else {
                table #section-c-samplers {
                    thead { tr { th { "Hauler/sampler" } th { "Permit" } th { "Item 4" } th { "Item 5" } th { "Item 6" } th { "Item 7" } th { "Remarks" } } }
                    tbody { @for x in &r.samplers { tr {
                        td { @if let Some(id) = &x.facility_id { a href={"/review/facilities/" (id)} { (x.sampler.name) } } @else { (x.sampler.name) } }
                        td { (x.sampler.permit) " (" (x.sampler.state) ")" }
                        td { (yes_no(x.permitted)) } td { (yes_no(x.evaluated)) }
                        td { @if x.evaluated { (yes_no(x.in_compliance)) } @else { span.muted { "—" } } }
                        td { (yes_no(x.owed.is_none())) }
                        td { ul { @for m in &x.remarks { li { (m) } } } }
                    } } }
                }
            }
            p { "Worksheet rows (" code { "part_i.9.section_c" } "): " code #section-c-json { (serde_json::Value::Object(rows)) } }
        }
    }
}

fn yes_no(ok: bool) -> Markup {
    html! { @if ok { span.ok { "yes" } } @else { span.breach { "no" } } }
}
