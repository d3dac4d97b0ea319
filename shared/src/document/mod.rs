//! One Automerge document per inspection, read and written only through [`InspectionDoc`]:
//! every key of the schema is a constant of [`keys`], so no string path is scattered through
//! the code.
//!
//! Each user action is one Automerge change, committed with the time the caller gives (the
//! crate reads no clock). Two devices that edited the same inspection offline merge to the
//! same state in any order; where both set one field differently Automerge keeps both values,
//! and [`InspectionDoc::conflicts`] shows them so a person can choose.
//!
//! Layout (schema 1): scalar fields at the root; per-item state, points, affected products and
//! notes in flat maps keyed by item id (created with the document, so two devices never create
//! competing containers); photos keyed by content hash; signatures and reviews as lists.

mod model;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use automerge;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use model::*;

use crate::catalog::Catalog;

/// The schema version written into every document.
pub const SCHEMA_VERSION: u64 = 1;

/// Every key of the document schema.
pub mod keys {
    pub const SCHEMA: &str = "schema";
    pub const ID: &str = "id";
    pub const KIND: &str = "kind";
    pub const AGENCY: &str = "agency";
    pub const CATALOG: &str = "catalog";
    pub const FOLLOWS: &str = "follows";
    pub const SUBJECT: &str = "subject";
    pub const SUBJECT_KIND: &str = "kind";
    pub const SUBJECT_ID: &str = "id";
    pub const SUBJECT_NAME: &str = "name";
    pub const SUBJECT_PERMIT: &str = "permit";
    pub const SUBJECT_PRODUCER_NUMBER: &str = "producer_number";
    pub const INSPECTOR: &str = "inspector";
    pub const PERSON_ID: &str = "id";
    pub const PERSON_NAME: &str = "name";
    pub const STARTED_AT: &str = "started_at";
    pub const ENDED_AT: &str = "ended_at";
    pub const GPS: &str = "gps";
    pub const LAT: &str = "lat";
    pub const LON: &str = "lon";
    pub const ACCURACY_M: &str = "accuracy_m";
    pub const STATUS: &str = "status";
    pub const STATES: &str = "states";
    pub const POINTS: &str = "points";
    pub const AFFECTED_PRODUCTS: &str = "affected_products";
    pub const ITEM_NOTES: &str = "item_notes";
    pub const NOTES: &str = "notes";
    pub const PHOTOS: &str = "photos";
    pub const PHOTO_ITEM: &str = "item";
    pub const PHOTO_CAPTION: &str = "caption";
    pub const PHOTO_TAKEN_AT: &str = "taken_at";
    pub const PHOTO_WIDTH: &str = "width";
    pub const PHOTO_HEIGHT: &str = "height";
    pub const VOLUME: &str = "volume";
    pub const POUNDS_SOLD_DAILY: &str = "pounds_sold_daily";
    pub const POUNDS_PROCESSED_DAILY: &str = "pounds_processed_daily";
    pub const PRODUCTS: &str = "products";
    pub const SELECTION_SEED: &str = "selection_seed";
    pub const SIGNATURES: &str = "signatures";
    pub const SIGNER_ROLE: &str = "role";
    pub const SIGNER_NAME: &str = "name";
    pub const SIGNED_AT: &str = "signed_at";
    pub const CONTENT_HASH: &str = "content_hash";
    pub const STROKES: &str = "strokes";
    pub const REVIEWS: &str = "reviews";
    pub const REVIEW_BY: &str = "by";
    pub const REVIEW_AT: &str = "at";
    pub const REVIEW_ACCEPTED: &str = "accepted";
    pub const REVIEW_COMMENT: &str = "comment";
    pub const REVIEW_ITEM_COMMENTS: &str = "item_comments";
}

/// Why a document operation was refused. Nothing is changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the inspection is {0} and can no longer be changed; a supervisor can return it for amendment")]
    Locked(&'static str),
    #[error("item \"{item}\" is not on the {form} of catalog {catalog}")]
    UnknownItem {
        item: String,
        form: &'static str,
        catalog: String,
    },
    #[error("item \"{item}\" takes {allowed} points, not {points}")]
    PointsNotAllowed {
        item: String,
        points: u32,
        allowed: String,
    },
    #[error("unknown catalog `{0}`")]
    UnknownCatalog(String),
    #[error("the document is not a Milkshed inspection: {0}")]
    Malformed(String),
    #[error("the document was written by a newer Milkshed (schema {0}); update the app")]
    NewerSchema(u64),
    #[error("{0}")]
    Workflow(String),
    #[error("automerge: {0}")]
    Automerge(String),
}

impl From<automerge::AutomergeError> for DocumentError {
    fn from(e: automerge::AutomergeError) -> Self {
        DocumentError::Automerge(e.to_string())
    }
}

type Result<T> = std::result::Result<T, DocumentError>;

