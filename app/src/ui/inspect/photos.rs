//! Photos of findings. The camera button is the webview's own file input (`accept="image/*"`,
//! `capture="environment"`, several at once): the camera on iOS and Android, a file chooser on
//! a desktop (see ARCHITECTURE.md, "Platform edges"). Each chosen photo is read through
//! Dioxus's `FileData`, processed off the UI thread by the device's pipeline, stored, and
//! attached to the finding it was taken from; its progress shows per photo, and a photo the
//! pipeline refuses says why and changes nothing.

use base64::Engine;
use dioxus::html::FileData;
use dioxus::prelude::*;
use milkshed_shared::document::{Inspection, PhotoRef};
use milkshed_shared::ids::InspectionId;

use super::{edit, now};
use crate::device::photos::{process_photo_off_thread, MAX_INPUT_BYTES};
use crate::ui::state::AppCtx;

/// One chosen photo on its way in.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub name: String,
    pub state: UploadState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UploadState {
    Processing,
    Attached(Option<String>),
    Refused(String),
}

impl Upload {
    fn line(&self) -> String {
        match &self.state {
            UploadState::Processing => format!("{}: shrinking and storing…", self.name),
            UploadState::Attached(Some(item)) => format!("{}: attached to item {item}", self.name),
            UploadState::Attached(None) => format!("{}: attached to the inspection", self.name),
            UploadState::Refused(why) => format!("{}: not attached — {why}", self.name),
        }
    }
}

/// A chosen photo on its way: its name and, once read, its bytes.
pub(super) struct Incoming {
    pub item: Option<String>,
    pub name: String,
    pub bytes: Result<Vec<u8>, String>,
}

/// Takes one chosen photo: processed off the UI thread, stored, then attached to its finding
/// (None: the inspection as a whole). Its line in `uploads` says how it went.
pub(super) async fn take_one(
    ctx: &AppCtx,
    id: InspectionId,
    incoming: Incoming,
    mut uploads: Signal<Vec<Upload>>,
    message: Signal<Option<String>>,
) {
    let n = uploads.len();
    uploads.push(Upload {
        name: incoming.name,
        state: UploadState::Processing,
    });
    let mut set = move |state| uploads.with_mut(|u| u[n].state = state);
    let bytes = match incoming.bytes {
        Ok(b) => b,
        Err(why) => {
            set(UploadState::Refused(why));
            return;
        }
    };
    let photo = match process_photo_off_thread(bytes).await {
        Ok(p) => p,
        Err(e) => {
            set(UploadState::Refused(e.to_string()));
            return;
        }
    };
    if let Some(Err(e)) = ctx.with(|s| s.put_photo(&photo)) {
        set(UploadState::Refused(e.to_string()));
        return;
    }
    let item = incoming.item;
    let reference = photo.reference(item.clone(), "", &now());
    edit(ctx, id, message, move |d| d.add_photo(&reference, &now()));
    set(UploadState::Attached(item));
}

/// Takes the files Dioxus read from the chooser, one after another.
fn take(
    ctx: AppCtx,
    id: InspectionId,
    item: Option<String>,
    files: Vec<FileData>,
    uploads: Signal<Vec<Upload>>,
    message: Signal<Option<String>>,
) {
    spawn(async move {
        for file in files {
            let bytes = if usize::try_from(file.size()).map_or(true, |s| s > MAX_INPUT_BYTES) {
                Err("the photo is over 40 MB".to_string())
            } else {
                file.read_bytes()
                    .await
                    .map(|b| b.to_vec())
                    .map_err(|e| format!("it could not be read: {e}"))
            };
            let incoming = Incoming {
                item: item.clone(),
                name: file.name(),
                bytes,
            };
            take_one(&ctx, id, incoming, uploads, message).await;
        }
    });
}

/// On Android and iOS: listens to the page's camera bridge while the inspection is on screen.
pub(super) fn listen_to_bridge(
    ctx: AppCtx,
    id: InspectionId,
    uploads: Signal<Vec<Upload>>,
    message: Signal<Option<String>>,
) {
    if !crate::platform::camera::uses_bridge() {
        return;
    }
    spawn(async move {
        let mut bridge = crate::platform::camera::bridge();
        while let Ok(m) = bridge.recv::<serde_json::Value>().await {
            let p = crate::platform::camera::decode(&m, MAX_INPUT_BYTES);
            let incoming = Incoming {
                item: p.item,
                name: p.name,
                bytes: p.bytes,
            };
            take_one(&ctx, id, incoming, uploads, message).await;
        }
    });
}

