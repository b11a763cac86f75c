//! A rate limiter in front of any fixture site, as busy real sites have:
//! at most `max_in_flight` requests are served at once and the rest get
//! `429 Too Many Requests` (without Retry-After, as many APIs send it).
//! The limit can last only for the first requests (`storm_requests`), to
//! see a crawler back off and then recover.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::server::{Handler, full};

/// How the limiter behaves.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    /// Requests served at once; more get 429.
    pub max_in_flight: u64,
    /// The limit applies to this many requests, then everything is served
    /// (`u64::MAX`: always).
    pub storm_requests: u64,
    /// How long each served request takes (so that concurrency matters).
    pub delay: Duration,
}

/// What the limiter saw.
#[derive(Debug, Default)]
pub struct ThrottleStats {
    pub requests: AtomicU64,
    pub throttled: AtomicU64,
    in_flight: AtomicU64,
    /// The most requests served at once.
    pub peak_in_flight: AtomicU64,
}

/// Wraps `inner` in the limiter; the stats are live.
pub fn throttled(inner: Handler, config: ThrottleConfig) -> (Handler, Arc<ThrottleStats>) {
    let stats = Arc::new(ThrottleStats::default());
    let shared = stats.clone();
    let handler: Handler = Arc::new(move |request| {
        let inner = inner.clone();
        let stats = shared.clone();
        Box::pin(async move {
            let number = stats.requests.fetch_add(1, Ordering::SeqCst);
            let in_flight = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            if number < config.storm_requests && in_flight > config.max_in_flight {
                stats.in_flight.fetch_sub(1, Ordering::SeqCst);
                stats.throttled.fetch_add(1, Ordering::SeqCst);
                return full(429, "text/html", "<p>too many requests</p>");
            }
            stats.peak_in_flight.fetch_max(in_flight, Ordering::SeqCst);
            tokio::time::sleep(config.delay).await;
            let response = inner(request).await;
            stats.in_flight.fetch_sub(1, Ordering::SeqCst);
            response
        })
    });
    (handler, stats)
}
