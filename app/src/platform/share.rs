//! Handing a file to the system: the producer's report goes to the system's viewer, from which
//! it is printed, e-mailed or saved. Desktop: `xdg-open` (Linux), `open` (macOS), `start`
//! (Windows). Android and iOS: Dioxus 0.7 and wry expose no share sheet (`Intent.ACTION_SEND`,
//! `UIActivityViewController`); until that platform code is written the report stays in the
//! app's reports folder and the screen says where.

use std::path::Path;

/// Why a file could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("this device has no way to open files from the app yet")]
    Unsupported,
    #[error("the system viewer could not be started: {0}")]
    Launch(#[from] std::io::Error),
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
