//! The run catalog: one row per run with its spec, lifecycle timestamps and
//! counters, so `trawl runs`, the UI and resume all read the same record.

use rusqlite::{OptionalExtension, Row};
use trawl_types::{RunId, RunState};

use crate::checkpoint::Counters;
use crate::error::{SqliteContext, StoreError};
use crate::events::{EventRow, insert_events};
use crate::{Store, count_from_sql, now_unix_millis};

/// What the engine knows about a run before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub name: String,
    /// The spec exactly as the user wrote it, so a run can be re-run or
    /// replayed even after the file changed.
    pub spec_toml: String,
    /// Hash of the spec, to tell whether two runs used the same spec.
    pub spec_hash: String,
    /// Where the spec was loaded from, if it came from a file.
    pub spec_path: Option<String>,
}

/// Where a run's responses come from, when not simply from the network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSource {
    /// Its exchanges are recorded (WARC) for replay.
    pub record: bool,
    /// It replays this run's recording instead of fetching.
    pub replay_of: Option<RunId>,
    /// It is a recording imported from WARC files (`trawl import-warc`):
    /// nothing was crawled; it exists to be replayed.
    pub imported: bool,
}

/// One run as stored in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub run_id: RunId,
    pub name: String,
    pub state: RunState,
    pub created_at_millis: i64,
    /// Set the first time the run becomes `running`; kept across pause/resume.
    pub started_at_millis: Option<i64>,
    /// Set when the run reaches a terminal state.
    pub finished_at_millis: Option<i64>,
    pub spec_toml: String,
    pub spec_hash: String,
    pub spec_path: Option<String>,
    /// Why the run failed or was interrupted, if it did.
    pub error: Option<String>,
    /// Totals over every checkpoint committed so far.
    pub counters: Counters,
}

const RUN_COLUMNS: &str = "run_id, name, state, created_at_millis, started_at_millis, \
    finished_at_millis, spec_toml, spec_hash, spec_path, error, pages_ok, pages_failed, \
    bytes_fetched, items_stored, items_duplicate, items_dropped, links_queued, \
    requests_retried, warnings, pages_skipped";

/// A row decoded with SQLite types only; turning it into a [`RunRecord`] can
/// fail with [`StoreError::Corrupt`], which a row-mapping closure cannot return.
struct RawRun {
    run_id: i64,
    name: String,
    state: String,
    created_at_millis: i64,
    started_at_millis: Option<i64>,
    finished_at_millis: Option<i64>,
    spec_toml: String,
    spec_hash: String,
    spec_path: Option<String>,
    error: Option<String>,
    counters: [i64; 10],
}

impl RawRun {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRun> {
        Ok(RawRun {
            run_id: row.get(0)?,
            name: row.get(1)?,
            state: row.get(2)?,
            created_at_millis: row.get(3)?,
            started_at_millis: row.get(4)?,
            finished_at_millis: row.get(5)?,
            spec_toml: row.get(6)?,
            spec_hash: row.get(7)?,
            spec_path: row.get(8)?,
            error: row.get(9)?,
            counters: [
                row.get(10)?,
                row.get(11)?,
                row.get(12)?,
                row.get(13)?,
                row.get(14)?,
                row.get(15)?,
                row.get(16)?,
                row.get(17)?,
                row.get(18)?,
                row.get(19)?,
            ],
        })
    }

    fn into_record(self) -> Result<RunRecord, StoreError> {
        let state = self
            .state
            .parse::<RunState>()
            .map_err(|unknown| StoreError::Corrupt {
                what: "run state",
                detail: format!("run {}: {unknown}", self.run_id),
            })?;
        let [
            pages_ok,
            pages_failed,
            bytes_fetched,
            items_stored,
            items_duplicate,
            items_dropped,
            links_queued,
            requests_retried,
            warnings,
            pages_skipped,
        ] = self.counters;
        let counters = Counters {
            pages_ok: count_from_sql(pages_ok, "run counter")?,
            pages_failed: count_from_sql(pages_failed, "run counter")?,
            bytes_fetched: count_from_sql(bytes_fetched, "run counter")?,
            items_stored: count_from_sql(items_stored, "run counter")?,
            items_duplicate: count_from_sql(items_duplicate, "run counter")?,
            items_dropped: count_from_sql(items_dropped, "run counter")?,
            links_queued: count_from_sql(links_queued, "run counter")?,
            requests_retried: count_from_sql(requests_retried, "run counter")?,
            warnings: count_from_sql(warnings, "run counter")?,
            pages_skipped: count_from_sql(pages_skipped, "run counter")?,
        };
        Ok(RunRecord {
            run_id: RunId(self.run_id),
            name: self.name,
            state,
            created_at_millis: self.created_at_millis,
            started_at_millis: self.started_at_millis,
            finished_at_millis: self.finished_at_millis,
            spec_toml: self.spec_toml,
            spec_hash: self.spec_hash,
            spec_path: self.spec_path,
            error: self.error,
            counters,
        })
    }
}

