//! The event log of real crawls: every page's events are complete and in
//! order, the log commits with the data (a resumed run continues its clock
//! and never duplicates a page's events), a slow subscriber loses events
//! without slowing the crawl, and `event_log = false` keeps state changes only.

use std::collections::HashMap;
use std::path::Path;

use trawl_engine::{Engine, EngineConfig};
use trawl_events::{Envelope, Event, EventKind, Received, RunStats};
use trawl_store::{EventQuery, Store};
use trawl_types::{RunId, RunState};

use super::*;

fn demo_loaded(origin: &str, extra: &str) -> trawl_spec::LoadedSpec {
    let source =
        include_str!("../../../../examples/demo.toml").replace("http://127.0.0.1:8642", origin);
    trawl_spec::parse(&format!("{extra}\n{source}"), "demo.toml").unwrap()
}

fn one_shot_engine(path: &Path) -> Engine {
    Engine::start(
        path,
        EngineConfig {
            max_concurrent_runs: 1,
            recover_runs: false,
            ..EngineConfig::default()
        },
    )
    .unwrap()
}

/// The run's stored events, decoded (a row that does not decode fails the test).
fn stored_events(path: &Path, run_id: RunId) -> Vec<Envelope> {
    let store = Store::open(path).unwrap();
    store
        .events(run_id, &EventQuery::default())
        .unwrap()
        .into_iter()
        .map(|row| {
            let envelope = trawl_engine::decode_event(run_id, &row)
                .unwrap_or_else(|error| panic!("seq {} does not decode: {error}", row.seq));
            assert_eq!(envelope.event.kind().as_str(), row.kind);
            envelope
        })
        .collect()
}

/// For each URL: the seqs of its scheduled, started and terminal events.
#[derive(Debug, Default)]
struct Trail {
    scheduled: Vec<u64>,
    started: Vec<u64>,
    finished: Vec<u64>,
}

fn trails(events: &[Envelope]) -> HashMap<String, Trail> {
    let mut trails: HashMap<String, Trail> = HashMap::new();
    for envelope in events {
        let Some(url) = envelope.event.url() else {
            continue;
        };
        let trail = trails.entry(url.to_owned()).or_default();
        match envelope.event.kind() {
            EventKind::RequestScheduled => trail.scheduled.push(envelope.seq),
            EventKind::RequestStarted => trail.started.push(envelope.seq),
            EventKind::RequestFetched | EventKind::RequestFailed | EventKind::RequestSkipped => {
                trail.finished.push(envelope.seq)
            }
            _ => {}
        }
    }
    trails
}

