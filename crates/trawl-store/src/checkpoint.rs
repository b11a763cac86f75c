//! The checkpoint: one transaction that stores a batch of finished pages —
//! their items, the new links they found, the mark that they are done, their
//! events, and the run's counters — so a crash keeps all of a page's work or
//! none of it, and the event log never claims work the data does not have.
//!
//! This is the hottest write path (thousands of pages per second), so it uses
//! cached statements, one transaction per batch, conflict clauses instead of
//! lookups, and counts rows from what SQLite reports it changed.

use std::ops::AddAssign;

use trawl_types::{Item, RunId};

use crate::error::{SqliteContext, StoreError};
use crate::events::{EventRow, insert_events};
use crate::frontier::{NewRequest, insert_requests};
use crate::{Store, count_to_sql, fingerprint_to_sql, now_unix_millis};

/// Pages finished since the last checkpoint, committed together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointBatch {
    pub pages: Vec<PageDone>,
    /// Counter deltas to add to the run's totals. `items_stored` and
    /// `items_duplicate` are ignored: the store counts those itself from what
    /// the inserts actually did.
    pub counters: Counters,
    /// Events not tied to one page (e.g. the previous checkpoint's report).
    pub events: Vec<EventRow>,
}

/// One finished page and everything it produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageDone {
    /// Fingerprint of the frontier row this page came from; it must be pending.
    pub fingerprint: u64,
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// Short machine-readable result: "ok", "http_404", "redirect_loop",
    /// "robots_denied", ...
    pub outcome: String,
    /// Human-readable detail for failed pages.
    pub error: Option<String>,
    pub items: Vec<Item>,
    /// Links discovered on the page; ones already in the frontier are ignored.
    pub links: Vec<NewRequest>,
    /// What happened to the page (fetch, extraction, links), in seq order.
    pub events: Vec<EventRow>,
}

/// What a checkpoint actually changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub items_inserted: u64,
    /// Items skipped because the run already has an item of that kind and key.
    pub items_duplicate: u64,
    pub links_inserted: u64,
}

/// A run's running totals, also used as the deltas of one checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub pages_ok: u64,
    pub pages_failed: u64,
    pub bytes_fetched: u64,
    pub items_stored: u64,
    pub items_duplicate: u64,
    pub items_dropped: u64,
    pub links_queued: u64,
    pub requests_retried: u64,
    pub warnings: u64,
    /// Pages not fetched on purpose (robots.txt disallows them).
    pub pages_skipped: u64,
}

impl Counters {
    /// Adds `delta` field by field (saturating: a counter that overflowed is
    /// wrong either way, but must not panic in a debug build).
    pub fn add(&mut self, delta: &Counters) {
        self.pages_ok = self.pages_ok.saturating_add(delta.pages_ok);
        self.pages_failed = self.pages_failed.saturating_add(delta.pages_failed);
        self.bytes_fetched = self.bytes_fetched.saturating_add(delta.bytes_fetched);
        self.items_stored = self.items_stored.saturating_add(delta.items_stored);
        self.items_duplicate = self.items_duplicate.saturating_add(delta.items_duplicate);
        self.items_dropped = self.items_dropped.saturating_add(delta.items_dropped);
        self.links_queued = self.links_queued.saturating_add(delta.links_queued);
        self.requests_retried = self.requests_retried.saturating_add(delta.requests_retried);
        self.warnings = self.warnings.saturating_add(delta.warnings);
        self.pages_skipped = self.pages_skipped.saturating_add(delta.pages_skipped);
    }
}

impl AddAssign<&Counters> for Counters {
    fn add_assign(&mut self, delta: &Counters) {
        self.add(delta);
    }
}

impl Store {
    /// Commits a batch of finished pages in one transaction.
    ///
    /// Either everything in the batch is stored or nothing is: any failure
    /// (an unknown run, a page that is not pending, a SQLite error) rolls the
    /// whole batch back and the pages stay pending. Items whose kind and key
    /// the run already has are skipped and counted as duplicates.
    pub fn commit(
        &mut self,
        run_id: RunId,
        batch: &CheckpointBatch,
    ) -> Result<CommitStats, StoreError> {
        let transaction = self.write_transaction("starting a checkpoint")?;
        Store::ensure_run_exists(&transaction, run_id)?;
        let finished_at_millis = now_unix_millis();
        let mut stats = CommitStats::default();
        {
            let mut mark_done = transaction
                .prepare_cached(
                    "UPDATE frontier SET state = 'done', status = ?3, outcome = ?4, error = ?5, \
                     finished_at_millis = ?6 \
                     WHERE run_id = ?1 AND fingerprint = ?2 AND state = 'pending'",
                )
                .sqlite_context("marking pages done")?;
            let mut insert_item = transaction
                .prepare_cached(
                    "INSERT INTO items (run_id, kind, key, url, data) VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (run_id, kind, key) DO NOTHING",
                )
                .sqlite_context("storing items")?;
            for page in &batch.pages {
                let changed_rows = mark_done
                    .execute(rusqlite::params![
                        run_id.0,
                        fingerprint_to_sql(page.fingerprint),
                        page.status,
                        page.outcome,
                        page.error,
                        finished_at_millis,
                    ])
                    .sqlite_context("marking pages done")?;
                if changed_rows == 0 {
                    return Err(StoreError::PageNotPending {
                        run_id,
                        fingerprint: page.fingerprint,
                    });
                }
                for item in &page.items {
                    // Serialized straight from the ordered map, so field
                    // order survives and nothing is parsed on this path.
                    let data = serde_json::to_string(&item.fields)
                        .map_err(|source| StoreError::EncodeItem { source })?;
                    let inserted_rows = insert_item
                        .execute(rusqlite::params![
                            run_id.0, item.kind, item.key, item.url, data
                        ])
                        .sqlite_context("storing items")?;
                    if inserted_rows == 0 {
                        stats.items_duplicate += 1;
                    } else {
                        stats.items_inserted += 1;
                    }
                }
                stats.links_inserted += insert_requests(&transaction, run_id, &page.links)?;
            }
            // Every event of the batch at once, in multi-row inserts.
            let page_events = batch.pages.iter().flat_map(|page| page.events.iter());
            insert_events(&transaction, run_id, page_events.chain(batch.events.iter()))?;
        }
        let delta = &batch.counters;
        transaction
            .prepare_cached(
                "UPDATE runs SET pages_ok = pages_ok + ?2, pages_failed = pages_failed + ?3, \
                 bytes_fetched = bytes_fetched + ?4, items_stored = items_stored + ?5, \
                 items_duplicate = items_duplicate + ?6, items_dropped = items_dropped + ?7, \
                 links_queued = links_queued + ?8, requests_retried = requests_retried + ?9, \
                 warnings = warnings + ?10, pages_skipped = pages_skipped + ?11 WHERE run_id = ?1",
            )
            .sqlite_context("updating run counters")?
            .execute(rusqlite::params![
                run_id.0,
                count_to_sql(delta.pages_ok),
                count_to_sql(delta.pages_failed),
                count_to_sql(delta.bytes_fetched),
                count_to_sql(stats.items_inserted),
                count_to_sql(stats.items_duplicate),
                count_to_sql(delta.items_dropped),
                count_to_sql(delta.links_queued),
                count_to_sql(delta.requests_retried),
                count_to_sql(delta.warnings),
                count_to_sql(delta.pages_skipped),
            ])
            .sqlite_context("updating run counters")?;
        transaction
            .commit()
            .sqlite_context("committing a checkpoint")?;
        Ok(stats)
    }
}

#[cfg(test)]
mod tests;
