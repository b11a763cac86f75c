//! The one event bus: every run's events, stamped with the run's logical
//! clock, fanned out to subscribers that can never slow the engine down.
//!
//! Publishing never blocks and never fails. Subscribers read from a bounded
//! broadcast channel; one that falls behind loses the oldest events and is
//! told how many ([`Received::Lagged`]), and the loss is counted in the
//! metrics. Persistence is deliberately *not* a subscriber: the engine hands
//! each page's events to the store writer with the page itself, so the event
//! log is as durable as the data and never lossy.
//!
//! A ring of recent envelopes lets a reconnecting stream (SSE
//! `Last-Event-ID`) fill the gap between what the store has committed and
//! what it receives live.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::counter::Counter;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use trawl_types::RunId;

use crate::event::Event;
use crate::metrics::Metrics;

/// Events a subscriber may fall behind before it starts losing them.
pub const CHANNEL_CAPACITY: usize = 4096;
/// Recent envelopes kept for reconnecting streams: about a second of a fast
/// crawl, several times the store's commit delay (≤ 250 ms).
pub const RECENT_CAPACITY: usize = 16_384;

/// An event with where and when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub run_id: RunId,
    /// The run's logical clock: 1, 2, 3, ... in the order the engine decided
    /// things. Persisted, so it continues across restarts; a gap means work
    /// that was aborted (a cancelled page) and redone under later numbers.
    pub seq: u64,
    /// Wall-clock time (unix milliseconds); everything but this is
    /// reproducible by a replay.
    pub at_millis: i64,
    /// Flattened in JSON: `{"run_id", "seq", "at_millis", "kind", ...}`.
    #[serde(flatten)]
    pub event: Event,
}

/// Hands out events; see the module documentation. Share it as `Arc`.
#[derive(Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Envelope>>,
    /// Held while an envelope is numbered and sent, so every subscriber
    /// sees each run's events in `seq` order.
    recent: Mutex<VecDeque<Arc<Envelope>>>,
    recent_capacity: usize,
    metrics: Metrics,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::with_capacity(CHANNEL_CAPACITY, RECENT_CAPACITY)
    }
}

impl EventBus {
    pub fn new() -> Arc<EventBus> {
        Arc::new(EventBus::default())
    }

    /// A bus with other bounds (tests use tiny ones to provoke lag).
    pub fn with_capacity(channel_capacity: usize, recent_capacity: usize) -> EventBus {
        let (sender, _) = broadcast::channel(channel_capacity.max(1));
        EventBus {
            sender,
            recent: Mutex::new(VecDeque::with_capacity(
                recent_capacity.min(RECENT_CAPACITY),
            )),
            recent_capacity,
            metrics: Metrics::default(),
        }
    }

    /// A run's emitter whose clock continues after `last_seq` (the highest
    /// `seq` in the store; 0 for a new run).
    pub fn emitter(self: &Arc<Self>, run_id: RunId, last_seq: u64) -> RunEmitter {
        RunEmitter {
            bus: self.clone(),
            run_id,
            last_seq: Arc::new(AtomicU64::new(last_seq)),
        }
    }

    /// Sends an envelope to every subscriber, the ring and the metrics.
    /// Never blocks on a subscriber.
    pub fn publish(&self, envelope: Envelope) -> Arc<Envelope> {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        self.publish_locked(&mut recent, envelope)
    }

    fn publish_locked(
        &self,
        recent: &mut VecDeque<Arc<Envelope>>,
        envelope: Envelope,
    ) -> Arc<Envelope> {
        let envelope = Arc::new(envelope);
        self.metrics.observe(&envelope);
        if self.recent_capacity > 0 {
            if recent.len() >= self.recent_capacity {
                recent.pop_front();
            }
            recent.push_back(envelope.clone());
        }
        // No subscriber is fine: the store and the ring have it.
        let _ = self.sender.send(envelope.clone());
        envelope
    }

