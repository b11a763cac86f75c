//! The scheduler loop: makes stored schedules fire through the engine.
//!
//! [`Scheduler::start`] opens its own store connection, settles the fires a
//! previous process left `firing` ([`fire::recover`]: adopt the run the engine
//! had created, or submit it now), then ticks every `tick`: it loads the
//! schedules, asks the engine whether each schedule's previous run is still
//! queued or running, [`decide`]s, records the tick ([`fire::record_tick`],
//! step 1 of every fire) and submits each pending fire's run (step 2), then
//! marks it submitted (step 3). A spec file is re-read and validated at each
//! fire; a missing or invalid one is a failed fire with the error text, never
//! a crash. Every fire, skip and failure is a [`ScheduleEvent`].
//!
//! Each tick is synchronous (store and engine calls are short and never wait
//! for a crawl), so [`SchedulerHandle::stop`] returns after the current tick.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use trawl_engine::{CancellationToken, Engine, EngineError};
use trawl_events::Event;
use trawl_spec::LoadedSpec;
use trawl_store::{FireId, Store, StoreError};
use trawl_types::{RunId, RunState, ScheduleId};

use crate::clock::Clock;
use crate::decide::{Decision, SkipReason, decide};
use crate::error::ScheduleError;
use crate::fire::{self, PendingFire, Recovered};
use crate::model::{Schedule, ScheduleTarget};

/// How many events a slow subscriber may fall behind before it lags.
const EVENT_CAPACITY: usize = 256;

/// How many of a schedule's latest fires are read to find its previous run
/// before the whole history is (a long streak of skips).
const RECENT_FIRES: u32 = 64;

/// What the scheduler did, in the order it did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleEvent {
    /// A run was submitted for the fire (`cancelled`: the previous run that
    /// was cancelled first, overlap policy `cancel_previous`).
    Fired {
        schedule: ScheduleId,
        fire_id: FireId,
        scheduled_for: DateTime<Utc>,
        run_id: RunId,
        cancelled: Option<RunId>,
    },
    /// Start-up recovery found the run a previous process had submitted for
    /// a fire left `firing`, and claimed it instead of submitting again.
    Adopted {
        schedule: ScheduleId,
        fire_id: FireId,
        run_id: RunId,
    },
    /// The fire waits for the previous run to end (overlap policy `queue`).
    Queued {
        schedule: ScheduleId,
        scheduled_for: DateTime<Utc>,
    },
    /// The fire time does not run.
    Skipped {
        schedule: ScheduleId,
        scheduled_for: DateTime<Utc>,
        reason: SkipReason,
    },
    /// The fire's run could not be submitted (missing or invalid spec file);
    /// recorded as a failed fire, and the schedule goes on.
    Failed {
        schedule: ScheduleId,
        fire_id: FireId,
        scheduled_for: DateTime<Utc>,
        error: String,
    },
    /// A tick could not be completed (the store failed, or a stored schedule
    /// does not parse); the scheduler tries again at the next tick.
    TickFailed { error: String },
}

/// Starts the scheduler loop; see the module documentation.
#[derive(Debug)]
pub struct Scheduler;

/// Handle to a running scheduler. Dropping it stops the loop too (at its next
/// tick boundary), without waiting; [`SchedulerHandle::stop`] waits.
#[derive(Debug)]
pub struct SchedulerHandle {
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
    events: broadcast::Sender<ScheduleEvent>,
    /// Subscribed before the loop was spawned, so the first tick's events
    /// are not lost; handed out once by [`SchedulerHandle::take_events`].
    first_subscriber: Option<broadcast::Receiver<ScheduleEvent>>,
    startup_events: Vec<ScheduleEvent>,
}

impl Scheduler {
    /// Opens the store at `store_path`, runs start-up recovery
    /// ([`fire::recover`]) before returning, and spawns the tick loop on the
    /// current tokio runtime (the first tick is immediate).
    ///
    /// Call it once per data directory, before anything else submits runs
    /// from schedules: recovery adopts unclaimed runs of a schedule's spec.
    pub fn start(
        engine: Arc<Engine>,
        store_path: &Path,
        clock: Arc<dyn Clock>,
        tick: Duration,
    ) -> Result<SchedulerHandle, ScheduleError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| ScheduleError::NoRuntime)?;
        let store = Store::open(store_path)?;
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let mut runner = Runner {
            engine,
            store,
            clock,
            events: events.clone(),
            last_run: HashMap::new(),
            reported_invalid: HashMap::new(),
        };
        let startup_events = runner.recover()?;
        let first_subscriber = Some(events.subscribe());
        let stop = CancellationToken::new();
        let task = runtime.spawn(runner.run(tick.max(Duration::from_millis(1)), stop.clone()));
        Ok(SchedulerHandle {
            stop,
            task: Some(task),
            events,
            first_subscriber,
            startup_events,
        })
    }
}

impl SchedulerHandle {
    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ScheduleEvent> {
        self.events.subscribe()
    }

