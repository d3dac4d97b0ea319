//! A rating officer's farm visit: the bulk milk hauler/samplers identified from at least the
//! previous 30 days of the farm's records (weight tickets), by permit and issuing State — the
//! population FORM 2359j Section C counts (MMSR L281-287). A known hauler is one tap (the
//! briefcase's haulers); one permitted by another State is typed in. Each is written to the
//! device store at once (`InspectionDoc::identify_hauler`).

use dioxus::prelude::*;
use milkshed_shared::briefcase;
use milkshed_shared::ids::InspectionId;
use milkshed_shared::sampling::records::{same_permit, IdentifiedSampler};

use super::{edit, now};
use crate::device::work;
use crate::ui::state::use_app;

#[component]
pub fn HaulersPanel(
    id: InspectionId,
    identified: Vec<IdentifiedSampler>,
    editable: bool,
    message: Signal<Option<String>>,
) -> Element {
    let ctx = use_app();
    let known: Vec<briefcase::FacilityRecord> = ctx
        .with(|s| work::facilities(s, briefcase::HAULERS).unwrap_or_default())
        .unwrap_or_default();
    let mut state = use_signal(String::new);
    let mut permit = use_signal(String::new);
    let mut name = use_signal(String::new);
    let named = |h: &briefcase::FacilityRecord| {
        identified.iter().any(|i| {
            same_permit(
                &i.state,
                &i.permit,
                h.permit_state.as_deref().unwrap_or_default(),
                h.permit.as_deref().unwrap_or_default(),
            )
        })
    };
    let offer: Vec<briefcase::FacilityRecord> = known
        .iter()
        .filter(|h| h.permit.is_some() && !named(h))
        .cloned()
        .collect();
    rsx! {
        h2 { "Hauler/samplers from the farm's records" }
        p { class: "muted", "Every hauler/sampler on at least the last 30 days of weight tickets (MMSR L281-287)." }
        if identified.is_empty() {
            p { id: "haulers-none", class: "muted", "None recorded yet." }
        }
        for h in identified.iter() {
            div { class: "row", key: "{h.state}:{h.permit}",
                span { class: "lbl", id: "hauler-{h.state}-{h.permit}",
                    strong { "{h.permit}" } " ({h.state}) {h.name}"
                }
                if editable {
                    button {
                        class: "big",
                        onclick: {
                            let ctx = ctx.clone();
                            let (st, pm) = (h.state.clone(), h.permit.clone());
                            move |_| {
                                let (st, pm) = (st.clone(), pm.clone());
                                edit(&ctx, id, message, move |d| d.unidentify_hauler(&st, &pm, &now()))
                            }
                        },
                        "Remove"
                    }
                }
            }
        }
        if editable {
            if !offer.is_empty() {
                div { class: "row",
                    for h in offer.into_iter() {
                        button {
                            key: "{h.id}",
                            id: "identify-{h.id}",
                            class: "big",
                            onclick: {
                                let ctx = ctx.clone();
                                let entry = IdentifiedSampler {
                                    state: h.permit_state.clone().unwrap_or_default(),
                                    permit: h.permit.clone().unwrap_or_default(),
                                    name: h.name.clone(),
                                };
                                move |_| {
                                    let entry = entry.clone();
                                    edit(&ctx, id, message, move |d| d.identify_hauler(&entry, &now()))
                                }
                            },
                            "+ {h.name}"
                        }
                    }
                }
            }
            label { r#for: "hauler-permit", "Another hauler/sampler's permit (any State)" }
            div { class: "row",
                input { id: "hauler-state", placeholder: "State", maxlength: 2, oninput: move |e| state.set(e.value()) }
                input { id: "hauler-permit", placeholder: "permit number", oninput: move |e| permit.set(e.value()) }
                input { id: "hauler-name", placeholder: "name", oninput: move |e| name.set(e.value()) }
                button {
                    id: "identify-typed",
                    class: "big",
                    onclick: {
                        let ctx = ctx.clone();
                        move |_| {
                            let entry = IdentifiedSampler { state: state(), permit: permit(), name: name() };
                            edit(&ctx, id, message, move |d| d.identify_hauler(&entry, &now()))
                        }
                    },
                    "Add"
                }
            }
        }
    }
}