    /// Every event published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            receiver: self.sender.subscribe(),
            lagged_total: 0,
            bus_lagged: self.metrics.lagged_counter(),
        }
    }

    /// The run's envelopes still in the ring with `seq > after_seq`, oldest
    /// first, and whether the ring reaches back that far (`false`: some of
    /// them left the ring, read them from the store).
    pub fn recent(&self, run_id: RunId, after_seq: u64) -> (Vec<Arc<Envelope>>, bool) {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let found: Vec<Arc<Envelope>> = recent
            .iter()
            .filter(|envelope| envelope.run_id == run_id && envelope.seq > after_seq)
            .cloned()
            .collect();
        let oldest_of_run = recent
            .iter()
            .find(|envelope| envelope.run_id == run_id)
            .map(|envelope| envelope.seq);
        let complete = match oldest_of_run {
            Some(oldest) => oldest <= after_seq + 1,
            None => false,
        };
        (found, complete)
    }

    /// Events lost by slow subscribers since the bus was made.
    pub fn lagged_total(&self) -> u64 {
        self.metrics.lagged()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// Stamps and publishes one run's events. Clones share the clock.
#[derive(Debug, Clone)]
pub struct RunEmitter {
    bus: Arc<EventBus>,
    run_id: RunId,
    last_seq: Arc<AtomicU64>,
}

impl RunEmitter {
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    pub fn bus(&self) -> &Arc<EventBus> {
        &self.bus
    }

    /// Numbers an event without publishing it, for events that must be
    /// persisted before anyone may see them (state changes); publish it
    /// with [`RunEmitter::publish`] once stored.
    pub fn stamp(&self, event: Event) -> Envelope {
        Envelope {
            run_id: self.run_id,
            seq: self.last_seq.fetch_add(1, Ordering::Relaxed) + 1,
            at_millis: now_unix_millis(),
            event,
        }
    }

    pub fn publish(&self, envelope: Envelope) -> Arc<Envelope> {
        self.bus.publish(envelope)
    }

    /// Numbers and publishes an event at once (in `seq` order for everyone).
    pub fn emit(&self, event: Event) -> Arc<Envelope> {
        let mut recent = self
            .bus
            .recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let envelope = self.stamp(event);
        self.bus.publish_locked(&mut recent, envelope)
    }

    /// The last `seq` handed out.
    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::Relaxed)
    }
}

/// What a subscriber gets.
#[derive(Debug, Clone)]
pub enum Received {
    Event(Arc<Envelope>),
    /// The subscriber fell behind and this many events were dropped for it.
    Lagged(u64),
}

/// One subscriber's end of the bus.
#[derive(Debug)]
pub struct Subscription {
    receiver: broadcast::Receiver<Arc<Envelope>>,
    lagged_total: u64,
    /// The bus's count of lost events (a metric).
    bus_lagged: Counter,
}

impl Subscription {
    /// The next event or lag notice; `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<Received> {
        let received = self.receiver.recv().await;
        self.settle(received.map_err(|error| match error {
            broadcast::error::RecvError::Closed => broadcast::error::TryRecvError::Closed,
            broadcast::error::RecvError::Lagged(missed) => {
                broadcast::error::TryRecvError::Lagged(missed)
            }
        }))
    }

    /// Like [`Subscription::recv`] without waiting; `None` when nothing is ready.
    pub fn try_recv(&mut self) -> Option<Received> {
        let received = self.receiver.try_recv();
        self.settle(received)
    }

    fn settle(
        &mut self,
        received: Result<Arc<Envelope>, broadcast::error::TryRecvError>,
    ) -> Option<Received> {
        match received {
            Ok(envelope) => Some(Received::Event(envelope)),
            Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                self.lagged_total += missed;
                self.bus_lagged.inc_by(missed);
                Some(Received::Lagged(missed))
            }
            Err(broadcast::error::TryRecvError::Closed | broadcast::error::TryRecvError::Empty) => {
                None
            }
        }
    }

    /// Events this subscriber lost so far.
    pub fn lagged_total(&self) -> u64 {
        self.lagged_total
    }
}

/// Wall-clock time as unix milliseconds (0 before 1970: a wrong clock must
/// not stop a crawl).
pub fn now_unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
