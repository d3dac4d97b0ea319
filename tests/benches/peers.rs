//! Milkshed against its peers on the same work, side by side in one run: a device's offline
//! week — 400 inspections and 200 photos (about 140 KB each, a stored photo's weight) — synced
//! to the server through Milkshed's own sync, through automerge-repo's WebSocket sync server,
//! and through CouchDB-style replication (PouchDB replicating to express-pouchdb). Every system
//! goes through the same counting TCP proxy on loopback (`tests/peers/proxy.mjs`): bytes each
//! way and round trips; wall time until the server holds everything; the server process's peak
//! resident memory. Each as a ratio to Milkshed.
//!
//! Run: `cargo bench -p milkshed-tests --bench peers` (needs Node.js; installs the peers with
//! `npm install --no-save --prefix tests/peers` the first time, at the lock file's versions:
//! `npm ci` refuses the lock where the registry leaves out cbor-extract's optional platform
//! builds, which the peers do not need).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use milkshed_app::device::process_photo;
use milkshed_tests::{jpeg, now, workspace_root, ChildServer, TestDevice};

const INSPECTIONS: usize = 400;
const PHOTOS: usize = 200;

struct Measured {
    bytes_up: u64,
    bytes_down: u64,
    round_trips: u64,
    wall: Duration,
    peak_rss_kib: u64,
}

/// A child process's first line on stdout, with the process.
fn spawn_announcing(cmd: &mut Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_string())
}

fn peers_dir() -> std::path::PathBuf {
    workspace_root().join("tests/peers")
}

/// The counting proxy in front of `target`.
struct CountingProxy {
    child: Child,
    stdin: ChildStdin,
    port: u16,
}

