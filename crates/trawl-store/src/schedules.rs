//! Cron schedules and the record of their fires, kept as plain data.
//!
//! The store does not know what a cron expression or an overlap policy means
//! (that is `trawl-schedule`, which depends on the store, not the other way
//! round); it keeps them as strings and integers and guarantees the two things
//! only a transaction can: a fire time is recorded at most once per schedule,
//! and recording fires moves the schedule's last/next fire times in the same
//! commit. That is what lets a restart in the middle of a fire neither lose
//! nor repeat it: see [`Store::record_fires`].

use rusqlite::{OptionalExtension, Row};
use trawl_types::{RunId, ScheduleId};

use crate::error::SqliteContext;
use crate::{Store, StoreError, now_unix_millis};

/// A schedule to add, as plain data (validated by `trawl-schedule` first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSchedule {
    /// Unique among schedules: users pause and remove schedules by name.
    pub name: String,
    pub cron: String,
    /// IANA time zone name the cron expression is read in.
    pub time_zone: String,
    pub jitter_millis: u64,
    /// `skip`, `queue` or `cancel_previous`.
    pub overlap_policy: String,
    /// `skip`, `run_once` or `run_all` (bounded by `missed_run_max`).
    pub missed_run_policy: String,
    pub missed_run_max: Option<u32>,
    /// Exactly one of `spec_path` and `spec_toml` is set.
    pub spec_path: Option<String>,
    pub spec_toml: Option<String>,
    pub paused: bool,
    /// The first fire time, computed by the caller when the schedule is added.
    pub next_fire_millis: Option<i64>,
}

/// One schedule as stored, with its fire times and any fire waiting in queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub schedule_id: ScheduleId,
    pub name: String,
    pub cron: String,
    pub time_zone: String,
    pub jitter_millis: u64,
    pub overlap_policy: String,
    pub missed_run_policy: String,
    pub missed_run_max: Option<u32>,
    pub spec_path: Option<String>,
    pub spec_toml: Option<String>,
    pub paused: bool,
    pub created_at_millis: i64,
    /// Latest scheduled time already decided (fired, queued or skipped).
    pub last_fire_millis: Option<i64>,
    /// Next scheduled time to decide.
    pub next_fire_millis: Option<i64>,
    /// Scheduled time of the oldest fire in state `queued`, if any.
    pub queued_fire_millis: Option<i64>,
}

/// Where a fire is in its life; see the `schedule_fires` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FireState {
    /// Recorded, and the run is about to be handed to the engine. Found at
    /// start-up, it means the process stopped in the middle of the fire.
    Firing,
    /// Waiting for the schedule's previous run to end (overlap policy `queue`).
    Queued,
    /// The engine accepted the run; `run_id` says which.
    Submitted,
    /// Decided not to run (`detail` says why).
    Skipped,
    /// Could not be submitted (an invalid spec file, say); `detail` says why.
    Failed,
}

impl FireState {
    pub const ALL: [FireState; 5] = [
        FireState::Firing,
        FireState::Queued,
        FireState::Submitted,
        FireState::Skipped,
        FireState::Failed,
    ];

    /// The name stored in `schedule_fires.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            FireState::Firing => "firing",
            FireState::Queued => "queued",
            FireState::Submitted => "submitted",
            FireState::Skipped => "skipped",
            FireState::Failed => "failed",
        }
    }

    fn from_stored(stored: &str) -> Result<FireState, StoreError> {
        FireState::ALL
            .into_iter()
            .find(|state| state.as_str() == stored)
            .ok_or_else(|| StoreError::Corrupt {
                what: "schedule fire state",
                detail: format!("unknown state {stored:?}"),
            })
    }
}

/// Identifier of one row of `schedule_fires`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FireId(pub i64);

impl std::fmt::Display for FireId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A fire time to record; `state` is `firing`, `queued` or `skipped`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFire {
    pub scheduled_for_millis: i64,
    pub jitter_millis: u64,
    pub state: FireState,
    pub detail: Option<String>,
}

