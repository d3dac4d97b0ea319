//! A hauler/sampler evaluation's pick-up record at the producer dairy: who and where, the milk
//! temperature read and recorded, the sample and its identity, and the outcome — satisfactory,
//! or unsatisfactory with the date of the re-evaluation. Each field is written to the device
//! store as it is left (`InspectionDoc::set_pickup`, `set_outcome`).

use chrono::NaiveDate;
use dioxus::prelude::*;
use milkshed_shared::document::{Pickup, PickupField};
use milkshed_shared::ids::InspectionId;
use milkshed_shared::sampling::Outcome;

use super::{edit, now};
use crate::ui::state::use_app;

#[component]
pub fn PickupPanel(
    id: InspectionId,
    pickup: Pickup,
    editable: bool,
    started: NaiveDate,
    message: Signal<Option<String>>,
) -> Element {
    let ctx = use_app();
    // an unsatisfactory evaluation's re-evaluation: the agency's default unless the evaluator
    // sets it
    let mut reevaluate = use_signal(move || {
        match pickup.outcome {
            Some(Outcome::Unsatisfactory { reevaluate_by }) => reevaluate_by,
            _ => milkshed_shared::sampling::default_reevaluation(started),
        }
        .to_string()
    });
    let unsatisfactory = matches!(pickup.outcome, Some(Outcome::Unsatisfactory { .. }));
    let outcome = match pickup.outcome {
        Some(Outcome::Satisfactory) => "Satisfactory".to_string(),
        Some(Outcome::Unsatisfactory { reevaluate_by }) => {
            format!("Unsatisfactory — re-evaluation due by {reevaluate_by}")
        }
        None => "not recorded yet (needed before signing)".to_string(),
    };
    rsx! {
        h2 { "Pick-up" }
        for f in PickupField::ALL {
            div { key: "{f.key()}",
            label { r#for: "pickup-{f.key()}", "{f.label()}" }
            input {
                id: "pickup-{f.key()}",
                class: "wide",
                disabled: !editable,
                inputmode: if f == PickupField::MilkTemperatureF { "decimal" } else { "text" },
                initial_value: "{pickup.get(f)}",
                onchange: {
                    let ctx = ctx.clone();
                    move |e: FormEvent| {
                        let v = e.value();
                        edit(&ctx, id, message, move |d| d.set_pickup(f, &v, &now()));
                    }
                }
            }
            }
        }
        h2 { "Outcome" }
        p { id: "outcome", strong { "{outcome}" } }
        if editable {
            div { class: "row",
                button {
                    id: "outcome-satisfactory",
                    class: "big",
                    onclick: {
                        let ctx = ctx.clone();
                        move |_| edit(&ctx, id, message, |d| d.set_outcome(Outcome::Satisfactory, &now()))
                    },
                    "Satisfactory"
                }
                button {
                    id: "outcome-unsatisfactory",
                    class: if unsatisfactory { "big primary" } else { "big" },
                    onclick: {
                        let ctx = ctx.clone();
                        move |_| match reevaluate().trim().parse::<NaiveDate>() {
                            Ok(by) => edit(&ctx, id, message, move |d| {
                                d.set_outcome(Outcome::Unsatisfactory { reevaluate_by: by }, &now())
                            }),
                            Err(_) => message.set(Some("give the re-evaluation date as YYYY-MM-DD".into())),
                        }
                    },
                    "Unsatisfactory"
                }
            }
            label { r#for: "reevaluate-by", "Re-evaluation due by (when unsatisfactory)" }
            input {
                id: "reevaluate-by",
                class: "wide",
                r#type: "date",
                initial_value: "{reevaluate}",
                oninput: move |e| reevaluate.set(e.value()),
            }
        }
    }
}
