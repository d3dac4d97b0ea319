//! Inspecting: the FORM 2359a (farm) or FORM 2359 (plant) items as on the form, one tap to mark
//! a violation, the debit shown, a note and photos per finding, the pounds sold daily, the
//! running count and Total Debits, signatures, and the supervisor's comments on a returned
//! inspection. Every tap is durable in the device store before the screen shows it.

use chrono::Local;
use dioxus::prelude::*;
use milkshed_shared::catalog::{Catalog, Form};
use milkshed_shared::document::{
    DeliveryMethod, Inspection, ItemState, LocationMoment, ReportDelivery, SignerRole, Status,
    SubjectKind,
};
use milkshed_shared::ids::InspectionId;

use super::state::{use_app, AppCtx};
use crate::platform::share::{self, Shared};
use photos::Upload;
use sign::SignaturePad;

mod haulers;
mod photos;
mod pickup;
pub(super) mod sign;
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
    if i.header.kind == milkshed_shared::document::InspectionKind::RatingReport {
        return None;
    }
    match i.header.subject.kind {
        SubjectKind::Farm => Some(&c.farm),
        SubjectKind::Hauler | SubjectKind::Btu => None,
        _ => Some(&c.plant),
    }
}

pub(super) fn now() -> chrono::DateTime<chrono::FixedOffset> {
    Local::now().fixed_offset()
}

