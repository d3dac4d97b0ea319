//! Each sampler's record (MMSR L8697-8708): the history card of every evaluation with its
//! pick-up, outcome and violations beside the permit history; the repeat violations that call
//! for action on the permit (the board's line); the annual notice to the proper agencies of all
//! samplers and their evaluations (L8682-8683) as CSV and PDF; and FORM 2359j Section C counted
//! from the hauler/samplers a rating's farm visits identified (L281-287). The rules are
//! `shared::sampling::records`'; this module reads the record for them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use milkshed_shared::registry::{FacilityKind, PermitStatus};
use milkshed_shared::sampling::records::{
    self, EvaluationEntry, IdentifiedSampler, RepeatViolation, SamplerStanding, SectionCRecord,
};
use milkshed_shared::sampling::{Outcome, SamplerKind};
use milkshed_shared::workload::RoutineDue;
use serde::Serialize;

use crate::db::sampling::{self as sdb, EvaluationRow};
use crate::db::{self, registry as reg};
use crate::service::{board, pdf, ServiceError, ServiceResult};

/// The rules' view of an evaluation on file.
pub fn entry(row: &EvaluationRow) -> Option<EvaluationEntry> {
    let outcome = match row.outcome.as_deref() {
        Some("satisfactory") => Some(Outcome::Satisfactory),
        Some("unsatisfactory") => row
            .reevaluate_by
            .as_deref()
            .and_then(|d| d.parse().ok())
            .map(|reevaluate_by| Outcome::Unsatisfactory { reevaluate_by }),
        _ => None,
    };
    let form = SamplerKind::BulkMilkHaulerSampler.form();
    let order: Vec<&str> = form
        .marked_items()
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();
    let mut deviations = row.deviations.clone();
    deviations.sort_by_key(|d| order.iter().position(|o| o == d).unwrap_or(usize::MAX));
    Some(EvaluationEntry {
        inspection_id: row.inspection_id.clone(),
        on: board::parse(&row.started_at)?,
        evaluator: row.inspector_name.clone(),
        outcome,
        deviations,
    })
}

fn entries(rows: &[EvaluationRow]) -> Vec<EvaluationEntry> {
    rows.iter().filter_map(entry).collect()
}

/// A sampler's history card (Item 8c, L8704-8705).
pub struct HistoryCard {
    pub evaluations: Vec<(EvaluationRow, EvaluationEntry)>,
    pub repeats: Vec<RepeatViolation>,
    pub action_owed: Option<RepeatViolation>,
    pub actions_issued: Vec<NaiveDate>,
    /// The next evaluation: the board's and the due list's one rule.
    pub next_due: Option<RoutineDue>,
}

/// The history card of a hauler/sampler of the agency.
pub fn history_card(
    conn: &crate::db::Conn,
    agency: &str,
    sampler: &reg::Facility,
) -> ServiceResult<HistoryCard> {
    let rows = sdb::evaluations(conn, agency, Some(&sampler.id), None)?;
    let evaluations: Vec<(EvaluationRow, EvaluationEntry)> = rows
        .into_iter()
        .filter_map(|r| entry(&r).map(|e| (r, e)))
        .collect();
    let history: Vec<EvaluationEntry> = evaluations.iter().map(|(_, e)| e.clone()).collect();
    let actions_issued = sdb::actions_issued(conn, agency, &sampler.id)?;
    let next_due = board::routine_dues(conn, agency, &[sampler], Some(&sampler.id))?
        .pop()
        .map(|(_, _, due)| due);
    Ok(HistoryCard {
        repeats: records::repeat_violations(&history),
        action_owed: records::action_owed(&history, &actions_issued),
        evaluations,
        actions_issued,
        next_due,
    })
}

/// A hauler/sampler whose repeat violation awaits action on the permit.
#[derive(Debug, Clone, Serialize)]
pub struct ActionOwed {
    pub facility_id: String,
    pub sampler: String,
    pub evaluation_id: String,
    pub evaluated_on: String,
    pub items: Vec<String>,
    pub unsatisfactory_twice: bool,
    pub rule: String,
}

