//! The store side of schedules: adding and loading them, and the two-step
//! fire protocol that survives a restart in the middle of a fire.
//!
//! A fire is (1) recorded — its `schedule_fires` row (`firing`) and the
//! schedule's new last/next fire times commit in one transaction
//! ([`record_tick`]) — then (2) submitted to the engine by the caller, then
//! (3) marked `submitted` with its run ([`mark_submitted`]). A crash before 1
//! loses nothing (the fire time is decided again); a crash after 1 cannot
//! repeat the fire (the next fire time has moved, and fire times are unique
//! per schedule) and leaves a `firing` row for [`recover`]. The engine creates
//! the run in its own transaction, so a crash between 2 and 3 leaves a run
//! that no fire claims: [`recover`] adopts it instead of submitting again.

use chrono::{DateTime, Utc};
use trawl_store::{FireId, FireRecorded, FireState, NewFire, Store, StoreError};
use trawl_types::{RunId, ScheduleId};

use crate::decide::{Decision, Tick};
use crate::error::ScheduleError;
use crate::model::{Schedule, ScheduleConfig, ScheduleTarget, duration_millis, from_millis};

/// A recorded fire whose run the caller must now submit to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFire {
    pub fire_id: FireId,
    pub schedule: ScheduleId,
    pub scheduled_for: DateTime<Utc>,
    /// Cancel the schedule's active run first (overlap policy `cancel_previous`).
    pub cancel_previous: bool,
}

/// What start-up recovery did with a fire left `firing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// The engine had created the run before the crash: the fire now points
    /// at it, and nothing is submitted again.
    Adopted { fire_id: FireId, run_id: RunId },
    /// No run was created: submit it now.
    Resubmit(PendingFire),
}

/// Validates `config`, stores it with its first fire time after `now`, and
/// returns the running form.
pub fn add_schedule(
    store: &Store,
    config: &ScheduleConfig,
    now: DateTime<Utc>,
) -> Result<Schedule, ScheduleError> {
    let new_schedule = config.to_new_schedule(now)?;
    let schedule_id = store.add_schedule(&new_schedule)?;
    Schedule::from_record(store.schedule(schedule_id)?)
}

/// Every stored schedule in running form, oldest first.
pub fn load_schedules(store: &Store) -> Result<Vec<Schedule>, ScheduleError> {
    store
        .schedules()?
        .into_iter()
        .map(Schedule::from_record)
        .collect()
}

/// Pauses a schedule: it stops firing until resumed.
pub fn pause_schedule(store: &Store, schedule_id: ScheduleId) -> Result<(), ScheduleError> {
    store.set_schedule_paused(schedule_id, true)?;
    Ok(())
}

/// Resumes a schedule from `now`: its next fire time moves past now first, so
/// the times that passed while it was paused do not count as missed.
pub fn resume_schedule(
    store: &Store,
    schedule_id: ScheduleId,
    now: DateTime<Utc>,
) -> Result<Schedule, ScheduleError> {
    let schedule = Schedule::from_record(store.schedule(schedule_id)?)?;
    let next_fire = schedule.cron.next_after(now);
    store.set_schedule_fire_times(
        schedule_id,
        schedule.last_fire.map(|time| time.timestamp_millis()),
        next_fire.map(|time| time.timestamp_millis()),
    )?;
    store.set_schedule_paused(schedule_id, false)?;
    Schedule::from_record(store.schedule(schedule_id)?)
}

