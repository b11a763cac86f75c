//! The schedule model: what a user configures ([`ScheduleConfig`]), the
//! running form with its fire times ([`Schedule`]), the policies, and the
//! conversion to and from the store's plain rows.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use trawl_store::{NewSchedule, ScheduleRecord};
use trawl_types::ScheduleId;

use crate::cron::CronSchedule;
use crate::error::ScheduleError;

/// The largest `run_all` bound: a week of hourly runs. A larger backlog is
/// better re-run by hand than started as a flood after a downtime.
pub const MAX_RUN_ALL: u32 = 168;

/// The longest jitter: a day. Spreading fires further than that would mix up
/// the order of a daily schedule's fires.
pub const MAX_JITTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What to do at a fire time when the schedule's previous run is still active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OverlapPolicy {
    /// Do not start another run; the fire is recorded as skipped.
    #[default]
    Skip,
    /// Start it when the previous run ends. At most one fire waits: if runs are
    /// slower than the schedule a longer queue would never drain, so later
    /// fires are skipped while one is queued.
    Queue,
    /// Cancel the previous run, then start the new one.
    CancelPrevious,
}

impl OverlapPolicy {
    const ALLOWED: &'static str = "skip, queue, cancel_previous";

    /// The name used in the store and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            OverlapPolicy::Skip => "skip",
            OverlapPolicy::Queue => "queue",
            OverlapPolicy::CancelPrevious => "cancel_previous",
        }
    }

    /// Parses [`OverlapPolicy::as_str`]'s names.
    pub fn parse(value: &str) -> Result<OverlapPolicy, ScheduleError> {
        match value.trim() {
            "skip" => Ok(OverlapPolicy::Skip),
            "queue" => Ok(OverlapPolicy::Queue),
            "cancel_previous" | "cancel-previous" => Ok(OverlapPolicy::CancelPrevious),
            other => Err(ScheduleError::UnknownPolicy {
                what: "overlap policy",
                value: other.to_owned(),
                allowed: Self::ALLOWED,
            }),
        }
    }
}

/// What to do with fire times that passed while trawl was not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MissedRunPolicy {
    /// Forget them (recorded as one skip); wait for the next fire time.
    #[default]
    Skip,
    /// Run once at start-up for the latest missed time.
    RunOnce,
    /// Run the latest `max` missed times, oldest first (1..=[`MAX_RUN_ALL`]).
    RunAll { max: u32 },
}

impl MissedRunPolicy {
    const ALLOWED: &'static str = "skip, run_once, run_all";

    /// The name used in the store and on the command line (without the bound).
    pub fn as_str(self) -> &'static str {
        match self {
            MissedRunPolicy::Skip => "skip",
            MissedRunPolicy::RunOnce => "run_once",
            MissedRunPolicy::RunAll { .. } => "run_all",
        }
    }

    /// Parses a name and, for `run_all`, its bound.
    pub fn parse(value: &str, max: Option<u32>) -> Result<MissedRunPolicy, ScheduleError> {
        let policy = match value.trim() {
            "skip" => MissedRunPolicy::Skip,
            "run_once" | "run-once" => MissedRunPolicy::RunOnce,
            "run_all" | "run-all" => MissedRunPolicy::RunAll {
                max: max.unwrap_or(0),
            },
            other => {
                return Err(ScheduleError::UnknownPolicy {
                    what: "missed-run policy",
                    value: other.to_owned(),
                    allowed: Self::ALLOWED,
                });
            }
        };
        policy.validate()?;
        Ok(policy)
    }

    fn validate(self) -> Result<(), ScheduleError> {
        match self {
            MissedRunPolicy::RunAll { max } if !(1..=MAX_RUN_ALL).contains(&max) => {
                Err(ScheduleError::RunAllBound {
                    found: max,
                    max_allowed: MAX_RUN_ALL,
                })
            }
            _ => Ok(()),
        }
    }

    fn bound(self) -> Option<u32> {
        match self {
            MissedRunPolicy::RunAll { max } => Some(max),
            _ => None,
        }
    }
}

/// What a fire runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleTarget {
    /// A spec file, re-read and validated at each fire, so edits apply to the
    /// next run; an invalid file makes that fire fail, not the scheduler.
    SpecFile(PathBuf),
    /// The spec text as it was when the schedule was added.
    SpecSnapshot(String),
}

/// A schedule as a user describes it (`trawl schedule add`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConfig {
    pub name: String,
    pub cron: String,
    /// IANA name; `UTC` when the user gives none.
    pub time_zone: String,
    /// Upper bound of the per-fire delay that spreads schedules sharing a time.
    pub jitter: Duration,
    pub overlap: OverlapPolicy,
    pub missed: MissedRunPolicy,
    pub target: ScheduleTarget,
    pub paused: bool,
}

