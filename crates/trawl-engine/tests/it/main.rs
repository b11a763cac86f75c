//! End-to-end crawls through the engine against fixture sites served on
//! 127.0.0.1: exact item sets, hostile servers, budgets, cancel and resume.
#![allow(clippy::unwrap_used)]

mod catalog_crawl;
mod engine;
mod events;
mod governor;
mod hostile_crawl;
mod lifecycle;
mod replay;
mod timeline;

use std::sync::Arc;
use std::time::Duration;

use trawl_engine::{CancellationToken, Crawl, CrawlReport, Progress};
use trawl_events::EventBus;
use trawl_spec::Spec;
use trawl_store::{NewRun, Store};
use trawl_types::{Item, RunId};

/// The demo shop with `products` products, served on 127.0.0.1.
pub async fn demo_shop(
    products: u32,
) -> (
    Arc<trawl_test_sites::catalog::Catalog>,
    trawl_test_sites::server::TestServer,
) {
    use trawl_test_sites::catalog::{Catalog, CatalogConfig};
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products,
        ..CatalogConfig::demo()
    }));
    let server = trawl_test_sites::server::TestServer::start(
        trawl_test_sites::server::catalog_handler(catalog.clone()),
    )
    .await
    .unwrap();
    (catalog, server)
}

/// The bundled demo spec, pointed at `origin`.
pub fn demo_spec(origin: &str) -> Spec {
    let source =
        include_str!("../../../../examples/demo.toml").replace("http://127.0.0.1:8642", origin);
    trawl_spec::parse(&source, "demo.toml").unwrap().spec
}

pub fn spec_from(source: &str) -> Spec {
    match trawl_spec::parse(source, "test.toml") {
        Ok(loaded) => loaded.spec,
        Err(error) => panic!("test spec invalid: {error}"),
    }
}

/// A store in a fresh temp dir (kept alive by the returned guard).
pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("trawl.sqlite")).unwrap();
    (dir, store)
}

pub fn create_run(store: &Store, spec: &Spec) -> RunId {
    store
        .create_run(&NewRun {
            name: spec.name.clone(),
            spec_toml: String::new(),
            spec_hash: String::new(),
            spec_path: None,
        })
        .unwrap()
}

/// Runs a crawl to its end (bounded in time) and returns the store and report.
pub async fn crawl(store: Store, run_id: RunId, spec: Spec, resume: bool) -> (Store, CrawlReport) {
    crawl_with(
        store,
        run_id,
        spec,
        resume,
        CancellationToken::new(),
        Arc::default(),
    )
    .await
}

pub async fn crawl_with(
    store: Store,
    run_id: RunId,
    spec: Spec,
    resume: bool,
    cancel: CancellationToken,
    progress: Arc<Progress>,
) -> (Store, CrawlReport) {
    let emitter = EventBus::new().emitter(run_id, store.last_event_seq(run_id).unwrap());
    let run = Crawl::new(store, run_id, spec, progress, cancel, emitter).run(resume);
    match tokio::time::timeout(Duration::from_secs(120), run).await {
        Ok(Ok(done)) => done,
        Ok(Err(error)) => panic!("crawl failed: {error:?}"),
        Err(_) => panic!("crawl did not finish within 120 s"),
    }
}

pub fn all_items(store: &Store, run_id: RunId) -> Vec<Item> {
    let mut items = Vec::new();
    store
        .for_each_item(run_id, |item| {
            items.push(item);
            Ok::<(), trawl_store::StoreError>(())
        })
        .unwrap();
    items
}
