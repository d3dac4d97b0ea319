//! Where photos and their partial uploads are kept: an object store (Apache Arrow's
//! `object_store`) — the data directory by default, an S3-compatible bucket when the server
//! runs as several instances, so any instance serves any photo and resumes any upload.
//!
//! Keys: `photos/ab/abcdef…` (a photo or a thumbnail, by its hash) and
//! `photos-partial/UPLOAD/OFFSET` (one object per chunk of a resumable upload, named by the
//! offset it starts at). Every write is a whole object, so a server killed mid-write leaves
//! no half-written photo or chunk.

use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, PutPayload};

/// The photos' store, as the services see it (synchronous: they run on blocking threads).
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `hash` (idempotent; the caller has verified the hash).
    fn put(&self, hash: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// The bytes stored under `hash`.
    fn get(&self, hash: &str) -> std::io::Result<Option<Vec<u8>>>;
    /// Keeps one chunk of the upload `upload`, starting at `offset`.
    fn put_chunk(&self, upload: &str, offset: u64, bytes: &[u8]) -> std::io::Result<()>;
    /// How many bytes of `upload` arrived: the end of its contiguous chunks from 0.
    fn received(&self, upload: &str) -> std::io::Result<u64>;
    /// The upload's bytes, its chunks in order.
    fn assemble(&self, upload: &str) -> std::io::Result<Vec<u8>>;
    /// Forgets an upload's chunks.
    fn discard(&self, upload: &str) -> std::io::Result<()>;
    /// Whether the store answers (`/health`).
    fn check(&self) -> std::io::Result<()>;
    /// Where the store is, for the log.
    fn describe(&self) -> String;
}

/// A [`BlobStore`] over any `object_store` backend.
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: StorePath,
    describe: String,
    /// `object_store` is async; the services call it from blocking threads through this
    /// runtime of its own (`None` only while dropped).
    rt: Option<tokio::runtime::Runtime>,
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl ObjectBlobStore {
    fn new(
        store: Arc<dyn ObjectStore>,
        prefix: StorePath,
        describe: String,
    ) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("milkshed-photos")
            .enable_all()
            .build()?;
        Ok(ObjectBlobStore {
            store,
            prefix,
            describe,
            rt: Some(rt),
        })
    }

    /// The data directory's `photos/` (the default).
    pub fn local(dir: &std::path::Path) -> std::io::Result<ObjectBlobStore> {
        std::fs::create_dir_all(dir)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(io)?
            .with_automatic_cleanup(true);
        ObjectBlobStore::new(
            Arc::new(store),
            StorePath::default(),
            format!("{}", dir.display()),
        )
    }

    /// `--photos`: `s3://bucket/prefix` (credentials, region and endpoint from the usual
    /// `AWS_*` environment variables, e.g. `AWS_ENDPOINT` for an S3-compatible service) or
    /// `file:///absolute/dir`.
    pub fn from_url(url: &str) -> std::io::Result<ObjectBlobStore> {
        let parsed = url::Url::parse(url).map_err(|e| io(format!("--photos {url}: {e}")))?;
        let prefix = StorePath::from(parsed.path().trim_matches('/'));
        match parsed.scheme() {
            "s3" => {
                let bucket = parsed
                    .host_str()
                    .ok_or_else(|| io(format!("--photos {url}: no bucket")))?;
                let store = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|e| io(format!("--photos {url}: {e}")))?;
                ObjectBlobStore::new(Arc::new(store), prefix, url.to_string())
            }
            "file" => {
                let dir = parsed
                    .to_file_path()
                    .map_err(|()| io(format!("--photos {url}: not a local path")))?;
                ObjectBlobStore::local(&dir)
            }
            other => Err(io(format!(
                "--photos {url}: {other}:// is not a photo store (s3:// or file://)"
            ))),
        }
    }

    fn key(&self, parts: &[&str]) -> StorePath {
        let mut p = self.prefix.clone();
        for part in parts {
            p = p.child(*part);
        }
        p
    }

    fn photo_key(&self, hash: &str) -> StorePath {
        self.key(&["photos", &hash[..2.min(hash.len())], hash])
    }

    fn run<T>(&self, f: impl std::future::Future<Output = T>) -> std::io::Result<T> {
        match &self.rt {
            Some(rt) => Ok(rt.block_on(f)),
            None => Err(io("the photo store is closed")),
        }
    }

    /// The upload's chunks as `(offset, key, size)`, in order.
    fn chunks(&self, upload: &str) -> std::io::Result<Vec<(u64, StorePath, u64)>> {
        let prefix = self.key(&["photos-partial", upload]);
        let listed: Vec<object_store::ObjectMeta> = self
            .run(self.store.list(Some(&prefix)).try_collect())?
            .map_err(io)?;
        let mut chunks: Vec<(u64, StorePath, u64)> = listed
            .into_iter()
            .filter_map(|m| {
                let offset = m.location.filename()?.parse().ok()?;
                Some((offset, m.location, m.size))
            })
            .collect();
        chunks.sort_by_key(|c| c.0);
        Ok(chunks)
    }
}

