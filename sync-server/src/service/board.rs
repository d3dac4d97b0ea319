//! The board: what in the agency record is overdue or breached on a given day, each line with
//! the rule that makes it so. The API (`GET /api/board`) and the review pages show the same
//! board; the rules are `shared`'s (`calendar`, `ledger`, `residue`, `register`, `registry`).

use chrono::{Months, NaiveDate};
use milkshed_shared::calendar;
use milkshed_shared::ledger::{self, LedgerAction};
use milkshed_shared::register::{self, Standing};
use milkshed_shared::registry::FacilityKind;
use milkshed_shared::workload;
use serde::Serialize;

use crate::db::{self, registry as reg, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Reinspection {
    pub inspection_id: String,
    pub facility_id: String,
    pub name: String,
    pub inspected_on: String,
    pub due: String,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverdueAction {
    pub id: String,
    pub subject_id: String,
    pub subject: String,
    pub kind: String,
    pub issued_on: String,
    pub due_on: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverdueInspection {
    pub facility_id: String,
    pub name: String,
    pub kind: String,
    pub last: Option<String>,
    pub due: String,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabBreach {
    pub subject_id: String,
    pub subject: String,
    pub standard: String,
    /// warning_letter | suspension | sampling_frequency
    pub breach: String,
    pub since: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResidueOpen {
    pub event_id: String,
    pub producer_id: String,
    pub producer: String,
    pub sampled_on: String,
    pub notices_due: Vec<String>,
    pub on_hold: bool,
    pub disposition_missing: bool,
    pub repeats_in_12_months: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListingOpen {
    pub rating_id: String,
    pub shipper_id: String,
    pub shipper: String,
    pub expiry: String,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuspendedPermit {
    pub facility_id: String,
    pub facility: String,
    pub permit: String,
    pub status: String,
    pub since: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Board {
    pub today: String,
    pub overdue_actions: Vec<OverdueAction>,
    pub overdue_inspections: Vec<OverdueInspection>,
    /// Reinspections past their due date (with `only`, every one owed for the facility).
    pub reinspections: Vec<Reinspection>,
    pub lab_breaches: Vec<LabBreach>,
    pub residue: Vec<ResidueOpen>,
    pub listings: Vec<ListingOpen>,
    pub suspended_permits: Vec<SuspendedPermit>,
    /// Hauler/samplers with a repeat violation no action on the permit has answered.
    pub sampler_actions_owed: Vec<crate::service::samplers::ActionOwed>,
}

impl Board {
    pub fn is_empty(&self) -> bool {
        self.overdue_actions.is_empty()
            && self.overdue_inspections.is_empty()
            && self.reinspections.iter().all(|r| !r.overdue)
            && self.lab_breaches.is_empty()
            && self.residue.is_empty()
            && self.listings.is_empty()
            && self.suspended_permits.is_empty()
            && self.sampler_actions_owed.is_empty()
    }
}

/// The day a stored date or RFC 3339 time begins with (a device's time: its local day).
pub(crate) fn parse(s: &str) -> Option<NaiveDate> {
    s.get(..10).and_then(|d| d.parse().ok())
}

/// Each facility's next routine inspection or evaluation, with its latest one (synced or
/// recorded): `workload::work_due`, the one rule the tablet's work list applies too.
pub fn routine_dues<'f>(
    conn: &crate::db::Conn,
    agency: &str,
    facilities: &[&'f reg::Facility],
    only: Option<&str>,
) -> Result<Vec<(&'f reg::Facility, Option<NaiveDate>, workload::RoutineDue)>> {
    let last: std::collections::HashMap<String, NaiveDate> =
        reg::last_inspections(conn, agency, only)?
            .into_iter()
            .collect();
    let inspected = reg::events_by_facility(conn, agency, "inspected")?;
    let categorized = reg::events_by_facility(conn, agency, "appendix_p")?;
    let reevaluations = reg::reevaluations_owed(conn, agency, only)?;
    let none = Vec::new();
    let mut out = Vec::new();
    for f in facilities {
        let Some(kind) = FacilityKind::parse(&f.kind) else {
            continue;
        };
        let synced = last.get(&f.id).copied();
        let recorded = inspected
            .get(&f.id)
            .unwrap_or(&none)
            .iter()
            .filter_map(|e| parse(&e.effective_on))
            .max();
        let latest = synced.max(recorded);
        let Some(from) = latest.or_else(|| parse(&f.created_at)) else {
            continue;
        };
        let appendix_p =
            crate::service::publish::appendix_p_of(categorized.get(&f.id).unwrap_or(&none))
                .and_then(|(c, on)| {
                    calendar::AppendixP::from_months(u64::from(c)).map(|c| (c, Some(on)))
                });
        let reevaluate_by = reevaluations.get(&f.id).copied();
        if let Some(routine) = workload::work_due(kind, from, appendix_p, reevaluate_by) {
            out.push((*f, latest, routine));
        }
    }
    Ok(out)
}

/// The agency's board on `today`; with `only`, the lines of that one facility.
pub fn board(
    conn: &crate::db::Conn,
    agency: &str,
    today: NaiveDate,
    only: Option<&str>,
) -> Result<Board> {
    let all = reg::facilities(conn, agency)?;
    let mine = |id: &str| only.is_none_or(|o| o == id);
    let facilities: Vec<&reg::Facility> = all.iter().filter(|f| mine(&f.id)).collect();
    let names: std::collections::HashMap<&str, &str> = all
        .iter()
        .map(|f| (f.id.as_str(), f.name.as_str()))
        .collect();
    let name_of = |id: &str| {
        names
            .get(id)
            .map_or_else(|| id.to_string(), |n| n.to_string())
    };
    let mut b = Board {
        today: today.to_string(),
        ..Board::default()
    };

    // enforcement actions past their deadline (ledger::ActionKind::deadline)
    let actions = db::overdue_actions(conn, agency, today)?;
    for (id, subject_id, kind, issued_on, due_on) in actions.iter().filter(|a| mine(&a.1)) {
        b.overdue_actions.push(OverdueAction {
            id: id.clone(),
            subject: name_of(subject_id),
            subject_id: subject_id.clone(),
            kind: kind.clone(),
            issued_on: issued_on.clone(),
            due_on: due_on.clone(),
        });
    }

    // routine inspections past the end of the month they fell due in (DR-1)
    for (f, latest, routine) in routine_dues(conn, agency, &facilities, only)? {
        if routine.overdue_on(today) {
            b.overdue_inspections.push(OverdueInspection {
                facility_id: f.id.clone(),
                name: f.name.clone(),
                kind: f.kind.clone(),
                last: latest.map(|d| d.to_string()),
                due: routine.due.to_string(),
                rule: routine.rule,
            });
        }
    }

    // hauler/samplers whose repeat violations await action on the permit (MMSR L8697-8698)
    b.sampler_actions_owed = crate::service::samplers::actions_owed(conn, agency, only)?;

    // reinspections owed after a violation (shared::calendar::reinspection_due)
    for (id, subject, name, on) in reg::reinspections_owed(conn, agency, only)? {
        let due = calendar::reinspection_due(on);
        if only.is_some() || today > due {
            b.reinspections.push(Reinspection {
                inspection_id: id,
                facility_id: subject,
                name,
                inspected_on: on.to_string(),
                due: due.to_string(),
                overdue: today > due,
            });
        }
    }

    // lab ledger: an action the rules require and nobody recorded, and sampling gaps
    b.lab_breaches = lab_breaches(conn, agency, today, only, &|id| name_of(id))?;

    // Appendix N: notices owed, producers held, reports missing
    let events = reg::residue_events(conn, agency, None)?;
    let rules: Vec<milkshed_shared::residue::ResidueEvent> = events
        .iter()
        .map(reg::residue_rule_view)
        .collect::<Result<_>>()?;
    for (e, rule) in events
        .iter()
        .zip(&rules)
        .filter(|(e, _)| mine(&e.producer_id))
    {
        let notices_due: Vec<String> = rule
            .notices_due()
            .into_iter()
            .map(|n| match n {
                milkshed_shared::residue::Notice::RegulatoryAgency => {
                    "regulatory_agency".to_string()
                }
                milkshed_shared::residue::Notice::PermitHolder => "permit_holder".to_string(),
            })
            .collect();
        if notices_due.is_empty() && rule.may_ship() && rule.disposition_reported {
            continue;
        }
        b.residue.push(ResidueOpen {
            event_id: e.id.clone(),
            producer: name_of(&e.producer_id),
            producer_id: e.producer_id.clone(),
            sampled_on: e.sampled_on.clone(),
            notices_due,
            on_hold: !rule.may_ship(),
            disposition_missing: !rule.disposition_reported,
            repeats_in_12_months: milkshed_shared::residue::repeats_in_12_months(
                &rules,
                &e.producer_id,
                today,
            ),
        });
    }

    // the listing register: expiry, 2359o, re-rating, withdrawal tasks
    for r in reg::listing_ratings(conn, agency, None)?
        .into_iter()
        .filter(|r| mine(&r.shipper_id))
    {
        let mut problems = Vec::new();
        let withdrawn = r.events.iter().any(|e| e.event == "withdrawn");
        if let Some(expiry) = parse(&r.expiry) {
            match register::standing(expiry, today) {
                Standing::Expired if !withdrawn => {
                    problems.push(format!("expired on {expiry}: not listed until rated again"))
                }
                Standing::ExpiresSoon { days_left } if !withdrawn => problems.push(format!(
                    "expires in {days_left} days ({expiry}): schedule the rating"
                )),
                _ => {}
            }
        }
        let sent = r
            .events
            .iter()
            .filter(|e| e.event == "permission_sent")
            .filter_map(|e| parse(&e.on_date))
            .max();
        let received = r.events.iter().any(|e| e.event == "permission_received");
        match (sent, received) {
            (None, false) if !withdrawn => problems.push(
                "FORM 2359o not sent to the shipper: no publication without it (MMSR L1124-1127)"
                    .into(),
            ),
            (Some(s), false) if today > register::permission_due(s) => problems.push(format!(
                "FORM 2359o sent {s}, due back signed by {} (MMSR L2752)",
                register::permission_due(s)
            )),
            _ => {}
        }
        if let (Some(due), Some(earliest)) = (
            parse(&r.earliest_rating_date)
                .and_then(|d| register::rerating_due(d, r.enforcement_rating.max(0) as u32)),
            parse(&r.earliest_rating_date),
        ) {
            let rerated = r
                .rating_dates
                .iter()
                .filter_map(|d| parse(d))
                .any(|d| d > earliest);
            if today > due && !rerated && !withdrawn {
                problems.push(format!("enforcement rating {} below 90: re-rating was due by {due}; withdraw now (Procedures L305)", r.enforcement_rating));
            }
        }
        for t in &r.triggers {
            if t["mandatory"].as_bool() != Some(true) {
                continue;
            }
            let notified: Vec<&str> = r
                .events
                .iter()
                .filter(|e| e.event == "notified")
                .filter_map(|e| e.detail["recipient"].as_str())
                .collect();
            let owed: Vec<&str> = t["notify"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .filter(|r| !notified.contains(r))
                        .collect()
                })
                .unwrap_or_default();
            if !withdrawn || !owed.is_empty() {
                problems.push(format!(
                    "{}{}; letter by {}",
                    t["reason"].as_str().unwrap_or("withdrawal"),
                    if owed.is_empty() {
                        String::new()
                    } else {
                        format!("; notify {}", owed.join(", "))
                    },
                    t["letter_by"].as_str().unwrap_or("")
                ));
            }
        }
        if !problems.is_empty() {
            b.listings.push(ListingOpen {
                rating_id: r.id.clone(),
                shipper: name_of(&r.shipper_id),
                shipper_id: r.shipper_id.clone(),
                expiry: r.expiry.clone(),
                problems,
            });
        }
    }

    // permits under which milk may not be sold as Grade "A"
    let mut permits = reg::permits_by_facility(conn, agency)?;
    for f in &facilities {
        for p in permits.remove(&f.id).unwrap_or_default() {
            let status = milkshed_shared::registry::PermitStatus::parse(&p.status);
            if status.is_some_and(|s| !s.grade_a_sale_allowed()) {
                b.suspended_permits.push(SuspendedPermit {
                    facility_id: f.id.clone(),
                    facility: f.name.clone(),
                    permit: p.number.clone(),
                    status: p.status.clone(),
                    since: p
                        .history
                        .last()
                        .map(|e| e.effective_on.clone())
                        .unwrap_or_default(),
                });
            }
        }
    }
    Ok(b)
}

/// The lab ledger's lines of the board (of one subject when `only`): an action the rules
/// require and nobody recorded, and sampling gaps. The laboratory page shows these alone.
pub fn lab_breaches(
    conn: &crate::db::Conn,
    agency: &str,
    today: NaiveDate,
    only: Option<&str>,
    name_of: &dyn Fn(&str) -> String,
) -> Result<Vec<LabBreach>> {
    let mut out = Vec::new();
    let recorded_actions = db::recorded_actions(conn, agency)?;
    for (subject, standard, history) in crate::service::lab::histories(conn, agency, only)? {
        let Some(last_date) = history.iter().map(|r| r.0).max() else {
            continue;
        };
        let acted = |kind: &str| {
            recorded_actions.iter().any(|(s, k, on)| {
                *s == subject && k == kind && on.as_str() >= last_date.to_string().as_str()
            })
        };
        // a notice sent today opens its resample window today
        match ledger::action_after(&history, today) {
            LedgerAction::WarningLetter { resample_by, .. } if !acted("warning_letter") => {
                out.push(LabBreach {
                    subject: name_of(&subject),
                    subject_id: subject.clone(),
                    standard: standard.clone(),
                    breach: "warning_letter".into(),
                    since: last_date.to_string(),
                    detail: format!("2 of the last 4 over: written notice owed; resample 3 to 21 days after it (by {resample_by} if sent today) (MMSR L8184-8186)"),
                })
            }
            LedgerAction::Suspension if !acted("suspension") => out.push(LabBreach {
                subject: name_of(&subject),
                subject_id: subject.clone(),
                standard: standard.clone(),
                breach: "suspension".into(),
                since: last_date.to_string(),
                detail: "3 of the last 5 over: suspension, stop sale or a monetary penalty in lieu (MMSR L8187-8193)".into(),
            }),
            _ => {}
        }
        if standard != "drug_residue" {
            let from = today
                .checked_sub_months(Months::new(6))
                .unwrap_or(today)
                .succ_opt()
                .unwrap_or(today);
            let dates: Vec<NaiveDate> = history.iter().map(|r| r.0).collect();
            if let Some(gap) = ledger::first_frequency_gap(&dates, from, today) {
                out.push(LabBreach {
                    subject: name_of(&subject),
                    subject_id: subject.clone(),
                    standard: standard.clone(),
                    breach: "sampling_frequency".into(),
                    since: gap.to_string(),
                    detail: "fewer than 4 samples in 4 separate months of the 6 months from then (MMSR L8093-8105)".into(),
                });
            }
        }
    }

    Ok(out)
}
