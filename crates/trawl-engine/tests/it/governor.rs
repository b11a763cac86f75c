//! The resource governor in real crawls: a host that starts answering 429
//! makes the run back off (its concurrency halves) and recover (it grows
//! again once the host answers), with every change an event and an exact
//! dataset at the end; the process-wide request limit holds across runs.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use trawl_engine::{Engine, EngineConfig};
use trawl_events::Event;
use trawl_store::{EventQuery, Store};
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{TestServer, catalog_handler};
use trawl_test_sites::throttle::{ThrottleConfig, throttled};
use trawl_types::RunState;

use super::*;

fn spec_source(origin: &str, politeness: &str) -> String {
    let source =
        include_str!("../../../../examples/demo.toml").replace("http://127.0.0.1:8642", origin);
    format!("{source}\n[politeness]\n{politeness}\n",)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_answering_429_makes_the_run_back_off_then_recover() {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 200,
        ..CatalogConfig::demo()
    }));
    // Two requests at a time for the first 150 requests, then no limit.
    let (handler, stats) = throttled(
        catalog_handler(catalog.clone()),
        ThrottleConfig {
            max_in_flight: 2,
            storm_requests: 150,
            delay: Duration::from_millis(5),
        },
    );
    let server = TestServer::start(handler).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.sqlite");
    let engine = Engine::start(&path, EngineConfig::default()).unwrap();
    // Quick retries so the 429s cost little time; [request] comes before
    // [politeness] in the demo spec, so it is added as dotted keys.
    let source = spec_source(
        &server.url(""),
        "concurrency = 16\nper_host_concurrency = 16",
    )
    .replace(
        "[follow]",
        "[request]\nretries = 8\nretry_base_millis = 20\n\n[follow]",
    );
    let loaded = trawl_spec::parse(&source, "throttled.toml").unwrap();
    let run_id = engine.submit(&loaded, None, 0).unwrap();
    let record = engine.wait(run_id).await.unwrap();
    assert_eq!(record.state, RunState::Succeeded, "{record:?}");

    // Every page made it despite the storm, each item once.
    let store = Store::open(&path).unwrap();
    let items = all_items(&store, run_id);
    let keys: BTreeSet<String> = items.iter().map(|item| item.key.clone().unwrap()).collect();
    assert_eq!(keys.len(), catalog.expected_products().len());
    assert_eq!(items.len(), keys.len());
    assert_eq!(
        record.counters.pages_failed as usize,
        catalog.dead_link_paths().len()
    );

    // The host's limit went down with reason http_429, then back up.
    let host = trawl_events::host_of(&server.url("")).to_owned();
    let changes: Vec<(u64, u64, String)> = store
        .events(
            run_id,
            &EventQuery {
                kinds: vec!["limit_changed".to_owned()],
                ..EventQuery::default()
            },
        )
        .unwrap()
        .iter()
        .filter_map(
            |row| match trawl_engine::decode_event(run_id, row).unwrap().event {
                Event::LimitChanged {
                    scope,
                    from,
                    to,
                    reason,
                    ..
                } if scope == host => Some((from, to, reason)),
                _ => None,
            },
        )
        .collect();
    let first_cut = changes
        .iter()
        .position(|(from, to, reason)| reason == "http_429" && to < from)
        .unwrap_or_else(|| panic!("no back-off: {changes:?}"));
    assert_eq!(changes[first_cut].0, 16, "{changes:?}");
    let lowest = changes.iter().map(|(_, to, _)| *to).min().unwrap();
    assert!(lowest <= 4, "{changes:?}");
    let last_cut = changes.iter().rposition(|(from, to, _)| to < from).unwrap();
    let recovered: Vec<_> = changes[last_cut..]
        .iter()
        .filter(|(from, to, reason)| reason == "recovered" && to > from)
        .collect();
    assert!(
        recovered.len() >= 2,
        "no recovery after the storm: {changes:?}"
    );
    // Backing off kept the 429s to a fraction of the requests.
    let throttled_count = stats.throttled.load(Ordering::SeqCst);
    let requests = stats.requests.load(Ordering::SeqCst);
    eprintln!("host limit changes {changes:?}; {throttled_count} of {requests} requests got 429");
    assert!(throttled_count > 0, "the storm never hit");
    assert!(
        throttled_count * 3 < requests,
        "{throttled_count} of {requests} requests got 429"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_process_wide_request_limit_holds_across_runs() {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 60,
        ..CatalogConfig::demo()
    }));
    let (handler, stats) = throttled(
        catalog_handler(catalog.clone()),
        ThrottleConfig {
            max_in_flight: u64::MAX,
            storm_requests: 0,
            delay: Duration::from_millis(20),
        },
    );
    let server = TestServer::start(handler).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::start(
        &dir.path().join("trawl.sqlite"),
        EngineConfig {
            max_concurrent_runs: 2,
            max_requests_in_flight: 3,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    let source = spec_source(&server.url(""), "concurrency = 8\nper_host_concurrency = 8");
    let loaded = trawl_spec::parse(&source, "shop.toml").unwrap();
    let first = engine.submit(&loaded, None, 0).unwrap();
    let second = engine.submit(&loaded, None, 0).unwrap();
    for run_id in [first, second] {
        assert_eq!(
            engine.wait(run_id).await.unwrap().state,
            RunState::Succeeded
        );
    }
    assert_eq!(stats.peak_in_flight.load(Ordering::SeqCst), 3);
}
