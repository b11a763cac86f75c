//! Shared vocabulary of Trawl: run identifiers, run states and the item shape.
//!
//! Only things that two or more crates need and that carry no behaviour live
//! here. No IO, no async, no heavy dependencies: every crate depends on this one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod secret;

pub use secret::{REDACTED, Secret};

/// Identifier of one run in the store (SQLite rowid of the `runs` table).
///
/// A small integer, so users can type `trawl export 3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for RunId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().trim_start_matches('#').parse().map(RunId)
    }
}

/// Identifier of one cron schedule in the store (SQLite rowid of the
/// `schedules` table).
///
/// Shared because the store keeps schedules and `trawl-schedule` decides their
/// fires; like [`RunId`] it is a small integer users can type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScheduleId(pub i64);

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Lifecycle state of a run.
///
/// `queued -> running <-> paused -> succeeded | failed | cancelled`, and
/// `interrupted` for a run found `running` when a process starts (its owner died).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Queued,
    Running,
    Paused,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

impl RunState {
    pub const ALL: [RunState; 7] = [
        RunState::Queued,
        RunState::Running,
        RunState::Paused,
        RunState::Succeeded,
        RunState::Failed,
        RunState::Cancelled,
        RunState::Interrupted,
    ];

    /// The lowercase name used in the store, the CLI and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Cancelled => "cancelled",
            RunState::Interrupted => "interrupted",
        }
    }

    /// True once the run can no longer change (its dataset is final).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunState::Succeeded | RunState::Failed | RunState::Cancelled
        )
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returned when a stored or typed state name is not one of [`RunState::ALL`].
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown run state {0:?} (expected one of queued, running, paused, succeeded, failed, cancelled, interrupted)"
)]
pub struct UnknownRunState(pub String);

impl FromStr for RunState {
    type Err = UnknownRunState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownRunState(s.to_owned()))
    }
}

/// One extracted record, as it is stored and exported.
///
/// `fields` keeps the order of the spec's fields (serde_json's `preserve_order`),
/// so CSV columns come out in the order the user wrote them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Name of the extraction rule that produced it (`[[extract]] name`).
    pub kind: String,
    /// Value of the rule's dedup key field, rendered as a string, if the rule has a key.
    pub key: Option<String>,
    /// URL of the page the item was extracted from (after redirects).
    pub url: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

#[cfg(test)]
mod tests;