impl Drop for ObjectBlobStore {
    fn drop(&mut self) {
        // the server's state may be dropped on an async thread, where a runtime may not be
        // dropped: let it go in the background
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl BlobStore for ObjectBlobStore {
    fn put(&self, hash: &str, bytes: &[u8]) -> std::io::Result<()> {
        let key = self.photo_key(hash);
        let payload = PutPayload::from(bytes.to_vec());
        self.run(self.store.put(&key, payload))?.map_err(io)?;
        Ok(())
    }

    fn get(&self, hash: &str) -> std::io::Result<Option<Vec<u8>>> {
        let key = self.photo_key(hash);
        self.run(async {
            match self.store.get(&key).await {
                Ok(r) => r.bytes().await.map(|b| Some(b.to_vec())).map_err(io),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(io(e)),
            }
        })?
    }

    fn put_chunk(&self, upload: &str, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        let key = self.key(&["photos-partial", upload, &format!("{offset:020}")]);
        let payload = PutPayload::from(bytes.to_vec());
        self.run(self.store.put(&key, payload))?.map_err(io)?;
        Ok(())
    }

    fn received(&self, upload: &str) -> std::io::Result<u64> {
        let mut end = 0u64;
        for (offset, _, size) in self.chunks(upload)? {
            if offset != end {
                break;
            }
            end = end.saturating_add(size);
        }
        Ok(end)
    }

    fn assemble(&self, upload: &str) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        for (offset, key, _) in self.chunks(upload)? {
            if offset != out.len() as u64 {
                break;
            }
            let bytes = self
                .run(async { self.store.get(&key).await?.bytes().await })?
                .map_err(io)?;
            out.extend_from_slice(&bytes);
        }
        Ok(out)
    }

    fn discard(&self, upload: &str) -> std::io::Result<()> {
        for (_, key, _) in self.chunks(upload)? {
            match self.run(self.store.delete(&key))? {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }

    fn check(&self) -> std::io::Result<()> {
        let prefix = self.key(&["photos"]);
        self.run(async {
            let mut listing = self.store.list(Some(&prefix));
            listing.try_next().await.map(|_| ()).map_err(io)
        })?
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_resume_from_the_end_of_what_arrived_and_assemble_in_order() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let store = ObjectBlobStore::local(dir.path())?;
        assert_eq!(store.received("u1")?, 0);
        store.put_chunk("u1", 0, b"hello ")?;
        store.put_chunk("u1", 6, b"world")?;
        assert_eq!(store.received("u1")?, 11);
        assert_eq!(store.assemble("u1")?, b"hello world");
        store.discard("u1")?;
        assert_eq!(store.received("u1")?, 0);
        store.put("abcdef", b"photo")?;
        assert_eq!(store.get("abcdef")?, Some(b"photo".to_vec()));
        assert_eq!(store.get("abcdee")?, None);
        // the data directory's layout: photos/ab/abcdef
        assert!(dir.path().join("photos/ab/abcdef").is_file());
        store.check()
    }
}
