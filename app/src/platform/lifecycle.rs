//! The app's lifecycle and background sync. Every edit is committed to the device store when it
//! is made, so a suspended or killed app loses nothing and there is nothing to flush. Sync runs
//! on a thread of its own every minute while something waits ([`schedule_sync`]), and at
//! once when the app comes back to the foreground ([`resumed`]). On Android and iOS, Dioxus 0.7
//! forwards no `onResume`/`applicationDidBecomeActive`; the webview's `visibilitychange`
//! event, which both fire when the app returns, stands in for it.

use std::path::PathBuf;
use std::time::Duration;

/// Starts the background sync of the store at `db`: every `every` while something waits, and
/// whenever `wake` is sent to. `tell` hears each attempt start, progress and finish; when it
/// answers false the thread stops.
pub fn schedule_sync(
    db: PathBuf,
    every: Duration,
    wake: std::sync::mpsc::Receiver<()>,
    tell: impl FnMut(crate::device::sync_client::AutoSync) -> bool + Send + 'static,
) {
    crate::device::sync_client::spawn_auto_sync(db, every, wake, tell);
}

/// Resolves each time the app is shown again (the webview's `visibilitychange` to visible, or
/// the desktop window's focus), for the caller to sync.
pub fn resumed() -> dioxus::document::Eval {
    dioxus::document::eval(
        r#"const wake = () => { if (document.visibilityState === "visible") dioxus.send(true); };
document.addEventListener("visibilitychange", wake);
window.addEventListener("focus", () => dioxus.send(true));
await new Promise(() => {});"#,
    )
}
