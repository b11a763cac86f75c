//! Crawling the demo shop must yield exactly the products the generator made.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};
use trawl_test_sites::catalog::{Catalog, CatalogConfig, ExpectedProduct};
use trawl_test_sites::server::{TestServer, catalog_handler};
use trawl_types::RunState;

use super::*;

fn expected_item(origin: &str, product: &ExpectedProduct) -> Value {
    json!({
        "sku": product.sku,
        "name": product.name,
        "price": product.price,
        "currency": product.currency,
        "category": product.category,
        "in_stock": product.in_stock,
        "stock_count": product.stock_count,
        "rating": product.rating,
        "tags": product.tags,
        "image": format!("{origin}{}", product.image_url_path),
        "released": product.released,
        "description": product.description,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_crawl_extracts_exactly_the_generated_products() {
    let catalog = Arc::new(Catalog::new(CatalogConfig::demo()));
    let server = TestServer::start(catalog_handler(catalog.clone()))
        .await
        .unwrap();
    let origin = server.url("");
    let (_dir, store) = temp_store();
    let spec = demo_spec(&origin);
    let run_id = create_run(&store, &spec);
    let (store, report) = crawl(store, run_id, spec, false).await;

    assert_eq!(report.state, RunState::Succeeded);
    let items = all_items(&store, run_id);
    let expected_products = catalog.expected_products();
    let got: BTreeMap<String, Value> = items
        .iter()
        .map(|item| {
            (
                item.key.clone().unwrap(),
                Value::Object(item.fields.clone()),
            )
        })
        .collect();
    assert_eq!(items.len(), got.len(), "duplicate keys stored");
    let want: BTreeMap<String, Value> = expected_products
        .iter()
        .map(|product| (product.sku.clone(), expected_item(&origin, product)))
        .collect();
    assert_eq!(got.len(), want.len());
    for (sku, want_item) in &want {
        assert_eq!(got.get(sku), Some(want_item), "item {sku} differs");
    }
    for item in &items {
        assert_eq!(item.kind, "product");
        assert!(
            item.url.starts_with(&format!("{origin}/product/")),
            "{}",
            item.url
        );
    }

    // Every HTML page except robots-disallowed ones is fetched once, and
    // every dead link is recorded as a failed page (404), not lost.
    let counters = &report.record.counters;
    let polite_pages = catalog.html_page_paths().len() - catalog.robots_disallowed_paths().len();
    assert_eq!(counters.pages_ok as usize, polite_pages);
    assert_eq!(
        counters.pages_failed as usize,
        catalog.dead_link_paths().len()
    );
    assert_eq!(counters.items_stored as usize, expected_products.len());
    assert_eq!(counters.items_duplicate, 0);
    assert_eq!(counters.items_dropped, 0);
    let frontier = store.frontier_counts(run_id).unwrap();
    assert_eq!(frontier.pending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_pages_and_max_depth_bound_the_crawl() {
    let catalog = Arc::new(Catalog::new(CatalogConfig::demo()));
    let server = TestServer::start(catalog_handler(catalog)).await.unwrap();
    let origin = server.url("");

    let (_dir, store) = temp_store();
    let mut spec = demo_spec(&origin);
    spec.follow.max_pages = 25;
    let run_id = create_run(&store, &spec);
    let (_store, report) = crawl(store, run_id, spec, false).await;
    let counters = &report.record.counters;
    assert_eq!(report.state, RunState::Succeeded);
    assert_eq!(
        counters.pages_ok + counters.pages_failed + counters.pages_skipped,
        25
    );

    // Depth 0 is the home page only: no link is followed.
    let (_dir, store) = temp_store();
    let mut spec = demo_spec(&origin);
    spec.follow.max_depth = 0;
    let run_id = create_run(&store, &spec);
    let (_store, report) = crawl(store, run_id, spec, false).await;
    assert_eq!(report.record.counters.pages_ok, 1);
    assert_eq!(report.record.counters.links_queued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sitemap_seeds_the_frontier() {
    let catalog = Arc::new(Catalog::new(CatalogConfig::demo()));
    let server = TestServer::start(catalog_handler(catalog)).await.unwrap();
    let origin = server.url("");
    let (_dir, store) = temp_store();
    let spec = spec_from(&format!(
        r#"
        sitemaps = ["{origin}/sitemap.xml"]
        [follow]
        max_depth = 0
        [[extract]]
        name = "category"
        fields.title = "h1.category-title"
        "#
    ));
    let run_id = create_run(&store, &spec);
    let (store, report) = crawl(store, run_id, spec, false).await;
    assert_eq!(report.state, RunState::Succeeded);
    // The sitemap lists the 6 categories' first pages; depth 0 follows nothing else.
    let mut titles: Vec<String> = all_items(&store, run_id)
        .iter()
        .map(|item| item.fields["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    assert_eq!(titles.len(), 6, "{titles:?}");
    assert_eq!(report.record.counters.pages_ok, 6);
}

/// The dispatcher reads the frontier from the store in loads of a bounded
/// size. Rows left behind by a full load must still be read when the pages
/// fetched meanwhile find no new links (a resumed run, or many seeds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_beyond_one_frontier_load_are_all_crawled_when_no_page_finds_links() {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 1_500,
        target_page_bytes: 2_048,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start(catalog_handler(catalog.clone()))
        .await
        .unwrap();
    let origin = server.url("");
    let (_dir, store) = temp_store();
    let mut spec = demo_spec(&origin);
    let expected_products = catalog.expected_products();
    spec.start_urls = expected_products
        .iter()
        .map(|product| format!("{origin}{}", product.url_path))
        .collect();
    // Depth 0: every link on a product page is out of bounds.
    spec.follow.max_depth = 0;
    spec.politeness.concurrency = 16;
    let run_id = create_run(&store, &spec);
    let (store, report) = crawl(store, run_id, spec, false).await;

    assert_eq!(report.state, RunState::Succeeded);
    assert_eq!(report.record.counters.pages_ok, 1_500);
    assert_eq!(report.record.counters.links_queued, 0);
    let keys: std::collections::BTreeSet<String> = all_items(&store, run_id)
        .into_iter()
        .filter_map(|item| item.key)
        .collect();
    let want: std::collections::BTreeSet<String> = expected_products
        .into_iter()
        .map(|product| product.sku)
        .collect();
    assert_eq!(keys, want);
    assert_eq!(store.frontier_counts(run_id).unwrap().pending, 0);
}
