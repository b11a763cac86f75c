//! Process-wide pressure: the memory ceiling, the memory reserved by pages
//! in flight, and the event loop's lag, shared by every run of the process.
//!
//! Memory is kept under the ceiling by admission, not by reaction alone:
//! each page in flight reserves an estimate of what it will need (a multiple
//! of the largest body seen lately: the body, its decoded text and the
//! extraction's buffers), and the dispatcher starts a page only if the
//! process's resident memory plus every reservation plus one more stays
//! under [`HIGH_WATER`] of the ceiling. That slows intake before memory
//! grows, instead of noticing after. The control loop ([`crate::adaptive`])
//! also lowers runs' concurrency when resident memory itself gets close.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Share of the ceiling that resident memory plus reservations may reach.
pub const HIGH_WATER: f64 = 0.85;
/// A page in flight is estimated to need this many times its body: the
/// body's buffer (which grows by doubling while it is read), the decoded
/// text, the parser's buffers, the items. Measured with 1 MiB pages
/// (`crates/trawl/tests/it/governor.rs`): 4 let the peak reach 98% of the
/// ceiling, 6 keeps it near 85%.
pub const BODY_FACTOR: u64 = 6;
/// Estimate for a page before any body was seen: pessimistic (a 2 MiB
/// page), so the first pages of a run with big pages cannot overshoot; the
/// first body seen replaces it.
pub const INITIAL_PAGE_ESTIMATE_BYTES: u64 = 8 * 1024 * 1024;
/// The estimate decays by 1/16 per page towards what pages need now.
const ESTIMATE_DECAY_DIVISOR: u64 = 16;
/// The estimate never goes below this.
const MIN_PAGE_ESTIMATE_BYTES: u64 = 64 * 1024;

/// See the module documentation. Share it as `Arc`.
#[derive(Debug)]
pub struct Pressure {
    ceiling_bytes: Option<u64>,
    rss_bytes: AtomicU64,
    reserved_bytes: AtomicU64,
    page_estimate_bytes: AtomicU64,
    /// Whether a body was seen yet (the first one replaces the initial guess).
    observed: std::sync::atomic::AtomicBool,
    loop_lag_micros: AtomicU64,
}

/// Memory reserved for one page in flight; released on drop.
#[derive(Debug)]
pub struct MemoryReservation {
    pressure: Arc<Pressure>,
    bytes: u64,
}

impl Drop for MemoryReservation {
    fn drop(&mut self) {
        self.pressure
            .reserved_bytes
            .fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

impl Pressure {
    /// `ceiling_bytes`: the process's memory ceiling; `None` for none.
    pub fn new(ceiling_bytes: Option<u64>) -> Arc<Pressure> {
        Arc::new(Pressure {
            ceiling_bytes,
            rss_bytes: AtomicU64::new(0),
            reserved_bytes: AtomicU64::new(0),
            page_estimate_bytes: AtomicU64::new(INITIAL_PAGE_ESTIMATE_BYTES),
            observed: std::sync::atomic::AtomicBool::new(false),
            loop_lag_micros: AtomicU64::new(0),
        })
    }

    pub fn ceiling_bytes(&self) -> Option<u64> {
        self.ceiling_bytes
    }

    /// The latest resident-memory reading (the engine's control loop sets it).
    pub fn set_rss(&self, bytes: u64) {
        self.rss_bytes.store(bytes, Ordering::Relaxed);
    }

    pub fn rss_bytes(&self) -> u64 {
        self.rss_bytes.load(Ordering::Relaxed)
    }

    /// How late the event loop ran a timer lately (its workers are saturated).
    pub fn set_loop_lag(&self, lag: Duration) {
        let micros = u64::try_from(lag.as_micros()).unwrap_or(u64::MAX);
        self.loop_lag_micros.store(micros, Ordering::Relaxed);
    }

    pub fn loop_lag(&self) -> Duration {
        Duration::from_micros(self.loop_lag_micros.load(Ordering::Relaxed))
    }

    /// Resident memory as a share of the ceiling (`None` without a ceiling).
    pub fn memory_share(&self) -> Option<f64> {
        let ceiling = self.ceiling_bytes.filter(|ceiling| *ceiling > 0)?;
        Some(self.rss_bytes() as f64 / ceiling as f64)
    }

    /// Learns from a body just read: the estimate follows the largest
    /// recent bodies, and decays when pages get smaller.
    pub fn observe_body(&self, body_bytes: u64) {
        let needed = body_bytes
            .saturating_mul(BODY_FACTOR)
            .max(MIN_PAGE_ESTIMATE_BYTES);
        if !self.observed.swap(true, Ordering::Relaxed) {
            self.page_estimate_bytes.store(needed, Ordering::Relaxed);
            return;
        }
        let _ = self.page_estimate_bytes.fetch_update(
            Ordering::Relaxed,
            Ordering::Relaxed,
            |estimate| {
                let decayed = estimate - estimate / ESTIMATE_DECAY_DIVISOR;
                Some(decayed.max(needed))
            },
        );
    }

    pub fn page_estimate_bytes(&self) -> u64 {
        self.page_estimate_bytes.load(Ordering::Relaxed)
    }

    /// Reserves memory for one more page if it fits under the ceiling.
    pub fn try_reserve(self: &Arc<Self>) -> Option<MemoryReservation> {
        let estimate = self.page_estimate_bytes();
        let Some(ceiling) = self.ceiling_bytes else {
            return Some(self.reserve(estimate));
        };
        let budget = (ceiling as f64 * HIGH_WATER) as u64;
        let rss = self.rss_bytes();
        let mut fits = false;
        let _ =
            self.reserved_bytes
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |reserved| {
                    fits = rss.saturating_add(reserved).saturating_add(estimate) <= budget;
                    fits.then(|| reserved + estimate)
                });
        fits.then(|| MemoryReservation {
            pressure: self.clone(),
            bytes: estimate,
        })
    }

    /// Reserves memory for a page whether it fits or not: the dispatcher
    /// does so when nothing is in flight, so a crawl always makes progress.
    pub fn reserve(self: &Arc<Self>, bytes: u64) -> MemoryReservation {
        self.reserved_bytes.fetch_add(bytes, Ordering::Relaxed);
        MemoryReservation {
            pressure: self.clone(),
            bytes,
        }
    }

    /// A reservation of the current estimate, fitting or not.
    pub fn reserve_anyway(self: &Arc<Self>) -> MemoryReservation {
        self.reserve(self.page_estimate_bytes())
    }

    pub fn reserved_bytes(&self) -> u64 {
        self.reserved_bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests;
