//! Photos sent by the devices: a resumable upload per device (chunks kept in the photo store,
//! where every server instance sees them, under a name only that device's upload uses), checked
//! whole (SHA-256, size, decodable image) before it
//! is stored; status and download. No database connection is held while bytes are hashed or
//! decoded.

use milkshed_shared::document::sha256_hex;
use milkshed_shared::sync::ErrorCode;
use serde_json::{json, Value};

use crate::db::{self, Db, DeviceAuth};
use crate::service::blob::BlobStore;
use crate::service::{auth, ServiceError, ServiceResult};

/// Largest photo accepted (as the app's own limit).
pub const MAX_PHOTO_BYTES: u64 = 40 * 1024 * 1024;

pub fn check_hash(hash: &str) -> ServiceResult<()> {
    if hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(())
    } else {
        Err(ServiceError::bad_request(
            "a photo is addressed by its SHA-256 in lower-case hex",
        ))
    }
}

/// The name of a device's partial upload of a photo: one per agency, device and photo, so no
/// other device can append to (or spoil) an upload it did not start.
pub fn upload_name(device: &DeviceAuth, hash: &str) -> String {
    format!(
        "{}-{}-{hash}",
        auth::token_hash(&device.agency_id)
            .get(..16)
            .unwrap_or_default(),
        device.device_id
    )
}

/// Whether the photo is stored, or how many bytes of this device's upload arrived.
pub fn status(
    db: &Db,
    blobs: &dyn BlobStore,
    device: &DeviceAuth,
    hash: &str,
) -> ServiceResult<Value> {
    check_hash(hash)?;
    let conn = db.read()?;
    if db::photo_stored(&conn, &device.agency_id, hash)? {
        return Ok(json!({"complete": true, "received": null}));
    }
    drop(conn);
    let received = blobs
        .received(&upload_name(device, hash))
        .map_err(ServiceError::internal)?;
    Ok(json!({"complete": false, "received": received}))
}

/// Most photos asked about in one [`statuses`] request (a week offline is a few hundred).
pub const MAX_STATUS_HASHES: usize = 2000;

/// [`status`] of many photos in one round trip: what a device asks before it uploads, so a
/// week's photos cost one question instead of one per photo.
pub fn statuses(
    db: &Db,
    blobs: &dyn BlobStore,
    device: &DeviceAuth,
    hashes: &[String],
) -> ServiceResult<Value> {
    if hashes.len() > MAX_STATUS_HASHES {
        return Err(ServiceError::new(
            ErrorCode::TooLarge,
            format!("ask about at most {MAX_STATUS_HASHES} photos at a time"),
        ));
    }
    for hash in hashes {
        check_hash(hash)?;
    }
    let mut stored = std::collections::BTreeSet::new();
    {
        let conn = db.read()?;
        for hash in hashes {
            if db::photo_stored(&conn, &device.agency_id, hash)? {
                stored.insert(hash.as_str());
            }
        }
    }
    let mut out = serde_json::Map::new();
    for hash in hashes {
        let status = if stored.contains(hash.as_str()) {
            json!({"complete": true, "received": null})
        } else {
            let received = blobs
                .received(&upload_name(device, hash))
                .map_err(ServiceError::internal)?;
            json!({"complete": false, "received": received})
        };
        out.insert(hash.clone(), status);
    }
    Ok(json!({ "photos": out }))
}

/// `PUT /api/photos/{hash}?offset=&total=`: one chunk of a resumable upload. The database is
/// consulted only to check and to record; the chunk is written, and the whole photo hashed and
/// decoded (within the device's limits, header first), with no connection held.
pub fn upload(
    db: &Db,
    blobs: &dyn BlobStore,
    device: &DeviceAuth,
    hash: &str,
    offset: u64,
    total: u64,
    body: &[u8],
) -> ServiceResult<Value> {
    check_hash(hash)?;
    if total > MAX_PHOTO_BYTES {
        return Err(ServiceError::new(
            ErrorCode::TooLarge,
            format!("a photo is at most {MAX_PHOTO_BYTES} bytes"),
        ));
    }
    let agency = &device.agency_id;
    {
        let conn = db.read()?;
        if db::photo_stored(&conn, agency, hash)? {
            return Ok(json!({"complete": true, "received": total}));
        }
        if !db::photo_referenced(&conn, agency, hash)? {
            return Err(ServiceError::new(
                ErrorCode::Unreferenced,
                "no inspection of your agency refers to this photo: sync the inspection first",
            ));
        }
    }
    let upload = upload_name(device, hash);
    let received = blobs.received(&upload).map_err(ServiceError::internal)?;
    if offset == 0 && received == 0 && body.len() as u64 == total {
        // the whole photo in one request (the usual case: a stored photo is smaller than a
        // chunk): nothing to keep for a resume, so it is checked and stored straight away
        return keep(db, blobs, agency, hash, body);
    }
    if offset != received {
        return Err(ServiceError::new(
            ErrorCode::WrongOffset,
            format!("{received} bytes received so far; resume from there"),
        ));
    }
    if received.saturating_add(body.len() as u64) > total {
        let _ = blobs.discard(&upload);
        return Err(ServiceError::bad_request(
            "more bytes than the total announced",
        ));
    }
    if !body.is_empty() {
        blobs
            .put_chunk(&upload, received, body)
            .map_err(ServiceError::internal)?;
    }
    let received = received + body.len() as u64;
    if received < total {
        return Ok(json!({"complete": false, "received": received}));
    }
    let bytes = blobs.assemble(&upload).map_err(ServiceError::internal)?;
    let _ = blobs.discard(&upload);
    keep(db, blobs, agency, hash, &bytes)
}