    /// Every event since the loop started (after [`Self::startup_events`]),
    /// the first tick's included, for the one consumer that must see them
    /// all (`trawl serve` logs them); later calls subscribe from now on.
    pub fn take_events(&mut self) -> broadcast::Receiver<ScheduleEvent> {
        self.first_subscriber
            .take()
            .unwrap_or_else(|| self.events.subscribe())
    }

    /// What start-up recovery did ([`ScheduleEvent::Adopted`] and
    /// [`ScheduleEvent::Fired`] / [`ScheduleEvent::Failed`] for resubmitted
    /// fires), before anyone could subscribe.
    pub fn startup_events(&self) -> &[ScheduleEvent] {
        &self.startup_events
    }

    /// Stops ticking and returns once the current tick (if any) has finished.
    /// Runs already submitted are the engine's and keep going.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            // A panicked tick has nothing left to stop.
            let _ = task.await;
        }
    }
}

impl Drop for SchedulerHandle {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

struct Runner {
    engine: Arc<Engine>,
    store: Store,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<ScheduleEvent>,
    /// The run of each schedule's latest submitted fire (`None`: never ran),
    /// read from the fire records once per schedule, then kept up to date.
    last_run: HashMap<ScheduleId, Option<RunId>>,
    /// Stored schedules that do not parse, with the error already reported
    /// (reported again only when it changes).
    reported_invalid: HashMap<ScheduleId, String>,
}

impl Runner {
    async fn run(mut self, tick: Duration, stop: CancellationToken) {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => return,
                _ = interval.tick() => {}
            }
            if let Err(error) = self.tick() {
                self.emit(ScheduleEvent::TickFailed {
                    error: error_text(&error),
                });
            }
        }
    }

    fn emit(&self, event: ScheduleEvent) {
        // No subscriber is fine: the fire records are the history.
        let _ = self.events.send(event);
    }

    /// Settles fires left `firing` by a previous process; returns what it did.
    fn recover(&mut self) -> Result<Vec<ScheduleEvent>, ScheduleError> {
        let mut done = Vec::new();
        for recovered in fire::recover(&self.store)? {
            match recovered {
                Recovered::Adopted { fire_id, run_id } => {
                    let schedule = self.store.fire(fire_id)?.schedule_id;
                    self.last_run.insert(schedule, Some(run_id));
                    done.push(ScheduleEvent::Adopted {
                        schedule,
                        fire_id,
                        run_id,
                    });
                }
                Recovered::Resubmit(pending) => {
                    let record = self.store.schedule(pending.schedule)?;
                    let event = match Schedule::from_record(record) {
                        Ok(schedule) => self.fire(&schedule, &pending)?,
                        // A row that no longer parses fails its fire, not the start.
                        Err(error) => Some(self.fail(&pending, &error_text(&error))?),
                    };
                    done.extend(event);
                }
            }
        }
        for event in &done {
            self.emit(event.clone());
        }
        Ok(done)
    }

    fn tick(&mut self) -> Result<(), ScheduleError> {
        let schedules = self.load_schedules()?;
        // Forget removed schedules, so the cache stays as small as the table.
        self.last_run
            .retain(|schedule, _| schedules.iter().any(|known| known.id == *schedule));
        let mut active = HashMap::with_capacity(schedules.len());
        for schedule in &schedules {
            let previous = self.previous_run(schedule.id)?;
            active.insert(schedule.id, previous.is_some_and(|run| self.is_active(run)));
        }
        let tick = decide(&schedules, self.clock.now(), |schedule| {
            active.get(&schedule).copied().unwrap_or(false)
        });
        if tick.decisions.is_empty() && tick.fire_times.is_empty() {
            return Ok(());
        }
        let pending = fire::record_tick(&self.store, &tick)?;
        for decision in &tick.decisions {
            match decision {
                Decision::Skip {
                    schedule,
                    scheduled_for,
                    reason,
                } => self.emit(ScheduleEvent::Skipped {
                    schedule: *schedule,
                    scheduled_for: *scheduled_for,
                    reason: reason.clone(),
                }),
                Decision::Queue {
                    schedule,
                    scheduled_for,
                    ..
                } => self.emit(ScheduleEvent::Queued {
                    schedule: *schedule,
                    scheduled_for: *scheduled_for,
                }),
                Decision::Fire { .. } | Decision::CancelPrevious { .. } => {}
            }
        }
        let by_id: HashMap<ScheduleId, &Schedule> = schedules
            .iter()
            .map(|schedule| (schedule.id, schedule))
            .collect();
        for pending in &pending {
            let Some(schedule) = by_id.get(&pending.schedule) else {
                continue;
            };
            // One fire the store could not settle must not hold up the others;
            // it stays `firing` for start-up recovery.
            match self.fire(schedule, pending) {
                Ok(Some(event)) => self.emit(event),
                Ok(None) => {}
                Err(error) => self.emit(ScheduleEvent::TickFailed {
                    error: error_text(&error),
                }),
            }
        }
        Ok(())
    }

    /// Every stored schedule that parses; one that does not is reported
    /// (once per distinct error) and left out, so it cannot stop the others.
    fn load_schedules(&mut self) -> Result<Vec<Schedule>, ScheduleError> {
        let mut schedules = Vec::new();
        let mut invalid = HashMap::new();
        for record in self.store.schedules()? {
            let schedule_id = record.schedule_id;
            match Schedule::from_record(record) {
                Ok(schedule) => schedules.push(schedule),
                Err(error) => {
                    let text = error_text(&error);
                    if self.reported_invalid.get(&schedule_id) != Some(&text) {
                        self.emit(ScheduleEvent::TickFailed {
                            error: text.clone(),
                        });
                    }
                    invalid.insert(schedule_id, text);
                }
            }
        }
        self.reported_invalid = invalid;
        Ok(schedules)
    }

    /// The run of the schedule's latest submitted fire.
    fn previous_run(&mut self, schedule: ScheduleId) -> Result<Option<RunId>, ScheduleError> {
        if let Some(known) = self.last_run.get(&schedule) {
            return Ok(*known);
        }
        let mut fires = self.store.schedule_fires(schedule, RECENT_FIRES)?;
        if fires.len() == RECENT_FIRES as usize && fires.iter().all(|f| f.run_id.is_none()) {
            fires = self.store.schedule_fires(schedule, u32::MAX)?;
        }
        let previous = fires.iter().find_map(|fire| fire.run_id);
        self.last_run.insert(schedule, previous);
        Ok(previous)
    }

    /// Whether the run is still queued or running (a run that cannot be read
    /// any more is not).
    fn is_active(&self, run_id: RunId) -> bool {
        self.engine
            .run(run_id)
            .is_ok_and(|view| matches!(view.record.state, RunState::Queued | RunState::Running))
    }

    /// Steps 2 and 3 of a recorded fire: cancel the previous run if asked,
    /// load the spec, submit, mark submitted (or failed). `Ok(None)`: the
    /// engine is shutting down; the fire stays `firing` for the next start.
    fn fire(
        &mut self,
        schedule: &Schedule,
        pending: &PendingFire,
    ) -> Result<Option<ScheduleEvent>, ScheduleError> {
        let loaded = match load_target(schedule) {
            Ok(loaded) => loaded,
            Err(error) => return self.fail(pending, &error).map(Some),
        };
        let mut cancelled = None;
        if pending.cancel_previous
            && let Some(previous) = self.previous_run(schedule.id)?
            && self.is_active(previous)
        {
            // A run that ended meanwhile cannot be cancelled: nothing to do.
            if self.engine.cancel(previous).is_ok() {
                cancelled = Some(previous);
            }
        }
        let spec_path = match &schedule.target {
            ScheduleTarget::SpecFile(path) => Some(path.as_path()),
            ScheduleTarget::SpecSnapshot(_) => None,
        };
        let run_id = match self.engine.submit(&loaded, spec_path, 0) {
            Ok(run_id) => run_id,
            Err(EngineError::ShuttingDown) => return Ok(None),
            Err(error) => {
                let text = format!("the engine refused the run: {}", error_text(&error));
                return self.fail(pending, &text).map(Some);
            }
        };
        match fire::mark_submitted(&self.store, pending.fire_id, run_id) {
            // The schedule was removed meanwhile, its fires with it: the run
            // goes on, unattributed, like the other runs it had started.
            Ok(()) | Err(ScheduleError::Store(StoreError::FireNotFound(_))) => {}
            Err(error) => return Err(error),
        }
        // The run's own event log says which schedule started it. The fire
        // row is the durable record either way, so a failure is only logged.
        if let Err(error) = self.engine.record_event(
            run_id,
            Event::ScheduleFired {
                schedule: schedule.name.clone(),
                scheduled_for_millis: pending.scheduled_for.timestamp_millis(),
            },
        ) {
            tracing::warn!(%run_id, schedule = %schedule.name, %error, "cannot record the fire in the run's events");
        }
        self.last_run.insert(schedule.id, Some(run_id));
        Ok(Some(ScheduleEvent::Fired {
            schedule: schedule.id,
            fire_id: pending.fire_id,
            scheduled_for: pending.scheduled_for,
            run_id,
            cancelled,
        }))
    }

    fn fail(&mut self, pending: &PendingFire, error: &str) -> Result<ScheduleEvent, ScheduleError> {
        match fire::mark_failed(&self.store, pending.fire_id, error) {
            Ok(()) | Err(ScheduleError::Store(StoreError::FireNotFound(_))) => {}
            Err(error) => return Err(error),
        }
        Ok(ScheduleEvent::Failed {
            schedule: pending.schedule,
            fire_id: pending.fire_id,
            scheduled_for: pending.scheduled_for,
            error: error.to_owned(),
        })
    }
}

/// The validated spec a fire runs: the file as it is now, or the snapshot.
fn load_target(schedule: &Schedule) -> Result<LoadedSpec, String> {
    let loaded = match &schedule.target {
        ScheduleTarget::SpecFile(path) => trawl_spec::load(path),
        ScheduleTarget::SpecSnapshot(toml) => trawl_spec::parse(
            toml,
            &format!("spec snapshot of schedule {}", schedule.name),
        ),
    };
    loaded.map_err(|error| error_text(&error))
}

/// An error with its causes, `outer: inner: …`.
fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
