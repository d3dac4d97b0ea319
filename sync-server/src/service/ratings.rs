//! Sanitation ratings from the synced rating visits: a BTU's FORM 2359k from its farms' visits
//! (farm → BTU through the registry), a plant's FORM 2359L from its latest visit. The
//! worksheet is built and rated by `shared::worksheet` exactly as `milkshed-server rate` and
//! the field app do, so the review pages, the CLI and the tablet never disagree.

use crate::db::Conn as Connection;
use chrono::NaiveDate;
use milkshed_shared::document::{Inspection, InspectionKind};
use milkshed_shared::rating::table1;
use milkshed_shared::worksheet::{self, WorksheetError};

use crate::db::{self, registry as reg, DbError};

/// A worksheet computed from synced visits.
pub struct Computed {
    pub form: &'static str,
    pub shipper: String,
    pub rating_date: NaiveDate,
    /// The inspections it was built from.
    pub visits: Vec<milkshed_shared::ids::InspectionId>,
    /// The minimum number of farms TABLE 1 asks for the BTU's size (farms only).
    pub table1_minimum: Option<u32>,
    pub farms_in_listing: usize,
    /// Each farm's lab columns and the ledger's results they rest on (2359k only).
    pub lab: Vec<LabCredit>,
    /// The rated figures (the same JSON `milkshed-server rate` prints), or the problems that
    /// stop the visits from making a worksheet.
    pub result: Result<serde_json::Value, Vec<String>>,
}

/// One farm's lab standard on the 2359k: whether it was credited, and the ledger's last four
/// results at the rating date it was judged on (MMSR L320-334).
#[derive(Debug, Clone)]
pub struct LabCredit {
    pub farm: String,
    pub standard: String,
    /// The form's column (`LAB-SCC`).
    pub column: String,
    pub debited: bool,
    pub required_number_met: bool,
    /// `(date, over)`, oldest first.
    pub last_four: Vec<(NaiveDate, bool)>,
}

fn lab_credits(
    rated: &serde_json::Value,
    farm_ids: &[String],
    ledger: &worksheet::LabBook,
    rating_date: NaiveDate,
) -> Vec<LabCredit> {
    let mut out = Vec::new();
    let farms = rated["farms"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for (farm, id) in farms.iter().zip(farm_ids) {
        for l in farm["lab"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let standard = l["standard"].as_str().unwrap_or_default().to_string();
            let mut results: Vec<(NaiveDate, bool)> = ledger
                .get(id)
                .and_then(|x| x.series.get(&standard))
                .map(|s| {
                    s.iter()
                        .copied()
                        .filter(|(d, _)| *d <= rating_date)
                        .collect()
                })
                .unwrap_or_default();
            let last_four = results.split_off(results.len().saturating_sub(4));
            out.push(LabCredit {
                farm: farm["name"].as_str().unwrap_or_default().to_string(),
                standard,
                column: l["column"].as_str().unwrap_or_default().to_string(),
                debited: l["debited"].as_bool().unwrap_or(false),
                required_number_met: l["required_number_met"].as_bool().unwrap_or(false),
                last_four,
            });
        }
    }
    out
}

fn visits(
    conn: &Connection,
    server_actor: &milkshed_shared::document::automerge::ActorId,
    agency: &str,
    kind: InspectionKind,
    subjects: &[String],
) -> Result<Vec<Inspection>, DbError> {
    let mut out = Vec::new();
    for s in subjects {
        for id in db::rating_visit_ids(conn, agency, kind, s)? {
            let Ok(uuid) = id.parse::<milkshed_shared::ids::InspectionId>() else {
                continue;
            };
            if let Some(d) = db::load_doc(conn, &uuid, server_actor)? {
                out.push(
                    d.doc
                        .read()
                        .map_err(|e| DbError::Damaged(format!("document {id}: {e}")))?,
                );
            }
        }
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.header.started_at));
    Ok(out)
}

fn problems(e: WorksheetError) -> Vec<String> {
    match e {
        WorksheetError::Invalid(list) => list
            .into_iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect(),
        other => vec![other.to_string()],
    }
}

