//! Live counters of a running crawl, read by progress bars without locking.
//!
//! These are a view for humans; the durable counters are the store's, which
//! commit with the pages they count.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters updated by the engine as pages finish and checkpoints commit.
#[derive(Debug, Default)]
pub struct Progress {
    pub pages_ok: AtomicU64,
    pub pages_failed: AtomicU64,
    pub items_stored: AtomicU64,
    pub items_dropped: AtomicU64,
    pub bytes_fetched: AtomicU64,
    pub in_flight: AtomicU64,
    pub queued: AtomicU64,
    pub retries: AtomicU64,
}

/// A consistent-enough copy of [`Progress`] for display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub pages_ok: u64,
    pub pages_failed: u64,
    pub items_stored: u64,
    pub items_dropped: u64,
    pub bytes_fetched: u64,
    pub in_flight: u64,
    pub queued: u64,
    pub retries: u64,
}

impl ProgressSnapshot {
    pub fn pages_done(&self) -> u64 {
        self.pages_ok + self.pages_failed
    }
}

impl Progress {
    pub fn snapshot(&self) -> ProgressSnapshot {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ProgressSnapshot {
            pages_ok: load(&self.pages_ok),
            pages_failed: load(&self.pages_failed),
            items_stored: load(&self.items_stored),
            items_dropped: load(&self.items_dropped),
            bytes_fetched: load(&self.bytes_fetched),
            in_flight: load(&self.in_flight),
            queued: load(&self.queued),
            retries: load(&self.retries),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    pub(crate) fn set(counter: &AtomicU64, value: u64) {
        counter.store(value, Ordering::Relaxed);
    }
}
