//! Publishing the devices' briefcase: each facility's record and each farm's lab ledger,
//! rebuilt from the agency record after every change that alters them (a service: no HTTP).

use chrono::NaiveDate;
use milkshed_shared::{briefcase, calendar};

use crate::db::{self, registry as reg};
use crate::service::{ServiceError, ServiceResult};
use milkshed_shared::registry::FacilityKind;

/// Keeps the devices' reference data in step with the registry and the synced inspections (the
/// work list reads it): called after every registry write and every stored inspection.
pub fn publish_reference(conn: &crate::db::Conn, agency: &str, id: &str) -> ServiceResult<()> {
    publish_agency(conn, agency)?;
    let Some(f) = reg::facility(conn, agency, id)? else {
        return Ok(());
    };
    let permit = reg::permits_of(conn, id)?.pop();
    // the facts the board's rule reads: the latest of the synced inspections and the recorded
    // ones, counted from the registration when there is none
    let recorded = reg::facility_events(conn, id)?
        .into_iter()
        .filter(|e| e.event == "inspected")
        .filter_map(|e| {
            e.effective_on
                .get(..10)
                .and_then(|d| d.parse::<NaiveDate>().ok())
        })
        .max();
    let synced = reg::last_inspections(conn, agency, Some(id))?
        .into_iter()
        .map(|(_, d)| d)
        .max();
    let appendix_p = latest_appendix_p(conn, id)?;
    let listing_name = match &f.listing {
        Some(s) => reg::facility(conn, agency, s)?.map(|s| s.name),
        None => None,
    };
    let table = match FacilityKind::parse(&f.kind) {
        Some(FacilityKind::DairyFarm) => briefcase::FARMS,
        Some(FacilityKind::Hauler) => briefcase::HAULERS,
        Some(FacilityKind::Btu) => briefcase::BTUS,
        None => return Ok(()),
        Some(_) => briefcase::PLANTS,
    };
    let assignment = db::desk::assignment_history(conn, agency, &f.id)?
        .into_iter()
        .next();
    let record = briefcase::FacilityRecord {
        id: f.id.clone().into(),
        name: f.name.clone(),
        kind: f.kind.clone(),
        producer_number: f.number.clone().filter(|_| table == briefcase::FARMS),
        permit: permit.as_ref().map(|p| p.number.clone()),
        permit_status: permit.as_ref().map(|p| p.status.clone()),
        permit_state: Some(f.permit_state.clone()).filter(|s| !s.is_empty()),
        pounds_sold_daily: f.pounds_daily,
        btu: listing_name,
        last_inspection: synced.max(recorded),
        registered_on: f.created_at.get(..10).and_then(|d| d.parse().ok()),
        appendix_p: appendix_p.map(|(c, _)| c),
        recategorized_on: appendix_p.map(|(_, d)| d),
        // Appendix N: held while any positive has no negative after it
        shipping_hold: reg::residue_events_of(conn, agency, &f.id)?
            .iter()
            .map(reg::residue_rule_view)
            .collect::<Result<Vec<_>, _>>()?
            .iter()
            .any(|e| !e.may_ship()),
        assigned_to: assignment.as_ref().and_then(|a| a.user_id.clone()),
        assigned_name: assignment.and_then(|a| a.user_name),
        open_actions: db::open_actions(conn, agency, &f.id)?
            .into_iter()
            .map(|(kind, issued_on, due_on)| briefcase::OpenAction {
                kind,
                issued_on,
                due_on,
            })
            .collect(),
        reevaluate_by: reg::reevaluations_owed(conn, agency, Some(&f.id))?.remove(&f.id),
        last_violations: reg::last_violations(conn, agency, &f.id)?
            .into_iter()
            .map(|(item, note)| briefcase::LastViolation { item, note })
            .collect(),
        reinspections_owed: reg::reinspections_owed(conn, agency, Some(&f.id))?
            .into_iter()
            .filter_map(|(inspection, _, _, ended)| {
                Some(briefcase::ReinspectionOwed {
                    inspection: inspection.parse().ok()?,
                    due: calendar::reinspection_due(ended),
                })
            })
            .collect(),
    };
    let data = serde_json::to_value(&record).map_err(ServiceError::internal)?;
    db::put_reference(conn, agency, table, id, &data)?;
    Ok(())
}

/// The lab standards a farm's ledger is judged on: the farm form's of the catalog (data, one
/// list; an import names them the same way). An earlier copy here said `temperature` where the
/// catalog and the import say `cooling_temperature`, so cooling results never reached a ledger.
pub(crate) fn lab_standards() -> Vec<String> {
    milkshed_shared::catalog::Catalog::builtin(milkshed_shared::catalog::DEFAULT_CATALOG)
        .map(|c| {
            c.farm
                .lab_standards
                .iter()
                .map(|s| s.standard.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Publishes a farm's lab ledger to the devices: of each standard the daily results as
/// `(date, over)` a device needs (`LabLedgerRecord::kept`: the work list judges the last five
/// with `shared::ledger::action_after`, the board's rule; a rating credits the lab window with
/// the agency record's rule), and the permit's date. Called after every lab import.
pub fn publish_lab_ledger(
    conn: &crate::db::Conn,
    agency: &str,
    subject: &str,
) -> ServiceResult<()> {
    let today = reg::agency_today(conn, agency)?;
    let mut ledger = briefcase::LabLedgerRecord {
        farm: subject.to_string().into(),
        permit_issued: crate::service::lab::permit_issued(conn, subject)?,
        ..Default::default()
    };
    for standard in lab_standards() {
        let history = crate::service::lab::history(conn, agency, subject, &standard)?;
        if history.is_empty() {
            continue;
        }
        ledger
            .series
            .insert(standard, briefcase::LabLedgerRecord::kept(&history, today));
    }
    let data = serde_json::to_value(&ledger).map_err(ServiceError::internal)?;
    db::put_reference(conn, agency, briefcase::LAB_LEDGERS, subject, &data)?;
    Ok(())
}

/// A farm's Appendix P category (months) and the day it was last re-categorized.
pub fn latest_appendix_p(
    conn: &crate::db::Conn,
    id: &str,
) -> ServiceResult<Option<(u32, NaiveDate)>> {
    Ok(appendix_p_of(&reg::facility_events(conn, id)?))
}

/// The latest Appendix P categorization among a facility's events.
pub fn appendix_p_of(events: &[reg::FacilityEvent]) -> Option<(u32, NaiveDate)> {
    events
        .iter()
        .filter(|e| e.event == "appendix_p")
        .filter_map(|e| {
            Some((
                e.value.as_ref()?.parse().ok()?,
                e.effective_on.parse().ok()?,
            ))
        })
        .max_by_key(|(_, d): &(u32, NaiveDate)| *d)
}

/// Publishes the agency's own record (its time zone) to the devices; unchanged, it bumps
/// nothing.
pub fn publish_agency(conn: &crate::db::Conn, agency: &str) -> ServiceResult<()> {
    let zone = reg::agency_settings(conn, agency)?.time_zone;
    let record = briefcase::AgencyRecord {
        id: agency.to_string(),
        time_zone: zone.name().to_string(),
    };
    let data = serde_json::to_value(&record).map_err(ServiceError::internal)?;
    db::put_reference(conn, agency, briefcase::AGENCY, agency, &data)?;
    Ok(())
}
