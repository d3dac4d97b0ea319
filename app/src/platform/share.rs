//! Handing a file to the system: the producer's report goes to the system's viewer or share
//! sheet, from which it is printed, e-mailed, messaged or saved.
//!
//! - **Desktop:** the system viewer — `xdg-open` (Linux), `open` (macOS), `start` (Windows).
//! - **Android and iOS:** Dioxus 0.7 and wry expose no share sheet of their own
//!   (`Intent.ACTION_SEND`, `UIActivityViewController`), so the report goes through the
//!   webview's Web Share API ([`web_share`]: `navigator.share` with the PDF as a file), which
//!   WKWebView answers with the iOS share sheet. Android's WebView has no `navigator.share`:
//!   there the answer is [`Shared::Unsupported`] and the screen says the report is in the
//!   app's reports folder (an `ACTION_SEND` intent through JNI and a `FileProvider` is the
//!   next step; it cannot be built or verified here).

use std::path::Path;

/// Why a file could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("this device has no way to open files from the app yet")]
    Unsupported,
    #[error("the system viewer could not be started: {0}")]
    Launch(#[from] std::io::Error),
    #[error("the share sheet failed: {0}")]
    Page(String),
}

/// What the share sheet did with the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    Shared,
    /// The user closed the sheet without choosing.
    Cancelled,
    /// The webview has no share sheet (Android's WebView).
    Unsupported,
}

/// Whether reports go to the webview's share sheet ([`web_share`]) rather than a system
/// viewer ([`hand_over`]): on Android and iOS (and under the test hooks when asked).
pub fn uses_web_share() -> bool {
    #[cfg(feature = "test-hooks")]
    if std::env::var("MILKSHED_TEST_WEB_SHARE").as_deref() == Ok("1") {
        return true;
    }
    cfg!(any(target_os = "android", target_os = "ios"))
}

/// The page's side of [`web_share`]: the PDF arrives as base64 and goes to `navigator.share`
/// as a file; the answer is `shared`, `cancelled`, `unsupported` or the error.
const WEB_SHARE_JS: &str = r#"const m = await dioxus.recv();
try {
  const bin = atob(m.data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const file = new File([bytes], m.name, { type: "application/pdf" });
  if (!navigator.share || (navigator.canShare && !navigator.canShare({ files: [file] }))) {
    dioxus.send("unsupported");
  } else {
    await navigator.share({ files: [file], title: m.title });
    dioxus.send("shared");
  }
} catch (e) {
  dioxus.send(e && e.name === "AbortError" ? "cancelled" : "error: " + e);
}"#;

/// Offers `path` (a PDF) to the webview's share sheet, titled `title`.
pub async fn web_share(path: &Path, title: &str) -> Result<Shared, ShareError> {
    use base64::Engine;
    let bytes = std::fs::read(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "report.pdf".into());
    let mut page = dioxus::document::eval(WEB_SHARE_JS);
    page.send(serde_json::json!({
        "name": name,
        "title": title,
        "data": base64::engine::general_purpose::STANDARD.encode(&bytes),
    }))
    .map_err(|e| ShareError::Page(e.to_string()))?;
    let answer: String = page
        .recv()
        .await
        .map_err(|e| ShareError::Page(e.to_string()))?;
    match answer.as_str() {
        "shared" => Ok(Shared::Shared),
        "cancelled" => Ok(Shared::Cancelled),
        "unsupported" => Ok(Shared::Unsupported),
        other => Err(ShareError::Page(other.to_string())),
    }
}

/// Opens `path` with the system's viewer.
pub fn hand_over(path: &Path) -> Result<(), ShareError> {
    // the UI test names a program that stands in for the viewer and records what it got
    #[cfg(feature = "test-hooks")]
    if let Some(viewer) = std::env::var_os("MILKSHED_TEST_VIEWER") {
        std::process::Command::new(viewer).arg(path).spawn()?;
        return Ok(());
    }
    open_with_system(path)
}

#[cfg(target_os = "linux")]
fn open_with_system(path: &Path) -> Result<(), ShareError> {
    std::process::Command::new("xdg-open").arg(path).spawn()?;
    Ok(())
}

#[cfg(target_os = "macos")]
fn open_with_system(path: &Path) -> Result<(), ShareError> {
    std::process::Command::new("open").arg(path).spawn()?;
    Ok(())
}

#[cfg(target_os = "windows")]
fn open_with_system(path: &Path) -> Result<(), ShareError> {
    std::process::Command::new("cmd")
        .args(["/C", "start", ""])
        .arg(path)
        .spawn()?;
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn open_with_system(_path: &Path) -> Result<(), ShareError> {
    Err(ShareError::Unsupported)
}
