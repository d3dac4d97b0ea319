//! The camera, as the webview offers it: `<input type=file accept=image/* capture=environment
//! multiple>`. Two ways to read what it gives:
//!
//! - **Desktop:** Dioxus 0.7 intercepts the input's click, opens the system's chooser itself
//!   (rfd, the desktop portal) and hands the screen `FileData` with the files' paths.
//! - **Android and iOS:** the same interception asks a host that has no file dialog there
//!   (`dioxus-desktop/src/file_upload.rs` answers no file off the desktop), so the camera
//!   would never open. The bridge keeps the click from Dioxus — the webview then shows its own
//!   chooser: wry's `RustWebChromeClient.onShowFileChooser` starts `ACTION_IMAGE_CAPTURE` on
//!   Android (asking for `CAMERA` first), WKWebView its camera on iOS — and reads the chosen
//!   photos in the page (`FileReader`), sending each to the app as base64.
//!
//! [`uses_bridge`] says which; the test hooks can force the bridge on a desktop, where the UI
//! test drives it through WebKitGTK's own chooser.

use base64::Engine;
use serde::Deserialize;

/// The class of a camera input the bridge reads (Dioxus never sees its click).
pub const BRIDGED: &str = "bridged-camera";

/// Whether the camera's photos come through the bridge on this platform.
pub fn uses_bridge() -> bool {
    #[cfg(feature = "test-hooks")]
    if std::env::var("MILKSHED_TEST_BRIDGED_CAMERA").as_deref() == Ok("1") {
        return true;
    }
    cfg!(any(target_os = "android", target_os = "ios"))
}

/// A photo the page read from a bridged camera input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgedPhoto {
    /// The input's `data-item` (empty: the inspection as a whole).
    pub item: Option<String>,
    pub name: String,
    pub bytes: Result<Vec<u8>, String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    item: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// What one message of the bridge means (a malformed one is a refused photo, never a panic).
pub fn decode(message: &serde_json::Value, limit: usize) -> BridgedPhoto {
    let Ok(m) = serde_json::from_value::<Message>(message.clone()) else {
        return BridgedPhoto {
            item: None,
            name: "photo".into(),
            bytes: Err("the camera's answer could not be read".into()),
        };
    };
    let bytes = match (m.data, m.error) {
        (_, Some(e)) => Err(format!("it could not be read: {e}")),
        (Some(d), None) if d.len() / 4 * 3 > limit => Err("the photo is over 40 MB".into()),
        (Some(d), None) => base64::engine::general_purpose::STANDARD
            .decode(d.as_bytes())
            .map_err(|_| "the camera's answer was damaged".to_string()),
        (None, None) => Err("the camera gave nothing".into()),
    };
    BridgedPhoto {
        item: Some(m.item).filter(|i| !i.is_empty()),
        name: if m.name.is_empty() {
            "photo".into()
        } else {
            m.name
        },
        bytes,
    }
}

/// Installs the bridge in the page (once; a later call takes the messages over) and returns
/// the channel its photos arrive on.
pub fn bridge() -> dioxus::document::Eval {
    dioxus::document::eval(&format!(
        r#"window.__milkshedCameraSend = (m) => dioxus.send(m);
if (!window.__milkshedCamera) {{
  window.__milkshedCamera = true;
  const bridged = (t) => t instanceof HTMLInputElement && t.type === "file" && t.classList.contains("{BRIDGED}");
  // the webview's own chooser opens when the click does not reach Dioxus's interception
  document.addEventListener("click", (e) => {{ if (bridged(e.target)) e.stopPropagation(); }}, true);
  document.addEventListener("change", (e) => {{
    const input = e.target;
    if (!bridged(input)) return;
    e.stopPropagation();
    const item = input.dataset.item || "";
    for (const file of [...input.files]) {{
      const reader = new FileReader();
      reader.onload = () => {{
        const url = String(reader.result);
        window.__milkshedCameraSend({{ item, name: file.name, data: url.slice(url.indexOf(",") + 1) }});
      }};
      reader.onerror = () => window.__milkshedCameraSend({{ item, name: file.name, error: String(reader.error) }});
      reader.readAsDataURL(file);
    }}
    input.value = "";
  }}, true);
}}
await new Promise(() => {{}});"#
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_a_photo_or_a_reason() {
        let ok = decode(
            &serde_json::json!({ "item": "3", "name": "IMG_1.jpg", "data": "aGVsbG8=" }),
            1000,
        );
        assert_eq!(ok.item.as_deref(), Some("3"));
        assert_eq!(ok.bytes, Ok(b"hello".to_vec()));
        let whole = decode(&serde_json::json!({ "item": "", "data": "aGVsbG8=" }), 1000);
        assert_eq!((whole.item, whole.name.as_str()), (None, "photo"));
        assert!(decode(&serde_json::json!({ "data": "***" }), 1000)
            .bytes
            .is_err());
        assert!(
            decode(&serde_json::json!({ "error": "NotReadableError" }), 1000)
                .bytes
                .is_err()
        );
        assert!(
            decode(&serde_json::json!({ "data": "A".repeat(4000) }), 1000)
                .bytes
                .unwrap_err()
                .contains("40 MB")
        );
        assert!(decode(&serde_json::json!([1, 2]), 1000).bytes.is_err());
    }
}