fn assert_complete_trails(path: &Path, run_id: RunId, events: &[Envelope]) {
    let seqs: Vec<u64> = events.iter().map(|envelope| envelope.seq).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[0] < pair[1]),
        "seqs not increasing"
    );
    let trails = trails(events);
    let store = Store::open(path).unwrap();
    let done = store.page_outcomes(run_id, 0, usize::MAX).unwrap();
    assert!(!done.is_empty());
    for page in &done {
        let trail = trails
            .get(&page.url)
            .unwrap_or_else(|| panic!("no events for {}", page.url));
        assert_eq!(trail.scheduled.len(), 1, "{}: {trail:?}", page.url);
        assert_eq!(trail.finished.len(), 1, "{}: {trail:?}", page.url);
        let finished = trail.finished[0];
        assert!(trail.scheduled[0] < finished, "{}: {trail:?}", page.url);
        if page.outcome != "robots_denied" {
            assert!(!trail.started.is_empty(), "{}: {trail:?}", page.url);
            assert!(
                trail
                    .started
                    .iter()
                    .all(|started| trail.scheduled[0] < *started && *started < finished),
                "{}: {trail:?}",
                page.url
            );
        }
    }
    // Nothing finished that the frontier does not have as done.
    let finished_urls = trails
        .values()
        .filter(|trail| !trail.finished.is_empty())
        .count();
    assert_eq!(finished_urls, done.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_has_scheduled_started_and_finished_events_in_order() {
    let (catalog, server) = demo_shop(40).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.sqlite");
    let engine = one_shot_engine(&path);
    let mut live = engine.subscribe();
    let run_id = engine
        .submit(&demo_loaded(&server.url(""), ""), None, 0)
        .unwrap();
    let record = engine.wait(run_id).await.unwrap();
    assert_eq!(record.state, RunState::Succeeded);

    let events = stored_events(&path, run_id);
    assert_complete_trails(&path, run_id, &events);
    // The log opens with the run's creation and start, and ends with its end.
    assert!(matches!(events[0].event, Event::RunCreated { .. }));
    assert!(matches!(
        events[1].event,
        Event::RunStateChanged {
            to: RunState::Running,
            ..
        }
    ));
    assert!(matches!(
        events.last().unwrap().event,
        Event::RunStateChanged {
            to: RunState::Succeeded,
            ..
        }
    ));
    // The live stream carried the same events in the same order.
    let mut received = Vec::new();
    while let Some(Received::Event(envelope)) = live.try_recv() {
        received.push(envelope.seq);
    }
    let stored_seqs: Vec<u64> = events.iter().map(|envelope| envelope.seq).collect();
    assert_eq!(received, stored_seqs);

    // Stats from the log agree with the store's counters and the site.
    let stats = RunStats::from_events(&events);
    assert_eq!(stats.pages_ok, record.counters.pages_ok);
    assert_eq!(stats.pages_failed, record.counters.pages_failed);
    assert_eq!(stats.pages_skipped, record.counters.pages_skipped);
    assert_eq!(stats.items_stored, record.counters.items_stored);
    assert_eq!(
        stats.items_stored as usize,
        catalog.expected_products().len()
    );
    assert_eq!(
        stats.status_codes.get(&404).copied().unwrap_or(0) as usize,
        catalog.dead_link_paths().len()
    );
    assert_eq!(stats.hosts.len(), 1);
    assert!(stats.latency.count > 0 && stats.latency.p50_millis <= stats.latency.p99_millis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_and_resumed_run_continues_its_clock_without_duplicate_page_events() {
    let (_catalog, server) = demo_shop(300).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.sqlite");
    let loaded = demo_loaded(
        &server.url(""),
        "", // concurrency from the demo spec
    );
    let engine = one_shot_engine(&path);
    let run_id = engine.submit(&loaded, None, 0).unwrap();
    // Cancel as soon as some pages are in.
    let progress = engine.progress(run_id).unwrap();
    while progress.pages_ok.load(std::sync::atomic::Ordering::Relaxed) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    engine.cancel(run_id).unwrap();
    let cancelled = engine.wait(run_id).await.unwrap();
    assert_eq!(cancelled.state, RunState::Cancelled);
    let before = stored_events(&path, run_id);
    let last_before = before.last().unwrap().seq;
    engine.shutdown().await;

    // A new engine (a new process, as far as the clock knows) resumes it.
    let engine = one_shot_engine(&path);
    engine.resume(run_id).unwrap();
    assert_eq!(
        engine.wait(run_id).await.unwrap().state,
        RunState::Succeeded
    );
    let events = stored_events(&path, run_id);
    assert!(events.iter().any(|envelope| envelope.seq > last_before));
    assert_eq!(
        &events[..before.len()],
        &before[..],
        "history was rewritten"
    );
    assert_complete_trails(&path, run_id, &events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_loses_events_is_told_how_many_and_the_crawl_goes_on() {
    let (catalog, server) = demo_shop(1500).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.sqlite");
    let engine = one_shot_engine(&path);
    // Subscribed, and never read until the run is over.
    let mut slow = engine.subscribe();
    let run_id = engine
        .submit(&demo_loaded(&server.url(""), ""), None, 0)
        .unwrap();
    let record = engine.wait(run_id).await.unwrap();
    assert_eq!(record.state, RunState::Succeeded);
    assert_eq!(
        record.counters.items_stored as usize,
        catalog.expected_products().len()
    );
    let (mut lagged, mut received) = (0_u64, 0_u64);
    while let Some(next) = slow.try_recv() {
        match next {
            Received::Lagged(missed) => lagged += missed,
            Received::Event(_) => received += 1,
        }
    }
    let published = Store::open(&path).unwrap().last_event_seq(run_id).unwrap();
    assert!(
        lagged > 0,
        "{published} events fit the channel: make the site bigger"
    );
    assert_eq!(lagged + received, published);
    assert_eq!(slow.lagged_total(), lagged);
    assert_eq!(engine.bus().lagged_total(), lagged);
    // Persistence is not a subscriber: the log is complete all the same.
    let events = stored_events(&path, run_id);
    assert_eq!(events.len() as u64, published);
    assert_complete_trails(&path, run_id, &events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_event_log_off_only_state_changes_are_stored() {
    let (catalog, server) = demo_shop(20).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.sqlite");
    let engine = one_shot_engine(&path);
    let mut live = engine.subscribe();
    let run_id = engine
        .submit(&demo_loaded(&server.url(""), "event_log = false"), None, 0)
        .unwrap();
    let record = engine.wait(run_id).await.unwrap();
    assert_eq!(record.state, RunState::Succeeded);
    assert_eq!(
        record.counters.items_stored as usize,
        catalog.expected_products().len()
    );
    let kinds: Vec<EventKind> = stored_events(&path, run_id)
        .iter()
        .map(|envelope| envelope.event.kind())
        .filter(|kind| *kind != EventKind::CheckpointCommitted)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::RunCreated,
            EventKind::RunStateChanged,
            EventKind::RunStateChanged
        ]
    );
    // Live, everything still streams.
    let mut fetched = 0;
    while let Some(Received::Event(envelope)) = live.try_recv() {
        fetched += usize::from(envelope.event.kind() == EventKind::RequestFetched);
    }
    assert!(fetched > catalog.expected_products().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_samples_are_stored_each_second_while_a_run_is_active() {
    let (_catalog, server) = demo_shop(30).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.sqlite");
    let engine = one_shot_engine(&path);
    // ~45 pages at 15 a second: about three seconds of crawling.
    let slow = "[politeness]\nconcurrency = 2\nper_host_concurrency = 2\nper_host_rate = 15.0\n";
    let source = include_str!("../../../../examples/demo.toml")
        .replace("http://127.0.0.1:8642", &server.url(""));
    let loaded = trawl_spec::parse(&format!("{source}\n{slow}"), "slow.toml").unwrap();
    let run_id = engine.submit(&loaded, None, 0).unwrap();
    assert_eq!(
        engine.wait(run_id).await.unwrap().state,
        RunState::Succeeded
    );
    let store = Store::open(&path).unwrap();
    let samples: Vec<trawl_events::ResourceSample> = store
        .samples(run_id, 0, 0)
        .unwrap()
        .iter()
        .map(|row| serde_json::from_str(&row.payload).unwrap())
        .collect();
    assert!(samples.len() >= 2, "{} samples", samples.len());
    assert!(
        samples
            .windows(2)
            .all(|pair| pair[0].at_millis < pair[1].at_millis)
    );
    let last = samples.last().unwrap();
    assert!(last.process_rss_bytes > 0 && last.store_bytes > 0);
    assert!(last.system_memory_total_bytes > 0);
    assert!(
        last.open_sockets >= 1,
        "the fixture server and the client: {last:?}"
    );
    // The gauges follow the samples.
    let metrics = engine.bus().metrics().render();
    assert!(
        metrics.contains("trawl_process_resident_memory_bytes "),
        "{metrics}"
    );
}
