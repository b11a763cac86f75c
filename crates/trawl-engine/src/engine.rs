//! The engine: the one owner of a data directory's runs in this process.
//!
//! Every way of starting work asks it (CLI today; API, scheduler and agents
//! later) instead of driving a [`Crawl`] itself, so the run lifecycle, the
//! queue (priorities, a limit of concurrent runs) and cancellation live in one
//! place. Each running run is a task with its own store connection (the
//! crawl's writer thread owns it); the engine keeps a second connection for
//! the catalog (creating runs, state changes of runs that are not running,
//! reads). Every state change goes through [`lifecycle::apply`]: validated,
//! persisted, then published on the engine's [`EventBus`] (one
//! [`RunEmitter`] per run numbers its events), which every run's crawl
//! publishes on too; [`Engine::subscribe`] reads it.
//!
//! Which process may run an engine on a data directory is decided by its
//! caller (`trawl`'s `owner.rs`: an advisory lock, and a server other
//! commands become clients of); the compare-and-set of each state change
//! remains the last line of defence against a second process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use trawl_events::{Envelope, Event, EventBus, RunEmitter, Subscription};
use trawl_governor::adaptive::{Controller, RunLimit, Signals};
use trawl_governor::pressure::Pressure;
use trawl_spec::LoadedSpec;
use trawl_store::{NewRun, RunRecord, RunSource, Store};
use trawl_types::{RunId, RunState};

use crate::crawl::{Crawl, CrawlLimits, CrawlMode, PauseMode, PauseRequest};
use crate::lifecycle::{self, Reason};
use crate::progress::{Progress, ProgressSnapshot};
use crate::writer::Checkpoints;
use crate::{EngineError, lock};

/// How an [`Engine`] schedules and recovers runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Runs crawling at once; further runs wait `queued` (at least 1 is used).
    pub max_concurrent_runs: usize,
    /// At start, mark runs left `running` as `interrupted` (their process
    /// died) and queue them, and runs left `queued`, to run again.
    ///
    /// For a long-lived engine (`trawl serve`). A one-shot CLI engine turns it
    /// off: without the data-directory lock it cannot tell a dead owner from
    /// another live `trawl run`, and it should run only what it was asked to.
    pub recover_runs: bool,
    /// Requests in flight across every run of the engine (at least 1).
    pub max_requests_in_flight: usize,
    /// The process's memory ceiling: runs slow their intake to stay under
    /// it (see `trawl_governor::pressure`). `None`: no ceiling.
    pub memory_ceiling_bytes: Option<u64>,
    /// When crawls' work becomes durable: [`Checkpoints::Batched`] except
    /// in the benchmark's comparison.
    pub checkpoints: Checkpoints,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_concurrent_runs: 2,
            recover_runs: true,
            max_requests_in_flight: 512,
            memory_ceiling_bytes: None,
            checkpoints: Checkpoints::Batched,
        }
    }
}

/// A run as the engine sees it: the stored record, plus live counters while
/// the run is queued or running in this engine.
#[derive(Debug, Clone)]
pub struct RunView {
    pub record: RunRecord,
    /// `None` when the run is not active here (its stored counters are final).
    pub progress: Option<ProgressSnapshot>,
}

/// Handle to the engine; clones share it.
///
/// Dropping it does not stop runs (they are tasks on the runtime): call
/// [`Engine::shutdown`] to checkpoint and stop them.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Engine")
            .field("store_path", &self.shared.store_path)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    store_path: PathBuf,
    config: EngineConfig,
    runtime: tokio::runtime::Handle,
    /// The catalog connection. Lock order: `registry`, then `store`.
    store: Mutex<Store>,
    registry: Mutex<Registry>,
    bus: Arc<EventBus>,
    /// Requests in flight across runs (`max_requests_in_flight`).
    global_requests: Arc<Semaphore>,
    /// Memory ceiling, reservations and event-loop lag, for every run.
    pressure: Arc<Pressure>,
    /// Bumped whenever a run leaves the registry (or its queue changes), so
    /// [`Engine::wait`] re-checks instead of polling.
    changes: watch::Sender<u64>,
    /// Transitions made by start-up recovery, before anyone could subscribe.
    startup_events: Vec<Arc<Envelope>>,
}