/// A stored schedule in its running form.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub id: ScheduleId,
    pub name: String,
    pub cron: CronSchedule,
    pub jitter: Duration,
    pub overlap: OverlapPolicy,
    pub missed: MissedRunPolicy,
    pub target: ScheduleTarget,
    pub paused: bool,
    /// Latest scheduled time already decided (fired, queued or skipped).
    pub last_fire: Option<DateTime<Utc>>,
    /// Next scheduled time to decide (before jitter).
    pub next_fire: Option<DateTime<Utc>>,
    /// Scheduled time of a fire waiting for the previous run (policy `queue`).
    pub queued_fire: Option<DateTime<Utc>>,
}

impl ScheduleConfig {
    /// Validates everything a user typed and builds the store row, with the
    /// first fire time after `now`.
    pub fn to_new_schedule(&self, now: DateTime<Utc>) -> Result<NewSchedule, ScheduleError> {
        let cron = CronSchedule::parse(&self.cron, &self.time_zone)?;
        self.missed.validate()?;
        if self.jitter > MAX_JITTER {
            return Err(ScheduleError::JitterTooLong {
                found_secs: self.jitter.as_secs(),
                max_secs: MAX_JITTER.as_secs(),
            });
        }
        let (spec_path, spec_toml) = match &self.target {
            ScheduleTarget::SpecFile(path) => (Some(path.display().to_string()), None),
            ScheduleTarget::SpecSnapshot(toml) => (None, Some(toml.clone())),
        };
        Ok(NewSchedule {
            name: self.name.clone(),
            cron: cron.expression().to_owned(),
            time_zone: cron.time_zone().name().to_owned(),
            jitter_millis: duration_millis(self.jitter),
            overlap_policy: self.overlap.as_str().to_owned(),
            missed_run_policy: self.missed.as_str().to_owned(),
            missed_run_max: self.missed.bound(),
            spec_path,
            spec_toml,
            paused: self.paused,
            next_fire_millis: cron.next_after(now).map(|next| next.timestamp_millis()),
        })
    }
}

impl Schedule {
    /// Builds the running form of a stored row; a row that does not parse
    /// (edited by hand) is [`ScheduleError::StoredSchedule`].
    pub fn from_record(record: ScheduleRecord) -> Result<Schedule, ScheduleError> {
        let schedule_id = record.schedule_id;
        Self::try_from_record(record).map_err(|source| ScheduleError::StoredSchedule {
            schedule_id,
            source: Box::new(source),
        })
    }

    fn try_from_record(record: ScheduleRecord) -> Result<Schedule, ScheduleError> {
        let target = match (record.spec_path, record.spec_toml) {
            (Some(path), _) => ScheduleTarget::SpecFile(PathBuf::from(path)),
            (None, Some(toml)) => ScheduleTarget::SpecSnapshot(toml),
            // The table's CHECK makes this impossible; an empty snapshot
            // then fails at fire time, where failures are reported.
            (None, None) => ScheduleTarget::SpecSnapshot(String::new()),
        };
        Ok(Schedule {
            id: record.schedule_id,
            name: record.name,
            cron: CronSchedule::parse(&record.cron, &record.time_zone)?,
            jitter: Duration::from_millis(record.jitter_millis),
            overlap: OverlapPolicy::parse(&record.overlap_policy)?,
            missed: MissedRunPolicy::parse(&record.missed_run_policy, record.missed_run_max)?,
            target,
            paused: record.paused,
            last_fire: record.last_fire_millis.map(from_millis).transpose()?,
            next_fire: record.next_fire_millis.map(from_millis).transpose()?,
            queued_fire: record.queued_fire_millis.map(from_millis).transpose()?,
        })
    }

    /// This schedule's delay for the fire at `scheduled_for`: see [`jitter_for`].
    pub fn jitter_for(&self, scheduled_for: DateTime<Utc>) -> Duration {
        jitter_for(self.id, scheduled_for, self.jitter)
    }

    /// When the fire at `scheduled_for` actually happens: its time plus jitter.
    pub fn fire_at(&self, scheduled_for: DateTime<Utc>) -> DateTime<Utc> {
        scheduled_for + self.jitter_for(scheduled_for)
    }
}

/// A delay in `0..=max`, fixed by (schedule, fire time): a restart computes
/// the same delay, so a fire neither moves nor repeats, and schedules that
/// share a fire time get different delays.
///
/// The hash is written out (splitmix64) rather than taken from std, whose
/// hasher output may change between Rust releases.
pub fn jitter_for(
    schedule_id: ScheduleId,
    scheduled_for: DateTime<Utc>,
    max: Duration,
) -> Duration {
    let max_millis = duration_millis(max);
    if max_millis == 0 {
        return Duration::ZERO;
    }
    let mixed =
        splitmix64(splitmix64(schedule_id.0 as u64) ^ scheduled_for.timestamp_millis() as u64);
    Duration::from_millis(mixed % (max_millis + 1))
}

fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn from_millis(millis: i64) -> Result<DateTime<Utc>, ScheduleError> {
    DateTime::from_timestamp_millis(millis).ok_or(ScheduleError::StoredTime { millis })
}
