//! The schedule catalog: what `trawl schedule add|list|show|pause|resume|
//! remove|history` and the `/api/schedules` routes do, once, as functions
//! over a [`Store`] that return typed views and [`ScheduleError`]s. The CLI
//! and the API only parse their input and render these results.
//!
//! Like the rest of the crate it runs nothing: it validates (the cron, the
//! zone, the policies, the name and the spec, with every spec problem), writes
//! schedule rows, and reads them back with their next fire times and fire
//! history. The scheduler loop (`runner.rs`) re-reads the rows at every tick,
//! so a change made here — from any process, SQLite's WAL makes that safe —
//! applies from the next tick on.
//!
//! Removing a schedule deletes it with its fire history (the store's
//! `ON DELETE CASCADE`); the runs it started stay in the catalog with their
//! datasets, and simply no longer name a schedule.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use trawl_spec::LoadedSpec;
use trawl_store::{FireRecord, ScheduleRecord, Store, StoreError};
use trawl_types::{RunId, RunState, ScheduleId};

use crate::error::ScheduleError;
use crate::model::{
    MissedRunPolicy, OverlapPolicy, Schedule, ScheduleConfig, ScheduleTarget, from_millis,
};

/// How many upcoming fire times a view lists (`trawl schedule list` shows five).
pub const NEXT_FIRES_SHOWN: usize = 5;

/// The longest schedule name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// The spec a new schedule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecInput {
    /// A spec file (absolute path), validated now. With `snapshot` its text
    /// is stored now and the file is never read again; without, the file is
    /// re-read and validated at each fire, so edits apply to the next run.
    File { path: PathBuf, snapshot: bool },
    /// Spec text (the API's `spec_toml`), validated now and stored as a snapshot.
    Text(String),
}

/// A schedule to add, as the CLI or the API received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddSchedule {
    /// `None`: the spec's `name`.
    pub name: Option<String>,
    pub cron: String,
    /// IANA time zone name.
    pub time_zone: String,
    pub overlap: OverlapPolicy,
    pub missed: MissedRunPolicy,
    pub jitter: Duration,
    pub spec: SpecInput,
    pub paused: bool,
}

/// One schedule as users see it: the stored schedule, its upcoming fire
/// times and the outcome of its latest fire.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleView {
    pub schedule: Schedule,
    pub created_at: DateTime<Utc>,
    /// The next [`NEXT_FIRES_SHOWN`] fire times after now (before jitter). A
    /// paused schedule lists the times it would fire at if resumed now.
    pub next_fires: Vec<DateTime<Utc>>,
    /// The stored next fire time, when it has passed without being decided:
    /// no `trawl serve` was running to fire it. The missed-run policy decides
    /// what happens to it when one starts.
    pub overdue_since: Option<DateTime<Utc>>,
    /// The fire with the latest scheduled time, if any.
    pub last_fire: Option<FireView>,
}

/// One entry of a schedule's fire history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FireView {
    pub fire: FireRecord,
    pub scheduled_for: DateTime<Utc>,
    /// The current state of the fire's run, if it started one.
    pub run_state: Option<RunState>,
}

/// What [`remove`] deleted and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub schedule_id: ScheduleId,
    pub name: String,
    /// Fire records deleted with the schedule.
    pub fires_deleted: usize,
    /// Runs the schedule started; they stay in the catalog with their data.
    pub runs_kept: Vec<RunId>,
}

