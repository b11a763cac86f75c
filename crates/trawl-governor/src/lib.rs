//! Permits for politeness and for the machine: how many requests may be in
//! flight per host and in the whole process, how often a host may be hit
//! (token bucket, robots.txt crawl-delay, Retry-After), and how those limits
//! adapt to what the host and the machine say.
//!
//! The engine asks the governor for a [`HostPermit`] before every request and
//! holds it until the response is read. The governor never fails a request:
//! it only makes it wait, so a busy host or a full machine slows the crawl
//! instead of erroring it.
//!
//! - Per host ([`Governor`]): a concurrency limit that starts at the spec's
//!   `per_host_concurrency` and adapts (AIMD: halved when the host answers
//!   429/503 or times out, raised by one after a run of successes, never above
//!   the spec), and a token bucket for `per_host_rate` with `per_host_burst`,
//!   floored by crawl-delay and Retry-After. Changes come back as
//!   [`LimitChange`]s for the engine to report as events.
//! - Per process: an optional semaphore of requests in flight across all runs
//!   ([`Governor::with_global`]), and [`pressure::Pressure`]: the memory
//!   ceiling and event-loop lag that the engine's control loop turns into
//!   per-run concurrency ([`adaptive`]).
//! - [`resources`] reads this process's and the machine's CPU, memory and
//!   sockets from /proc.

pub mod adaptive;
pub mod pressure;
pub mod resources;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A host's limit changes at most once per "round trip" of the host: twice
/// its recent response time, within these bounds. One burst of 429s from
/// many requests in flight is then one signal, not many, and a fast host
/// recovers in a fraction of a second while a slow one takes seconds (TCP
/// congestion control paces itself by round trips the same way).
pub const MIN_CHANGE_WINDOW: Duration = Duration::from_millis(100);
pub const MAX_CHANGE_WINDOW: Duration = Duration::from_secs(2);

/// Per-host limits from the spec; the adaptive limit never exceeds them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostLimits {
    /// Requests in flight per host (at least 1).
    pub max_concurrency: u32,
    /// Spacing of request starts at the steady rate; zero means no rate limit.
    pub min_interval: Duration,
    /// Requests that may start at once after an idle spell (at least 1).
    pub burst: u32,
}

impl HostLimits {
    /// Limits from a rate in requests per second (0 or less: no rate limit)
    /// and a burst (0 counts as 1).
    pub fn from_rate(max_concurrency: u32, requests_per_sec: f64, burst: u32) -> HostLimits {
        let min_interval = if requests_per_sec > 0.0 && requests_per_sec.is_finite() {
            Duration::from_secs_f64(1.0 / requests_per_sec)
        } else {
            Duration::ZERO
        };
        HostLimits {
            max_concurrency: max_concurrency.max(1),
            min_interval,
            burst: burst.max(1),
        }
    }
}

/// What a finished request says about its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSignal {
    /// A normal answer (any status but the throttling ones), this fast.
    Answered { elapsed: Duration },
    /// The host asked to slow down or is overloaded (`reason`: `http_429`,
    /// `http_503`, `timeout_first_byte`, ...).
    Throttled { reason: String },
}

/// A change of a host's concurrency limit, for the engine to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitChange {
    pub host: String,
    pub from: u32,
    pub to: u32,
    /// `http_429`, ... when lowered; `recovered` when raised.
    pub reason: String,
}

/// Shared state of one host.
#[derive(Debug)]
struct HostState {
    in_flight: u32,
    /// The adaptive concurrency limit, `1..=max_concurrency`.
    limit: u32,
    /// Woken when a slot frees or the limit grows.
    slots_changed: Arc<Notify>,
    /// robots.txt crawl-delay (capped by the caller); zero when none.
    crawl_delay: Duration,
    /// Theoretical arrival time of the token bucket (GCRA).
    next_arrival: Instant,
    /// No request starts before this (Retry-After).
    not_before: Instant,
    /// Answers since the limit last changed.
    answers_since_change: u32,
    last_change: Option<Instant>,
    /// Smoothed response time (EWMA, 1/8 per answer), for the change window.
    response_time: Duration,
}

impl HostState {
    /// How long after a change the next may come (see [`MIN_CHANGE_WINDOW`]).
    fn change_window(&self) -> Duration {
        (self.response_time * 2).clamp(MIN_CHANGE_WINDOW, MAX_CHANGE_WINDOW)
    }
}

/// Hands out per-host permits. Cheap to clone; all clones share state.
#[derive(Clone, Debug)]
pub struct Governor {
    limits: HostLimits,
    hosts: Arc<Mutex<HashMap<String, HostState>>>,
    /// Requests in flight across every run of the process.
    global: Option<Arc<Semaphore>>,
}

