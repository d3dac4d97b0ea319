//! The work a facility owes, read from the device's briefcase (`shared::briefcase`'s typed
//! records) with the rules the agency's board applies: the work list is the tablet's view of the
//! same functions.

use chrono::NaiveDate;
use milkshed_shared::briefcase::{self, FacilityRecord, LabLedgerRecord};
use milkshed_shared::calendar;
use milkshed_shared::document::Subject;
use milkshed_shared::ids::FacilityId;
use milkshed_shared::ids::InspectionId;
use milkshed_shared::workload;

use super::store::{Store, StoreError};

/// The facilities of one briefcase table (`briefcase::FARMS`, `PLANTS`, `HAULERS`); a record
/// the device cannot read is left out (the next full sync replaces it).
pub fn facilities(store: &Store, table: &str) -> Result<Vec<FacilityRecord>, StoreError> {
    Ok(store
        .references(table)?
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// A table's facilities in work-list order (`shared::workload::work_order`): those the office
/// assigned to this device's user first, then the most overdue, then by name.
pub fn in_work_order(store: &Store, table: &str) -> Result<Vec<FacilityRecord>, StoreError> {
    let me = super::sync_client::enrollment(store)
        .ok()
        .map(|e| e.user_id);
    let mut list: Vec<(Option<NaiveDate>, FacilityRecord)> = facilities(store, table)?
        .into_iter()
        .map(|f| (routine_due(&f, table), f))
        .collect();
    list.sort_by(|(a_due, a), (b_due, b)| {
        workload::work_order(a.assigned_to.as_deref(), me.as_deref(), *a_due, &a.name).cmp(
            &workload::work_order(b.assigned_to.as_deref(), me.as_deref(), *b_due, &b.name),
        )
    });
    Ok(list.into_iter().map(|(_, f)| f).collect())
}

/// A facility's next routine inspection, as the board computes it.
pub fn routine_due(record: &FacilityRecord, table: &str) -> Option<NaiveDate> {
    record.routine_due(table).map(|r| r.due)
}

/// What a farm's lab ledger calls for on `today`, as the board judges it.
pub fn lab_warning(store: &Store, farm: &str, today: NaiveDate) -> Option<String> {
    lab_ledger(store, farm)?.warning(today)
}

/// A farm's lab ledger as the briefcase holds it (the last results of each standard).
pub fn lab_ledger(store: &Store, farm: &str) -> Option<LabLedgerRecord> {
    let v = store.reference(briefcase::LAB_LEDGERS, farm).ok()??;
    serde_json::from_value(v).ok()
}

/// The farms' lab ledgers from the briefcase as a rating credits them
/// (`shared::worksheet::raw_milk_from_visits`): the tablet's live 2359k and the agency record's
/// credit the same results by the same rule.
pub fn lab_book<'a>(
    store: &Store,
    farms: impl IntoIterator<Item = &'a str>,
) -> milkshed_shared::worksheet::LabBook {
    farms
        .into_iter()
        .filter_map(|f| lab_ledger(store, f).map(|l| (f.to_string(), l.ledger_lab())))
        .collect()
}

/// Today on the agency's calendar (its time zone, from the briefcase): the day the board's
/// deadlines run on. Before the first sync, the device's own date.
pub fn agency_today(store: &Store) -> NaiveDate {
    let now = chrono::Utc::now();
    store
        .references(briefcase::AGENCY)
        .ok()
        .and_then(|rows| rows.into_iter().next())
        .and_then(|v| serde_json::from_value::<briefcase::AgencyRecord>(v).ok())
        .map_or_else(|| chrono::Local::now().date_naive(), |a| a.today(now))
}

/// The reinspections owed, soonest first: those the agency record knows (every facility's
/// briefcase record, so another device's inspections count) and this device's own not yet
/// synced, less those an inspection here already follows (`calendar::reinspections_owed_with`).
/// `(inspection, subject name, due)`.
pub fn reinspections_owed(store: &mut Store) -> Vec<(InspectionId, String, NaiveDate)> {
    reinspections_with_facility(store)
        .into_iter()
        .map(|(i, name, due, _)| (i, name, due))
        .collect()
}

/// The reinspections one facility owes ([`reinspections_owed`] of that facility).
pub fn reinspections_owed_by(store: &mut Store, facility: &str) -> Vec<(InspectionId, NaiveDate)> {
    reinspections_with_facility(store)
        .into_iter()
        .filter(|(_, _, _, f)| f == facility)
        .map(|(i, _, due, _)| (i, due))
        .collect()
}

fn reinspections_with_facility(
    store: &mut Store,
) -> Vec<(InspectionId, String, NaiveDate, FacilityId)> {
    let mut known = Vec::new();
    let mut facility_of = std::collections::HashMap::new();
    for table in [briefcase::FARMS, briefcase::PLANTS] {
        for f in facilities(store, table).unwrap_or_default() {
            for r in &f.reinspections_owed {
                known.push((r.inspection, f.name.clone(), r.due));
                facility_of.insert(r.inspection, f.id.clone());
            }
        }
    }
    let local: Vec<_> = store
        .inspections()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| store.inspection(i.id).ok())
        .collect();
    for i in &local {
        facility_of.insert(i.header.id, i.header.subject.id.clone());
    }
    calendar::reinspections_owed_with(&known, &local)
        .into_iter()
        .map(|(i, name, due)| {
            let f = facility_of.get(&i).cloned().unwrap_or_default();
            (i, name, due, f)
        })
        .collect()
}

