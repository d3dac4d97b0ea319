//! Photo upload (resumable, per device), status and download.

use super::*;

pub(super) fn check_hash(hash: &str) -> ServiceResult<()> {
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

/// Where a device's partial upload of a photo lives: one file per agency, device and photo, so
/// no other device can append to (or spoil) an upload it did not start.
pub(super) fn partial_path(
    state: &AppState,
    device: &DeviceAuth,
    hash: &str,
) -> std::path::PathBuf {
    state.dir.join("photos-partial").join(format!(
        "{}-{}-{hash}.part",
        auth::token_hash(&device.agency_id)
            .get(..16)
            .unwrap_or_default(),
        device.device_id
    ))
}

pub(super) async fn photo_status(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
) -> ServiceResult<Json<serde_json::Value>> {
    check_hash(&hash)?;
    blocking(move || {
        let conn = state.db.read()?;
        if db::photo_stored(&conn, &device.agency_id, &hash)? {
            return Ok(Json(json!({"complete": true, "received": null})));
        }
        drop(conn);
        let received = std::fs::metadata(partial_path(&state, &device, &hash))
            .map(|m| m.len())
            .unwrap_or(0);
        Ok(Json(json!({"complete": false, "received": received})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UploadQuery {
    offset: u64,
    total: u64,
}

/// `PUT /api/photos/{hash}?offset=&total=`: one chunk of a resumable upload. The database is
/// consulted only to check and to record; the chunk is written, and the whole photo hashed and
/// decoded (within the device's limits, header first), with no connection held.
pub(super) async fn photo_upload(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    check_hash(&hash)?;
    if q.total > MAX_PHOTO_BYTES {
        return Err(ServiceError::new(
            ErrorCode::TooLarge,
            format!("a photo is at most {MAX_PHOTO_BYTES} bytes"),
        ));
    }
    blocking(move || {
        let agency = &device.agency_id;
        {
            let conn = state.db.read()?;
            if db::photo_stored(&conn, agency, &hash)? {
                return Ok(Json(json!({"complete": true, "received": q.total})));
            }
            if !db::photo_referenced(&conn, agency, &hash)? {
                return Err(ServiceError::new(
                    ErrorCode::Unreferenced,
                    "no inspection of your agency refers to this photo: sync the inspection first",
                ));
            }
        }
        let path = partial_path(&state, &device, &hash);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(ServiceError::internal)?;
        }
        let received = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if q.offset != received {
            return Err(ServiceError::new(
                ErrorCode::WrongOffset,
                format!("{received} bytes received so far; resume from there"),
            ));
        }
        if received.saturating_add(body.len() as u64) > q.total {
            let _ = std::fs::remove_file(&path);
            return Err(ServiceError::bad_request(
                "more bytes than the total announced",
            ));
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(ServiceError::internal)?;
        f.write_all(&body).map_err(ServiceError::internal)?;
        f.sync_data().map_err(ServiceError::internal)?;
        let received = received + body.len() as u64;
        if received < q.total {
            return Ok(Json(json!({"complete": false, "received": received})));
        }
        let bytes = std::fs::read(&path).map_err(ServiceError::internal)?;
        let _ = std::fs::remove_file(&path);
        if sha256_hex(&bytes) != hash {
            return Err(ServiceError::new(
                ErrorCode::HashMismatch,
                "the bytes received do not match the photo's hash; upload it again",
            ));
        }
        if let Err(e) = crate::service::photo::decode_stored(&bytes) {
            return Err(ServiceError::new(
                ErrorCode::NotAnImage,
                format!("not kept: {e}"),
            ));
        }
        state
            .blobs
            .put(&hash, &bytes)
            .map_err(ServiceError::internal)?;
        db::record_photo(&*state.db.write()?, agency, &hash, received)?;
        Ok(Json(json!({"complete": true, "received": received})))
    })
    .await
}

pub(super) async fn photo_data(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(hash): Path<String>,
) -> ServiceResult<Response> {
    check_hash(&hash)?;
    blocking(move || {
        let conn = state.db.read()?;
        if !db::photo_stored(&conn, &device.agency_id, &hash)? {
            return Err(ServiceError::new(
                ErrorCode::NotFound,
                "no such photo in your agency",
            ));
        }
        let bytes = state
            .blobs
            .get(&hash)
            .map_err(ServiceError::internal)?
            .ok_or_else(|| ServiceError::internal("photo file missing"))?;
        Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
    })
    .await
}