#[derive(Default)]
struct Registry {
    /// Runs with a crawl task (running, or pausing/cancelling).
    active: HashMap<RunId, ActiveRun>,
    /// Runs waiting `queued` for a slot.
    waiting: Vec<Waiting>,
    /// FIFO order among equal priorities.
    next_seq: u64,
    shutting_down: bool,
    /// Live counters of every run this engine touched; reused on resume.
    progress: HashMap<RunId, Arc<Progress>>,
    /// Queue priority of runs submitted here (not persisted yet: a run
    /// recovered or resumed in a later process queues with priority 0).
    priorities: HashMap<RunId, i32>,
    /// Why the last attempt of a run ended with an error, for `wait`.
    failures: HashMap<RunId, Arc<EngineError>>,
    /// Each run's event clock, continued from the store on first use.
    emitters: HashMap<RunId, RunEmitter>,
}

struct ActiveRun {
    cancel: CancellationToken,
    pause: watch::Sender<Option<PauseRequest>>,
    /// The run's adaptive concurrency, and the controller that moves it.
    limit: Arc<RunLimit>,
    controller: Controller,
    /// Taken by `shutdown` to wait for the task.
    task: Option<JoinHandle<()>>,
}

struct Waiting {
    run_id: RunId,
    priority: i32,
    seq: u64,
}

impl Shared {
    pub(crate) fn store_path(&self) -> &Path {
        &self.store_path
    }

    pub(crate) fn store(&self) -> &Mutex<Store> {
        &self.store
    }

    pub(crate) fn bus(&self) -> &Arc<EventBus> {
        &self.bus
    }

    pub(crate) fn pressure(&self) -> &Arc<Pressure> {
        &self.pressure
    }

    /// One control step for every active run: each run's controller looks
    /// at `signals` and may change the run's concurrency. Returns the
    /// changes (with the run's emitter) for the caller to report.
    pub(crate) fn adapt_runs(
        &self,
        now: std::time::Instant,
        signals: Signals,
    ) -> Vec<(RunEmitter, trawl_governor::adaptive::Change)> {
        let mut registry = lock(&self.registry);
        let Registry {
            active, emitters, ..
        } = &mut *registry;
        let mut changes = Vec::new();
        for (run_id, run) in active.iter_mut() {
            let current = run.limit.current();
            if let Some(change) = run
                .controller
                .decide(now, current, run.limit.max(), signals)
            {
                run.limit.set(change.to);
                if let Some(emitter) = emitters.get(run_id) {
                    changes.push((emitter.clone(), change));
                }
            }
        }
        changes
    }

    /// Runs with a crawl task now.
    pub(crate) fn active_runs(&self) -> Vec<RunId> {
        let mut runs: Vec<RunId> = lock(&self.registry).active.keys().copied().collect();
        runs.sort();
        runs
    }
}

impl Registry {
    fn progress_of(&mut self, run_id: RunId) -> Arc<Progress> {
        self.progress.entry(run_id).or_default().clone()
    }

    fn is_waiting(&self, run_id: RunId) -> bool {
        self.waiting.iter().any(|waiting| waiting.run_id == run_id)
    }

    fn enqueue(&mut self, run_id: RunId) {
        let priority = self.priorities.get(&run_id).copied().unwrap_or(0);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.waiting.push(Waiting {
            run_id,
            priority,
            seq,
        });
    }

    /// Removes and returns the next run to start: highest priority, then oldest.
    fn pop_next(&mut self) -> Option<RunId> {
        let index = self
            .waiting
            .iter()
            .enumerate()
            .max_by_key(|(_, waiting)| (waiting.priority, std::cmp::Reverse(waiting.seq)))
            .map(|(index, _)| index)?;
        Some(self.waiting.remove(index).run_id)
    }
}