/// Every hauler/sampler (or `only`) whose repeat violation no action has answered.
pub fn actions_owed(
    conn: &crate::db::Conn,
    agency: &str,
    only: Option<&str>,
) -> db::Result<Vec<ActionOwed>> {
    let mut by_sampler: BTreeMap<String, (String, Vec<EvaluationEntry>)> = BTreeMap::new();
    for row in sdb::evaluations(conn, agency, only, None)? {
        if let Some(e) = entry(&row) {
            by_sampler
                .entry(row.sampler_id.clone())
                .or_insert_with(|| (row.sampler_name.clone(), Vec::new()))
                .1
                .push(e);
        }
    }
    let mut out = Vec::new();
    for (id, (name, history)) in by_sampler {
        let actions = sdb::actions_issued(conn, agency, &id)?;
        if let Some(r) = records::action_owed(&history, &actions) {
            out.push(ActionOwed {
                facility_id: id,
                sampler: name,
                evaluation_id: r.inspection_id,
                evaluated_on: r.on.to_string(),
                items: r.items,
                unsatisfactory_twice: r.unsatisfactory_twice,
                rule: "repeat violation of sampling requirements: action on the permit and re-evaluation (MMSR L8697-8698)".into(),
            });
        }
    }
    Ok(out)
}

/// One sampler on the annual notice.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeSampler {
    pub facility_id: String,
    pub name: String,
    pub permit: String,
    pub issuing_state: String,
    pub permit_status: String,
    /// The year's evaluations, oldest first.
    pub evaluations: Vec<NoticeEvaluation>,
    pub next_due: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoticeEvaluation {
    pub inspection_id: String,
    pub evaluated_on: String,
    pub evaluator: String,
    pub producer: String,
    pub outcome: String,
    pub reevaluate_by: Option<String>,
    pub deviations: Vec<String>,
}

/// The annual notice to the proper agencies of all samplers and all evaluations of `year`
/// (Item 5b, L8682-8683).
#[derive(Debug, Clone, Serialize)]
pub struct AnnualNotice {
    pub agency: String,
    pub year: i32,
    pub samplers: Vec<NoticeSampler>,
}

impl AnnualNotice {
    pub fn evaluation_count(&self) -> usize {
        self.samplers.iter().map(|s| s.evaluations.len()).sum()
    }
}

fn outcome_text(o: Option<Outcome>) -> String {
    match o {
        Some(Outcome::Satisfactory) => "satisfactory".into(),
        Some(Outcome::Unsatisfactory { .. }) => "unsatisfactory".into(),
        None => "not recorded".into(),
    }
}

/// The notice's year: the one asked for, else the agency's current year.
pub fn notice_year(conn: &crate::db::Conn, agency: &str, asked: Option<i32>) -> ServiceResult<i32> {
    match asked {
        Some(y) => Ok(y),
        None => Ok(chrono::Datelike::year(&reg::agency_today(conn, agency)?)),
    }
}

