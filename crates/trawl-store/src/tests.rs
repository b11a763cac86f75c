//! Tests for opening a store: file layout, pragmas, integrity and snapshots.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::test_support::{item, new_run, page_done, request};
use crate::{CheckpointBatch, Counters};

#[test]
fn open_creates_missing_parent_directories_and_uses_wal() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("data").join("nested").join("trawl.db");
    let store = Store::open(&store_path).unwrap();
    assert_eq!(store.path(), Some(store_path.as_path()));
    assert!(store_path.is_file());
    let journal_mode: String = store
        .connection
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(journal_mode, "wal");
    let foreign_keys: i64 = store
        .connection
        .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
        .unwrap();
    assert_eq!(foreign_keys, 1);
    // 1 = NORMAL.
    let synchronous: i64 = store
        .connection
        .query_row("PRAGMA synchronous", [], |row| row.get(0))
        .unwrap();
    assert_eq!(synchronous, 1);
}

#[test]
fn in_memory_store_has_no_path() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.path(), None);
}

#[test]
fn store_can_move_to_its_owner_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
}

#[test]
fn opening_a_file_that_is_not_a_database_is_a_sqlite_error() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    std::fs::write(&store_path, vec![b'x'; 4096]).unwrap();
    let error = Store::open(&store_path).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Sqlite {
                context: "switching the store to WAL mode",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn parent_that_is_a_file_is_a_create_directory_error() {
    let temp_dir = tempfile::tempdir().unwrap();
    let blocker = temp_dir.path().join("blocker");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let error = Store::open(&blocker.join("trawl.db")).unwrap_err();
    match error {
        StoreError::CreateDirectory { path, .. } => assert_eq!(path, blocker),
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn integrity_check_of_a_healthy_store_is_empty() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store = Store::open(&temp_dir.path().join("trawl.db")).unwrap();
    store.create_run(&new_run("books")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), Vec::<String>::new());
}

#[test]
fn read_snapshot_does_not_see_commits_made_during_it() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let mut writer = Store::open(&store_path).unwrap();
    let run_id = writer.create_run(&new_run("books")).unwrap();
    writer
        .enqueue(run_id, &[request(1, "http://127.0.0.1/a", 0)])
        .unwrap();
    let reader = Store::open(&store_path).unwrap();

    let counts = reader
        .with_read_snapshot(|snapshot| {
            let before = snapshot.item_count(run_id)?;
            let batch = CheckpointBatch {
                pages: vec![page_done(
                    1,
                    vec![item("book", None, serde_json::json!({"title": "A"}))],
                    Vec::new(),
                )],
                counters: Counters::default(),
                events: Vec::new(),
            };
            writer.commit(run_id, &batch)?;
            let after = snapshot.item_count(run_id)?;
            Ok::<_, StoreError>((before, after))
        })
        .unwrap();
    assert_eq!(counts, (0, 0));
    assert_eq!(reader.item_count(run_id).unwrap(), 1);
}

#[test]
fn fingerprints_round_trip_through_signed_storage() {
    for fingerprint in [0, 1, u64::MAX, 1 << 63, 0x8000_0000_0000_0001] {
        assert_eq!(
            fingerprint_from_sql(fingerprint_to_sql(fingerprint)),
            fingerprint
        );
    }
}

#[test]
fn a_full_disk_is_a_typed_error_and_the_failed_checkpoint_leaves_pages_pending() {
    let temp_dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&temp_dir.path().join("trawl.db")).unwrap();
    let run_id = store.create_run(&new_run("books")).unwrap();
    store
        .enqueue(run_id, &[request(1, "http://127.0.0.1/a", 0)])
        .unwrap();
    // The database may not grow any further: SQLite answers SQLITE_FULL, as
    // it does for ENOSPC.
    let page_count: i64 = store
        .connection
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .unwrap();
    store
        .connection
        .pragma_update(None, "max_page_count", page_count)
        .unwrap();
    let big = "x".repeat(64 * 1024);
    let batch = CheckpointBatch {
        pages: vec![page_done(
            1,
            vec![item("book", Some("b1"), serde_json::json!({ "text": big }))],
            vec![request(2, "http://127.0.0.1/b", 1)],
        )],
        counters: Counters {
            pages_ok: 1,
            ..Counters::default()
        },
        events: Vec::new(),
    };
    let error = store.commit(run_id, &batch).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::DiskFull {
                reason: "the disk is full",
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("disk is full"), "{message}");
    assert!(message.contains("resume"), "{message}");

    // Nothing of the batch is stored; with room again it commits once.
    assert_eq!(store.frontier_counts(run_id).unwrap().pending, 1);
    assert_eq!(store.item_count(run_id).unwrap(), 0);
    assert_eq!(store.run(run_id).unwrap().counters.pages_ok, 0);
    store
        .connection
        .pragma_update(None, "max_page_count", 1_000_000)
        .unwrap();
    store.commit(run_id, &batch).unwrap();
    assert_eq!(store.item_count(run_id).unwrap(), 1);
    assert_eq!(store.run(run_id).unwrap().counters.pages_ok, 1);
    assert!(store.integrity_check().unwrap().is_empty());
}

