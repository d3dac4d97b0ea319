//! The enforcement worksheet (FORM 2359j Parts I–III) filled in the app and computed live by
//! the rating engine; every entry is kept in the device store as it is typed.

use dioxus::prelude::*;
use milkshed_shared::rating::enforcement::{EnforcementForm, ItemDef, Mode};
use milkshed_shared::worksheet;
use serde_json::{json, Map, Value};

use super::state::use_app;

const DRAFT: &str = "enforcement_draft";

fn item_value(def: &ItemDef, entry: &Value) -> Option<Value> {
    match def.mode {
        Mode::AllOrNothing => entry.get("complies").cloned(),
        Mode::Count | Mode::CountOrPoints => {
            let n = entry.get("number")?.as_u64()?;
            let c = entry.get("complying")?.as_u64()?;
            Some(json!({"number": n, "complying": c}))
        }
        Mode::Points => {
            let list: Vec<u32> = entry
                .get("points_off")
                .and_then(|p| p.as_str())
                .unwrap_or_default()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter_map(|x| x.trim().parse().ok())
                .collect();
            Some(json!({"points_off": list}))
        }
        _ => entry
            .get("percent")
            .and_then(|p| p.as_u64())
            .map(|p| json!({"percent": p})),
    }
}

/// The 2359j worksheet JSON of a draft.
pub fn worksheet_of(form: &EnforcementForm, draft: &Value, rating_date: &str) -> Value {
    let shipper_type = draft
        .get("shipper_type")
        .and_then(|v| v.as_str())
        .unwrap_or("btu_only");
    let t = form.shipper_type(shipper_type);
    let part = |name: &str, defs: &[ItemDef], omit: &[u32]| -> Value {
        let mut m = Map::new();
        for def in defs.iter().filter(|d| !omit.contains(&d.no)) {
            let entry = &draft[name][def.no.to_string()];
            if let Some(v) = item_value(def, entry) {
                m.insert(def.no.to_string(), v);
            }
        }
        Value::Object(m)
    };
    let mut ws = json!({"form": "2359j", "shipper_type": shipper_type, "rating_date": rating_date});
    if t.is_some_and(|t| t.part_i) {
        ws["part_i"] = part("part_i", &form.part_i, &[]);
    }
    if let Some(omit) = t.and_then(|t| t.part_ii_omit.clone()) {
        ws["part_ii"] = part("part_ii", &form.part_ii, &omit);
    }
    if t.is_some_and(|t| t.item2.is_some()) {
        let l = &draft["labeling"];
        ws["part_iii"] = json!({"labeling": {"number": l["number"].as_u64().unwrap_or(0), "complying": l["complying"].as_u64().unwrap_or(0)}});
    }
    ws
}

