//! How the engine emits, persists and reads back events: an envelope
//! becomes a store row here (and back, [`decode_event`]), [`PageLog`]
//! collects one page's events so they commit in that page's checkpoint (see
//! the store's `PageDone::events`), and [`run_stats`] summarises a run's log.

use std::sync::Arc;

use trawl_events::{
    Envelope, Event, RunEmitter, RunStats, StatsBuilder, decode_stored, encode_stored,
};
use trawl_store::{EventQuery, EventRow, Store, StoreError};
use trawl_types::RunId;

/// The store row of an envelope (see [`trawl_events::encode_stored`]).
pub fn event_row(envelope: &Envelope) -> EventRow {
    EventRow {
        seq: envelope.seq,
        at_millis: envelope.at_millis,
        kind: envelope.event.kind().as_str().to_owned(),
        payload: encode_stored(&envelope.event),
    }
}

/// Emits a page's events live and keeps their rows for its checkpoint.
pub(crate) struct PageLog<'a> {
    emitter: &'a RunEmitter,
    /// `false` when the spec turned the event log off (`event_log = false`):
    /// events are still published, but not encoded or stored.
    persist: bool,
    rows: Vec<EventRow>,
}

impl<'a> PageLog<'a> {
    pub(crate) fn new(emitter: &'a RunEmitter, persist: bool) -> PageLog<'a> {
        PageLog {
            emitter,
            persist,
            rows: Vec::new(),
        }
    }

    pub(crate) fn emit(&mut self, event: Event) -> Arc<Envelope> {
        let envelope = self.emitter.emit(event);
        if self.persist {
            self.rows.push(event_row(&envelope));
        }
        envelope
    }

    pub(crate) fn into_rows(self) -> Vec<EventRow> {
        self.rows
    }
}

/// A stored event, decoded. Fails for a payload this build does not know
/// (written by a newer trawl) or a damaged one; callers skip and report it.
pub fn decode_event(run_id: RunId, row: &EventRow) -> Result<Envelope, serde_json::Error> {
    Ok(Envelope {
        run_id,
        seq: row.seq,
        at_millis: row.at_millis,
        event: decode_stored(&row.kind, &row.payload)?,
    })
}

/// A run's statistics from its stored event log (see [`RunStats`]), and
/// how many rows could not be decoded.
pub fn run_stats(store: &Store, run_id: RunId) -> Result<(RunStats, u64), StoreError> {
    store.run(run_id)?;
    let mut builder = StatsBuilder::default();
    let mut undecodable = 0;
    // Only the kinds the statistics count: scheduled and started events are
    // half of a log and would only be decoded to be ignored.
    let query = EventQuery {
        kinds: StatsBuilder::KINDS
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect(),
        ..EventQuery::default()
    };
    store.for_each_event_ref(run_id, &query, |_, at_millis, kind, payload| {
        if builder.add_stored(kind, at_millis, payload).is_err() {
            undecodable += 1;
        }
    })?;
    Ok((builder.finish(), undecodable))
}
