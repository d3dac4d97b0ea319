//! `milkshed-server admin set-agency`: an agency adopts a reference edition, sets its time zone
//! and home State, lengthens its retention; each bad value is refused with a reason and changes
//! nothing.

use std::process::{Command, Output};

fn admin(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_milkshed-server"))
        .arg("admin")
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn settings(dir: &std::path::Path) -> (String, String, Option<String>, i64) {
    rusqlite::Connection::open(dir.join("agency.db"))
        .unwrap()
        .query_row(
            "SELECT reference_edition, time_zone, home_state, retention_months FROM agencies WHERE id = 'north'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
}

#[test]
fn set_agency_checks_every_setting() {
    let dir = tempfile::tempdir().unwrap();
    let ok = |o: &Output| assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&admin(
        dir.path(),
        &["create-agency", "north", "North State Milk Program"],
    ));
    assert_eq!(
        settings(dir.path()),
        ("form-2359i-2011".into(), "UTC".into(), None, 60)
    );
    for (args, why) in [
        (
            &["--reference-edition", "pmo-1999"][..],
            "no reference edition",
        ),
        (
            &["--time-zone", "Mars/Olympus"][..],
            "not an IANA time zone",
        ),
        (&["--home-state", "ZZ"][..], "not a State"),
        (&["--retention-months", "12"][..], "at least 24 months"),
    ] {
        let mut all = vec!["set-agency", "--agency", "north"];
        all.extend_from_slice(args);
        let o = admin(dir.path(), &all);
        assert!(!o.status.success());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(why),
            "{why}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_eq!(settings(dir.path()).3, 60, "nothing changed");
    ok(&admin(
        dir.path(),
        &[
            "set-agency",
            "--agency",
            "north",
            "--reference-edition",
            "ims-2004",
            "--time-zone",
            "America/Chicago",
            "--home-state",
            "MN",
            "--retention-months",
            "84",
        ],
    ));
    assert_eq!(
        settings(dir.path()),
        (
            "ims-2004".into(),
            "America/Chicago".into(),
            Some("MN".into()),
            84
        )
    );
    assert!(!admin(dir.path(), &["set-agency", "--agency", "south"])
        .status
        .success());
}
