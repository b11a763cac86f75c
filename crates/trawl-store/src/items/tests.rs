//! Tests for reading the dataset: order, field order, paging, counting, and
//! rows that cannot be decoded.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;
use crate::test_support::{item, page_done, request, store_with_run};
use crate::{CheckpointBatch, Counters};

/// A run with `count` items `{"n": i, "z": .., "a": ..}` stored in one checkpoint.
fn store_with_items(count: u64) -> (Store, RunId) {
    let (mut store, run_id) = store_with_run();
    store
        .enqueue(run_id, &[request(1, "http://127.0.0.1/", 0)])
        .unwrap();
    let items = (0..count)
        .map(|index| {
            item(
                "book",
                None,
                json!({"n": index, "z": "last?", "a": "first?"}),
            )
        })
        .collect();
    let batch = CheckpointBatch {
        pages: vec![page_done(1, items, Vec::new())],
        counters: Counters::default(),
        events: Vec::new(),
    };
    store.commit(run_id, &batch).unwrap();
    (store, run_id)
}

#[test]
fn for_each_item_streams_in_insertion_order_with_field_order_kept() {
    let (store, run_id) = store_with_items(3);
    let mut seen = Vec::new();
    store
        .for_each_item(run_id, |item| {
            let field_names: Vec<String> = item.fields.keys().cloned().collect();
            seen.push((item.fields["n"].as_u64().unwrap(), field_names));
            Ok::<(), StoreError>(())
        })
        .unwrap();
    let expected_names = vec!["n".to_owned(), "z".to_owned(), "a".to_owned()];
    assert_eq!(
        seen,
        [
            (0, expected_names.clone()),
            (1, expected_names.clone()),
            (2, expected_names),
        ]
    );
}

#[test]
fn for_each_item_stops_at_the_visitors_error() {
    #[derive(Debug, PartialEq)]
    enum VisitError {
        Enough,
        Store,
    }
    impl From<StoreError> for VisitError {
        fn from(_: StoreError) -> Self {
            VisitError::Store
        }
    }
    let (store, run_id) = store_with_items(5);
    let mut visited = 0;
    let result = store.for_each_item(run_id, |_| {
        visited += 1;
        if visited == 2 {
            Err(VisitError::Enough)
        } else {
            Ok(())
        }
    });
    assert_eq!(result, Err(VisitError::Enough));
    assert_eq!(visited, 2);
}

#[test]
fn items_page_and_item_count() {
    let (store, run_id) = store_with_items(5);
    assert_eq!(store.item_count(run_id).unwrap(), 5);
    let numbers: Vec<u64> = store
        .items_page(run_id, 1, 3)
        .unwrap()
        .iter()
        .map(|item| item.fields["n"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(store.items_page(run_id, 5, 3).unwrap(), []);
    assert_eq!(store.item_count(RunId(99)).unwrap(), 0);
}

#[test]
fn item_data_that_is_not_json_is_a_corrupt_error() {
    let (store, run_id) = store_with_items(1);
    store
        .connection
        .execute("UPDATE items SET data = '{broken'", [])
        .unwrap();
    let error = store.items_page(run_id, 0, 10).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Corrupt {
                what: "item data",
                ..
            }
        ),
        "{error:?}"
    );
    let streamed = store.for_each_item(run_id, |_| Ok::<(), StoreError>(()));
    assert!(matches!(
        streamed,
        Err(StoreError::Corrupt {
            what: "item data",
            ..
        })
    ));
}

#[test]
fn item_data_that_is_not_an_object_is_a_corrupt_error() {
    let (store, run_id) = store_with_items(1);
    store
        .connection
        .execute("UPDATE items SET data = '[1, 2]'", [])
        .unwrap();
    let error = store.items_page(run_id, 0, 10).unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("holds a json array instead of an object"),
        "{error}"
    );
}