/// The FORM 2359k of a BTU from its latest rating's farm visits; `None` without any.
pub fn btu_2359k(
    conn: &Connection,
    server_actor: &milkshed_shared::document::automerge::ActorId,
    agency: &str,
    btu: &reg::Facility,
) -> Result<Option<Computed>, DbError> {
    let farms: Vec<String> = reg::members(conn, &btu.id)?
        .into_iter()
        .map(|f| f.id)
        .collect();
    let all = visits(
        conn,
        server_actor,
        agency,
        InspectionKind::RatingVisitFarm,
        &farms,
    )?;
    // which visits make the rating, and its date: the rule the tablet applies too
    let Some((chosen, rating_date)) = worksheet::rating_visits(&all) else {
        return Ok(None);
    };
    let rated: Vec<String> = chosen
        .iter()
        .map(|v| v.header.subject.id.as_str().to_string())
        .collect();
    let ledger = crate::service::lab::book(conn, agency, &rated)?;
    let result = worksheet::raw_milk_from_visits(&btu.name, rating_date, &chosen, &ledger)
        .map(|w| worksheet::rate(&w).to_value())
        .map_err(problems);
    Ok(Some(Computed {
        form: "2359k",
        shipper: btu.name.clone(),
        rating_date,
        visits: chosen.iter().map(|v| v.header.id).collect(),
        table1_minimum: table1::min_farms_to_rate(farms.len() as u32),
        farms_in_listing: farms.len(),
        lab: result
            .as_ref()
            .map(|r| lab_credits(r, &rated, &ledger, rating_date))
            .unwrap_or_default(),
        result,
    }))
}

/// The FORM 2359L of a plant or station from its latest rating visit; `None` without one.
pub fn plant_2359l(
    conn: &Connection,
    server_actor: &milkshed_shared::document::automerge::ActorId,
    agency: &str,
    plant: &reg::Facility,
) -> Result<Option<Computed>, DbError> {
    let all = visits(
        conn,
        server_actor,
        agency,
        InspectionKind::RatingVisitPlant,
        std::slice::from_ref(&plant.id),
    )?;
    let Some((visit, rating_date)) = worksheet::plant_rating_visit(&all) else {
        return Ok(None);
    };
    let result = worksheet::plant_from_visit(visit, rating_date)
        .map(|w| worksheet::rate(&w).to_value())
        .map_err(problems);
    Ok(Some(Computed {
        form: "2359L",
        shipper: plant.name.clone(),
        rating_date,
        visits: vec![visit.header.id],
        table1_minimum: None,
        farms_in_listing: 0,
        lab: Vec::new(),
        result,
    }))
}

/// A shipper's rating report (FORM 2359j) as the agency record holds it: the latest report
/// signed or sent in, Section B rated by the enforcement engine, and Section A's summary
/// filled from the rating's computed worksheets (`shared::rating::report::summary`, the
/// tablet's function too).
pub struct Report {
    pub id: milkshed_shared::ids::InspectionId,
    pub status: milkshed_shared::document::Status,
    pub officer: String,
    pub entries: std::collections::BTreeMap<String, String>,
    /// The rating date Section B is rated at: the sanitation worksheet's, or the report's own
    /// day without one.
    pub rating_date: NaiveDate,
    /// The engine's 2359j result, or what is still to fill in.
    pub enforcement: Result<serde_json::Value, Vec<String>>,
    pub summary: milkshed_shared::rating::report::Summary,
}

/// The shipper's latest rating report and the summary of its rating; `None` without one.
pub fn rating_report(
    conn: &Connection,
    server_actor: &milkshed_shared::document::automerge::ActorId,
    agency: &str,
    shipper: &reg::Facility,
    sheet: Option<&Computed>,
) -> Result<Option<Report>, DbError> {
    use milkshed_shared::rating::{enforcement::EnforcementForm, report};
    let reports = visits(
        conn,
        server_actor,
        agency,
        InspectionKind::RatingReport,
        std::slice::from_ref(&shipper.id),
    )?;
    let Some(latest) = reports.into_iter().next() else {
        return Ok(None);
    };
    let rating_date = sheet
        .map(|c| c.rating_date)
        .unwrap_or_else(|| latest.header.started_at.date_naive());
    let enforcement = match EnforcementForm::builtin() {
        Some(form) => report::rate_enforcement(form, &latest.report, &rating_date.to_string()),
        None => Err(vec!["the FORM 2359j catalog could not be loaded".into()]),
    };
    let rated = sheet.map(|c| report::Rated {
        result: c.result.as_ref().ok(),
        in_listing: if c.form == "2359k" {
            c.farms_in_listing
        } else {
            1
        },
        visited: c.visits.len(),
    });
    let (farms, plant) = match sheet.map(|c| c.form) {
        Some("2359k") => (rated, None),
        Some(_) => (None, rated),
        None => (None, None),
    };
    let summary = report::summary(farms, plant, enforcement.as_ref().ok(), None);
    Ok(Some(Report {
        id: latest.header.id,
        status: latest.status,
        officer: latest.header.inspector.name.clone(),
        entries: latest.report.clone(),
        rating_date,
        enforcement,
        summary,
    }))
}
