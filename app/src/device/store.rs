//! The device store: SQLite (bundled, WAL, `synchronous=FULL`). Every edit is one SQLite
//! transaction holding the document's new Automerge changes and its list row, committed before
//! the call returns — so an edit reported saved survives the app being killed at any instant.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use milkshed_shared::authority::{self, Acting, Refusal, Role};
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::document::{DocumentError, Header, Inspection, InspectionDoc};
use milkshed_shared::ids::InspectionId;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::photos::ProcessedPhoto;

/// Schema migrations, applied in order; `PRAGMA user_version` records the last applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_photo_refs.sql"),
];

/// After this many incremental changes a document is compacted into its snapshot.
pub const COMPACT_AFTER: i64 = 256;

/// Why a store operation failed. Nothing half-written is left behind.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the device database could not be used: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the device database was written by a newer Milkshed (schema {found}, this app knows {known}); update the app")]
    NewerSchema { found: i64, known: i64 },
    #[error("no inspection {0} on this device")]
    NotFound(InspectionId),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("stored inspection {id} is damaged: {reason}")]
    Damaged { id: InspectionId, reason: String },
    /// The edit breaks a write rule (`shared::authority`): the server would refuse it too.
    #[error("not allowed: {0}")]
    Refused(#[from] Refusal),
}

impl StoreError {
    /// Whether trying again later may succeed (a busy or full disk), as opposed to a refusal.
    pub fn is_retriable(&self) -> bool {
        matches!(self, StoreError::Sqlite(_))
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// A row of the work list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionSummary {
    pub id: InspectionId,
    pub kind: String,
    pub subject_id: String,
    pub subject_name: String,
    pub status: String,
    pub started_at: String,
    pub updated_at: String,
    pub violations: i64,
}

/// The user this device is enrolled for, as the server's accounts gave it: whose edits the
/// write rules are checked for.
#[derive(Debug, Clone, serde::Deserialize)]
struct EnrolledUser {
    agency: String,
    user_id: String,
    user_name: String,
    role: String,
}

/// The store on one device.
pub struct Store {
    conn: Connection,
    actor: ActorId,
    open_docs: HashMap<InspectionId, InspectionDoc>,
}

/// Applies the migrations the store lacks; answers whether the photo references (schema 2) are
/// new, to be filled from the documents already there.
fn migrate(conn: &mut Connection) -> Result<bool> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(found > 0 && found < 2)
}

