//! Tests for the event log and samples: they commit with checkpoints and
//! state changes, queries filter by kind, time and seq, and bad input is an
//! error, not a panic.
#![allow(clippy::unwrap_used)]

use trawl_types::{RunId, RunState};

use crate::test_support::{new_run, page_done, request};
use crate::{CheckpointBatch, Counters, EventQuery, EventRow, SampleRow, Store, StoreError};

fn event(seq: u64, at_millis: i64, kind: &str) -> EventRow {
    EventRow {
        seq,
        at_millis,
        kind: kind.to_owned(),
        payload: format!("{{\"kind\":\"{kind}\"}}"),
    }
}

fn store_with_pending(fingerprints: &[u64]) -> (Store, RunId) {
    let store = Store::open_in_memory().unwrap();
    let run_id = store.create_run(&new_run("shop")).unwrap();
    let requests: Vec<_> = fingerprints
        .iter()
        .map(|fingerprint| request(*fingerprint, &format!("http://127.0.0.1/{fingerprint}"), 0))
        .collect();
    store.enqueue(run_id, &requests).unwrap();
    (store, run_id)
}

#[test]
fn a_pages_events_commit_with_it_and_roll_back_with_it() {
    let (mut store, run_id) = store_with_pending(&[1, 2]);
    let mut page = page_done(1, Vec::new(), Vec::new());
    page.events = vec![
        event(1, 10, "request_started"),
        event(2, 11, "request_fetched"),
    ];
    let batch = CheckpointBatch {
        pages: vec![page],
        counters: Counters::default(),
        events: vec![event(3, 12, "checkpoint_committed")],
    };
    store.commit(run_id, &batch).unwrap();
    let seqs: Vec<u64> = store
        .events(run_id, &EventQuery::default())
        .unwrap()
        .iter()
        .map(|row| row.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(store.last_event_seq(run_id).unwrap(), 3);

    // Page 1 is done: committing it again fails, and the events of the
    // failed batch (page 2's included) are not kept either.
    let mut again = page_done(1, Vec::new(), Vec::new());
    again.events = vec![event(4, 13, "request_fetched")];
    let mut other = page_done(2, Vec::new(), Vec::new());
    other.events = vec![event(5, 14, "request_fetched")];
    let failing = CheckpointBatch {
        pages: vec![other, again],
        counters: Counters::default(),
        events: Vec::new(),
    };
    assert!(matches!(
        store.commit(run_id, &failing),
        Err(StoreError::PageNotPending { .. })
    ));
    assert_eq!(store.last_event_seq(run_id).unwrap(), 3);
}

#[test]
fn a_state_change_and_its_event_commit_together() {
    let (store, run_id) = store_with_pending(&[]);
    let started = event(1, 5, "run_state_changed");
    assert!(
        store
            .change_run_state(
                run_id,
                RunState::Queued,
                RunState::Running,
                None,
                Some(&started)
            )
            .unwrap()
    );
    // A refused (stale) change stores no event.
    let stale = event(2, 6, "run_state_changed");
    assert!(
        !store
            .change_run_state(
                run_id,
                RunState::Queued,
                RunState::Cancelled,
                None,
                Some(&stale)
            )
            .unwrap()
    );
    let rows = store.events(run_id, &EventQuery::default()).unwrap();
    assert_eq!(rows, vec![started]);
}

#[test]
fn queries_filter_by_seq_kind_time_and_limit() {
    let (store, run_id) = store_with_pending(&[]);
    let rows: Vec<EventRow> = (1..=10)
        .map(|seq| {
            let kind = if seq % 2 == 0 {
                "request_fetched"
            } else {
                "request_started"
            };
            event(seq, 100 + seq as i64, kind)
        })
        .collect();
    store.append_events(run_id, &rows).unwrap();
    let seqs = |query: EventQuery| -> Vec<u64> {
        store
            .events(run_id, &query)
            .unwrap()
            .iter()
            .map(|row| row.seq)
            .collect()
    };
    assert_eq!(
        seqs(EventQuery {
            after_seq: 7,
            ..Default::default()
        }),
        vec![8, 9, 10]
    );
    assert_eq!(
        seqs(EventQuery {
            kinds: vec!["request_fetched".to_owned()],
            ..Default::default()
        }),
        vec![2, 4, 6, 8, 10]
    );
    assert_eq!(
        seqs(EventQuery {
            kinds: vec!["request_fetched".to_owned(), "request_started".to_owned()],
            from_millis: Some(103),
            to_millis: Some(105),
            ..Default::default()
        }),
        vec![3, 4, 5]
    );
    assert_eq!(
        seqs(EventQuery {
            limit: 2,
            ..Default::default()
        }),
        vec![1, 2]
    );
    // Appending a seq again changes nothing.
    store.append_events(run_id, &rows[..2]).unwrap();
    assert_eq!(
        store.events(run_id, &EventQuery::default()).unwrap().len(),
        10
    );
    let (count, bytes) = store.event_log_size(run_id).unwrap();
    assert_eq!(count, 10);
    assert!(bytes > 0);
}

#[test]
fn events_of_an_unknown_run_are_refused() {
    let store = Store::open_in_memory().unwrap();
    assert!(matches!(
        store.append_events(RunId(42), &[event(1, 1, "x")]),
        Err(StoreError::RunNotFound(RunId(42)))
    ));
    assert_eq!(store.last_event_seq(RunId(42)).unwrap(), 0);
    assert!(
        store
            .events(RunId(42), &EventQuery::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn samples_are_kept_per_run_in_time_order() {
    let (store, run_id) = store_with_pending(&[]);
    let other = store.create_run(&new_run("other")).unwrap();
    for at_millis in [3000, 1000, 2000] {
        store
            .append_samples(
                &[run_id, other, RunId(999)],
                &SampleRow {
                    at_millis,
                    payload: format!("{{\"at\":{at_millis}}}"),
                },
            )
            .unwrap();
    }
    let times: Vec<i64> = store
        .samples(run_id, 0, 0)
        .unwrap()
        .iter()
        .map(|sample| sample.at_millis)
        .collect();
    assert_eq!(times, vec![1000, 2000, 3000]);
    assert_eq!(store.samples(other, 1500, 1).unwrap().len(), 1);
    assert!(store.samples(RunId(999), 0, 0).unwrap().is_empty());
}

#[test]
fn many_events_are_stored_whole_across_multi_row_inserts() {
    let (store, run_id) = store_with_pending(&[]);
    let rows: Vec<EventRow> = (1..=(super::EVENTS_PER_INSERT as u64 * 2 + 7))
        .map(|seq| event(seq, seq as i64, "request_started"))
        .collect();
    store.append_events(run_id, &rows).unwrap();
    assert_eq!(store.events(run_id, &EventQuery::default()).unwrap(), rows);
}

#[test]
fn the_event_before_a_seq_skips_gaps_and_stays_in_its_run() {
    let (store, run_id) = store_with_pending(&[]);
    let other = store.create_run(&new_run("other")).unwrap();
    store
        .append_events(
            run_id,
            &[event(1, 1, "a"), event(2, 2, "b"), event(5, 5, "c")],
        )
        .unwrap();
    store.append_events(other, &[event(4, 4, "x")]).unwrap();
    let before = |seq| store.event_before(run_id, seq).unwrap().map(|row| row.seq);
    assert_eq!(before(6), Some(5));
    assert_eq!(before(5), Some(2));
    assert_eq!(before(3), Some(2));
    assert_eq!(before(1), None);
    assert_eq!(before(u64::MAX), Some(5));
    assert_eq!(store.event_before(run_id, 3).unwrap().unwrap().kind, "b");
}
