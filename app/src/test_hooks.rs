//! Test hooks, compiled only with the `test-hooks` feature (which `milkshed-tests` turns on
//! for its UI test; a field build never has it). When `MILKSHED_TEST_DRIVER` names a
//! directory, the app evaluates the scripts the test drops there (`0.js`, `1.js`, … in order)
//! in its webview and writes each result beside it (`0.json`: `{"ok": value}` or
//! `{"error": text}`). The test reads element boxes and what a screen shows through it and
//! clicks and types like a person, with xdotool; nothing here changes what the app does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dioxus::prelude::*;

/// Starts the driver loop when the test asked for it; called once from the root component.
pub fn start() {
    let Some(dir) = std::env::var_os("MILKSHED_TEST_DRIVER").map(PathBuf::from) else {
        return;
    };
    spawn(async move {
        let mut next = 0u64;
        loop {
            let script = dir.join(format!("{next}.js"));
            match std::fs::read_to_string(&script) {
                Ok(js) => {
                    let answer = match document::eval(&js).await {
                        Ok(value) => serde_json::json!({ "ok": value }),
                        Err(e) => serde_json::json!({ "error": e.to_string() }),
                    };
                    answer_to(&dir, next, &answer);
                    next += 1;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
    });
}

/// Writes an answer whole (written aside, then renamed), so the test never reads half of one.
fn answer_to(dir: &Path, n: u64, answer: &serde_json::Value) {
    let aside = dir.join(format!("{n}.part"));
    if std::fs::write(&aside, answer.to_string()).is_ok() {
        let _ = std::fs::rename(&aside, dir.join(format!("{n}.json")));
    }
}
