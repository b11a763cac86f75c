//! Trawl's embedded store: the run catalog, each run's frontier, dataset and
//! event log, the checkpoint that commits them together, and cron schedules
//! with their fires, in one SQLite file.
//!
//! The store is the crash-safety foundation. A finished page's items, the
//! links it discovered and the mark that it is done commit in one transaction
//! ([`Store::commit`]), so a crash at any point either keeps all of a page's
//! work or none of it, and resuming redoes only unfinished pages. In-flight
//! requests are deliberately not persisted: after a crash they are simply
//! still `pending`.
//!
//! The store is synchronous and owned by one thread: [`Store`] is `Send` but
//! not `Sync`, and other threads (exports, the UI) open their own `Store` on
//! the same file; WAL mode lets them read while the engine writes.

mod checkpoint;
mod error;
mod events;
mod frontier;
mod items;
mod migrations;
mod runs;
mod schedules;
mod wal;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension};
use trawl_types::RunId;

pub use checkpoint::{CheckpointBatch, CommitStats, Counters, PageDone};
use error::SqliteContext;
pub use error::StoreError;
pub use events::{EventQuery, EventRow, SampleRow};
pub use frontier::{FrontierCounts, NewRequest, PageOutcome, PendingRequest};
pub use migrations::SCHEMA_VERSION;
pub use runs::{NewRun, RunRecord, RunSource};
pub use schedules::{
    FireId, FireRecord, FireRecorded, FireState, NewFire, NewSchedule, RunSchedule, ScheduleRecord,
};

/// How long a statement waits for another process's write lock before failing
/// with "database is locked". Long enough to ride out a checkpoint of a busy
/// engine, short enough that a stuck lock is reported instead of hanging.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Enough room for every statement the store prepares, so the hot ones are
/// never evicted and re-parsed.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// Page cache of a held transaction, KiB: room for a bench crawl's whole
/// store, so "checkpointing off" does not pay for spilling to the WAL.
const HELD_CACHE_KIB: u32 = 512 * 1024;

/// WAL pages after which a commit checkpoints the WAL into the main file
/// (unless [`Store::checkpoint_in_background`] took that over).
const AUTOCHECKPOINT_FRAMES: u32 = 8192;

/// SQLite's default page cache, KiB, which every other connection keeps.
const DEFAULT_CACHE_KIB: u32 = 2000;

/// A write transaction of its own, or a part of a held one.
enum WriteTransaction<'a> {
    Own(rusqlite::Transaction<'a>),
    Held(&'a Connection),
}

impl WriteTransaction<'_> {
    /// Commits the transaction; a part of a held one commits with it.
    fn commit(self) -> rusqlite::Result<()> {
        match self {
            WriteTransaction::Own(transaction) => transaction.commit(),
            WriteTransaction::Held(_) => Ok(()),
        }
    }
}

impl std::ops::Deref for WriteTransaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            WriteTransaction::Own(transaction) => transaction,
            WriteTransaction::Held(connection) => connection,
        }
    }
}

