//! Permits for politeness: how many requests may be in flight per host and how
//! often a host may be hit (rate and robots.txt crawl-delay, Retry-After).
//!
//! The engine asks the governor for a [`HostPermit`] before every request and
//! holds it until the response is read. The governor never fails a request: it
//! only makes it wait, so a busy host slows the crawl instead of erroring it.
//! [`resources`] reads the process and machine figures (CPU, memory,
//! sockets) that the engine samples.

pub mod resources;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Per-host limits, fixed for a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostLimits {
    /// Requests in flight per host (at least 1).
    pub max_concurrency: u32,
    /// Minimum spacing between request starts on one host; zero means none.
    pub min_interval: Duration,
}

impl HostLimits {
    /// Limits from a rate in requests per second (0 or less: no rate limit).
    pub fn from_rate(max_concurrency: u32, requests_per_sec: f64) -> HostLimits {
        let min_interval = if requests_per_sec > 0.0 && requests_per_sec.is_finite() {
            Duration::from_secs_f64(1.0 / requests_per_sec)
        } else {
            Duration::ZERO
        };
        HostLimits {
            max_concurrency: max_concurrency.max(1),
            min_interval,
        }
    }
}

/// Shared state of one host.
struct HostState {
    slots: Arc<Semaphore>,
    /// Spacing required by robots.txt crawl-delay, if longer than the rate's.
    crawl_delay: Duration,
    /// Earliest instant the next request may start (rate, crawl-delay, Retry-After).
    next_start: Instant,
}

/// Hands out per-host permits. Cheap to clone; all clones share state.
#[derive(Clone)]
pub struct Governor {
    limits: HostLimits,
    hosts: Arc<Mutex<HashMap<String, HostState>>>,
}

/// Held while a request to a host is in flight; dropping it frees the slot.
pub struct HostPermit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl Governor {
    pub fn new(limits: HostLimits) -> Governor {
        Governor {
            limits,
            hosts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Waits for a concurrency slot on `host`, then for its next start time.
    ///
    /// Start times are reserved under the lock before sleeping, so concurrent
    /// callers queue one interval apart instead of all waking at once.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let slots = self.with_host(host, |state| state.slots.clone());
        // The semaphore is never closed, so acquisition cannot fail; if it ever
        // did, proceeding without a slot is safer than aborting the request.
        let slot = slots.acquire_owned().await.ok();
        let start_at = self.with_host(host, |state| {
            let now = Instant::now();
            let start_at = state.next_start.max(now);
            let spacing = self.limits.min_interval.max(state.crawl_delay);
            state.next_start = start_at + spacing;
            start_at
        });
        tokio::time::sleep_until(start_at).await;
        HostPermit { _slot: slot }
    }

    /// Applies robots.txt `Crawl-delay` to `host` (capped by the caller).
    pub fn set_crawl_delay(&self, host: &str, delay: Duration) {
        self.with_host(host, |state| state.crawl_delay = delay);
    }

    /// Pushes the host's next start back by `delay` (a 429/503 Retry-After):
    /// every request to that host waits, not only the one that got the answer.
    pub fn back_off(&self, host: &str, delay: Duration) {
        self.with_host(host, |state| {
            let until = Instant::now() + delay;
            if until > state.next_start {
                state.next_start = until;
            }
        });
    }

    /// Number of hosts seen so far.
    pub fn host_count(&self) -> usize {
        self.hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn with_host<T>(&self, host: &str, f: impl FnOnce(&mut HostState) -> T) -> T {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        if !hosts.contains_key(host) {
            hosts.insert(
                host.to_owned(),
                HostState {
                    slots: Arc::new(Semaphore::new(self.limits.max_concurrency as usize)),
                    crawl_delay: Duration::ZERO,
                    next_start: Instant::now(),
                },
            );
        }
        match hosts.get_mut(host) {
            Some(state) => f(state),
            None => unreachable!("inserted above"),
        }
    }
}

#[cfg(test)]
mod tests;
