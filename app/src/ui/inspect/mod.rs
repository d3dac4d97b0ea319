//! Inspecting: the FORM 2359a (farm) or FORM 2359 (plant) items as on the form, one tap to mark
//! a violation, the debit shown, a note and photos per finding, the pounds sold daily, the
//! running count and Total Debits, signatures, and the supervisor's comments on a returned
//! inspection. Every tap is durable in the device store before the screen shows it.

use base64::Engine;
use chrono::Local;
use dioxus::prelude::*;
use milkshed_shared::catalog::{Catalog, Form};
use milkshed_shared::document::{
    Inspection, ItemState, PhotoRef, SignerRole, Status, SubjectKind, HAULER_SAMPLER_ITEMS,
};
use uuid::Uuid;

use super::state::{use_app, AppCtx};
use crate::device::process_photo;
use milkshed_shared::rating::inspection::inspection_debits;

/// What the next tap records: unrecorded → violated (minor, then major where the item varies)
/// → in compliance → not applicable → unrecorded.
pub fn next_state(current: Option<&ItemState>, allowed_points: &[u32]) -> Option<ItemState> {
    let violated = |p: Option<u32>| ItemState::Violated {
        points: p,
        products: vec![],
    };
    let variable = allowed_points.len() > 1;
    match current {
        None => Some(violated(variable.then(|| allowed_points[0]))),
        Some(ItemState::Violated { points, .. }) => {
            let next_points = points.and_then(|p| allowed_points.iter().copied().find(|a| *a > p));
            match next_points {
                Some(p) if variable => Some(violated(Some(p))),
                _ => Some(ItemState::InCompliance),
            }
        }
        Some(ItemState::InCompliance) => Some(ItemState::NotApplicable),
        Some(ItemState::NotApplicable) | Some(ItemState::NotObserved) => None,
    }
}

fn form_of(i: &Inspection) -> Option<&'static Form> {
    let c = Catalog::builtin(&i.header.catalog).ok()?;
    match i.header.subject.kind {
        SubjectKind::Farm => Some(&c.farm),
        SubjectKind::Hauler => None,
        _ => Some(&c.plant),
    }
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    Local::now().fixed_offset()
}

fn edit(
    ctx: &AppCtx,
    id: Uuid,
    mut message: Signal<Option<String>>,
    f: impl FnOnce(
        &mut milkshed_shared::document::InspectionDoc,
    ) -> Result<(), milkshed_shared::document::DocumentError>,
) {
    let t = now();
    match ctx.with(|s| s.edit(id, &t, f)) {
        Some(Ok(())) => message.set(None),
        Some(Err(e)) => message.set(Some(e.to_string())),
        None => message.set(Some("the device store is not open".into())),
    }
    ctx.changed();
}

