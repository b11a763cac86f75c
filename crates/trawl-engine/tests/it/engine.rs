//! The engine as the single execution authority: queueing with a run limit
//! and priorities, pause/resume cycles, cancel in every state, illegal
//! transitions, start-up recovery, the lifecycle event stream, and the time a
//! cancel takes with 256 requests in flight. Real sockets, real SQLite files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use trawl_engine::{Engine, EngineConfig, EngineError, PauseMode, Reason, TransitionError};
use trawl_events::{Envelope, Event, Received, Subscription};
use trawl_spec::LoadedSpec;
use trawl_store::Store;
use trawl_test_sites::catalog::Catalog;
use trawl_test_sites::server::TestServer;
use trawl_types::{RunId, RunState};

use super::*;

/// Generous bound for anything that should take milliseconds, on a shared machine.
const PATIENCE: Duration = Duration::from_secs(120);

fn loaded(source: &str) -> LoadedSpec {
    match trawl_spec::parse(source, "test.toml") {
        Ok(loaded) => loaded,
        Err(error) => panic!("test spec invalid: {error}"),
    }
}

/// The demo spec against `origin`, slowed down (`concurrency`, `rate`) so
/// that pauses and cancels land mid-crawl.
fn slow_demo(origin: &str, concurrency: u32, rate: f64) -> LoadedSpec {
    let source =
        include_str!("../../../../examples/demo.toml").replace("http://127.0.0.1:8642", origin);
    loaded(&format!(
        "{source}\n[politeness]\nconcurrency = {concurrency}\nper_host_concurrency = {concurrency}\nper_host_rate = {rate}\n"
    ))
}

struct Site {
    catalog: Arc<Catalog>,
    server: TestServer,
}

async fn site(products: u32) -> Site {
    let (catalog, server) = demo_shop(products).await;
    Site { catalog, server }
}

fn store_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("trawl.sqlite")
}

/// The tests' engine settings: `max_concurrent_runs` slots, and no recovery
/// of earlier runs unless a test asks for it.
fn config(max_concurrent_runs: usize) -> EngineConfig {
    EngineConfig {
        max_concurrent_runs,
        recover_runs: false,
        ..EngineConfig::default()
    }
}

fn engine(path: &Path, max_concurrent_runs: usize) -> Engine {
    Engine::start(path, config(max_concurrent_runs)).unwrap()
}

async fn wait(engine: &Engine, run_id: RunId) -> trawl_store::RunRecord {
    match tokio::time::timeout(PATIENCE, engine.wait(run_id)).await {
        Ok(Ok(record)) => record,
        Ok(Err(error)) => panic!("run {run_id} stopped: {error:?}"),
        Err(_) => panic!("run {run_id} did not settle within {PATIENCE:?}"),
    }
}

