//! Record and replay with real crawls: a recorded run with concurrency 16
//! replays offline (its server is gone) into a byte-identical dataset; five
//! replays give five identical datasets and event sequences; every page's
//! fetch and extraction events match the original's; a replay with a new
//! spec re-extracts, and a link the recording lacks is `not_recorded`.

use std::collections::BTreeMap;
use std::path::Path;

use trawl_engine::{Engine, EngineConfig, EngineError};
use trawl_events::{Envelope, Event, EventKind};
use trawl_store::{EventQuery, RunSource, Store};
use trawl_test_sites::catalog::Catalog;
use trawl_types::{RunId, RunState};

use super::*;

pub(crate) fn demo_source(origin: &str) -> String {
    include_str!("../../../../examples/demo.toml").replace("http://127.0.0.1:8642", origin)
}

pub(crate) fn loaded(source: &str) -> trawl_spec::LoadedSpec {
    trawl_spec::parse(source, "shop.toml").unwrap()
}

pub(crate) async fn run_to_end(engine: &Engine, run_id: RunId) -> trawl_store::RunRecord {
    let record = tokio::time::timeout(std::time::Duration::from_secs(120), engine.wait(run_id))
        .await
        .expect("the run did not settle")
        .unwrap();
    assert_eq!(record.state, RunState::Succeeded, "{record:?}");
    record
}

/// A finished recorded crawl of the demo spec (plus `politeness`, a TOML
/// table body) over a shop of `products`; the site is gone by the time this
/// returns, so whatever follows is offline.
pub(crate) struct Recorded {
    pub catalog: Arc<Catalog>,
    /// Where the site was (nothing answers there any more).
    pub origin: String,
    pub path: std::path::PathBuf,
    pub engine: Engine,
    pub run: RunId,
    pub record: trawl_store::RunRecord,
    /// Holds the store and the recording: dropping it deletes them.
    pub dir: tempfile::TempDir,
}

pub(crate) async fn record_demo(products: u32, politeness: &str) -> Recorded {
    let (catalog, server) = demo_shop(products).await;
    record_site(catalog, server, politeness).await
}

/// [`record_demo`] of a shop already being served.
async fn record_site(
    catalog: Arc<Catalog>,
    server: trawl_test_sites::server::TestServer,
    politeness: &str,
) -> Recorded {
    let origin = server.url("");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.sqlite");
    let engine = Engine::start(&path, EngineConfig::default()).unwrap();
    let spec = format!("{}\n[politeness]\n{politeness}\n", demo_source(&origin));
    let run = engine
        .submit_with(
            &loaded(&spec),
            None,
            0,
            RunSource {
                record: true,
                ..RunSource::default()
            },
        )
        .unwrap();
    let record = run_to_end(&engine, run).await;
    server.shutdown().await;
    Recorded {
        catalog,
        origin,
        path,
        engine,
        run,
        record,
        dir,
    }
}

/// The run's dataset as its JSONL export.
fn export(path: &Path, run_id: RunId, dir: &Path) -> Vec<u8> {
    let store = Store::open(path).unwrap();
    let file = dir.join(format!("run-{run_id}.jsonl"));
    trawl_export::export(&store, run_id, trawl_export::ExportFormat::Jsonl, &file).unwrap();
    std::fs::read(file).unwrap()
}

fn events(path: &Path, run_id: RunId) -> Vec<Envelope> {
    let store = Store::open(path).unwrap();
    store
        .events(run_id, &EventQuery::default())
        .unwrap()
        .iter()
        .map(|row| trawl_engine::decode_event(run_id, row).unwrap())
        .collect()
}

/// Events without what may differ between two executions of the same
/// decisions: the wall clock and the run's own numbering and name.
fn decisions(events: &[Envelope]) -> Vec<serde_json::Value> {
    events
        .iter()
        .filter(|envelope| {
            !matches!(
                envelope.event,
                Event::RunCreated { .. } | Event::CheckpointCommitted { .. }
            )
        })
        .map(|envelope| serde_json::to_value(&envelope.event).unwrap())
        .collect()
}

/// Per page: its fetch and extraction events (what the page itself said,
/// whatever the order the crawl visited pages in). Which of a page's links
/// were new depends on that order (another page may have found them first),
/// so `links_followed` and `links_filtered` are left out.
fn per_page(events: &[Envelope]) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut pages: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for envelope in events {
        let kind = envelope.event.kind();
        if !matches!(
            kind,
            EventKind::RequestStarted
                | EventKind::RequestRetried
                | EventKind::RequestFetched
                | EventKind::RequestFailed
                | EventKind::RequestSkipped
                | EventKind::PageExtracted
                | EventKind::ItemDropped
        ) {
            continue;
        }
        let Some(url) = envelope.event.url() else {
            continue;
        };
        let mut value = serde_json::to_value(&envelope.event).unwrap();
        if let Some(fields) = value.as_object_mut() {
            fields.remove("links_followed");
            fields.remove("links_filtered");
        }
        pages.entry(url.to_owned()).or_default().push(value);
    }
    pages
}

