//! Sync: one button; what is waiting; what the last sync did; what the server refused.

use dioxus::prelude::*;

use super::state::use_app;
use crate::device::sync_client::{self, SyncReport};

#[component]
pub fn SyncView() -> Element {
    let ctx = use_app();
    let _ = (ctx.revision)();
    let mut running = ctx.syncing;
    let mut outcome = use_signal(|| None::<Result<SyncReport, String>>);
    let waiting = ctx
        .with(|s| {
            s.pending(sync_client::SERVER_PEER)
                .map(|p| p.len())
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let photos = ctx
        .with(|s| s.photos_to_upload().map(|p| p.len()).unwrap_or(0))
        .unwrap_or(0);
    let enrolled = ctx.with(|s| sync_client::enrollment(s).ok()).flatten();
    let start = {
        let ctx = ctx.clone();
        move |_| {
            if running() {
                return;
            }
            running.set(true);
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let sync = sync_client::sync_in_background(ctx.data_dir.join("device.db"), move |p| {
                let _ = tx.send(p);
            });
            let mut shown = ctx.sync_progress;
            shown.set(sync_client::SyncProgress::default());
            spawn(async move {
                while let Some(p) = rx.recv().await {
                    shown.set(p);
                }
            });
            let ctx = ctx.clone();
            spawn(async move {
                let r = sync.await;
                ctx.with(|s| s.close_documents());
                outcome.set(Some(r));
                running.set(false);
                ctx.changed();
            });
        }
    };
    rsx! {
        h1 { "Sync" }
        if let Some(e) = enrolled {
            p { "Signed in as {e.user_name} ({e.role}) of {e.agency} · server {e.server}" }
        }
        p { id: "waiting", "{waiting} inspection(s) and {photos} photo(s) waiting to go to the agency." }
        button { id: "sync-now", class: "big primary", disabled: running(), onclick: start,
            if running() { "Syncing…" } else { "Sync now" }
        }
        match outcome() {
            None => rsx! {},
            Some(Ok(r)) => rsx! {
                div { class: "okmsg", id: "sync-result",
                    "Synced: {r.docs_sent} sent, {r.docs_received} received, {r.photos_uploaded} photos uploaded in {r.round_trips} round trip(s)."
                    if r.reference_updated { " Farms, plants and haulers updated." }
                }
                for (id, reason) in r.rejected.iter() {
                    div { class: "error", "The agency refused inspection {id}: {reason}" }
                }
            },
            Some(Err(e)) => rsx! { div { class: "error", id: "sync-result", "Not synced — nothing is lost, try again when there is a signal: {e}" } },
        }
    }
}