impl Store {
    /// Opens (creating and migrating if needed) the store at `path`. The device's Automerge
    /// actor id is created once and kept in the store.
    pub fn open(path: &Path) -> Result<Store> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let refs_missing = migrate(&mut conn)?;
        let actor_hex: Option<String> = conn
            .query_row("SELECT value FROM device WHERE key = 'actor'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let actor = match actor_hex.and_then(|h| ActorId::try_from(h.as_str()).ok()) {
            Some(a) => a,
            None => {
                let a = ActorId::random();
                conn.execute(
                    "INSERT OR REPLACE INTO device (key, value) VALUES ('actor', ?1)",
                    [a.to_hex_string()],
                )?;
                a
            }
        };
        let mut store = Store {
            conn,
            actor,
            open_docs: HashMap::new(),
        };
        if refs_missing {
            store.rebuild_photo_refs()?;
        }
        Ok(store)
    }

    /// Fills the photo references from every document (after the migration that added them).
    fn rebuild_photo_refs(&mut self) -> Result<()> {
        for id in self.inspection_ids()? {
            let view = self.doc(id)?.read()?;
            let tx = self.conn.transaction()?;
            Self::write_photo_refs(&tx, &view)?;
            tx.commit()?;
        }
        self.open_docs.clear();
        Ok(())
    }

    fn write_photo_refs(tx: &Transaction<'_>, i: &Inspection) -> Result<()> {
        tx.execute(
            "DELETE FROM photo_refs WHERE doc_id = ?1",
            [i.header.id.to_string()],
        )?;
        for p in &i.photos {
            tx.execute(
                "INSERT OR IGNORE INTO photo_refs (doc_id, hash) VALUES (?1, ?2)",
                params![i.header.id.to_string(), p.hash],
            )?;
        }
        Ok(())
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// This device's Automerge actor id (hex).
    pub fn actor(&self) -> String {
        self.actor.to_hex_string()
    }

    fn upsert_row(
        tx: &Transaction<'_>,
        i: &Inspection,
        snapshot: Option<&[u8]>,
        now: &str,
    ) -> Result<()> {
        let violations = i.violations().count() as i64;
        match snapshot {
            Some(s) => {
                tx.execute(
                    "INSERT INTO documents (id, snapshot, kind, subject_kind, subject_id, subject_name, status, started_at, updated_at, violations)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, status = excluded.status,
                        subject_name = excluded.subject_name, updated_at = excluded.updated_at, violations = excluded.violations",
                    params![
                        i.header.id.to_string(),
                        s,
                        i.header.kind.as_str(),
                        i.header.subject.kind.as_str(),
                        i.header.subject.id.as_str(),
                        i.header.subject.name,
                        i.status.as_str(),
                        i.header.started_at.to_rfc3339(),
                        now,
                        violations
                    ],
                )?;
            }
            None => {
                tx.execute(
                    "UPDATE documents SET status = ?2, subject_name = ?3, updated_at = ?4, violations = ?5 WHERE id = ?1",
                    params![i.header.id.to_string(), i.status.as_str(), i.header.subject.name, now, violations],
                )?;
            }
        }
        Self::write_photo_refs(tx, i)
    }

    /// The enrolled user (none before enrollment: a store under test, say).
    fn enrolled(&self) -> Result<Option<EnrolledUser>> {
        let Some(text) = self.setting("enrollment")? else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&text).ok())
    }

    /// Checks an edit by the enrolled user against the write rules the server applies.
    fn authorize(&self, before: Option<&Inspection>, after: &Inspection) -> Result<()> {
        let Some(u) = self.enrolled()? else {
            return Ok(());
        };
        let Some(role) = Role::parse(&u.role) else {
            return Err(Refusal::NotAReviewer.into());
        };
        let by = Acting {
            user_id: &u.user_id,
            name: &u.user_name,
            role,
            agency: &u.agency,
        };
        Ok(authority::authorize(before, after, &by)?)
    }

    /// Creates an inspection; durable when this returns.
    pub fn create_inspection(&mut self, header: &Header) -> Result<InspectionId> {
        let mut doc = InspectionDoc::create(self.actor.clone(), header)?;
        let snapshot = doc.save();
        let view = doc.read()?;
        self.authorize(None, &view)?;
        let tx = self.conn.transaction()?;
        Self::upsert_row(&tx, &view, Some(&snapshot), &header.started_at.to_rfc3339())?;
        tx.commit()?;
        self.open_docs.insert(header.id, doc);
        Ok(header.id)
    }

    fn load(&self, id: InspectionId) -> Result<InspectionDoc> {
        let snapshot: Vec<u8> = self
            .conn
            .query_row(
                "SELECT snapshot FROM documents WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound(id))?;
        let mut doc = InspectionDoc::load(&snapshot, self.actor.clone()).map_err(|e| {
            StoreError::Damaged {
                id,
                reason: e.to_string(),
            }
        })?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM changes WHERE doc_id = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([id.to_string()], |r| r.get::<_, Vec<u8>>(0))?;
        for bytes in rows {
            doc.apply_incremental(&bytes?)
                .map_err(|e| StoreError::Damaged {
                    id,
                    reason: e.to_string(),
                })?;
        }
        // the incremental bytes are in the document now; do not write them again
        let _ = doc.save_incremental();
        Ok(doc)
    }

    fn doc(&mut self, id: InspectionId) -> Result<&mut InspectionDoc> {
        if !self.open_docs.contains_key(&id) {
            let doc = self.load(id)?;
            self.open_docs.insert(id, doc);
        }
        self.open_docs.get_mut(&id).ok_or(StoreError::NotFound(id))
    }

    /// Reads an inspection.
    pub fn inspection(&mut self, id: InspectionId) -> Result<Inspection> {
        Ok(self.doc(id)?.read()?)
    }

    /// Applies one user edit to an inspection and makes it durable before returning. A refused
    /// edit changes nothing; if the disk write fails the in-memory copy is dropped, so what is
    /// shown never runs ahead of what is stored.
    pub fn edit<T>(
        &mut self,
        id: InspectionId,
        now: &DateTime<FixedOffset>,
        f: impl FnOnce(&mut InspectionDoc) -> std::result::Result<T, DocumentError>,
    ) -> Result<T> {
        self.change(id, now, true, f)
    }

    /// Applies a change; `checked`: it is the user's own, held to the write rules (a replica
    /// merged from the server is not: the server checked each change against its author).
    fn change<T>(
        &mut self,
        id: InspectionId,
        now: &DateTime<FixedOffset>,
        checked: bool,
        f: impl FnOnce(&mut InspectionDoc) -> std::result::Result<T, DocumentError>,
    ) -> Result<T> {
        let doc = self.doc(id)?;
        let before = if checked { Some(doc.read()?) } else { None };
        let out = match f(doc) {
            Ok(v) => v,
            Err(e) => {
                doc.automerge().rollback();
                return Err(e.into());
            }
        };
        let view = doc.read()?;
        if let Some(before) = &before {
            if let Err(e) = self.authorize(Some(before), &view) {
                // the change was made in memory only: forget it, the disk still has the old copy
                self.open_docs.remove(&id);
                return Err(e);
            }
        }
        let Some(doc) = self.open_docs.get_mut(&id) else {
            return Err(StoreError::NotFound(id));
        };
        let bytes = doc.save_incremental();
        let written = self.write_change(id, &view, &bytes, &now.to_rfc3339());
        if let Err(e) = written {
            self.open_docs.remove(&id);
            return Err(e);
        }
        Ok(out)
    }

    fn write_change(
        &mut self,
        id: InspectionId,
        view: &Inspection,
        bytes: &[u8],
        now: &str,
    ) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO changes (doc_id, bytes) VALUES (?1, ?2)",
            params![id.to_string(), bytes],
        )?;
        Self::upsert_row(&tx, view, None, now)?;
        tx.commit()?;
        let pending: i64 = self.conn.query_row(
            "SELECT count(*) FROM changes WHERE doc_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )?;
        if pending >= COMPACT_AFTER {
            self.compact(id)?;
        }
        Ok(())
    }

    /// Folds a document's incremental changes into its snapshot, in one transaction.
    pub fn compact(&mut self, id: InspectionId) -> Result<()> {
        let snapshot = self.doc(id)?.save();
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE documents SET snapshot = ?2 WHERE id = ?1",
            params![id.to_string(), snapshot],
        )?;
        tx.execute("DELETE FROM changes WHERE doc_id = ?1", [id.to_string()])?;
        tx.commit()?;
        Ok(())
    }

    /// Stores a replica received from elsewhere (another device, the server): merged into the
    /// device's copy when it has one, stored as it is when not. An inspection is created once,
    /// on one device, and only ever replicated — never created again under the same id.
    pub fn receive(
        &mut self,
        remote: &mut InspectionDoc,
        now: &DateTime<FixedOffset>,
    ) -> Result<InspectionId> {
        let view = remote.read()?;
        let id = view.header.id;
        match self.doc(id) {
            Ok(_) => self.change(id, now, false, |doc| doc.merge(remote))?,
            Err(StoreError::NotFound(_)) => {
                let mut doc = InspectionDoc::load(&remote.save(), self.actor.clone())?;
                let snapshot = doc.save();
                let tx = self.conn.transaction()?;
                Self::upsert_row(&tx, &view, Some(&snapshot), &now.to_rfc3339())?;
                tx.commit()?;
                self.open_docs.insert(id, doc);
            }
            Err(e) => return Err(e),
        }
        Ok(id)
    }

    /// The work list: every inspection on the device, most recently changed first.
    pub fn inspections(&self) -> Result<Vec<InspectionSummary>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, subject_id, subject_name, status, started_at, updated_at, violations
             FROM documents ORDER BY updated_at DESC, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                InspectionSummary {
                    id: InspectionId::nil(),
                    kind: r.get(1)?,
                    subject_id: r.get(2)?,
                    subject_name: r.get(3)?,
                    status: r.get(4)?,
                    started_at: r.get(5)?,
                    updated_at: r.get(6)?,
                    violations: r.get(7)?,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, mut s) = row?;
            s.id = id
                .parse::<InspectionId>()
                .map_err(|e| StoreError::Damaged {
                    id: InspectionId::nil(),
                    reason: format!("bad id {id}: {e}"),
                })?;
            out.push(s);
        }
        Ok(out)
    }

    /// Stores a processed photo once, however many findings use it. Returns its hash.
    pub fn put_photo(&mut self, photo: &ProcessedPhoto) -> Result<String> {
        self.conn.execute(
            "INSERT OR IGNORE INTO photos (hash, jpeg, thumb, width, height) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![photo.hash, photo.jpeg, photo.thumb, photo.width, photo.height],
        )?;
        Ok(photo.hash.clone())
    }

    /// A stored photo's JPEG bytes.
    /// The bytes a photo's upload sends (its stored JPEG), summed over `hashes`.
    pub fn photo_bytes(&self, hashes: &[String]) -> Result<u64> {
        let mut total = 0u64;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT length(jpeg) FROM photos WHERE hash = ?1")?;
        for h in hashes {
            let n: Option<i64> = stmt.query_row([h], |r| r.get(0)).optional()?;
            total += n.map_or(0, |n| u64::try_from(n).unwrap_or(0));
        }
        Ok(total)
    }

    pub fn photo(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT jpeg FROM photos WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// A stored photo's thumbnail.
    pub fn thumbnail(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT thumb FROM photos WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Number of photo blobs stored.
    pub fn photo_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM photos", [], |r| r.get(0))?)
    }

    /// The sync state of a document with a peer (opaque bytes of the sync protocol).
    pub fn sync_state(&self, doc: InspectionId, peer: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT state FROM sync_state WHERE doc_id = ?1 AND peer = ?2",
                params![doc.to_string(), peer],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records the sync state of a document with a peer.
    /// [`Store::set_sync_state`] of many documents in one commit (a sync's answer for a week of
    /// inspections costs one write to the flash, not one per inspection).
    pub fn set_sync_states(
        &mut self,
        peer: &str,
        states: &[(InspectionId, Vec<u8>)],
    ) -> Result<()> {
        if states.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        for (doc, state) in states {
            tx.execute(
                "INSERT INTO sync_state (doc_id, peer, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT(doc_id, peer) DO UPDATE SET state = excluded.state",
                params![doc.to_string(), peer, state],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn set_sync_state(&mut self, doc: InspectionId, peer: &str, state: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_state (doc_id, peer, state) VALUES (?1, ?2, ?3)
             ON CONFLICT(doc_id, peer) DO UPDATE SET state = excluded.state",
            params![doc.to_string(), peer, state],
        )?;
        Ok(())
    }

    /// Every inspection id on the device.
    pub fn inspection_ids(&self) -> Result<Vec<InspectionId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM documents ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for id in ids {
            let id = id?;
            out.push(
                id.parse::<InspectionId>()
                    .map_err(|e| StoreError::Damaged {
                        id: InspectionId::nil(),
                        reason: format!("bad id {id}: {e}"),
                    })?,
            );
        }
        Ok(out)
    }

    /// The heads of an inspection, as the sync protocol encodes them.
    pub fn heads(&mut self, id: InspectionId) -> Result<Vec<u8>> {
        let heads = self.doc(id)?.automerge().get_heads();
        Ok(milkshed_shared::sync::heads_to_bytes(&heads))
    }

    /// The document itself, for the sync client.
    pub fn document(&mut self, id: InspectionId) -> Result<&mut InspectionDoc> {
        self.doc(id)
    }

    /// Inspections whose latest changes the server has not acknowledged (what is waiting).
    pub fn pending(&mut self, peer: &str) -> Result<Vec<InspectionId>> {
        let mut out = Vec::new();
        for id in self.inspection_ids()? {
            let acked = self.sync_state(id, peer)?.unwrap_or_default();
            let heads = self.heads(id)?;
            let mut a: Vec<&[u8]> = acked.chunks(32).collect();
            let mut h: Vec<&[u8]> = heads.chunks(32).collect();
            a.sort_unstable();
            h.sort_unstable();
            if a != h {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Applies changes received from the server to an inspection the device holds.
    pub fn apply_remote(
        &mut self,
        id: InspectionId,
        changes: &[u8],
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        // the server checked each of these changes against its author's rights
        self.change(id, now, false, |d| d.apply_incremental(changes))
    }

    /// Photos an inspection refers to that are not yet uploaded (a photo removed before signing
    /// never leaves the device).
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT hash FROM photos WHERE uploaded = 0 AND hash IN (SELECT hash FROM photo_refs) ORDER BY hash",
            )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Marks photos uploaded (the server holds them), all in one commit.
    pub fn mark_photos_uploaded(&mut self, hashes: &[String]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        for hash in hashes {
            tx.execute("UPDATE photos SET uploaded = 1 WHERE hash = ?1", [hash])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records that the server holds a photo.
    pub fn mark_photo_uploaded(&mut self, hash: &str) -> Result<()> {
        self.conn
            .execute("UPDATE photos SET uploaded = 1 WHERE hash = ?1", [hash])?;
        Ok(())
    }

    /// A device setting (enrollment, reference version).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM device WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets a device setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO device (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Replaces reference data of one kind (farms, plants, haulers, permits, lab results, due
    /// dates) received from the agency, all or nothing.
    pub fn replace_reference(
        &mut self,
        kind: &str,
        rows: &[(String, serde_json::Value)],
        now: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM reference WHERE kind = ?1", [kind])?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO reference (kind, id, data, updated_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, data) in rows {
                stmt.execute(params![kind, id, data.to_string(), now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Applies the reference data the server sent, in one transaction: a whole set (`since` 0)
    /// replaces what the device held; a delta upserts the records it carries.
    pub fn apply_reference(
        &mut self,
        delta: &milkshed_shared::sync::ReferenceDelta,
        now: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        if delta.since == 0 {
            tx.execute("DELETE FROM reference", [])?;
        }
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO reference (kind, id, data, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            )?;
            for r in &delta.records {
                stmt.execute(params![r.kind, r.id, r.data, now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// One reference record.
    pub fn reference(&self, kind: &str, id: &str) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT data FROM reference WHERE kind = ?1 AND id = ?2",
                params![kind, id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Every reference record of a kind.
    pub fn references(&self, kind: &str) -> Result<Vec<serde_json::Value>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM reference WHERE kind = ?1 ORDER BY id")?;
        let rows = stmt.query_map([kind], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            if let Ok(v) = serde_json::from_str(&r?) {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Number of reference records of a kind.
    pub fn reference_count(&self, kind: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM reference WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )?)
    }

    /// Forgets the in-memory copies (the next read loads from disk).
    pub fn close_documents(&mut self) {
        self.open_docs.clear();
    }
}

#[cfg(test)]
mod tests;