/// Validates `request` (the cron and zone, the policies, the name, and the
/// spec with every problem), stores the schedule with its first fire time
/// after `now`, and returns its view.
///
/// A spec that does not load is [`ScheduleError::InvalidSpec`]; a name in use
/// is `ScheduleError::Store(StoreError::ScheduleNameTaken)`.
pub fn add(
    store: &Store,
    request: &AddSchedule,
    now: DateTime<Utc>,
) -> Result<ScheduleView, ScheduleError> {
    // The cheap checks first, so a bad cron is reported without reading files.
    crate::cron::CronSchedule::parse(&request.cron, &request.time_zone)?;
    let (loaded, target) = load_spec(&request.spec)?;
    let name = match &request.name {
        Some(name) => name.trim().to_owned(),
        None => loaded.spec.name.clone(),
    };
    validate_name(&name)?;
    let config = ScheduleConfig {
        name,
        cron: request.cron.clone(),
        time_zone: request.time_zone.clone(),
        jitter: request.jitter,
        overlap: request.overlap,
        missed: request.missed,
        target,
        paused: request.paused,
    };
    let schedule_id = store.add_schedule(&config.to_new_schedule(now)?)?;
    view(store, store.schedule(schedule_id)?, now)
}

/// Every schedule, oldest first, with its next fire times and latest fire.
pub fn list(store: &Store, now: DateTime<Utc>) -> Result<Vec<ScheduleView>, ScheduleError> {
    store
        .schedules()?
        .into_iter()
        .map(|record| view(store, record, now))
        .collect()
}

/// Finds a schedule by name, or else by id (`3` or `#3`). Names cannot be all
/// digits ([`validate_name`]), so the two never collide.
pub fn resolve(store: &Store, key: &str) -> Result<ScheduleId, ScheduleError> {
    let trimmed = key.trim();
    if let Some(record) = store.schedule_by_name(trimmed)? {
        return Ok(record.schedule_id);
    }
    let not_found = || ScheduleError::NotFound {
        key: trimmed.to_owned(),
    };
    let Ok(number) = trimmed.trim_start_matches('#').parse::<i64>() else {
        return Err(not_found());
    };
    match store.schedule(ScheduleId(number)) {
        Ok(record) => Ok(record.schedule_id),
        Err(StoreError::ScheduleNotFound(_)) => Err(not_found()),
        Err(error) => Err(error.into()),
    }
}

/// One schedule's view.
pub fn get(
    store: &Store,
    schedule_id: ScheduleId,
    now: DateTime<Utc>,
) -> Result<ScheduleView, ScheduleError> {
    view(store, read(store, schedule_id)?, now)
}

/// Pauses a schedule: no fire until it is resumed, and the times that pass
/// meanwhile are neither run nor reported. Returns the view and whether it
/// changed anything (false: it was paused already).
pub fn pause(
    store: &Store,
    schedule_id: ScheduleId,
    now: DateTime<Utc>,
) -> Result<(ScheduleView, bool), ScheduleError> {
    let record = read(store, schedule_id)?;
    let changed = !record.paused;
    if changed {
        crate::fire::pause_schedule(store, schedule_id)?;
    }
    Ok((get(store, schedule_id, now)?, changed))
}

/// Resumes a paused schedule from `now` ([`crate::fire::resume_schedule`]:
/// the next fire time is recomputed from now, so the paused time does not
/// count as missed). Returns the view and whether it changed anything (false:
/// it was not paused, and its fire times are left alone).
pub fn resume(
    store: &Store,
    schedule_id: ScheduleId,
    now: DateTime<Utc>,
) -> Result<(ScheduleView, bool), ScheduleError> {
    let record = read(store, schedule_id)?;
    let changed = record.paused;
    if changed {
        crate::fire::resume_schedule(store, schedule_id, now)?;
    }
    Ok((get(store, schedule_id, now)?, changed))
}

