//! Tests for the persisted frontier: de-duplication, the resume cursor, the
//! seen-set rebuild and counts.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::test_support::{request, store_with_run};

#[test]
fn enqueue_skips_urls_the_run_already_has() {
    let (store, run_id) = store_with_run();
    let inserted = store
        .enqueue(
            run_id,
            &[
                request(1, "http://127.0.0.1/a", 0),
                request(2, "http://127.0.0.1/b", 0),
                request(1, "http://127.0.0.1/a", 0),
            ],
        )
        .unwrap();
    assert_eq!(inserted, 2);
    let inserted_again = store
        .enqueue(
            run_id,
            &[
                request(2, "http://127.0.0.1/b", 0),
                request(3, "http://127.0.0.1/c", 1),
            ],
        )
        .unwrap();
    assert_eq!(inserted_again, 1);
    assert_eq!(
        store.frontier_counts(run_id).unwrap(),
        FrontierCounts {
            pending: 3,
            done: 0
        }
    );
}

#[test]
fn same_fingerprint_in_two_runs_is_two_rows() {
    let (store, first_run) = store_with_run();
    let second_run = store
        .create_run(&crate::test_support::new_run("other"))
        .unwrap();
    assert_eq!(
        store
            .enqueue(first_run, &[request(7, "http://127.0.0.1/", 0)])
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .enqueue(second_run, &[request(7, "http://127.0.0.1/", 0)])
            .unwrap(),
        1
    );
}

#[test]
fn enqueue_into_an_unknown_run_is_run_not_found() {
    let (store, _) = store_with_run();
    let error = store
        .enqueue(RunId(9), &[request(1, "http://127.0.0.1/", 0)])
        .unwrap_err();
    assert!(
        matches!(error, StoreError::RunNotFound(RunId(9))),
        "{error:?}"
    );
}

#[test]
fn pending_after_pages_through_the_frontier_in_insertion_order() {
    let (store, run_id) = store_with_run();
    let requests: Vec<NewRequest> = (0..5_u64)
        .map(|index| {
            request(
                100 - index,
                &format!("http://127.0.0.1/{index}"),
                index as u32,
            )
        })
        .collect();
    store.enqueue(run_id, &requests).unwrap();

    let first_page = store.pending_after(run_id, 0, 2).unwrap();
    let urls: Vec<&str> = first_page
        .iter()
        .map(|pending| pending.url.as_str())
        .collect();
    assert_eq!(urls, ["http://127.0.0.1/0", "http://127.0.0.1/1"]);
    assert_eq!(first_page[0].fingerprint, 100);
    assert_eq!(first_page[1].depth, 1);

    let cursor = first_page[1].seq;
    let second_page = store.pending_after(run_id, cursor, 10).unwrap();
    let urls: Vec<&str> = second_page
        .iter()
        .map(|pending| pending.url.as_str())
        .collect();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1/2",
            "http://127.0.0.1/3",
            "http://127.0.0.1/4"
        ]
    );
    assert!(second_page.windows(2).all(|pair| pair[0].seq < pair[1].seq));

    let last_cursor = second_page[2].seq;
    assert_eq!(store.pending_after(run_id, last_cursor, 10).unwrap(), []);
}

#[test]
fn pending_after_skips_done_rows_and_other_runs() {
    let (mut store, run_id) = store_with_run();
    let other_run = store
        .create_run(&crate::test_support::new_run("other"))
        .unwrap();
    store
        .enqueue(
            run_id,
            &[
                request(1, "http://127.0.0.1/a", 0),
                request(2, "http://127.0.0.1/b", 0),
            ],
        )
        .unwrap();
    store
        .enqueue(other_run, &[request(3, "http://127.0.0.1/c", 0)])
        .unwrap();
    let batch = crate::CheckpointBatch {
        pages: vec![crate::test_support::page_done(1, Vec::new(), Vec::new())],
        counters: crate::Counters::default(),
        events: Vec::new(),
    };
    store.commit(run_id, &batch).unwrap();
    let pending: Vec<u64> = store
        .pending_after(run_id, 0, 10)
        .unwrap()
        .into_iter()
        .map(|pending| pending.fingerprint)
        .collect();
    assert_eq!(pending, [2]);
    assert_eq!(
        store.frontier_counts(run_id).unwrap(),
        FrontierCounts {
            pending: 1,
            done: 1
        }
    );
}

#[test]
fn for_each_fingerprint_returns_every_fingerprint_including_high_bit_ones() {
    let (store, run_id) = store_with_run();
    store
        .enqueue(
            run_id,
            &[
                request(u64::MAX, "http://127.0.0.1/a", 0),
                request(1 << 63, "http://127.0.0.1/b", 0),
                request(5, "http://127.0.0.1/c", 0),
            ],
        )
        .unwrap();
    let mut fingerprints = Vec::new();
    store
        .for_each_fingerprint(run_id, |fingerprint| fingerprints.push(fingerprint))
        .unwrap();
    fingerprints.sort_unstable();
    assert_eq!(fingerprints, [5, 1 << 63, u64::MAX]);
}

#[test]
fn frontier_counts_of_an_empty_run_are_zero() {
    let (store, run_id) = store_with_run();
    assert_eq!(
        store.frontier_counts(run_id).unwrap(),
        FrontierCounts::default()
    );
}

#[test]
fn negative_depth_in_a_row_is_a_corrupt_error() {
    let (store, run_id) = store_with_run();
    store
        .enqueue(run_id, &[request(1, "http://127.0.0.1/a", 0)])
        .unwrap();
    store
        .connection
        .execute("UPDATE frontier SET depth = -1", [])
        .unwrap();
    let error = store.pending_after(run_id, 0, 10).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Corrupt {
                what: "frontier depth",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn pending_cursor_query_is_a_rowid_range_scan() {
    let (store, _) = store_with_run();
    let mut statement = store
        .connection
        .prepare(
            "EXPLAIN QUERY PLAN SELECT seq, fingerprint, url, depth FROM frontier NOT INDEXED \
             WHERE run_id = ?1 AND state = 'pending' AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .unwrap();
    let plan: Vec<String> = statement
        .query_map(rusqlite::params![1, 0, 10], |row| row.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        plan,
        ["SEARCH frontier USING INTEGER PRIMARY KEY (rowid>?)"]
    );
}