impl CountingProxy {
    fn start(target: u16) -> CountingProxy {
        let mut child = Command::new("node")
            .arg(peers_dir().join("proxy.mjs"))
            .arg(target.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .unwrap()
            .parse()
            .unwrap();
        CountingProxy { child, stdin, port }
    }

    fn stats(&mut self) -> serde_json::Value {
        writeln!(self.stdin, "stats").unwrap();
        let mut line = String::new();
        BufReader::new(self.child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _ = self.child.kill();
        let _ = self.child.wait();
        serde_json::from_str(&line).unwrap()
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Peak resident memory of a process (VmHWM), KiB.
fn peak_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn measured(stats: serde_json::Value, wall: Duration, peak_rss_kib: u64) -> Measured {
    Measured {
        bytes_up: stats["bytes_up"].as_u64().unwrap(),
        bytes_down: stats["bytes_down"].as_u64().unwrap(),
        round_trips: stats["round_trips"].as_u64().unwrap(),
        wall,
        peak_rss_kib,
    }
}

/// The week on a Milkshed device, written to `fixture` for the peers as well.
fn the_week(d: &mut TestDevice, fixture: &Path) {
    std::fs::create_dir_all(fixture.join("photos")).unwrap();
    let mut out = Vec::new();
    for n in 0..INSPECTIONS {
        let farm = format!("farm-{}", n % 12 + 1);
        let items = ["3", "6", "9"];
        let id = d.inspect_farm(&farm, &items);
        let mut photos = Vec::new();
        if n < PHOTOS {
            // the test image is noise, which JPEG cannot shrink: at 400 × 300 it weighs what a stored
            // 1600 × 1200 camera photo does (about 140 KB, BENCHMARKS.md's device table)
            let p = process_photo(&jpeg(7000 + n as u32, 400, 300)).unwrap();
            let hash = d.attach_photo(id, "3", &p, &format!("photo {n}"));
            std::fs::write(fixture.join("photos").join(&hash), &p.jpeg).unwrap();
            photos.push(hash);
        }
        out.push(serde_json::json!({
            "header": {"id": id.to_string(), "kind": "routine_farm", "agency": "demo",
                "subject": {"kind": "farm", "id": farm, "name": format!("Farm {farm}")},
                "inspector": {"id": d.enrollment.user_id, "name": d.enrollment.user_name},
                "catalog": "pmo-2011", "started_at": now().to_rfc3339()},
            "findings": items.iter().map(|i| (i.to_string(), serde_json::json!({"state": "violated"})))
                .collect::<serde_json::Map<_, _>>(),
            "notes": "",
            "photos": photos,
        }));
    }
    std::fs::write(
        fixture.join("inspections.json"),
        serde_json::to_vec(&out).unwrap(),
    )
    .unwrap();
}

fn milkshed(fixture: &Path) -> Measured {
    let exe = env!("CARGO_BIN_EXE_milkshed-test-server");
    let dir = tempfile::tempdir().unwrap();
    let server = ChildServer::start(exe, dir.path());
    let mut d = TestDevice::enroll(&server.url(), "ann");
    // the briefcase comes down first (the peers have none): the week is what is measured
    d.sync().unwrap();
    the_week(&mut d, fixture);
    let mut proxy = CountingProxy::start(server.addr.port());
    d.use_server(&format!("http://127.0.0.1:{}", proxy.port));
    let start = Instant::now();
    while !(d.store.pending("server").unwrap().is_empty()
        && d.store.photos_to_upload().unwrap().is_empty())
    {
        let r = d.sync().unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    }
    let wall = start.elapsed();
    let rss = peak_rss(server.pid());
    let stats = proxy.stats();
    measured(stats, wall, rss)
}

fn automerge_repo(fixture: &Path) -> Measured {
    let store = tempfile::tempdir().unwrap();
    let (server, line) = spawn_announcing(
        Command::new("node")
            .arg(peers_dir().join("automerge-server.mjs"))
            .arg(store.path()),
    );
    let mut ports = line.strip_prefix("listening ").unwrap().split(' ');
    let (port, control): (u16, &str) = (
        ports.next().unwrap().parse().unwrap(),
        ports.next().unwrap(),
    );
    client(server, port, "automerge", control, fixture)
}

fn pouchdb(fixture: &Path) -> Measured {
    let (server, line) =
        spawn_announcing(Command::new("node").arg(peers_dir().join("pouch-server.mjs")));
    let port: u16 = line.strip_prefix("listening ").unwrap().parse().unwrap();
    client(server, port, "pouchdb", "-", fixture)
}

/// A peer's client (`tests/peers/client.mjs KIND`) through the counting proxy to `server` on
/// `port`, then the server's peak memory; the server is stopped.
fn client(mut server: Child, port: u16, kind: &str, control: &str, fixture: &Path) -> Measured {
    let mut proxy = CountingProxy::start(port);
    let out = Command::new("node")
        .arg(peers_dir().join("client.mjs"))
        .args([kind, &proxy.port.to_string(), control])
        .arg(fixture)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wall: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rss = peak_rss(server.id());
    let m = measured(
        proxy.stats(),
        Duration::from_millis(wall["wall_ms"].as_u64().unwrap()),
        rss,
    );
    let _ = server.kill();
    let _ = server.wait();
    m
}

fn main() {
    if !peers_dir().join("node_modules").exists() {
        let ok = Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(peers_dir())
            .status()
            .unwrap();
        assert!(ok.success(), "npm install --no-save --prefix tests/peers");
    }
    let fixture = tempfile::tempdir().unwrap();
    let ours = milkshed(fixture.path());
    if std::env::var_os("PEERS_ONLY_MILKSHED").is_some() {
        println!("{}", fixture.keep().display());
        return;
    }
    let rows = [
        (
            "Milkshed (`POST /api/sync`, photo batches, resumable upload)",
            &ours,
        ),
        (
            "automerge-repo WebSocket sync server",
            &automerge_repo(fixture.path()),
        ),
        (
            "PouchDB → express-pouchdb replication",
            &pouchdb(fixture.path()),
        ),
    ];
    println!(
        "{INSPECTIONS} inspections (three findings each) and {PHOTOS} photos made offline, then synced; loopback, one run.\n"
    );
    println!("| system | bytes up | bytes down | bytes ÷ Milkshed | round trips | ÷ Milkshed | wall | ÷ Milkshed | server peak RSS | ÷ Milkshed |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let total = |m: &Measured| (m.bytes_up + m.bytes_down) as f64;
    for (name, m) in rows {
        println!(
            "| {name} | {} | {} | {:.2} | {} | {:.2} | {:.2} s | {:.2} | {:.1} MiB | {:.2} |",
            m.bytes_up,
            m.bytes_down,
            total(m) / total(&ours),
            m.round_trips,
            m.round_trips as f64 / ours.round_trips.max(1) as f64,
            m.wall.as_secs_f64(),
            m.wall.as_secs_f64() / ours.wall.as_secs_f64(),
            m.peak_rss_kib as f64 / 1024.0,
            m.peak_rss_kib as f64 / ours.peak_rss_kib.max(1) as f64,
        );
    }
}
