//! App-wide state: the device store (source of truth), the current screen, and a revision
//! counter bumped after every write so screens read the store again.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use dioxus::prelude::*;
use milkshed_shared::ids::InspectionId;

use crate::device::sync_client;
use crate::device::Store;

/// Where the user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Enroll,
    SignIn,
    WorkList,
    Inspect(InspectionId),
    Sync,
    RatingVisit,
    Enforcement,
}

/// Shared by every screen.
#[derive(Clone)]
pub struct AppCtx {
    store: Rc<RefCell<Option<Store>>>,
    pub open_error: Option<String>,
    pub data_dir: PathBuf,
    pub screen: Signal<Screen>,
    pub revision: Signal<u64>,
    /// A sync started from the sync screen is running.
    pub syncing: Signal<bool>,
    /// How far it has got.
    pub sync_progress: Signal<sync_client::SyncProgress>,
}

impl AppCtx {
    /// Opens the device store in the platform's data directory.
    pub fn open() -> AppCtx {
        let data_dir = crate::platform::data_dir();
        let opened = crate::platform::ensure_dir(&data_dir)
            .map_err(|e| e.to_string())
            .and_then(|()| Store::open(&data_dir.join("device.db")).map_err(|e| e.to_string()));
        let (store, open_error) = match opened {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        let enrolled = store
            .as_ref()
            .is_some_and(|s| sync_client::enrollment(s).is_ok());
        let start = if !enrolled {
            Screen::Enroll
        } else if store
            .as_ref()
            .is_some_and(|s| crate::device::session::signed_in(s, chrono::Utc::now()))
        {
            Screen::WorkList
        } else {
            Screen::SignIn
        };
        AppCtx {
            store: Rc::new(RefCell::new(store)),
            open_error,
            data_dir,
            screen: Signal::new(start),
            revision: Signal::new(0),
            syncing: Signal::new(false),
            sync_progress: Signal::new(sync_client::SyncProgress::default()),
        }
    }

    /// Runs `f` with the store (None if it could not be opened).
    pub fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> Option<T> {
        self.store.borrow_mut().as_mut().map(f)
    }

    /// After a write: screens read again.
    pub fn changed(&self) {
        let mut r = self.revision;
        r += 1;
    }

    /// Opens a screen, at its top.
    pub fn go(&self, to: Screen) {
        let mut s = self.screen;
        s.set(to);
        let _ = dioxus::document::eval("window.scrollTo(0, 0)");
    }

    /// Opens an inspection just started (`None`: none was, nothing changes).
    pub fn open_started(&self, started: Option<milkshed_shared::ids::InspectionId>) {
        if let Some(id) = started {
            self.changed();
            self.go(Screen::Inspect(id));
        }
    }
}

/// Reads the app context (provided by [`super::App`]).
pub fn use_app() -> AppCtx {
    use_context::<AppCtx>()
}

/// The sync status, on every screen: offline with what waits, syncing, or when the last sync
/// went through; a failed sync says why and when it tries again.
#[component]
pub fn StatusBar(status: sync_client::SyncStatus) -> Element {
    let ctx = use_app();
    let syncing = (ctx.syncing)();
    let waiting = status.waiting + status.photos_waiting;
    // the time alone today, with the day before today
    let today = chrono::Local::now().date_naive();
    let at = |t: &chrono::DateTime<chrono::FixedOffset>| {
        let local = t.with_timezone(&chrono::Local);
        if local.date_naive() == today {
            local.format("%H:%M").to_string()
        } else {
            local.format("%b %-d %H:%M").to_string()
        }
    };
    let failed_after_success = match (&status.failed, &status.last_synced_at) {
        (Some((f, _)), Some(ok)) => f > ok,
        (Some(_), None) => true,
        _ => false,
    };
    let prog = (ctx.sync_progress)();
    let (class, text) = if syncing {
        let photos = if prog.photo_bytes_total > 0 {
            format!(
                " · photos {} of {} kB",
                prog.photo_bytes_sent / 1000,
                prog.photo_bytes_total / 1000
            )
        } else {
            String::new()
        };
        (
            "status",
            format!(
                "Syncing · {} sent, {} received{photos}",
                prog.docs_sent, prog.docs_received
            ),
        )
    } else if failed_after_success {
        let (when, why) = status.failed.clone().unwrap_or_default();
        let retry = when + chrono::Duration::seconds(sync_client::RETRY_AFTER.as_secs() as i64);
        (
            "status failed",
            format!(
                "Not synced ({why}) · retry {} · nothing is lost · tried {}",
                at(&retry),
                at(&when)
            ),
        )
    } else {
        let last = status
            .last_synced_at
            .as_ref()
            .map(at)
            .unwrap_or_else(|| "never".into());
        if waiting > 0 {
            (
                "status offline",
                format!(
                    "{} inspection(s), {} photo(s) waiting · last synced {last}",
                    status.waiting, status.photos_waiting
                ),
            )
        } else {
            ("status", format!("All synced · last synced {last}"))
        }
    };
    rsx! {
        div { class: class, id: "sync-status", role: "status", title: "{text}",
            span { "{text}" }
            if syncing {
                if prog.photo_bytes_total > 0 {
                    progress { id: "sync-progress", max: "{prog.photo_bytes_total}", value: "{prog.photo_bytes_sent}" }
                } else {
                    progress { id: "sync-progress" }
                }
            }
        }
    }
}

/// The navigation bar.
#[component]
pub fn Nav(waiting: usize) -> Element {
    let ctx = use_app();
    let screen = (ctx.screen)();
    let class = |active: bool| if active { "active" } else { "" };
    let (c1, c2, c3) = (ctx.clone(), ctx.clone(), ctx.clone());
    rsx! {
        nav {
            button { id: "nav-work", class: class(matches!(screen, Screen::WorkList | Screen::Inspect(_))), onclick: move |_| c1.go(Screen::WorkList), "Work list" }
            button { id: "nav-rating", class: class(matches!(screen, Screen::RatingVisit | Screen::Enforcement)), onclick: move |_| c2.go(Screen::RatingVisit), "Rating visit" }
            button { id: "nav-sync", class: class(screen == Screen::Sync), onclick: move |_| c3.go(Screen::Sync), "Sync ({waiting} waiting)" }
        }
    }
}
