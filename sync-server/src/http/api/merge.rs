//! `POST /api/sync`: decodes the CBOR request, checks the protocol, runs
//! `service::sync::sync` off the async threads and encodes its answer.

use super::*;

pub(super) async fn sync_handler(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ServiceResult<Response> {
    let req: SyncRequest =
        sync::decode(&body).map_err(|e| ServiceError::bad_request(e.to_string()))?;
    if req.protocol != sync::PROTOCOL_VERSION {
        return Err(ServiceError::bad_request(format!(
            "sync protocol {} is not spoken here (server speaks {}); update the app",
            req.protocol,
            sync::PROTOCOL_VERSION
        )));
    }
    let response =
        blocking(move || crate::service::sync::sync(&state.db, &state.server_actor, &device, req))
            .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/cbor")],
        sync::encode(&response),
    )
        .into_response())
}
