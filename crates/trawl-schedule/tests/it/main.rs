//! The scheduler firing through the real engine: real SQLite files, a catalog
//! fixture site on 127.0.0.1, the real clock in one test and a manual clock
//! (moved, never slept on) in the others.
#![allow(clippy::unwrap_used)]

mod runner;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use trawl_engine::{Engine, EngineConfig};
use trawl_schedule::{
    Clock, MissedRunPolicy, OverlapPolicy, Schedule, ScheduleConfig, ScheduleEvent, ScheduleTarget,
    Scheduler, SchedulerHandle, fire,
};
use trawl_store::{RunRecord, Store};
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{TestServer, catalog_handler};
use trawl_types::{RunId, RunState};

/// Generous bound for anything that should take well under a second.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// How often the schedulers under test tick.
pub const TICK: Duration = Duration::from_millis(20);

pub struct Site {
    pub catalog: Arc<Catalog>,
    pub server: TestServer,
}

pub async fn site(products: u32) -> Site {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products,
        per_page: 12,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start(catalog_handler(catalog.clone()))
        .await
        .unwrap();
    Site { catalog, server }
}

/// The demo spec against `origin`, with `extra` TOML appended.
pub fn spec_text(origin: &str, extra: &str) -> String {
    let source =
        include_str!("../../../../examples/demo.toml").replace("http://127.0.0.1:8642", origin);
    format!("{source}\n{extra}")
}

/// A data directory: the store path and a spec file next to it.
pub struct DataDir {
    pub dir: tempfile::TempDir,
}

impl DataDir {
    pub fn temp() -> DataDir {
        DataDir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn store_path(&self) -> PathBuf {
        self.dir.path().join("trawl.sqlite")
    }

    pub fn spec_path(&self) -> PathBuf {
        self.dir.path().join("shop.toml")
    }

    pub fn store(&self) -> Store {
        Store::open(&self.store_path()).unwrap()
    }
}

pub fn engine(path: &Path, max_concurrent_runs: usize) -> Arc<Engine> {
    Arc::new(
        Engine::start(
            path,
            EngineConfig {
                max_concurrent_runs,
                recover_runs: false,
                ..EngineConfig::default()
            },
        )
        .unwrap(),
    )
}

pub fn schedule_config(cron: &str, overlap: OverlapPolicy, spec: &Path) -> ScheduleConfig {
    ScheduleConfig {
        name: "shop".to_owned(),
        cron: cron.to_owned(),
        time_zone: "UTC".to_owned(),
        jitter: Duration::ZERO,
        overlap,
        missed: MissedRunPolicy::Skip,
        target: ScheduleTarget::SpecFile(spec.to_path_buf()),
        paused: false,
    }
}

pub fn add_schedule(data: &DataDir, config: &ScheduleConfig, clock: &dyn Clock) -> Schedule {
    fire::add_schedule(&data.store(), config, clock.now()).unwrap()
}

pub fn start_scheduler(
    engine: &Arc<Engine>,
    data: &DataDir,
    clock: Arc<dyn Clock>,
) -> SchedulerHandle {
    Scheduler::start(engine.clone(), &data.store_path(), clock, TICK).unwrap()
}

/// The next event `pick` accepts (others are skipped), within [`PATIENCE`].
pub async fn next_event<T>(
    events: &mut broadcast::Receiver<ScheduleEvent>,
    mut pick: impl FnMut(&ScheduleEvent) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            let event = events.recv().await.unwrap();
            if let Some(picked) = pick(&event) {
                return picked;
            }
        }
    };
    tokio::time::timeout(PATIENCE, wait)
        .await
        .expect("no matching schedule event in time")
}

/// The run of the next `Fired` event.
pub async fn next_fired(events: &mut broadcast::Receiver<ScheduleEvent>) -> RunId {
    next_event(events, |event| match event {
        ScheduleEvent::Fired { run_id, .. } => Some(*run_id),
        _ => None,
    })
    .await
}

pub async fn wait_run(engine: &Engine, run_id: RunId) -> RunRecord {
    match tokio::time::timeout(PATIENCE, engine.wait(run_id)).await {
        Ok(Ok(record)) => record,
        Ok(Err(error)) => panic!("run {run_id} stopped: {error:?}"),
        Err(_) => panic!("run {run_id} did not settle in time"),
    }
}

/// The run succeeded with exactly the catalog's products, once each.
pub async fn assert_succeeded_with_catalog(
    engine: &Engine,
    data: &DataDir,
    run_id: RunId,
    catalog: &Catalog,
) {
    let record = wait_run(engine, run_id).await;
    assert_eq!(record.state, RunState::Succeeded, "run {run_id}");
    let store = data.store();
    let mut keys = Vec::new();
    store
        .for_each_item(run_id, |item| {
            keys.push(item.key.unwrap());
            Ok::<(), trawl_store::StoreError>(())
        })
        .unwrap();
    let unique: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), unique.len(), "duplicate items in run {run_id}");
    let expected: BTreeSet<String> = catalog
        .expected_products()
        .into_iter()
        .map(|product| product.sku)
        .collect();
    assert_eq!(unique, expected, "dataset of run {run_id}");
}
