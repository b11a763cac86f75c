//! The persisted frontier: every canonical URL a run has discovered, in
//! discovery order, and whether its page is done.
//!
//! The queue logic (priorities, per-host buckets) lives in `trawl-frontier`;
//! this table is only what must survive a crash: which URLs exist (to rebuild
//! the seen-set) and which are not done yet (to resume from a `seq` cursor).

use rusqlite::Connection;
use trawl_types::RunId;

use crate::error::{SqliteContext, StoreError};
use crate::{Store, count_from_sql, fingerprint_from_sql, fingerprint_to_sql};

/// A URL to add to a run's frontier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// Hash of the canonical URL; the frontier holds each fingerprint once per run.
    pub fingerprint: u64,
    pub url: String,
    /// Link depth from a start URL (start URLs have depth 0).
    pub depth: u32,
}

/// A frontier row that still needs fetching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    /// Insertion order; pass the last one seen to [`Store::pending_after`] to page on.
    pub seq: i64,
    pub fingerprint: u64,
    pub url: String,
    pub depth: u32,
}

/// How much of a run's frontier is left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrontierCounts {
    pub pending: u64,
    pub done: u64,
}

const INSERT_REQUEST_SQL: &str = "INSERT INTO frontier (run_id, fingerprint, url, depth) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (run_id, fingerprint) DO NOTHING";

/// Inserts requests that are not in the run's frontier yet and returns how
/// many were new. Shared by [`Store::enqueue`] and the checkpoint, inside the
/// caller's transaction.
pub(crate) fn insert_requests(
    connection: &Connection,
    run_id: RunId,
    requests: &[NewRequest],
) -> Result<u64, StoreError> {
    let mut statement = connection
        .prepare_cached(INSERT_REQUEST_SQL)
        .sqlite_context("adding requests to the frontier")?;
    let mut inserted_rows = 0_u64;
    for request in requests {
        // The conflict clause makes a known URL a no-op, and `execute` reports
        // the rows it changed, so duplicates are counted without a SELECT.
        inserted_rows += statement
            .execute(rusqlite::params![
                run_id.0,
                fingerprint_to_sql(request.fingerprint),
                request.url,
                request.depth,
            ])
            .sqlite_context("adding requests to the frontier")? as u64;
    }
    Ok(inserted_rows)
}

impl Store {
    /// Adds requests outside a checkpoint (seeds, sitemap entries), skipping
    /// URLs the run already has. Returns how many rows were inserted.
    pub fn enqueue(&self, run_id: RunId, requests: &[NewRequest]) -> Result<usize, StoreError> {
        let transaction = self.write_transaction("starting to enqueue requests")?;
        Store::ensure_run_exists(&transaction, run_id)?;
        let inserted_rows = insert_requests(&transaction, run_id, requests)?;
        transaction
            .commit()
            .sqlite_context("committing enqueued requests")?;
        Ok(usize::try_from(inserted_rows).unwrap_or(usize::MAX))
    }

