//! The device's side of sync: enrollment, one-round-trip document sync (repeated until both
//! sides are current), resumable photo upload. A thin adapter over `milkshed_shared::sync`;
//! everything it receives is stored through the [`Store`] before it is reported.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use milkshed_shared::document::InspectionDoc;
use milkshed_shared::ids::InspectionId;
use milkshed_shared::sync::ErrorCode;
use milkshed_shared::sync::{self, DocOutcome, SyncRequest, SyncResponse};
use serde::Deserialize;

use super::store::{Store, StoreError};

/// The peer name under which the server's acknowledged heads are kept.
pub const SERVER_PEER: &str = "server";
/// Photo upload chunk size.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Most rounds of one sync before giving up for now.
pub const MAX_ROUNDS: usize = 6;

/// Why a sync did not finish. Nothing received is lost: what was stored stays stored.
#[derive(Debug, thiserror::Error)]
pub enum SyncClientError {
    #[error("no connection to the server: {0}")]
    Network(String),
    #[error("the server refused ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("this device is not enrolled: enroll it with the server address, your user name and password")]
    NotEnrolled,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the server's answer was malformed: {0}")]
    Malformed(String),
}

impl SyncClientError {
    /// Whether trying again later may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            SyncClientError::Network(_) => true,
            SyncClientError::Refused { status, code, .. } => {
                *status >= 500 || ErrorCode::parse(code).is_some_and(ErrorCode::retriable)
            }
            _ => false,
        }
    }

    /// The server's reason, when it refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            SyncClientError::Refused { code, .. } => ErrorCode::parse(code),
            _ => None,
        }
    }
}

/// What an enrolled device knows of its enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Enrollment {
    pub server: String,
    pub device_id: String,
    pub token: String,
    pub agency: String,
    pub user_id: String,
    pub user_name: String,
    pub role: String,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub round_trips: usize,
    pub docs_sent: usize,
    pub docs_received: usize,
    pub rejected: Vec<(InspectionId, String)>,
    pub photos_uploaded: usize,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub reference_updated: bool,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    message: String,
}

#[derive(Deserialize)]
struct EnrollReply {
    device_id: String,
    token: String,
    agency: String,
    user: EnrollUser,
}

#[derive(Deserialize)]
struct EnrollUser {
    id: String,
    name: String,
    role: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .http_status_as_error(false)
        // one kept connection per parallel upload, so a photo never waits on a new handshake
        .max_idle_connections_per_host(PARALLEL_UPLOADS)
        .build()
        .into()
}

fn refused(status: u16, body: &[u8]) -> SyncClientError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => SyncClientError::Refused {
            status,
            code: e.error,
            message: e.message,
        },
        Err(_) => SyncClientError::Refused {
            status,
            code: "unknown".into(),
            message: String::from_utf8_lossy(body).chars().take(200).collect(),
        },
    }
}

fn read_body(resp: ureq::http::Response<ureq::Body>) -> Result<(u16, Vec<u8>), SyncClientError> {
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| SyncClientError::Network(e.to_string()))?;
    Ok((status, body))
}

/// Enrolls this device with a user's credentials and keeps the enrollment in the store.
pub fn enroll(
    store: &mut Store,
    server: &str,
    agency: &str,
    username: &str,
    password: &str,
    device_name: &str,
) -> Result<Enrollment, SyncClientError> {
    let server = server.trim_end_matches('/').to_string();
    let body = serde_json::json!({
        "agency": agency, "username": username, "password": password,
        "device_name": device_name, "actor": store.actor(),
    });
    let resp = agent()
        .post(&format!("{server}/enroll"))
        .header("content-type", "application/json")
        .send(body.to_string().as_bytes())
        .map_err(|e| SyncClientError::Network(e.to_string()))?;
    let (status, bytes) = read_body(resp)?;
    if status != 200 {
        return Err(refused(status, &bytes));
    }
    let r: EnrollReply =
        serde_json::from_slice(&bytes).map_err(|e| SyncClientError::Malformed(e.to_string()))?;
    let e = Enrollment {
        server,
        device_id: r.device_id,
        token: r.token,
        agency: r.agency,
        user_id: r.user.id,
        user_name: r.user.name,
        role: r.user.role,
    };
    let json = serde_json::json!({
        "server": e.server, "device_id": e.device_id, "token": e.token, "agency": e.agency,
        "user_id": e.user_id, "user_name": e.user_name, "role": e.role,
    });
    store.set_setting("enrollment", &json.to_string())?;
    // the server checked the password: keep its hash for signing in offline, and sign in
    super::session::remember_password(store, password)?;
    super::session::open_session(store, Utc::now())?;
    Ok(e)
}

