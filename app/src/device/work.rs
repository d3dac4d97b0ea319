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
use serde_json::Value;

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

/// A shipper a rating report may be of, from the briefcase: a BTU or a plant or station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipper {
    pub id: String,
    pub name: String,
    pub subject: milkshed_shared::document::SubjectKind,
    pub permit: Option<String>,
}

/// The shippers in the briefcase, BTUs first, each by name
/// (`shared::rating::report::report_subject`, the server's rule for what a report is of).
pub fn shippers(store: &Store) -> Vec<Shipper> {
    let mut out = Vec::new();
    for table in [briefcase::BTUS, briefcase::PLANTS] {
        let mut rows: Vec<Shipper> = facilities(store, table)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|f| {
                let kind = milkshed_shared::registry::FacilityKind::parse(&f.kind)?;
                Some(Shipper {
                    subject: milkshed_shared::rating::report::report_subject(kind)?,
                    id: f.id.to_string(),
                    name: f.name,
                    permit: f.permit,
                })
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(rows);
    }
    out
}

/// The latest rating report on this device of a shipper.
pub fn rating_report_of(store: &Store, shipper: &str) -> Option<InspectionId> {
    let kind = milkshed_shared::document::InspectionKind::RatingReport.as_str();
    store
        .inspections()
        .ok()?
        .into_iter()
        .filter(|i| i.kind == kind && i.subject_id == shipper)
        .max_by(|a, b| a.started_at.cmp(&b.started_at))
        .map(|i| i.id)
}

/// The tablet's Section A summary of a shipper's rating: its farms' rating visits on this
/// device rated into the 2359k (lab columns from the briefcase's ledger), or its plant visit
/// into the 2359L, and Section B rated — by `shared::rating::report::summary`, as the review
/// pages fill it.
pub fn report_summary(
    store: &mut Store,
    shipper: &Shipper,
    entries: &std::collections::BTreeMap<String, String>,
    today: NaiveDate,
) -> (milkshed_shared::rating::report::Summary, NaiveDate) {
    use milkshed_shared::document::{InspectionKind, SubjectKind};
    use milkshed_shared::rating::{enforcement::EnforcementForm, report};
    use milkshed_shared::worksheet;
    let of_kind = |store: &mut Store, kind: InspectionKind, subjects: &[String]| {
        let ids: Vec<InspectionId> = store
            .inspections()
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.kind == kind.as_str() && subjects.contains(&i.subject_id))
            .map(|i| i.id)
            .collect();
        ids.into_iter()
            .filter_map(|id| store.inspection(id).ok())
            .collect::<Vec<_>>()
    };
    let mut rating_date = today;
    let rated: Option<(Value, usize, usize)> = if shipper.subject == SubjectKind::Btu {
        let farms: Vec<String> = facilities(store, briefcase::FARMS)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.btu.as_deref() == Some(shipper.name.as_str()))
            .map(|f| f.id.to_string())
            .collect();
        let visits = of_kind(store, InspectionKind::RatingVisitFarm, &farms);
        worksheet::rating_visits(&visits).map(|(chosen, on)| {
            rating_date = on;
            let ledger = lab_book(store, farms.iter().map(String::as_str));
            let r = worksheet::raw_milk_from_visits(&shipper.name, on, &chosen, &ledger)
                .map(|w| worksheet::rate(&w).to_value())
                .unwrap_or(Value::Null);
            (r, farms.len(), chosen.len())
        })
    } else {
        let visits = of_kind(
            store,
            InspectionKind::RatingVisitPlant,
            std::slice::from_ref(&shipper.id),
        );
        worksheet::plant_rating_visit(&visits).map(|(v, on)| {
            rating_date = on;
            let r = worksheet::plant_from_visit(v, on)
                .map(|w| worksheet::rate(&w).to_value())
                .unwrap_or(Value::Null);
            (r, 1, 1)
        })
    };
    let enforcement = EnforcementForm::builtin()
        .and_then(|form| report::rate_enforcement(form, entries, &rating_date.to_string()).ok());
    let as_rated = rated
        .as_ref()
        .map(|(r, in_listing, visited)| report::Rated {
            result: Some(r).filter(|r| !r.is_null()),
            in_listing: *in_listing,
            visited: *visited,
        });
    let (farms, plant) = if shipper.subject == SubjectKind::Btu {
        (as_rated, None)
    } else {
        (None, as_rated)
    };
    (
        report::summary(farms, plant, enforcement.as_ref(), None),
        rating_date,
    )
}

/// The IMS rating of a shipper open for this device's user, as the agency record published it
/// (`briefcase::RatingRecord`: the farms announced so far); the latest opened when several.
pub fn open_rating(store: &Store, shipper: &str) -> Option<briefcase::RatingRecord> {
    let me = super::sync_client::enrollment(store).ok()?.user_id;
    store
        .references(briefcase::RATINGS)
        .ok()?
        .into_iter()
        .filter_map(|v| serde_json::from_value::<briefcase::RatingRecord>(v).ok())
        .filter(|r| r.shipper_id == shipper && r.officer_id == me)
        .max_by(|a, b| a.opened_on.cmp(&b.opened_on).then_with(|| a.id.cmp(&b.id)))
}
