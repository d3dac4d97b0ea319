//! The sync protocol between a device and the agency server, sans-IO: wire messages (CBOR) and
//! the pure steps each side takes. The app's sync client and the server's handler are thin
//! adapters around these.
//!
//! One request carries every document the device holds: its id, its heads, and the Automerge
//! changes made since the heads the server last acknowledged. The server merges them, checks
//! them (schema, actor bound to the device, workflow) and answers, per document, with the
//! changes the device lacks and its new heads. Documents the device does not hold yet (its own
//! inspections returned with comments, say) come down whole. When the server lacks a base the
//! device assumed (a restored server), it asks for everything and the exchange repeats until
//! both sides are current.

use automerge::{ActorId, ChangeHash};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::InspectionId;

use crate::document::{DocumentError, InspectionDoc, Integrity};

/// The protocol version spoken by this build (2: reference data as a delta by version).
pub const PROTOCOL_VERSION: u32 = 2;

/// Why a sync message or step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("the sync message is malformed: {0}")]
    Malformed(String),
    #[error("the document carries changes by actor {0}, which is not this device's")]
    ForgedActor(String),
    #[error("the document was changed after it was signed")]
    ChangedAfterSigning,
    #[error(transparent)]
    Document(#[from] DocumentError),
}

/// Why the server refused a request: the `error` field of every refusal's JSON body, shared
/// by the server that writes it and the device that acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Unauthorized,
    Revoked,
    Expired,
    BadRequest,
    BadCredentials,
    Throttled,
    Forbidden,
    NotFound,
    Conflict,
    Replayed,
    ForgedActor,
    OtherAgency,
    ActorTaken,
    ActorReserved,
    TooLarge,
    Unreferenced,
    WrongOffset,
    HashMismatch,
    NotAnImage,
    InvalidCsv,
    /// A rating's gate is shut (each refusal names its MMSR or Procedures line).
    GateShut,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::Unauthorized,
        ErrorCode::Revoked,
        ErrorCode::Expired,
        ErrorCode::BadRequest,
        ErrorCode::BadCredentials,
        ErrorCode::Throttled,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::Replayed,
        ErrorCode::ForgedActor,
        ErrorCode::OtherAgency,
        ErrorCode::ActorTaken,
        ErrorCode::ActorReserved,
        ErrorCode::TooLarge,
        ErrorCode::Unreferenced,
        ErrorCode::WrongOffset,
        ErrorCode::HashMismatch,
        ErrorCode::NotAnImage,
        ErrorCode::InvalidCsv,
        ErrorCode::GateShut,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Revoked => "revoked",
            ErrorCode::Expired => "expired",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::Throttled => "throttled",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Replayed => "replayed",
            ErrorCode::ForgedActor => "forged_actor",
            ErrorCode::OtherAgency => "other_agency",
            ErrorCode::ActorTaken => "actor_taken",
            ErrorCode::ActorReserved => "actor_reserved",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Unreferenced => "unreferenced",
            ErrorCode::WrongOffset => "wrong_offset",
            ErrorCode::HashMismatch => "hash_mismatch",
            ErrorCode::NotAnImage => "not_an_image",
            ErrorCode::InvalidCsv => "invalid_csv",
            ErrorCode::GateShut => "gate_shut",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether the same request may succeed later without the person doing anything (the
    /// server failed, or asked to wait).
    pub fn retriable(self) -> bool {
        matches!(self, ErrorCode::Internal | ErrorCode::Throttled)
    }
}

/// One document offered by the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocOffer {
    pub id: InspectionId,
    /// The device's heads (32-byte hashes, concatenated).
    #[serde(with = "serde_bytes")]
    pub heads: Vec<u8>,
    /// Changes after the heads the server last acknowledged (empty when none).
    #[serde(with = "serde_bytes")]
    pub changes: Vec<u8>,
}

/// A device's sync request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub protocol: u32,
    /// Unique per request: a replayed request is refused.
    pub request_id: Uuid,
    pub docs: Vec<DocOffer>,
    /// The version of the reference data the device holds (0: none).
    pub reference_version: u64,
}