pub(super) fn edit(
    ctx: &AppCtx,
    id: InspectionId,
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
pub fn Inspect(id: InspectionId) -> Element {
    let ctx = use_app();
    let _ = (ctx.revision)();
    let message = use_signal(|| None::<String>);
    let uploads = use_signal(Vec::<Upload>::new);
    let mut notice = use_signal(|| None::<String>);
    let signing = use_signal(|| false);
    let mut producer = use_signal(String::new);
    let mut tab = use_signal(|| 0u8);
    let mut product_name = use_signal(String::new);
    let mut product_pounds = use_signal(String::new);
    // a GPS fix when the inspection is started (first opened while it is a draft): a refusal
    // or a timeout is recorded as "no fix", and the work goes on meanwhile
    use_hook({
        let ctx = ctx.clone();
        move || {
            let wanted = ctx
                .with(|s| s.inspection(id).ok())
                .flatten()
                .is_some_and(|i| {
                    i.status.editable()
                        && !i
                            .locations
                            .iter()
                            .any(|l| l.moment == LocationMoment::Started)
                });
            if wanted {
                spawn(async move {
                    let rec =
                        crate::platform::location::current(LocationMoment::Started, now).await;
                    ctx.with(|s| {
                        s.edit(id, &now(), move |d| d.record_location(&rec, &now()))
                            .ok()
                    });
                    ctx.changed();
                });
            }
        }
    });
    use_hook({
        let ctx = ctx.clone();
        move || photos::listen_to_bridge(ctx, id, uploads, message)
    });
    let Some(Ok(i)) = ctx.with(|s| s.inspection(id)) else {
        return rsx! { div { class: "error", "This inspection could not be read from the device." } };
    };
    // a rating report has no items: it is filled in on the 2359j screen
    if i.header.kind == milkshed_shared::document::InspectionKind::RatingReport {
        return rsx! { super::enforcement_view::EnforcementView {} };
    }
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
    let evaluation = i.header.kind == milkshed_shared::document::InspectionKind::HaulerSampler;
    // the one Total Debits of an inspection: the report, the agency record and the review
    // pages show the same figure
    let debits = inspection_debits(&i).map_or(0, |d| d.total);
    let label = |item: &str| -> (String, Vec<u32>) {
        match form.and_then(|f| f.column_for_id(item).map(|c| &f.columns[c])) {
            Some(col) => (col.label.clone(), col.allowed_points()),
            None => (
                milkshed_shared::document::item_text(
                    &i.header.catalog,
                    i.header.subject.kind.items(),
                    item,
                )
                .map(|(t, _)| t)
                .unwrap_or_default(),
                vec![],
            ),
        }
    };
    let product_names: Vec<String> = i.products.iter().map(|(n, _)| n.clone()).collect();
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
    let recipient = i
        .signatures
        .iter()
        .rev()
        .find(|s| s.role == SignerRole::Acknowledgement)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| i.header.subject.name.clone());
    let tab_class = |n: u8| if tab() == n { "big primary" } else { "big" };
    rsx! {
        h1 { "{i.header.subject.name}" }
        p { "{subtitle}" }
        div { class: "totals", id: "totals",
            if evaluation {
                // an evaluation debits nothing: it counts the items not complied with
                {format!("{violations} deviation{} · {}", if violations == 1 { "" } else { "s" }, i.status.as_str())}
            } else {
                {format!("{violations} violation{} · Total Debits {debits} · {}", if violations == 1 { "" } else { "s" }, i.status.as_str())}
            }
        }
        if let Some(m) = message() {
            div { class: "error", id: "message", "{m}" }
        }
        if let Some(m) = notice() {
            div { class: "okmsg", id: "notice", "{m}" }
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
            button { id: "tab-items", class: tab_class(0), onclick: move |_| tab.set(0), "Items" }
            button { id: "tab-photos", class: tab_class(1), onclick: move |_| tab.set(1), "Photos ({i.photos.len()})" }
            button { id: "tab-sign", class: tab_class(2), onclick: move |_| tab.set(2), "Sign & submit" }
        }
        div { class: "split tab-{tab}",
        div { class: "items",
        if i.header.subject.kind == SubjectKind::Farm {
            label { r#for: "pounds", "Pounds sold daily" }
            input {
                id: "pounds",
                class: "wide",
                r#type: "number",
                inputmode: "numeric",
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
        if i.header.kind == milkshed_shared::document::InspectionKind::RatingVisitFarm {
            haulers::HaulersPanel { id, identified: i.haulers_identified.clone(), editable, message }
        }
        if let Some(p) = i.pickup.clone() {
            pickup::PickupPanel { id, pickup: p, editable, started: i.header.started_at.date_naive(), message }
        }
        if is_plant {
            label { r#for: "pounds-processed", "Pounds processed daily" }
            input {
                id: "pounds-processed",
                class: "wide",
                r#type: "number",
                inputmode: "numeric",
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
            h2 { "Products" }
            for (name, lb) in i.products.iter() {
                div { class: "row", key: "{name}", span { "{name}: {lb} lb daily" } }
            }
            if editable {
                div { class: "row",
                    input { id: "product-name", placeholder: "Product (e.g. Half and half)", initial_value: "{product_name}", oninput: move |e| product_name.set(e.value()) }
                    input { id: "product-pounds", r#type: "number", inputmode: "numeric", placeholder: "pounds daily", initial_value: "{product_pounds}", oninput: move |e| product_pounds.set(e.value()) }
                    button {
                        id: "add-product",
                        class: "big",
                        onclick: {
                            let ctx = ctx.clone();
                            move |_| {
                                let name = product_name().trim().to_string();
                                if let (false, Ok(p)) = (name.is_empty(), product_pounds().trim().parse::<u64>()) {
                                    edit(&ctx, id, message, move |d| d.set_product(&name, p, &now()));
                                    product_name.set(String::new());
                                    product_pounds.set(String::new());
                                    // the fields are the user's while typing (no value echoed
                                    // back to them, which would lose fast keystrokes): empty
                                    // them for the next product
                                    let _ = document::eval("for (const id of ['product-name', 'product-pounds']) { const e = document.getElementById(id); if (e) e.value = ''; }");
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
                    div { class: "finding", key: "{item}",
                    div { class: "row",
                        button { id: "item-{item}", class: class, style: "flex: 1 1 0", disabled: !editable, onclick: tap,
                            span { "{item} — {text}" }
                            span { class: "badge", "{right}" }
                        }
                        if editable {
                            {photos::camera(&ctx, id, Some(item.clone()), uploads, message)}
                        }
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
                            input { id: "note-{item}", class: "wide", placeholder: "Note for item {item}", disabled: !editable, value: "{note}", onchange: note_change }
                        }
                    }
                    {photos::row_thumbs(&ctx, &i, item)}
                    }
                }
            }
        }
        {photos::progress(&uploads.read())}
        }
        div { class: "side",
        if tab() != 2 {
            {photos::panel(&ctx, &i, &ids, uploads, message)}
        } else {
        h2 { "Signatures" }
        for line in signature_lines.iter() {
            div { class: "okmsg", "{line}" }
        }
        for l in i.locations.iter() {
            p { class: "location", id: "location-{l.moment.as_str()}",
                {match &l.fix {
                    Some(f) => format!("GPS when {}: {}, {}{}", l.moment.as_str(), f.lat, f.lon, f.accuracy_m.as_ref().map(|a| format!(" (±{a} m)")).unwrap_or_default()),
                    None => format!("GPS when {}: no fix ({})", l.moment.as_str(), l.no_fix),
                }}
            }
        }
        if signing() {
            p { class: "progress", "Signing: taking a GPS fix…" }
        }
        if editable {
            SignaturePad {
                id: "signature-pad",
                prompt: "{inspector_name}, sign below with your finger:",
                action: "Sign the report",
                on_sign: {
                    let ctx = ctx.clone();
                    let name = inspector_name.clone();
                    move |drawn: String| {
                        // where the report was signed, then the signature: the fix is part of
                        // what the inspector signs
                        let (ctx, name) = (ctx.clone(), name.clone());
                        let mut signing = signing;
                        signing.set(true);
                        spawn(async move {
                            let rec = crate::platform::location::current(LocationMoment::Signed, now).await;
                            ctx.with(|s| s.edit(id, &now(), move |d| d.record_location(&rec, &now())).ok());
                            edit(&ctx, id, message, move |d| d.sign(SignerRole::Inspector, &name, &drawn, &now()).map(|_| ()));
                            signing.set(false);
                        });
                    }
                }
            }
        }
        if i.status == Status::Signed {
            h2 { if evaluation { "The hauler/sampler's acknowledgement" } else { "The producer's acknowledgement" } }
            label { r#for: "producer", if evaluation { "Hauler/sampler's name" } else { "Producer or operator name" } }
            input { id: "producer", class: "wide", initial_value: "{producer}", oninput: move |e| producer.set(e.value()) }
            SignaturePad {
                id: "producer-pad",
                prompt: if evaluation { "The hauler/sampler signs that the evaluation was received:" } else { "The producer or operator signs that the report was received:" },
                action: if evaluation { "Hauler/sampler acknowledges" } else { "Producer acknowledges" },
                on_sign: {
                    let ctx = ctx.clone();
                    move |drawn: String| {
                        let who = producer();
                        edit(&ctx, id, message, move |d| d.sign(SignerRole::Acknowledgement, &who, &drawn, &now()).map(|_| ()));
                    }
                }
            }
            div { class: "actions",
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
                        let saved = ctx.with(|s| crate::device::report::save_report(s, &i, &ctx.data_dir.join("reports")));
                        match saved {
                            Some(Ok(path)) if share::uses_web_share() => {
                                let title = format!("Inspection report: {}", i.header.subject.name);
                                spawn(async move {
                                    match share::web_share(&path, &title).await {
                                        Ok(Shared::Shared) => notice.set(Some(format!("The report went to the share sheet (saved too: {})", path.display()))),
                                        Ok(Shared::Cancelled) => notice.set(Some(format!("Not shared; the report is saved at {}", path.display()))),
                                        Ok(Shared::Unsupported) => notice.set(Some(format!("This device offers the app no share sheet: the report is saved at {} — show it on screen, or print it from there.", path.display()))),
                                        Err(e) => message.set(Some(format!("Report saved at {}, but {e}", path.display()))),
                                    }
                                });
                            }
                            Some(Ok(path)) => match share::hand_over(&path) {
                                Ok(()) => notice.set(Some(format!("The report is open in the system viewer, to print, e-mail or save: {}", path.display()))),
                                Err(e) => message.set(Some(format!("Report saved at {}, but it could not be opened: {e}", path.display()))),
                            },
                            Some(Err(e)) => message.set(Some(format!("The report could not be saved: {e}"))),
                            None => message.set(Some("the device store is not open".into())),
                        }
                    }
                },
                "Open or share the report (PDF)"
            }
        }
        if i.status != Status::Draft {
            p { "How did the report reach {recipient}?" }
            div { class: "row",
                for how in DeliveryMethod::ALL {
                    {
                        let ctx = ctx.clone();
                        let to = recipient.clone();
                        rsx! {
                            button {
                                id: "delivered-{how.as_str()}",
                                class: "big",
                                onclick: move |_| {
                                    let d = ReportDelivery { how, at: now(), to: to.clone() };
                                    edit(&ctx, id, message, move |doc| doc.record_delivery(&d, &now()));
                                },
                                {match how {
                                    DeliveryMethod::Printed => "Printed",
                                    DeliveryMethod::Shared => "Shared",
                                    DeliveryMethod::Emailed => "E-mailed",
                                    DeliveryMethod::Shown => "Shown on screen",
                                }}
                            }
                        }
                    }
                }
            }
            for (n, d) in i.deliveries.iter().enumerate() {
                div { class: "okmsg", id: "delivery-{n}", {format!("Report {} to {} at {}", d.how.as_str(), d.to, d.at.format("%Y-%m-%d %H:%M"))} }
            }
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