/// The agency's samplers (every hauler/sampler of the registry, and any evaluated sampler the
/// registry lacks) with their evaluations of `year` — `records::in_year`, no other.
pub fn annual_notice(
    conn: &crate::db::Conn,
    agency: &str,
    year: i32,
) -> ServiceResult<AnnualNotice> {
    if !(2000..=2200).contains(&year) {
        return Err(ServiceError::bad_request(
            "year: a calendar year such as 2026",
        ));
    }
    let name = db::agency_name(conn, agency)?.unwrap_or_else(|| agency.to_string());
    let facilities = reg::facilities(conn, agency)?;
    let haulers: Vec<&reg::Facility> = facilities
        .iter()
        .filter(|f| f.kind == FacilityKind::Hauler.as_str())
        .collect();
    let mut permits = reg::permits_by_facility(conn, agency)?;
    let rows = sdb::evaluations(conn, agency, None, None)?;
    let mut by_sampler: BTreeMap<&str, Vec<&EvaluationRow>> = BTreeMap::new();
    for r in &rows {
        by_sampler.entry(r.sampler_id.as_str()).or_default().push(r);
    }
    let dues: BTreeMap<String, NaiveDate> = board::routine_dues(conn, agency, &haulers, None)?
        .into_iter()
        .map(|(f, _, d)| (f.id.clone(), d.due))
        .collect();
    let mut ids: Vec<(String, String)> = haulers
        .iter()
        .map(|f| (f.id.clone(), f.name.clone()))
        .collect();
    for (id, list) in &by_sampler {
        if !ids.iter().any(|(i, _)| i == id) {
            if let Some(r) = list.first() {
                ids.push((id.to_string(), r.sampler_name.clone()));
            }
        }
    }
    let mut samplers = Vec::new();
    for (id, name) in ids {
        let list = by_sampler.get(id.as_str()).cloned().unwrap_or_default();
        let history: Vec<(&EvaluationRow, EvaluationEntry)> = list
            .iter()
            .filter_map(|r| entry(r).map(|e| (*r, e)))
            .collect();
        let entries: Vec<EvaluationEntry> = history.iter().map(|(_, e)| e.clone()).collect();
        let evaluations = records::in_year(&entries, year)
            .into_iter()
            .filter_map(|e| {
                let row = history
                    .iter()
                    .find(|(_, x)| x.inspection_id == e.inspection_id)?
                    .0;
                Some(NoticeEvaluation {
                    inspection_id: e.inspection_id.clone(),
                    evaluated_on: e.on.to_string(),
                    evaluator: e.evaluator.clone(),
                    producer: row.producer.clone(),
                    outcome: outcome_text(e.outcome),
                    reevaluate_by: match e.outcome {
                        Some(Outcome::Unsatisfactory { reevaluate_by }) => {
                            Some(reevaluate_by.to_string())
                        }
                        _ => None,
                    },
                    deviations: e.deviations.clone(),
                })
            })
            .collect();
        let permit = permits.remove(&id).and_then(|mut p| p.pop());
        let fallback_permit = list.first().and_then(|r| r.permit.clone());
        let fallback_state = list
            .first()
            .map(|r| r.permit_state.clone())
            .unwrap_or_default();
        samplers.push(NoticeSampler {
            next_due: dues.get(&id).map(|d| d.to_string()),
            facility_id: id,
            name,
            permit: permit
                .as_ref()
                .map(|p| p.number.clone())
                .or(fallback_permit)
                .unwrap_or_default(),
            issuing_state: permit
                .as_ref()
                .map(|p| p.issuing_state.clone())
                .unwrap_or(fallback_state),
            permit_status: permit
                .map(|p| p.status)
                .unwrap_or_else(|| "not in the registry".into()),
            evaluations,
        });
    }
    samplers.sort_by(|a, b| (&a.name, &a.facility_id).cmp(&(&b.name, &b.facility_id)));
    Ok(AnnualNotice {
        agency: name,
        year,
        samplers,
    })
}

/// The notice's columns, one row per evaluation and one per sampler not evaluated in the year.
pub const NOTICE_COLUMNS: [&str; 13] = [
    "year",
    "sampler_id",
    "sampler",
    "permit",
    "issuing_state",
    "permit_status",
    "evaluated_on",
    "evaluator",
    "producer",
    "outcome",
    "reevaluate_by",
    "deviations",
    "next_due",
];

/// The notice's rows under [`NOTICE_COLUMNS`] (the CSV export writes them).
pub fn notice_rows(n: &AnnualNotice) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for s in &n.samplers {
        let row = |tail: [String; 6]| -> Vec<String> {
            [
                n.year.to_string(),
                s.facility_id.clone(),
                s.name.clone(),
                s.permit.clone(),
                s.issuing_state.clone(),
                s.permit_status.clone(),
            ]
            .into_iter()
            .chain(tail)
            .chain(std::iter::once(s.next_due.clone().unwrap_or_default()))
            .collect()
        };
        if s.evaluations.is_empty() {
            out.push(row(Default::default()));
        }
        for e in &s.evaluations {
            out.push(row([
                e.evaluated_on.clone(),
                e.evaluator.clone(),
                e.producer.clone(),
                e.outcome.clone(),
                e.reevaluate_by.clone().unwrap_or_default(),
                e.deviations.join(" "),
            ]));
        }
    }
    out
}

