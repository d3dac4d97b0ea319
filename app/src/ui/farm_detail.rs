//! A farm's record from the briefcase, for the farm gate with no signal: permit and status,
//! the due date, the last inspection and what it found, reinspections owed, open actions, the
//! lab ledger's last results, an Appendix N hold — and the buttons that start the work. On a
//! tablet it sits beside the work list; on a phone it opens over it.

use chrono::NaiveDate;
use dioxus::prelude::*;
use milkshed_shared::catalog::{Catalog, DEFAULT_CATALOG};
use milkshed_shared::document::InspectionKind;

use super::state::use_app;
use super::work_list::{start_inspection, start_reinspection, DueFarm};
use crate::device::work;

/// The label of a farm item ("3" → "Milking barn … cleanliness"), from the default catalog.
fn item_label(item: &str) -> String {
    Catalog::builtin(DEFAULT_CATALOG)
        .ok()
        .and_then(|c| {
            c.farm
                .columns
                .iter()
                .find(|col| col.key == item || col.ids.iter().any(|i| i == item))
                .map(|col| col.label.clone())
        })
        .unwrap_or_default()
}

#[component]
pub fn FarmDetail(farm: DueFarm, today: NaiveDate, on_close: EventHandler<()>) -> Element {
    let ctx = use_app();
    let owed = ctx
        .with(|s| work::reinspections_owed_by(s, &farm.id))
        .unwrap_or_default();
    let ledger = ctx
        .with(|s| work::lab_ledger(s, &farm.id))
        .flatten()
        .unwrap_or_default();
    let overdue = farm.due.is_some_and(|d| d < today);
    rsx! {
        section { id: "farm-detail", class: "detail",
            div { class: "detail-head",
                h2 { "{farm.name}" }
                button { id: "close-detail", class: "close", "aria-label": "Close", onclick: move |_| on_close.call(()), "✕" }
            }
            dl {
                dt { "Producer" } dd { "{farm.producer_number}" }
                dt { "Permit" } dd { {format!("{} · {}", farm.permit, farm.permit_status.as_deref().unwrap_or("no status"))} }
                if !farm.btu.is_empty() { dt { "Ships in" } dd { "{farm.btu}" } }
                if let Some(p) = farm.pounds_sold_daily { dt { "Pounds a day" } dd { "{p}" } }
                dt { "Routine inspection" }
                dd { class: if overdue { "overdue" } else { "" },
                    {match farm.due { Some(d) if d < today => format!("overdue since {d}"), Some(d) => format!("due by {d}"), None => "never inspected".into() }}
                    if let Some(m) = farm.appendix_p { " (Appendix P: every {m} months)" }
                }
                dt { "Last inspection" }
                dd { {farm.last_inspection.map_or("none on record".to_string(), |d| d.to_string())} }
            }
            if farm.shipping_hold {
                p { class: "hold", "HOLD: drug residue positive — the producer's milk may not ship until a negative result (Appendix N)." }
            }
            if !farm.last_violations.is_empty() {
                h3 { "Found last time" }
                ul { class: "plain",
                    for v in farm.last_violations.iter() {
                        li { key: "{v.item}",
                            strong { "{v.item} " }
                            {item_label(&v.item)}
                            if !v.note.is_empty() { span { class: "vnote", " — {v.note}" } }
                        }
                    }
                }
            }
            if !farm.open_actions.is_empty() {
                h3 { "Open enforcement actions" }
                ul { class: "plain",
                    for a in farm.open_actions.iter() {
                        li { key: "{a.kind}-{a.issued_on}",
                            {format!("{} issued {}{}", a.kind.replace('_', " "), a.issued_on, a.due_on.map(|d| format!(", due {d}")).unwrap_or_default())}
                        }
                    }
                }
            }
            if !ledger.series.is_empty() {
                h3 { "Laboratory (last results)" }
                if let Some(w) = &farm.lab_warning { p { class: "overdue", "{w}" } }
                ul { class: "plain",
                    for (standard, points) in ledger.series.iter() {
                        li { key: "{standard}",
                            strong { "{standard}: " }
                            {points.iter().rev().take(4).map(|p| format!("{}{}", p.date, if p.over { " over" } else { "" })).collect::<Vec<_>>().join(" · ")}
                        }
                    }
                }
            }
            div { class: "detail-actions",
                for (of, due) in owed {
                    button {
                        key: "{of}",
                        class: "start-reinspection",
                        onclick: {
                            let ctx = ctx.clone();
                            move |_| {
                                ctx.open_started(start_reinspection(&ctx, of));
                            }
                        },
                        {format!("Start reinspection (due by {due})")}
                    }
                }
                button {
                    id: "detail-start-routine",
                    class: "primary",
                    onclick: {
                        let ctx = ctx.clone();
                        let f = farm.clone();
                        move |_| {
                            ctx.open_started(start_inspection(&ctx, &f, InspectionKind::RoutineFarm, None));
                        }
                    },
                    "Start routine inspection"
                }
            }
        }
    }
}
