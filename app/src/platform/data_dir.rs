//! Where the device store lives. Desktop uses `MILKSHED_DATA_DIR` or the
//! user's data directory; Android and iOS use the app's private files directory, which the
//! mobile shell passes in the same variable.

use std::path::PathBuf;

/// The directory of the device store.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MILKSHED_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("milkshed")
}

/// Creates `dir` (and its parents) if it is missing.
pub fn ensure_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}
