//! `trawl doctor`: a healthy data dir, a torn export, orphan temp files, runs
//! left running, a damaged store.

use std::sync::Arc;

use serde_json::Value;
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{TestServer, catalog_handler};

use super::*;

/// A data dir with one finished run of 30 items and its export in exports/.
fn crawled() -> (Trawl, PathBuf) {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 30,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start_in_thread(catalog_handler(catalog), 1).unwrap();
    let trawl = Trawl::default();
    let spec = trawl.write("shop.toml", &demo_spec(&server.url("")));
    trawl.expect(&["run", str_path(&spec), "--quiet"], 0);
    let export = trawl.path("exports/products.jsonl");
    std::fs::create_dir_all(export.parent().unwrap()).unwrap();
    trawl.expect(&["export", "1", "-o", str_path(&export)], 0);
    (trawl, export)
}

fn doctor_json(trawl: &Trawl, args: &[&str], code: i32) -> Value {
    let mut all = vec!["doctor", "--json"];
    all.extend_from_slice(args);
    let (stdout, _) = trawl.expect(&all, code);
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn a_healthy_data_dir_exits_0() {
    let (trawl, export) = crawled();
    let (stdout, _) = trawl.expect(&["doctor"], 0);
    assert!(stdout.contains("store"), "{stdout}");
    assert!(stdout.contains(": ok"), "{stdout}");
    assert!(stdout.contains("1 verified"), "{stdout}");
    assert!(stdout.trim_end().ends_with("healthy"), "{stdout}");

    let report = doctor_json(&trawl, &[], 0);
    assert_eq!(report["healthy"], true);
    assert_eq!(report["problems"], 0);
    assert_eq!(report["store"]["status"], "ok");
    assert_eq!(report["exports"][0]["status"], "ok");
    assert_eq!(report["exports"][0]["path"], str_path(&export));
    assert_eq!(report["exports"][0]["items"], 30);
    assert_eq!(report["resumable_runs"], Value::Array(vec![]));

    // An empty data dir is healthy too (and doctor does not need a store).
    let empty = Trawl::default();
    let report = doctor_json(&empty, &[], 0);
    assert_eq!(report["store"]["status"], "missing");
}

#[test]
fn a_torn_export_is_reported_and_never_repaired() {
    let (trawl, export) = crawled();
    // Tear the file: cut it in the middle of a line, as a crash of a
    // non-atomic writer would.
    let bytes = std::fs::read(&export).unwrap();
    std::fs::write(&export, &bytes[..bytes.len() / 2]).unwrap();

    let report = doctor_json(&trawl, &[], 1);
    assert_eq!(report["healthy"], false);
    assert_eq!(report["problems"], 1);
    assert_eq!(report["exports"][0]["status"], "mismatch");
    assert!(
        report["exports"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("checksum mismatch"),
        "{report}"
    );
    let (stdout, _) = trawl.expect(&["doctor"], 1);
    assert!(stdout.contains("mismatch"), "{stdout}");
    assert!(stdout.contains("products.jsonl"), "{stdout}");
    assert!(stdout.contains("1 problem found"), "{stdout}");

    // --repair does not touch it: still torn, still reported.
    trawl.expect(&["doctor", "--repair"], 1);
    assert_eq!(
        std::fs::read(&export).unwrap().len(),
        bytes.len() / 2,
        "doctor changed the export"
    );

    // A data file without its manifest cannot be verified: reported.
    let manifest = trawl_export::manifest_path(&export).unwrap();
    std::fs::remove_file(&manifest).unwrap();
    let report = doctor_json(&trawl, &[], 1);
    assert_eq!(report["exports"][0]["status"], "missing_manifest");

    // A manifest whose file is gone.
    std::fs::write(&manifest, "{}").unwrap();
    std::fs::remove_file(&export).unwrap();
    let report = doctor_json(&trawl, &[], 1);
    assert_eq!(report["exports"][0]["status"], "bad_manifest");

    // Exporting again fixes it.
    trawl.expect(&["export", "1", "-o", str_path(&export)], 0);
    doctor_json(&trawl, &[], 0);
}

#[test]
fn repair_removes_orphan_temp_files_of_dead_processes_only() {
    let (trawl, export) = crawled();
    let exports = export.parent().unwrap();
    // A pid that cannot be alive (above the kernel's pid_max limit of 2^22).
    let orphan = exports.join(".products.jsonl.tmp-4999999-00112233aabbccdd");
    std::fs::write(&orphan, b"{\"half\": ").unwrap();
    let orphan_manifest =
        exports.join(".products.jsonl.manifest.json.tmp-4999998-0123456789abcdef");
    std::fs::write(&orphan_manifest, b"{").unwrap();
    // One of a live process (this test): an export in progress is left alone.
    let in_use = exports.join(format!(
        ".other.csv.tmp-{}-fedcba9876543210",
        std::process::id()
    ));
    std::fs::write(&in_use, b"a,b\n").unwrap();
    // Not AtomicFile names: ignored.
    std::fs::write(exports.join(".notes.tmp-x"), b"").unwrap();
    std::fs::write(exports.join("readme.txt"), b"hi").unwrap();

    let report = doctor_json(&trawl, &[], 1);
    assert_eq!(report["problems"], 2, "{report}");
    let orphans: Vec<&str> = report["orphan_temp_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|temp| temp["path"].as_str().unwrap())
        .collect();
    assert_eq!(orphans, vec![str_path(&orphan_manifest), str_path(&orphan)]);
    assert_eq!(report["temp_files_in_use"][0]["path"], str_path(&in_use));
    assert_eq!(report["exports"][0]["status"], "ok");
    let (stdout, _) = trawl.expect(&["doctor"], 1);
    assert!(stdout.contains("--repair"), "{stdout}");
    assert!(orphan.exists(), "doctor without --repair removed a file");

    let (stdout, _) = trawl.expect(&["doctor", "--repair"], 0);
    assert!(stdout.contains("removed"), "{stdout}");
    assert!(!orphan.exists());
    assert!(!orphan_manifest.exists());
    assert!(in_use.exists(), "a live writer's temp file was removed");
    assert!(exports.join("readme.txt").exists());
    assert_eq!(trawl_export::verify(&export).unwrap().items, 30);

    // Extra folders given as arguments are checked too.
    let elsewhere = tempfile::tempdir().unwrap();
    let stray = elsewhere
        .path()
        .join(".x.parquet.tmp-4999997-0000000000000000");
    std::fs::write(&stray, b"PAR1").unwrap();
    doctor_json(&trawl, &[], 0);
    let report = doctor_json(&trawl, &[str_path(elsewhere.path())], 1);
    assert_eq!(report["orphan_temp_files"][0]["path"], str_path(&stray));
    doctor_json(&trawl, &["--repair", str_path(elsewhere.path())], 0);
    assert!(!stray.exists());
}

#[test]
fn runs_left_running_are_listed_with_the_resume_command() {
    let (trawl, _) = crawled();
    {
        let store = trawl_store::Store::open(&trawl.path("trawl.sqlite")).unwrap();
        store
            .set_run_state(trawl_types::RunId(1), trawl_types::RunState::Running, None)
            .unwrap();
    }
    let (stdout, _) = trawl.expect(&["doctor"], 0);
    assert!(stdout.contains("trawl resume 1"), "{stdout}");
    let report = doctor_json(&trawl, &[], 0);
    assert_eq!(report["resumable_runs"][0]["run_id"], 1);
    assert_eq!(report["resumable_runs"][0]["state"], "running");
}

#[test]
fn a_damaged_store_is_reported() {
    let (trawl, _) = crawled();
    // Overwrite the middle of the database file (past the header page).
    let store = trawl.path("trawl.sqlite");
    // Every trawl process has exited, and the last connection to close
    // folds the WAL into the main file, so the damage is not masked.
    assert!(!trawl.path("trawl.sqlite-wal").exists());
    let mut bytes = std::fs::read(&store).unwrap();
    assert!(bytes.len() > 3 * 4096, "store too small to damage");
    for byte in &mut bytes[4096..3 * 4096] {
        *byte = 0x5a;
    }
    std::fs::write(&store, &bytes).unwrap();
    let report = doctor_json(&trawl, &[], 1);
    assert_ne!(report["store"]["status"], "ok", "{report}");
    assert!(!report["store"]["problems"].as_array().unwrap().is_empty());
    let (stdout, _) = trawl.expect(&["doctor"], 1);
    assert!(stdout.contains("store"), "{stdout}");
}

#[test]
fn doctor_help_explains_checks_and_exit_codes() {
    let trawl = Trawl::default();
    let (stdout, _) = trawl.expect(&["doctor", "--help"], 0);
    for needle in [
        "integrity_check",
        "manifest",
        "--repair",
        "trawl resume",
        "Exit code",
    ] {
        assert!(
            stdout.contains(needle),
            "doctor --help lacks {needle}: {stdout}"
        );
    }
    let (stdout, _) = trawl.expect(&["--help"], 0);
    assert!(stdout.contains("doctor"), "{stdout}");
}
