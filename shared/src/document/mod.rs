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

mod conflicts;
mod edit;
mod evaluation;
mod identified;
mod model;
mod read;
mod report;
mod sign;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use automerge;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};

pub use conflicts::{ConflictDetail, ConflictValue};
pub use evaluation::{Pickup, PickupField};
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
    pub const LOCATIONS: &str = "locations";
    pub const LOCATION_AT: &str = "at";
    pub const NO_FIX: &str = "no_fix";
    pub const DELIVERIES: &str = "deliveries";
    pub const DELIVERY_HOW: &str = "how";
    pub const DELIVERY_AT: &str = "at";
    pub const DELIVERY_TO: &str = "to";
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
    /// A hauler/sampler evaluation's pick-up record and outcome.
    pub const EVALUATION: &str = "evaluation";
    /// A rating visit's hauler/samplers identified from the farm's records.
    pub const HAULERS_IDENTIFIED: &str = "haulers_identified";
    pub const REPORT: &str = "report";
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

/// The items a bulk milk hauler/sampler evaluation records: FORM FDA 2399a's marked items
/// (each sub-item, or the item when it has none) in form order, `(id, text)` —
/// `sampling::SamplerKind::BulkMilkHaulerSampler.form()`, versioned data with its sources.
pub fn hauler_sampler_items() -> Vec<(&'static str, String)> {
    let form = crate::sampling::SamplerKind::BulkMilkHaulerSampler.form();
    form.marked_items()
        .into_iter()
        .map(|(_, id, _)| (id, form.text_of(id).unwrap_or_default()))
        .collect()
}

/// An item's text and default debit on the inspection's own form: a farm's from the catalog's
/// farm form (FORM 2359a), a plant's or station's from its plant form (FORM 2359), a
/// hauler/sampler evaluation's from FORM FDA 2399a ([`hauler_sampler_items`]; no debit). The one lookup the
/// app's screens, the producer's report and the review pages share; `None` for an item the
/// form does not have.
pub fn item_text(catalog: &str, set: ItemSet, item: &str) -> Option<(String, u32)> {
    let form = |c: &'static crate::catalog::Catalog| match set {
        ItemSet::Farm => Some(&c.farm),
        ItemSet::Plant => Some(&c.plant),
        ItemSet::HaulerSampler => None,
    };
    match set {
        ItemSet::HaulerSampler => crate::sampling::SamplerKind::BulkMilkHaulerSampler
            .form()
            .text_of(item)
            .map(|t| (t, 0)),
        _ => {
            let f = form(crate::catalog::Catalog::builtin(catalog).ok()?)?;
            let col = f.columns.get(f.column_for_id(item)?)?;
            Some((col.label.clone(), col.default_points()))
        }
    }
}

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
        if header.kind == InspectionKind::HaulerSampler {
            doc.put_object(ROOT, keys::EVALUATION, ObjType::Map)?;
        }
        if header.kind == InspectionKind::RatingVisitFarm {
            doc.put_object(ROOT, keys::HAULERS_IDENTIFIED, ObjType::Map)?;
        }
        if header.kind == InspectionKind::RatingReport {
            doc.put_object(ROOT, keys::REPORT, ObjType::Map)?;
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
            ItemSet::HaulerSampler => hauler_sampler_items()
                .into_iter()
                .map(|(id, _)| id.to_string())
                .collect(),
        })
    }

    fn check_item(&self, item: &str, points: Option<u32>) -> Result<()> {
        let catalog = self.catalog()?;
        let (form, name) = match self.item_set() {
            ItemSet::Farm => (Some(&catalog.farm), "FORM 2359a"),
            ItemSet::Plant => (Some(&catalog.plant), "FORM 2359"),
            ItemSet::HaulerSampler => (None, "FORM FDA 2399a"),
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
            None if hauler_sampler_items().iter().any(|(id, _)| *id == item) => Ok(()),
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