/// What [`Store::record_fires`] did with one [`NewFire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FireRecorded {
    /// A new row, or a `queued` row that became `firing`.
    Recorded(FireId),
    /// The fire time was already recorded (by an earlier process): nothing was
    /// written, and the caller must not act on it again.
    AlreadyRecorded(FireId),
}

/// One row of `schedule_fires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FireRecord {
    pub fire_id: FireId,
    pub schedule_id: ScheduleId,
    pub scheduled_for_millis: i64,
    pub jitter_millis: u64,
    pub state: FireState,
    pub run_id: Option<RunId>,
    pub detail: Option<String>,
    pub recorded_at_millis: i64,
    pub updated_at_millis: i64,
}

/// Which schedule started a run: the link of a submitted fire to its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSchedule {
    pub run_id: RunId,
    pub schedule_id: ScheduleId,
    pub schedule_name: String,
    pub fire_id: FireId,
    pub scheduled_for_millis: i64,
}

const SCHEDULE_COLUMNS: &str = "schedule_id, name, cron, time_zone, jitter_millis, \
     overlap_policy, missed_run_policy, missed_run_max, spec_path, spec_toml, paused, \
     created_at_millis, last_fire_millis, next_fire_millis, \
     (SELECT MIN(scheduled_for_millis) FROM schedule_fires AS fires \
      WHERE fires.schedule_id = schedules.schedule_id AND fires.state = 'queued')";

const FIRE_COLUMNS: &str = "fire_id, schedule_id, scheduled_for_millis, jitter_millis, state, \
     run_id, detail, recorded_at_millis, updated_at_millis";

/// The raw columns of a schedule row, before the checks that can fail.
type RawSchedule = (ScheduleRecord, i64, Option<i64>);

fn schedule_from_row(row: &Row<'_>) -> rusqlite::Result<RawSchedule> {
    let jitter_millis: i64 = row.get(4)?;
    let missed_run_max: Option<i64> = row.get(7)?;
    let paused: i64 = row.get(10)?;
    Ok((
        ScheduleRecord {
            schedule_id: ScheduleId(row.get(0)?),
            name: row.get(1)?,
            cron: row.get(2)?,
            time_zone: row.get(3)?,
            jitter_millis: 0,
            overlap_policy: row.get(5)?,
            missed_run_policy: row.get(6)?,
            missed_run_max: None,
            spec_path: row.get(8)?,
            spec_toml: row.get(9)?,
            paused: paused != 0,
            created_at_millis: row.get(11)?,
            last_fire_millis: row.get(12)?,
            next_fire_millis: row.get(13)?,
            queued_fire_millis: row.get(14)?,
        },
        jitter_millis,
        missed_run_max,
    ))
}

fn finish_schedule((mut record, jitter, max): RawSchedule) -> Result<ScheduleRecord, StoreError> {
    record.jitter_millis = crate::count_from_sql(jitter, "schedule jitter")?;
    record.missed_run_max = max
        .map(|max| {
            u32::try_from(max).map_err(|_| StoreError::Corrupt {
                what: "schedule missed-run bound",
                detail: format!("{max} is not a count of runs"),
            })
        })
        .transpose()?;
    Ok(record)
}

type RawFire = (FireRecord, String, i64);

fn fire_from_row(row: &Row<'_>) -> rusqlite::Result<RawFire> {
    Ok((
        FireRecord {
            fire_id: FireId(row.get(0)?),
            schedule_id: ScheduleId(row.get(1)?),
            scheduled_for_millis: row.get(2)?,
            jitter_millis: 0,
            state: FireState::Firing,
            run_id: row.get::<_, Option<i64>>(5)?.map(RunId),
            detail: row.get(6)?,
            recorded_at_millis: row.get(7)?,
            updated_at_millis: row.get(8)?,
        },
        row.get(4)?,
        row.get(3)?,
    ))
}