/// The items a hauler/sampler evaluation records. PMO Appendix B's checklist is not in the
/// seeds (requirements.md §1 lists it as a gap); these are the seed's examples (MMSR L4127–4132)
/// and the general sampling steps, versioned with the catalog.
pub const HAULER_SAMPLER_ITEMS: &[(&str, &str)] = &[
    ("HS1", "Permit held and current"),
    ("HS2", "Hands clean; sampling equipment clean and sanitized"),
    ("HS3", "Thermometer accurate and sanitized before use"),
    ("HS4", "Milk temperature observed and recorded"),
    ("HS5", "Milk agitated for the required time before sampling"),
    (
        "HS6",
        "Sample taken with a sanitized dipper or sampling device",
    ),
    ("HS7", "Sample container not filled over the open tank"),
    ("HS8", "Temperature-control sample taken at the first stop"),
    (
        "HS9",
        "Samples identified and kept at 0–4.5 °C in the transport case",
    ),
    ("HS10", "Weight ticket and pick-up records complete"),
];

/// An inspection as an Automerge document.
#[derive(Debug, Clone)]
pub struct InspectionDoc {
    doc: AutoCommit,
}

fn at_millis(t: &DateTime<FixedOffset>) -> i64 {
    t.timestamp_millis()
}

fn commit(doc: &mut AutoCommit, message: &str, now: &DateTime<FixedOffset>) {
    doc.commit_with(
        CommitOptions::default()
            .with_message(message.to_string())
            .with_time(at_millis(now)),
    );
}

fn scalar_string(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            ScalarValue::Uint(u) => Some(u.to_string()),
            ScalarValue::Int(i) => Some(i.to_string()),
            ScalarValue::Boolean(b) => Some(b.to_string()),
            ScalarValue::Null => Some("null".into()),
            other => Some(format!("{other:?}")),
        },
        Value::Object(_) => None,
    }
}

impl InspectionDoc {
    /// Creates a document for a new inspection, written by `actor` (the device's actor id).
    pub fn create(actor: ActorId, header: &Header) -> Result<InspectionDoc> {
        Catalog::builtin(&header.catalog)
            .map_err(|_| DocumentError::UnknownCatalog(header.catalog.clone()))?;
        let mut doc = AutoCommit::new().with_actor(actor);
        doc.put(ROOT, keys::SCHEMA, SCHEMA_VERSION)?;
        doc.put(ROOT, keys::ID, header.id.to_string())?;
        doc.put(ROOT, keys::KIND, header.kind.as_str())?;
        doc.put(ROOT, keys::AGENCY, header.agency.as_str())?;
        doc.put(ROOT, keys::CATALOG, header.catalog.as_str())?;
        if let Some(f) = header.follows {
            doc.put(ROOT, keys::FOLLOWS, f.to_string())?;
        }
        let subject = doc.put_object(ROOT, keys::SUBJECT, ObjType::Map)?;
        doc.put(&subject, keys::SUBJECT_KIND, header.subject.kind.as_str())?;
        doc.put(&subject, keys::SUBJECT_ID, header.subject.id.as_str())?;
        doc.put(&subject, keys::SUBJECT_NAME, header.subject.name.as_str())?;
        if let Some(p) = &header.subject.permit {
            doc.put(&subject, keys::SUBJECT_PERMIT, p.as_str())?;
        }
        if let Some(p) = &header.subject.producer_number {
            doc.put(&subject, keys::SUBJECT_PRODUCER_NUMBER, p.as_str())?;
        }
        let inspector = doc.put_object(ROOT, keys::INSPECTOR, ObjType::Map)?;
        doc.put(&inspector, keys::PERSON_ID, header.inspector.id.as_str())?;
        doc.put(
            &inspector,
            keys::PERSON_NAME,
            header.inspector.name.as_str(),
        )?;
        doc.put(ROOT, keys::STARTED_AT, header.started_at.to_rfc3339())?;
        doc.put(ROOT, keys::STATUS, Status::Draft.as_str())?;
        for map in [
            keys::STATES,
            keys::POINTS,
            keys::AFFECTED_PRODUCTS,
            keys::ITEM_NOTES,
            keys::PHOTOS,
            keys::VOLUME,
            keys::PRODUCTS,
        ] {
            doc.put_object(ROOT, map, ObjType::Map)?;
        }
        doc.put_object(ROOT, keys::NOTES, ObjType::Text)?;
        doc.put_object(ROOT, keys::SIGNATURES, ObjType::List)?;
        doc.put_object(ROOT, keys::REVIEWS, ObjType::List)?;
        commit(&mut doc, "create", &header.started_at);
        let d = InspectionDoc { doc };
        d.read()?;
        Ok(d)
    }