impl Engine {
    /// Opens the store at `store_path` and starts the engine on the current
    /// tokio runtime. With [`EngineConfig::recover_runs`], runs left
    /// `running` become `interrupted` (persisted) and are queued again with
    /// the runs left `queued`; see [`Engine::startup_events`].
    pub fn start(store_path: &Path, config: EngineConfig) -> Result<Engine, EngineError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| EngineError::NoRuntime)?;
        let store = Store::open(store_path)?;
        if config.checkpoints == Checkpoints::AtEnd {
            // A crawl's writer holds the write lock from start to end: the
            // engine's own side writes (samples, limit changes) are dropped
            // rather than stall a runtime thread waiting for it.
            store.set_busy_timeout(Duration::ZERO)?;
        }
        let bus = EventBus::new();
        let mut registry = Registry::default();
        let mut startup_events = Vec::new();
        let mut recovered = Vec::new();
        if config.recover_runs {
            startup_events.extend(mark_orphaned(&store, &bus)?);
            let mut interrupted = store.runs_in_state(RunState::Interrupted)?;
            for &run_id in &interrupted {
                let emitter = emitter_for(&bus, &mut registry, &store, run_id)?;
                startup_events.push(lifecycle::apply(
                    &store,
                    &emitter,
                    run_id,
                    RunState::Interrupted,
                    RunState::Queued,
                    Reason::Requeued,
                )?);
            }
            recovered = store.runs_in_state(RunState::Queued)?;
            recovered.append(&mut interrupted);
            recovered.sort();
            recovered.dedup();
        }
        for run_id in recovered {
            registry.enqueue(run_id);
        }
        let global_requests = Arc::new(Semaphore::new(config.max_requests_in_flight.max(1)));
        let pressure = Pressure::new(config.memory_ceiling_bytes);
        let engine = Engine {
            shared: Arc::new(Shared {
                store_path: store_path.to_path_buf(),
                config,
                global_requests,
                pressure,
                runtime,
                store: Mutex::new(store),
                registry: Mutex::new(registry),
                bus,
                changes: watch::channel(0).0,
                startup_events,
            }),
        };
        engine.schedule(&mut lock(&engine.shared.registry));
        let shared = Arc::downgrade(&engine.shared);
        engine
            .shared
            .runtime
            .spawn(crate::sampler::run(shared.clone()));
        engine.shared.runtime.spawn(crate::control::run(shared));
        Ok(engine)
    }

    /// Transitions made while starting (recovery), in order: they happened
    /// before any [`Engine::subscribe`] could.
    pub fn startup_events(&self) -> &[Arc<Envelope>] {
        &self.shared.startup_events
    }

    /// Every event of every run from now on (lifecycle, requests, pages,
    /// checkpoints), in each run's `seq` order. A subscriber that falls
    /// behind loses events and is told how many; the engine never waits.
    pub fn subscribe(&self) -> Subscription {
        self.shared.bus.subscribe()
    }

    /// The bus itself: its metrics, and recent events for reconnecting streams.
    pub fn bus(&self) -> &Arc<EventBus> {
        &self.shared.bus
    }

    /// Records an event of a run that is not a state change (a schedule
    /// fire, an export): numbered on the run's clock, published (in seq
    /// order with the run's other events, which may be flowing), and stored.
    pub fn record_event(&self, run_id: RunId, event: Event) -> Result<Arc<Envelope>, EngineError> {
        let mut registry = lock(&self.shared.registry);
        let store = lock(&self.shared.store);
        let emitter = emitter_for(&self.shared.bus, &mut registry, &store, run_id)?;
        let envelope = emitter.emit(event);
        store.append_events(run_id, &[crate::events::event_row(&envelope)])?;
        Ok(envelope)
    }

    /// Creates a run (`queued`) from a validated spec and starts it as soon
    /// as a slot is free: higher `priority` first, then first come, first served.
    /// Fails with [`EngineError::Header`] when a header's environment
    /// variable is not set in this process.
    pub fn submit(
        &self,
        loaded: &LoadedSpec,
        spec_path: Option<&Path>,
        priority: i32,
    ) -> Result<RunId, EngineError> {
        self.submit_with(loaded, spec_path, priority, RunSource::default())
    }

    /// [`Engine::submit`] with where the run's responses come from: recorded
    /// (`record`, also turned on by the spec's `record = true`), or replayed
    /// from another run's recording (see [`Engine::submit_replay`]).
    pub fn submit_with(
        &self,
        loaded: &LoadedSpec,
        spec_path: Option<&Path>,
        priority: i32,
        source: RunSource,
    ) -> Result<RunId, EngineError> {
        if source.replay_of.is_none() {
            // A header read from an unset environment variable would fail
            // the run at its first start: refuse it before creating it. (The
            // run reads the variables again whenever it starts or resumes.)
            loaded
                .spec
                .request
                .resolve_headers(|variable| std::env::var(variable).ok())?;
        }
        let source = RunSource {
            record: source.record || (loaded.spec.record && source.replay_of.is_none()),
            ..source
        };
        let name = match source.replay_of {
            Some(original) => format!("{} (replay of run {original})", loaded.spec.name),
            None => loaded.spec.name.clone(),
        };
        let mut registry = lock(&self.shared.registry);
        if registry.shutting_down {
            return Err(EngineError::ShuttingDown);
        }
        let spec_path = spec_path.or(loaded.path.as_deref());
        let run_id = {
            let store = lock(&self.shared.store);
            let run_id = store.create_run(&NewRun {
                name: name.clone(),
                spec_toml: loaded.source.clone(),
                spec_hash: loaded.hash.clone(),
                spec_path: spec_path.map(|path| path.display().to_string()),
            })?;
            if source != RunSource::default() {
                store.set_run_source(run_id, &source)?;
            }
            let emitter = emitter_for(&self.shared.bus, &mut registry, &store, run_id)?;
            let created = emitter.stamp(Event::RunCreated { name, priority });
            store.append_events(run_id, &[crate::events::event_row(&created)])?;
            emitter.publish(created);
            run_id
        };
        registry.priorities.insert(run_id, priority);
        registry.progress_of(run_id);
        registry.enqueue(run_id);
        self.schedule(&mut registry);
        Ok(run_id)
    }

    /// Creates a run that replays run `original`'s recording: offline, one
    /// page at a time, with `spec` (new extraction and link rules) or the
    /// original's own spec. Every fetch is answered from the recording; a
    /// URL it lacks is the page outcome `not_recorded`, never a request.
    pub fn submit_replay(
        &self,
        original: RunId,
        spec: Option<&LoadedSpec>,
    ) -> Result<RunId, EngineError> {
        let (record, source) = {
            let store = lock(&self.shared.store);
            (store.run(original)?, store.run_source(original)?)
        };
        let recording = self.recording_dir(original);
        if !trawl_record::has_recording(&recording) {
            return Err(EngineError::NoRecording { run_id: original });
        }
        let loaded = match spec {
            Some(spec) => spec.clone(),
            None if source.imported => {
                return Err(EngineError::ReplayNeedsSpec { run_id: original });
            }
            None => trawl_spec::parse(&record.spec_toml, &format!("spec of run {original}"))
                .map_err(|error| EngineError::StoredSpec {
                    run_id: original,
                    message: error.to_string(),
                })?,
        };
        self.submit_with(
            &loaded,
            None,
            0,
            RunSource {
                replay_of: Some(original),
                ..RunSource::default()
            },
        )
    }

    /// Where run `run_id`'s recording lives: `DATA_DIR/runs/RUN/recording`.
    pub fn recording_dir(&self, run_id: RunId) -> PathBuf {
        recording_dir(&self.shared.store_path, run_id)
    }

    /// Makes WARC files written by other tools (wget `--warc-file`,
    /// Browsertrix, warcio) into a run that can be replayed with a spec:
    /// their responses are indexed (the files stay where they are) into the
    /// run's recording folder. The run is created `succeeded`: nothing is
    /// crawled. Returns the run and what each file held.
    pub fn import_recording(
        &self,
        name: &str,
        files: &[PathBuf],
    ) -> Result<(RunId, Vec<trawl_record::ImportReport>), EngineError> {
        let mut reports = Vec::new();
        for file in files {
            let absolute = std::path::absolute(file).unwrap_or_else(|_| file.clone());
            let label = absolute.display().to_string();
            let report = trawl_record::index_warc_file(
                &absolute,
                &label,
                trawl_record::ReadLimits::default(),
            )
            .map_err(|error| EngineError::Import {
                message: format!("{}: {error}", file.display()),
            })?;
            reports.push(report);
        }
        if reports.iter().all(|report| report.entries.is_empty()) {
            return Err(EngineError::Import {
                message: "no HTTP response records in the files".to_owned(),
            });
        }
        let mut registry = lock(&self.shared.registry);
        let store = lock(&self.shared.store);
        let run_id = store.create_run(&NewRun {
            name: name.to_owned(),
            spec_toml: String::new(),
            spec_hash: String::new(),
            spec_path: None,
        })?;
        let dir = self.recording_dir(run_id);
        std::fs::create_dir_all(&dir).map_err(|error| EngineError::Import {
            message: format!("cannot create {}: {error}", dir.display()),
        })?;
        let entries: Vec<trawl_record::IndexEntry> = reports
            .iter()
            .flat_map(|report| report.entries.iter().cloned())
            .collect();
        trawl_record::write_index(&dir.join("trawl-imported.index.jsonl"), &entries).map_err(
            |error| EngineError::Import {
                message: format!("cannot write the index: {error}"),
            },
        )?;
        store.set_run_source(
            run_id,
            &RunSource {
                imported: true,
                ..RunSource::default()
            },
        )?;
        let emitter = emitter_for(&self.shared.bus, &mut registry, &store, run_id)?;
        let created = emitter.emit(Event::RunCreated {
            name: name.to_owned(),
            priority: 0,
        });
        store.append_events(run_id, &[crate::events::event_row(&created)])?;
        lifecycle::apply(
            &store,
            &emitter,
            run_id,
            RunState::Queued,
            RunState::Running,
            Reason::Started,
        )?;
        lifecycle::apply(
            &store,
            &emitter,
            run_id,
            RunState::Running,
            RunState::Succeeded,
            Reason::Completed,
        )?;
        Ok((run_id, reports))
    }

    /// Stops intake of a running run at once; in-flight pages finish and
    /// commit, or are aborted and stay pending (`mode`). The run becomes
    /// `paused` when nothing is in flight any more ([`Engine::wait`]).
    ///
    /// Pausing a run that is already pausing is a no-op; pausing a run that
    /// is not running is an illegal transition.
    pub fn pause(&self, run_id: RunId, mode: PauseMode) -> Result<(), EngineError> {
        let registry = lock(&self.shared.registry);
        if let Some(active) = registry.active.get(&run_id) {
            active.pause.send_if_modified(|request| {
                if request.is_some() {
                    return false;
                }
                *request = Some(PauseRequest {
                    mode,
                    rest_state: RunState::Paused,
                });
                true
            });
            return Ok(());
        }
        let state = lock(&self.shared.store).run(run_id)?.state;
        lifecycle::check(run_id, state, RunState::Paused)?;
        // Legal only from `running`: a run this engine does not own.
        Err(EngineError::NotOwned { run_id })
    }

    /// Continues a `paused` or `interrupted` run from its frontier (and
    /// reopens a `failed` or `cancelled` one); it waits `queued` if every
    /// slot is taken. A run left `running` by a dead process is adopted
    /// (`running -> interrupted` first). A run already queued here is left as is.
    pub fn resume(&self, run_id: RunId) -> Result<(), EngineError> {
        let mut registry = lock(&self.shared.registry);
        if registry.shutting_down {
            return Err(EngineError::ShuttingDown);
        }
        if registry.active.contains_key(&run_id) {
            return Err(lifecycle::TransitionError::Illegal {
                run_id,
                from: RunState::Running,
                to: RunState::Running,
            }
            .into());
        }
        if registry.is_waiting(run_id) {
            return Ok(());
        }
        let slot_free = registry.active.len() < self.max_concurrent_runs();
        {
            let store = lock(&self.shared.store);
            let emitter = emitter_for(&self.shared.bus, &mut registry, &store, run_id)?;
            let mut state = store.run(run_id)?.state;
            if state == RunState::Running {
                lifecycle::apply(
                    &store,
                    &emitter,
                    run_id,
                    state,
                    RunState::Interrupted,
                    Reason::Orphaned,
                )?;
                state = RunState::Interrupted;
            }
            lifecycle::check(run_id, state, RunState::Running).or_else(|illegal| {
                // Failed and cancelled runs reopen through the queue.
                lifecycle::check(run_id, state, RunState::Queued).map_err(|_| illegal)
            })?;
            let go_direct = slot_free && matches!(state, RunState::Paused | RunState::Interrupted);
            if !go_direct && state != RunState::Queued {
                lifecycle::apply(
                    &store,
                    &emitter,
                    run_id,
                    state,
                    RunState::Queued,
                    Reason::Requeued,
                )?;
            }
        }
        registry.progress_of(run_id);
        // Queued with free slots starts at once in `schedule` (the queue is
        // empty whenever a slot is free), keeping priority order intact.
        registry.enqueue(run_id);
        self.schedule(&mut registry);
        self.bump();
        Ok(())
    }

    /// Cancels a run: a running one stops intake, aborts its in-flight
    /// requests (they stay pending) and ends `cancelled` with every finished
    /// page committed; a queued, paused or interrupted one becomes
    /// `cancelled` at once. `trawl resume` can still reopen it.
    pub fn cancel(&self, run_id: RunId) -> Result<(), EngineError> {
        let mut registry = lock(&self.shared.registry);
        if let Some(active) = registry.active.get(&run_id) {
            active.cancel.cancel();
            return Ok(());
        }
        registry.waiting.retain(|waiting| waiting.run_id != run_id);
        let result = {
            let store = lock(&self.shared.store);
            emitter_for(&self.shared.bus, &mut registry, &store, run_id).and_then(|emitter| {
                let record = store.run(run_id)?;
                lifecycle::apply(
                    &store,
                    &emitter,
                    run_id,
                    record.state,
                    RunState::Cancelled,
                    Reason::CancelRequested,
                )
            })
        };
        drop(registry);
        self.bump();
        result.map(drop)
    }

    /// One run: its stored record, and live progress while it is active here.
    pub fn run(&self, run_id: RunId) -> Result<RunView, EngineError> {
        let registry = lock(&self.shared.registry);
        let record = lock(&self.shared.store).run(run_id)?;
        Ok(Self::view(&registry, record))
    }

    /// Every run in the store, newest first, with live progress for active ones.
    pub fn runs(&self) -> Result<Vec<RunView>, EngineError> {
        let registry = lock(&self.shared.registry);
        let records = lock(&self.shared.store).runs()?;
        Ok(records
            .into_iter()
            .map(|record| Self::view(&registry, record))
            .collect())
    }

    /// The live counters of a run this engine queued or ran, for progress
    /// displays that read them continuously.
    pub fn progress(&self, run_id: RunId) -> Option<Arc<Progress>> {
        lock(&self.shared.registry).progress.get(&run_id).cloned()
    }

    /// Waits until the run is neither queued nor running here (it is
    /// terminal, paused or interrupted) and returns its stored record; fails
    /// with [`EngineError::RunStopped`] if its last attempt ended with an error.
    pub async fn wait(&self, run_id: RunId) -> Result<RunRecord, EngineError> {
        let mut changes = self.shared.changes.subscribe();
        loop {
            {
                let registry = lock(&self.shared.registry);
                if !registry.active.contains_key(&run_id) && !registry.is_waiting(run_id) {
                    if let Some(failure) = registry.failures.get(&run_id) {
                        return Err(EngineError::RunStopped {
                            run_id,
                            source: failure.clone(),
                        });
                    }
                    return Ok(lock(&self.shared.store).run(run_id)?);
                }
            }
            // The sender lives in `Shared`, which `self` keeps alive.
            let _ = changes.changed().await;
        }
    }

    /// Stops taking work, pauses every running run (in-flight requests
    /// aborted, finished pages committed) so it rests `interrupted` and the
    /// next start resumes it, and returns once every crawl task has ended.
    /// Queued runs stay `queued`. A run already pausing keeps resting `paused`.
    pub async fn shutdown(&self) {
        let tasks: Vec<JoinHandle<()>> = {
            let mut registry = lock(&self.shared.registry);
            registry.shutting_down = true;
            registry
                .active
                .values_mut()
                .filter_map(|active| {
                    active.pause.send_modify(|request| {
                        let rest_state = request
                            .map(|request| request.rest_state)
                            .unwrap_or(RunState::Interrupted);
                        *request = Some(PauseRequest {
                            mode: PauseMode::AbortInFlight,
                            rest_state,
                        });
                    });
                    active.task.take()
                })
                .collect()
        };
        for task in tasks {
            // A panic was already turned into a failed run by the task itself.
            let _ = task.await;
        }
    }

    fn max_concurrent_runs(&self) -> usize {
        self.shared.config.max_concurrent_runs.max(1)
    }

    fn view(registry: &Registry, record: RunRecord) -> RunView {
        let run_id = record.run_id;
        let active = registry.active.contains_key(&run_id) || registry.is_waiting(run_id);
        let progress = active
            .then(|| {
                registry
                    .progress
                    .get(&run_id)
                    .map(|progress| progress.snapshot())
            })
            .flatten();
        RunView { record, progress }
    }

    fn bump(&self) {
        self.shared.changes.send_modify(|version| *version += 1);
    }

    /// Starts waiting runs while slots are free.
    fn schedule(&self, registry: &mut Registry) {
        while !registry.shutting_down && registry.active.len() < self.max_concurrent_runs() {
            let Some(run_id) = registry.pop_next() else {
                break;
            };
            if let Err(error) = self.launch(registry, run_id) {
                tracing::error!(%run_id, error = %error_chain(&error), "run could not start");
                self.mark_failed(registry, run_id, &error);
                registry.failures.insert(run_id, Arc::new(error));
            }
        }
        self.bump();
    }

    /// Spawns the crawl task of `run_id` (stored `queued`, `paused` or `interrupted`).
    fn launch(&self, registry: &mut Registry, run_id: RunId) -> Result<(), EngineError> {
        let (spec, resume, emitter, run_source) = {
            let store = lock(&self.shared.store);
            let emitter = emitter_for(&self.shared.bus, registry, &store, run_id)?;
            let run_source = store.run_source(run_id)?;
            let record = store.run(run_id)?;
            let origin = format!("spec of run {run_id}");
            let spec = trawl_spec::parse(&record.spec_toml, &origin)
                .map_err(|error| EngineError::StoredSpec {
                    run_id,
                    message: error.to_string(),
                })?
                .spec;
            // A frontier with rows is continued; an empty one (a run killed
            // before its seeds committed) is seeded: seeding commits in one
            // transaction, so there is no half-seeded frontier.
            let counts = store.frontier_counts(run_id)?;
            (spec, counts.pending + counts.done > 0, emitter, run_source)
        };
        let crawl_store = Store::open(&self.shared.store_path)?;
        let progress = registry.progress_of(run_id);
        let cancel = CancellationToken::new();
        let (pause, pause_receiver) = watch::channel(None);
        let mode = match run_source.replay_of {
            Some(original) => CrawlMode::Replay {
                recording: self.recording_dir(original),
            },
            None => CrawlMode::Live {
                record_to: run_source.record.then(|| self.recording_dir(run_id)),
            },
        };
        let concurrency = match mode {
            CrawlMode::Replay { .. } => 1,
            _ => spec.politeness.concurrency as usize,
        };
        let limit = Arc::new(RunLimit::new(concurrency));
        let limits = CrawlLimits {
            run: limit.clone(),
            pressure: self.shared.pressure.clone(),
            global: Some(self.shared.global_requests.clone()),
        };
        let crawl = Crawl::new(crawl_store, run_id, spec, progress, cancel.clone(), emitter)
            .with_mode(mode)
            .with_checkpoints(self.shared.config.checkpoints)
            .controlled(pause_receiver, limits);
        let engine = self.clone();
        let runtime = self.shared.runtime.clone();
        let task = self.shared.runtime.spawn(async move {
            // A second task so that a panic in the crawl fails this run only.
            // Every log line of the crawl carries its run (`trawl logs RUN`
            // reads the per-run log that the binary's subscriber writes
            // from this span).
            let span = tracing::info_span!("run", run_id = run_id.0);
            let outcome = match runtime
                .spawn(crawl.run(resume).instrument(span.clone()))
                .await
            {
                Ok(result) => result.map(drop),
                Err(join_error) => Err(EngineError::Panicked {
                    run_id,
                    message: join_error.to_string(),
                }),
            };
            // Its error line belongs to the run's log too (no await inside).
            span.in_scope(|| engine.finish(run_id, outcome));
        });
        registry.failures.remove(&run_id);
        registry.active.insert(
            run_id,
            ActiveRun {
                cancel,
                pause,
                limit,
                controller: Controller::default(),
                task: Some(task),
            },
        );
        Ok(())
    }

    /// Called by a crawl task when it ends: records an error, frees the slot
    /// and starts the next waiting run.
    fn finish(&self, run_id: RunId, outcome: Result<(), EngineError>) {
        let mut registry = lock(&self.shared.registry);
        if let Err(error) = outcome {
            tracing::error!(%run_id, error = %error_chain(&error), "run stopped with an error");
            self.mark_failed(&mut registry, run_id, &error);
            registry.failures.insert(run_id, Arc::new(error));
        }
        registry.active.remove(&run_id);
        self.schedule(&mut registry);
    }

    /// Marks a run `failed` after an error that left it `queued` or
    /// `running` (the crawl records most failures itself).
    fn mark_failed(&self, registry: &mut Registry, run_id: RunId, error: &EngineError) {
        let store = lock(&self.shared.store);
        let Ok(record) = store.run(run_id) else {
            return;
        };
        if matches!(record.state, RunState::Queued | RunState::Running) {
            let reason = Reason::Error(error_chain(error));
            let applied =
                emitter_for(&self.shared.bus, registry, &store, run_id).and_then(|emitter| {
                    lifecycle::apply(
                        &store,
                        &emitter,
                        run_id,
                        record.state,
                        RunState::Failed,
                        reason,
                    )
                });
            if let Err(error) = applied {
                tracing::error!(%run_id, %error, "cannot mark the run failed");
            }
        }
    }
}

