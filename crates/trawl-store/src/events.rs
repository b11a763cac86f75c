//! Each run's event log and resource samples, kept as plain rows.
//!
//! The store does not know what an event means (that is `trawl-events`); it
//! keeps each as its run's logical-clock `seq`, a time, a `kind` name and an
//! opaque JSON payload. Events of finished pages are written by
//! [`Store::commit`] in the page's checkpoint (see [`crate::PageDone`]), a
//! state change's event by [`Store::change_run_state`] in the same
//! transaction as the change; [`Store::append_events`] is for the rest.

use rusqlite::{Connection, ToSql};
use trawl_types::RunId;

use crate::error::{SqliteContext, StoreError};
use crate::{Store, count_to_sql};

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub seq: u64,
    pub at_millis: i64,
    pub kind: String,
    /// The event as JSON (its shape is `trawl-events`' business).
    pub payload: String,
}

/// Which events to read; the defaults read all of a run's events in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only events with a larger `seq` (resuming a stream).
    pub after_seq: u64,
    /// Only these kinds (empty: every kind).
    pub kinds: Vec<String>,
    pub from_millis: Option<i64>,
    pub to_millis: Option<i64>,
    /// At most this many (0: no limit).
    pub limit: u64,
}

/// One resource sample of a run as stored (JSON payload, as for events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRow {
    pub at_millis: i64,
    pub payload: String,
}

/// Rows per multi-row INSERT: one statement step for many rows is cheaper
/// than a step per row (a checkpoint stores ~4 events per page, a thousand
/// per batch), and 16 × 5 parameters stay far below SQLite's limit.
const EVENTS_PER_INSERT: usize = 16;

// OR IGNORE: a seq is written once; re-appending the same event (a retry
// after an error) must not fail the checkpoint it rides in.
const INSERT_ONE_EVENT_SQL: &str = "INSERT OR IGNORE INTO run_events (run_id, seq, at_millis, kind, payload) VALUES (?, ?, ?, ?, ?)";

/// The `EVENTS_PER_INSERT`-row form of [`INSERT_ONE_EVENT_SQL`], built once
/// (every checkpoint uses it).
static INSERT_MANY_EVENTS_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let rows = vec!["(?, ?, ?, ?, ?)"; EVENTS_PER_INSERT].join(", ");
    INSERT_ONE_EVENT_SQL.replace("(?, ?, ?, ?, ?)", &rows)
});

pub(crate) fn insert_events<'a>(
    connection: &Connection,
    run_id: RunId,
    events: impl IntoIterator<Item = &'a EventRow>,
) -> Result<(), StoreError> {
    let mut chunk: Vec<&EventRow> = Vec::with_capacity(EVENTS_PER_INSERT);
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        chunk.clear();
        chunk.extend(events.by_ref().take(EVENTS_PER_INSERT));
        let sql = if chunk.len() == EVENTS_PER_INSERT {
            INSERT_MANY_EVENTS_SQL.as_str()
        } else {
            INSERT_ONE_EVENT_SQL
        };
        let mut statement = connection
            .prepare_cached(sql)
            .sqlite_context("storing events")?;
        if chunk.len() == EVENTS_PER_INSERT {
            let mut index = 1;
            for event in &chunk {
                statement
                    .raw_bind_parameter(index, run_id.0)
                    .and_then(|()| statement.raw_bind_parameter(index + 1, count_to_sql(event.seq)))
                    .and_then(|()| statement.raw_bind_parameter(index + 2, event.at_millis))
                    .and_then(|()| statement.raw_bind_parameter(index + 3, &event.kind))
                    .and_then(|()| statement.raw_bind_parameter(index + 4, &event.payload))
                    .sqlite_context("storing events")?;
                index += 5;
            }
            statement.raw_execute().sqlite_context("storing events")?;
        } else {
            for event in &chunk {
                statement
                    .execute(rusqlite::params![
                        run_id.0,
                        count_to_sql(event.seq),
                        event.at_millis,
                        event.kind,
                        event.payload
                    ])
                    .sqlite_context("storing events")?;
            }
        }
    }
    Ok(())
}

