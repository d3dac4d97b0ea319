//! Starting the server: state, listener, TLS. Tests start it on port 0 with
//! [`launch_with_listener`] and stop it through the shutdown future.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use milkshed_shared::document::automerge::ActorId;

use crate::db;
use crate::service::blob::{BlobStore, ObjectBlobStore};

/// Password hashes verified at the same time.
pub const PASSWORD_CHECKS: usize = 2;

/// What every handler shares.
pub struct AppState {
    /// The agency record: one writer, a pool of readers.
    pub db: db::Db,
    pub blobs: Box<dyn BlobStore>,
    /// The server's own Automerge actor (for changes the server makes, e.g. web reviews).
    pub server_actor: ActorId,
    /// A secret of this server's, from which the review pages' actors are derived: no device
    /// can know (or enroll) them.
    pub actor_secret: String,
    pub dir: PathBuf,
    /// Password checks at once: argon2 takes 19 MiB each, so 100 devices enrolling together
    /// must queue rather than take 2 GB.
    pub password_checks: tokio::sync::Semaphore,
    /// Mark the review pages' cookies `Secure` (the server is behind TLS).
    pub secure_cookies: bool,
    /// Where the outbox sends and how often it looks (none: e-mails wait in the outbox).
    pub mail: Option<(crate::service::outbox::Smtp, std::time::Duration)>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("refusing plain HTTP on {0}: give --tls-cert and --tls-key, or --allow-plain-http on a trusted network")]
    PlainHttp(SocketAddr),
    #[error("TLS: {0}")]
    Tls(String),
}

impl AppState {
    /// Opens the data directory (creating it and the database).
    pub fn open(dir: &Path) -> Result<AppState, StartError> {
        AppState::open_at(dir, &db::Location::Sqlite(dir.to_path_buf()))
    }

    /// The server over the record at `location`, with photos in `dir`.
    pub fn open_at(dir: &Path, location: &db::Location) -> Result<AppState, StartError> {
        AppState::open_with(dir, location, None)
    }

    /// The server over the record at `location`, with photos at `photos` (an object store's
    /// URL, `s3://bucket/prefix` or `file:///dir`) or, without one, in `dir`.
    pub fn open_with(
        dir: &Path,
        location: &db::Location,
        photos: Option<&str>,
    ) -> Result<AppState, StartError> {
        std::fs::create_dir_all(dir)?;
        let blobs: Box<dyn BlobStore> = match photos {
            Some(url) => Box::new(ObjectBlobStore::from_url(url)?),
            None => Box::new(ObjectBlobStore::local(dir)?),
        };
        let pool = db::Db::open_at(location)?;
        let conn = pool.write()?;
        let setting = |key: &str, make: &dyn Fn() -> String| -> Result<String, StartError> {
            Ok(db::setting_or_init(&conn, key, make)?)
        };
        let actor_hex = setting("server_actor", &|| ActorId::random().to_hex_string())?;
        let server_actor = ActorId::try_from(actor_hex.as_str())
            .map_err(|e| db::DbError::Damaged(format!("server actor: {e}")))?;
        let actor_secret = setting("actor_secret", &crate::service::auth::new_token)?;
        drop(conn);
        Ok(AppState {
            db: pool,
            actor_secret,
            blobs,
            server_actor,
            dir: dir.to_path_buf(),
            password_checks: tokio::sync::Semaphore::new(PASSWORD_CHECKS),
            secure_cookies: false,
            mail: None,
        })
    }
}

impl AppState {
    /// The Automerge actor of a reviewer's changes made on the review pages: one per user (the
    /// history names who reviewed), derived with the server's secret so no device can take it.
    pub fn web_actor(&self, user_id: &str) -> ActorId {
        use sha2::Digest;
        let h = sha2::Sha256::digest(
            format!("milkshed-web-actor:{}:{user_id}", self.actor_secret).as_bytes(),
        );
        ActorId::from(h[..16].to_vec())
    }

    /// Whether an actor id is one the server itself writes with (its own, or a reviewer's on
    /// the review pages): a device may never enroll with it.
    pub fn reserved_actor(&self, conn: &crate::db::Conn, actor: &str) -> Result<bool, db::DbError> {
        if self.server_actor.to_hex_string() == actor {
            return Ok(true);
        }
        Ok(db::all_user_ids(conn)?
            .iter()
            .any(|u| self.web_actor(u).to_hex_string() == actor))
    }
}

/// The outbox's sender, when the server has an SMTP server to send through.
fn start_outbox(state: &AppState) {
    if let Some((smtp, every)) = &state.mail {
        crate::service::outbox::spawn_sender(state.db.clone(), smtp.clone(), *every);
    }
}

/// Serves on an already bound listener until `shutdown` resolves.
pub async fn launch_with_listener(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    start_outbox(&state);
    let app = crate::http::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serves with TLS (rustls) on `addr`.
pub async fn serve_tls(
    state: Arc<AppState>,
    addr: SocketAddr,
    cert: &Path,
    key: &Path,
) -> Result<(), StartError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    start_outbox(&state);
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| StartError::Tls(e.to_string()))?;
    axum_server::bind_rustls(addr, config)
        .serve(crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>())
        .await?;
    Ok(())
}