/// Marks every run left `running` as `interrupted` (reason `orphaned`): its
/// process is gone. Only the owner of the data directory may call this (the
/// lock in `trawl`'s `owner.rs` tells a dead owner from a live one).
fn mark_orphaned(store: &Store, bus: &Arc<EventBus>) -> Result<Vec<Arc<Envelope>>, EngineError> {
    let mut events = Vec::new();
    for run_id in store.runs_in_state(RunState::Running)? {
        // A clock of its own is fine: the change is stored before anyone
        // else numbers this run's events, and they continue after it.
        let emitter = bus.emitter(run_id, store.last_event_seq(run_id)?);
        events.push(lifecycle::apply(
            store,
            &emitter,
            run_id,
            RunState::Running,
            RunState::Interrupted,
            Reason::Orphaned,
        )?);
    }
    Ok(events)
}

/// Start-up recovery for a process that owns the data directory but starts
/// no engine (or one that runs only what it is asked): runs left `running`
/// by a process that died become `interrupted`, so every command shows them
/// as they are and `trawl resume` continues them. Returns their ids.
pub fn recover_orphaned_runs(store: &Store) -> Result<Vec<RunId>, EngineError> {
    let events = mark_orphaned(store, &EventBus::new())?;
    Ok(events.iter().map(|envelope| envelope.run_id).collect())
}

/// Where run `run_id`'s recording lives, next to the store:
/// `DATA_DIR/runs/RUN/recording` (the run's log is in `DATA_DIR/runs/RUN/`).
pub fn recording_dir(store_path: &Path, run_id: RunId) -> PathBuf {
    store_path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("runs")
        .join(run_id.to_string())
        .join("recording")
}

/// The run's event clock: the one this engine already uses, or a new one
/// continuing after the run's last stored event.
fn emitter_for(
    bus: &Arc<EventBus>,
    registry: &mut Registry,
    store: &Store,
    run_id: RunId,
) -> Result<RunEmitter, EngineError> {
    if let Some(emitter) = registry.emitters.get(&run_id) {
        return Ok(emitter.clone());
    }
    let emitter = bus.emitter(run_id, store.last_event_seq(run_id)?);
    registry.emitters.insert(run_id, emitter.clone());
    Ok(emitter)
}

/// An error with its causes, "a: b: c", for the run's `error` column.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