/// The facility whose briefcase record owes a reinspection of `inspection` (an inspection of
/// another device's, not held here), as the subject of the reinspection to start.
pub fn owed_subject(store: &Store, inspection: InspectionId) -> Option<Subject> {
    for table in [briefcase::FARMS, briefcase::PLANTS] {
        for f in facilities(store, table).unwrap_or_default() {
            if f.reinspections_owed
                .iter()
                .any(|r| r.inspection == inspection)
            {
                let kind = workload::subject_of(f.facility_kind(table)?)?;
                return Some(Subject {
                    kind,
                    id: f.id,
                    name: f.name,
                    permit: f.permit,
                    producer_number: f.producer_number,
                });
            }
        }
    }
    None
}

/// Whether this device's user may evaluate hauler/samplers on `on`: a certified SSO or a
/// properly delegated official, as the briefcase's evaluator records say
/// (`sampling::may_evaluate`, the server's check too). With no record: refused, saying why.
pub fn may_evaluate(
    store: &Store,
    user: &str,
    on: NaiveDate,
) -> Result<milkshed_shared::sampling::EvaluatingAs, String> {
    let credentials = store
        .reference(briefcase::EVALUATORS, user)
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_value::<briefcase::EvaluatorRecord>(v).ok())
        .map(|r| r.credentials)
        .unwrap_or_default();
    milkshed_shared::sampling::may_evaluate(&credentials, on)
}

/// The subject of an evaluation of the hauler/sampler holding `permit` of `state`, typed in at
/// the pick-up: the briefcase's record when it holds that permit, else a new sampler named by
/// the permit (`sampling::records::sampler_id_for_permit`), which the agency's server registers
/// when the evaluation is sent in (MMSR L285-287: hauler/samplers may hold another State's
/// permit).
pub fn sampler_by_permit(
    store: &Store,
    state: &str,
    permit: &str,
    name: &str,
) -> Result<Subject, String> {
    use milkshed_shared::document::SubjectKind;
    use milkshed_shared::sampling::records::{
        same_permit, sampler_id_for_permit, IdentifiedSampler,
    };
    let typed = IdentifiedSampler {
        state: state.into(),
        permit: permit.into(),
        name: name.into(),
    };
    let (st, pm) = typed.key();
    if st.len() != 2 || !st.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!(
            "give the permit's issuing State as its two letters (WI, MN), not \"{}\"",
            state.trim()
        ));
    }
    if pm.is_empty() || pm.chars().count() > 40 {
        return Err("give the hauler/sampler's permit number (at most 40 characters)".into());
    }
    let known = facilities(store, briefcase::HAULERS)
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|h| {
            same_permit(
                h.permit_state.as_deref().unwrap_or_default(),
                h.permit.as_deref().unwrap_or_default(),
                &st,
                &pm,
            )
        });
    Ok(match known {
        Some(h) => Subject {
            kind: SubjectKind::Hauler,
            id: h.id,
            name: h.name,
            permit: h.permit,
            producer_number: None,
        },
        None => {
            let name = name.trim();
            if name.is_empty() {
                return Err("give the hauler/sampler's name as the permit shows it".into());
            }
            Subject {
                kind: SubjectKind::Hauler,
                id: sampler_id_for_permit(&st, &pm).into(),
                name: name.chars().take(120).collect(),
                permit: Some(permit.trim().to_string()),
                producer_number: None,
            }
        }
    })
}
