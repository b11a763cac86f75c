//! Tests for the checkpoint: what one commit stores, key de-duplication, the
//! counters, and that a failing batch leaves nothing behind.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;
use crate::FrontierCounts;
use crate::test_support::{item, page_done, request, store_with_run};

/// A run with pages 1 and 2 pending.
fn store_with_two_pending_pages() -> (Store, RunId) {
    let (store, run_id) = store_with_run();
    enqueue_two_pages(&store, run_id);
    (store, run_id)
}

fn enqueue_two_pages(store: &Store, run_id: RunId) {
    store
        .enqueue(
            run_id,
            &[
                request(1, "http://127.0.0.1/1", 0),
                request(2, "http://127.0.0.1/2", 0),
            ],
        )
        .unwrap();
}

fn item_keys(store: &Store, run_id: RunId) -> Vec<(String, Option<String>)> {
    store
        .items_page(run_id, 0, 100)
        .unwrap()
        .into_iter()
        .map(|item| (item.kind, item.key))
        .collect()
}

#[test]
fn commit_stores_items_links_done_marks_and_counters_together() {
    let (mut store, run_id) = store_with_two_pending_pages();
    let mut failed_page = page_done(2, Vec::new(), Vec::new());
    failed_page.status = Some(404);
    failed_page.outcome = "http_404".to_owned();
    failed_page.error = Some("not found".to_owned());
    let batch = CheckpointBatch {
        pages: vec![
            page_done(
                1,
                vec![item(
                    "book",
                    Some("b1"),
                    json!({"title": "Dune", "price": 9.5}),
                )],
                vec![
                    request(3, "http://127.0.0.1/3", 1),
                    request(2, "http://127.0.0.1/2", 1),
                ],
            ),
            failed_page,
        ],
        counters: Counters {
            pages_ok: 1,
            pages_failed: 1,
            bytes_fetched: 2048,
            items_stored: 999,
            items_duplicate: 999,
            items_dropped: 4,
            links_queued: 1,
            requests_retried: 2,
            warnings: 3,
            pages_skipped: 5,
        },
        events: Vec::new(),
    };
    let stats = store.commit(run_id, &batch).unwrap();
    assert_eq!(
        stats,
        CommitStats {
            items_inserted: 1,
            items_duplicate: 0,
            links_inserted: 1,
        }
    );
    assert_eq!(
        store.frontier_counts(run_id).unwrap(),
        FrontierCounts {
            pending: 1,
            done: 2
        }
    );
    let pending: Vec<u64> = store
        .pending_after(run_id, 0, 10)
        .unwrap()
        .into_iter()
        .map(|pending| pending.fingerprint)
        .collect();
    assert_eq!(pending, [3]);
    let (status, outcome, error): (Option<i64>, String, Option<String>) = store
        .connection
        .query_row(
            "SELECT status, outcome, error FROM frontier WHERE fingerprint = 2",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (status, outcome.as_str(), error.as_deref()),
        (Some(404), "http_404", Some("not found"))
    );

    // items_stored and items_duplicate come from what happened, not the batch.
    assert_eq!(
        store.run(run_id).unwrap().counters,
        Counters {
            pages_ok: 1,
            pages_failed: 1,
            bytes_fetched: 2048,
            items_stored: 1,
            items_duplicate: 0,
            items_dropped: 4,
            links_queued: 1,
            requests_retried: 2,
            warnings: 3,
            pages_skipped: 5,
        }
    );
}

#[test]
fn counters_accumulate_over_checkpoints() {
    let (mut store, run_id) = store_with_two_pending_pages();
    for fingerprint in [1, 2] {
        let batch = CheckpointBatch {
            pages: vec![page_done(fingerprint, Vec::new(), Vec::new())],
            counters: Counters {
                pages_ok: 1,
                bytes_fetched: 100,
                ..Counters::default()
            },
            events: Vec::new(),
        };
        store.commit(run_id, &batch).unwrap();
    }
    let counters = store.run(run_id).unwrap().counters;
    assert_eq!(counters.pages_ok, 2);
    assert_eq!(counters.bytes_fetched, 200);
}

