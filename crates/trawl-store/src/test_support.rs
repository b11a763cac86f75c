//! Fixtures shared by the store's unit tests, so each test states only what
//! it is about.
#![allow(clippy::unwrap_used)]

use trawl_types::{Item, RunId};

use crate::{NewRequest, NewRun, PageDone, Store};

pub(crate) fn new_run(name: &str) -> NewRun {
    NewRun {
        name: name.to_owned(),
        spec_toml: "start_urls = [\"http://127.0.0.1/\"]\n".to_owned(),
        spec_hash: "hash-1".to_owned(),
        spec_path: Some("books.toml".to_owned()),
    }
}

/// An in-memory store holding one queued run.
pub(crate) fn store_with_run() -> (Store, RunId) {
    let store = Store::open_in_memory().unwrap();
    let run_id = store.create_run(&new_run("books")).unwrap();
    (store, run_id)
}

pub(crate) fn request(fingerprint: u64, url: &str, depth: u32) -> NewRequest {
    NewRequest {
        fingerprint,
        url: url.to_owned(),
        depth,
    }
}

/// An item whose fields are given as a JSON object literal.
pub(crate) fn item(kind: &str, key: Option<&str>, fields: serde_json::Value) -> Item {
    let serde_json::Value::Object(fields) = fields else {
        panic!("test items need an object of fields");
    };
    Item {
        kind: kind.to_owned(),
        key: key.map(str::to_owned),
        url: "http://127.0.0.1/page".to_owned(),
        fields,
    }
}

/// A successful page with the given items and links.
pub(crate) fn page_done(fingerprint: u64, items: Vec<Item>, links: Vec<NewRequest>) -> PageDone {
    PageDone {
        fingerprint,
        status: Some(200),
        outcome: "ok".to_owned(),
        error: None,
        items,
        links,
        events: Vec::new(),
    }
}