impl Store {
    /// Adds a run to the catalog in state `queued` and returns its id.
    pub fn create_run(&self, new_run: &NewRun) -> Result<RunId, StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO runs (name, state, created_at_millis, spec_toml, spec_hash, spec_path) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .sqlite_context("creating a run")?
            .execute(rusqlite::params![
                new_run.name,
                RunState::Queued.as_str(),
                now_unix_millis(),
                new_run.spec_toml,
                new_run.spec_hash,
                new_run.spec_path,
            ])
            .sqlite_context("creating a run")?;
        Ok(RunId(self.connection.last_insert_rowid()))
    }

    /// Records a state change decided by the engine.
    ///
    /// `error` replaces the stored error (so `None` clears an old one on
    /// resume). `started_at` is set on the first move to `running` only;
    /// `finished_at` on the first move to a terminal state.
    pub fn set_run_state(
        &self,
        run_id: RunId,
        state: RunState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let changed_rows = self
            .connection
            .prepare_cached(
                "UPDATE runs SET state = ?2, error = ?3, \
                 started_at_millis = CASE WHEN ?4 THEN COALESCE(started_at_millis, ?6) \
                                          ELSE started_at_millis END, \
                 finished_at_millis = CASE WHEN ?5 THEN COALESCE(finished_at_millis, ?6) \
                                           ELSE finished_at_millis END \
                 WHERE run_id = ?1",
            )
            .sqlite_context("changing a run's state")?
            .execute(rusqlite::params![
                run_id.0,
                state.as_str(),
                error,
                state == RunState::Running,
                state.is_terminal(),
                now_unix_millis(),
            ])
            .sqlite_context("changing a run's state")?;
        if changed_rows == 0 {
            return Err(StoreError::RunNotFound(run_id));
        }
        Ok(())
    }

    /// Records a state change only if the run is still in `from`
    /// (compare-and-set), and returns whether it was.
    ///
    /// The engine validates `from -> to` against its lifecycle first; the
    /// condition makes a change made meanwhile by someone else (another
    /// process on the same store) visible as `false` instead of being
    /// silently overwritten. Timestamps and `error` as in [`Store::set_run_state`].
    pub fn change_run_state(
        &self,
        run_id: RunId,
        from: RunState,
        to: RunState,
        error: Option<&str>,
        event: Option<&EventRow>,
    ) -> Result<bool, StoreError> {
        // The change and the event that reports it commit together, so the
        // event log and the run's state never disagree after a crash.
        let transaction = self.write_transaction("starting a state change")?;
        let changed_rows = transaction
            .prepare_cached(
                "UPDATE runs SET state = ?3, error = ?4, \
                 started_at_millis = CASE WHEN ?5 THEN COALESCE(started_at_millis, ?7) \
                                          ELSE started_at_millis END, \
                 finished_at_millis = CASE WHEN ?6 THEN COALESCE(finished_at_millis, ?7) \
                                           ELSE finished_at_millis END \
                 WHERE run_id = ?1 AND state = ?2",
            )
            .sqlite_context("changing a run's state")?
            .execute(rusqlite::params![
                run_id.0,
                from.as_str(),
                to.as_str(),
                error,
                to == RunState::Running,
                to.is_terminal(),
                now_unix_millis(),
            ])
            .sqlite_context("changing a run's state")?;
        if changed_rows == 0 {
            Self::ensure_run_exists(&transaction, run_id)?;
            return Ok(false);
        }
        if let Some(event) = event {
            insert_events(&transaction, run_id, [event])?;
        }
        transaction
            .commit()
            .sqlite_context("committing a state change")?;
        Ok(true)
    }

    /// One run's record.
    pub fn run(&self, run_id: RunId) -> Result<RunRecord, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1");
        let raw_run = self
            .connection
            .prepare_cached(&sql)
            .sqlite_context("reading a run")?
            .query_row([run_id.0], RawRun::from_row)
            .optional()
            .sqlite_context("reading a run")?
            .ok_or(StoreError::RunNotFound(run_id))?;
        raw_run.into_record()
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY run_id DESC");
        let mut statement = self
            .connection
            .prepare_cached(&sql)
            .sqlite_context("listing runs")?;
        let mut rows = statement.query([]).sqlite_context("listing runs")?;
        let mut records = Vec::new();
        while let Some(row) = rows.next().sqlite_context("listing runs")? {
            let raw_run = RawRun::from_row(row).sqlite_context("listing runs")?;
            records.push(raw_run.into_record()?);
        }
        Ok(records)
    }

    /// Records where a run's responses come from (see [`RunSource`]).
    pub fn set_run_source(&self, run_id: RunId, source: &RunSource) -> Result<(), StoreError> {
        Self::ensure_run_exists(&self.connection, run_id)?;
        self.connection
            .prepare_cached(
                "INSERT INTO run_sources (run_id, record, replay_of, imported) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (run_id) DO UPDATE SET record = ?2, replay_of = ?3, imported = ?4",
            )
            .sqlite_context("recording a run's source")?
            .execute(rusqlite::params![
                run_id.0,
                source.record,
                source.replay_of.map(|run| run.0),
                source.imported
            ])
            .sqlite_context("recording a run's source")?;
        Ok(())
    }

    /// Where a run's responses come from (the default for a plain run).
    pub fn run_source(&self, run_id: RunId) -> Result<RunSource, StoreError> {
        let source = self
            .connection
            .prepare_cached("SELECT record, replay_of, imported FROM run_sources WHERE run_id = ?1")
            .sqlite_context("reading a run's source")?
            .query_row([run_id.0], |row| {
                Ok(RunSource {
                    record: row.get(0)?,
                    replay_of: row.get::<_, Option<i64>>(1)?.map(RunId),
                    imported: row.get(2)?,
                })
            })
            .optional()
            .sqlite_context("reading a run's source")?;
        Ok(source.unwrap_or_default())
    }

    /// Ids of the runs in `state`, oldest first; bootstrap uses it to find
    /// runs left `running` by a dead process.
    pub fn runs_in_state(&self, state: RunState) -> Result<Vec<RunId>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT run_id FROM runs WHERE state = ?1 ORDER BY run_id")
            .sqlite_context("listing runs by state")?;
        statement
            .query_map([state.as_str()], |row| row.get(0).map(RunId))
            .sqlite_context("listing runs by state")?
            .collect::<Result<Vec<RunId>, _>>()
            .sqlite_context("listing runs by state")
    }
}

#[cfg(test)]
mod tests;
