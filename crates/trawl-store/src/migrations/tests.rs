//! Tests for schema versioning: fresh stores, re-opening, and refusing stores
//! from a newer trawl.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::Store;
use crate::test_support::new_run;

fn table_names(connection: &Connection) -> Vec<String> {
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap()
}

#[test]
fn fresh_store_is_at_the_latest_version() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(SCHEMA_VERSION, 4);
    assert_eq!(schema_version(&store.connection).unwrap(), SCHEMA_VERSION);
    assert_eq!(
        table_names(&store.connection),
        [
            "frontier",
            "items",
            "run_events",
            "run_samples",
            "run_sources",
            "runs",
            "schedule_fires",
            "schedules"
        ]
    );
}

#[test]
fn migrating_twice_changes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    store.create_run(&new_run("books")).unwrap();
    migrate(&mut store.connection).unwrap();
    assert_eq!(schema_version(&store.connection).unwrap(), SCHEMA_VERSION);
    assert_eq!(store.runs().unwrap().len(), 1);
}

#[test]
fn reopening_a_store_keeps_its_data_and_version() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let run_id = Store::open(&store_path)
        .unwrap()
        .create_run(&new_run("books"))
        .unwrap();
    let reopened = Store::open(&store_path).unwrap();
    assert_eq!(
        schema_version(&reopened.connection).unwrap(),
        SCHEMA_VERSION
    );
    assert_eq!(reopened.run(run_id).unwrap().name, "books");
}

#[test]
fn store_from_a_newer_trawl_is_refused() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    {
        let store = Store::open(&store_path).unwrap();
        store
            .connection
            .pragma_update(None, "user_version", 99)
            .unwrap();
    }
    let error = Store::open(&store_path).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::NewerSchema {
                found: 99,
                supported: 4
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the store has schema version 99 but this trawl supports up to 4; upgrade trawl to open it"
    );
}

/// Writes a store exactly as a trawl with only migration 1 left it, with
/// one finished run named "old".
fn write_version_1_store(store_path: &std::path::Path) {
    let connection = Connection::open(store_path).unwrap();
    connection.execute_batch(MIGRATIONS[0]).unwrap();
    connection.pragma_update(None, "user_version", 1).unwrap();
    connection
        .execute(
            "INSERT INTO runs (name, state, created_at_millis, spec_toml, spec_hash) \
             VALUES ('old', 'succeeded', 1, '', 'h')",
            [],
        )
        .unwrap();
}

#[test]
fn a_version_1_store_gains_the_later_tables_and_keeps_its_runs() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    write_version_1_store(&store_path);
    let store = Store::open(&store_path).unwrap();
    assert_eq!(schema_version(&store.connection).unwrap(), SCHEMA_VERSION);
    assert_eq!(
        table_names(&store.connection),
        [
            "frontier",
            "items",
            "run_events",
            "run_samples",
            "run_sources",
            "runs",
            "schedule_fires",
            "schedules"
        ]
    );
    assert_eq!(store.runs().unwrap()[0].name, "old");
    assert!(store.schedules().unwrap().is_empty());
}

#[test]
fn an_older_store_is_backed_up_before_it_is_migrated() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.sqlite");
    write_version_1_store(&store_path);
    let store = Store::open(&store_path).unwrap();
    assert_eq!(store.migrated_from(), Some(1));
    assert_eq!(schema_version(&store.connection).unwrap(), SCHEMA_VERSION);
    drop(store);
    assert_eq!(Store::open(&store_path).unwrap().migrated_from(), None);
    // The backup is the old store, whole: an older trawl can open it.
    let backup = crate::backup_path(&store_path, 1);
    let connection = Connection::open(&backup).unwrap();
    assert_eq!(schema_version(&connection).unwrap(), 1);
    let name: String = connection
        .query_row("SELECT name FROM runs", [], |row| row.get(0))
        .unwrap();
    assert_eq!(name, "old");
    // Fresh and current stores get none.
    let fresh = temp_dir.path().join("fresh.sqlite");
    assert_eq!(Store::open(&fresh).unwrap().migrated_from(), None);
    drop(Store::open(&fresh).unwrap());
    let backups = std::fs::read_dir(temp_dir.path())
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".bak")
        })
        .count();
    assert_eq!(backups, 1);
}