/// Appends about `mib` MiB of event payloads to `run_id`, in transactions of
/// 256 KiB, from event 1 on.
fn append_mib_of_events(store: &Store, run_id: RunId, mib: u64) {
    let payload = "x".repeat(16 * 1024);
    let rows_per_commit = 16;
    for commit in 0..mib * 4 {
        let rows: Vec<EventRow> = (0..rows_per_commit)
            .map(|row| EventRow {
                seq: 1 + commit * rows_per_commit + row,
                at_millis: 0,
                kind: "test".to_owned(),
                payload: payload.clone(),
            })
            .collect();
        store.append_events(run_id, &rows).unwrap();
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

// 24 MiB of commits: past the 16 MiB at which the writer asks the background
// thread, short of the 32 MiB at which a connection checkpoints itself.
const MIB_BETWEEN_ASK_AND_AUTOCHECKPOINT: u64 = 24;

#[test]
fn background_checkpoints_copy_the_wal_into_the_file_while_the_writer_goes_on() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let mut store = Store::open(&store_path).unwrap();
    let run_id = store.create_run(&new_run("background")).unwrap();
    store.checkpoint_in_background().unwrap();
    // Twice is harmless (the second call keeps the first thread).
    store.checkpoint_in_background().unwrap();
    let before = file_len(&store_path);
    append_mib_of_events(&store, run_id, MIB_BETWEEN_ASK_AND_AUTOCHECKPOINT);
    // Only the checkpoint thread writes pages into the main file here.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while file_len(&store_path) < before + 12 * 1024 * 1024 {
        assert!(
            std::time::Instant::now() < deadline,
            "no background checkpoint: the main file grew from {before} to {} bytes",
            file_len(&store_path)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    store.checkpoint_in_foreground().unwrap();
    let autocheckpoint: i64 = store
        .connection
        .query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))
        .unwrap();
    assert_eq!(autocheckpoint, i64::from(AUTOCHECKPOINT_FRAMES));
    // Everything written is there, and the connection goes on writing.
    append_one_more_event(&store, run_id);
    assert!(store.integrity_check().unwrap().is_empty());
}

/// One more event after the test's others, to show the store still writes.
fn append_one_more_event(store: &Store, run_id: RunId) {
    let last = store.last_event_seq(run_id).unwrap();
    assert_eq!(last, MIB_BETWEEN_ASK_AND_AUTOCHECKPOINT * 4 * 16);
    store
        .append_events(
            run_id,
            &[EventRow {
                seq: last + 1,
                at_millis: 0,
                kind: "test".to_owned(),
                payload: "{}".to_owned(),
            }],
        )
        .unwrap();
}

#[test]
fn without_background_checkpoints_the_same_commits_stay_in_the_wal() {
    // The control for the test above: its file only grows by a checkpoint.
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let store = Store::open(&store_path).unwrap();
    let run_id = store.create_run(&new_run("foreground")).unwrap();
    let before = file_len(&store_path);
    append_mib_of_events(&store, run_id, MIB_BETWEEN_ASK_AND_AUTOCHECKPOINT);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        file_len(&store_path) < before + 1024 * 1024,
        "the main file grew from {before} to {} bytes without a checkpoint",
        file_len(&store_path)
    );
}

#[test]
fn background_checkpoints_of_a_store_in_memory_do_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    store.checkpoint_in_background().unwrap();
    assert!(store.background_checkpoints.is_none());
    store.checkpoint_in_foreground().unwrap();
}