/// What happened to one offered document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocOutcome {
    /// Merged (or unchanged); `changes` brings the device up to date.
    Merged,
    /// The server lacks the base of the changes: send every change next round.
    SendAll,
    /// Refused; the server's copy is unchanged. The reason is for the person.
    Rejected(String),
}

/// The server's answer for one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocReply {
    pub id: InspectionId,
    pub outcome: DocOutcome,
    /// Changes the device lacks (or the whole document when it is new to the device).
    #[serde(with = "serde_bytes")]
    pub changes: Vec<u8>,
    /// The server's heads after the merge.
    #[serde(with = "serde_bytes")]
    pub heads: Vec<u8>,
}

/// The server's answer to a [`SyncRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub protocol: u32,
    pub docs: Vec<DocReply>,
    /// The reference data the device lacks, when its version is older.
    pub reference: Option<ReferenceDelta>,
    pub reference_version: u64,
}

/// One record of the agency's reference data — a facility the device may visit, or a farm's
/// lab ledger — as the devices' briefcase holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceRecord {
    /// `farm`, `plant`, `hauler` or `lab_results`.
    pub kind: String,
    pub id: String,
    /// The record, JSON.
    pub data: String,
}

/// The records changed after the version the device holds: every record when it holds none
/// (`since` 0: the device replaces what it had), else only those changed since (it upserts
/// them). A record is never deleted, so the two together are always the whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceDelta {
    pub since: u64,
    pub records: Vec<ReferenceRecord>,
}

/// Several whole photos in one request (`POST /api/photos/batch`, CBOR): what a device sends
/// for its photos smaller than an upload chunk, so a week's photos cost a few round trips and
/// the server records each batch in one commit. A photo larger than a chunk goes through the
/// resumable upload instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoBatch {
    pub photos: Vec<BatchPhoto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPhoto {
    /// SHA-256 of `bytes`, lower-case hex.
    pub hash: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// Most photos in one batch.
pub const MAX_BATCH_PHOTOS: usize = 64;
/// Most bytes of photos in one batch (the device fills batches up to this).
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Encodes a message as CBOR.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // writing into a Vec cannot fail
    let _ = ciborium::into_writer(msg, &mut out);
    out
}

/// Decodes a CBOR message.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, SyncError> {
    ciborium::from_reader(bytes).map_err(|e| SyncError::Malformed(e.to_string()))
}

