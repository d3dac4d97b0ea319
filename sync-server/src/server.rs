//! Starting the server: state, listener, TLS. Tests start it on port 0 with
//! [`launch_with_listener`] and stop it through the shutdown future.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use milkshed_shared::document::automerge::ActorId;
use rusqlite::{Connection, OptionalExtension};

use crate::blob::{BlobStore, FsBlobStore};
use crate::db;

/// Password hashes verified at the same time.
pub const PASSWORD_CHECKS: usize = 2;

/// What every handler shares.
pub struct AppState {
    pub db: Mutex<Connection>,
    pub blobs: Box<dyn BlobStore>,
    /// The server's own Automerge actor (for changes the server makes, e.g. web reviews).
    pub server_actor: ActorId,
    pub dir: PathBuf,
    /// Password checks at once: argon2 takes 19 MiB each, so 100 devices enrolling together
    /// must queue rather than take 2 GB.
    pub password_checks: tokio::sync::Semaphore,
    /// Mark the review pages' cookies `Secure` (the server is behind TLS).
    pub secure_cookies: bool,
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
        std::fs::create_dir_all(dir)?;
        let conn = db::open(dir)?;
        let actor_hex: Option<String> = conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'server_actor'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(db::DbError::from)?;
        let server_actor = match actor_hex.and_then(|h| ActorId::try_from(h.as_str()).ok()) {
            Some(a) => a,
            None => {
                let a = ActorId::random();
                conn.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES ('server_actor', ?1)",
                    [a.to_hex_string()],
                )
                .map_err(db::DbError::from)?;
                a
            }
        };
        Ok(AppState {
            db: Mutex::new(conn),
            blobs: Box::new(FsBlobStore::new(dir)?),
            server_actor,
            dir: dir.to_path_buf(),
            password_checks: tokio::sync::Semaphore::new(PASSWORD_CHECKS),
            secure_cookies: false,
        })
    }
}

/// Serves on an already bound listener until `shutdown` resolves.
pub async fn launch_with_listener(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::api::router(state);
    axum::serve(listener, app)
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
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| StartError::Tls(e.to_string()))?;
    axum_server::bind_rustls(addr, config)
        .serve(crate::api::router(state).into_make_service())
        .await?;
    Ok(())
}
