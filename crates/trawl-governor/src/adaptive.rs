//! Adaptive concurrency of a run: lowered under pressure (resident memory
//! near the ceiling, an event loop too busy to run its timers on time),
//! raised again once the process has been healthy for a while (which
//! includes spare CPU on the machine), never above the spec's `concurrency`
//! nor below 1.
//!
//! A busy CPU alone only stops growth: a crawl that keeps every core busy
//! already goes as fast as the machine allows, and fewer requests in flight
//! would leave the cores waiting on the network. When the CPU is so busy
//! that the process falls behind, the event loop's lag says so, and that
//! lowers concurrency.
//!
//! [`Controller::decide`] is a pure function of the signals and the clock,
//! so the policy is unit-tested without a machine under load; the engine's
//! control loop feeds it and applies what it returns to the run's
//! [`RunLimit`], which the dispatcher reads before starting each page.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Resident memory at or above this share of the ceiling halves concurrency.
pub const MEMORY_CRITICAL: f64 = 0.90;
/// ... at or above this share lowers it by a quarter.
pub const MEMORY_HIGH: f64 = 0.80;
/// Below this share (and with a punctual event loop) the process is healthy.
pub const MEMORY_HEALTHY: f64 = 0.70;
/// An event loop this late running a timer is saturated.
pub const LAG_HIGH: Duration = Duration::from_millis(200);
/// An event loop at most this late is healthy.
pub const LAG_HEALTHY: Duration = Duration::from_millis(50);
/// The machine's CPU at or above this busy share has nothing to spare.
pub const CPU_BUSY: f64 = 0.95;
/// At most one change per run this often.
pub const CHANGE_COOLDOWN: Duration = Duration::from_millis(1000);
/// Health must last this long before concurrency grows again.
pub const HEALTHY_FOR: Duration = Duration::from_secs(2);

/// The run's current concurrency limit, read by its dispatcher.
#[derive(Debug)]
pub struct RunLimit {
    current: AtomicUsize,
    max: usize,
}

impl RunLimit {
    /// Starts at `max` (the spec's concurrency).
    pub fn new(max: usize) -> RunLimit {
        let max = max.max(1);
        RunLimit {
            current: AtomicUsize::new(max),
            max,
        }
    }

    pub fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }

    pub fn max(&self) -> usize {
        self.max
    }

    pub fn set(&self, limit: usize) {
        self.current
            .store(limit.clamp(1, self.max), Ordering::Relaxed);
    }
}

/// What the control loop measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signals {
    /// Resident memory / ceiling; `None` without a ceiling.
    pub memory_share: Option<f64>,
    pub loop_lag: Duration,
    /// The machine's CPU busy share (1.0: every core); `None` if unknown.
    pub cpu_share: Option<f64>,
}

/// A change to apply, with its reason (`memory`, `event_loop_lag`, `healthy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub from: usize,
    pub to: usize,
    pub reason: &'static str,
}

/// One run's controller state.
#[derive(Debug, Default)]
pub struct Controller {
    last_change: Option<Instant>,
    healthy_since: Option<Instant>,
}

impl Controller {
    /// The change to make now, if any.
    pub fn decide(
        &mut self,
        now: Instant,
        current: usize,
        max: usize,
        signals: Signals,
    ) -> Option<Change> {
        let memory = signals.memory_share.unwrap_or(0.0);
        let healthy = memory < MEMORY_HEALTHY
            && signals.loop_lag <= LAG_HEALTHY
            && signals.cpu_share.is_none_or(|cpu| cpu < CPU_BUSY);
        if healthy {
            self.healthy_since.get_or_insert(now);
        } else {
            self.healthy_since = None;
        }
        let cooled = self
            .last_change
            .is_none_or(|at| now.duration_since(at) >= CHANGE_COOLDOWN);
        if !cooled {
            return None;
        }
        let (to, reason) = if memory >= MEMORY_CRITICAL {
            (current / 2, "memory")
        } else if memory >= MEMORY_HIGH {
            (current - current / 4, "memory")
        } else if signals.loop_lag >= LAG_HIGH {
            (current - current / 4, "event_loop_lag")
        } else if healthy
            && current < max
            && self
                .healthy_since
                .is_some_and(|since| now.duration_since(since) >= HEALTHY_FOR)
        {
            (current + (current / 4).max(1), "healthy")
        } else {
            return None;
        };
        let to = to.clamp(1, max.max(1));
        if to == current {
            return None;
        }
        self.last_change = Some(now);
        Some(Change {
            from: current,
            to,
            reason,
        })
    }
}

#[cfg(test)]
mod tests;
