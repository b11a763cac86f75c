//! Numbered lifecycle events for Server-Sent Events.
//!
//! The engine's broadcast carries bare [`RunEvent`]s; SSE wants an `id:` per
//! event so a reconnecting client can say where it stopped
//! (`Last-Event-ID`). The hub relays the engine's events, numbering them from
//! 1 in the order the engine persisted them, and keeps the last
//! [`HISTORY`] so a reconnect within that window misses nothing. Older gaps
//! are best effort: the stream starts with a snapshot of the run, which is
//! the truth whatever was missed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use trawl_engine::{Engine, RunEvent};

use crate::lock;

/// Events kept for replay to reconnecting clients.
const HISTORY: usize = 1024;

/// An engine event with its stream id.
#[derive(Debug, Clone)]
pub(crate) struct Numbered {
    pub id: u64,
    pub event: RunEvent,
}

#[derive(Clone)]
pub(crate) struct EventHub {
    inner: Arc<Mutex<History>>,
    sender: broadcast::Sender<Numbered>,
}

struct History {
    next_id: u64,
    recent: VecDeque<Numbered>,
}

impl EventHub {
    /// Subscribes to the engine now (so nothing after this call is missed)
    /// and relays until `stopping` is cancelled.
    pub fn start(engine: &Engine, stopping: CancellationToken) -> EventHub {
        let (sender, _) = broadcast::channel(HISTORY);
        let hub = EventHub {
            inner: Arc::new(Mutex::new(History {
                next_id: 1,
                recent: VecDeque::with_capacity(HISTORY),
            })),
            sender,
        };
        let mut receiver = engine.subscribe();
        let relay = hub.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    () = stopping.cancelled() => break,
                    received = receiver.recv() => received,
                };
                match received {
                    Ok(event) => relay.publish(event),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        // Only if this task starves; clients re-sync from the snapshot.
                        tracing::warn!(missed, "api event relay fell behind the engine");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        hub
    }

    fn publish(&self, event: RunEvent) {
        let mut history = lock(&self.inner);
        let numbered = Numbered {
            id: history.next_id,
            event,
        };
        history.next_id += 1;
        if history.recent.len() == HISTORY {
            history.recent.pop_front();
        }
        history.recent.push_back(numbered.clone());
        // Sent under the lock, so `subscribe_after` sees each event exactly
        // once: either in the history it copies or on the receiver.
        let _ = self.sender.send(numbered);
    }

    /// Events after `last_id` still in the history, and a receiver for every
    /// later one, with no gap and no duplicate between the two.
    pub fn subscribe_after(&self, last_id: u64) -> (Vec<Numbered>, broadcast::Receiver<Numbered>) {
        let history = lock(&self.inner);
        let replay = history
            .recent
            .iter()
            .filter(|numbered| numbered.id > last_id)
            .cloned()
            .collect();
        (replay, self.sender.subscribe())
    }
}