fn assert_same_pages(
    replay: &BTreeMap<String, Vec<serde_json::Value>>,
    original: &BTreeMap<String, Vec<serde_json::Value>>,
) {
    assert_eq!(
        replay.keys().collect::<Vec<_>>(),
        original.keys().collect::<Vec<_>>()
    );
    for (url, events) in replay {
        assert_eq!(events, &original[url], "the page {url} went differently");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_run_replays_offline_into_the_same_dataset_every_time() {
    let Recorded {
        catalog,
        path,
        engine,
        run: original,
        record: recorded,
        dir: _dir,
        ..
    } = record_demo(120, "concurrency = 64\nper_host_concurrency = 64").await;
    assert_eq!(
        recorded.counters.items_stored as usize,
        catalog.expected_products().len()
    );
    let recording = engine.recording_dir(original);
    assert!(recording.join("trawl-1-00000.warc.gz").exists());
    assert!(recording.join("trawl-1.index.jsonl").exists());

    let exports = tempfile::tempdir().unwrap();
    let original_export = export(&path, original, exports.path());
    let original_events = events(&path, original);
    let mut replay_decisions = Vec::new();
    for _ in 0..5 {
        let replay = engine.submit_replay(original, None).unwrap();
        let record = run_to_end(&engine, replay).await;
        assert_eq!(record.counters.pages_ok, recorded.counters.pages_ok);
        assert_eq!(record.counters.pages_failed, recorded.counters.pages_failed);
        assert_eq!(
            export(&path, replay, exports.path()),
            original_export,
            "replay {replay} gave another dataset"
        );
        let replay_events = events(&path, replay);
        assert_same_pages(&per_page(&replay_events), &per_page(&original_events));
        replay_decisions.push(decisions(&replay_events));
    }
    assert!(
        replay_decisions.windows(2).all(|pair| pair[0] == pair[1]),
        "two replays made different decisions"
    );
    assert!(replay_decisions[0].len() > 400);
}

/// A site that gzips its pages, as most do: the recording keeps the bytes
/// as sent (with their `Content-Encoding`, a third of the pages' size) and
/// the replay decodes them into the same dataset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzipping_site_is_recorded_as_sent_and_replays_the_same() {
    use trawl_test_sites::catalog::CatalogConfig;
    use trawl_test_sites::server::{TestServer, catalog_handler, gzipped};
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products: 60,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start(gzipped(catalog_handler(catalog.clone())))
        .await
        .unwrap();
    let Recorded {
        path,
        engine,
        run: original,
        record: recorded,
        dir: _dir,
        ..
    } = record_site(catalog.clone(), server, "concurrency = 8").await;
    assert_eq!(
        recorded.counters.items_stored as usize,
        catalog.expected_products().len()
    );

    let warc = engine.recording_dir(original).join("trawl-1-00000.warc.gz");
    let mut records = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&warc).unwrap()),
        &mut records,
    )
    .unwrap();
    let text = String::from_utf8_lossy(&records);
    let gzipped_responses = text.matches("\r\nContent-Encoding: gzip\r\n").count();
    assert!(
        gzipped_responses as u64 >= recorded.counters.pages_ok,
        "{gzipped_responses} gzip responses recorded for {} pages",
        recorded.counters.pages_ok
    );
    let warc_bytes = std::fs::metadata(&warc).unwrap().len();
    assert!(
        warc_bytes < recorded.counters.bytes_fetched / 2,
        "{warc_bytes} bytes recorded for {} fetched",
        recorded.counters.bytes_fetched
    );

    let exports = tempfile::tempdir().unwrap();
    let replay = engine.submit_replay(original, None).unwrap();
    let record = run_to_end(&engine, replay).await;
    assert_eq!(record.counters.pages_ok, recorded.counters.pages_ok);
    assert_eq!(
        record.counters.bytes_fetched,
        recorded.counters.bytes_fetched
    );
    assert_eq!(
        export(&path, replay, exports.path()),
        export(&path, original, exports.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_with_a_new_spec_re_extracts_and_reports_what_it_lacks() {
    // Recorded with cart pages denied, as the demo spec does.
    let Recorded {
        catalog,
        origin,
        path,
        engine,
        run: original,
        dir: _dir,
        ..
    } = record_demo(30, "").await;

    // New link rules: the cart pages followed this time.
    let changed = format!(
        "{}\n[politeness]\nobey_robots = false\n",
        demo_source(&origin).replace("deny = [\"/cart\"]", "deny = [\"/nothing-denied\"]")
    );
    assert_ne!(changed, demo_source(&origin), "the edit did not apply");
    let replay = engine
        .submit_replay(original, Some(&loaded(&changed)))
        .unwrap();
    let record = engine.wait(replay).await.unwrap();
    assert!(matches!(
        record.state,
        RunState::Succeeded | RunState::Failed
    ));
    let store = Store::open(&path).unwrap();
    let outcomes = store.page_outcomes(replay, 0, usize::MAX).unwrap();
    let not_recorded: Vec<_> = outcomes
        .iter()
        .filter(|page| page.outcome == "not_recorded")
        .collect();
    assert!(
        !not_recorded.is_empty(),
        "the cart pages were never recorded"
    );
    assert!(not_recorded.iter().all(|page| page.url.contains("/cart")));
    assert_eq!(
        record.counters.items_stored as usize,
        catalog.expected_products().len()
    );

    // A run without a recording cannot be replayed.
    let plain = engine
        .submit(&loaded(&demo_source(&origin)), None, 0)
        .unwrap();
    let _ = engine.wait(plain).await;
    assert!(matches!(
        engine.submit_replay(plain, None),
        Err(EngineError::NoRecording { .. })
    ));
}
