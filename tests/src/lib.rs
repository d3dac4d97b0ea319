//! Test harness shared by the end-to-end tests: a server on a loopback port (in this process,
//! or as a child process that can be killed), devices with their own stores, a TCP proxy that
//! cuts or throttles the link, and a fingerprint of what the server has stored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a harness: a panic is the failure report

pub mod ui;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use milkshed_app::device::sync_client::{self, Enrollment, SyncReport};
use milkshed_app::device::{process_photo, Store};
use milkshed_shared::document::{
    Header, InspectionKind, ItemState, Person, PhotoRef, Subject, SubjectKind,
};
use milkshed_shared::ids::InspectionId;
use milkshed_sync_server::{http::server, service::demo};
use sha2::Digest;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The PostgreSQL cluster the end-to-end tests run against, when `MILKSHED_TEST_DATABASE`
/// names one (`postgres://postgres@127.0.0.1:PORT/postgres`, as `scripts/pg-cluster` prints);
/// without it they run on SQLite. The test command runs the suite both ways.
pub const TEST_DATABASE: &str = "MILKSHED_TEST_DATABASE";

/// The cluster's administrative URL, if the tests run on PostgreSQL.
pub fn postgres_cluster() -> Option<String> {
    std::env::var(TEST_DATABASE).ok().filter(|u| !u.is_empty())
}

/// Whether this run of the tests is on PostgreSQL.
pub fn on_postgres() -> bool {
    postgres_cluster().is_some()
}

fn database_name(dir: &Path) -> String {
    let h = sha2::Sha256::digest(dir.to_string_lossy().as_bytes());
    format!(
        "milkshed_{}",
        &milkshed_shared::document::sha256_hex(&h)[..20]
    )
}

fn database_url(cluster: &str, name: &str) -> String {
    match cluster.rfind('/') {
        Some(i) if i > "postgres://".len() => format!("{}/{name}", &cluster[..i]),
        _ => format!("{cluster}/{name}"),
    }
}

/// Where the record of a test server on `dir` lives: its own PostgreSQL database (created on
/// first use, named after the directory, so a child server and its restart find it again) or
/// `dir`'s SQLite file.
pub fn location_for(dir: &Path) -> milkshed_sync_server::db::Location {
    use milkshed_sync_server::db::Location;
    let Some(cluster) = postgres_cluster() else {
        return Location::Sqlite(dir.to_path_buf());
    };
    let name = database_name(dir);
    let admin = milkshed_sync_server::db::Conn::connect_postgres(&cluster)
        .unwrap_or_else(|e| panic!("{TEST_DATABASE}={cluster}: the cluster does not answer: {e}"));
    let exists: Option<i64> = admin
        .query_row(
            "SELECT 1 FROM pg_database WHERE datname = ?1",
            [&name],
            |r| r.get(0),
        )
        .ok();
    if exists.is_none() {
        if let Err(e) = admin.execute_batch(&format!("CREATE DATABASE {name}")) {
            // another thread of the same test made it first
            assert!(
                e.to_string().contains("already exists"),
                "creating {name}: {e}"
            );
        }
    }
    Location::Postgres(database_url(&cluster, &name))
}

/// Drops a test server's PostgreSQL database (nothing on SQLite: the directory goes).
pub fn drop_database(dir: &Path) {
    if let Some(cluster) = postgres_cluster() {
        if let Ok(admin) = milkshed_sync_server::db::Conn::connect_postgres(&cluster) {
            let _ = admin.execute_batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                database_name(dir)
            ));
        }
    }
}

/// A connection of its own to the record of a server on `dir` (as an administrator would
/// open it), on whichever engine the tests run.
pub fn record_of(dir: &Path) -> milkshed_sync_server::db::Conn {
    match location_for(dir) {
        milkshed_sync_server::db::Location::Sqlite(d) => {
            milkshed_sync_server::db::Conn::from_sqlite(
                rusqlite::Connection::open(d.join("agency.db")).unwrap(),
            )
        }
        milkshed_sync_server::db::Location::Postgres(url) => {
            milkshed_sync_server::db::Conn::connect_postgres(&url).unwrap()
        }
    }
}

