//! A rating officer's visit to a BTU: the farms the agency record's draw has announced (the
//! seed fixed by the server when the rating was opened, never chosen on the tablet), each farm
//! recorded, and the FORM 2359k rating building up live from the visits on this device.

use dioxus::prelude::*;
use milkshed_shared::document::InspectionKind;
use milkshed_shared::rating::table1;
use milkshed_shared::worksheet;

use super::state::{use_app, Screen};
use super::work_list::{due_farms, start_inspection};

/// A plant's visit on this device and its 2359L (or why it cannot be rated yet).
type PlantRated = (
    milkshed_shared::ids::InspectionId,
    Result<serde_json::Value, String>,
);

#[component]
pub fn RatingVisit() -> Element {
    let ctx = use_app();
    let _ = (ctx.revision)();
    let farms = due_farms(&ctx);
    let mut btus: Vec<String> = farms
        .iter()
        .map(|f| f.btu.clone())
        .filter(|b| !b.is_empty())
        .collect();
    btus.sort();
    btus.dedup();
    let mut btu = use_signal(|| btus.first().cloned().unwrap_or_default());
    let in_btu: Vec<_> = farms.iter().filter(|f| f.btu == btu()).cloned().collect();
    let to_rate = table1::min_farms_to_rate(in_btu.len() as u32).unwrap_or(0) as usize;
    // the draw is the agency record's: fixed when the rating was opened there, its farms
    // announced a day at a time (MMSR L255-257); the tablet draws none of its own
    let rating = ctx
        .with(|s| {
            let id = crate::device::work::shippers(s)
                .into_iter()
                .find(|x| x.name == btu())
                .map(|x| x.id)?;
            crate::device::work::open_rating(s, &id)
        })
        .flatten();
    let announced: Vec<super::work_list::DueFarm> = rating
        .as_ref()
        .map(|r| {
            r.announced
                .iter()
                .filter_map(|a| in_btu.iter().find(|f| f.id == a.id).cloned())
                .collect()
        })
        .unwrap_or_default();
    let visits: Vec<_> = ctx
        .with(|s| {
            s.inspections()
                .unwrap_or_default()
                .into_iter()
                .filter(|i| i.kind == InspectionKind::RatingVisitFarm.as_str())
                .filter_map(|i| s.inspection(i.id).ok())
                .filter(|i| in_btu.iter().any(|f| f.id == i.header.subject.id))
                .collect()
        })
        .unwrap_or_default();
    // plant visits: the live 2359L of each plant rated on this device
    let plant_visits: Vec<milkshed_shared::document::Inspection> = ctx
        .with(|s| {
            s.inspections()
                .unwrap_or_default()
                .into_iter()
                .filter(|i| i.kind == InspectionKind::RatingVisitPlant.as_str())
                .filter_map(|i| s.inspection(i.id).ok())
                .collect()
        })
        .unwrap_or_default();
    let plants: Vec<(super::work_list::DueOther, Option<PlantRated>)> =
        super::work_list::due_others(&ctx)
            .into_iter()
            .filter(|o| o.subject != milkshed_shared::document::SubjectKind::Hauler)
            .map(|o| {
                let mine: Vec<_> = plant_visits
                    .iter()
                    .filter(|v| v.header.subject.id == o.id)
                    .cloned()
                    .collect();
                // the plant's latest visit, rated on its day, as the review pages rate it
                let rated = worksheet::plant_rating_visit(&mine).map(|(v, on)| {
                    let r = worksheet::plant_from_visit(v, on)
                        .map(|w| worksheet::rate(&w).to_value())
                        .map_err(|e| e.to_string());
                    (v.header.id, r)
                });
                (o, rated)
            })
            .collect();
    // the visits that make the rating and its date, chosen as the review pages choose them
    // each farm's lab columns credited from the ledger in the briefcase, as the agency record
    // credits them from the whole ledger
    let ledger: worksheet::LabBook = ctx
        .with(|s| crate::device::work::lab_book(s, in_btu.iter().map(|f| f.id.as_str())))
        .unwrap_or_default();
    let rated = worksheet::rating_visits(&visits).map(|(chosen, on)| {
        worksheet::raw_milk_from_visits(&btu(), on, &chosen, &ledger)
            .map(|w| worksheet::rate(&w).to_value())
    });
    rsx! {
        h1 { "Rating visit" }
        div { class: "row",
            label { "BTU" }
            select { id: "btu", onchange: move |e| btu.set(e.value()),
                for b in btus.iter() {
                    option { value: "{b}", selected: *b == btu(), "{b}" }
                }
            }
        }
        match &rating {
            Some(r) => rsx! {
                p { id: "sample-size", "{in_btu.len()} farms in the BTU → TABLE 1: rate {r.to_rate}. Rating opened {r.opened_on.map(|d| d.to_string()).unwrap_or_default()} ({r.method}); {r.announced.len()} farms announced, {r.left_to_announce} to announce." }
                p { class: "muted", id: "commitment", "The agency record fixed the draw: seed committed as {r.commitment.get(..16).unwrap_or_default()}…, revealed when the draw closes." }
            },
            None => rsx! {
                p { id: "sample-size", "{in_btu.len()} farms in the BTU → TABLE 1: rate {to_rate}." }
                p { class: "comment", id: "no-rating", "No rating of this BTU is open for you. The agency record opens it (checking its gates) and fixes the draw; sync to bring the farms it announces." }
            },
        }
        match rated {
            None => rsx! { p { "No farm recorded yet." } },
            Some(Ok(v)) => {
                let summary = format!(
                    " 2359k rating so far · {} farms · {} cwt · {} cwt × debits",
                    v["farms_rated"], v["total_cwt"], v["total_cwt_x_debits"]
                );
                let rating = v["rating"].to_string();
                rsx! {
                    div { class: "totals", id: "live-rating", "data-rating": "{rating}", "data-farms": "{v[\"farms_rated\"]}",
                        span { class: "rating", "{rating}" }
                        "{summary}"
                    }
                }
            }
            Some(Err(e)) => rsx! { div { class: "error", "{e}" } },
        }
        h2 { "Farms announced" }
        ul { class: "list",
            for f in announced.iter() {
                {
                    let f = f.clone();
                    let existing = visits.iter().find(|v| v.header.subject.id == f.id).map(|v| (v.header.id, v.violations().count()));
                    let ctx = ctx.clone();
                    rsx! {
                        li { key: "{f.id}",
                            button {
                                class: "rate-farm",
                                onclick: move |_| {
                                    let id = existing.map(|e| e.0).or_else(|| start_inspection(&ctx, &f, InspectionKind::RatingVisitFarm, None));
                                    ctx.open_started(id);
                                },
                                span { "{f.name} · {f.producer_number}" }
                                span { class: "badge", {match existing { Some((_, n)) => format!("recorded · {n} violations"), None => "to visit".to_string() }} }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Plants and stations (FORM 2359L)" }
        ul { class: "list",
            for (o, rated) in plants {
                {
                    let ctx = ctx.clone();
                    let existing = rated.as_ref().map(|r| r.0);
                    let badge = match &rated {
                        Some((_, Ok(v))) => format!("2359L rating {}", v["rating"]),
                        Some((_, Err(e))) => e.clone(),
                        None => "to rate".to_string(),
                    };
                    rsx! {
                        li { key: "{o.id}",
                            button {
                                class: "rate-plant",
                                onclick: move |_| {
                                    let id = existing.or_else(|| super::work_list::start_plant_visit(&ctx, &o));
                                    ctx.open_started(id);
                                },
                                span { "{o.name} · {o.permit}" }
                                span { class: "badge", "{badge}" }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Enforcement" }
        button { id: "open-2359j", class: "big", onclick: { let ctx = ctx.clone(); move |_| ctx.go(Screen::Enforcement) }, "Enforcement worksheet (FORM 2359j)" }
    }
}
