//! Cron schedules for crawls: parsing, time zones, next fire times, and the
//! overlap and missed-run policies that decide what happens at a fire time.
//!
//! The crate decides; it runs nothing. [`decide`] is a pure function of the
//! stored schedules, a clock reading and which schedules still have a run
//! active, so every policy is tested by moving a [`ManualClock`] instead of
//! sleeping. [`fire`] is the persistence protocol around it: a fire is
//! recorded in the store before its run is handed to the engine, so a restart
//! in the middle of a fire neither loses nor repeats it. [`Scheduler`]
//! ([`runner`]) is the loop that ties them to the engine: it ticks, decides,
//! records, and submits each fire's run through `Engine::submit`.
//! [`catalog`] is what users do with schedules (add, list, pause, resume,
//! remove, history), shared by the CLI and the API.

pub mod catalog;
pub mod clock;
pub mod cron;
pub mod decide;
mod error;
pub mod fire;
pub mod model;
pub mod runner;

pub use catalog::{AddSchedule, FireView, Removed, ScheduleView, SpecInput};
pub use clock::{Clock, ManualClock, SystemClock};
pub use cron::{CronField, CronSchedule};
pub use decide::{Decision, FireTimes, SkipReason, Tick, decide};
pub use error::ScheduleError;
pub use fire::{PendingFire, Recovered};
pub use model::{MissedRunPolicy, OverlapPolicy, Schedule, ScheduleConfig, ScheduleTarget};
pub use runner::{ScheduleEvent, Scheduler, SchedulerHandle};