#[component]
pub fn EnforcementView() -> Element {
    let ctx = use_app();
    let _ = (ctx.revision)();
    let Some(form) = EnforcementForm::builtin() else {
        return rsx! { div { class: "error", "The FORM 2359j catalog could not be loaded." } };
    };
    let draft: Value = ctx
        .with(|s| s.setting(DRAFT).ok().flatten())
        .flatten()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| json!({"shipper_type": "btu_only"}));
    let save = {
        let ctx = ctx.clone();
        move |path: Vec<String>, value: Value| {
            let mut d: Value = ctx
                .with(|s| s.setting(DRAFT).ok().flatten())
                .flatten()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_else(|| json!({"shipper_type": "btu_only"}));
            let mut slot = &mut d;
            for p in &path {
                if !slot.get(p).is_some_and(Value::is_object) && slot.is_object() {
                    slot[p.as_str()] = json!({});
                }
                slot = &mut slot[p.as_str()];
            }
            *slot = value;
            ctx.with(|s| s.set_setting(DRAFT, &d.to_string()));
            ctx.changed();
        }
    };
    let today = chrono::Local::now().date_naive().to_string();
    let sheet = worksheet_of(form, &draft, &today);
    let result = worksheet::rate_json(&sheet.to_string());
    let shipper_type = draft["shipper_type"]
        .as_str()
        .unwrap_or("btu_only")
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
    let (summary, problems) = match &result {
        Ok(text) => {
            let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            (
                Some(format!(
                    "Enforcement rating {} (exact {})",
                    v["enforcement_rating"],
                    v["enforcement_rating_unrounded"]
                        .as_str()
                        .unwrap_or_default()
                )),
                Vec::new(),
            )
        }
        Err(e) => (
            None,
            e.problems()
                .into_iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
        ),
    };
    rsx! {
        h1 { "Enforcement rating — FORM 2359j" }
        div { class: "row",
            label { "Shipper type" }
            select {
                id: "shipper-type",
                onchange: {
                    let save = save.clone();
                    move |e: FormEvent| save(vec!["shipper_type".into()], json!(e.value()))
                },
                for st in form.shipper_types.iter() {
                    option { value: "{st.name}", selected: st.name == shipper_type, "{st.name.replace('_', \" \")}" }
                }
            }
        }
        div { class: "totals", id: "enforcement-result",
            match summary {
                Some(s) => rsx! { "{s}" },
                None => rsx! { "Fill every item to compute the rating." },
            }
        }
        for p in problems.iter().take(3) {
            div { class: "comment", "{p}" }
        }
        if problems.len() > 3 {
            div { class: "comment", "…and {problems.len() - 3} more to fill" }
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
                                    button { id: "{key}-{def.no}-complies", class: if complies == Some(true) { "big primary" } else { "big" }, onclick: { let save = save.clone(); let p = p.clone(); move |_| save(p.clone(), json!(true)) }, "Complies" }
                                    button { id: "{key}-{def.no}-does-not", class: if complies == Some(false) { "big primary" } else { "big" }, onclick: move |_| save(p.clone(), json!(false)), "Does not" }
                                }
                            }
                        }
                        Mode::Count | Mode::CountOrPoints => {
                            let (pn, pc) = (path("number"), path("complying"));
                            let (n, c) = (num("number"), num("complying"));
                            rsx! {
                                div { class: "row", key: "{key}{def.no}",
                                    span { class: "lbl", "{label}" }
                                    input { r#type: "number", placeholder: "number", value: "{n}", onchange: { let save = save.clone(); move |e: FormEvent| { if let Ok(v) = e.value().trim().parse::<u64>() { save(pn.clone(), json!(v)) } } } }
                                    input { r#type: "number", placeholder: "complying", value: "{c}", onchange: move |e: FormEvent| { if let Ok(v) = e.value().trim().parse::<u64>() { save(pc.clone(), json!(v)) } } }
                                }
                            }
                        }
                        Mode::Points => {
                            let p = path("points_off");
                            let v = entry["points_off"].as_str().unwrap_or_default().to_string();
                            rsx! {
                                div { class: "row", key: "{key}{def.no}",
                                    span { class: "lbl", "{label}" }
                                    input { placeholder: "weights misinterpreted, e.g. 15, 5", value: "{v}", onchange: move |e: FormEvent| save(p.clone(), json!(e.value())) }
                                }
                            }
                        }
                        _ => {
                            let p = path("percent");
                            let v = num("percent");
                            rsx! {
                                div { class: "row", key: "{key}{def.no}",
                                    span { class: "lbl", "{label} — worksheet percent" }
                                    input { r#type: "number", value: "{v}", onchange: move |e: FormEvent| { if let Ok(x) = e.value().trim().parse::<u64>() { save(p.clone(), json!(x)) } } }
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
                input { r#type: "number", placeholder: "products", value: "{draft[\"labeling\"][\"number\"]}", onchange: { let save = save.clone(); move |e: FormEvent| { if let Ok(v) = e.value().trim().parse::<u64>() { save(vec!["labeling".into(), "number".into()], json!(v)) } } } }
                input { r#type: "number", placeholder: "labeled", value: "{draft[\"labeling\"][\"complying\"]}", onchange: { let save = save.clone(); move |e: FormEvent| { if let Ok(v) = e.value().trim().parse::<u64>() { save(vec!["labeling".into(), "complying".into()], json!(v)) } } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// H #9 United Dairy entered as in the app gives 76.
    #[test]
    fn a_draft_rates_like_the_worked_example() {
        let form = EnforcementForm::builtin().unwrap();
        let draft = json!({"shipper_type": "btu_only", "part_i": {
            "1": {"number": 1, "complying": 1}, "2": {"number": 4, "complying": 3}, "3": {"number": 1, "complying": 1},
            "4": {"number": 1, "complying": 1}, "5": {"complies": true}, "6": {"number": 5, "complying": 4},
            "7": {"complies": true}, "8": {"number": 1, "complying": 0}, "9": {"percent": 100},
            "10": {"percent": 60}, "11": {"percent": 75}}});
        let mut ws = worksheet_of(form, &draft, "2012-06-16");
        // the single-farm item 4 by points
        ws["part_i"]["4"] = json!({"points_off": [1, 3, 5]});
        let out: Value =
            serde_json::from_str(&worksheet::rate_json(&ws.to_string()).unwrap()).unwrap();
        assert_eq!(out["enforcement_rating"], 76);
    }
}
