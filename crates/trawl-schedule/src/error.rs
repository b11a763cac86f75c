//! The crate's one error type: what a user typed wrong (a cron field, a time
//! zone, a policy) and what the store could not do, told apart.

use std::path::PathBuf;

use trawl_spec::SpecError;
use trawl_store::StoreError;
use trawl_types::ScheduleId;

use crate::cron::CronField;

/// Everything that can go wrong in `trawl-schedule`.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The cron expression is empty or blank.
    #[error(
        "the cron expression is empty; write 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly/@daily/@weekly/@monthly/@yearly"
    )]
    EmptyCron,
    /// The expression does not have 5 or 6 fields.
    #[error(
        "cron expression {expression:?} has {found} fields; write 5 (minute hour day-of-month month day-of-week) or 6 with seconds first"
    )]
    WrongFieldCount { expression: String, found: usize },
    /// An `@name` that is not one of the supported nicknames.
    #[error(
        "unknown cron nickname {nickname:?}; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
    )]
    UnknownNickname { nickname: String },
    /// One field is not valid on its own; `allowed` says what it accepts.
    #[error("invalid {field} field {value:?} in cron expression {expression:?}: allowed are {allowed}", field = field.name(), allowed = field.allowed())]
    InvalidField {
        expression: String,
        field: CronField,
        value: String,
    },
    /// The expression is rejected but no single field is to blame (the
    /// fields are each valid on their own); `detail` is the cron parser's word.
    #[error("invalid cron expression {expression:?}: {detail}")]
    InvalidCron { expression: String, detail: String },
    /// Every field is valid but no date ever matches (`0 0 30 2 *`).
    #[error("cron expression {expression:?} never fires: no date matches all of its fields")]
    NeverFires { expression: String },
    /// Not an IANA time zone name.
    #[error("unknown time zone {name:?}{hint}; use an IANA name such as Europe/Paris, America/New_York or UTC", hint = suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownTimeZone {
        name: String,
        suggestion: Option<String>,
    },
    /// An overlap or missed-run policy name that is not known.
    #[error("unknown {what} {value:?}; use one of {allowed}")]
    UnknownPolicy {
        what: &'static str,
        value: String,
        allowed: &'static str,
    },
    /// `run_all` needs a bound so a long downtime cannot start a flood of runs.
    #[error("missed-run policy run_all needs a bound between 1 and {max_allowed}, got {found}")]
    RunAllBound { found: u32, max_allowed: u32 },
    /// The jitter is longer than the bound (a day): a schedule would fire
    /// after its next fire time.
    #[error("jitter of {found_secs} seconds is too long; at most {max_secs} seconds is allowed")]
    JitterTooLong { found_secs: u64, max_secs: u64 },
    /// A stored schedule row cannot be understood (edited by hand, or written
    /// by a newer trawl).
    #[error("stored schedule {schedule_id} is invalid")]
    StoredSchedule {
        schedule_id: ScheduleId,
        #[source]
        source: Box<ScheduleError>,
    },
    /// A stored time is outside the range chrono can represent.
    #[error("stored time {millis} is out of range")]
    StoredTime { millis: i64 },
    /// No schedule has this name or id (a typo, or it was removed).
    #[error(
        "no schedule named or numbered {key:?}; give a schedule's name or id, as `trawl schedule list` shows them"
    )]
    NotFound { key: String },
    /// A schedule name that cannot be used; `reason` says why.
    #[error("invalid schedule name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    /// A schedule's spec file path is relative: the scheduler re-reads it at
    /// each fire, from whatever directory it runs in.
    #[error("spec path {} is relative; give an absolute path", path.display())]
    RelativeSpecPath { path: PathBuf },
    /// The spec of a schedule being added cannot be read or is invalid; the
    /// source holds every problem with its line and column.
    #[error("the schedule's spec is not valid")]
    InvalidSpec(#[source] SpecError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `Scheduler::start` was called outside a tokio runtime; the tick loop
    /// is a task on it.
    #[error("the scheduler must be started inside a tokio runtime")]
    NoRuntime,
}

impl ScheduleError {
    /// Whether the error is about what the user asked for (a cron field, a
    /// zone, a policy, a name, the spec), as opposed to a failure of the
    /// store or of a stored row. The CLI exits 2 on these, the API answers
    /// 4xx.
    pub fn is_input_error(&self) -> bool {
        match self {
            ScheduleError::EmptyCron
            | ScheduleError::WrongFieldCount { .. }
            | ScheduleError::UnknownNickname { .. }
            | ScheduleError::InvalidField { .. }
            | ScheduleError::InvalidCron { .. }
            | ScheduleError::NeverFires { .. }
            | ScheduleError::UnknownTimeZone { .. }
            | ScheduleError::UnknownPolicy { .. }
            | ScheduleError::RunAllBound { .. }
            | ScheduleError::JitterTooLong { .. }
            | ScheduleError::NotFound { .. }
            | ScheduleError::InvalidName { .. }
            | ScheduleError::RelativeSpecPath { .. }
            | ScheduleError::InvalidSpec(_)
            | ScheduleError::Store(StoreError::ScheduleNameTaken(_)) => true,
            ScheduleError::StoredSchedule { .. }
            | ScheduleError::StoredTime { .. }
            | ScheduleError::Store(_)
            | ScheduleError::NoRuntime => false,
        }
    }

    /// Which field of a schedule the user got wrong, by its API/JSON name
    /// (`cron`, `time_zone`, `missed_max`, ...); `None` when no single field
    /// is to blame.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ScheduleError::EmptyCron
            | ScheduleError::WrongFieldCount { .. }
            | ScheduleError::UnknownNickname { .. }
            | ScheduleError::InvalidField { .. }
            | ScheduleError::InvalidCron { .. }
            | ScheduleError::NeverFires { .. } => Some("cron"),
            ScheduleError::UnknownTimeZone { .. } => Some("time_zone"),
            ScheduleError::UnknownPolicy { what, .. } if what.starts_with("overlap") => {
                Some("overlap")
            }
            ScheduleError::UnknownPolicy { .. } => Some("missed"),
            ScheduleError::RunAllBound { .. } => Some("missed_max"),
            ScheduleError::JitterTooLong { .. } => Some("jitter_secs"),
            ScheduleError::InvalidName { .. }
            | ScheduleError::Store(StoreError::ScheduleNameTaken(_)) => Some("name"),
            ScheduleError::RelativeSpecPath { .. } => Some("spec_path"),
            _ => None,
        }
    }

    /// The cron field an [`ScheduleError::InvalidField`] is about.
    pub fn cron_field(&self) -> Option<CronField> {
        match self {
            ScheduleError::InvalidField { field, .. } => Some(*field),
            _ => None,
        }
    }
}