/// Waits until the run's live `pages_ok` reaches `pages`.
async fn wait_for_pages(engine: &Engine, run_id: RunId, pages: u64) {
    let progress = engine.progress(run_id).unwrap();
    let started = Instant::now();
    while progress.pages_ok.load(Ordering::Relaxed) < pages {
        assert!(started.elapsed() < PATIENCE, "run {run_id} stuck");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Asserts the run's items are exactly the catalog's products, once each,
/// and every polite page was fetched once across all attempts.
fn assert_exact_dataset(path: &Path, run_id: RunId, catalog: &Catalog) {
    let store = Store::open(path).unwrap();
    let items = all_items(&store, run_id);
    let keys: BTreeSet<String> = items.iter().map(|item| item.key.clone().unwrap()).collect();
    let expected: BTreeSet<String> = catalog
        .expected_products()
        .into_iter()
        .map(|product| product.sku)
        .collect();
    assert_eq!(items.len(), keys.len(), "duplicate items in run {run_id}");
    assert_eq!(keys, expected, "dataset of run {run_id}");
    let record = store.run(run_id).unwrap();
    let polite_pages = catalog.html_page_paths().len() - catalog.robots_disallowed_paths().len();
    assert_eq!(record.counters.pages_ok as usize, polite_pages);
    assert_eq!(record.counters.items_duplicate, 0);
    assert_eq!(record.counters.items_stored as usize, expected.len());
}

/// A lifecycle event without its timestamp, for comparing sequences.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Created(RunId, i32),
    Changed(RunId, RunState, RunState, &'static str),
}

impl Seen {
    fn changed(run_id: RunId, from: RunState, to: RunState, reason: Reason) -> Seen {
        Seen::Changed(run_id, from, to, reason.name())
    }
}

/// The lifecycle events among everything the bus carries.
fn seen(envelope: &Envelope) -> Option<Seen> {
    match &envelope.event {
        Event::RunCreated { priority, .. } => Some(Seen::Created(envelope.run_id, *priority)),
        Event::RunStateChanged {
            from, to, reason, ..
        } => {
            let name = [
                Reason::Started,
                Reason::Requeued,
                Reason::PauseRequested,
                Reason::Shutdown,
                Reason::Orphaned,
                Reason::CancelRequested,
                Reason::Completed,
                Reason::Error(String::new()),
            ]
            .into_iter()
            .map(|reason| reason.name())
            .find(|name| name == reason)
            .unwrap_or_else(|| panic!("unknown reason {reason}"));
            Some(Seen::Changed(envelope.run_id, *from, *to, name))
        }
        _ => None,
    }
}

/// Every lifecycle event received so far (the engine has settled, so none
/// is pending). These tests read little enough that nothing may be lost.
fn drain(subscription: &mut Subscription) -> Vec<Seen> {
    let mut events = Vec::new();
    while let Some(received) = subscription.try_recv() {
        match received {
            Received::Event(envelope) => events.extend(seen(&envelope)),
            Received::Lagged(missed) => panic!("the test lost {missed} events"),
        }
    }
    events
}

fn started(events: &[Seen]) -> Vec<RunId> {
    events
        .iter()
        .filter_map(|event| match event {
            Seen::Changed(run_id, _, RunState::Running, _) => Some(*run_id),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_slot_the_second_run_waits_queued_then_runs() {
    let site = site(60).await;
    let origin = site.server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let engine = engine(&path, 1);
    let mut events = engine.subscribe();

    let first = engine
        .submit(&slow_demo(&origin, 4, 300.0), None, 0)
        .unwrap();
    let second = engine
        .submit(&slow_demo(&origin, 4, 300.0), None, 0)
        .unwrap();
    let waiting = engine.run(second).unwrap();
    assert_eq!(waiting.record.state, RunState::Queued);
    assert!(waiting.progress.is_some(), "a queued run is active here");
    wait_for_pages(&engine, first, 5).await;
    assert_eq!(engine.run(second).unwrap().record.state, RunState::Queued);

    assert_eq!(wait(&engine, first).await.state, RunState::Succeeded);
    assert_eq!(wait(&engine, second).await.state, RunState::Succeeded);
    let events = drain(&mut events);
    // The second started only after the first finished.
    let first_done = events
        .iter()
        .position(|event| matches!(event, Seen::Changed(run_id, _, RunState::Succeeded, _) if *run_id == first))
        .unwrap();
    let second_started = events
        .iter()
        .position(|event| matches!(event, Seen::Changed(run_id, RunState::Queued, RunState::Running, _) if *run_id == second))
        .unwrap();
    assert!(first_done < second_started, "{events:#?}");
    assert!(engine.run(first).unwrap().progress.is_none());
    assert_exact_dataset(&path, first, &site.catalog);
    assert_exact_dataset(&path, second, &site.catalog);
}

/// "Checkpointing off", the benchmark's comparison: nothing of the run is
/// committed (visible to another connection) before it ends, and then all
/// of it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_checkpoints_at_end_the_run_commits_once_when_it_ends() {
    let site = site(120).await;
    let origin = site.server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let engine = Engine::start(
        &path,
        EngineConfig {
            checkpoints: trawl_engine::Checkpoints::AtEnd,
            ..config(1)
        },
    )
    .unwrap();
    let run_id = engine
        .submit(&slow_demo(&origin, 4, 100.0), None, 0)
        .unwrap();
    // About 160 pages at 100 a second; this is well past the batched checkpoints' 200 ms bound.
    wait_for_pages(&engine, run_id, 30).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reader = Store::open(&path).unwrap();
    let items = reader.items_page(run_id, 0, 10).unwrap();
    let done = reader.frontier_counts(run_id).unwrap().done;
    assert_eq!(engine.run(run_id).unwrap().record.state, RunState::Running);
    assert!(items.is_empty(), "{} items committed mid-run", items.len());
    assert_eq!(done, 0);

    assert_eq!(wait(&engine, run_id).await.state, RunState::Succeeded);
    assert_exact_dataset(&path, run_id, &site.catalog);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priorities_order_the_queue_then_first_come_first_served() {
    let site = site(12).await;
    let origin = site.server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let engine = engine(&path, 1);
    let mut events = engine.subscribe();

    // The first takes the slot; the rest queue behind it.
    let spec = slow_demo(&origin, 2, 100.0);
    let running = engine.submit(&spec, None, 0).unwrap();
    let low = engine.submit(&spec, None, -1).unwrap();
    let normal = engine.submit(&spec, None, 0).unwrap();
    let high_first = engine.submit(&spec, None, 5).unwrap();
    let high_second = engine.submit(&spec, None, 5).unwrap();
    for run_id in [running, low, normal, high_first, high_second] {
        assert_eq!(wait(&engine, run_id).await.state, RunState::Succeeded);
    }
    let order = started(&drain(&mut events));
    assert_eq!(order, vec![running, high_first, high_second, normal, low]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_cycles_end_with_the_exact_dataset() {
    let site = site(240).await;
    let origin = site.server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let engine = engine(&path, 2);
    let run_id = engine
        .submit(&slow_demo(&origin, 4, 400.0), None, 0)
        .unwrap();

    let cycles = [
        (20, PauseMode::FinishInFlight),
        (80, PauseMode::AbortInFlight),
        (150, PauseMode::FinishInFlight),
        (200, PauseMode::AbortInFlight),
    ];
    for (pages, mode) in cycles {
        wait_for_pages(&engine, run_id, pages).await;
        engine.pause(run_id, mode).unwrap();
        // A second pause while pausing is a no-op.
        engine.pause(run_id, mode).unwrap();
        let record = wait(&engine, run_id).await;
        assert_eq!(
            record.state,
            RunState::Paused,
            "pause at {pages} ({mode:?})"
        );
        // Every page that finished was committed, whatever the mode.
        let live = engine.progress(run_id).unwrap().snapshot();
        assert_eq!(record.counters.pages_ok, live.pages_ok, "{mode:?}");
        assert_eq!(live.in_flight, 0);
        let pending = Store::open(&path)
            .unwrap()
            .frontier_counts(run_id)
            .unwrap()
            .pending;
        assert!(pending > 0, "paused at {pages} with nothing pending");
        // Paused stays paused: nothing is fetched meanwhile.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            engine.progress(run_id).unwrap().snapshot().pages_ok,
            live.pages_ok
        );
        engine.resume(run_id).unwrap();
    }
    assert_eq!(wait(&engine, run_id).await.state, RunState::Succeeded);
    assert_exact_dataset(&path, run_id, &site.catalog);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_works_on_queued_running_and_paused_runs() {
    let site = site(240).await;
    let origin = site.server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let engine = engine(&path, 1);
    let mut events = engine.subscribe();
    let spec = slow_demo(&origin, 4, 300.0);

    let paused = engine.submit(&spec, None, 0).unwrap();
    let queued = engine.submit(&spec, None, 0).unwrap();
    engine.cancel(queued).unwrap();
    assert_eq!(wait(&engine, queued).await.state, RunState::Cancelled);

    wait_for_pages(&engine, paused, 10).await;
    engine.pause(paused, PauseMode::FinishInFlight).unwrap();
    assert_eq!(wait(&engine, paused).await.state, RunState::Paused);
    engine.cancel(paused).unwrap();
    let record = wait(&engine, paused).await;
    assert_eq!(record.state, RunState::Cancelled);
    assert!(record.finished_at_millis.is_some());

    let running = engine.submit(&spec, None, 0).unwrap();
    wait_for_pages(&engine, running, 10).await;
    engine.cancel(running).unwrap();
    let record = wait(&engine, running).await;
    assert_eq!(record.state, RunState::Cancelled);
    // Finished pages are committed, unfinished ones stay pending.
    let store = Store::open(&path).unwrap();
    assert!(store.frontier_counts(running).unwrap().pending > 0);
    assert_eq!(
        record.counters.items_stored,
        all_items(&store, running).len() as u64
    );

    let events = drain(&mut events);
    let changes = |wanted: RunId| -> Vec<(RunState, RunState)> {
        events
            .iter()
            .filter_map(|event| match event {
                Seen::Changed(run_id, from, to, _) if *run_id == wanted => Some((*from, *to)),
                _ => None,
            })
            .collect()
    };
    use RunState::{Cancelled, Paused, Queued, Running};
    assert_eq!(changes(queued), vec![(Queued, Cancelled)]);
    assert_eq!(
        changes(paused),
        vec![(Queued, Running), (Running, Paused), (Paused, Cancelled)]
    );
    assert_eq!(
        changes(running),
        vec![(Queued, Running), (Running, Cancelled)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn illegal_transitions_are_rejected_and_change_nothing() {
    let site = site(12).await;
    let origin = site.server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let engine = engine(&path, 1);
    let spec = slow_demo(&origin, 2, 50.0);
    let done = engine.submit(&spec, None, 0).unwrap();
    let queued = engine.submit(&spec, None, 0).unwrap();

    // Pausing a queued run: queued -> paused is not an edge.
    assert!(matches!(
        engine.pause(queued, PauseMode::FinishInFlight),
        Err(EngineError::Lifecycle(TransitionError::Illegal {
            from: RunState::Queued,
            to: RunState::Paused,
            ..
        }))
    ));
    assert_eq!(wait(&engine, done).await.state, RunState::Succeeded);
    assert_eq!(wait(&engine, queued).await.state, RunState::Succeeded);

    let mut events = engine.subscribe();
    let illegal = |result: Result<(), EngineError>, to: RunState| match result {
        Err(EngineError::Lifecycle(TransitionError::Illegal {
            run_id,
            from: RunState::Succeeded,
            to: refused,
        })) => assert_eq!((run_id, refused), (done, to)),
        other => panic!("expected succeeded -> {to} to be refused, got {other:?}"),
    };
    illegal(engine.resume(done), RunState::Running);
    illegal(
        engine.pause(done, PauseMode::AbortInFlight),
        RunState::Paused,
    );
    illegal(engine.cancel(done), RunState::Cancelled);
    assert_eq!(engine.run(done).unwrap().record.state, RunState::Succeeded);
    assert!(
        drain(&mut events).is_empty(),
        "a refused change emitted an event"
    );
    assert!(matches!(
        engine.resume(RunId(999)),
        Err(EngineError::Store(trawl_store::StoreError::RunNotFound(
            RunId(999)
        )))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_interrupts_and_start_up_recovery_resumes_to_the_exact_dataset() {
    let site = site(240).await;
    let origin = site.server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);

    // Process 1: shut down mid-run (what the first Ctrl-C does).
    let first = engine(&path, 1);
    let run_id = first
        .submit(&slow_demo(&origin, 4, 400.0), None, 0)
        .unwrap();
    wait_for_pages(&first, run_id, 40).await;
    first.shutdown().await;
    let record = wait(&first, run_id).await;
    assert_eq!(record.state, RunState::Interrupted);
    assert!(matches!(
        first.submit(&slow_demo(&origin, 4, 400.0), None, 0),
        Err(EngineError::ShuttingDown)
    ));
    drop(first);

    // Process 2 dies mid-run without a word: the row is left `running`.
    let second = engine(&path, 1);
    second.resume(run_id).unwrap();
    wait_for_pages(&second, run_id, 120).await;
    second.pause(run_id, PauseMode::AbortInFlight).unwrap();
    assert_eq!(wait(&second, run_id).await.state, RunState::Paused);
    drop(second);
    Store::open(&path)
        .unwrap()
        .set_run_state(run_id, RunState::Running, None)
        .unwrap();

    // Process 3 recovers it at start-up and finishes it.
    let third = Engine::start(
        &path,
        EngineConfig {
            recover_runs: true,
            ..config(1)
        },
    )
    .unwrap();
    let startup: Vec<Seen> = third
        .startup_events()
        .iter()
        .filter_map(|envelope| seen(envelope))
        .collect();
    assert_eq!(
        startup,
        vec![
            Seen::changed(
                run_id,
                RunState::Running,
                RunState::Interrupted,
                Reason::Orphaned
            ),
            Seen::changed(
                run_id,
                RunState::Interrupted,
                RunState::Queued,
                Reason::Requeued
            ),
        ]
    );
    assert_eq!(wait(&third, run_id).await.state, RunState::Succeeded);
    assert_exact_dataset(&path, run_id, &site.catalog);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_has_every_transition_in_order() {
    let site = site(120).await;
    let origin = site.server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let engine = engine(&path, 1);
    let mut events = engine.subscribe();

    let run_id = engine
        .submit(&slow_demo(&origin, 4, 400.0), None, 3)
        .unwrap();
    wait_for_pages(&engine, run_id, 20).await;
    engine.pause(run_id, PauseMode::FinishInFlight).unwrap();
    assert_eq!(wait(&engine, run_id).await.state, RunState::Paused);
    engine.resume(run_id).unwrap();
    assert_eq!(wait(&engine, run_id).await.state, RunState::Succeeded);
    use RunState::{Paused, Queued, Running, Succeeded};
    assert_eq!(
        drain(&mut events),
        vec![
            Seen::Created(run_id, 3),
            Seen::changed(run_id, Queued, Running, Reason::Started),
            Seen::changed(run_id, Running, Paused, Reason::PauseRequested),
            Seen::changed(run_id, Paused, Running, Reason::Started),
            Seen::changed(run_id, Running, Succeeded, Reason::Completed),
        ]
    );
}

/// Issue 3 asks for the time from cancel to `cancelled` with 256 requests in
/// flight against a slow server (target: under 250 ms). The bound asserted
/// here is looser so a busy shared machine does not make it flaky; the
/// measured figure is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_with_256_requests_in_flight_is_fast() {
    const IN_FLIGHT: usize = 256;
    let server = TestServer::start(trawl_test_sites::hostile::hostile_handler())
        .await
        .unwrap();
    let origin = server.url("");
    let start_urls: Vec<String> = (0..IN_FLIGHT)
        .map(|index| format!("\"{origin}/no-headers?request={index}\""))
        .collect();
    let spec = loaded(&format!(
        r#"
        start_urls = [{}]
        [request]
        retries = 0
        first_byte_timeout_secs = 300
        timeout_secs = 300
        [politeness]
        obey_robots = false
        concurrency = {IN_FLIGHT}
        per_host_concurrency = {IN_FLIGHT}
        [[extract]]
        fields.title = "title"
        "#,
        start_urls.join(", ")
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let engine = engine(&path, 1);
    let run_id = engine.submit(&spec, None, 0).unwrap();
    let progress = engine.progress(run_id).unwrap();
    let started = Instant::now();
    while progress.in_flight.load(Ordering::Relaxed) < IN_FLIGHT as u64 {
        assert!(started.elapsed() < PATIENCE, "requests never got in flight");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Let the requests reach the server (connect and send) before cancelling.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(engine.run(run_id).unwrap().record.state, RunState::Running);

    let cancel_started = Instant::now();
    engine.cancel(run_id).unwrap();
    let record = wait(&engine, run_id).await;
    let latency = cancel_started.elapsed();
    eprintln!(
        "cancel latency with {IN_FLIGHT} requests in flight: {:.1} ms",
        latency.as_secs_f64() * 1000.0
    );
    assert_eq!(record.state, RunState::Cancelled);
    assert!(
        latency < Duration::from_secs(2),
        "cancel took {latency:?} with {IN_FLIGHT} requests in flight"
    );
    let counts = Store::open(&path).unwrap().frontier_counts(run_id).unwrap();
    assert_eq!((counts.pending, counts.done), (IN_FLIGHT as u64, 0));
}
