//! The work list: farms due and overdue for their routine inspection (every six months, the
//! frequency met through the end of the month it falls due), the inspections on this device,
//! and search by farm, permit or producer number.

use chrono::{Local, NaiveDate};
use dioxus::prelude::*;
use milkshed_shared::briefcase;
use milkshed_shared::document::{Header, InspectionKind, Person, Subject, SubjectKind};
use milkshed_shared::ids::InspectionId;
use milkshed_shared::workload;

use super::farm_detail::FarmDetail;
use super::state::{use_app, AppCtx, Screen};
use crate::device::sync_client;
use crate::device::work;

/// A farm of the agency's reference data, with its due date.
#[derive(Debug, Clone, PartialEq)]
pub struct DueFarm {
    pub id: String,
    pub name: String,
    pub permit: String,
    pub producer_number: String,
    pub btu: String,
    pub pounds_sold_daily: Option<u64>,
    pub due: Option<NaiveDate>,
    /// What the lab ledger calls for (2 of the last 4 over, 3 of the last 5), by the board's rule.
    pub lab_warning: Option<String>,
    /// Appendix N: the producer's milk is held until a negative result.
    pub shipping_hold: bool,
    /// What the last inspection sent in found (items to check at the gate).
    pub last_violations: Vec<briefcase::LastViolation>,
    pub permit_status: Option<String>,
    pub last_inspection: Option<NaiveDate>,
    /// Appendix P category in months, when the farm has one.
    pub appendix_p: Option<u32>,
    /// Inspections of this farm whose reinspection is owed, by when.
    pub reinspections_owed: Vec<briefcase::ReinspectionOwed>,
    /// Enforcement actions still open.
    pub open_actions: Vec<briefcase::OpenAction>,
    /// The inspector the office assigned the farm to, by name.
    pub assigned_name: Option<String>,
    /// Assigned to this device's user (listed first).
    pub mine: bool,
}

/// Inspections with violations, submitted or accepted, whose reinspection has not been made:
/// `(the inspection, subject, due date)`.
pub fn reinspections_due(ctx: &AppCtx) -> Vec<(InspectionId, String, NaiveDate)> {
    ctx.with(reinspections_due_in).unwrap_or_default()
}

/// [`reinspections_due`] over a store: the agency record's and this device's own
/// (`device::work::reinspections_owed`).
pub fn reinspections_due_in(
    s: &mut crate::device::Store,
) -> Vec<(InspectionId, String, NaiveDate)> {
    work::reinspections_owed(s)
}