    /// Loads a saved document (full save, optionally followed by incremental changes) and checks
    /// that it is a Milkshed inspection this version can read.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<InspectionDoc> {
        let doc = AutoCommit::load(bytes)
            .map_err(|e| DocumentError::Malformed(e.to_string()))?
            .with_actor(actor);
        let d = InspectionDoc { doc };
        d.read()?;
        Ok(d)
    }

    /// Applies incremental changes (from the device store or a peer).
    pub fn apply_incremental(&mut self, bytes: &[u8]) -> Result<()> {
        self.doc
            .load_incremental(bytes)
            .map_err(|e| DocumentError::Malformed(e.to_string()))?;
        Ok(())
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes since the last save or incremental save.
    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }

    /// Merges another replica of the same inspection into this one.
    pub fn merge(&mut self, other: &mut InspectionDoc) -> Result<()> {
        if self.id_string() != other.id_string() {
            return Err(DocumentError::Workflow(
                "cannot merge two different inspections".into(),
            ));
        }
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// The underlying Automerge document, for the sync protocol.
    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// The heads of the document, as hex strings.
    pub fn heads(&mut self) -> Vec<String> {
        self.doc.get_heads().iter().map(|h| h.to_string()).collect()
    }

    fn id_string(&self) -> Option<String> {
        self.str_at(&ROOT, keys::ID)
    }

    fn obj(&self, parent: &ObjId, key: &str) -> Result<ObjId> {
        match self.doc.get(parent, key)? {
            Some((Value::Object(_), id)) => Ok(id),
            _ => Err(DocumentError::Malformed(format!("missing object `{key}`"))),
        }
    }

    fn str_at(&self, parent: &ObjId, key: &str) -> Option<String> {
        match self.doc.get(parent, key).ok()?? {
            (Value::Scalar(s), _) => s.as_str().map(str::to_string),
            _ => None,
        }
    }

    fn u64_at(&self, parent: &ObjId, key: &str) -> Option<u64> {
        match self.doc.get(parent, key).ok()?? {
            (Value::Scalar(s), _) => match s.as_ref() {
                ScalarValue::Uint(u) => Some(*u),
                ScalarValue::Int(i) => u64::try_from(*i).ok(),
                _ => None,
            },
            _ => None,
        }
    }

    fn time_at(&self, parent: &ObjId, key: &str) -> Option<DateTime<FixedOffset>> {
        self.str_at(parent, key)
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
    }

    fn text_at(&self, parent: &ObjId, key: &str) -> String {
        match self.doc.get(parent, key) {
            Ok(Some((Value::Object(ObjType::Text), id))) => self.doc.text(&id).unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn status(&self) -> Status {
        self.str_at(&ROOT, keys::STATUS)
            .and_then(|s| Status::parse(&s))
            .unwrap_or(Status::Draft)
    }

    fn item_set(&self) -> ItemSet {
        let kind = self
            .obj(&ROOT, keys::SUBJECT)
            .ok()
            .and_then(|s| self.str_at(&s, keys::SUBJECT_KIND))
            .and_then(|k| SubjectKind::parse(&k));
        kind.map_or(ItemSet::Farm, SubjectKind::items)
    }

    fn catalog(&self) -> Result<&'static Catalog> {
        let id = self.str_at(&ROOT, keys::CATALOG).unwrap_or_default();
        Catalog::builtin(&id).map_err(|_| DocumentError::UnknownCatalog(id))
    }

    /// The item ids this document may record, in form order.
    pub fn item_ids(&self) -> Result<Vec<String>> {
        let catalog = self.catalog()?;
        Ok(match self.item_set() {
            ItemSet::Farm => catalog
                .farm
                .known_ids()
                .into_iter()
                .map(str::to_string)
                .collect(),
            ItemSet::Plant => catalog
                .plant
                .known_ids()
                .into_iter()
                .map(str::to_string)
                .collect(),
            ItemSet::HaulerSampler => HAULER_SAMPLER_ITEMS
                .iter()
                .map(|(id, _)| id.to_string())
                .collect(),
        })
    }

    fn check_item(&self, item: &str, points: Option<u32>) -> Result<()> {
        let catalog = self.catalog()?;
        let (form, name) = match self.item_set() {
            ItemSet::Farm => (Some(&catalog.farm), "FORM 2359a"),
            ItemSet::Plant => (Some(&catalog.plant), "FORM 2359"),
            ItemSet::HaulerSampler => (None, "hauler/sampler evaluation"),
        };
        let unknown = || DocumentError::UnknownItem {
            item: item.to_string(),
            form: name,
            catalog: catalog.id.clone(),
        };
        match form {
            Some(form) => {
                let col = form.column_for_id(item).ok_or_else(unknown)?;
                let col = &form.columns[col];
                if let Some(p) = points {
                    if !col.allows_points(p) {
                        return Err(DocumentError::PointsNotAllowed {
                            item: item.to_string(),
                            points: p,
                            allowed: col
                                .allowed_points()
                                .iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join(" or "),
                        });
                    }
                }
                Ok(())
            }
            None if HAULER_SAMPLER_ITEMS.iter().any(|(id, _)| *id == item) => Ok(()),
            None => Err(unknown()),
        }
    }

    fn editable(&self) -> Result<()> {
        let s = self.status();
        if s.editable() {
            Ok(())
        } else {
            Err(DocumentError::Locked(s.as_str()))
        }
    }

    /// Records an item's state. Refused once the inspection is signed.
    pub fn set_finding(
        &mut self,
        item: &str,
        state: &ItemState,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.editable()?;
        let points = match state {
            ItemState::Violated { points, .. } => *points,
            _ => None,
        };
        self.check_item(item, points)?;
        let states = self.obj(&ROOT, keys::STATES)?;
        let points_map = self.obj(&ROOT, keys::POINTS)?;
        let products_map = self.obj(&ROOT, keys::AFFECTED_PRODUCTS)?;
        self.doc.put(&states, item, state.name())?;
        match state {
            ItemState::Violated { points, products } => {
                match points {
                    Some(p) => self.doc.put(&points_map, item, u64::from(*p))?,
                    None => self.doc.delete(&points_map, item)?,
                }
                if products.is_empty() {
                    self.doc.delete(&products_map, item)?;
                } else {
                    self.doc.put(&products_map, item, products.join("\n"))?;
                }
            }
            _ => {
                self.doc.delete(&points_map, item)?;
                self.doc.delete(&products_map, item)?;
            }
        }
        commit(
            &mut self.doc,
            &format!("item {item}: {}", state.name()),
            now,
        );
        Ok(())
    }

    /// Clears an item back to unrecorded.
    pub fn clear_finding(&mut self, item: &str, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        self.check_item(item, None)?;
        for map in [keys::STATES, keys::POINTS, keys::AFFECTED_PRODUCTS] {
            let m = self.obj(&ROOT, map)?;
            self.doc.delete(&m, item)?;
        }
        commit(&mut self.doc, &format!("item {item}: cleared"), now);
        Ok(())
    }

    fn set_text(&mut self, parent: &ObjId, key: &str, text: &str) -> Result<()> {
        let id = match self.doc.get(parent, key)? {
            Some((Value::Object(ObjType::Text), id)) => id,
            _ => self.doc.put_object(parent, key, ObjType::Text)?,
        };
        self.doc.update_text(&id, text)?;
        Ok(())
    }

    /// Sets an item's note (collaborative text: concurrent edits of different parts merge).
    pub fn set_item_note(
        &mut self,
        item: &str,
        text: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.editable()?;
        self.check_item(item, None)?;
        let notes = self.obj(&ROOT, keys::ITEM_NOTES)?;
        self.set_text(&notes, item, text)?;
        commit(&mut self.doc, &format!("item {item}: note"), now);
        Ok(())
    }

    /// Sets the inspection's general notes.
    pub fn set_notes(&mut self, text: &str, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        self.set_text(&ROOT, keys::NOTES, text)?;
        commit(&mut self.doc, "notes", now);
        Ok(())
    }

    /// Adds (or updates) a photo reference.
    pub fn add_photo(&mut self, photo: &PhotoRef, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        if let Some(item) = &photo.item {
            self.check_item(item, None)?;
        }
        if photo.hash.len() != 64 || !photo.hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DocumentError::Workflow(
                "a photo is referenced by its SHA-256 in hex".into(),
            ));
        }
        let photos = self.obj(&ROOT, keys::PHOTOS)?;
        let p = match self.doc.get(&photos, photo.hash.as_str())? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => self
                .doc
                .put_object(&photos, photo.hash.as_str(), ObjType::Map)?,
        };
        match &photo.item {
            Some(i) => self.doc.put(&p, keys::PHOTO_ITEM, i.as_str())?,
            None => self.doc.delete(&p, keys::PHOTO_ITEM)?,
        }
        self.doc
            .put(&p, keys::PHOTO_CAPTION, photo.caption.as_str())?;
        if let Some(t) = &photo.taken_at {
            self.doc.put(&p, keys::PHOTO_TAKEN_AT, t.to_rfc3339())?;
        }
        self.doc
            .put(&p, keys::PHOTO_WIDTH, u64::from(photo.width))?;
        self.doc
            .put(&p, keys::PHOTO_HEIGHT, u64::from(photo.height))?;
        if let Some(g) = &photo.gps {
            let gps = self.doc.put_object(&p, keys::GPS, ObjType::Map)?;
            self.put_gps(&gps, g)?;
        }
        commit(&mut self.doc, &format!("photo {}", &photo.hash[..12]), now);
        Ok(())
    }

    /// Removes a photo reference (the blob stays in the store until nothing refers to it).
    pub fn remove_photo(&mut self, hash: &str, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        let photos = self.obj(&ROOT, keys::PHOTOS)?;
        self.doc.delete(&photos, hash)?;
        commit(&mut self.doc, "photo removed", now);
        Ok(())
    }

    fn put_gps(&mut self, obj: &ObjId, g: &GpsFix) -> Result<()> {
        self.doc.put(obj, keys::LAT, g.lat.as_str())?;
        self.doc.put(obj, keys::LON, g.lon.as_str())?;
        match &g.accuracy_m {
            Some(a) => self.doc.put(obj, keys::ACCURACY_M, a.as_str())?,
            None => self.doc.delete(obj, keys::ACCURACY_M)?,
        }
        Ok(())
    }

    /// Records where the inspection was made.
    pub fn set_gps(&mut self, fix: &GpsFix, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        let gps = match self.doc.get(&ROOT, keys::GPS)? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => self.doc.put_object(ROOT, keys::GPS, ObjType::Map)?,
        };
        self.put_gps(&gps, fix)?;
        commit(&mut self.doc, "gps", now);
        Ok(())
    }

    /// Sets one value in one of the document's maps, as one change.
    fn put_in(
        &mut self,
        map: &str,
        key: &str,
        value: u64,
        message: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.editable()?;
        let m = self.obj(&ROOT, map)?;
        self.doc.put(&m, key, value)?;
        commit(&mut self.doc, message, now);
        Ok(())
    }

    /// A farm's pounds of milk sold daily (MMSR L302–306).
    pub fn set_pounds_sold_daily(
        &mut self,
        pounds: u64,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.put_in(
            keys::VOLUME,
            keys::POUNDS_SOLD_DAILY,
            pounds,
            "pounds sold daily",
            now,
        )
    }

    /// A plant's pounds processed daily (MMSR L479–481).
    pub fn set_pounds_processed_daily(
        &mut self,
        pounds: u64,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.put_in(
            keys::VOLUME,
            keys::POUNDS_PROCESSED_DAILY,
            pounds,
            "pounds processed daily",
            now,
        )
    }

    /// A product's daily pounds (plants), for partial debits.
    pub fn set_product(
        &mut self,
        name: &str,
        pounds: u64,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        self.put_in(
            keys::PRODUCTS,
            name,
            pounds,
            &format!("product {name}"),
            now,
        )
    }

    /// A rating visit's random-selection seed (recorded so the draw can be reproduced).
    pub fn set_selection_seed(&mut self, seed: u64, now: &DateTime<FixedOffset>) -> Result<()> {
        self.editable()?;
        self.doc.put(ROOT, keys::SELECTION_SEED, seed)?;
        commit(&mut self.doc, "selection seed", now);
        Ok(())
    }

    /// The canonical text of the signed content: everything the inspector attests to, with map
    /// keys sorted (Automerge's map order), winners of any conflict, and none of the
    /// signatures, status or reviews.
    fn content(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for key in [
            keys::SCHEMA,
            keys::ID,
            keys::KIND,
            keys::AGENCY,
            keys::CATALOG,
            keys::FOLLOWS,
            keys::STARTED_AT,
            keys::ENDED_AT,
            keys::SELECTION_SEED,
        ] {
            if let Ok(Some((v, _))) = self.doc.get(ROOT, key) {
                if let Some(s) = scalar_string(&v) {
                    out.insert(key.to_string(), s);
                }
            }
        }
        for obj in [
            keys::SUBJECT,
            keys::INSPECTOR,
            keys::GPS,
            keys::STATES,
            keys::POINTS,
            keys::AFFECTED_PRODUCTS,
            keys::ITEM_NOTES,
            keys::PHOTOS,
            keys::VOLUME,
            keys::PRODUCTS,
        ] {
            if let Ok(id) = self.obj(&ROOT, obj) {
                self.flatten(&id, obj, &mut out);
            }
        }
        out.insert(keys::NOTES.into(), self.text_at(&ROOT, keys::NOTES));
        out
    }

    fn flatten(&self, obj: &ObjId, path: &str, out: &mut BTreeMap<String, String>) {
        for key in self.doc.keys(obj) {
            let p = format!("{path}/{key}");
            match self.doc.get(obj, key.as_str()) {
                Ok(Some((Value::Object(ObjType::Text), id))) => {
                    out.insert(p, self.doc.text(&id).unwrap_or_default());
                }
                Ok(Some((Value::Object(_), id))) => self.flatten(&id, &p, out),
                Ok(Some((v, _))) => {
                    if let Some(s) = scalar_string(&v) {
                        out.insert(p, s);
                    }
                }
                _ => {}
            }
        }
    }

    /// SHA-256 of the signed content, lower-case hex.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for (k, v) in self.content() {
            h.update((k.len() as u64).to_le_bytes());
            h.update(k.as_bytes());
            h.update((v.len() as u64).to_le_bytes());
            h.update(v.as_bytes());
        }
        hex(&h.finalize())
    }

    /// Signs: the inspector's sign-off records the content hash and locks the content; an
    /// acknowledgement (producer or operator) may follow the inspector's signature.
    pub fn sign(
        &mut self,
        role: SignerRole,
        name: &str,
        strokes: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<String> {
        let status = self.status();
        match role {
            SignerRole::Inspector if !status.editable() => {
                return Err(DocumentError::Locked(status.as_str()))
            }
            SignerRole::Acknowledgement if status != Status::Signed => {
                return Err(DocumentError::Workflow(
                    "the producer acknowledges the report after the inspector signs it".into(),
                ))
            }
            _ => {}
        }
        if name.trim().is_empty() {
            return Err(DocumentError::Workflow(
                "a signature needs the signer's name".into(),
            ));
        }
        if role == SignerRole::Inspector && self.doc.get(ROOT, keys::ENDED_AT)?.is_none() {
            self.doc.put(ROOT, keys::ENDED_AT, now.to_rfc3339())?;
        }
        let hash = self.content_hash();
        let list = self.obj(&ROOT, keys::SIGNATURES)?;
        let len = self.doc.length(&list);
        let s = self.doc.insert_object(&list, len, ObjType::Map)?;
        self.doc.put(&s, keys::SIGNER_ROLE, role.as_str())?;
        self.doc.put(&s, keys::SIGNER_NAME, name)?;
        self.doc.put(&s, keys::SIGNED_AT, now.to_rfc3339())?;
        self.doc.put(&s, keys::CONTENT_HASH, hash.as_str())?;
        self.doc.put(&s, keys::STROKES, strokes)?;
        if role == SignerRole::Inspector {
            self.doc.put(ROOT, keys::STATUS, Status::Signed.as_str())?;
        }
        commit(&mut self.doc, &format!("signed: {}", role.as_str()), now);
        Ok(hash)
    }

    /// Submits a signed inspection for review.
    pub fn submit(&mut self, now: &DateTime<FixedOffset>) -> Result<()> {
        match self.status() {
            Status::Signed => {
                if let Integrity::Tampered { .. } = self.integrity() {
                    return Err(DocumentError::Workflow(
                        "the content changed after signing; it cannot be submitted".into(),
                    ));
                }
                self.doc
                    .put(ROOT, keys::STATUS, Status::Submitted.as_str())?;
                commit(&mut self.doc, "submitted", now);
                Ok(())
            }
            s => Err(DocumentError::Workflow(format!(
                "only a signed inspection can be submitted (it is {})",
                s.as_str()
            ))),
        }
    }

    /// A reviewer accepts the inspection or returns it with comments (per finding and overall);
    /// a returned inspection can be amended and re-signed, its history kept.
    pub fn review(&mut self, review: &Review) -> Result<()> {
        if self.status() != Status::Submitted {
            return Err(DocumentError::Workflow(format!(
                "only a submitted inspection can be reviewed (it is {})",
                self.status().as_str()
            )));
        }
        if !review.accepted && review.comment.trim().is_empty() && review.item_comments.is_empty() {
            return Err(DocumentError::Workflow(
                "say what to amend when returning an inspection".into(),
            ));
        }
        let list = self.obj(&ROOT, keys::REVIEWS)?;
        let len = self.doc.length(&list);
        let r = self.doc.insert_object(&list, len, ObjType::Map)?;
        let by = self.doc.put_object(&r, keys::REVIEW_BY, ObjType::Map)?;
        self.doc.put(&by, keys::PERSON_ID, review.by.id.as_str())?;
        self.doc
            .put(&by, keys::PERSON_NAME, review.by.name.as_str())?;
        self.doc.put(&r, keys::REVIEW_AT, review.at.to_rfc3339())?;
        self.doc.put(&r, keys::REVIEW_ACCEPTED, review.accepted)?;
        self.doc
            .put(&r, keys::REVIEW_COMMENT, review.comment.as_str())?;
        let ic = self
            .doc
            .put_object(&r, keys::REVIEW_ITEM_COMMENTS, ObjType::Map)?;
        for (item, c) in &review.item_comments {
            self.doc.put(&ic, item.as_str(), c.as_str())?;
        }
        let status = if review.accepted {
            Status::Accepted
        } else {
            Status::Returned
        };
        self.doc.put(ROOT, keys::STATUS, status.as_str())?;
        commit(
            &mut self.doc,
            &format!("reviewed: {}", status.as_str()),
            &review.at,
        );
        Ok(())
    }

    /// Whether the content still matches the inspector's latest signature.
    pub fn integrity(&self) -> Integrity {
        if !matches!(
            self.status(),
            Status::Signed | Status::Submitted | Status::Accepted
        ) {
            return Integrity::Unsigned;
        }
        let signed = self
            .signatures()
            .into_iter()
            .rev()
            .find(|s| s.role == SignerRole::Inspector)
            .map(|s| s.content_hash);
        let now = self.content_hash();
        match signed {
            Some(signed) if signed == now => Integrity::Intact,
            Some(signed) => Integrity::Tampered { signed, now },
            None => Integrity::Tampered {
                signed: String::new(),
                now,
            },
        }
    }

    fn signatures(&self) -> Vec<Signature> {
        let Ok(list) = self.obj(&ROOT, keys::SIGNATURES) else {
            return Vec::new();
        };
        (0..self.doc.length(&list))
            .filter_map(|i| match self.doc.get(&list, i).ok()?? {
                (Value::Object(ObjType::Map), s) => Some(Signature {
                    role: SignerRole::parse(&self.str_at(&s, keys::SIGNER_ROLE)?)?,
                    name: self.str_at(&s, keys::SIGNER_NAME)?,
                    signed_at: self.time_at(&s, keys::SIGNED_AT)?,
                    content_hash: self.str_at(&s, keys::CONTENT_HASH)?,
                    strokes: self.str_at(&s, keys::STROKES).unwrap_or_default(),
                }),
                _ => None,
            })
            .collect()
    }

    fn reviews(&self) -> Vec<Review> {
        let Ok(list) = self.obj(&ROOT, keys::REVIEWS) else {
            return Vec::new();
        };
        (0..self.doc.length(&list))
            .filter_map(|i| match self.doc.get(&list, i).ok()?? {
                (Value::Object(ObjType::Map), r) => {
                    let by = self.obj(&r, keys::REVIEW_BY).ok()?;
                    let accepted = match self.doc.get(&r, keys::REVIEW_ACCEPTED).ok()?? {
                        (Value::Scalar(s), _) => matches!(s.as_ref(), ScalarValue::Boolean(true)),
                        _ => false,
                    };
                    let item_comments = self
                        .obj(&r, keys::REVIEW_ITEM_COMMENTS)
                        .map(|ic| {
                            self.doc
                                .keys(&ic)
                                .filter_map(|k| {
                                    let c = self.str_at(&ic, &k)?;
                                    Some((k, c))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(Review {
                        by: Person {
                            id: self.str_at(&by, keys::PERSON_ID)?,
                            name: self.str_at(&by, keys::PERSON_NAME)?,
                        },
                        at: self.time_at(&r, keys::REVIEW_AT)?,
                        accepted,
                        comment: self.str_at(&r, keys::REVIEW_COMMENT).unwrap_or_default(),
                        item_comments,
                    })
                }
                _ => None,
            })
            .collect()
    }

    fn gps_at(&self, obj: &ObjId) -> Option<GpsFix> {
        Some(GpsFix {
            lat: self.str_at(obj, keys::LAT)?,
            lon: self.str_at(obj, keys::LON)?,
            accuracy_m: self.str_at(obj, keys::ACCURACY_M),
        })
    }

    /// Reads the whole inspection (conflicting fields read as Automerge's winner; see
    /// [`Self::conflicts`]).
    pub fn read(&self) -> Result<Inspection> {
        let schema = self
            .u64_at(&ROOT, keys::SCHEMA)
            .ok_or_else(|| DocumentError::Malformed("no schema version".into()))?;
        if schema > SCHEMA_VERSION {
            return Err(DocumentError::NewerSchema(schema));
        }
        let missing = |what: &str| DocumentError::Malformed(format!("missing or invalid {what}"));
        let id = self
            .str_at(&ROOT, keys::ID)
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or_else(|| missing("id"))?;
        let kind = self
            .str_at(&ROOT, keys::KIND)
            .and_then(|s| InspectionKind::parse(&s))
            .ok_or_else(|| missing("kind"))?;
        let subject_obj = self.obj(&ROOT, keys::SUBJECT)?;
        let subject = Subject {
            kind: self
                .str_at(&subject_obj, keys::SUBJECT_KIND)
                .and_then(|s| SubjectKind::parse(&s))
                .ok_or_else(|| missing("subject kind"))?,
            id: self
                .str_at(&subject_obj, keys::SUBJECT_ID)
                .ok_or_else(|| missing("subject id"))?,
            name: self
                .str_at(&subject_obj, keys::SUBJECT_NAME)
                .unwrap_or_default(),
            permit: self.str_at(&subject_obj, keys::SUBJECT_PERMIT),
            producer_number: self.str_at(&subject_obj, keys::SUBJECT_PRODUCER_NUMBER),
        };
        let inspector_obj = self.obj(&ROOT, keys::INSPECTOR)?;
        let inspector = Person {
            id: self
                .str_at(&inspector_obj, keys::PERSON_ID)
                .ok_or_else(|| missing("inspector"))?,
            name: self
                .str_at(&inspector_obj, keys::PERSON_NAME)
                .unwrap_or_default(),
        };
        let header = Header {
            id,
            kind,
            agency: self
                .str_at(&ROOT, keys::AGENCY)
                .ok_or_else(|| missing("agency"))?,
            subject,
            inspector,
            catalog: self
                .str_at(&ROOT, keys::CATALOG)
                .ok_or_else(|| missing("catalog"))?,
            started_at: self
                .time_at(&ROOT, keys::STARTED_AT)
                .ok_or_else(|| missing("started_at"))?,
            follows: self
                .str_at(&ROOT, keys::FOLLOWS)
                .and_then(|s| Uuid::parse_str(&s).ok()),
        };
        let states = self.obj(&ROOT, keys::STATES)?;
        let points = self.obj(&ROOT, keys::POINTS)?;
        let products_map = self.obj(&ROOT, keys::AFFECTED_PRODUCTS)?;
        let notes = self.obj(&ROOT, keys::ITEM_NOTES)?;
        let mut findings = Vec::new();
        let order = self.item_ids().unwrap_or_default();
        let mut recorded: Vec<String> = self.doc.keys(&states).collect();
        for k in self.doc.keys(&notes) {
            if !recorded.contains(&k) {
                recorded.push(k);
            }
        }
        recorded.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
        for item in recorded {
            let state = match self.str_at(&states, &item).as_deref() {
                Some("violated") => ItemState::Violated {
                    points: self
                        .u64_at(&points, &item)
                        .and_then(|p| u32::try_from(p).ok()),
                    products: self
                        .str_at(&products_map, &item)
                        .map(|s| s.split('\n').map(str::to_string).collect())
                        .unwrap_or_default(),
                },
                Some("in_compliance") => ItemState::InCompliance,
                Some("not_applicable") => ItemState::NotApplicable,
                _ => ItemState::NotObserved,
            };
            findings.push(Finding {
                note: self.text_at(&notes, &item),
                item,
                state,
            });
        }
        let photos_obj = self.obj(&ROOT, keys::PHOTOS)?;
        let photos = self
            .doc
            .keys(&photos_obj)
            .filter_map(|hash| {
                let p = self.obj(&photos_obj, &hash).ok()?;
                Some(PhotoRef {
                    item: self.str_at(&p, keys::PHOTO_ITEM),
                    caption: self.str_at(&p, keys::PHOTO_CAPTION).unwrap_or_default(),
                    taken_at: self.time_at(&p, keys::PHOTO_TAKEN_AT),
                    width: u32::try_from(self.u64_at(&p, keys::PHOTO_WIDTH)?).ok()?,
                    height: u32::try_from(self.u64_at(&p, keys::PHOTO_HEIGHT)?).ok()?,
                    gps: self.obj(&p, keys::GPS).ok().and_then(|g| self.gps_at(&g)),
                    hash,
                })
            })
            .collect();
        let volume = self.obj(&ROOT, keys::VOLUME)?;
        let products_obj = self.obj(&ROOT, keys::PRODUCTS)?;
        let products = self
            .doc
            .keys(&products_obj)
            .filter_map(|name| {
                let p = self.u64_at(&products_obj, &name)?;
                Some((name, p))
            })
            .collect();
        Ok(Inspection {
            header,
            ended_at: self.time_at(&ROOT, keys::ENDED_AT),
            gps: self
                .obj(&ROOT, keys::GPS)
                .ok()
                .and_then(|g| self.gps_at(&g)),
            status: self.status(),
            findings,
            notes: self.text_at(&ROOT, keys::NOTES),
            photos,
            pounds_sold_daily: self.u64_at(&volume, keys::POUNDS_SOLD_DAILY),
            pounds_processed_daily: self.u64_at(&volume, keys::POUNDS_PROCESSED_DAILY),
            products,
            selection_seed: self.u64_at(&ROOT, keys::SELECTION_SEED),
            signatures: self.signatures(),
            reviews: self.reviews(),
            integrity: self.integrity(),
        })
    }

    /// Checks what [`Self::read`] does not: every recorded item is on the document's form and
    /// every debit carries points the item allows.
    pub fn validate(&self) -> Result<()> {
        let inspection = self.read()?;
        for f in &inspection.findings {
            let points = match &f.state {
                ItemState::Violated { points, .. } => *points,
                _ => None,
            };
            self.check_item(&f.item, points)?;
        }
        for p in &inspection.photos {
            if let Some(item) = &p.item {
                self.check_item(item, None)?;
            }
        }
        Ok(())
    }

    /// Every field two devices set differently, with all the values Automerge kept.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        self.walk_conflicts(&ROOT, "", &mut out);
        out
    }

    fn render(&self, v: &Value<'_>, id: &ObjId) -> String {
        match v {
            Value::Object(ObjType::Text) => self.doc.text(id).unwrap_or_default(),
            Value::Object(t) => format!("({t:?})"),
            v => scalar_string(v).unwrap_or_default(),
        }
    }

    fn walk_conflicts(&self, obj: &ObjId, path: &str, out: &mut Vec<Conflict>) {
        let is_list = matches!(self.doc.object_type(obj), Ok(ObjType::List));
        let props: Vec<automerge::Prop> = if is_list {
            (0..self.doc.length(obj))
                .map(automerge::Prop::from)
                .collect()
        } else {
            self.doc.keys(obj).map(automerge::Prop::from).collect()
        };
        for prop in props {
            let p = if path.is_empty() {
                prop.to_string()
            } else {
                format!("{path}/{prop}")
            };
            let all = self.doc.get_all(obj, prop.clone()).unwrap_or_default();
            if all.len() > 1 {
                out.push(Conflict {
                    path: p.clone(),
                    values: all.iter().rev().map(|(v, id)| self.render(v, id)).collect(),
                });
            }
            if let Some((v, id)) = all.last() {
                if matches!(v, Value::Object(ObjType::Map | ObjType::List)) {
                    self.walk_conflicts(id, &p, out);
                }
            }
        }
    }

    /// Who changed what, oldest first: each change's actor (hex), time and description.
    pub fn history(&mut self) -> Vec<(String, i64, String)> {
        self.doc
            .get_changes(&[])
            .iter()
            .map(|c| {
                (
                    c.actor_id().to_hex_string(),
                    c.timestamp(),
                    c.message().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The actors (hex) that wrote changes after the given heads (all when empty).
    pub fn actors_since(&mut self, heads: &[automerge::ChangeHash]) -> Vec<String> {
        let mut actors: Vec<String> = self
            .doc
            .get_changes(heads)
            .iter()
            .map(|c| c.actor_id().to_hex_string())
            .collect();
        actors.sort();
        actors.dedup();
        actors
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// SHA-256 of `bytes`, lower-case hex (the address of a stored photo).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