/// Step 1 of every fire in `tick`: records each schedule's decisions and new
/// fire times in one transaction per schedule, and returns the fires to
/// submit. Fire times already recorded (by an earlier process) are dropped.
pub fn record_tick(store: &Store, tick: &Tick) -> Result<Vec<PendingFire>, ScheduleError> {
    let mut pending = Vec::new();
    for fire_times in &tick.fire_times {
        let decisions: Vec<&Decision> = tick
            .decisions
            .iter()
            .filter(|decision| decision.schedule() == fire_times.schedule)
            .collect();
        let new_fires: Vec<NewFire> = decisions
            .iter()
            .map(|decision| new_fire(decision))
            .collect();
        let recorded = match store.record_fires(
            fire_times.schedule,
            &new_fires,
            fire_times.last_fire.map(|time| time.timestamp_millis()),
            fire_times.next_fire.map(|time| time.timestamp_millis()),
        ) {
            Ok(recorded) => recorded,
            // Removed since it was loaded: its fires simply do not happen.
            Err(StoreError::ScheduleNotFound(_)) => continue,
            Err(error) => return Err(error.into()),
        };
        for (decision, outcome) in decisions.iter().zip(recorded) {
            let FireRecorded::Recorded(fire_id) = outcome else {
                continue;
            };
            let cancel_previous = match decision {
                Decision::Fire { .. } => false,
                Decision::CancelPrevious { .. } => true,
                Decision::Queue { .. } | Decision::Skip { .. } => continue,
            };
            pending.push(PendingFire {
                fire_id,
                schedule: fire_times.schedule,
                scheduled_for: decision.scheduled_for(),
                cancel_previous,
            });
        }
    }
    Ok(pending)
}

fn new_fire(decision: &Decision) -> NewFire {
    let (state, jitter, detail) = match decision {
        Decision::Fire { jitter, .. } | Decision::CancelPrevious { jitter, .. } => {
            (FireState::Firing, *jitter, None)
        }
        Decision::Queue { jitter, .. } => (FireState::Queued, *jitter, None),
        Decision::Skip { reason, .. } => (
            FireState::Skipped,
            std::time::Duration::ZERO,
            Some(reason.to_string()),
        ),
    };
    NewFire {
        scheduled_for_millis: decision.scheduled_for().timestamp_millis(),
        jitter_millis: duration_millis(jitter),
        state,
        detail,
    }
}

/// Step 3: the engine accepted the fire's run.
pub fn mark_submitted(store: &Store, fire_id: FireId, run_id: RunId) -> Result<(), ScheduleError> {
    store.mark_fire_submitted(fire_id, run_id)?;
    Ok(())
}

/// The fire could not be submitted (an invalid spec file): recorded as a
/// failed fire, and the schedule goes on.
pub fn mark_failed(store: &Store, fire_id: FireId, detail: &str) -> Result<(), ScheduleError> {
    store.mark_fire_failed(fire_id, detail)?;
    Ok(())
}

/// Settles the fires a previous process left `firing`, oldest first: adopts
/// the run the engine had created for it, or returns it to submit again.
///
/// A candidate run is one created from the schedule's spec (file path, or
/// exact snapshot text) after the fire became `firing` that no fire claims.
/// Call it before the first tick, while nothing else submits runs.
pub fn recover(store: &Store) -> Result<Vec<Recovered>, ScheduleError> {
    let mut recovered = Vec::new();
    for fire in store.fires_in_state(FireState::Firing)? {
        let record = store.schedule(fire.schedule_id)?;
        let candidates = store.unclaimed_runs_from(
            record.spec_path.as_deref(),
            record.spec_toml.as_deref(),
            fire.updated_at_millis,
        )?;
        if let Some(run_id) = candidates.first().copied() {
            store.mark_fire_submitted(fire.fire_id, run_id)?;
            recovered.push(Recovered::Adopted {
                fire_id: fire.fire_id,
                run_id,
            });
        } else {
            recovered.push(Recovered::Resubmit(PendingFire {
                fire_id: fire.fire_id,
                schedule: fire.schedule_id,
                scheduled_for: from_millis(fire.scheduled_for_millis)?,
                cancel_previous: false,
            }));
        }
    }
    Ok(recovered)
}

/// The spec a fire of this target runs: the file's current text (re-read at
/// each fire, so edits apply) or the snapshot. Validation is the caller's
/// (`trawl-spec`), and a failure goes to [`mark_failed`].
pub fn target_source(target: &ScheduleTarget) -> std::io::Result<String> {
    match target {
        ScheduleTarget::SpecFile(path) => std::fs::read_to_string(path),
        ScheduleTarget::SpecSnapshot(toml) => Ok(toml.clone()),
    }
}

#[cfg(test)]
mod tests;