impl Store {
    /// Stores events outside a checkpoint (run created, export written,
    /// what the writer reports after a commit), in one transaction.
    pub fn append_events(&self, run_id: RunId, events: &[EventRow]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let transaction = self.write_transaction("starting to store events")?;
        Store::ensure_run_exists(&transaction, run_id)?;
        insert_events(&transaction, run_id, events.iter())?;
        transaction.commit().sqlite_context("committing events")
    }

    /// The highest stored `seq` of a run (0 when it has no events): where
    /// its logical clock continues after a restart.
    pub fn last_event_seq(&self, run_id: RunId) -> Result<u64, StoreError> {
        let last: Option<i64> = self
            .connection
            .prepare_cached("SELECT MAX(seq) FROM run_events WHERE run_id = ?1")
            .sqlite_context("reading the last event")?
            .query_row([run_id.0], |row| row.get(0))
            .sqlite_context("reading the last event")?;
        Ok(last.and_then(|last| u64::try_from(last).ok()).unwrap_or(0))
    }

    /// A run's events matching `query`, in `seq` order.
    pub fn events(&self, run_id: RunId, query: &EventQuery) -> Result<Vec<EventRow>, StoreError> {
        let mut rows = Vec::new();
        self.for_each_event(run_id, query, |row| rows.push(row))?;
        Ok(rows)
    }

    /// Calls `visit` for each matching event in `seq` order without
    /// collecting them (stats over a long run).
    pub fn for_each_event(
        &self,
        run_id: RunId,
        query: &EventQuery,
        mut visit: impl FnMut(EventRow),
    ) -> Result<(), StoreError> {
        self.for_each_event_ref(run_id, query, |seq, at_millis, kind, payload| {
            visit(EventRow {
                seq,
                at_millis,
                kind: kind.to_owned(),
                payload: payload.to_owned(),
            });
        })
    }

    /// Like [`Store::for_each_event`], lending each row's `kind` and
    /// `payload` instead of copying them (`visit(seq, at_millis, kind, payload)`).
    pub fn for_each_event_ref(
        &self,
        run_id: RunId,
        query: &EventQuery,
        mut visit: impl FnMut(u64, i64, &str, &str),
    ) -> Result<(), StoreError> {
        let mut sql = String::from(
            "SELECT seq, at_millis, kind, payload FROM run_events WHERE run_id = ?1 AND seq > ?2",
        );
        let after_seq = count_to_sql(query.after_seq);
        let mut parameters: Vec<&dyn ToSql> = vec![&run_id.0, &after_seq];
        if let Some(from_millis) = &query.from_millis {
            parameters.push(from_millis);
            sql.push_str(&format!(" AND at_millis >= ?{}", parameters.len()));
        }
        if let Some(to_millis) = &query.to_millis {
            parameters.push(to_millis);
            sql.push_str(&format!(" AND at_millis <= ?{}", parameters.len()));
        }
        if !query.kinds.is_empty() {
            let mut placeholders = Vec::new();
            for kind in &query.kinds {
                parameters.push(kind);
                placeholders.push(format!("?{}", parameters.len()));
            }
            sql.push_str(&format!(" AND kind IN ({})", placeholders.join(", ")));
        }
        sql.push_str(" ORDER BY seq");
        let limit = count_to_sql(query.limit);
        if query.limit > 0 {
            parameters.push(&limit);
            sql.push_str(&format!(" LIMIT ?{}", parameters.len()));
        }
        let mut statement = self
            .connection
            .prepare(&sql)
            .sqlite_context("reading events")?;
        let mut rows = statement
            .query(parameters.as_slice())
            .sqlite_context("reading events")?;
        while let Some(row) = rows.next().sqlite_context("reading events")? {
            let seq: i64 = row.get(0).sqlite_context("reading events")?;
            let at_millis: i64 = row.get(1).sqlite_context("reading events")?;
            let kind = row
                .get_ref(2)
                .and_then(|value| value.as_str().map_err(Into::into))
                .sqlite_context("reading events")?;
            let payload = row
                .get_ref(3)
                .and_then(|value| value.as_str().map_err(Into::into))
                .sqlite_context("reading events")?;
            visit(
                crate::count_from_sql(seq, "event seq")?,
                at_millis,
                kind,
                payload,
            );
        }
        Ok(())
    }