/// The notice as a PDF for the proper agencies.
pub fn notice_pdf(n: &AnnualNotice) -> Vec<u8> {
    let mut rows = Vec::new();
    for s in &n.samplers {
        if s.evaluations.is_empty() {
            rows.push(vec![
                s.name.clone(),
                format!("{} ({})", s.permit, s.issuing_state),
                s.permit_status.clone(),
                "not evaluated this year".into(),
                String::new(),
                s.next_due.clone().unwrap_or_default(),
            ]);
        }
        for e in &s.evaluations {
            rows.push(vec![
                s.name.clone(),
                format!("{} ({})", s.permit, s.issuing_state),
                s.permit_status.clone(),
                format!("{} by {}", e.evaluated_on, e.evaluator),
                match &e.reevaluate_by {
                    Some(by) => format!("{} - re-evaluate by {by}", e.outcome),
                    None => e.outcome.clone(),
                },
                s.next_due.clone().unwrap_or_default(),
            ]);
        }
    }
    pdf::render(
        &format!("Samplers and evaluations {}", n.year),
        &[
            pdf::Block::Title(format!(
                "{}: samplers and sampler evaluations, {}",
                n.agency, n.year
            )),
            pdf::Block::Text(format!(
                "Annual notice to the proper agencies of all samplers and all evaluations (MMSR L8682-8683): {} samplers, {} evaluations in {}.",
                n.samplers.len(),
                n.evaluation_count(),
                n.year
            )),
            pdf::Block::Table {
                headers: vec![
                    "Sampler".into(),
                    "Permit".into(),
                    "Status".into(),
                    "Evaluated".into(),
                    "Outcome".into(),
                    "Next due".into(),
                ],
                rows,
                widths: vec![0.2, 0.16, 0.12, 0.22, 0.18, 0.12],
            },
        ],
    )
}

/// The registry's holder of a permit, however the permit was written (`records::same_permit`).
fn facility_of_permit(
    conn: &crate::db::Conn,
    agency: &str,
    state: &str,
    permit: &str,
) -> ServiceResult<Option<String>> {
    Ok(reg::permits_by_facility(conn, agency)?
        .into_values()
        .flatten()
        .find(|p| records::same_permit(&p.issuing_state, &p.number, state, permit))
        .map(|p| p.facility_id))
}

/// What the record holds of the sampler with permit `state`/`permit` on `on`.
fn standing(
    conn: &crate::db::Conn,
    agency: &str,
    state: &str,
    permit: &str,
    on: NaiveDate,
) -> ServiceResult<Option<SamplerStanding>> {
    let Some(facility) = facility_of_permit(conn, agency, state, permit)? else {
        return Ok(None);
    };
    let permit_valid = reg::permits_of(conn, &facility)?
        .iter()
        .filter(|p| records::same_permit(&p.issuing_state, &p.number, state, permit))
        .any(|p| permit_in_force(p, on));
    let mut history = entries(&sdb::evaluations(conn, agency, Some(&facility), None)?);
    // evaluations recorded in the registry (kept on paper before Milkshed) count as on file
    for e in reg::facility_events(conn, &facility)?
        .into_iter()
        .filter(|e| e.event == "inspected")
    {
        if let Some(on) = board::parse(&e.effective_on) {
            history.push(EvaluationEntry {
                inspection_id: format!("recorded {on}"),
                on,
                evaluator: e.by_user,
                outcome: None,
                deviations: Vec::new(),
            });
        }
    }
    Ok(Some(SamplerStanding {
        history,
        actions_issued: sdb::actions_issued(conn, agency, &facility)?,
        facility_id: facility,
        permit_valid,
    }))
}