#[test]
fn items_with_a_known_kind_and_key_are_skipped_and_counted() {
    let (mut store, run_id) = store_with_two_pending_pages();
    let first = CheckpointBatch {
        pages: vec![page_done(
            1,
            vec![
                item("book", Some("b1"), json!({"title": "Dune"})),
                item("book", Some("b1"), json!({"title": "Dune again"})),
                item("author", Some("b1"), json!({"name": "Herbert"})),
                item("book", None, json!({"title": "no key"})),
                item("book", None, json!({"title": "no key"})),
            ],
            Vec::new(),
        )],
        counters: Counters::default(),
        events: Vec::new(),
    };
    assert_eq!(
        store.commit(run_id, &first).unwrap(),
        CommitStats {
            items_inserted: 4,
            items_duplicate: 1,
            links_inserted: 0,
        }
    );
    let second = CheckpointBatch {
        pages: vec![page_done(
            2,
            vec![item("book", Some("b1"), json!({"title": "later"}))],
            Vec::new(),
        )],
        counters: Counters::default(),
        events: Vec::new(),
    };
    assert_eq!(store.commit(run_id, &second).unwrap().items_duplicate, 1);

    assert_eq!(
        item_keys(&store, run_id),
        [
            ("book".to_owned(), Some("b1".to_owned())),
            ("author".to_owned(), Some("b1".to_owned())),
            ("book".to_owned(), None),
            ("book".to_owned(), None),
        ]
    );
    // The first item with a key wins.
    assert_eq!(
        store.items_page(run_id, 0, 1).unwrap()[0].fields["title"],
        "Dune"
    );
    let counters = store.run(run_id).unwrap().counters;
    assert_eq!((counters.items_stored, counters.items_duplicate), (4, 2));
}

