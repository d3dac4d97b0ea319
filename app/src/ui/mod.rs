//! The app's screens (Dioxus 0.7). The device store is the source of truth: every handler makes
//! one store call that commits, then bumps `revision` so the screens read again.

mod enforcement_view;
mod enroll;
mod farm_detail;
mod inspect;
mod rating_visit;
mod state;
mod sync_view;
mod work_list;

use dioxus::prelude::*;

pub use state::{AppCtx, Screen};

const STYLE: &str = include_str!("style.css");

/// How often the app tries to sync on its own when something is waiting.
const AUTO_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The root component.
#[component]
pub fn App() -> Element {
    let ctx = use_context_provider(AppCtx::open);
    let screen = ctx.screen;
    #[cfg(feature = "test-hooks")]
    use_hook(crate::test_hooks::start);
    // automatic sync: a background thread tries every minute while something is waiting and
    // at once when the app is shown again, and tells the screens to read again after each try
    use_hook({
        let ctx = ctx.clone();
        move || {
            let (tx, mut rx) =
                tokio::sync::mpsc::unbounded_channel::<crate::device::sync_client::AutoSync>();
            let (wake, woken) = std::sync::mpsc::channel::<()>();
            crate::platform::lifecycle::schedule_sync(
                ctx.data_dir.join("device.db"),
                AUTO_SYNC_EVERY,
                woken,
                move |event| tx.send(event).is_ok(),
            );
            spawn(async move {
                let mut resumed = crate::platform::lifecycle::resumed();
                while resumed.recv::<bool>().await.is_ok() {
                    if wake.send(()).is_err() {
                        break;
                    }
                }
            });
            spawn(async move {
                use crate::device::sync_client::AutoSync;
                let (mut syncing, mut progress) = (ctx.syncing, ctx.sync_progress);
                while let Some(event) = rx.recv().await {
                    match event {
                        AutoSync::Started => {
                            progress.set(Default::default());
                            syncing.set(true);
                        }
                        AutoSync::Progress(p) => progress.set(p),
                        AutoSync::Finished => {
                            syncing.set(false);
                            ctx.with(|s| s.close_documents());
                            ctx.changed();
                        }
                    }
                }
            });
        }
    });
    // what waits and how the last sync went, read once per write for the status bar and the nav
    let sync_status = use_memo({
        let ctx = ctx.clone();
        move || {
            let _ = (ctx.revision)();
            ctx.with(crate::device::sync_client::status)
                .unwrap_or_default()
        }
    });
    rsx! {
        style { {STYLE} }
        if let Some(err) = ctx.open_error.clone() {
            div { class: "error", "The device store could not be opened: {err}" }
        } else {
            match screen() {
                Screen::Enroll => rsx! { enroll::Enroll {} },
                Screen::SignIn => rsx! { enroll::SignIn {} },
                other => rsx! {
                    state::StatusBar { status: sync_status() }
                    state::Nav { waiting: sync_status().waiting }
                    main {
                        match other {
                            Screen::WorkList => rsx! { work_list::WorkList {} },
                            Screen::Inspect(id) => rsx! { inspect::Inspect { id } },
                            Screen::Sync => rsx! { sync_view::SyncView {} },
                            Screen::RatingVisit => rsx! { rating_visit::RatingVisit {} },
                            Screen::Enforcement => rsx! { enforcement_view::EnforcementView {} },
                            Screen::Enroll | Screen::SignIn => rsx! {},
                        }
                    }
                },
            }
        }
    }
}
