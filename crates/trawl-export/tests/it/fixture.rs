//! A small store with a known dataset, shared by the export tests.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use trawl_store::{CheckpointBatch, Counters, NewRequest, NewRun, PageDone, Store};
use trawl_types::{Item, RunId};

pub struct Fixture {
    /// Keeps the directory alive for the test's duration.
    pub temp_dir: tempfile::TempDir,
    pub store: Store,
    pub run_id: RunId,
}

impl Fixture {
    pub fn path(&self, file_name: &str) -> PathBuf {
        self.temp_dir.path().join(file_name)
    }

    pub fn directory(&self) -> &Path {
        self.temp_dir.path()
    }
}

pub fn item(kind: &str, key: Option<&str>, url: &str, fields: Value) -> Item {
    let Value::Object(fields) = fields else {
        panic!("test items need an object of fields");
    };
    Item {
        kind: kind.to_owned(),
        key: key.map(str::to_owned),
        url: url.to_owned(),
        fields,
    }
}

/// A run whose items are stored in one checkpoint, in the given order.
pub fn store_with_items(items: Vec<Item>) -> Fixture {
    let temp_dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&temp_dir.path().join("store").join("trawl.db")).unwrap();
    let run_id = store
        .create_run(&NewRun {
            name: "books".to_owned(),
            spec_toml: "start_urls = []\n".to_owned(),
            spec_hash: "spec-hash-1".to_owned(),
            spec_path: None,
        })
        .unwrap();
    store
        .enqueue(
            run_id,
            &[NewRequest {
                fingerprint: 1,
                url: "http://127.0.0.1/".to_owned(),
                depth: 0,
            }],
        )
        .unwrap();
    let batch = CheckpointBatch {
        pages: vec![PageDone {
            fingerprint: 1,
            status: Some(200),
            outcome: "ok".to_owned(),
            error: None,
            items,
            links: Vec::new(),
            events: Vec::new(),
        }],
        counters: Counters::default(),
        events: Vec::new(),
    };
    store.commit(run_id, &batch).unwrap();
    Fixture {
        temp_dir,
        store,
        run_id,
    }
}

/// Three books with differing fields, unicode and characters CSV must quote.
pub fn books() -> Fixture {
    store_with_items(vec![
        item(
            "book",
            Some("b1"),
            "http://127.0.0.1/b1",
            json!({"title": "Dune", "price": 9.5, "stock": 3, "tags": ["sf", "classic"]}),
        ),
        item(
            "book",
            None,
            "http://127.0.0.1/b2",
            json!({"title": "Крылья, \"Wings\"\nvol. 2 📚", "price": 12, "in_print": true}),
        ),
        item(
            "author",
            Some("a1"),
            "http://127.0.0.1/a1",
            json!({"name": "Frank Herbert", "title": null, "meta": {"born": 1920}}),
        ),
    ])
}
