//! The workspace's boundaries, checked rather than only reviewed: `shared` stays pure,
//! `app` and `sync-server` never depend on each other, every source file says what it is.

use std::path::Path;

use milkshed_tests::workspace_root;

fn dependencies(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(workspace_root().join(krate).join("Cargo.toml")).unwrap();
    let manifest: toml::Table = text.parse().unwrap();
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// `shared` is pure domain code: no storage, runtime, UI or image crates (house style §2).
#[test]
fn shared_depends_only_on_the_allowlist() {
    let allowed = [
        "serde",
        "serde_json",
        "serde_path_to_error",
        "thiserror",
        "chrono",
        "chrono-tz",
        "num-rational",
        "num-traits",
        "rand",
        "rand_chacha",
        "automerge",
        "autosurgeon",
        "uuid",
        "sha2",
        "serde_bytes",
        "ciborium",
    ];
    for dep in dependencies("shared") {
        assert!(
            allowed.contains(&dep.as_str()),
            "shared must not depend on {dep}"
        );
    }
}

#[test]
fn app_and_server_never_depend_on_each_other() {
    assert!(!dependencies("app")
        .iter()
        .any(|d| d == "milkshed-sync-server"));
    assert!(!dependencies("sync-server")
        .iter()
        .any(|d| d == "milkshed-app"));
    assert!(dependencies("app").iter().any(|d| d == "milkshed-shared"));
    assert!(dependencies("sync-server")
        .iter()
        .any(|d| d == "milkshed-shared"));
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file opens with a `//!` line saying what it holds.
#[test]
fn every_source_file_starts_with_a_module_doc() {
    let root = workspace_root();
    let mut files = Vec::new();
    for krate in ["shared", "app", "sync-server", "tests"] {
        for sub in ["src", "tests", "benches"] {
            let dir = root.join(krate).join(sub);
            if dir.is_dir() {
                rust_files(&dir, &mut files);
            }
        }
    }
    assert!(files.len() > 20, "found only {} files", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(missing.is_empty(), "no //! doc line: {missing:?}");
}

/// The shared crate reads no clock, environment, file or network (time comes in as arguments).
#[test]
fn shared_does_no_io() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("shared/src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for banned in [
            "std::fs",
            "std::net",
            "std::env",
            "Utc::now",
            "Local::now",
            "SystemTime",
            "thread_rng",
        ] {
            assert!(!text.contains(banned), "{} uses {banned}", f.display());
        }
    }
}

/// Each rule has one home in `shared`, and the app and the server call it: neither computes a
/// due date from months, a routine interval from a facility kind, Total Debits from columns,
/// or a lab warning by counting results itself (issue 13: two copies of a rule disagreed).
#[test]
fn the_app_and_the_server_call_the_rules_instead_of_computing_them() {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("app/src"), &mut files);
    rust_files(&root.join("sync-server/src"), &mut files);
    let rules = [
        ("calendar::deadline(", "shared::workload::routine_due"),
        ("appendix_p_due(", "shared::workload::routine_due"),
        (".routine_months()", "shared::workload::routine_due"),
        (
            "farm_total_debits(",
            "shared::rating::inspection::inspection_debits",
        ),
        (
            "line_total_debits(",
            "shared::rating::inspection::inspection_debits",
        ),
        ("> 100_000", "shared::ledger::action_after"),
        ("transition_allowed", "shared::authority::authorize"),
        ("=> 24,", "shared::workload::routine_due"),
        ("=> 3,", "shared::workload::routine_due"),
        ("plus_days(", "shared::calendar::reinspection_due"),
        ("workload::routine_due(", "shared::workload::work_due"),
        (
            "calendar::reinspections_owed(",
            "shared::calendar::reinspections_owed_with (app::device::work::reinspections_owed)",
        ),
    ];
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // unit tests may spell out what they expect
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (pattern, home) in rules {
            if code.contains(pattern) {
                found.push(format!("{} has `{pattern}`: call {home}", f.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// The server's floors: every SQL statement lives under `sync-server/src/db/`; the app core
/// (`app/src/device/`) has no Dioxus, so tests and benches drive it without a window.
#[test]
fn sql_stays_in_db_and_the_app_core_has_no_ui() {
    let root = workspace_root();
    let mut server = Vec::new();
    rust_files(&root.join("sync-server/src"), &mut server);
    let sql = [
        "SELECT ",
        "INSERT INTO",
        "UPDATE ",
        "DELETE FROM",
        "CREATE TABLE",
    ];
    let outside: Vec<String> = server
        .iter()
        .filter(|f| !f.starts_with(root.join("sync-server/src/db")))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let code = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .to_string();
            sql.iter().any(|s| code.contains(&format!("\"{s}")))
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(outside.is_empty(), "SQL outside db/: {outside:?}");
    let mut device = Vec::new();
    rust_files(&root.join("app/src/device"), &mut device);
    for f in device {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("dioxus"), "{} uses Dioxus", f.display());
    }
}

/// The server's floors point down only: `http` (routes, pages) → `service` (what the server
/// does; no HTTP types) → `db` (every statement; nothing above it). A service that reached up
/// into a handler, or a statement that called a service, would make the floors a tangle again.
#[test]
fn the_server_floors_import_downwards_only() {
    let root = workspace_root().join("sync-server/src");
    let floor_of = |f: &Path| -> Option<usize> {
        let rel = f.strip_prefix(&root).ok()?;
        match rel.components().next()?.as_os_str().to_str()? {
            "db" => Some(0),
            "service" => Some(1),
            "http" => Some(2),
            _ => None,
        }
    };
    let names = ["db", "service", "http"];
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut wrong = Vec::new();
    let mut seen = [0usize; 3];
    for f in &files {
        let Some(floor) = floor_of(f) else { continue };
        seen[floor] += 1;
        let text = std::fs::read_to_string(f).unwrap();
        for (above, name) in names.iter().enumerate().skip(floor + 1) {
            if text.contains(&format!("crate::{name}")) {
                wrong.push(format!(
                    "{} ({}) uses crate::{name} ({})",
                    f.display(),
                    names[floor],
                    names[above]
                ));
            }
        }
        if floor < 2 && (text.contains("axum::") || text.contains("use axum")) {
            wrong.push(format!(
                "{} ({}) uses HTTP types (axum)",
                f.display(),
                names[floor]
            ));
        }
    }
    assert!(
        seen.iter().all(|&n| n > 0),
        "the floors are missing: {seen:?}"
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The screens (`app/src/ui/`) call `device` and `platform`: they touch no file, decode no
/// image and start no thread themselves, so nothing slow runs on the UI thread by accident and
/// every platform capability has one home.
#[test]
fn the_screens_touch_no_file_image_or_thread() {
    let root = workspace_root();
    let mut ui = Vec::new();
    rust_files(&root.join("app/src/ui"), &mut ui);
    assert!(!ui.is_empty());
    for f in ui {
        let text = std::fs::read_to_string(&f).unwrap();
        for banned in [
            "std::fs",
            "image::",
            "std::thread",
            "std::process",
            "std::env",
        ] {
            assert!(!text.contains(banned), "{} uses {banned}", f.display());
        }
    }
}

/// No source file grows past 1,000 lines: a file that large mixes floors (issue 13 split the
/// registry handlers, the review pages, the API and the document along their seams).
#[test]
fn no_source_file_is_over_a_thousand_lines() {
    let root = workspace_root();
    let mut files = Vec::new();
    for krate in ["shared/src", "app/src", "sync-server/src"] {
        rust_files(&root.join(krate), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 1000).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{long:?}");
}
