//! A run's event stream for Server-Sent Events, resumable without gaps.
//!
//! Each SSE message is one event of the run (`event:` its kind, `id:` its
//! `seq` on the run's logical clock, `data:` the envelope as JSON). A client
//! that reconnects with `Last-Event-ID: N` gets every event after `N`: first
//! from the store (what is committed, read in pages), then from the bus's
//! ring of recent events (what is not committed yet), then live. A live
//! receiver that falls behind goes back to the store, which has caught up
//! meanwhile, so a slow client loses nothing that was persisted; only if
//! the gap is in neither place (events that were never stored: `event_log =
//! false`, or a page that was aborted) does the stream say `lagged`.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, stream};
use trawl_engine::{Engine, decode_event};
use trawl_events::{Envelope, Event, EventKind, Level, Received, Subscription};
use trawl_store::{EventQuery, Store};
use trawl_types::RunId;

use crate::ApiError;

/// Stored events read per store round trip.
const STORE_PAGE: u64 = 500;
/// How long to let the store catch up before calling a gap lost.
const CATCH_UP: Duration = Duration::from_millis(300);

/// Which events a client wants.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventFilter {
    /// Empty: every kind.
    pub kinds: Vec<EventKind>,
    pub min_level: Option<Level>,
}

impl EventFilter {
    pub fn parse(kinds: Option<&str>, level: Option<&str>) -> Result<EventFilter, ApiError> {
        let mut filter = EventFilter::default();
        for name in kinds
            .unwrap_or("")
            .split(',')
            .filter(|name| !name.trim().is_empty())
        {
            let kind = EventKind::parse(name).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown event kind {:?}; expected one of {}",
                    name.trim(),
                    EventKind::names()
                ))
            })?;
            filter.kinds.push(kind);
        }
        if let Some(level) = level {
            filter.min_level = Some(Level::parse(level).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown level {level:?}; expected debug, info, warn or error"
                ))
            })?);
        }
        Ok(filter)
    }

    pub fn matches(&self, event: &Event) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&event.kind()))
            && self.min_level.is_none_or(|level| event.level() >= level)
    }

    pub fn store_kinds(&self) -> Vec<String> {
        self.kinds
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect()
    }
}

/// What the stream yields.
pub(crate) enum StreamItem {
    Event(Arc<Envelope>),
    /// Events after seq `after` up to `until` could not be delivered.
    Lagged {
        after: u64,
        until: u64,
    },
}

enum Phase {
    /// Replaying committed events; `waited`: a gap was already waited for.
    Store {
        waited: bool,
    },
    /// Taking what the store does not have yet from the bus's ring.
    Ring {
        waited: bool,
    },
    Live,
}

struct StreamState {
    engine: Engine,
    store: Arc<std::sync::Mutex<Store>>,
    run_id: RunId,
    filter: EventFilter,
    /// The highest seq delivered or known to be skipped.
    cursor: u64,
    live: Subscription,
    phase: Phase,
    pending: std::collections::VecDeque<StreamItem>,
}

/// The run's events after `last_seq`, then live ones, until the client goes.
pub(crate) fn run_events(
    engine: Engine,
    store: Arc<std::sync::Mutex<Store>>,
    run_id: RunId,
    last_seq: u64,
    filter: EventFilter,
) -> impl Stream<Item = StreamItem> {
    // Subscribed before anything is read, so nothing falls between the two.
    let live = engine.subscribe();
    let state = StreamState {
        engine,
        store,
        run_id,
        filter,
        cursor: last_seq,
        live,
        phase: Phase::Store { waited: false },
        pending: std::collections::VecDeque::new(),
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.pending.pop_front() {
                return Some((item, state));
            }
            state.advance().await?;
        }
    })
}

impl StreamState {
    /// Fills `pending` (or moves to the next phase); `None` ends the stream.
    async fn advance(&mut self) -> Option<()> {
        match self.phase {
            Phase::Store { waited } => {
                let read = {
                    let store = crate::lock(&self.store);
                    // The committed maximum is read first: every row up to
                    // it is covered by the query that follows.
                    store.last_event_seq(self.run_id).and_then(|committed| {
                        let query = EventQuery {
                            after_seq: self.cursor,
                            kinds: self.filter.store_kinds(),
                            limit: STORE_PAGE,
                            ..EventQuery::default()
                        };
                        Ok((committed, store.events(self.run_id, &query)?))
                    })
                };
                let (committed, rows) = match read {
                    Ok(read) => read,
                    Err(error) => {
                        tracing::warn!(run_id = %self.run_id, %error, "event stream cannot read the store");
                        return None;
                    }
                };
                if rows.is_empty() {
                    self.cursor = self.cursor.max(committed);
                    self.phase = Phase::Ring { waited };
                }
                for row in rows {
                    self.cursor = self.cursor.max(row.seq);
                    // A row this build cannot decode (a newer kind) is skipped.
                    let Ok(envelope) = decode_event(self.run_id, &row) else {
                        continue;
                    };
                    if self.filter.matches(&envelope.event) {
                        self.pending
                            .push_back(StreamItem::Event(Arc::new(envelope)));
                    }
                }
                Some(())
            }
            Phase::Ring { waited } => {
                let (recent, _) = self.engine.bus().recent(self.run_id, self.cursor);
                let gap = recent
                    .first()
                    .map(|first| first.seq)
                    .filter(|first| *first > self.cursor + 1);
                if let Some(first) = gap {
                    if !waited {
                        // The missing seqs may be in a batch about to commit.
                        tokio::time::sleep(CATCH_UP).await;
                        self.phase = Phase::Store { waited: true };
                        return Some(());
                    }
                    self.pending.push_back(StreamItem::Lagged {
                        after: self.cursor,
                        until: first - 1,
                    });
                }
                for envelope in recent {
                    self.push_if_new(envelope);
                }
                self.phase = Phase::Live;
                Some(())
            }
            Phase::Live => {
                match self.live.recv().await? {
                    Received::Event(envelope) => {
                        if envelope.run_id == self.run_id {
                            self.push_if_new(envelope);
                        }
                    }
                    // Behind: the store (and ring) have what was missed.
                    Received::Lagged(_) => self.phase = Phase::Store { waited: false },
                }
                Some(())
            }
        }
    }

    fn push_if_new(&mut self, envelope: Arc<Envelope>) {
        if envelope.seq <= self.cursor {
            return;
        }
        self.cursor = envelope.seq;
        if self.filter.matches(&envelope.event) {
            self.pending.push_back(StreamItem::Event(envelope));
        }
    }
}