/// Held while a request to a host is in flight; dropping it frees the slot.
#[derive(Debug)]
pub struct HostPermit {
    hosts: Arc<Mutex<HashMap<String, HostState>>>,
    host: String,
    _global: Option<OwnedSemaphorePermit>,
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        let mut hosts = lock(&self.hosts);
        if let Some(state) = hosts.get_mut(&self.host) {
            state.in_flight = state.in_flight.saturating_sub(1);
            state.slots_changed.notify_one();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Governor {
    pub fn new(limits: HostLimits) -> Governor {
        Governor {
            limits,
            hosts: Arc::new(Mutex::new(HashMap::new())),
            global: None,
        }
    }

    /// Also takes a permit of `global` (the process's requests in flight)
    /// for every request.
    pub fn with_global(mut self, global: Arc<Semaphore>) -> Governor {
        self.global = Some(global);
        self
    }

    /// Waits for a concurrency slot on `host`, then for its next start time
    /// (token bucket, crawl-delay, Retry-After), then for a process slot.
    ///
    /// Start times are reserved under the lock before sleeping, so concurrent
    /// callers queue one interval apart instead of all waking at once.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        loop {
            let slots_changed = {
                let mut hosts = lock(&self.hosts);
                let state = self.state(&mut hosts, host);
                if state.in_flight < state.limit {
                    state.in_flight += 1;
                    break;
                }
                state.slots_changed.clone()
            };
            // A release between the unlock and this wait stores a wake-up in
            // the Notify, so it is not lost; spurious wake-ups re-check.
            slots_changed.notified().await;
        }
        // From here the slot is ours: a permit releases it even if the
        // caller is cancelled while waiting below.
        let mut permit = HostPermit {
            hosts: self.hosts.clone(),
            host: host.to_owned(),
            _global: None,
        };
        let start_at = {
            let mut hosts = lock(&self.hosts);
            let state = self.state(&mut hosts, host);
            reserve_start(state, &self.limits, Instant::now())
        };
        tokio::time::sleep_until(start_at).await;
        if let Some(global) = &self.global {
            // The semaphore is never closed; without a permit, going on is
            // safer than stalling the crawl.
            permit._global = global.clone().acquire_owned().await.ok();
        }
        permit
    }

    /// Applies robots.txt `Crawl-delay` to `host` (capped by the caller).
    pub fn set_crawl_delay(&self, host: &str, delay: Duration) {
        let mut hosts = lock(&self.hosts);
        self.state(&mut hosts, host).crawl_delay = delay;
    }

    /// Holds every request to `host` back for `delay` (a 429/503 with
    /// Retry-After): not only the one that got the answer.
    pub fn back_off(&self, host: &str, delay: Duration) {
        let mut hosts = lock(&self.hosts);
        let state = self.state(&mut hosts, host);
        let until = Instant::now() + delay;
        if until > state.not_before {
            state.not_before = until;
        }
    }

    /// Adapts `host`'s concurrency to what a finished request said: halved on
    /// throttling, raised by one after `2 × limit` answers in a row, at most
    /// one change per change window (see [`MIN_CHANGE_WINDOW`]), never above
    /// the spec or below 1.
    pub fn report(&self, host: &str, signal: &HostSignal) -> Option<LimitChange> {
        let now = Instant::now();
        let mut hosts = lock(&self.hosts);
        let max = self.limits.max_concurrency;
        let state = self.state(&mut hosts, host);
        let from = state.limit;
        let cooled = state
            .last_change
            .is_none_or(|at| now.duration_since(at) >= state.change_window());
        let (to, reason) = match signal {
            HostSignal::Throttled { reason } => {
                state.answers_since_change = 0;
                if from <= 1 || !cooled {
                    return None;
                }
                ((from / 2).max(1), reason.clone())
            }
            HostSignal::Answered { elapsed } => {
                state.response_time = if state.response_time.is_zero() {
                    *elapsed
                } else {
                    (state.response_time * 7 + *elapsed) / 8
                };
                state.answers_since_change = state.answers_since_change.saturating_add(1);
                if from >= max || !cooled || state.answers_since_change < from.saturating_mul(2) {
                    return None;
                }
                (from + 1, "recovered".to_owned())
            }
        };
        state.limit = to;
        state.answers_since_change = 0;
        state.last_change = Some(now);
        if to > from {
            state.slots_changed.notify_waiters();
        }
        Some(LimitChange {
            host: host.to_owned(),
            from,
            to,
            reason,
        })
    }

    /// The host's current concurrency limit (the spec's until it adapts).
    pub fn host_limit(&self, host: &str) -> u32 {
        let mut hosts = lock(&self.hosts);
        self.state(&mut hosts, host).limit
    }

    /// Number of hosts seen so far.
    pub fn host_count(&self) -> usize {
        lock(&self.hosts).len()
    }

    fn state<'a>(
        &self,
        hosts: &'a mut HashMap<String, HostState>,
        host: &str,
    ) -> &'a mut HostState {
        if !hosts.contains_key(host) {
            let now = Instant::now();
            hosts.insert(
                host.to_owned(),
                HostState {
                    in_flight: 0,
                    limit: self.limits.max_concurrency,
                    slots_changed: Arc::new(Notify::new()),
                    crawl_delay: Duration::ZERO,
                    next_arrival: now,
                    not_before: now,
                    answers_since_change: 0,
                    last_change: None,
                    response_time: Duration::ZERO,
                },
            );
        }
        match hosts.get_mut(host) {
            Some(state) => state,
            None => unreachable!("inserted above"),
        }
    }
}

/// Reserves the next start time of a host: GCRA (the token bucket as a
/// "theoretical arrival time"), with the interval floored by crawl-delay
/// (which also allows no burst) and the start by Retry-After.
fn reserve_start(state: &mut HostState, limits: &HostLimits, now: Instant) -> Instant {
    let interval = limits.min_interval.max(state.crawl_delay);
    if interval.is_zero() {
        return now.max(state.not_before);
    }
    let burst = if state.crawl_delay > limits.min_interval {
        1
    } else {
        limits.burst
    };
    let tolerance = interval.saturating_mul(burst - 1);
    let arrival = state.next_arrival.max(now);
    let earliest = arrival.checked_sub(tolerance).unwrap_or(now);
    let start = earliest.max(now).max(state.not_before);
    state.next_arrival = arrival.max(start) + interval;
    start
}

#[cfg(test)]
mod tests;
