//! Cancel and resume: a run cancelled mid-way and resumed ends with exactly the
//! dataset of an uninterrupted run, and cancellation leaves the store consistent.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{TestServer, catalog_handler};
use trawl_types::RunState;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_run_resumes_to_the_exact_dataset() {
    let catalog = Arc::new(Catalog::new(CatalogConfig::demo()));
    let server = TestServer::start(catalog_handler(catalog.clone()))
        .await
        .unwrap();
    let origin = server.url("");
    let (_dir, store) = temp_store();
    let mut spec = demo_spec(&origin);
    // Slow enough that the cancel lands in the middle of the crawl.
    spec.politeness.concurrency = 4;
    spec.politeness.per_host_rate = 400.0;
    let run_id = create_run(&store, &spec);

    let progress = Arc::new(Progress::default());
    let cancel = CancellationToken::new();
    let watcher = {
        let progress = progress.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            while progress.pages_ok.load(Ordering::Relaxed) < 60 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            cancel.cancel();
        })
    };
    let (store, report) = crawl_with(store, run_id, spec.clone(), false, cancel, progress).await;
    watcher.await.unwrap();
    assert_eq!(report.state, RunState::Cancelled);
    let first_pages = report.record.counters.pages_ok;
    assert!(
        (60..200).contains(&first_pages),
        "cancel landed at {first_pages} pages"
    );
    let frontier = store.frontier_counts(run_id).unwrap();
    assert!(frontier.pending > 0);
    // Committed counters agree with the committed items.
    assert_eq!(
        report.record.counters.items_stored,
        all_items(&store, run_id).len() as u64
    );

    store
        .set_run_state(run_id, RunState::Interrupted, None)
        .unwrap();
    let (store, report) = crawl(store, run_id, spec, true).await;
    assert_eq!(report.state, RunState::Succeeded);
    let items = all_items(&store, run_id);
    let keys: BTreeSet<String> = items.iter().map(|item| item.key.clone().unwrap()).collect();
    let expected: BTreeSet<String> = catalog
        .expected_products()
        .into_iter()
        .map(|product| product.sku)
        .collect();
    assert_eq!(items.len(), keys.len(), "duplicates after resume");
    assert_eq!(keys, expected);
    // Every page fetched exactly once across both attempts.
    let polite_pages = catalog.html_page_paths().len() - catalog.robots_disallowed_paths().len();
    assert_eq!(report.record.counters.pages_ok as usize, polite_pages);
    assert_eq!(report.record.counters.items_duplicate, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_runs_cannot_be_resumed() {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 10,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start(catalog_handler(catalog)).await.unwrap();
    let (_dir, store) = temp_store();
    let spec = demo_spec(&server.url(""));
    let run_id = create_run(&store, &spec);
    let (store, report) = crawl(store, run_id, spec.clone(), false).await;
    assert_eq!(report.state, RunState::Succeeded);
    let emitter = trawl_events::EventBus::new().emitter(run_id, 0);
    let result = Crawl::new(
        store,
        run_id,
        spec,
        Arc::default(),
        CancellationToken::new(),
        emitter,
    )
    .run(true)
    .await;
    assert!(matches!(
        result,
        Err(trawl_engine::EngineError::NotResumable {
            state: RunState::Succeeded,
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_start_url_fails_the_run_with_a_recorded_outcome() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_dir, store) = temp_store();
    let spec = spec_from(&format!(
        r#"
        start_urls = ["http://127.0.0.1:{port}/"]
        [request]
        retries = 1
        retry_base_millis = 10
        [politeness]
        obey_robots = false
        [[extract]]
        fields.title = "title"
        "#
    ));
    let run_id = create_run(&store, &spec);
    let (_store, report) = crawl(store, run_id, spec, false).await;
    assert_eq!(report.state, RunState::Failed);
    assert_eq!(report.record.counters.pages_failed, 1);
    assert_eq!(report.record.counters.requests_retried, 1);
    assert_eq!(
        report.record.error.as_deref(),
        Some("no page could be fetched")
    );
}