#[test]
fn a_failing_item_insert_leaves_nothing_of_the_batch() {
    let (mut store, run_id) = store_with_two_pending_pages();
    // Simulates an insert failure (disk full, constraint) on the last item.
    store
        .connection
        .execute_batch(
            "CREATE TRIGGER poison_item BEFORE INSERT ON items WHEN NEW.kind = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned item'); END;",
        )
        .unwrap();
    let batch = CheckpointBatch {
        pages: vec![
            page_done(
                1,
                vec![item("book", Some("b1"), json!({"title": "Dune"}))],
                vec![request(3, "http://127.0.0.1/3", 1)],
            ),
            page_done(2, vec![item("poison", None, json!({}))], Vec::new()),
        ],
        counters: Counters {
            pages_ok: 2,
            ..Counters::default()
        },
        events: Vec::new(),
    };
    let error = store.commit(run_id, &batch).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Sqlite {
                context: "storing items",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(store.item_count(run_id).unwrap(), 0);
    assert_eq!(
        store.frontier_counts(run_id).unwrap(),
        FrontierCounts {
            pending: 2,
            done: 0
        }
    );
    assert_eq!(store.run(run_id).unwrap().counters, Counters::default());

    // The store is usable afterwards and the same pages can be committed.
    store
        .connection
        .execute_batch("DROP TRIGGER poison_item")
        .unwrap();
    let stats = store.commit(run_id, &batch).unwrap();
    assert_eq!(stats.items_inserted, 2);
    assert_eq!(stats.links_inserted, 1);
}

#[test]
fn committing_a_page_twice_is_refused_and_rolls_back_the_batch() {
    let (mut store, run_id) = store_with_two_pending_pages();
    let first = CheckpointBatch {
        pages: vec![page_done(1, Vec::new(), Vec::new())],
        counters: Counters::default(),
        events: Vec::new(),
    };
    store.commit(run_id, &first).unwrap();
    let replayed = CheckpointBatch {
        pages: vec![
            page_done(
                2,
                vec![item("book", None, json!({"title": "x"}))],
                Vec::new(),
            ),
            page_done(1, Vec::new(), Vec::new()),
        ],
        counters: Counters::default(),
        events: Vec::new(),
    };
    let error = store.commit(run_id, &replayed).unwrap_err();
    assert!(
        matches!(error, StoreError::PageNotPending { run_id: failed_run, fingerprint: 1 } if failed_run == run_id),
        "{error:?}"
    );
    assert_eq!(store.item_count(run_id).unwrap(), 0);
    assert_eq!(
        store.frontier_counts(run_id).unwrap(),
        FrontierCounts {
            pending: 1,
            done: 1
        }
    );
}

#[test]
fn committing_a_page_that_was_never_enqueued_is_refused() {
    let (mut store, run_id) = store_with_two_pending_pages();
    let batch = CheckpointBatch {
        pages: vec![page_done(77, Vec::new(), Vec::new())],
        counters: Counters::default(),
        events: Vec::new(),
    };
    assert!(matches!(
        store.commit(run_id, &batch),
        Err(StoreError::PageNotPending {
            fingerprint: 77,
            ..
        })
    ));
}

#[test]
fn committing_to_an_unknown_run_is_run_not_found() {
    let (mut store, _) = store_with_two_pending_pages();
    let batch = CheckpointBatch::default();
    assert!(matches!(
        store.commit(RunId(5), &batch),
        Err(StoreError::RunNotFound(RunId(5)))
    ));
}

#[test]
fn counters_add_field_by_field_and_saturate() {
    let mut total = Counters {
        pages_ok: 1,
        warnings: u64::MAX,
        ..Counters::default()
    };
    total += &Counters {
        pages_ok: 2,
        pages_failed: 3,
        bytes_fetched: 4,
        items_stored: 5,
        items_duplicate: 6,
        items_dropped: 7,
        links_queued: 8,
        requests_retried: 9,
        warnings: 10,
        pages_skipped: 11,
    };
    assert_eq!(
        total,
        Counters {
            pages_ok: 3,
            pages_failed: 3,
            bytes_fetched: 4,
            items_stored: 5,
            items_duplicate: 6,
            items_dropped: 7,
            links_queued: 8,
            requests_retried: 9,
            warnings: u64::MAX,
            pages_skipped: 11,
        }
    );
}

#[test]
fn a_held_transaction_keeps_checkpoints_to_itself_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.sqlite");
    let mut store = Store::open(&path).unwrap();
    let run_id = store
        .create_run(&crate::test_support::new_run("books"))
        .unwrap();
    enqueue_two_pages(&store, run_id);
    let reader = Store::open(&path).unwrap();

    store.hold_transaction().unwrap();
    let first = CheckpointBatch {
        pages: vec![page_done(
            1,
            vec![item("book", Some("b1"), json!({"title": "Dune"}))],
            vec![request(3, "http://127.0.0.1/3", 1)],
        )],
        ..CheckpointBatch::default()
    };
    store.commit(run_id, &first).unwrap();
    // The writer sees its own work (the dispatcher reads the frontier
    // through it); no other connection does yet.
    assert_eq!(
        store.frontier_counts(run_id).unwrap(),
        FrontierCounts {
            pending: 2,
            done: 1
        }
    );
    assert_eq!(reader.frontier_counts(run_id).unwrap().done, 0);
    assert!(item_keys(&reader, run_id).is_empty());

    store.end_held_transaction(true).unwrap();
    assert_eq!(
        reader.frontier_counts(run_id).unwrap(),
        FrontierCounts {
            pending: 2,
            done: 1
        }
    );
    assert_eq!(
        item_keys(&reader, run_id),
        vec![("book".to_owned(), Some("b1".to_owned()))]
    );

    // A failed write inside a held transaction: ending it without commit
    // keeps none of it, as a crash would.
    store.hold_transaction().unwrap();
    let failing = CheckpointBatch {
        pages: vec![
            page_done(
                2,
                vec![item("book", Some("b2"), json!({"title": "Emma"}))],
                Vec::new(),
            ),
            page_done(1, Vec::new(), Vec::new()),
        ],
        ..CheckpointBatch::default()
    };
    assert!(matches!(
        store.commit(run_id, &failing),
        Err(StoreError::PageNotPending { fingerprint: 1, .. })
    ));
    store.end_held_transaction(false).unwrap();
    assert_eq!(reader.frontier_counts(run_id).unwrap().done, 1);
    assert_eq!(item_keys(&reader, run_id).len(), 1);

    // Ended: writes are transactions of their own again.
    store
        .commit(
            run_id,
            &CheckpointBatch {
                pages: vec![page_done(2, Vec::new(), Vec::new())],
                ..CheckpointBatch::default()
            },
        )
        .unwrap();
    assert_eq!(reader.frontier_counts(run_id).unwrap().done, 2);
}