/// A connection to one store file (or an in-memory store for tests).
///
/// Methods map one-to-one to short SQL transactions; none of them keeps state
/// between calls, so a `Store` can be dropped at any time without losing
/// anything that a method already returned `Ok` for. (The one exception is
/// the benchmark's [`Store::hold_transaction`], which keeps writes to itself
/// until it ends.)
#[derive(Debug)]
pub struct Store {
    connection: Connection,
    path: Option<PathBuf>,
    /// The schema version this open migrated the file from, if it did.
    migrated_from: Option<i64>,
    /// Inside [`Store::hold_transaction`]: writes join the held transaction.
    /// A flag rather than SQLite's autocommit state, so a transaction left
    /// open by mistake is an error, as before, not a silent join.
    held: std::cell::Cell<bool>,
    /// Set by [`Store::checkpoint_in_background`].
    background_checkpoints: Option<wal::BackgroundCheckpoints>,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up
    /// to date.
    ///
    /// The parent directory is created, so a fresh data directory works. A
    /// store written by a newer trawl is refused with
    /// [`StoreError::NewerSchema`] rather than being misread.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDirectory {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let connection = Connection::open(path).sqlite_context("opening the store file")?;
        // WAL lets exports and the UI read while the engine writes, and turns
        // each commit into an append. NORMAL synchronous is durable against
        // process crashes (kill -9) and only risks the last commits on power
        // loss, never corruption; FULL would fsync on every checkpoint.
        let journal_mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .sqlite_context("switching the store to WAL mode")?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt {
                what: "journal mode",
                detail: format!("sqlite refused WAL mode and stayed in {journal_mode:?}"),
            });
        }
        // SQLite checkpoints the WAL into the main file (with an fsync) on the
        // committing thread every `wal_autocheckpoint` pages. The default of
        // 1000 pages (4 MiB) made the engine's store thread wait on fsync for
        // more time than it spent committing; 8192 pages (32 MiB) does a tenth
        // of the fsyncs and writes hot pages once instead of repeatedly. The
        // size limit truncates the WAL file back after a checkpoint.
        connection
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_FRAMES}; \
                 PRAGMA journal_size_limit = 67108864;"
            ))
            .sqlite_context("setting WAL pragmas")?;
        Self::configure(connection, Some(path.to_path_buf()))
    }

    /// Opens a private store that lives in memory and vanishes when dropped.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let connection =
            Connection::open_in_memory().sqlite_context("opening an in-memory store")?;
        Self::configure(connection, None)
    }

    fn configure(connection: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        connection
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .sqlite_context("setting store pragmas")?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .sqlite_context("setting the busy timeout")?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        let mut store = Store {
            connection,
            path,
            migrated_from: None,
            held: std::cell::Cell::new(false),
            background_checkpoints: None,
        };
        store.migrated_from = store.back_up_before_migrating()?;
        migrations::migrate(&mut store.connection)?;
        Ok(store)
    }

    /// Before a store written by an older trawl is migrated, a copy of it is
    /// kept next to it (`trawl.sqlite.v2.bak`): migrations are one-way, the
    /// backup is how one goes back (with the older trawl). Written once per
    /// version; `VACUUM INTO` makes a consistent, compact copy even while
    /// another process reads.
    /// Returns the older version it found (the one about to be migrated).
    fn back_up_before_migrating(&self) -> Result<Option<i64>, StoreError> {
        let found = migrations::schema_version(&self.connection)?;
        if found == 0 || found >= SCHEMA_VERSION {
            return Ok(None);
        }
        let Some(path) = &self.path else {
            return Ok(Some(found));
        };
        let backup = backup_path(path, found);
        if !backup.exists() {
            self.connection
                .execute("VACUUM INTO ?1", [backup.to_string_lossy()])
                .sqlite_context("backing up the store before migrating it")?;
        }
        Ok(Some(found))
    }

    /// The schema version this open upgraded the file from (`None` when it
    /// was new or current). For start-up reports.
    pub fn migrated_from(&self) -> Option<i64> {
        self.migrated_from
    }

    /// The file this store lives in; `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs SQLite's full consistency check; an empty list means the file is
    /// healthy, otherwise each entry is one problem SQLite found.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare("PRAGMA integrity_check")
            .sqlite_context("checking store integrity")?;
        let messages = statement
            .query_map([], |row| row.get::<_, String>(0))
            .sqlite_context("checking store integrity")?
            .collect::<Result<Vec<String>, _>>()
            .sqlite_context("checking store integrity")?;
        if messages.len() == 1 && messages[0] == "ok" {
            return Ok(Vec::new());
        }
        Ok(messages)
    }

    /// Runs `read` inside one read transaction, so every query it makes sees
    /// the same snapshot even while another connection keeps committing.
    ///
    /// Exports use this to make their two passes (collect columns, write rows)
    /// agree about which items exist.
    pub fn with_read_snapshot<T, E>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let transaction = self
            .connection
            .unchecked_transaction()
            .sqlite_context("starting a read snapshot")?;
        let result = read(self);
        // Nothing was written, so ending the snapshot by rollback is the
        // cheapest way out and cannot lose data.
        transaction
            .rollback()
            .sqlite_context("ending a read snapshot")?;
        result
    }

    /// A transaction that takes the write lock at `BEGIN` (waiting for it up
    /// to the busy timeout). A deferred transaction that reads first and
    /// writes later cannot wait: SQLite fails its upgrade at once with
    /// "database is locked" while another connection writes, to avoid a
    /// deadlock. Every write transaction starts here.
    ///
    /// Inside a [`Store::hold_transaction`] the write joins the held
    /// transaction instead (a savepoint per write would make SQLite keep a
    /// statement journal of every page it touches: "checkpointing off"
    /// would pay for rollbacks it never needs).
    fn write_transaction(&self, context: &'static str) -> Result<WriteTransaction<'_>, StoreError> {
        if self.held.get() {
            return Ok(WriteTransaction::Held(&self.connection));
        }
        let transaction = rusqlite::Transaction::new_unchecked(
            &self.connection,
            rusqlite::TransactionBehavior::Immediate,
        )
        .sqlite_context(context)?;
        Ok(WriteTransaction::Own(transaction))
    }

    /// Opens one transaction that every later write of this connection joins
    /// until [`Store::end_held_transaction`]: nothing becomes durable (or
    /// visible to other connections) before then, and a crash loses all of
    /// it. This is "checkpointing off", which `trawl bench --checkpoint-cost`
    /// compares the product's checkpoints against; the page cache is made
    /// large enough that the held writes stay in memory rather than spill.
    pub fn hold_transaction(&self) -> Result<(), StoreError> {
        self.connection
            .execute_batch(&format!(
                "PRAGMA cache_size = -{HELD_CACHE_KIB}; BEGIN IMMEDIATE"
            ))
            .sqlite_context("starting a held transaction")?;
        self.held.set(true);
        Ok(())
    }

    /// Runs this connection's WAL checkpoints on a thread of their own, so
    /// its commits never wait for one (see `wal.rs`): for a connection that
    /// commits all the time, a crawl's store writer. A store in memory has no
    /// WAL; there this does nothing. Calling it twice is harmless.
    pub fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        if self.background_checkpoints.is_some() {
            return Ok(());
        }
        if let Some(path) = &self.path {
            self.background_checkpoints = Some(wal::BackgroundCheckpoints::start(
                &mut self.connection,
                path,
            )?);
        }
        Ok(())
    }

    /// Ends [`Store::checkpoint_in_background`]: commits checkpoint on this
    /// connection again, once the background thread has finished.
    pub fn checkpoint_in_foreground(&mut self) -> Result<(), StoreError> {
        match self.background_checkpoints.take() {
            Some(background) => background.stop(&mut self.connection),
            None => Ok(()),
        }
    }

    /// How long a write waits for another connection's write lock before
    /// failing with "database is locked" (5 s unless set). Zero makes side
    /// writers (samples, limit changes) give up at once while a held
    /// transaction keeps the lock for a whole crawl, instead of blocking
    /// the thread they run on.
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<(), StoreError> {
        self.connection
            .busy_timeout(timeout)
            .sqlite_context("setting the busy timeout")
    }

    /// Ends what [`Store::hold_transaction`] began: commits it, or, when
    /// `commit` is false (a write in it failed, possibly halfway), rolls all
    /// of it back. Gives the page cache back either way.
    pub fn end_held_transaction(&self, commit: bool) -> Result<(), StoreError> {
        if !self.held.replace(false) {
            return Ok(());
        }
        let ended = if commit {
            let committed = self
                .connection
                .execute_batch("COMMIT")
                .sqlite_context("committing a held transaction");
            // A failed COMMIT leaves the transaction open: end it, so the
            // connection's next writes are transactions of their own.
            if committed.is_err() && !self.connection.is_autocommit() {
                let _ = self.connection.execute_batch("ROLLBACK");
            }
            committed
        } else {
            self.connection
                .execute_batch("ROLLBACK")
                .sqlite_context("rolling back a held transaction")
        };
        let reset = self
            .connection
            .execute_batch(&format!("PRAGMA cache_size = -{DEFAULT_CACHE_KIB}"))
            .sqlite_context("resetting the page cache");
        ended.and(reset)
    }

    /// Fails with [`StoreError::RunNotFound`] unless the run exists. Called
    /// once per call (not per row) before writes that reference the run, so
    /// callers get a clear error instead of a foreign-key failure.
    fn ensure_run_exists(connection: &Connection, run_id: RunId) -> Result<(), StoreError> {
        let found = connection
            .prepare_cached("SELECT 1 FROM runs WHERE run_id = ?1")
            .sqlite_context("looking up a run")?
            .query_row([run_id.0], |_| Ok(()))
            .optional()
            .sqlite_context("looking up a run")?;
        match found {
            Some(()) => Ok(()),
            None => Err(StoreError::RunNotFound(run_id)),
        }
    }
}

/// Where the copy of a store at schema `version` is kept before migrating.
pub fn backup_path(store_path: &Path, version: i64) -> PathBuf {
    let mut name = store_path.as_os_str().to_owned();
    name.push(format!(".v{version}.bak"));
    PathBuf::from(name)
}

/// Wall-clock time as unix milliseconds, the unit every `*_at_millis` column uses.
///
/// A clock before 1970 yields 0 rather than an error: a wrong timestamp must
/// not stop a crawl.
fn now_unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Fingerprints are full 64-bit hashes but SQLite integers are signed: the bits
/// are stored unchanged, so the round trip is exact and the UNIQUE index works.
fn fingerprint_to_sql(fingerprint: u64) -> i64 {
    fingerprint as i64
}

/// Inverse of [`fingerprint_to_sql`].
fn fingerprint_from_sql(stored: i64) -> u64 {
    stored as u64
}

/// Counts and sizes are `u64` in Rust and signed in SQLite; saturating keeps an
/// absurd value from wrapping into a negative one.
fn count_to_sql(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Reads a count back; a negative value can only come from outside tampering.
fn count_from_sql(stored: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(stored).map_err(|_| StoreError::Corrupt {
        what,
        detail: format!("negative count {stored}"),
    })
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