/// A permit's status on a day: its latest event effective by then (issued when none).
fn permit_in_force(p: &reg::Permit, on: NaiveDate) -> bool {
    let status = p
        .history
        .iter()
        .rfind(|e| board::parse(&e.effective_on).is_some_and(|d| d <= on))
        .map_or("issued", |e| e.status.as_str());
    PermitStatus::parse(status).is_some_and(PermitStatus::grade_a_sale_allowed)
}

/// FORM 2359j Section C as the record shows it on `on`, over the hauler/samplers the given
/// rating visits identified.
pub fn section_c(
    conn: &crate::db::Conn,
    agency: &str,
    visits: &[String],
    on: NaiveDate,
) -> ServiceResult<SectionCRecord> {
    let mut identified = Vec::new();
    for (state, permit, name) in sdb::haulers_identified(conn, visits)? {
        let s = standing(conn, agency, &state, &permit, on)?;
        identified.push((
            IdentifiedSampler {
                state,
                permit,
                name,
            },
            s,
        ));
    }
    let mut evaluators = Vec::new();
    for user in sdb::evaluators(conn, agency)? {
        evaluators.push(crate::service::sampling::credentials(conn, &user)?);
    }
    Ok(records::section_c_from_record(&identified, &evaluators, on))
}

/// A hauler/sampler evaluation sent in of a sampler the registry does not hold — a permit of
/// another State typed in at the pick-up (MMSR L285-287) — registers the sampler under the id
/// its permit makes (`records::sampler_id_for_permit`), with the permit as seen, in the sync's
/// transaction; the refusal says why the evaluation cannot name that sampler.
pub fn register_typed_sampler(
    tx: &crate::db::Tx<'_>,
    device: &db::DeviceAuth,
    view: &milkshed_shared::document::Inspection,
) -> ServiceResult<Result<(), String>> {
    use milkshed_shared::document::{InspectionKind, Status};
    let subject = &view.header.subject;
    if view.header.kind != InspectionKind::HaulerSampler
        || view.status == Status::Draft
        || view.header.inspector.id != device.user_id
        || reg::facility(tx, &device.agency_id, subject.id.as_str())?.is_some()
    {
        return Ok(Ok(()));
    }
    let state = view
        .pickup
        .as_ref()
        .map(|p| p.permit_state.trim().to_uppercase())
        .unwrap_or_default();
    let permit = subject.permit.clone().unwrap_or_default();
    let permit = permit.trim();
    if permit.is_empty() || subject.id.as_str() != records::sampler_id_for_permit(&state, permit) {
        return Ok(Err(format!(
            "hauler/sampler {} is not in the registry: start the evaluation from the list, or type the permit and its State at the pick-up",
            subject.id
        )));
    }
    if crate::service::registry::check_state(
        crate::service::registry::edition_of(tx, &device.agency_id)?,
        &state,
    )
    .is_err()
    {
        return Ok(Err(format!(
            "\"{state}\" is not a State of the IMS List's FIPS table: give the permit's issuing State"
        )));
    }
    if reg::facility_id_taken(tx, subject.id.as_str())?
        || facility_of_permit(tx, &device.agency_id, &state, permit)?.is_some()
    {
        return Ok(Err(format!(
            "permit {permit} of {state} is already in the registry under another record: start the evaluation from the list"
        )));
    }
    let by = device.user_id.as_str();
    let name = match subject.name.trim() {
        "" => format!("Hauler/sampler {permit} ({state})"),
        n => n.chars().take(120).collect(),
    };
    reg::add_facility(
        tx,
        &device.agency_id,
        Some(subject.id.as_str()),
        &reg::NewFacility {
            kind: FacilityKind::Hauler.as_str(),
            name: &name,
            number: None,
            permit_state: &state,
            pounds_daily: None,
            by,
        },
    )?;
    let pid = reg::add_permit(tx, &device.agency_id, subject.id.as_str(), permit, &state)?;
    reg::add_permit_event(
        tx,
        &pid,
        "issued",
        view.header.started_at.date_naive(),
        "permit seen at the evaluation; the issuing agency's records to be obtained (MMSR L285-287)",
        by,
    )?;
    Ok(Ok(()))
}