/// The camera button of a finding (`item`) or of the inspection (None).
pub fn camera(
    ctx: &AppCtx,
    id: InspectionId,
    item: Option<String>,
    uploads: Signal<Vec<Upload>>,
    message: Signal<Option<String>>,
) -> Element {
    let dom_id = format!("camera-{}", item.as_deref().unwrap_or("inspection"));
    let title = match &item {
        Some(i) => format!("Photograph item {i}"),
        None => "Photograph the inspection".to_string(),
    };
    let text = if item.is_some() { "" } else { "Take photos" };
    let ctx = ctx.clone();
    rsx! {
        label { class: "camera", id: "{dom_id}", title: "{title}", aria_label: "{title}",
            // a camera, drawn: no emoji font is needed
            svg { width: "28", height: "28", view_box: "0 0 24 24", fill: "none", stroke: "currentColor", stroke_width: "2", stroke_linejoin: "round",
                path { d: "M3 7h4l2-3h6l2 3h4v13H3z" }
                circle { cx: "12", cy: "13", r: "4" }
            }
            if !text.is_empty() { span { style: "margin-left: 6px", "{text}" } }
            if crate::platform::camera::uses_bridge() {
                // read by the page's bridge: Dioxus never sees its click
                input {
                    class: crate::platform::camera::BRIDGED,
                    r#type: "file",
                    accept: "image/*",
                    capture: "environment",
                    multiple: true,
                    "data-item": item.clone().unwrap_or_default(),
                }
            } else {
                input {
                    r#type: "file",
                    accept: "image/*",
                    capture: "environment",
                    multiple: true,
                    onchange: move |e: FormEvent| take(ctx.clone(), id, item.clone(), e.files(), uploads, message),
                }
            }
        }
    }
}

/// What the uploads of this screen did.
pub fn progress(uploads: &[Upload]) -> Element {
    rsx! {
        if !uploads.is_empty() {
            ul { class: "progress", id: "photo-progress",
                for (n, u) in uploads.iter().enumerate() {
                    li { key: "{n}", class: if matches!(u.state, UploadState::Refused(_)) { "error" } else { "" }, "{u.line()}" }
                }
            }
        }
    }
}

/// A thumbnail as a data URL (empty when the device lacks it).
pub fn thumb_src(ctx: &AppCtx, hash: &str) -> String {
    let data = ctx
        .with(|s| s.thumbnail(hash).ok().flatten())
        .flatten()
        .unwrap_or_default();
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(data)
    )
}

/// Thumbnails of one finding's photos, in its row.
pub fn row_thumbs(ctx: &AppCtx, i: &Inspection, item: &str) -> Element {
    let photos: Vec<&PhotoRef> = i
        .photos
        .iter()
        .filter(|p| p.item.as_deref() == Some(item))
        .collect();
    rsx! {
        if !photos.is_empty() {
            div { class: "thumbs",
                for p in photos {
                    figure { key: "{p.hash}",
                        img { class: "thumb small", src: thumb_src(ctx, &p.hash), alt: "photo of item {item}" }
                        if !p.caption.is_empty() { figcaption { "{p.caption}" } }
                    }
                }
            }
        }
    }
}

/// The photos panel: every photo with its finding, caption and time; caption, move to another
/// finding or remove while the inspection is editable.
pub fn panel(
    ctx: &AppCtx,
    i: &Inspection,
    items: &[String],
    uploads: Signal<Vec<Upload>>,
    message: Signal<Option<String>>,
) -> Element {
    let id = i.header.id;
    let editable = i.status.editable();
    rsx! {
        h2 { "Photos ({i.photos.len()})" }
        if editable {
            div { class: "row", {camera(ctx, id, None, uploads, message)} }
        }
        {progress(&uploads.read())}
        if i.photos.is_empty() {
            p { "No photos yet: the camera button of an item photographs that finding." }
        }
        for (n, p) in i.photos.iter().enumerate() {
            {
                let taken = p.taken_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
                let (c1, c2, c3) = (ctx.clone(), ctx.clone(), ctx.clone());
                let (p1, p2) = (p.clone(), p.clone());
                let hash = p.hash.clone();
                let chosen = p.item.clone().unwrap_or_default();
                rsx! {
                    div { class: "photo", key: "{p.hash}", id: "photo-{n}",
                        div { class: "thumbs",
                            figure {
                                img { class: "thumb", src: thumb_src(ctx, &p.hash), alt: "photo {n}" }
                                figcaption { "{taken}" }
                            }
                        }
                        label { r#for: "photo-{n}-item", "Finding" }
                        select {
                            id: "photo-{n}-item",
                            class: "wide",
                            disabled: !editable,
                            onchange: move |e: FormEvent| {
                                let mut r = p1.clone();
                                r.item = Some(e.value()).filter(|v| !v.is_empty());
                                edit(&c1, id, message, move |d| d.add_photo(&r, &now()));
                            },
                            option { value: "", selected: chosen.is_empty(), "The inspection as a whole" }
                            for it in items.iter() {
                                option { value: "{it}", selected: *it == chosen, "Item {it}" }
                            }
                        }
                        label { r#for: "photo-{n}-caption", "Caption" }
                        input {
                            id: "photo-{n}-caption",
                            class: "wide",
                            disabled: !editable,
                            placeholder: "What the photo shows",
                            value: "{p.caption}",
                            onchange: move |e: FormEvent| {
                                let mut r = p2.clone();
                                r.caption = e.value();
                                edit(&c2, id, message, move |d| d.add_photo(&r, &now()));
                            },
                        }
                        if editable {
                            div { class: "row",
                                button {
                                    id: "photo-{n}-remove",
                                    class: "big",
                                    onclick: move |_| {
                                        let hash = hash.clone();
                                        edit(&c3, id, message, move |d| d.remove_photo(&hash, &now()));
                                    },
                                    "Remove photo"
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
