//! The observability vocabulary and plumbing: the typed [`Event`], the one
//! [`EventBus`] every run's events go through, the Prometheus summary
//! ([`Metrics`]) kept up to date as events are published, and run
//! statistics derived from a run's event log ([`RunStats`]).
//!
//! The crate does no IO of its own: persisting events is the store's job
//! (the engine hands them over with each checkpoint, see `trawl-engine`'s
//! writer), streaming them is the API's.

mod bus;
mod event;
mod metrics;
mod stats;

pub use bus::{
    CHANNEL_CAPACITY, Envelope, EventBus, RECENT_CAPACITY, Received, RunEmitter, Subscription,
    now_unix_millis,
};
pub use event::{
    Event, EventKind, Level, ResourceSample, ScheduleSource, decode_stored, encode_stored,
};
pub use metrics::{
    CONTENT_TYPE as METRICS_CONTENT_TYPE, MAX_HOST_LABELS, MAX_RUN_LABELS, Metrics, host_of,
};
pub use stats::{HostStats, Latency, MAX_TIMELINE_POINTS, RunStats, StatsBuilder, TimelinePoint};

#[cfg(test)]
mod tests;