/// Removes a schedule and its fire history; the runs it started are kept.
pub fn remove(store: &Store, schedule_id: ScheduleId) -> Result<Removed, ScheduleError> {
    let record = read(store, schedule_id)?;
    let fires = store.schedule_fires(schedule_id, u32::MAX)?;
    let mut runs_kept: Vec<RunId> = fires.iter().filter_map(|fire| fire.run_id).collect();
    runs_kept.sort();
    runs_kept.dedup();
    match store.remove_schedule(schedule_id) {
        Ok(()) | Err(StoreError::ScheduleNotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    Ok(Removed {
        schedule_id,
        name: record.name,
        fires_deleted: fires.len(),
        runs_kept,
    })
}

/// A schedule's fires, newest scheduled time first, at most `limit`, each
/// with the current state of its run.
pub fn history(
    store: &Store,
    schedule_id: ScheduleId,
    limit: u32,
) -> Result<Vec<FireView>, ScheduleError> {
    read(store, schedule_id)?;
    store
        .schedule_fires(schedule_id, limit)?
        .into_iter()
        .map(|fire| fire_view(store, fire))
        .collect()
}

/// Checks a schedule name: users type it on the command line and in URLs.
pub fn validate_name(name: &str) -> Result<(), ScheduleError> {
    let invalid = |reason| ScheduleError::InvalidName {
        name: name.to_owned(),
        reason,
    };
    if name.trim().is_empty() {
        return Err(invalid("it is empty; give a name like `nightly-books`"));
    }
    if name.trim() != name {
        return Err(invalid("it starts or ends with spaces"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid("it is longer than 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("it contains control characters"));
    }
    let digits = name.trim_start_matches('#');
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid(
            "it is a number, which would read as a schedule id; add a letter",
        ));
    }
    Ok(())
}

fn read(store: &Store, schedule_id: ScheduleId) -> Result<ScheduleRecord, ScheduleError> {
    match store.schedule(schedule_id) {
        Ok(record) => Ok(record),
        Err(StoreError::ScheduleNotFound(_)) => Err(ScheduleError::NotFound {
            key: schedule_id.to_string(),
        }),
        Err(error) => Err(error.into()),
    }
}

/// Loads and validates the spec of a new schedule, and says what it fires.
fn load_spec(input: &SpecInput) -> Result<(LoadedSpec, ScheduleTarget), ScheduleError> {
    match input {
        SpecInput::File { path, snapshot } => {
            if path.is_relative() {
                return Err(ScheduleError::RelativeSpecPath { path: path.clone() });
            }
            let loaded = trawl_spec::load(path).map_err(ScheduleError::InvalidSpec)?;
            let target = if *snapshot {
                ScheduleTarget::SpecSnapshot(loaded.source.clone())
            } else {
                ScheduleTarget::SpecFile(path.clone())
            };
            Ok((loaded, target))
        }
        SpecInput::Text(toml) => {
            let loaded =
                trawl_spec::parse(toml, "spec_toml").map_err(ScheduleError::InvalidSpec)?;
            Ok((loaded, ScheduleTarget::SpecSnapshot(toml.clone())))
        }
    }
}

fn view(
    store: &Store,
    record: ScheduleRecord,
    now: DateTime<Utc>,
) -> Result<ScheduleView, ScheduleError> {
    let created_at = from_millis(record.created_at_millis)?;
    let schedule_id = record.schedule_id;
    let schedule = Schedule::from_record(record)?;
    let next_fires = schedule.cron.next_fires(now, NEXT_FIRES_SHOWN);
    let overdue_since = schedule
        .next_fire
        .filter(|next_fire| !schedule.paused && *next_fire <= now);
    let last_fire = store
        .schedule_fires(schedule_id, 1)?
        .into_iter()
        .next()
        .map(|fire| fire_view(store, fire))
        .transpose()?;
    Ok(ScheduleView {
        schedule,
        created_at,
        next_fires,
        overdue_since,
        last_fire,
    })
}

fn fire_view(store: &Store, fire: FireRecord) -> Result<FireView, ScheduleError> {
    let run_state = match fire.run_id {
        Some(run_id) => match store.run(run_id) {
            Ok(run) => Some(run.state),
            Err(StoreError::RunNotFound(_)) => None,
            Err(error) => return Err(error.into()),
        },
        None => None,
    };
    Ok(FireView {
        scheduled_for: from_millis(fire.scheduled_for_millis)?,
        fire,
        run_state,
    })
}

#[cfg(test)]
mod tests;