#[component]
pub fn Inspect(id: Uuid) -> Element {
    let ctx = use_app();
    let _ = (ctx.revision)();
    let message = use_signal(|| None::<String>);
    let mut photo_path = use_signal(String::new);
    let mut producer = use_signal(String::new);
    let mut strokes = use_signal(String::new);
    let mut drawing = use_signal(|| false);
    let mut tab = use_signal(|| 0u8);
    let mut product_name = use_signal(String::new);
    let mut product_pounds = use_signal(String::new);
    let Some(Ok(i)) = ctx.with(|s| s.inspection(id)) else {
        return rsx! { div { class: "error", "This inspection could not be read from the device." } };
    };
    let conflicts = ctx
        .with(|s| s.document(id).map(|d| d.conflicts()).unwrap_or_default())
        .unwrap_or_default();
    let form = form_of(&i);
    let ids: Vec<String> = ctx
        .with(|s| {
            s.document(id)
                .and_then(|d| Ok(d.item_ids()?))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let editable = i.status.editable();
    let is_plant = matches!(
        i.header.subject.kind,
        SubjectKind::Plant | SubjectKind::ReceivingStation | SubjectKind::TransferStation
    );
    let violations = i.violations().count();
    // the one Total Debits of an inspection: the report, the agency record and the review
    // pages show the same figure
    let debits = inspection_debits(&i).map_or(0, |d| d.total);
    let label = |item: &str| -> (String, Vec<u32>) {
        match form.and_then(|f| f.column_for_id(item).map(|c| &f.columns[c])) {
            Some(col) => (col.label.clone(), col.allowed_points()),
            None => (
                HAULER_SAMPLER_ITEMS
                    .iter()
                    .find(|(k, _)| *k == item)
                    .map(|(_, l)| l.to_string())
                    .unwrap_or_default(),
                vec![],
            ),
        }
    };
    let product_names: Vec<String> = i.products.iter().map(|(n, _)| n.clone()).collect();
    let thumbs: Vec<(String, String, String)> = i
        .photos
        .iter()
        .map(|p| {
            let data = ctx
                .with(|s| s.thumbnail(&p.hash).ok().flatten())
                .flatten()
                .unwrap_or_default();
            (
                p.hash.clone(),
                p.item.clone().unwrap_or_default(),
                base64::engine::general_purpose::STANDARD.encode(data),
            )
        })
        .collect();
    let last_return = i.reviews.iter().rev().find(|r| !r.accepted).cloned();
    let inspector_name = i.header.inspector.name.clone();
    let subtitle = format!(
        "{} · permit {} · started {}",
        i.header.kind.as_str().replace('_', " "),
        i.header.subject.permit.clone().unwrap_or_default(),
        i.header.started_at.format("%Y-%m-%d %H:%M")
    );
    let conflict_lines: Vec<String> = conflicts
        .iter()
        .map(|c| {
            format!(
                "{}: {} (record the right value again to resolve)",
                c.path,
                c.values.join(" | ")
            )
        })
        .collect();
    let signature_lines: Vec<String> = i
        .signatures
        .iter()
        .map(|s| {
            format!(
                "{}: {}, {}",
                s.role.as_str(),
                s.name,
                s.signed_at.format("%Y-%m-%d %H:%M")
            )
        })
        .collect();
    let pounds = i
        .pounds_sold_daily
        .map(|p| p.to_string())
        .unwrap_or_default();
    let processed = i
        .pounds_processed_daily
        .map(|p| p.to_string())
        .unwrap_or_default();
    rsx! {
        h1 { "{i.header.subject.name}" }
        p { "{subtitle}" }
        div { class: "totals", id: "totals",
            "{violations} violations · Total Debits {debits} · {i.status.as_str()}"
        }
        if let Some(m) = message() {
            div { class: "error", "{m}" }
        }
        if i.status == Status::Returned {
            if let Some(r) = last_return {
                div { class: "comment", id: "returned",
                    strong { "Returned by {r.by.name}: " } "{r.comment}"
                    for (item, c) in r.item_comments.iter() {
                        div { "Item {item}: {c}" }
                    }
                }
            }
        }
        if !conflict_lines.is_empty() {
            h2 { "Changed on two devices — choose" }
            for line in conflict_lines.iter() {
                div { class: "comment", "{line}" }
            }
        }
        div { class: "tabs row",
            button { id: "tab-items", class: if tab() == 0 { "big primary" } else { "big" }, onclick: move |_| tab.set(0), "Items" }
            button { id: "tab-photos", class: if tab() == 1 { "big primary" } else { "big" }, onclick: move |_| tab.set(1), "Photos ({i.photos.len()})" }
            button { id: "tab-sign", class: if tab() == 2 { "big primary" } else { "big" }, onclick: move |_| tab.set(2), "Sign & submit" }
        }
        if tab() == 0 && i.header.subject.kind == SubjectKind::Farm {
            div { class: "row",
                label { "Pounds sold daily" }
                input {
                    id: "pounds",
                    r#type: "number",
                    disabled: !editable,
                    value: "{pounds}",
                    onchange: {
                        let ctx = ctx.clone();
                        move |e: FormEvent| {
                            if let Ok(p) = e.value().trim().parse::<u64>() {
                                edit(&ctx, id, message, |d| d.set_pounds_sold_daily(p, &now()));
                            }
                        }
                    }
                }
            }
        }
        if tab() == 0 {
        if tab() == 0 && matches!(i.header.subject.kind, SubjectKind::Plant | SubjectKind::ReceivingStation | SubjectKind::TransferStation) {
            div { class: "row",
                label { "Pounds processed daily" }
                input {
                    id: "pounds-processed",
                    r#type: "number",
                    disabled: !editable,
                    value: "{processed}",
                    onchange: {
                        let ctx = ctx.clone();
                        move |e: FormEvent| {
                            if let Ok(p) = e.value().trim().parse::<u64>() {
                                edit(&ctx, id, message, |d| d.set_pounds_processed_daily(p, &now()));
                            }
                        }
                    }
                }
            }
        }
        if tab() == 0 && is_plant {
            h2 { "Products" }
            for (name, lb) in i.products.iter() {
                div { class: "row", key: "{name}", span { "{name}: {lb} lb daily" } }
            }
            if editable {
                div { class: "row",
                    input { id: "product-name", placeholder: "Product (e.g. Half and half)", value: "{product_name}", oninput: move |e| product_name.set(e.value()) }
                    input { id: "product-pounds", r#type: "number", placeholder: "pounds daily", value: "{product_pounds}", oninput: move |e| product_pounds.set(e.value()) }
                    button {
                        class: "big",
                        onclick: {
                            let ctx = ctx.clone();
                            move |_| {
                                let name = product_name().trim().to_string();
                                if let (false, Ok(p)) = (name.is_empty(), product_pounds().trim().parse::<u64>()) {
                                    edit(&ctx, id, message, move |d| d.set_product(&name, p, &now()));
                                    product_name.set(String::new());
                                    product_pounds.set(String::new());
                                }
                            }
                        },
                        "Add product"
                    }
                }
            }
        }
        h2 { "Items" }
        for item in ids.iter() {
            {
                let finding = i.findings.iter().find(|f| &f.item == item).cloned();
                let note = finding.as_ref().map(|f| f.note.clone()).unwrap_or_default();
                let partial = form
                    .and_then(|f| f.column_for_id(item).map(|c| f.columns[c].partial_by_product))
                    .unwrap_or(false);
                let (affected, points_now) = match finding.as_ref().map(|f| &f.state) {
                    Some(ItemState::Violated { products, points }) => (products.clone(), *points),
                    _ => (Vec::new(), None),
                };
                let (text, allowed) = label(item);
                let state = finding.as_ref().map(|f| f.state.clone());
                let (class, right) = match &state {
                    Some(ItemState::Violated { points, .. }) => ("item violated", format!("−{}", points.or(allowed.first().copied()).unwrap_or(0))),
                    Some(ItemState::InCompliance) => ("item ok", "✓ in compliance".to_string()),
                    Some(ItemState::NotApplicable) => ("item na", "n/a".to_string()),
                    Some(ItemState::NotObserved) => ("item na", "not observed".to_string()),
                    None => ("item", allowed.iter().map(u32::to_string).collect::<Vec<_>>().join("/")),
                };
                let tap = {
                    let ctx = ctx.clone();
                    let item = item.clone();
                    let allowed = allowed.clone();
                    let state = state.clone();
                    move |_| {
                        let next = next_state(state.as_ref(), &allowed);
                        let item = item.clone();
                        edit(&ctx, id, message, move |d| match next {
                            Some(s) => d.set_finding(&item, &s, &now()),
                            None => d.clear_finding(&item, &now()),
                        });
                    }
                };
                let note_change = {
                    let ctx = ctx.clone();
                    let item = item.clone();
                    move |e: FormEvent| {
                        let item = item.clone();
                        edit(&ctx, id, message, move |d| d.set_item_note(&item, &e.value(), &now()));
                    }
                };
                rsx! {
                    button { key: "{item}", id: "item-{item}", class: class, disabled: !editable, onclick: tap,
                        span { "{item} — {text}" }
                        span { class: "badge", "{right}" }
                    }
                    if partial && matches!(state, Some(ItemState::Violated { .. })) && !product_names.is_empty() {
                        div { class: "note row",
                            span { "Debit only against:" }
                            for name in product_names.iter() {
                                {
                                    let on = affected.contains(name);
                                    let ctx = ctx.clone();
                                    let item = item.clone();
                                    let name = name.clone();
                                    let current = affected.clone();
                                    let points = points_now;
                                    rsx! {
                                        button {
                                            class: if on { "big primary" } else { "big" },
                                            disabled: !editable,
                                            onclick: move |_| {
                                                let mut products = current.clone();
                                                if on { products.retain(|p| p != &name) } else { products.push(name.clone()) }
                                                let item = item.clone();
                                                edit(&ctx, id, message, move |d| d.set_finding(&item, &ItemState::Violated { points, products }, &now()));
                                            },
                                            "{name}"
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if matches!(state, Some(ItemState::Violated { .. })) {
                        div { class: "note",
                            input { class: "wide", placeholder: "Note for item {item}", disabled: !editable, value: "{note}", onchange: note_change }
                        }
                    }
                }
            }
        }
        }
        if tab() == 1 {
        h2 { "Photos" }
        div { class: "row",
            for (hash, item, b64) in thumbs.iter() {
                figure { key: "{hash}",
                    img { src: "data:image/jpeg;base64,{b64}", width: "160" }
                    figcaption { "item {item}" }
                }
            }
        }
        if editable {
            div { class: "row",
                input { id: "photo-path", class: "wide", placeholder: "Photo file (JPEG or PNG)", value: "{photo_path}", oninput: move |e| photo_path.set(e.value()) }
                button {
                    class: "big",
                    onclick: {
                        let ctx = ctx.clone();
                        let first_violation = i.violations().next().map(|f| f.item.clone());
                        let mut message = message;
                        move |_| {
                            let processed = std::fs::read(photo_path().trim())
                                .map_err(|e| e.to_string())
                                .and_then(|b| process_photo(&b).map_err(|e| e.to_string()));
                            match processed {
                                Err(e) => message.set(Some(e)),
                                Ok(p) => {
                                    let stored = ctx.with(|s| s.put_photo(&p).map_err(|e| e.to_string()));
                                    if let Some(Err(e)) = stored {
                                        message.set(Some(e));
                                        return;
                                    }
                                    let item = first_violation.clone();
                                    edit(&ctx, id, message, move |d| d.add_photo(&PhotoRef { hash: p.hash.clone(), item, caption: String::new(), taken_at: Some(now()), width: p.width, height: p.height, gps: p.gps.clone().map(|(lat, lon)| milkshed_shared::document::GpsFix { lat, lon, accuracy_m: None }) }, &now()));
                                    photo_path.set(String::new());
                                }
                            }
                        }
                    },
                    "Attach photo"
                }
            }
        }
        }
        if tab() == 2 {
        h2 { "Signatures" }
        for line in signature_lines.iter() {
            div { class: "okmsg", "{line}" }
        }
        if editable {
            p { "{inspector_name}, sign below:" }
            svg {
                class: "pad",
                id: "signature-pad",
                width: "360",
                height: "120",
                onmousedown: move |e: MouseEvent| {
                    let p = e.element_coordinates();
                    drawing.set(true);
                    strokes.with_mut(|s| s.push_str(&format!("M{:.0} {:.0} ", p.x, p.y)));
                },
                onmousemove: move |e: MouseEvent| {
                    if drawing() {
                        let p = e.element_coordinates();
                        strokes.with_mut(|s| s.push_str(&format!("L{:.0} {:.0} ", p.x, p.y)));
                    }
                },
                onmouseup: move |_| drawing.set(false),
                path { d: "{strokes}", stroke: "black", stroke_width: "3", fill: "none" }
            }
            div { class: "row",
                button {
                    id: "sign",
                    class: "big primary",
                    onclick: {
                        let ctx = ctx.clone();
                        let name = inspector_name.clone();
                        move |_| {
                            let drawn = strokes();
                            let name = name.clone();
                            edit(&ctx, id, message, move |d| d.sign(SignerRole::Inspector, &name, &drawn, &now()).map(|_| ()));
                            strokes.set(String::new());
                        }
                    },
                    "Sign the report"
                }
            }
        }
        if i.status == Status::Signed {
            div { class: "row",
                input { id: "producer", placeholder: "Producer or operator name", value: "{producer}", oninput: move |e| producer.set(e.value()) }
                button {
                    class: "big",
                    onclick: {
                        let ctx = ctx.clone();
                        move |_| {
                            let who = producer();
                            edit(&ctx, id, message, move |d| d.sign(SignerRole::Acknowledgement, &who, "", &now()).map(|_| ()));
                        }
                    },
                    "Producer acknowledges"
                }
                button {
                    id: "submit",
                    class: "big primary",
                    onclick: {
                        let ctx = ctx.clone();
                        move |_| edit(&ctx, id, message, |d| d.submit(&now()))
                    },
                    "Submit for review"
                }
            }
        }
        if tab() == 2 {
            h2 { "The producer's report" }
            for (bold, line) in crate::device::report::report_lines(&i) {
                if bold { p { strong { "{line}" } } } else { p { "{line}" } }
            }
            div { class: "row",
                button {
                    id: "export-report",
                    class: "big",
                    onclick: {
                        let ctx = ctx.clone();
                        let i = i.clone();
                        let mut message = message;
                        move |_| {
                            let photos: Vec<crate::device::report::ReportPhoto> = i
                                .photos
                                .iter()
                                .filter_map(|p| {
                                    let jpeg = ctx.with(|s| s.thumbnail(&p.hash).ok().flatten()).flatten()?;
                                    let (width, height) = image::ImageReader::new(std::io::Cursor::new(&jpeg)).with_guessed_format().ok()?.into_dimensions().ok()?;
                                    Some(crate::device::report::ReportPhoto { jpeg, width, height, caption: format!("item {}", p.item.clone().unwrap_or_default()) })
                                })
                                .collect();
                            let pdf = crate::device::report::report_pdf(&i, &photos);
                            let dir = ctx.data_dir.join("reports");
                            let name: String = i.header.subject.name.chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect();
                            let path = dir.join(format!("{name}-{}.pdf", i.header.started_at.format("%Y-%m-%d")));
                            match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &pdf)) {
                                Ok(()) => message.set(Some(format!("Report saved: {}", path.display()))),
                                Err(e) => message.set(Some(format!("The report could not be saved: {e}"))),
                            }
                        }
                    },
                    "Export the report (PDF)"
                }
            }
        }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tap_cycles_the_item_state() {
        let v = |p| {
            Some(ItemState::Violated {
                points: p,
                products: vec![],
            })
        };
        assert_eq!(next_state(None, &[3]), v(None));
        assert_eq!(
            next_state(v(None).as_ref(), &[3]),
            Some(ItemState::InCompliance)
        );
        assert_eq!(next_state(None, &[2, 5]), v(Some(2)));
        assert_eq!(next_state(v(Some(2)).as_ref(), &[2, 5]), v(Some(5)));
        assert_eq!(
            next_state(v(Some(5)).as_ref(), &[2, 5]),
            Some(ItemState::InCompliance)
        );
        assert_eq!(
            next_state(Some(&ItemState::InCompliance), &[3]),
            Some(ItemState::NotApplicable)
        );
        assert_eq!(next_state(Some(&ItemState::NotApplicable), &[3]), None);
    }
}
