//! A `milkshed-server serve` stand-in the end-to-end tests start as a child process (so they
//! can SIGKILL it): `milkshed-test-server DATA_DIR` serves on 127.0.0.1 port 0 with the demo
//! agency and prints `listening ADDR` once ready. An optional second argument is the port to
//! bind (to come back on the same address after being killed).

use std::sync::Arc;

use milkshed_sync_server::{http::server, service::demo};

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: milkshed-test-server DATA_DIR"))?;
    let dir = std::path::Path::new(&dir);
    // the same record the test reads: the directory's SQLite, or its PostgreSQL database (or
    // another server's, to run as a second instance of it, with the photos at a shared URL)
    let record_of = std::env::var_os("MILKSHED_TEST_RECORD_OF").map(std::path::PathBuf::from);
    let photos = std::env::var("MILKSHED_TEST_PHOTOS").ok();
    let state = Arc::new(server::AppState::open_with(
        dir,
        &milkshed_tests::location_for(record_of.as_deref().unwrap_or(dir)),
        photos.as_deref(),
    )?);
    demo::seed(&state.db, &state.server_actor).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let port = std::env::args().nth(2).unwrap_or_else(|| "0".into());
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
        println!("listening {}", listener.local_addr()?);
        server::launch_with_listener(state, listener, std::future::pending()).await
    })?;
    Ok(())
}
