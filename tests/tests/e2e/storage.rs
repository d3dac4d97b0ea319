//! The storage interface on the engine this pass runs on: the two dialects' migrations make the
//! same tables and columns, and every register table refuses a change in place and a deletion
//! (and, on PostgreSQL, TRUNCATE), whichever engine holds the record.

use std::collections::{BTreeMap, BTreeSet};

use milkshed_sync_server::db::{self, Dialect};
use milkshed_tests::{on_postgres, TestServer};

/// Tables (by name) with their columns, as the engine describes them.
fn schema(conn: &db::Conn) -> BTreeMap<String, BTreeSet<String>> {
    let rows: Vec<(String, String)> = match conn.dialect() {
        Dialect::Sqlite => conn
            .query_map(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap(),
        Dialect::Postgres => conn
            .query_map(
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name <> 'schema_version'
                   AND column_name <> 'rowid'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap(),
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, c) in rows {
        out.entry(t).or_default().insert(c);
    }
    out
}

#[test]
fn both_dialects_make_the_same_tables_and_columns() {
    if !on_postgres() {
        eprintln!(
            "compares the SQLite and PostgreSQL schemas: runs in the suite's PostgreSQL pass"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = db::open(dir.path()).unwrap();
    let server = TestServer::start();
    let postgres = server.db();
    assert_eq!(postgres.dialect(), Dialect::Postgres);
    assert_eq!(schema(&sqlite), schema(&postgres));
    assert!(schema(&sqlite).len() >= 40, "every table compared");
}

/// The register tables the demo fills: each refuses UPDATE and DELETE on its rows.
#[test]
fn register_tables_refuse_changes_in_place_and_deletions_on_either_engine() {
    let server = TestServer::start();
    let conn = server.db();
    // an action's event (the demo has actions, none completed)
    let action: String = conn
        .query_row("SELECT id FROM enforcement_actions LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    db::complete_action(&conn, &action, on, "sue").unwrap();
    for (table, column) in [
        ("facilities", "name"),
        ("facility_events", "value"),
        ("permits", "number"),
        ("permit_events", "reason"),
        ("laboratories", "name"),
        ("lab_results", "value"),
        ("enforcement_actions", "cause"),
        ("residue_events", "plant"),
        ("residue_steps", "detail"),
        ("sso_certificates", "recorded_by"),
        ("action_events", "by_user"),
    ] {
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert!(rows > 0, "the demo fills {table}");
        let update = conn.execute(&format!("UPDATE {table} SET {column} = {column}"), []);
        assert!(
            update.as_ref().is_err_and(|e| e.is_constraint()),
            "{table}: {update:?}"
        );
        if table != "lab_results" {
            // (lab results older than 24 months may go: the demo's are younger)
            let delete = conn.execute(&format!("DELETE FROM {table}"), []);
            assert!(
                delete.as_ref().is_err_and(|e| e.is_constraint()),
                "{table}: {delete:?}"
            );
        }
        if conn.dialect() == Dialect::Postgres && table != "lab_results" {
            let truncate = conn.execute_batch(&format!("TRUNCATE {table} CASCADE"));
            assert!(truncate.is_err(), "{table}: TRUNCATE refused");
        }
        let after: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(after, rows, "{table} kept every row");
    }
}