/// The enrollment kept in the store, if any.
pub fn enrollment(store: &Store) -> Result<Enrollment, SyncClientError> {
    let text = store
        .setting("enrollment")?
        .ok_or(SyncClientError::NotEnrolled)?;
    serde_json::from_str(&text).map_err(|e| SyncClientError::Malformed(e.to_string()))
}

fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

/// How far a sync has got, for the status bar's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncProgress {
    pub round_trips: usize,
    pub docs_sent: usize,
    pub docs_received: usize,
    pub photo_bytes_sent: u64,
    /// The photo bytes this sync has to send (known once the documents are through).
    pub photo_bytes_total: u64,
}

/// Syncs every inspection and photo with the server.
pub fn sync(store: &mut Store, e: &Enrollment) -> Result<SyncReport, SyncClientError> {
    sync_with_progress(store, e, &mut |_| {})
}

/// [`sync`], telling `progress` after each round trip and each photo chunk.
pub fn sync_with_progress(
    store: &mut Store,
    e: &Enrollment,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<SyncReport, SyncClientError> {
    let agent = agent();
    let mut report = SyncReport::default();
    let mut send_all: Vec<InspectionId> = Vec::new();
    let mut reference_version: u64 = store
        .setting("reference_version")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for _ in 0..MAX_ROUNDS {
        let mut docs = Vec::new();
        for id in store.inspection_ids()? {
            let acked = store.sync_state(id, SERVER_PEER)?.unwrap_or_default();
            let acked = sync::heads_from_bytes(&acked).unwrap_or_default();
            let full = send_all.contains(&id);
            let doc = store.document(id)?;
            let offer = if full {
                sync::offer_all(doc, id)
            } else {
                sync::offer(doc, id, &acked)
            };
            if !offer.changes.is_empty() {
                report.docs_sent += 1;
            }
            docs.push(offer);
        }
        send_all.clear();
        let request = SyncRequest {
            protocol: sync::PROTOCOL_VERSION,
            request_id: uuid::Uuid::now_v7(),
            docs,
            reference_version,
        };
        let body = sync::encode(&request);
        report.bytes_up += body.len() as u64;
        let resp = agent
            .post(&format!("{}/api/sync", e.server))
            .header("authorization", &format!("Bearer {}", e.token))
            .header("content-type", "application/cbor")
            .send(&body[..])
            .map_err(|err| SyncClientError::Network(err.to_string()))?;
        let (status, bytes) = read_body(resp)?;
        report.round_trips += 1;
        report.bytes_down += bytes.len() as u64;
        if status != 200 {
            return Err(refused(status, &bytes));
        }
        let response: SyncResponse =
            sync::decode(&bytes).map_err(|err| SyncClientError::Malformed(err.to_string()))?;
        let mut again = false;
        let known: std::collections::HashSet<InspectionId> =
            store.inspection_ids()?.into_iter().collect();
        // the acknowledged heads are written together after the documents: a crash in between
        // only makes the next sync offer those changes again, which the server takes as no-ops
        let mut acked = Vec::new();
        for reply in response.docs {
            match reply.outcome {
                DocOutcome::Merged => {
                    let known = known.contains(&reply.id);
                    if known {
                        store.apply_remote(reply.id, &reply.changes, &now())?;
                    } else {
                        let mut doc = InspectionDoc::load(
                            &reply.changes,
                            milkshed_shared::document::automerge::ActorId::random(),
                        )
                        .map_err(|err| SyncClientError::Malformed(err.to_string()))?;
                        store.receive(&mut doc, &now())?;
                    }
                    if !reply.changes.is_empty() {
                        report.docs_received += 1;
                    }
                    let mine = store.heads(reply.id)?;
                    if !same_heads(&mine, &reply.heads) {
                        again = true;
                    }
                    acked.push((reply.id, reply.heads));
                }
                DocOutcome::SendAll => {
                    send_all.push(reply.id);
                    again = true;
                }
                DocOutcome::Rejected(reason) => report.rejected.push((reply.id, reason)),
            }
        }
        store.set_sync_states(SERVER_PEER, &acked)?;
        if let Some(delta) = response.reference {
            store.apply_reference(&delta, &now().to_rfc3339())?;
            reference_version = response.reference_version;
            store.set_setting("reference_version", &reference_version.to_string())?;
            report.reference_updated = true;
        }
        progress(SyncProgress {
            round_trips: report.round_trips,
            docs_sent: report.docs_sent,
            docs_received: report.docs_received,
            ..SyncProgress::default()
        });
        if !again {
            break;
        }
    }
    report.photos_uploaded = upload_photos(store, e, &agent, &mut report, progress)?;
    Ok(report)
}

fn same_heads(a: &[u8], b: &[u8]) -> bool {
    let mut x: Vec<&[u8]> = a.chunks(32).collect();
    let mut y: Vec<&[u8]> = b.chunks(32).collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

#[derive(Deserialize)]
struct PhotoStatus {
    complete: bool,
    received: Option<u64>,
}

#[derive(Deserialize)]
struct PhotoStatuses {
    photos: std::collections::HashMap<String, PhotoStatus>,
}

/// Photos sent at once, each on its own connection: while the server checks one photo the
/// link carries the next. Each photo still resumes on its own, so a cut link costs only the
/// photos under way.
pub const PARALLEL_UPLOADS: usize = 4;
/// Photos asked about in one status request (the server takes up to 2,000).
const STATUS_BATCH: usize = 500;

/// Where each photo's upload stands on the server: one request per [`STATUS_BATCH`] photos,
/// or one per photo from a server that predates the batch question.
fn photo_statuses(
    e: &Enrollment,
    agent: &ureq::Agent,
    hashes: &[String],
) -> Result<std::collections::HashMap<String, PhotoStatus>, SyncClientError> {
    let mut out = std::collections::HashMap::new();
    for batch in hashes.chunks(STATUS_BATCH) {
        let resp = agent
            .post(&format!("{}/api/photos/status", e.server))
            .header("authorization", &format!("Bearer {}", e.token))
            .header("content-type", "application/json")
            .send(
                serde_json::json!({ "hashes": batch })
                    .to_string()
                    .as_bytes(),
            )
            .map_err(|err| SyncClientError::Network(err.to_string()))?;
        let (status, body) = read_body(resp)?;
        if status == 404 || status == 405 {
            for hash in batch {
                out.insert(hash.clone(), photo_status(e, agent, hash)?);
            }
            continue;
        }
        if status != 200 {
            return Err(refused(status, &body));
        }
        let st: PhotoStatuses = serde_json::from_slice(&body)
            .map_err(|err| SyncClientError::Malformed(err.to_string()))?;
        out.extend(st.photos);
    }
    Ok(out)
}

fn photo_status(
    e: &Enrollment,
    agent: &ureq::Agent,
    hash: &str,
) -> Result<PhotoStatus, SyncClientError> {
    let resp = agent
        .get(&format!("{}/api/photos/{hash}", e.server))
        .header("authorization", &format!("Bearer {}", e.token))
        .call()
        .map_err(|err| SyncClientError::Network(err.to_string()))?;
    let (status, body) = read_body(resp)?;
    if status != 200 {
        return Err(refused(status, &body));
    }
    serde_json::from_slice(&body).map_err(|err| SyncClientError::Malformed(err.to_string()))
}

/// How one photo's upload ended.
enum Sent {
    Kept,
    /// Not kept this time, and nothing to report: the inspection that refers to it has not
    /// reached the server yet, or the request that carried it failed (its error is reported
    /// once, with another photo). It is sent again at the next sync.
    Waits,
}

/// Sends one photo from `offset` (where the server stopped) to its end, chunk by chunk.
/// Returns how it ended and how many bytes went up.
fn upload_photo(
    e: &Enrollment,
    agent: &ureq::Agent,
    hash: &str,
    bytes: &[u8],
    mut offset: usize,
) -> (Result<Sent, SyncClientError>, u64) {
    let url = format!("{}/api/photos/{hash}", e.server);
    let mut sent = 0u64;
    // even with every byte there, one more (empty) request makes the server verify and keep it
    loop {
        let end = (offset + CHUNK_BYTES).min(bytes.len());
        let resp = match agent
            .put(&format!("{url}?offset={offset}&total={}", bytes.len()))
            .header("authorization", &format!("Bearer {}", e.token))
            .send(&bytes[offset..end])
        {
            Ok(r) => r,
            Err(err) => return (Err(SyncClientError::Network(err.to_string())), sent),
        };
        let (status, body) = match read_body(resp) {
            Ok(b) => b,
            Err(err) => return (Err(err), sent),
        };
        sent += (end - offset) as u64;
        if status != 200 {
            let err = refused(status, &body);
            if err.code() == Some(ErrorCode::Unreferenced) {
                return (Ok(Sent::Waits), sent);
            }
            return (Err(err), sent);
        }
        let st: PhotoStatus = match serde_json::from_slice(&body) {
            Ok(st) => st,
            Err(err) => return (Err(SyncClientError::Malformed(err.to_string())), sent),
        };
        if st.complete {
            return (Ok(Sent::Kept), sent);
        }
        offset = end;
        if offset >= bytes.len() {
            return (
                Err(SyncClientError::Malformed(format!(
                    "the server did not keep photo {hash} after all its bytes"
                ))),
                sent,
            );
        }
    }
}

/// Uploads every photo the server lacks: one status question, then [`PARALLEL_UPLOADS`] photos
/// at a time, each marked uploaded in the store as soon as the server kept it.
fn upload_photos(
    store: &mut Store,
    e: &Enrollment,
    agent: &ureq::Agent,
    report: &mut SyncReport,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<usize, SyncClientError> {
    let mut uploaded = 0;
    let hashes = store.photos_to_upload()?;
    let mut shown = SyncProgress {
        round_trips: report.round_trips,
        docs_sent: report.docs_sent,
        docs_received: report.docs_received,
        photo_bytes_sent: 0,
        photo_bytes_total: store.photo_bytes(&hashes)?,
    };
    progress(shown);
    if hashes.is_empty() {
        return Ok(0);
    }
    let statuses = photo_statuses(e, agent, &hashes)?;
    let mut to_send = Vec::new();
    for hash in hashes {
        match statuses.get(&hash) {
            Some(st) if st.complete => {
                store.mark_photo_uploaded(&hash)?;
                uploaded += 1;
            }
            Some(st) => to_send.push((hash, st.received.unwrap_or(0) as usize)),
            None => {
                return Err(SyncClientError::Malformed(format!(
                    "the server said nothing of photo {hash}"
                )))
            }
        }
    }
    let mut queue = to_send.into_iter().peekable();
    while queue.peek().is_some() {
        // up to PARALLEL_UPLOADS requests at once: batches of small photos, or one large photo
        let mut jobs: Vec<Job> = Vec::with_capacity(PARALLEL_UPLOADS);
        while jobs.len() < PARALLEL_UPLOADS {
            let Some((hash, offset)) = queue.next() else {
                break;
            };
            let Some(bytes) = store.photo(&hash)? else {
                continue;
            };
            if offset > 0 || bytes.len() > CHUNK_BYTES {
                let offset = offset.min(bytes.len());
                jobs.push(Job::Single(hash, bytes, offset));
                continue;
            }
            let mut batch = vec![(hash, bytes)];
            let mut size = batch[0].1.len();
            while batch.len() < sync::MAX_BATCH_PHOTOS {
                let Some((next, 0)) = queue.peek().cloned() else {
                    break;
                };
                let Some(bytes) = store.photo(&next)? else {
                    queue.next();
                    continue;
                };
                if bytes.len() > CHUNK_BYTES || size + bytes.len() > BATCH_BYTES {
                    break;
                }
                queue.next();
                size += bytes.len();
                batch.push((next, bytes));
            }
            jobs.push(Job::Batch(batch));
        }
        let results: Vec<(Outcomes, u64)> = std::thread::scope(|scope| {
            let running: Vec<_> = jobs
                .iter()
                .map(|job| scope.spawn(move || job.run(e, agent)))
                .collect();
            running
                .into_iter()
                .map(|t| {
                    t.join().unwrap_or_else(|_| {
                        (
                            vec![(
                                String::new(),
                                Err(SyncClientError::Network("an upload thread failed".into())),
                            )],
                            0,
                        )
                    })
                })
                .collect()
        });
        let mut failed = None;
        let mut kept = Vec::new();
        for (outcomes, sent) in results {
            report.bytes_up += sent;
            shown.photo_bytes_sent += sent;
            for (hash, result) in outcomes {
                match result {
                    Ok(Sent::Kept) => kept.push(hash),
                    Ok(Sent::Waits) => {}
                    Err(err) => {
                        failed.get_or_insert(err);
                    }
                }
            }
        }
        // one commit for every photo this round kept
        store.mark_photos_uploaded(&kept)?;
        uploaded += kept.len();
        progress(shown);
        if let Some(err) = failed {
            return Err(err);
        }
    }
    Ok(uploaded)
}

/// Bytes of small photos put in one batch request (the server takes up to
/// [`sync::MAX_BATCH_BYTES`]): a few batches are in flight at once.
pub const BATCH_BYTES: usize = 2 * 1024 * 1024;

/// One upload request's worth of work.
enum Job {
    /// Whole photos no larger than a chunk, in one `POST /api/photos/batch`.
    Batch(Vec<(String, Vec<u8>)>),
    /// One photo, resumed from an offset, chunk by chunk.
    Single(String, Vec<u8>, usize),
}

type Outcomes = Vec<(String, Result<Sent, SyncClientError>)>;

impl Job {
    /// Runs the request(s); each photo's outcome, and the bytes that went up.
    fn run(&self, e: &Enrollment, agent: &ureq::Agent) -> (Outcomes, u64) {
        match self {
            Job::Single(hash, bytes, offset) => {
                let (r, sent) = upload_photo(e, agent, hash, bytes, *offset);
                (vec![(hash.clone(), r)], sent)
            }
            Job::Batch(photos) => match upload_batch(e, agent, photos) {
                Ok(Some(out)) => (out, photos.iter().map(|(_, b)| b.len() as u64).sum()),
                // a server that predates batches: one photo at a time
                Ok(None) => {
                    let mut out = Vec::new();
                    let mut sent = 0;
                    for (hash, bytes) in photos {
                        let (r, n) = upload_photo(e, agent, hash, bytes, 0);
                        sent += n;
                        out.push((hash.clone(), r));
                    }
                    (out, sent)
                }
                // the request failed as a whole: the first photo carries the error, the others
                // simply wait for the next sync
                Err(err) => {
                    let mut out: Outcomes = vec![(photos[0].0.clone(), Err(err))];
                    out.extend(
                        photos[1..]
                            .iter()
                            .map(|(h, _)| (h.clone(), Ok(Sent::Waits))),
                    );
                    (out, 0)
                }
            },
        }
    }
}

#[derive(Deserialize)]
struct BatchAnswer {
    photos: std::collections::HashMap<String, BatchVerdict>,
}

#[derive(Deserialize)]
struct BatchVerdict {
    complete: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Sends whole photos in one request. `None`: the server has no batch upload.
fn upload_batch(
    e: &Enrollment,
    agent: &ureq::Agent,
    photos: &[(String, Vec<u8>)],
) -> Result<Option<Outcomes>, SyncClientError> {
    let batch = sync::PhotoBatch {
        photos: photos
            .iter()
            .map(|(hash, bytes)| sync::BatchPhoto {
                hash: hash.clone(),
                bytes: bytes.clone(),
            })
            .collect(),
    };
    let resp = agent
        .post(&format!("{}/api/photos/batch", e.server))
        .header("authorization", &format!("Bearer {}", e.token))
        .header("content-type", "application/cbor")
        .send(&sync::encode(&batch)[..])
        .map_err(|err| SyncClientError::Network(err.to_string()))?;
    let (status, body) = read_body(resp)?;
    if status == 404 || status == 405 {
        return Ok(None);
    }
    if status != 200 {
        return Err(refused(status, &body));
    }
    let answer: BatchAnswer =
        serde_json::from_slice(&body).map_err(|err| SyncClientError::Malformed(err.to_string()))?;
    let mut out = Vec::with_capacity(photos.len());
    for (hash, _) in photos {
        let r = match answer.photos.get(hash) {
            Some(v) if v.complete => Ok(Sent::Kept),
            Some(v) if v.error.as_deref() == Some(ErrorCode::Unreferenced.as_str()) => {
                Ok(Sent::Waits)
            }
            Some(v) => Err(SyncClientError::Refused {
                status: 422,
                code: v.error.clone().unwrap_or_else(|| "unknown".into()),
                message: v.message.clone().unwrap_or_default(),
            }),
            None => Err(SyncClientError::Malformed(format!(
                "the server said nothing of photo {hash}"
            ))),
        };
        out.push((hash.clone(), r));
    }
    Ok(Some(out))
}

/// What the status bar shows of sync: what waits, when the last sync went through, and why
/// the last one failed (if it did, after the last success).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncStatus {
    pub waiting: usize,
    pub photos_waiting: usize,
    pub last_synced_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub failed: Option<(chrono::DateTime<chrono::FixedOffset>, String)>,
}

/// How soon the background sync tries again after a failure.
pub const RETRY_AFTER: Duration = Duration::from_secs(60);

/// Syncs and records the outcome for the status bar.
pub fn sync_and_record(
    store: &mut Store,
    e: &Enrollment,
    now: chrono::DateTime<chrono::FixedOffset>,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<SyncReport, SyncClientError> {
    let r = sync_with_progress(store, e, progress);
    let noted = match &r {
        Ok(_) => store
            .set_setting("last_synced_at", &now.to_rfc3339())
            .and_then(|()| store.set_setting("last_sync_error", "")),
        Err(err) => store.set_setting(
            "last_sync_error",
            &serde_json::json!({ "at": now.to_rfc3339(), "why": err.to_string() }).to_string(),
        ),
    };
    // the outcome is what matters; a status line that could not be written is only a status line
    noted.ok();
    r
}

/// The sync status of the store.
pub fn status(store: &mut Store) -> SyncStatus {
    let time = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    let failed = store
        .setting("last_sync_error")
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| Some((time(v["at"].as_str()?)?, v["why"].as_str()?.to_string())));
    SyncStatus {
        waiting: store.pending(SERVER_PEER).map(|p| p.len()).unwrap_or(0),
        photos_waiting: store.photos_to_upload().map(|p| p.len()).unwrap_or(0),
        last_synced_at: store
            .setting("last_synced_at")
            .ok()
            .flatten()
            .and_then(|s| time(&s)),
        failed,
    }
}

/// One sync on a thread of its own, with its own connection to the store at `store_path` (the
/// screen awaits the answer and never waits on the network).
/// `progress` hears how far it got, from that thread.
pub async fn sync_in_background(
    store_path: std::path::PathBuf,
    progress: impl FnMut(SyncProgress) + Send + 'static,
) -> Result<SyncReport, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut progress = progress;
    std::thread::spawn(move || {
        let r = Store::open(&store_path)
            .map_err(|e| e.to_string())
            .and_then(|mut s| {
                let e = enrollment(&s).map_err(|e| e.to_string())?;
                sync_and_record(
                    &mut s,
                    &e,
                    chrono::Local::now().fixed_offset(),
                    &mut progress,
                )
                .map_err(|e| e.to_string())
            });
        let _ = tx.send(r);
    });
    rx.await.unwrap_or_else(|_| Err("the sync stopped".into()))
}

/// What the background sync tells the screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoSync {
    Started,
    Progress(SyncProgress),
    /// The attempt is over (its outcome is in [`status`]).
    Finished,
}

/// Syncs in the background: every `every` while something waits, and at once whenever `wake`
/// is sent to (the app came back to the foreground). `tell` hears each attempt start, progress
/// and finish; when it answers false the thread stops.
pub fn spawn_auto_sync(
    store_path: std::path::PathBuf,
    every: Duration,
    wake: std::sync::mpsc::Receiver<()>,
    tell: impl FnMut(AutoSync) -> bool + Send + 'static,
) {
    let tell = std::cell::RefCell::new(tell);
    let told = move |event| (tell.borrow_mut())(event);
    std::thread::spawn(move || loop {
        let woken = match wake.recv_timeout(every) {
            Ok(()) => true,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => false,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(every);
                false
            }
        };
        let Ok(mut store) = Store::open(&store_path) else {
            continue;
        };
        let Ok(e) = enrollment(&store) else { continue };
        let waiting = store
            .pending(SERVER_PEER)
            .map(|p| !p.is_empty())
            .unwrap_or(false)
            || store
                .photos_to_upload()
                .map(|p| !p.is_empty())
                .unwrap_or(false);
        if woken || waiting {
            if !told(AutoSync::Started) {
                return;
            }
            let _ = sync_and_record(
                &mut store,
                &e,
                chrono::Local::now().fixed_offset(),
                &mut |p| {
                    told(AutoSync::Progress(p));
                },
            );
            if !told(AutoSync::Finished) {
                return;
            }
        }
    });
}