/// Creates an inspection by the signed-in inspector of this device (who, and for which agency,
/// the enrollment says).
pub(super) fn create_by_me(
    store: &mut crate::device::Store,
    kind: InspectionKind,
    subject: Subject,
    catalog: String,
    follows: Option<InspectionId>,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Option<InspectionId> {
    let e = sync_client::enrollment(store).ok()?;
    let header = Header {
        id: InspectionId::new_v7(),
        kind,
        agency: e.agency,
        subject,
        inspector: Person {
            id: e.user_id.into(),
            name: e.user_name,
        },
        catalog,
        started_at: now,
        follows,
    };
    store.create_inspection(&header).ok()
}

/// "overdue since …", "due by …", or what to say when never inspected.
fn due_text(due: Option<NaiveDate>, today: NaiveDate, never: &str) -> String {
    match due {
        Some(d) if d < today => format!("overdue since {d}"),
        Some(d) => format!("due by {d}"),
        None => never.to_string(),
    }
}

/// Starts the reinspection of an inspection: same subject and kind of items, linked to it.
pub fn start_reinspection(ctx: &AppCtx, of: InspectionId) -> Option<InspectionId> {
    let now = Local::now().fixed_offset();
    ctx.with(|store| {
        // the original is on this device, or another device's inspection the briefcase owes
        let (subject, catalog) = match store.inspection(of) {
            Ok(original) => (original.header.subject, original.header.catalog),
            Err(_) => (
                work::owed_subject(store, of)?,
                milkshed_shared::catalog::DEFAULT_CATALOG.to_string(),
            ),
        };
        create_by_me(
            store,
            InspectionKind::Reinspection,
            subject,
            catalog,
            Some(of),
            now,
        )
    })
    .flatten()
}

/// "Last inspection: 2 violations (items 5r, 10r)" — what to look at again at the gate.
fn last_violations_text(v: &[briefcase::LastViolation]) -> String {
    let items: Vec<&str> = v.iter().map(|l| l.item.as_str()).collect();
    format!(
        "Last inspection: {} violation{} (item{} {})",
        v.len(),
        if v.len() == 1 { "" } else { "s" },
        if v.len() == 1 { "" } else { "s" },
        items.join(", ")
    )
}

/// The farms of the reference data, most overdue first.
pub fn due_farms(ctx: &AppCtx) -> Vec<DueFarm> {
    let farms: Vec<DueFarm> = ctx
        .with(|s| {
            let today = work::agency_today(s);
            let me = crate::device::sync_client::enrollment(s)
                .ok()
                .map(|e| e.user_id);
            // already in the one work-list order (the user's assignments first)
            work::in_work_order(s, briefcase::FARMS)
                .unwrap_or_default()
                .into_iter()
                .map(|f| DueFarm {
                    due: work::routine_due(&f, briefcase::FARMS),
                    lab_warning: work::lab_warning(s, f.id.as_str(), today),
                    shipping_hold: f.shipping_hold,
                    open_actions: f.open_actions.clone(),
                    last_violations: f.last_violations.clone(),
                    permit_status: f.permit_status.clone(),
                    last_inspection: f.last_inspection,
                    appendix_p: f.appendix_p,
                    reinspections_owed: f.reinspections_owed.clone(),
                    mine: f.assigned_to.is_some() && f.assigned_to == me,
                    assigned_name: f.assigned_name.clone(),
                    name: f.name,
                    permit: f.permit.unwrap_or_default(),
                    producer_number: f.producer_number.unwrap_or_default(),
                    btu: f.btu.unwrap_or_default(),
                    pounds_sold_daily: f.pounds_sold_daily.and_then(|p| u64::try_from(p).ok()),
                    id: f.id.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    farms
}

/// A plant, station or hauler of the reference data, with its due date.
#[derive(Debug, Clone, PartialEq)]
pub struct DueOther {
    pub id: String,
    pub name: String,
    pub permit: String,
    pub subject: SubjectKind,
    pub due: Option<NaiveDate>,
    /// Assigned to this device's user (listed first).
    pub mine: bool,
}

/// Plants, stations and haulers of the reference data with their due dates (the intervals are
/// the registry's, `shared::workload`).
pub fn due_others(ctx: &AppCtx) -> Vec<DueOther> {
    let mut out = Vec::new();
    let me = ctx
        .with(|s| sync_client::enrollment(s).ok().map(|e| e.user_id))
        .flatten();
    for table in [briefcase::PLANTS, briefcase::HAULERS] {
        let rows = ctx
            .with(|s| work::facilities(s, table).unwrap_or_default())
            .unwrap_or_default();
        for f in rows {
            // one mapping from the registry's kind to what is inspected, as the board has it
            let Some(subject) = f.facility_kind(table).and_then(workload::subject_of) else {
                continue;
            };
            out.push(DueOther {
                mine: f.assigned_to.is_some() && f.assigned_to == me,
                due: work::routine_due(&f, table),
                id: f.id.to_string(),
                name: f.name,
                permit: f.permit.unwrap_or_default(),
                subject,
            });
        }
    }
    // the one work-list order (shared): the user's assignments first, then the most overdue
    fn order(o: &DueOther) -> (bool, NaiveDate, &str) {
        workload::work_order(o.mine.then_some(""), Some(""), o.due, &o.name)
    }
    out.sort_by(|a, b| order(a).cmp(&order(b)));
    out
}

/// Starts a rating officer's visit of a plant or station (feeding its FORM 2359L).
pub fn start_plant_visit(ctx: &AppCtx, o: &DueOther) -> Option<InspectionId> {
    start_with_kind(ctx, o, InspectionKind::RatingVisitPlant)
}

/// Starts a plant inspection or a hauler/sampler evaluation. An evaluation is refused, saying
/// why, unless this device's user is a certified SSO or a delegated official today (the
/// briefcase's evaluator record; the server checks the same when it is sent in).
pub fn start_other(ctx: &AppCtx, o: &DueOther) -> Result<InspectionId, String> {
    let kind = if o.subject == SubjectKind::Hauler {
        let allowed = ctx
            .with(|s| {
                let user = sync_client::enrollment(s)
                    .map(|e| e.user_id)
                    .unwrap_or_default();
                work::may_evaluate(s, &user, work::agency_today(s))
            })
            .unwrap_or_else(|| Err("the device store is not open".into()));
        allowed?;
        InspectionKind::HaulerSampler
    } else {
        InspectionKind::Plant
    };
    start_with_kind(ctx, o, kind).ok_or_else(|| "the inspection could not be started".into())
}

/// Starts an evaluation of the hauler/sampler whose permit is typed in at the pick-up (another
/// State's, or one not yet in the briefcase): the same authority check as from the list, the
/// subject from `work::sampler_by_permit`, and the permit's State on the pick-up record.
pub fn start_typed_evaluation(
    ctx: &AppCtx,
    state: &str,
    permit: &str,
    name: &str,
) -> Result<InspectionId, String> {
    let now = Local::now().fixed_offset();
    ctx.with(|s| {
        let user = sync_client::enrollment(s)
            .map(|e| e.user_id)
            .unwrap_or_default();
        work::may_evaluate(s, &user, work::agency_today(s))?;
        let subject = work::sampler_by_permit(s, state, permit, name)?;
        let catalog = milkshed_shared::catalog::DEFAULT_CATALOG.to_string();
        let id = create_by_me(
            s,
            InspectionKind::HaulerSampler,
            subject,
            catalog,
            None,
            now,
        )
        .ok_or_else(|| "the evaluation could not be started".to_string())?;
        let state = state.trim().to_uppercase();
        s.edit(id, &now, |d| {
            d.set_pickup(
                milkshed_shared::document::PickupField::PermitState,
                &state,
                &now,
            )
        })
        .map_err(|e| e.to_string())?;
        Ok(id)
    })
    .unwrap_or_else(|| Err("the device store is not open".into()))
}

fn start_with_kind(ctx: &AppCtx, o: &DueOther, kind: InspectionKind) -> Option<InspectionId> {
    let subject = Subject {
        kind: o.subject,
        id: o.id.clone().into(),
        name: o.name.clone(),
        permit: Some(o.permit.clone()).filter(|p| !p.is_empty()),
        producer_number: None,
    };
    let now = Local::now().fixed_offset();
    let catalog = milkshed_shared::catalog::DEFAULT_CATALOG.to_string();
    ctx.with(|store| create_by_me(store, kind, subject, catalog, None, now))
        .flatten()
}

/// Starts an inspection of `kind` of a farm and opens it.
pub fn start_inspection(
    ctx: &AppCtx,
    farm: &DueFarm,
    kind: InspectionKind,
    seed: Option<u64>,
) -> Option<InspectionId> {
    let now = Local::now().fixed_offset();
    let subject = Subject {
        kind: SubjectKind::Farm,
        id: farm.id.clone().into(),
        name: farm.name.clone(),
        permit: Some(farm.permit.clone()).filter(|p| !p.is_empty()),
        producer_number: Some(farm.producer_number.clone()).filter(|p| !p.is_empty()),
    };
    let catalog = milkshed_shared::catalog::DEFAULT_CATALOG.to_string();
    ctx.with(|store| {
        let id = create_by_me(store, kind, subject, catalog, None, now)?;
        if let Some(p) = farm.pounds_sold_daily {
            let _ = store.edit(id, &now, |d| d.set_pounds_sold_daily(p, &now));
        }
        if let Some(seed) = seed {
            let _ = store.edit(id, &now, |d| d.set_selection_seed(seed, &now));
        }
        Some(id)
    })
    .flatten()
}

#[component]
pub fn WorkList() -> Element {
    let ctx = use_app();
    let _ = (ctx.revision)();
    let mut query = use_signal(String::new);
    let mut selected = use_signal(|| None::<String>);
    let mut refusal = use_signal(|| None::<String>);
    let mut typed_state = use_signal(String::new);
    let mut typed_permit = use_signal(String::new);
    let mut typed_name = use_signal(String::new);
    let evaluator = ctx
        .with(|s| sync_client::enrollment(s).map(|e| e.role))
        .and_then(Result::ok)
        .is_some_and(|r| r == milkshed_shared::authority::Role::HaulerSamplerEvaluator.as_str());
    let q = query().to_lowercase();
    // the agency's day, as the board has it (a Wisconsin evening is tomorrow in UTC)
    let today = ctx
        .with(|s| work::agency_today(s))
        .unwrap_or_else(|| Local::now().date_naive());
    let farms: Vec<DueFarm> = due_farms(&ctx)
        .into_iter()
        .filter(|f| {
            q.is_empty()
                || [&f.name, &f.permit, &f.producer_number]
                    .iter()
                    .any(|x| x.to_lowercase().contains(&q))
        })
        .collect();
    let others: Vec<DueOther> = due_others(&ctx)
        .into_iter()
        .filter(|o| {
            q.is_empty()
                || [&o.name, &o.permit]
                    .iter()
                    .any(|x| x.to_lowercase().contains(&q))
        })
        .collect();
    let reinspections: Vec<_> = reinspections_due(&ctx)
        .into_iter()
        .filter(|(_, name, _)| q.is_empty() || name.to_lowercase().contains(&q))
        .collect();
    let mine = ctx
        .with(|s| s.inspections().unwrap_or_default())
        .unwrap_or_default();
    let mine: Vec<_> = mine
        .into_iter()
        .filter(|i| q.is_empty() || i.subject_name.to_lowercase().contains(&q))
        .collect();
    let detail: Option<DueFarm> =
        selected().and_then(|id| due_farms(&ctx).into_iter().find(|f| f.id == id));
    let has_detail = detail.is_some();
    rsx! {
        h1 { "Work list" }
        input { id: "search", class: "wide", placeholder: "Search farm, permit or producer number", initial_value: "{query}", oninput: move |e| query.set(e.value()) }
        div { class: if has_detail { "worklist has-detail" } else { "worklist" },
        div { class: "items",
        h2 { "On this device" }
        if mine.is_empty() {
            p { "No inspections yet: start one from a farm below." }
        }
        ul { class: "list",
            for i in mine {
                li { key: "{i.id}",
                    button {
                        class: "open-inspection",
                        onclick: {
                            let ctx = ctx.clone();
                            move |_| ctx.go(Screen::Inspect(i.id))
                        },
                        span { {format!("{} — {}", i.subject_name, i.kind.replace('_', " "))} }
                        span { class: "badge", {format!("{} · {} violation{}", i.status, i.violations, if i.violations == 1 { "" } else { "s" })} }
                    }
                }
            }
        }
        if !reinspections.is_empty() {
            h2 { "Reinspections due" }
            ul { class: "list",
                for (of, name, due) in reinspections {
                    li { key: "re-{of}",
                        button {
                            class: "start-reinspection",
                            onclick: {
                                let ctx = ctx.clone();
                                move |_| {
                                    ctx.open_started(start_reinspection(&ctx, of));
                                }
                            },
                            span { "{name} — reinspection" }
                            span { class: if due < today { "overdue" } else { "" }, "due by {due}" }
                        }
                    }
                }
            }
        }
        h2 { "Farms due" }
        if farms.is_empty() {
            p { "No farms yet: sync to receive the agency's farms, plants and haulers." }
        }
        ul { class: "list",
            for f in farms {
                li { key: "{f.id}", class: "with-detail",
                    button {
                        class: "start-inspection",
                        onclick: {
                            let ctx = ctx.clone();
                            let f = f.clone();
                            move |_| {
                                ctx.open_started(start_inspection(&ctx, &f, InspectionKind::RoutineFarm, None));
                            }
                        },
                        span { "{f.name} · {f.producer_number} · permit {f.permit}" }
                        if f.mine {
                            span { class: "assigned-to-me", "Assigned to you" }
                        } else if let Some(n) = &f.assigned_name {
                            span { class: "assigned", "Assigned to {n}" }
                        }
                        span {
                            class: if f.due.is_some_and(|d| d < today) { "overdue" } else { "" },
                            {due_text(f.due, today, "never inspected")}
                            if let Some(w) = &f.lab_warning { " · {w}" }
                            if f.shipping_hold { " · HOLD: drug residue, do not ship (Appendix N)" }
                            for a in f.open_actions.iter() {
                                {format!(" · {}{}", a.kind.replace('_', " "), a.due_on.map(|d| format!(" due {d}")).unwrap_or_default())}
                            }
                        }
                        if !f.last_violations.is_empty() {
                            span { class: "last-violations",
                                {last_violations_text(&f.last_violations)}
                            }
                        }
                    }
                    button {
                        class: "farm-detail",
                        "aria-label": "Record of {f.name}",
                        onclick: {
                            let id = f.id.clone();
                            move |_| selected.set(Some(id.clone()))
                        },
                        "Record"
                    }
                }
            }
        }
        h2 { "Plants, stations and hauler/samplers" }
        if let Some(why) = refusal() {
            p { id: "start-refused", class: "error", "{why}" }
        }
        ul { class: "list",
            for o in others {
                li { key: "{o.id}",
                    button {
                        class: "start-other",
                        onclick: {
                            let ctx = ctx.clone();
                            let o = o.clone();
                            move |_| {
                                match start_other(&ctx, &o) {
                                    Ok(id) => {
                                        ctx.changed();
                                        ctx.go(Screen::Inspect(id));
                                    }
                                    Err(why) => refusal.set(Some(why)),
                                }
                            }
                        },
                        span { {format!("{} · {} · {}", o.name, o.subject.as_str().replace('_', " "), o.permit)} }
                        span {
                            class: if o.due.is_some_and(|d| d < today) { "overdue" } else { "" },
                            {due_text(o.due, today, "not yet inspected")}
                        }
                    }
                }
            }
        }
        if evaluator {
            h2 { "A hauler/sampler not on the list" }
            p { class: "muted", "A permit of another State, typed as the permit shows it; the office registers the sampler when the evaluation is sent in." }
            div { class: "row",
                input { id: "typed-state", placeholder: "State", maxlength: 2, oninput: move |e| typed_state.set(e.value()) }
                input { id: "typed-permit", placeholder: "permit number", oninput: move |e| typed_permit.set(e.value()) }
            }
            input { id: "typed-name", class: "wide", placeholder: "name on the permit", oninput: move |e| typed_name.set(e.value()) }
            button {
                id: "start-typed",
                class: "big primary",
                onclick: {
                    let ctx = ctx.clone();
                    move |_| match start_typed_evaluation(&ctx, &typed_state(), &typed_permit(), &typed_name()) {
                        Ok(id) => {
                            ctx.changed();
                            ctx.go(Screen::Inspect(id));
                        }
                        Err(why) => refusal.set(Some(why)),
                    }
                },
                "Start the evaluation"
            }
        }
        }
        div { class: "side",
            if let Some(f) = detail {
                FarmDetail { farm: f, today, on_close: move |_| selected.set(None) }
            } else {
                p { class: "hint", "Tap Record beside a farm to see it here: permit, what was found last time, lab results, actions owed." }
            }
        }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_submitted_inspection_with_violations_needs_a_reinspection_until_one_follows_it() {
        use milkshed_shared::document::SignerRole;
        let dir = tempfile::tempdir().unwrap();
        let mut s = crate::device::Store::open(&dir.path().join("d.db")).unwrap();
        let now = Local::now().fixed_offset();
        let header = |kind, follows| Header {
            id: InspectionId::new_v7(),
            kind,
            agency: "demo".into(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: "farm-1".into(),
                name: "Roy Harris".into(),
                permit: None,
                producer_number: None,
            },
            inspector: Person {
                id: "u".into(),
                name: "Ann".into(),
            },
            catalog: "pmo-2011".into(),
            started_at: now,
            follows,
        };
        let id = s
            .create_inspection(&header(InspectionKind::RoutineFarm, None))
            .unwrap();
        s.edit(id, &now, |d| {
            d.set_finding(
                "3",
                &milkshed_shared::document::ItemState::Violated {
                    points: None,
                    products: vec![],
                },
                &now,
            )
        })
        .unwrap();
        assert!(
            reinspections_due_in(&mut s).is_empty(),
            "a draft is not yet due for reinspection"
        );
        s.edit(id, &now, |d| {
            d.sign(SignerRole::Inspector, "Ann", "", &now).map(|_| ())
        })
        .unwrap();
        s.edit(id, &now, |d| d.submit(&now)).unwrap();
        let due = reinspections_due_in(&mut s);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].2, now.date_naive() + chrono::Days::new(30));
        s.create_inspection(&header(InspectionKind::Reinspection, Some(id)))
            .unwrap();
        assert!(reinspections_due_in(&mut s).is_empty());
    }

    #[test]
    fn farms_fall_due_by_six_months_or_their_appendix_p_category() {
        let farm_due = |last: NaiveDate, v: &serde_json::Value| {
            let mut v = v.clone();
            v["id"] = "f".into();
            v["name"] = "F".into();
            v["last_inspection"] = last.to_string().into();
            let f: milkshed_shared::briefcase::FacilityRecord = serde_json::from_value(v).unwrap();
            work::routine_due(&f, briefcase::FARMS).unwrap()
        };
        let last = d("2026-05-20");
        assert_eq!(farm_due(last, &serde_json::json!({})), d("2026-11-30"));
        assert_eq!(
            farm_due(last, &serde_json::json!({"appendix_p": 3})),
            d("2026-08-31")
        );
        assert_eq!(
            farm_due(last, &serde_json::json!({"appendix_p": 12})),
            d("2027-05-31")
        );
        assert_eq!(
            farm_due(
                last,
                &serde_json::json!({"appendix_p": 3, "recategorized_on": "2026-10-01"})
            ),
            d("2026-10-31"),
            "due before the re-categorization: up to 30 days after it"
        );
    }
}