fn finish_fire((mut record, state, jitter): RawFire) -> Result<FireRecord, StoreError> {
    record.state = FireState::from_stored(&state)?;
    record.jitter_millis = crate::count_from_sql(jitter, "schedule fire jitter")?;
    Ok(record)
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

impl Store {
    /// Adds a schedule and returns its id; a name already in use is
    /// [`StoreError::ScheduleNameTaken`].
    pub fn add_schedule(&self, new_schedule: &NewSchedule) -> Result<ScheduleId, StoreError> {
        let inserted = self
            .connection
            .prepare_cached(
                "INSERT INTO schedules (name, cron, time_zone, jitter_millis, overlap_policy, \
                 missed_run_policy, missed_run_max, spec_path, spec_toml, paused, \
                 created_at_millis, next_fire_millis) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .sqlite_context("adding a schedule")?
            .execute(rusqlite::params![
                new_schedule.name,
                new_schedule.cron,
                new_schedule.time_zone,
                crate::count_to_sql(new_schedule.jitter_millis),
                new_schedule.overlap_policy,
                new_schedule.missed_run_policy,
                new_schedule.missed_run_max,
                new_schedule.spec_path,
                new_schedule.spec_toml,
                new_schedule.paused,
                now_unix_millis(),
                new_schedule.next_fire_millis,
            ]);
        match inserted {
            Ok(_) => Ok(ScheduleId(self.connection.last_insert_rowid())),
            Err(error) if is_unique_violation(&error) => {
                Err(StoreError::ScheduleNameTaken(new_schedule.name.clone()))
            }
            Err(error) => Err(error).sqlite_context("adding a schedule"),
        }
    }

    /// Every schedule, oldest first.
    pub fn schedules(&self) -> Result<Vec<ScheduleRecord>, StoreError> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY schedule_id");
        let mut statement = self
            .connection
            .prepare_cached(&sql)
            .sqlite_context("listing schedules")?;
        let raw = statement
            .query_map([], schedule_from_row)
            .sqlite_context("listing schedules")?
            .collect::<Result<Vec<_>, _>>()
            .sqlite_context("listing schedules")?;
        raw.into_iter().map(finish_schedule).collect()
    }

    /// One schedule; [`StoreError::ScheduleNotFound`] if there is none.
    pub fn schedule(&self, schedule_id: ScheduleId) -> Result<ScheduleRecord, StoreError> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE schedule_id = ?1");
        let raw = self
            .connection
            .prepare_cached(&sql)
            .sqlite_context("reading a schedule")?
            .query_row([schedule_id.0], schedule_from_row)
            .optional()
            .sqlite_context("reading a schedule")?
            .ok_or(StoreError::ScheduleNotFound(schedule_id))?;
        finish_schedule(raw)
    }

    /// The schedule with this name, if any (users name schedules on the
    /// command line).
    pub fn schedule_by_name(&self, name: &str) -> Result<Option<ScheduleRecord>, StoreError> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE name = ?1");
        let raw = self
            .connection
            .prepare_cached(&sql)
            .sqlite_context("reading a schedule")?
            .query_row([name], schedule_from_row)
            .optional()
            .sqlite_context("reading a schedule")?;
        raw.map(finish_schedule).transpose()
    }

    /// Pauses or resumes a schedule. Resuming callers should also move
    /// `next_fire_millis` past now ([`Store::set_schedule_fire_times`]), or the
    /// times that passed while paused count as missed.
    pub fn set_schedule_paused(
        &self,
        schedule_id: ScheduleId,
        paused: bool,
    ) -> Result<(), StoreError> {
        let changed = self
            .connection
            .prepare_cached("UPDATE schedules SET paused = ?2 WHERE schedule_id = ?1")
            .sqlite_context("pausing a schedule")?
            .execute(rusqlite::params![schedule_id.0, paused])
            .sqlite_context("pausing a schedule")?;
        if changed == 0 {
            return Err(StoreError::ScheduleNotFound(schedule_id));
        }
        Ok(())
    }

    /// Sets a schedule's last and next fire times without recording a fire
    /// (a new next time after a resume, or a paused schedule's times moving on).
    pub fn set_schedule_fire_times(
        &self,
        schedule_id: ScheduleId,
        last_fire_millis: Option<i64>,
        next_fire_millis: Option<i64>,
    ) -> Result<(), StoreError> {
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE schedules SET last_fire_millis = ?2, next_fire_millis = ?3 \
                 WHERE schedule_id = ?1",
            )
            .sqlite_context("updating a schedule's fire times")?
            .execute(rusqlite::params![
                schedule_id.0,
                last_fire_millis,
                next_fire_millis
            ])
            .sqlite_context("updating a schedule's fire times")?;
        if changed == 0 {
            return Err(StoreError::ScheduleNotFound(schedule_id));
        }
        Ok(())
    }

    /// Removes a schedule and its fire history (its runs stay).
    pub fn remove_schedule(&self, schedule_id: ScheduleId) -> Result<(), StoreError> {
        let changed = self
            .connection
            .prepare_cached("DELETE FROM schedules WHERE schedule_id = ?1")
            .sqlite_context("removing a schedule")?
            .execute([schedule_id.0])
            .sqlite_context("removing a schedule")?;
        if changed == 0 {
            return Err(StoreError::ScheduleNotFound(schedule_id));
        }
        Ok(())
    }

    /// Records decided fire times of one schedule and moves its last/next
    /// fire times, in one transaction.
    ///
    /// This is the first half of a fire: it commits *before* the run is
    /// handed to the engine. A crash before the commit leaves the schedule's
    /// next fire time where it was, so the fire is decided again (not lost);
    /// a crash after it leaves a `firing` row that start-up recovery finishes
    /// (not repeated, since the next fire time has moved on and the fire time
    /// is UNIQUE per schedule). A fire time that is already recorded is
    /// reported as [`FireRecorded::AlreadyRecorded`] and left alone, except
    /// that a `queued` fire becomes `firing` when recorded as `firing`.
    pub fn record_fires(
        &self,
        schedule_id: ScheduleId,
        fires: &[NewFire],
        last_fire_millis: Option<i64>,
        next_fire_millis: Option<i64>,
    ) -> Result<Vec<FireRecorded>, StoreError> {
        let transaction = self.write_transaction("recording schedule fires")?;
        let changed = transaction
            .prepare_cached(
                "UPDATE schedules SET last_fire_millis = ?2, next_fire_millis = ?3 \
                 WHERE schedule_id = ?1",
            )
            .sqlite_context("recording schedule fires")?
            .execute(rusqlite::params![
                schedule_id.0,
                last_fire_millis,
                next_fire_millis
            ])
            .sqlite_context("recording schedule fires")?;
        if changed == 0 {
            return Err(StoreError::ScheduleNotFound(schedule_id));
        }
        let now = now_unix_millis();
        let mut outcomes = Vec::with_capacity(fires.len());
        for fire in fires {
            let existing: Option<(i64, String)> = transaction
                .prepare_cached(
                    "SELECT fire_id, state FROM schedule_fires \
                     WHERE schedule_id = ?1 AND scheduled_for_millis = ?2",
                )
                .sqlite_context("recording schedule fires")?
                .query_row(
                    rusqlite::params![schedule_id.0, fire.scheduled_for_millis],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .sqlite_context("recording schedule fires")?;
            let outcome = match existing {
                Some((fire_id, state))
                    if state == FireState::Queued.as_str() && fire.state == FireState::Firing =>
                {
                    transaction
                        .prepare_cached(
                            "UPDATE schedule_fires SET state = 'firing', jitter_millis = ?2, \
                             updated_at_millis = ?3 WHERE fire_id = ?1",
                        )
                        .sqlite_context("recording schedule fires")?
                        .execute(rusqlite::params![
                            fire_id,
                            crate::count_to_sql(fire.jitter_millis),
                            now
                        ])
                        .sqlite_context("recording schedule fires")?;
                    FireRecorded::Recorded(FireId(fire_id))
                }
                Some((fire_id, _)) => FireRecorded::AlreadyRecorded(FireId(fire_id)),
                None => {
                    transaction
                        .prepare_cached(
                            "INSERT INTO schedule_fires (schedule_id, scheduled_for_millis, \
                             jitter_millis, state, detail, recorded_at_millis, updated_at_millis) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                        )
                        .sqlite_context("recording schedule fires")?
                        .execute(rusqlite::params![
                            schedule_id.0,
                            fire.scheduled_for_millis,
                            crate::count_to_sql(fire.jitter_millis),
                            fire.state.as_str(),
                            fire.detail,
                            now,
                        ])
                        .sqlite_context("recording schedule fires")?;
                    FireRecorded::Recorded(FireId(transaction.last_insert_rowid()))
                }
            };
            outcomes.push(outcome);
        }
        transaction
            .commit()
            .sqlite_context("recording schedule fires")?;
        Ok(outcomes)
    }

    /// Second half of a fire: the engine accepted `run_id`. Only a `firing`
    /// fire changes; returns whether this one did (false: it was already
    /// finished, by start-up recovery for instance).
    pub fn mark_fire_submitted(&self, fire_id: FireId, run_id: RunId) -> Result<bool, StoreError> {
        self.finish_fire(fire_id, FireState::Submitted, Some(run_id), None)
    }

    /// The fire could not be submitted (`detail` says why); only a `firing`
    /// fire changes, as for [`Store::mark_fire_submitted`].
    pub fn mark_fire_failed(&self, fire_id: FireId, detail: &str) -> Result<bool, StoreError> {
        self.finish_fire(fire_id, FireState::Failed, None, Some(detail))
    }

    fn finish_fire(
        &self,
        fire_id: FireId,
        state: FireState,
        run_id: Option<RunId>,
        detail: Option<&str>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE schedule_fires SET state = ?2, run_id = ?3, detail = ?4, \
                 updated_at_millis = ?5 WHERE fire_id = ?1 AND state = 'firing'",
            )
            .sqlite_context("finishing a schedule fire")?
            .execute(rusqlite::params![
                fire_id.0,
                state.as_str(),
                run_id.map(|run_id| run_id.0),
                detail,
                now_unix_millis(),
            ])
            .sqlite_context("finishing a schedule fire")?;
        if changed == 0 {
            self.fire(fire_id)?;
            return Ok(false);
        }
        Ok(true)
    }

    /// One fire; [`StoreError::FireNotFound`] if there is none.
    pub fn fire(&self, fire_id: FireId) -> Result<FireRecord, StoreError> {
        let sql = format!("SELECT {FIRE_COLUMNS} FROM schedule_fires WHERE fire_id = ?1");
        let raw = self
            .connection
            .prepare_cached(&sql)
            .sqlite_context("reading a schedule fire")?
            .query_row([fire_id.0], fire_from_row)
            .optional()
            .sqlite_context("reading a schedule fire")?
            .ok_or(StoreError::FireNotFound(fire_id))?;
        finish_fire(raw)
    }

    /// Every fire in `state`, oldest scheduled time first, across schedules
    /// (start-up recovery asks for `firing`).
    pub fn fires_in_state(&self, state: FireState) -> Result<Vec<FireRecord>, StoreError> {
        let sql = format!(
            "SELECT {FIRE_COLUMNS} FROM schedule_fires WHERE state = ?1 \
             ORDER BY scheduled_for_millis, fire_id"
        );
        self.query_fires(&sql, rusqlite::params![state.as_str()])
    }

    /// A schedule's fire history, newest scheduled time first, at most `limit` rows.
    pub fn schedule_fires(
        &self,
        schedule_id: ScheduleId,
        limit: u32,
    ) -> Result<Vec<FireRecord>, StoreError> {
        let sql = format!(
            "SELECT {FIRE_COLUMNS} FROM schedule_fires WHERE schedule_id = ?1 \
             ORDER BY scheduled_for_millis DESC, fire_id DESC LIMIT ?2"
        );
        self.query_fires(&sql, rusqlite::params![schedule_id.0, limit])
    }

    fn query_fires(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<FireRecord>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .sqlite_context("listing schedule fires")?;
        let raw = statement
            .query_map(params, fire_from_row)
            .sqlite_context("listing schedule fires")?
            .collect::<Result<Vec<_>, _>>()
            .sqlite_context("listing schedule fires")?;
        raw.into_iter().map(finish_fire).collect()
    }

    /// Every run started by a schedule, with that schedule, newest run first
    /// (`trawl runs` names the schedule of each run). Runs of a removed
    /// schedule are not listed: its fires went with it.
    pub fn run_schedules(&self) -> Result<Vec<RunSchedule>, StoreError> {
        self.query_run_schedules(
            "SELECT fires.run_id, fires.schedule_id, schedules.name, fires.fire_id, \
             fires.scheduled_for_millis FROM schedule_fires AS fires \
             JOIN schedules ON schedules.schedule_id = fires.schedule_id \
             WHERE fires.run_id IS NOT NULL ORDER BY fires.run_id DESC",
            rusqlite::params![],
        )
    }

    /// The schedule that started `run_id`, if one did.
    pub fn run_schedule(&self, run_id: RunId) -> Result<Option<RunSchedule>, StoreError> {
        let mut found = self.query_run_schedules(
            "SELECT fires.run_id, fires.schedule_id, schedules.name, fires.fire_id, \
             fires.scheduled_for_millis FROM schedule_fires AS fires \
             JOIN schedules ON schedules.schedule_id = fires.schedule_id \
             WHERE fires.run_id = ?1 ORDER BY fires.fire_id LIMIT 1",
            rusqlite::params![run_id.0],
        )?;
        Ok(found.pop())
    }

    fn query_run_schedules(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<RunSchedule>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .sqlite_context("listing the schedules of runs")?;
        statement
            .query_map(params, |row| {
                Ok(RunSchedule {
                    run_id: RunId(row.get(0)?),
                    schedule_id: ScheduleId(row.get(1)?),
                    schedule_name: row.get(2)?,
                    fire_id: FireId(row.get(3)?),
                    scheduled_for_millis: row.get(4)?,
                })
            })
            .sqlite_context("listing the schedules of runs")?
            .collect::<Result<Vec<_>, _>>()
            .sqlite_context("listing the schedules of runs")
    }

    /// Runs created at or after `created_since_millis` from this spec origin
    /// (the spec file path, or else the exact spec text) that no fire claims
    /// yet, oldest first.
    ///
    /// Start-up recovery uses it to settle a `firing` fire: the engine creates
    /// the run in its own transaction, so a crash right after that leaves the
    /// run unclaimed, and adopting it instead of submitting again is what
    /// keeps the fire from running twice.
    pub fn unclaimed_runs_from(
        &self,
        spec_path: Option<&str>,
        spec_toml: Option<&str>,
        created_since_millis: i64,
    ) -> Result<Vec<RunId>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT run_id FROM runs \
                 WHERE created_at_millis >= ?1 \
                   AND ((?2 IS NOT NULL AND spec_path = ?2) OR (?2 IS NULL AND spec_toml = ?3)) \
                   AND NOT EXISTS (SELECT 1 FROM schedule_fires AS fires \
                                   WHERE fires.run_id = runs.run_id) \
                 ORDER BY run_id",
            )
            .sqlite_context("looking for unclaimed runs")?;
        statement
            .query_map(
                rusqlite::params![created_since_millis, spec_path, spec_toml],
                |row| row.get(0).map(RunId),
            )
            .sqlite_context("looking for unclaimed runs")?
            .collect::<Result<Vec<_>, _>>()
            .sqlite_context("looking for unclaimed runs")
    }
}

#[cfg(test)]
mod tests;
