//! Tests for the run catalog: creation, state changes and their timestamps,
//! listing, and rows that cannot be decoded.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::test_support::{new_run, store_with_run};

#[test]
fn created_run_is_queued_with_its_spec() {
    let before_millis = now_unix_millis();
    let (store, run_id) = store_with_run();
    let record = store.run(run_id).unwrap();
    assert_eq!(record.run_id, run_id);
    assert_eq!(record.name, "books");
    assert_eq!(record.state, RunState::Queued);
    assert_eq!(record.spec_toml, "start_urls = [\"http://127.0.0.1/\"]\n");
    assert_eq!(record.spec_hash, "hash-1");
    assert_eq!(record.spec_path.as_deref(), Some("books.toml"));
    assert_eq!(record.started_at_millis, None);
    assert_eq!(record.finished_at_millis, None);
    assert_eq!(record.error, None);
    assert_eq!(record.counters, Counters::default());
    assert!(record.created_at_millis >= before_millis);
    assert!(record.created_at_millis <= now_unix_millis());
}

#[test]
fn started_at_is_set_once_and_finished_at_on_terminal_state() {
    let (store, run_id) = store_with_run();
    store
        .set_run_state(run_id, RunState::Running, None)
        .unwrap();
    let first_start = store.run(run_id).unwrap().started_at_millis.unwrap();

    // Pretend the first start was long ago, then pause and resume: the start
    // time must not move.
    store
        .connection
        .execute(
            "UPDATE runs SET started_at_millis = 5 WHERE run_id = ?1",
            [run_id.0],
        )
        .unwrap();
    assert!(first_start > 5);
    store.set_run_state(run_id, RunState::Paused, None).unwrap();
    store
        .set_run_state(run_id, RunState::Running, None)
        .unwrap();
    let resumed = store.run(run_id).unwrap();
    assert_eq!(resumed.state, RunState::Running);
    assert_eq!(resumed.started_at_millis, Some(5));
    assert_eq!(resumed.finished_at_millis, None);

    store
        .set_run_state(run_id, RunState::Failed, Some("disk full"))
        .unwrap();
    let failed = store.run(run_id).unwrap();
    assert_eq!(failed.state, RunState::Failed);
    assert_eq!(failed.error.as_deref(), Some("disk full"));
    assert!(failed.finished_at_millis.unwrap() >= first_start);
}

#[test]
fn interrupted_is_not_finished_and_resume_clears_the_error() {
    let (store, run_id) = store_with_run();
    store
        .set_run_state(run_id, RunState::Running, None)
        .unwrap();
    store
        .set_run_state(run_id, RunState::Interrupted, Some("process died"))
        .unwrap();
    let interrupted = store.run(run_id).unwrap();
    assert_eq!(interrupted.finished_at_millis, None);
    assert_eq!(interrupted.error.as_deref(), Some("process died"));
    store
        .set_run_state(run_id, RunState::Running, None)
        .unwrap();
    assert_eq!(store.run(run_id).unwrap().error, None);
}

#[test]
fn unknown_run_is_run_not_found() {
    let (store, _) = store_with_run();
    let missing = RunId(42);
    assert!(matches!(
        store.run(missing),
        Err(StoreError::RunNotFound(RunId(42)))
    ));
    assert!(matches!(
        store.set_run_state(missing, RunState::Running, None),
        Err(StoreError::RunNotFound(RunId(42)))
    ));
    assert_eq!(
        store.run(missing).unwrap_err().to_string(),
        "run 42 not found in the store"
    );
}

#[test]
fn runs_are_listed_newest_first_and_filtered_by_state() {
    let (store, first) = store_with_run();
    let second = store.create_run(&new_run("quotes")).unwrap();
    let third = store.create_run(&new_run("news")).unwrap();
    store.set_run_state(first, RunState::Running, None).unwrap();
    store.set_run_state(third, RunState::Running, None).unwrap();

    let listed: Vec<(RunId, String)> = store
        .runs()
        .unwrap()
        .into_iter()
        .map(|record| (record.run_id, record.name))
        .collect();
    assert_eq!(
        listed,
        [
            (third, "news".to_owned()),
            (second, "quotes".to_owned()),
            (first, "books".to_owned()),
        ]
    );
    assert_eq!(
        store.runs_in_state(RunState::Running).unwrap(),
        [first, third]
    );
    assert_eq!(store.runs_in_state(RunState::Queued).unwrap(), [second]);
    assert_eq!(store.runs_in_state(RunState::Failed).unwrap(), []);
}

#[test]
fn unknown_state_in_a_row_is_a_corrupt_error() {
    let (store, run_id) = store_with_run();
    store
        .connection
        .execute(
            "UPDATE runs SET state = 'exploded' WHERE run_id = ?1",
            [run_id.0],
        )
        .unwrap();
    let error = store.run(run_id).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Corrupt {
                what: "run state",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(matches!(store.runs(), Err(StoreError::Corrupt { .. })));
}

#[test]
fn negative_counter_in_a_row_is_a_corrupt_error() {
    let (store, run_id) = store_with_run();
    store
        .connection
        .execute(
            "UPDATE runs SET pages_ok = -3 WHERE run_id = ?1",
            [run_id.0],
        )
        .unwrap();
    let error = store.run(run_id).unwrap_err();
    assert_eq!(
        error.to_string(),
        "corrupt run counter in the store: negative count -3"
    );
}

#[test]
fn change_run_state_only_applies_from_the_expected_state() {
    let (store, run_id) = store_with_run();
    assert!(
        store
            .change_run_state(run_id, RunState::Queued, RunState::Running, None, None)
            .unwrap()
    );
    let record = store.run(run_id).unwrap();
    assert_eq!(record.state, RunState::Running);
    assert!(record.started_at_millis.is_some());
    // Someone else moved it on meanwhile: the stale change is refused.
    assert!(
        !store
            .change_run_state(run_id, RunState::Queued, RunState::Cancelled, None, None)
            .unwrap()
    );
    assert_eq!(store.run(run_id).unwrap().state, RunState::Running);
    assert!(
        store
            .change_run_state(
                run_id,
                RunState::Running,
                RunState::Failed,
                Some("boom"),
                None
            )
            .unwrap()
    );
    let record = store.run(run_id).unwrap();
    assert_eq!(record.error.as_deref(), Some("boom"));
    assert!(record.finished_at_millis.is_some());
    assert!(matches!(
        store.change_run_state(RunId(999), RunState::Queued, RunState::Running, None, None),
        Err(StoreError::RunNotFound(RunId(999)))
    ));
}

#[test]
fn a_runs_source_is_stored_and_defaults_to_plain() {
    let (store, run_id) = store_with_run();
    assert_eq!(store.run_source(run_id).unwrap(), RunSource::default());
    let replay = store
        .create_run(&crate::test_support::new_run("replay"))
        .unwrap();
    let source = RunSource {
        record: false,
        replay_of: Some(run_id),
        imported: false,
    };
    store.set_run_source(replay, &source).unwrap();
    assert_eq!(store.run_source(replay).unwrap(), source);
    store
        .set_run_source(
            run_id,
            &RunSource {
                record: true,
                ..RunSource::default()
            },
        )
        .unwrap();
    assert!(store.run_source(run_id).unwrap().record);
    assert!(matches!(
        store.set_run_source(RunId(999), &source),
        Err(StoreError::RunNotFound(RunId(999)))
    ));
}