/// Heads as concatenated 32-byte hashes.
pub fn heads_to_bytes(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// Heads from concatenated 32-byte hashes.
pub fn heads_from_bytes(bytes: &[u8]) -> Result<Vec<ChangeHash>, SyncError> {
    if bytes.len() % 32 != 0 {
        return Err(SyncError::Malformed("heads are 32-byte hashes".into()));
    }
    bytes
        .chunks(32)
        .map(|c| ChangeHash::try_from(c).map_err(|e| SyncError::Malformed(e.to_string())))
        .collect()
}

/// Device side: the offer for one document, given the heads the server last acknowledged.
pub fn offer(doc: &mut InspectionDoc, id: InspectionId, server_heads: &[ChangeHash]) -> DocOffer {
    let am = doc.automerge();
    let heads = am.get_heads();
    let changes = if heads.iter().all(|h| server_heads.contains(h)) {
        Vec::new()
    } else if server_heads.is_empty() {
        // the whole document, compressed, is smaller than every change since its creation
        am.save()
    } else {
        am.save_after(server_heads)
    };
    DocOffer {
        id,
        heads: heads_to_bytes(&heads),
        changes,
    }
}

/// Device side: every change, for a server that asked for them all.
pub fn offer_all(doc: &mut InspectionDoc, id: InspectionId) -> DocOffer {
    offer(doc, id, &[])
}

/// Server side: the result of merging one offer.
#[derive(Debug)]
pub struct Merged {
    pub doc: InspectionDoc,
    /// Actors (hex) of the changes the offer added.
    pub new_actors: Vec<String>,
    /// Whether the server lacks some of the device's heads after the merge.
    pub missing_base: bool,
    /// Whether the offer changed the server's copy.
    pub changed: bool,
}

/// Server side: merges an offer into a copy of the server's document (or a new one), checks
/// that every new change was made by one of `device_actors` and that the result is a valid
/// inspection whose signed content is intact. The caller's stored copy is untouched: it keeps
/// the returned document only if it also passes the caller's role checks.
pub fn merge_offer(
    server: Option<&InspectionDoc>,
    offer: &DocOffer,
    device_actors: &[ActorId],
    server_actor: ActorId,
) -> Result<Merged, SyncError> {
    let device_heads = heads_from_bytes(&offer.heads)?;
    let mut doc = match server {
        Some(d) => d.clone(),
        None => {
            if offer.changes.is_empty() {
                return Err(SyncError::Malformed(
                    "a new document must carry its changes".into(),
                ));
            }
            InspectionDoc::load(&offer.changes, server_actor.clone())
                .map_err(|e| SyncError::Malformed(e.to_string()))?
        }
    };
    let before = doc.automerge().get_heads();
    if server.is_some() && !offer.changes.is_empty() {
        doc.apply_incremental(&offer.changes)
            .map_err(|e| SyncError::Malformed(e.to_string()))?;
    }
    let after = doc.automerge().get_heads();
    let base = if server.is_some() {
        before.clone()
    } else {
        Vec::new()
    };
    let new_actors = doc.actors_since(&base);
    let allowed: Vec<String> = device_actors.iter().map(ActorId::to_hex_string).collect();
    if let Some(forged) = new_actors.iter().find(|a| !allowed.contains(a)) {
        return Err(SyncError::ForgedActor(forged.clone()));
    }
    doc.read()?;
    doc.validate()?;
    if let Integrity::Tampered { .. } = doc.integrity() {
        return Err(SyncError::ChangedAfterSigning);
    }
    let missing_base = device_heads
        .iter()
        .any(|h| !after.contains(h) && doc.automerge().get_change_by_hash(h).is_none());
    Ok(Merged {
        changed: server.is_none() || before != after,
        doc,
        new_actors,
        missing_base,
    })
}

/// Server side: the changes the device lacks, given its heads.
pub fn reply_changes(doc: &mut InspectionDoc, device_heads: &[ChangeHash]) -> Vec<u8> {
    let am = doc.automerge();
    let heads = am.get_heads();
    if heads.iter().all(|h| device_heads.contains(h)) {
        return Vec::new();
    }
    let known: Vec<ChangeHash> = device_heads
        .iter()
        .copied()
        .filter(|h| am.get_change_by_hash(h).is_some())
        .collect();
    am.save_after(&known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{
        Header, InspectionKind, ItemState, Person, SignerRole, Subject, SubjectKind,
    };
    use chrono::{FixedOffset, TimeZone};

    fn t() -> chrono::DateTime<FixedOffset> {
        FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
            .unwrap()
    }

    fn doc(actor: u8) -> InspectionDoc {
        InspectionDoc::create(
            ActorId::from([actor; 16]),
            &Header {
                id: InspectionId::from(Uuid::from_u128(7)),
                kind: InspectionKind::RoutineFarm,
                agency: "A".into(),
                subject: Subject {
                    kind: SubjectKind::Farm,
                    id: "f".into(),
                    name: "F".into(),
                    permit: None,
                    producer_number: None,
                },
                inspector: Person {
                    id: "u".into(),
                    name: "U".into(),
                },
                catalog: "pmo-2011".into(),
                started_at: t(),
                follows: None,
            },
        )
        .unwrap()
    }

    fn violated() -> ItemState {
        ItemState::Violated {
            points: None,
            products: vec![],
        }
    }

    #[test]
    fn error_codes_read_back_as_written() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(ErrorCode::parse("nonsense"), None);
        assert!(ErrorCode::Throttled.retriable() && !ErrorCode::Forbidden.retriable());
    }

    #[test]
    fn messages_round_trip_and_garbage_is_refused() {
        let req = SyncRequest {
            protocol: 1,
            request_id: Uuid::from_u128(1),
            docs: vec![],
            reference_version: 3,
        };
        assert_eq!(decode::<SyncRequest>(&encode(&req)).unwrap(), req);
        assert!(decode::<SyncRequest>(b"\xff\x00garbage").is_err());
        assert!(heads_from_bytes(&[0u8; 31]).is_err());
    }

    #[test]
    fn a_device_offer_merges_and_the_reply_brings_it_current() {
        let device = [ActorId::from([1u8; 16])];
        let mut d = doc(1);
        let first = offer(&mut d, InspectionId::from(Uuid::from_u128(7)), &[]);
        let m = merge_offer(None, &first, &device, ActorId::from([0u8; 16])).unwrap();
        let mut server = m.doc;
        assert!(m.changed);
        // the device edits; the server got an edit from elsewhere (its own actor)
        let acked = d.automerge().get_heads();
        d.set_finding("3", &violated(), &t()).unwrap();
        let o = offer(&mut d, InspectionId::from(Uuid::from_u128(7)), &acked);
        assert!(!o.changes.is_empty());
        let mut m = merge_offer(Some(&server), &o, &device, ActorId::from([0u8; 16])).unwrap();
        assert!(!m.missing_base);
        let reply = reply_changes(&mut m.doc, &heads_from_bytes(&o.heads).unwrap());
        assert!(reply.is_empty(), "the device already has everything");
        server = m.doc;
        assert_eq!(server.read().unwrap().findings.len(), 1);
    }

    #[test]
    fn changes_by_another_actor_are_refused() {
        let mut d = doc(1);
        let o = offer(&mut d, InspectionId::from(Uuid::from_u128(7)), &[]);
        let err = merge_offer(
            None,
            &o,
            &[ActorId::from([2u8; 16])],
            ActorId::from([0u8; 16]),
        )
        .unwrap_err();
        assert!(matches!(err, SyncError::ForgedActor(_)));
    }

    #[test]
    fn a_base_the_server_lacks_is_asked_for() {
        let device = [ActorId::from([1u8; 16])];
        let mut d = doc(1);
        let all = offer(&mut d, InspectionId::from(Uuid::from_u128(7)), &[]);
        let server = merge_offer(None, &all, &device, ActorId::from([0u8; 16]))
            .unwrap()
            .doc;
        let acked = d.automerge().get_heads();
        d.set_finding("3", &violated(), &t()).unwrap();
        let mid = d.automerge().get_heads();
        d.set_finding("4", &violated(), &t()).unwrap();
        // the device wrongly believes the server has `mid`
        let o = offer(&mut d, InspectionId::from(Uuid::from_u128(7)), &mid);
        let m = merge_offer(Some(&server), &o, &device, ActorId::from([0u8; 16])).unwrap();
        assert!(m.missing_base);
        let _ = acked;
    }

    #[test]
    fn content_changed_under_a_signature_is_refused() {
        let device = [ActorId::from([1u8; 16]), ActorId::from([2u8; 16])];
        let mut a = doc(1);
        let all = offer(&mut a, InspectionId::from(Uuid::from_u128(7)), &[]);
        let mut b = InspectionDoc::load(&a.save(), ActorId::from([2u8; 16])).unwrap();
        a.sign(SignerRole::Inspector, "U", "", &t()).unwrap();
        let server = merge_offer(
            None,
            &offer(&mut a, InspectionId::from(Uuid::from_u128(7)), &[]),
            &device,
            ActorId::from([0u8; 16]),
        )
        .unwrap()
        .doc;
        let _ = all;
        b.set_finding("3", &violated(), &t()).unwrap();
        let o = offer(&mut b, InspectionId::from(Uuid::from_u128(7)), &[]);
        assert_eq!(
            merge_offer(Some(&server), &o, &device, ActorId::from([0u8; 16])).unwrap_err(),
            SyncError::ChangedAfterSigning
        );
    }
}