/// `POST /api/photos/batch`: several whole photos, each checked as [`upload`] checks a whole
/// photo, stored, and recorded together in one commit; the answer says of each whether it is
/// kept or why not (a refused photo does not spoil the others).
pub fn upload_batch(
    db: &Db,
    blobs: &dyn BlobStore,
    device: &DeviceAuth,
    batch: milkshed_shared::sync::PhotoBatch,
) -> ServiceResult<Value> {
    use milkshed_shared::sync::{MAX_BATCH_BYTES, MAX_BATCH_PHOTOS};
    if batch.photos.len() > MAX_BATCH_PHOTOS {
        return Err(ServiceError::new(
            ErrorCode::TooLarge,
            format!("a batch holds at most {MAX_BATCH_PHOTOS} photos"),
        ));
    }
    let total: usize = batch.photos.iter().map(|p| p.bytes.len()).sum();
    if total > MAX_BATCH_BYTES {
        return Err(ServiceError::new(
            ErrorCode::TooLarge,
            format!("a batch holds at most {MAX_BATCH_BYTES} bytes of photos"),
        ));
    }
    for p in &batch.photos {
        check_hash(&p.hash)?;
    }
    let agency = &device.agency_id;
    let mut out = serde_json::Map::new();
    let refuse = |code: ErrorCode, message: &str| json!({"complete": false, "error": code.as_str(), "message": message});
    let mut to_check = Vec::new();
    {
        let conn = db.read()?;
        for p in &batch.photos {
            if out.contains_key(&p.hash) {
                continue;
            }
            if db::photo_stored(&conn, agency, &p.hash)? {
                out.insert(p.hash.clone(), json!({"complete": true}));
            } else if !db::photo_referenced(&conn, agency, &p.hash)? {
                out.insert(
                    p.hash.clone(),
                    refuse(
                        ErrorCode::Unreferenced,
                        "no inspection of your agency refers to this photo: sync the inspection first",
                    ),
                );
            } else {
                out.insert(p.hash.clone(), Value::Null);
                to_check.push(p);
            }
        }
    }
    // hashed, decoded and stored with no connection held
    let mut kept = Vec::new();
    for p in to_check {
        let verdict = if sha256_hex(&p.bytes) != p.hash {
            refuse(
                ErrorCode::HashMismatch,
                "the bytes received do not match the photo's hash; upload it again",
            )
        } else if let Err(e) = crate::service::photo::decode_stored(&p.bytes) {
            refuse(ErrorCode::NotAnImage, &format!("not kept: {e}"))
        } else {
            blobs
                .put(&p.hash, &p.bytes)
                .map_err(ServiceError::internal)?;
            kept.push((p.hash.as_str(), p.bytes.len() as u64));
            json!({"complete": true})
        };
        out.insert(p.hash.clone(), verdict);
    }
    if !kept.is_empty() {
        let mut conn = db.write()?;
        let tx = conn.transaction()?;
        for (hash, size) in &kept {
            db::record_photo(&tx, agency, hash, *size)?;
        }
        tx.commit()?;
    }
    Ok(json!({ "photos": out }))
}

/// Checks a whole photo (hash, decodable image) and stores it.
fn keep(
    db: &Db,
    blobs: &dyn BlobStore,
    agency: &str,
    hash: &str,
    bytes: &[u8],
) -> ServiceResult<Value> {
    if sha256_hex(bytes) != hash {
        return Err(ServiceError::new(
            ErrorCode::HashMismatch,
            "the bytes received do not match the photo's hash; upload it again",
        ));
    }
    if let Err(e) = crate::service::photo::decode_stored(bytes) {
        return Err(ServiceError::new(
            ErrorCode::NotAnImage,
            format!("not kept: {e}"),
        ));
    }
    blobs.put(hash, bytes).map_err(ServiceError::internal)?;
    db::record_photo(&db.write()?, agency, hash, bytes.len() as u64)?;
    Ok(json!({"complete": true, "received": bytes.len()}))
}

/// A stored photo's bytes (JPEG), if it is the caller's agency's.
pub fn data(
    db: &Db,
    blobs: &dyn BlobStore,
    device: &DeviceAuth,
    hash: &str,
) -> ServiceResult<Vec<u8>> {
    check_hash(hash)?;
    let conn = db.read()?;
    if !db::photo_stored(&conn, &device.agency_id, hash)? {
        return Err(ServiceError::new(
            ErrorCode::NotFound,
            "no such photo in your agency",
        ));
    }
    blobs
        .get(hash)
        .map_err(ServiceError::internal)?
        .ok_or_else(|| ServiceError::internal("photo file missing"))
}
