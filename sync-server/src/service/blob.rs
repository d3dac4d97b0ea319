//! Photo storage behind a trait: files in the data directory addressed by hash today, an
//! S3-compatible object store later without touching the sync code.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where photo bytes live, by SHA-256.
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `hash` (idempotent; the caller has verified the hash).
    fn put(&self, hash: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// The bytes stored under `hash`.
    fn get(&self, hash: &str) -> std::io::Result<Option<Vec<u8>>>;
}

/// Files under `DIR/photos/ab/abcdef…`, written to a temporary name, synced, then renamed.
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn new(dir: &Path) -> std::io::Result<FsBlobStore> {
        let root = dir.join("photos");
        std::fs::create_dir_all(&root)?;
        Ok(FsBlobStore { root })
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.root.join(&hash[..2.min(hash.len())]).join(hash)
    }
}

impl BlobStore for FsBlobStore {
    fn put(&self, hash: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(hash);
        if path.exists() {
            return Ok(());
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    }

    fn get(&self, hash: &str) -> std::io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(hash)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
