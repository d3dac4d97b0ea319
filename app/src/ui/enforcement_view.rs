//! The rating report on the tablet: FORM 2359j Section A (what the rating officer writes, and
//! the summary of rating results computed live from this device's rating visits) and Section B
//! (Parts I-III, rated live by the enforcement engine). The report is a document like an
//! inspection: every entry is written to the device store as it is typed, signed with a finger,
//! submitted, and synced to the agency record, whose listing takes its figures from it.

use dioxus::prelude::*;
use milkshed_shared::document::{InspectionKind, SignerRole, Status, Subject};
use milkshed_shared::rating::enforcement::{EnforcementForm, ItemDef, Mode};
use milkshed_shared::rating::report;
use serde_json::{json, Value};

use super::inspect::sign::SignaturePad;
use super::state::use_app;
use crate::device::work::{self, Shipper};

#[component]
pub fn EnforcementView() -> Element {
    let ctx = use_app();
    let _ = (ctx.revision)();
    let message = use_signal(|| None::<String>);
    let Some(form) = EnforcementForm::builtin() else {
        return rsx! { div { class: "error", "The FORM 2359j catalog could not be loaded." } };
    };
    let shippers: Vec<Shipper> = ctx.with(|s| work::shippers(s)).unwrap_or_default();
    let mut chosen = use_signal(|| None::<String>);
    let shipper = chosen()
        .and_then(|id| shippers.iter().find(|s| s.id == id).cloned())
        .or_else(|| shippers.first().cloned());
    let Some(shipper) = shipper else {
        return rsx! {
            h1 { "Rating report — FORM 2359j" }
            p { "No shipper in the briefcase yet: sync to bring the BTUs and plants." }
        };
    };
    let picker = rsx! {
        div { class: "row",
            label { r#for: "report-shipper", "Shipper" }
            select { id: "report-shipper", onchange: move |e: FormEvent| chosen.set(Some(e.value())),
                for s in shippers.iter() {
                    option { value: "{s.id}", selected: s.id == shipper.id, "{s.name}" }
                }
            }
        }
    };
    let report_id = ctx
        .with(|s| work::rating_report_of(s, &shipper.id))
        .flatten();
    let Some(id) = report_id else {
        let ctx = ctx.clone();
        let s = shipper.clone();
        return rsx! {
            h1 { "Rating report — FORM 2359j" }
            {picker}
            p { "No 2359j of {shipper.name} on this device yet." }
            button {
                id: "start-2359j",
                class: "big primary",
                onclick: move |_| {
                    let now = super::inspect::now();
                    let subject = Subject {
                        kind: s.subject,
                        id: s.id.clone().into(),
                        name: s.name.clone(),
                        permit: s.permit.clone(),
                        producer_number: None,
                    };
                    ctx.with(|store| {
                        super::work_list::create_by_me(
                            store,
                            InspectionKind::RatingReport,
                            subject,
                            milkshed_shared::catalog::DEFAULT_CATALOG.to_string(),
                            None,
                            now,
                        )
                    });
                    ctx.changed();
                },
                "Start the 2359j of {shipper.name}"
            }
        };
    };
    let Some(Ok(i)) = ctx.with(|s| s.inspection(id)) else {
        return rsx! { div { class: "error", "This rating report could not be read from the device." } };
    };
    let editable = i.status.editable();
    let draft = report::draft_of(&i.report);
    let save = {
        let ctx = ctx.clone();
        move |path: Vec<String>, value: Value| {
            let parts: Vec<&str> = path.iter().map(String::as_str).collect();
            let entry = report::entry_path(&parts);
            let now = super::inspect::now();
            super::inspect::edit(&ctx, id, message, move |d| {
                d.set_report_entry(&entry, &value, &now)
            });
        }
    };
    let today = ctx
        .with(|s| work::agency_today(s))
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let (summary, rating_date) = ctx
        .with(|s| work::report_summary(s, &shipper, &i.report, today))
        .unwrap_or_default();
    let result = report::rate_enforcement(form, &i.report, &rating_date.to_string());
    let shipper_type = draft["shipper_type"]
        .as_str()
        .unwrap_or(report::DEFAULT_SHIPPER_TYPE)
        .to_string();
    let t = form.shipper_type(&shipper_type).cloned();
    let parts: Vec<(&str, &str, Vec<ItemDef>)> = {
        let mut v = Vec::new();
        if t.as_ref().is_some_and(|t| t.part_i) {
            v.push(("part_i", "Part I — dairy farms", form.part_i.clone()));
        }
        if let Some(omit) = t.as_ref().and_then(|t| t.part_ii_omit.clone()) {
            v.push((
                "part_ii",
                "Part II — plants and stations",
                form.part_ii
                    .iter()
                    .filter(|d| !omit.contains(&d.no))
                    .cloned()
                    .collect(),
            ));
        }
        v
    };
    let (er, problems) = match &result {
        Ok(v) => (
            Some(format!(
                "Enforcement rating {} (exact {})",
                v["enforcement_rating"],
                v["enforcement_rating_unrounded"]
                    .as_str()
                    .unwrap_or_default()
            )),
            Vec::new(),
        ),
        Err(p) => (None, p.clone()),
    };
    let er_value = result
        .as_ref()
        .ok()
        .map(|v| v["enforcement_rating"].to_string())
        .unwrap_or_default();
    let inspector_name = i.header.inspector.name.clone();
    let status_line = format!(
        "{} · {} · started {}",
        shipper.name,
        i.status.as_str(),
        i.header.started_at.format("%Y-%m-%d")
    );
    let section_a: Vec<(&str, &str, String)> = report::SECTION_A
        .iter()
        .map(|(k, l)| (*k, *l, report::section_a_field(&i.report, k)))
        .collect();
    rsx! {
        h1 { "Rating report — FORM 2359j" }
        {picker}
        p { class: "muted", id: "report-status", "data-status": "{i.status.as_str()}", "{status_line}" }
        if let Some(m) = message() {
            div { class: "error", "{m}" }
        }
        div { class: "totals", id: "enforcement-result", "data-rating": "{er_value}",
            match er {
                Some(s) => rsx! { "{s}" },
                None => rsx! { "Fill every item to compute the enforcement rating." },
            }
        }
        for p in problems.iter().take(3) {
            div { class: "comment", "{p}" }
        }
        if problems.len() > 3 {
            div { class: "comment", "…and {problems.len() - 3} more to fill" }
        }
        h2 { "Section A — report of the milk sanitation rating" }
        table { id: "section-a-summary",
            tbody {
                for (label, v) in summary.lines() {
                    tr { th { "{label}" } td { "{v}" } }
                }
            }
        }
        for (key, label, value) in section_a {
            {
                let save = save.clone();
                let path = vec!["a".to_string(), key.to_string()];
                rsx! {
                    div { class: "row", key: "a-{key}",
                        label { r#for: "a-{key}", class: "lbl", "{label}" }
                        if key == "recommendations" {
                            textarea { id: "a-{key}", class: "wide", disabled: !editable, initial_value: "{value}", onchange: move |e: FormEvent| save(path.clone(), json!(e.value())) }
                        } else {
                            input { id: "a-{key}", class: "wide", disabled: !editable, initial_value: "{value}", onchange: move |e: FormEvent| save(path.clone(), json!(e.value())) }
                        }
                    }
                }
            }
        }
        h2 { "Section B — report of enforcement methods" }
        div { class: "row",
            label { r#for: "shipper-type", "Shipper type" }
            select {
                id: "shipper-type",
                disabled: !editable,
                onchange: {
                    let save = save.clone();
                    move |e: FormEvent| save(vec!["shipper_type".into()], json!(e.value()))
                },
                for st in form.shipper_types.iter() {
                    option { value: "{st.name}", selected: st.name == shipper_type, "{st.name.replace('_', \" \")}" }
                }
            }
        }
        for (key, title, defs) in parts {
            h2 { "{title}" }
            for def in defs {
                {
                    let entry = draft[key][def.no.to_string()].clone();
                    let label = format!("{}. {} (weight {})", def.no, def.text, def.weight);
                    let save = save.clone();
                    let path = |field: &str| vec![key.to_string(), def.no.to_string(), field.to_string()];
                    let num = |field: &str| entry[field].as_u64().map(|n| n.to_string()).unwrap_or_default();
                    match def.mode {
                        Mode::AllOrNothing => {
                            let complies = entry["complies"].as_bool();
                            let p = path("complies");
                            rsx! {
                                div { class: "row", key: "{key}{def.no}",
                                    span { class: "lbl", "{label}" }
                                    button { id: "{key}-{def.no}-complies", disabled: !editable, class: if complies == Some(true) { "big primary" } else { "big" }, onclick: { let save = save.clone(); let p = p.clone(); move |_| save(p.clone(), json!(true)) }, "Complies" }
                                    button { id: "{key}-{def.no}-does-not", disabled: !editable, class: if complies == Some(false) { "big primary" } else { "big" }, onclick: move |_| save(p.clone(), json!(false)), "Does not" }
                                }
                            }
                        }
                        Mode::Count | Mode::CountOrPoints => {
                            let (pn, pc) = (path("number"), path("complying"));
                            let (n, c) = (num("number"), num("complying"));
                            rsx! {
                                div { class: "row", key: "{key}{def.no}",
                                    span { class: "lbl", "{label}" }
                                    input { id: "{key}-{def.no}-number", r#type: "number", disabled: !editable, placeholder: "number", value: "{n}", onchange: { let save = save.clone(); move |e: FormEvent| { if let Ok(v) = e.value().trim().parse::<u64>() { save(pn.clone(), json!(v)) } } } }
                                    input { id: "{key}-{def.no}-complying", r#type: "number", disabled: !editable, placeholder: "complying", value: "{c}", onchange: move |e: FormEvent| { if let Ok(v) = e.value().trim().parse::<u64>() { save(pc.clone(), json!(v)) } } }
                                }
                            }
                        }
                        Mode::Points => {
                            let p = path("points_off");
                            let v = entry["points_off"].as_str().unwrap_or_default().to_string();
                            rsx! {
                                div { class: "row", key: "{key}{def.no}",
                                    span { class: "lbl", "{label}" }
                                    input { id: "{key}-{def.no}-points", disabled: !editable, placeholder: "weights misinterpreted, e.g. 15, 5", value: "{v}", onchange: move |e: FormEvent| save(p.clone(), json!(e.value())) }
                                }
                            }
                        }
                        _ => {
                            let p = path("percent");
                            let v = num("percent");
                            rsx! {
                                div { class: "row", key: "{key}{def.no}",
                                    span { class: "lbl", "{label} — worksheet percent" }
                                    input { id: "{key}-{def.no}-percent", r#type: "number", disabled: !editable, value: "{v}", onchange: move |e: FormEvent| { if let Ok(x) = e.value().trim().parse::<u64>() { save(p.clone(), json!(x)) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
        if t.as_ref().is_some_and(|t| t.item2.is_some()) {
            h2 { "Part III — labeling" }
            div { class: "row",
                span { class: "lbl", "3. All milk and milk products properly labeled (weight 6)" }
                input { r#type: "number", disabled: !editable, placeholder: "products", value: "{draft[\"labeling\"][\"number\"]}", onchange: { let save = save.clone(); move |e: FormEvent| { if let Ok(v) = e.value().trim().parse::<u64>() { save(vec!["labeling".into(), "number".into()], json!(v)) } } } }
                input { r#type: "number", disabled: !editable, placeholder: "labeled", value: "{draft[\"labeling\"][\"complying\"]}", onchange: { let save = save.clone(); move |e: FormEvent| { if let Ok(v) = e.value().trim().parse::<u64>() { save(vec!["labeling".into(), "complying".into()], json!(v)) } } } }
            }
        }
        h2 { "Sign & submit" }
        if editable {
            SignaturePad {
                id: "report-signature-pad",
                prompt: "{inspector_name}, sign the rating report with your finger:",
                action: "Sign the 2359j",
                on_sign: {
                    let ctx = ctx.clone();
                    let name = inspector_name.clone();
                    move |drawn: String| {
                        let name = name.clone();
                        super::inspect::edit(&ctx, id, message, move |d| {
                            d.sign(SignerRole::Inspector, &name, &drawn, &super::inspect::now()).map(|_| ())
                        });
                    }
                }
            }
        }
        if i.status == Status::Signed {
            div { class: "actions",
                button {
                    id: "submit-2359j",
                    class: "big primary",
                    onclick: {
                        let ctx = ctx.clone();
                        move |_| super::inspect::edit(&ctx, id, message, |d| d.submit(&super::inspect::now()))
                    },
                    "Submit the 2359j"
                }
            }
        }
        if matches!(i.status, Status::Submitted | Status::Accepted) {
            p { id: "report-sent", "Submitted: the agency's listing takes its ratings from this report once it is synced." }
        }
    }
}