/// A server in this process on 127.0.0.1:0 with the demo agency; stopped on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(|state| {
            demo::seed(&state.db, &state.server_actor).unwrap();
        })
    }

    /// A server whose data directory `prepare` fills first (benchmarks load large records).
    pub fn start_with(prepare: impl FnOnce(&Arc<server::AppState>)) -> TestServer {
        Self::start_configured(|_| {}, prepare)
    }

    /// The demo server sending its outbox through the SMTP server at `smtp` every 200 ms.
    pub fn start_mailing(smtp: &str) -> TestServer {
        let smtp = milkshed_sync_server::service::outbox::Smtp::new(
            smtp,
            "Milkshed Demo <dairy@demo.example>",
        )
        .unwrap();
        Self::start_configured(
            move |state| state.mail = Some((smtp, std::time::Duration::from_millis(200))),
            |state| {
                demo::seed(&state.db, &state.server_actor).unwrap();
            },
        )
    }

    fn start_configured(
        configure: impl FnOnce(&mut server::AppState),
        prepare: impl FnOnce(&Arc<server::AppState>),
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut state = server::AppState::open_at(dir.path(), &location_for(dir.path())).unwrap();
        configure(&mut state);
        let state = Arc::new(state);
        prepare(&state);
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                server::launch_with_listener(state, listener, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        TestServer {
            addr,
            dir,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A second agency, `north`, with a supervisor `nina` (password `north-pass`): what tests
    /// use to prove nothing crosses agencies.
    pub fn add_north_agency(&self) {
        let conn = self.db();
        milkshed_sync_server::db::create_agency(&conn, "north", "North State Milk Program")
            .unwrap();
        let hash = milkshed_sync_server::service::auth::hash_password("north-pass").unwrap();
        milkshed_sync_server::db::add_user(
            &conn,
            "north",
            "nina",
            "Nina North",
            milkshed_sync_server::service::auth::Role::Supervisor,
            &hash,
        )
        .unwrap();
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Opens the server's database (read-write, as an administrator would).
    pub fn db(&self) -> milkshed_sync_server::db::Conn {
        record_of(self.dir.path())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        drop_database(self.dir.path());
    }
}

/// A large registry for the benches, through the registry's own path: 10 BTUs
/// (`bench-btu-N`) and `farms` farms (`bench-farm-N`) with permits, spread over them.
pub fn bench_registry(conn: &mut milkshed_sync_server::db::Conn, farms: usize) {
    use milkshed_sync_server::service::registry as record;
    let add = |conn: &mut milkshed_sync_server::db::Conn, v: serde_json::Value| {
        let f = record::FacilityInput::from_json(&v).unwrap();
        record::add_facility_record(conn, demo::AGENCY, "bench", &f)
            .map_err(|e| format!("{e:?}"))
            .unwrap();
    };
    for b in 0..10 {
        add(
            conn,
            serde_json::json!({"id": format!("bench-btu-{b}"), "kind": "btu", "name": format!("Bench BTU {b}"), "number": format!("{}", 200 + b)}),
        );
    }
    for n in 0..farms {
        add(
            conn,
            serde_json::json!({"id": format!("bench-farm-{n}"), "kind": "dairy_farm", "name": format!("Bench Farm {n:04}"),
                "number": format!("55-{n:05}"), "pounds_daily": 1000 + (n % 30) * 100, "listing": format!("bench-btu-{}", n % 10),
                "permit": {"number": format!("BF-{n:05}"), "issued_on": "2020-01-01"}}),
        );
    }
}

/// `milkshed-test-server` as a child process on a data directory: can be killed with SIGKILL.
pub struct ChildServer {
    pub addr: SocketAddr,
    child: Child,
}

impl ChildServer {
    /// `exe` is `env!("CARGO_BIN_EXE_milkshed-test-server")` of the calling test.
    pub fn start(exe: &str, dir: &Path) -> ChildServer {
        Self::start_on(exe, dir, 0)
    }

    /// Starts on a given port (0: any), e.g. to come back on the same address after a kill.
    pub fn start_on(exe: &str, dir: &Path, port: u16) -> ChildServer {
        Self::spawn(Command::new(exe).arg(dir).arg(port.to_string()))
    }

    /// Another instance of the server whose record is `record_of`'s, on a data directory of
    /// its own, with the photos in the object store at `photos` (`file:///…`).
    pub fn start_instance(exe: &str, dir: &Path, record_of: &Path, photos: &str) -> ChildServer {
        Self::spawn(
            Command::new(exe)
                .arg(dir)
                .env("MILKSHED_TEST_RECORD_OF", record_of)
                .env("MILKSHED_TEST_PHOTOS", photos),
        )
    }

    fn spawn(command: &mut Command) -> ChildServer {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .expect("server announces its address")
            .parse()
            .unwrap();
        ChildServer { addr, child }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field device: its own store in a temp directory, enrolled as a demo user.
pub struct TestDevice {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub enrollment: Enrollment,
}

pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

impl TestDevice {
    pub fn enroll(server: &str, username: &str) -> TestDevice {
        Self::enroll_in(server, demo::AGENCY, username, demo::PASSWORD)
    }

    pub fn enroll_in(server: &str, agency: &str, username: &str, password: &str) -> TestDevice {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("device.db")).unwrap();
        let enrollment = sync_client::enroll(
            &mut store,
            server,
            agency,
            username,
            password,
            "test tablet",
        )
        .unwrap();
        TestDevice {
            dir,
            store,
            enrollment,
        }
    }

    /// The signed-in person.
    pub fn person(&self) -> Person {
        Person {
            id: self.enrollment.user_id.clone().into(),
            name: self.enrollment.user_name.clone(),
        }
    }

    /// Points the device at another server address (a proxy, a restarted server).
    pub fn use_server(&mut self, url: &str) {
        self.enrollment.server = url.to_string();
    }

    pub fn sync(&mut self) -> Result<SyncReport, sync_client::SyncClientError> {
        sync_client::sync(&mut self.store, &self.enrollment)
    }

    /// Signs an inspection as its inspector (under the account's name) and submits it.
    pub fn sign_and_submit(&mut self, id: milkshed_shared::ids::InspectionId) {
        let name = self.person().name;
        self.store
            .edit(id, &now(), |d| {
                d.sign(
                    milkshed_shared::document::SignerRole::Inspector,
                    &name,
                    "M0 0",
                    &now(),
                )
            })
            .unwrap();
        self.store.edit(id, &now(), |d| d.submit(&now())).unwrap();
    }

    /// Starts a routine farm inspection and records a few findings.
    pub fn inspect_farm(
        &mut self,
        farm: &str,
        items: &[&str],
    ) -> milkshed_shared::ids::InspectionId {
        let header = Header {
            id: milkshed_shared::ids::InspectionId::new_v7(),
            kind: InspectionKind::RoutineFarm,
            agency: self.enrollment.agency.clone(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: farm.into(),
                name: format!("Farm {farm}"),
                permit: None,
                producer_number: None,
            },
            inspector: self.person(),
            catalog: "pmo-2011".into(),
            started_at: now(),
            follows: None,
        };
        let id = self.store.create_inspection(&header).unwrap();
        for item in items {
            self.store
                .edit(id, &now(), |d| {
                    d.set_finding(
                        item,
                        &ItemState::Violated {
                            points: None,
                            products: vec![],
                        },
                        &now(),
                    )
                })
                .unwrap();
        }
        id
    }

    /// A hauler/sampler evaluation (FORM FDA 2399a) of one of the demo's haulers, with a
    /// deviation on `item`, the tank truck and milk temperature recorded and `outcome`, signed
    /// and submitted (not synced).
    pub fn hauler_evaluation(
        &mut self,
        hauler: (&str, &str, &str),
        item: &str,
        outcome: milkshed_shared::sampling::Outcome,
    ) -> InspectionId {
        self.hauler_evaluation_at(hauler, "WI", item, outcome, now())
    }

    /// [`Self::hauler_evaluation`] of a permit of `state`, started at `started_at` (with its
    /// offset: the local day is the evaluation's day).
    pub fn hauler_evaluation_at(
        &mut self,
        hauler: (&str, &str, &str),
        state: &str,
        item: &str,
        outcome: milkshed_shared::sampling::Outcome,
        started_at: chrono::DateTime<chrono::FixedOffset>,
    ) -> InspectionId {
        let (id, name, permit) = hauler;
        let header = Header {
            id: InspectionId::new_v7(),
            kind: InspectionKind::HaulerSampler,
            agency: self.enrollment.agency.clone(),
            subject: Subject {
                kind: SubjectKind::Hauler,
                id: id.into(),
                name: name.into(),
                permit: Some(permit.into()),
                producer_number: None,
            },
            inspector: self.person(),
            catalog: "pmo-2011".into(),
            started_at,
            follows: None,
        };
        let id = self.store.create_inspection(&header).unwrap();
        self.store
            .edit(id, &now(), |d| {
                let violated = ItemState::Violated {
                    points: None,
                    products: vec![],
                };
                d.set_finding(item, &violated, &now())?;
                d.set_pickup(
                    milkshed_shared::document::PickupField::TankTruck,
                    "T-17",
                    &now(),
                )?;
                d.set_pickup(
                    milkshed_shared::document::PickupField::PermitState,
                    state,
                    &now(),
                )?;
                d.set_pickup(
                    milkshed_shared::document::PickupField::MilkTemperatureF,
                    "38",
                    &now(),
                )?;
                d.set_outcome(outcome, &now())
            })
            .unwrap();
        self.sign_and_submit(id);
        id
    }

    /// A rating report (FORM 2359j) of a shipper with these entries (`report` paths and JSON
    /// values), signed and submitted.
    pub fn rating_report(
        &mut self,
        shipper: (&str, &str, SubjectKind),
        entries: &[(&str, serde_json::Value)],
    ) -> InspectionId {
        let (id, name, kind) = shipper;
        let header = Header {
            id: InspectionId::new_v7(),
            kind: InspectionKind::RatingReport,
            agency: self.enrollment.agency.clone(),
            subject: Subject {
                kind,
                id: id.into(),
                name: name.into(),
                permit: None,
                producer_number: None,
            },
            inspector: self.person(),
            catalog: "pmo-2011".into(),
            started_at: now(),
            follows: None,
        };
        let id = self.store.create_inspection(&header).unwrap();
        self.store
            .edit(id, &now(), |d| {
                for (path, value) in entries {
                    d.set_report_entry(path, value, &now())?;
                }
                Ok(())
            })
            .unwrap();
        self.sign_and_submit(id);
        id
    }

    /// A farm rating visit, signed and submitted: pounds sold daily and the items violated
    /// (`8A` at 5 points, a major water violation).
    pub fn rating_visit(
        &mut self,
        farm: &str,
        name: &str,
        pounds: u64,
        items: &[&str],
    ) -> milkshed_shared::ids::InspectionId {
        self.rating_visit_identifying(farm, name, pounds, items, &[])
    }

    /// [`Self::rating_visit`] naming the hauler/samplers identified from the farm's records:
    /// `(State, permit, name)` each.
    pub fn rating_visit_identifying(
        &mut self,
        farm: &str,
        name: &str,
        pounds: u64,
        items: &[&str],
        haulers: &[(&str, &str, &str)],
    ) -> milkshed_shared::ids::InspectionId {
        let now = now();
        let header = Header {
            id: milkshed_shared::ids::InspectionId::new_v7(),
            kind: InspectionKind::RatingVisitFarm,
            agency: self.enrollment.agency.clone(),
            subject: Subject {
                kind: SubjectKind::Farm,
                id: farm.into(),
                name: name.into(),
                permit: None,
                producer_number: None,
            },
            inspector: self.person(),
            catalog: "pmo-2011".into(),
            started_at: now,
            follows: None,
        };
        let id = self.store.create_inspection(&header).unwrap();
        self.store
            .edit(id, &now, |d| d.set_pounds_sold_daily(pounds, &now))
            .unwrap();
        for (state, permit, hauler) in haulers {
            let h = milkshed_shared::sampling::records::IdentifiedSampler {
                state: state.to_string(),
                permit: permit.to_string(),
                name: hauler.to_string(),
            };
            self.store
                .edit(id, &now, |d| d.identify_hauler(&h, &now))
                .unwrap();
        }
        for item in items {
            let points = (*item == "8A").then_some(5);
            self.store
                .edit(id, &now, |d| {
                    d.set_finding(
                        item,
                        &ItemState::Violated {
                            points,
                            products: vec![],
                        },
                        &now,
                    )
                })
                .unwrap();
        }
        let signer = self.person().name;
        self.store
            .edit(id, &now, |d| {
                d.sign(
                    milkshed_shared::document::SignerRole::Inspector,
                    &signer,
                    "M0 0 L 5 5",
                    &now,
                )
            })
            .unwrap();
        self.store.edit(id, &now, |d| d.submit(&now)).unwrap();
        id
    }

    /// Takes a photo (a generated JPEG, distinct per `seed`) for an item.
    pub fn photograph(
        &mut self,
        id: milkshed_shared::ids::InspectionId,
        item: &str,
        seed: u32,
    ) -> String {
        self.photograph_sized(id, item, seed, 96, 72)
    }

    /// Takes a photo of the given size (noisy, so a 1600 px photo stores at several hundred KB).
    pub fn photograph_sized(
        &mut self,
        id: milkshed_shared::ids::InspectionId,
        item: &str,
        seed: u32,
        w: u32,
        h: u32,
    ) -> String {
        let p = process_photo(&jpeg(seed, w, h)).unwrap();
        self.attach_photo(id, item, &p, &format!("photo {seed}"))
    }

    /// Stores a processed photo on the device and attaches it to `item`'s finding.
    pub fn attach_photo(
        &mut self,
        id: milkshed_shared::ids::InspectionId,
        item: &str,
        p: &milkshed_app::device::ProcessedPhoto,
        caption: &str,
    ) -> String {
        let hash = self.store.put_photo(p).unwrap();
        self.store
            .edit(id, &now(), |d| {
                d.add_photo(
                    &PhotoRef {
                        hash: hash.clone(),
                        item: Some(item.into()),
                        caption: caption.to_string(),
                        taken_at: Some(now()),
                        width: p.width,
                        height: p.height,
                        gps: None,
                    },
                    &now(),
                )
            })
            .unwrap();
        hash
    }
}

/// A JPEG whose pixels depend on `seed`.
pub fn jpeg(seed: u32, w: u32, h: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2654435761) | 1;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let v = x
            .wrapping_mul(31)
            .wrapping_add(y.wrapping_mul(17))
            .wrapping_add(seed.wrapping_mul(2654435761));
        image::Rgb([
            (v % 251) as u8 ^ (state % 64) as u8,
            (v / 7 % 241) as u8,
            (state % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .unwrap();
    out
}

/// A digest of everything the server has stored for every agency: documents, projection,
/// photos. Equal before and after a refused request means nothing changed.
pub fn fingerprint(dir: &Path) -> String {
    let conn = record_of(dir);
    let mut h = sha2::Sha256::new();
    let rows: Vec<(String, Vec<u8>)> = conn
        .query_map("SELECT id, snapshot FROM documents ORDER BY id", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    for (id, snapshot) in rows {
        h.update(id.as_bytes());
        h.update(&snapshot);
    }
    for sql in [
        "SELECT id || status || violations FROM inspections ORDER BY id",
        "SELECT agency_id || hash FROM photos ORDER BY hash",
        "SELECT id || coalesce(revoked_at, '') FROM devices ORDER BY id",
        "SELECT id || inspector_id || inspector_name || subject_name || started_at FROM inspections ORDER BY id",
        "SELECT inspection_id || item || state || note FROM findings ORDER BY inspection_id, item",
        "SELECT inspection_id || seq || by_id || by_name || accepted FROM reviews ORDER BY inspection_id, seq",
        "SELECT id || agency_id || name FROM facilities ORDER BY id",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        for r in rows {
            h.update(r.unwrap().as_bytes());
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out)
                } else {
                    out.push(p)
                }
            }
        }
    }
    walk(&dir.join("photos"), &mut files);
    files.sort();
    for f in files {
        h.update(f.to_string_lossy().as_bytes());
    }
    milkshed_shared::document::sha256_hex(&h.finalize())
}

/// A loopback TCP proxy in front of a server: it can cut every connection after a number of
/// bytes from the client, and throttle to a bandwidth. Bounded: it serves until dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    /// Client bytes sent through so far (reset it to start counting again).
    pub sent: Arc<AtomicU64>,
    /// Close connections once this many client bytes went through (u64::MAX: never).
    pub cut_after: Arc<AtomicU64>,
    /// Bytes per second in each direction (0: unthrottled).
    pub bytes_per_sec: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    limit: Option<Arc<AtomicU64>>,
    rate: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut n = n;
        if let Some(limit) = &limit {
            let before = sent.fetch_add(n as u64, Ordering::SeqCst);
            let cap = limit.load(Ordering::SeqCst);
            if before + n as u64 > cap {
                n = cap.saturating_sub(before) as usize;
                let _ = to.write_all(&buf[..n]);
                break;
            }
        }
        let bps = rate.load(Ordering::SeqCst);
        if bps > 0 {
            std::thread::sleep(Duration::from_secs_f64(n as f64 / bps as f64));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}

impl Proxy {
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let cut_after = Arc::new(AtomicU64::new(u64::MAX));
        let bytes_per_sec = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let (c, r, s, sent_all) = (
            cut_after.clone(),
            bytes_per_sec.clone(),
            stop.clone(),
            sent.clone(),
        );
        std::thread::spawn(move || {
            let sent = sent_all;
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let Ok(upstream) = TcpStream::connect(target) else {
                            continue;
                        };
                        let (c2, u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                        let (limit, rate, rate2, sent2) =
                            (c.clone(), r.clone(), r.clone(), sent.clone());
                        std::thread::spawn(move || {
                            pipe(client, upstream, Some(limit), rate, sent2)
                        });
                        std::thread::spawn(move || {
                            pipe(u2, c2, None, rate2, Arc::new(AtomicU64::new(0)))
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Proxy {
            addr,
            sent,
            cut_after,
            bytes_per_sec,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Documents and photos the server holds for the demo agency.
pub fn server_counts(dir: &Path) -> (i64, i64) {
    let conn = record_of(dir);
    milkshed_sync_server::db::counts(&conn, demo::AGENCY).unwrap()
}

/// An X display of its own (Xvfb at 1280 × 1100, room for a tablet held either way) with a
/// session bus of its own (on which the desktop portal shows the file chooser), for driving the
/// app's real window; both stopped on drop. `base` keeps displays of concurrent runs apart.
pub struct Display {
    num: u32,
    xvfb: Child,
    bus: Option<(Child, String)>,
}

impl Display {
    pub fn start(base: u32) -> Display {
        let num = base + std::process::id() % 200;
        let xvfb = Command::new("Xvfb")
            .args([
                format!(":{num}").as_str(),
                "-screen",
                "0",
                "1280x1100x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is needed for the UI tests (scripts/test installs it)");
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{num}"));
        let start = std::time::Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "Xvfb did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // the portal services the bus starts inherit its environment: this display, and the
        // desktop whose portal (GTK's) they use
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .env("DISPLAY", format!(":{num}"))
            .env("XDG_CURRENT_DESKTOP", "GNOME")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()
            .and_then(|mut child| {
                let mut line = String::new();
                BufReader::new(child.stdout.take()?)
                    .read_line(&mut line)
                    .ok()?;
                Some((child, line.trim().to_string()))
            });
        Display { num, xvfb, bus }
    }

    /// The `DBUS_SESSION_BUS_ADDRESS` of the display's session bus ("" when dbus-daemon is
    /// missing: then no file chooser opens).
    pub fn bus(&self) -> String {
        self.bus.as_ref().map(|b| b.1.clone()).unwrap_or_default()
    }

    /// The `DISPLAY` value.
    pub fn name(&self) -> String {
        format!(":{}", self.num)
    }

    /// Runs xdotool on this display.
    pub fn xdotool(&self, args: &[&str]) {
        let ok = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", self.name())
            .status()
            .expect("xdotool is needed")
            .success();
        assert!(ok, "xdotool {args:?}");
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some((bus, _)) = &mut self.bus {
            let _ = bus.kill();
            let _ = bus.wait();
        }
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// The app binary next to the running test or bench executable (`cargo build` makes it).
pub fn app_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let app = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("milkshed-app");
    assert!(app.exists(), "build the app first: cargo build -p milkshed-app (scripts/test does; benches need --release)");
    app
}

/// An HTTP agent that returns 4xx/5xx answers instead of failing on them.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// An answer's status and JSON body (`null` when the body is not JSON).
pub fn json_of(resp: ureq::http::Response<ureq::Body>) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let body = resp.into_body().read_to_vec().unwrap();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

/// `POST` JSON to an `/api/` path with a device token.
pub fn post_json(
    server: &str,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    json_of(
        agent()
            .post(&format!("{server}{path}"))
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes())
            .unwrap(),
    )
}

/// Opens an IMS rating of the demo's BTU for Sam at the agency record and announces `farms` of
/// its draw for today: Sue records Sam's SRO certificate and overrides the demo's open Appendix N
/// matter with a reason (the gates the demo leaves shut). Returns the rating as the server shows
/// it after the announcement.
pub fn open_demo_rating(server: &str, farms: usize) -> serde_json::Value {
    let sue = TestDevice::enroll(server, "sue");
    let sam = TestDevice::enroll(server, "sam");
    let sam_id = sam.enrollment.user_id.clone();
    let (s, b) = post_json(
        server,
        &sue.enrollment.token,
        "/api/ratings/certificates",
        &serde_json::json!({"user_id": sam_id, "issued_on": "2025-03-01", "categories": ["dairy_farms"]}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = post_json(
        server,
        &sue.enrollment.token,
        "/api/ratings/overrides",
        &serde_json::json!({"shipper_id": "btu-1", "officer_id": sam_id, "gate": "appendix_n",
                            "reason": "permit holder told by phone, written notice follows"}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, rating) = post_json(
        server,
        &sam.enrollment.token,
        "/api/ratings",
        &serde_json::json!({"shipper_id": "btu-1"}),
    );
    assert_eq!(s, 200, "{rating}");
    let id = rating["id"].as_str().unwrap_or_default().to_string();
    let (s, rating) = post_json(
        server,
        &sam.enrollment.token,
        &format!("/api/ratings/{id}/days"),
        &serde_json::json!({"farms": farms}),
    );
    assert_eq!(s, 200, "{rating}");
    rating
}

/// `POST /api/lab-results`: a laboratory's CSV, with a device token.
pub fn post_lab_csv(server: &str, token: &str, csv: &str) -> (u16, serde_json::Value) {
    json_of(
        agent()
            .post(&format!("{server}/api/lab-results"))
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "text/csv")
            .send(csv.as_bytes())
            .unwrap(),
    )
}

/// `GET` an `/api/` path with a device token.
pub fn get_json(server: &str, token: &str, path: &str) -> (u16, serde_json::Value) {
    json_of(
        agent()
            .get(&format!("{server}{path}"))
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .unwrap(),
    )
}

/// A browser-like client of the review pages: signs in, keeps the session cookie, does not
/// follow redirects (so tests see them), and reads the CSRF token from the last page.
pub struct WebClient {
    pub base: String,
    /// The session cookie (`milkshed_session=…`).
    pub cookie: Option<String>,
    /// The sign-in form's cookie (`milkshed_login=…`) and the token its page carried.
    pub login_cookie: Option<String>,
    pub login_token: Option<String>,
    pub csrf: Option<String>,
    agent: ureq::Agent,
}

/// A page's status, `Location` (for redirects) and body.
pub struct WebAnswer {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub body: String,
}

impl WebClient {
    pub fn new(base: &str) -> WebClient {
        WebClient {
            base: base.to_string(),
            cookie: None,
            login_cookie: None,
            login_token: None,
            csrf: None,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
        }
    }

    fn answer(&mut self, resp: ureq::http::Response<ureq::Body>) -> WebAnswer {
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header("location");
        let set_cookie = header("set-cookie");
        if let Some(c) = &set_cookie {
            let pair = c.split(';').next().unwrap_or_default().to_string();
            let kept = (!pair.ends_with('=')).then_some(pair.clone());
            if pair.starts_with("milkshed_login=") {
                self.login_cookie = kept;
            } else {
                self.cookie = kept;
            }
        }
        let bytes = resp
            .into_body()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(i) = body.find("name=\"csrf\" value=\"") {
            let rest = &body[i + 19..];
            self.csrf = rest.split('"').next().map(str::to_string);
        }
        if let Some(i) = body.find("name=\"login_token\" value=\"") {
            let rest = &body[i + 26..];
            self.login_token = rest.split('"').next().map(str::to_string);
        }
        WebAnswer {
            status,
            location,
            set_cookie,
            body,
        }
    }

    /// The cookies a browser would send.
    fn cookies(&self) -> Option<String> {
        let all: Vec<&str> = [&self.cookie, &self.login_cookie]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        (!all.is_empty()).then(|| all.join("; "))
    }

    pub fn get(&mut self, path: &str) -> WebAnswer {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        if let Some(c) = self.cookies() {
            req = req.header("cookie", c);
        }
        let resp = req.call().unwrap();
        self.answer(resp)
    }

    /// Posts a form (fields are sent as given; add the CSRF token yourself, or use
    /// [`WebClient::submit`]).
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> WebAnswer {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = self.cookies() {
            req = req.header("cookie", c);
        }
        let resp = req.send(body.as_bytes()).unwrap();
        self.answer(resp)
    }

    /// Posts a form with the session's CSRF token.
    pub fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> WebAnswer {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all)
    }

    /// Signs in as a browser does: the sign-in page first (its form token and cookie), then
    /// the form.
    pub fn login(&mut self, agency: &str, username: &str, password: &str) -> WebAnswer {
        self.get("/review/login");
        let token = self.login_token.clone().unwrap_or_default();
        self.post(
            "/review/login",
            &[
                ("agency", agency),
                ("username", username),
                ("password", password),
                ("login_token", &token),
            ],
        )
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// aiosmtpd (Debian's python3-aiosmtpd) on a loopback port, keeping what it receives in a
/// Maildir.
pub struct SmtpServer {
    pub port: u16,
    maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let python = if Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd (apt-get install python3-aiosmtpd; scripts/test installs it)");
        let start = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(20),
                "aiosmtpd did not start on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        SmtpServer {
            port,
            maildir,
            child,
            _dir: dir,
        }
    }

    /// The messages received so far.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in rd.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }

    /// Waits up to 30 s for a message `pred` accepts.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = std::time::Instant::now();
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| pred(m)) {
                return m;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "no e-mail {what} arrived"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