    /// Up to `limit` pending requests with `seq > after_seq`, in insertion order.
    ///
    /// This is the engine's cursor. Requests being fetched are not marked, so
    /// after a crash they are returned again from the start cursor. Cost is
    /// proportional to the rows scanned from `after_seq` on: cheap while the
    /// cursor advances (rows past it are pending), one scan over the done
    /// rows when resuming from 0.
    pub fn pending_after(
        &self,
        run_id: RunId,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<PendingRequest>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                // NOT INDEXED keeps the planner on the rowid range scan
                // (`seq > ?2`), which starts right at the cursor; the unique
                // (run_id, fingerprint) index would visit the whole run and sort.
                "SELECT seq, fingerprint, url, depth FROM frontier NOT INDEXED \
                 WHERE run_id = ?1 AND state = 'pending' AND seq > ?2 \
                 ORDER BY seq LIMIT ?3",
            )
            .sqlite_context("reading pending requests")?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = statement
            .query(rusqlite::params![run_id.0, after_seq, limit])
            .sqlite_context("reading pending requests")?;
        let mut pending_requests = Vec::new();
        while let Some(row) = rows.next().sqlite_context("reading pending requests")? {
            let seq: i64 = row.get(0).sqlite_context("reading pending requests")?;
            let fingerprint: i64 = row.get(1).sqlite_context("reading pending requests")?;
            let url: String = row.get(2).sqlite_context("reading pending requests")?;
            let depth: i64 = row.get(3).sqlite_context("reading pending requests")?;
            let depth = u32::try_from(depth).map_err(|_| StoreError::Corrupt {
                what: "frontier depth",
                detail: format!("seq {seq} has depth {depth}"),
            })?;
            pending_requests.push(PendingRequest {
                seq,
                fingerprint: fingerprint_from_sql(fingerprint),
                url,
                depth,
            });
        }
        Ok(pending_requests)
    }

    /// Calls `visit` with every fingerprint in the run's frontier, pending or
    /// done, to rebuild the in-memory seen-set on resume without collecting
    /// them into a second big allocation.
    pub fn for_each_fingerprint(
        &self,
        run_id: RunId,
        mut visit: impl FnMut(u64),
    ) -> Result<(), StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT fingerprint FROM frontier WHERE run_id = ?1")
            .sqlite_context("reading frontier fingerprints")?;
        let mut rows = statement
            .query([run_id.0])
            .sqlite_context("reading frontier fingerprints")?;
        while let Some(row) = rows
            .next()
            .sqlite_context("reading frontier fingerprints")?
        {
            let fingerprint: i64 = row.get(0).sqlite_context("reading frontier fingerprints")?;
            visit(fingerprint_from_sql(fingerprint));
        }
        Ok(())
    }

    /// Pending and done row counts of the run's frontier. Reads every row of
    /// the run, so it is for status displays, not for per-page loops (the
    /// run's counters are the cheap progress numbers).
    pub fn frontier_counts(&self, run_id: RunId) -> Result<FrontierCounts, StoreError> {
        let (pending, done): (i64, i64) = self
            .connection
            .prepare_cached(
                "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'done'), 0) \
                 FROM frontier WHERE run_id = ?1",
            )
            .sqlite_context("counting frontier rows")?
            .query_row([run_id.0], |row| Ok((row.get(0)?, row.get(1)?)))
            .sqlite_context("counting frontier rows")?;
        Ok(FrontierCounts {
            pending: count_from_sql(pending, "frontier count")?,
            done: count_from_sql(done, "frontier count")?,
        })
    }

    /// Finished pages of a run with their recorded outcome, in frontier
    /// order: what happened to each URL (for `trawl pages` and tests).
    pub fn page_outcomes(
        &self,
        run_id: RunId,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<PageOutcome>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT seq, url, depth, status, outcome, error FROM frontier \
                 WHERE run_id = ?1 AND seq > ?2 AND state = 'done' ORDER BY seq LIMIT ?3",
            )
            .sqlite_context("reading page outcomes")?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(rusqlite::params![run_id.0, after_seq, limit], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                ))
            })
            .sqlite_context("reading page outcomes")?;
        let mut outcomes = Vec::new();
        for row in rows {
            let (seq, url, depth, status, outcome, error) =
                row.sqlite_context("reading page outcomes")?;
            outcomes.push(PageOutcome {
                seq,
                url,
                depth: u32::try_from(depth).map_err(|_| StoreError::Corrupt {
                    what: "frontier depth",
                    detail: format!("depth {depth} of {seq}"),
                })?,
                status: status.and_then(|status| u16::try_from(status).ok()),
                outcome: outcome.unwrap_or_default(),
                error,
            });
        }
        Ok(outcomes)
    }
}

/// What happened to one finished page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOutcome {
    pub seq: i64,
    pub url: String,
    pub depth: u32,
    pub status: Option<u16>,
    /// "ok", "http_404", "redirect_loop", "robots_denied", ...
    pub outcome: String,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests;