    /// The run's last event before `seq` (stepping a timeline backwards).
    pub fn event_before(&self, run_id: RunId, seq: u64) -> Result<Option<EventRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT seq, at_millis, kind, payload FROM run_events \
                 WHERE run_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT 1",
            )
            .sqlite_context("reading an event")?;
        let mut rows = statement
            .query(rusqlite::params![run_id.0, count_to_sql(seq)])
            .sqlite_context("reading an event")?;
        let Some(row) = rows.next().sqlite_context("reading an event")? else {
            return Ok(None);
        };
        let seq: i64 = row.get(0).sqlite_context("reading an event")?;
        Ok(Some(EventRow {
            seq: crate::count_from_sql(seq, "event seq")?,
            at_millis: row.get(1).sqlite_context("reading an event")?,
            kind: row.get(2).sqlite_context("reading an event")?,
            payload: row.get(3).sqlite_context("reading an event")?,
        }))
    }

    /// Number of events and bytes of their payloads (for size reports).
    pub fn event_log_size(&self, run_id: RunId) -> Result<(u64, u64), StoreError> {
        let (count, bytes): (i64, Option<i64>) = self
            .connection
            .prepare_cached(
                "SELECT COUNT(*), SUM(LENGTH(payload) + LENGTH(kind) + 16) \
                 FROM run_events WHERE run_id = ?1",
            )
            .sqlite_context("measuring the event log")?
            .query_row([run_id.0], |row| Ok((row.get(0)?, row.get(1)?)))
            .sqlite_context("measuring the event log")?;
        Ok((
            crate::count_from_sql(count, "event count")?,
            crate::count_from_sql(bytes.unwrap_or(0), "event bytes")?,
        ))
    }

    /// Stores one sample for each of `run_ids` (the runs active at that time).
    pub fn append_samples(&self, run_ids: &[RunId], sample: &SampleRow) -> Result<(), StoreError> {
        if run_ids.is_empty() {
            return Ok(());
        }
        let transaction = self.write_transaction("starting to store samples")?;
        {
            let mut insert = transaction
                .prepare_cached(
                    "INSERT OR REPLACE INTO run_samples (run_id, at_millis, payload) \
                     SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM runs WHERE run_id = ?1)",
                )
                .sqlite_context("storing samples")?;
            for run_id in run_ids {
                insert
                    .execute(rusqlite::params![
                        run_id.0,
                        sample.at_millis,
                        sample.payload
                    ])
                    .sqlite_context("storing samples")?;
            }
        }
        transaction.commit().sqlite_context("committing samples")
    }

    /// A run's samples since `from_millis`, oldest first (at most `limit`, 0: all).
    pub fn samples(
        &self,
        run_id: RunId,
        from_millis: i64,
        limit: u64,
    ) -> Result<Vec<SampleRow>, StoreError> {
        let limit = if limit == 0 { -1 } else { count_to_sql(limit) };
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT at_millis, payload FROM run_samples \
                 WHERE run_id = ?1 AND at_millis >= ?2 ORDER BY at_millis LIMIT ?3",
            )
            .sqlite_context("reading samples")?;
        let rows = statement
            .query_map(rusqlite::params![run_id.0, from_millis, limit], |row| {
                Ok(SampleRow {
                    at_millis: row.get(0)?,
                    payload: row.get(1)?,
                })
            })
            .sqlite_context("reading samples")?
            .collect::<Result<Vec<_>, _>>()
            .sqlite_context("reading samples")?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests;
