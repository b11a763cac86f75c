//! The store's one error type, so callers can tell "that run does not exist"
//! and "this file is from a newer trawl" apart from SQLite failures.

use std::path::PathBuf;

use trawl_types::{RunId, ScheduleId};

/// Everything that can go wrong in [`crate::Store`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory that should hold the store file could not be created
    /// (permissions, a file in the way, a read-only disk).
    #[error("cannot create the store directory {path}")]
    CreateDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A SQLite call failed (disk full, locked for longer than the busy
    /// timeout, not a database file, a constraint); `context` says what the
    /// store was doing.
    #[error("store failed while {context}")]
    Sqlite {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// The store file could not grow: the disk is full, a file size limit
    /// (`ulimit -f`) was reached, or the disk failed a write. The transaction
    /// that hit it was rolled back; everything committed before is intact, so
    /// the run can be resumed once there is room again.
    #[error(
        "cannot write the store while {context}: {reason}; everything committed before is intact, free some space and resume the run"
    )]
    DiskFull {
        context: &'static str,
        /// What SQLite saw, in words ("the disk is full", ...).
        reason: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// The run id is not in the catalog (a typo on the command line, or a run
    /// that was deleted).
    #[error("run {0} not found in the store")]
    RunNotFound(RunId),
    /// The schedule id is not in the store (a typo, or a schedule that was
    /// removed meanwhile).
    #[error("schedule {0} not found in the store")]
    ScheduleNotFound(ScheduleId),
    /// Another schedule already has this name; names are unique because users
    /// pause and remove schedules by name.
    #[error("a schedule named {0:?} already exists; pick another name or remove that schedule")]
    ScheduleNameTaken(String),
    /// The schedule fire id is not in the store (its schedule was removed).
    #[error("schedule fire {0} not found in the store")]
    FireNotFound(crate::FireId),
    /// The store file was written by a newer trawl whose schema this binary
    /// does not know; reading it could misinterpret data.
    #[error(
        "the store has schema version {found} but this trawl supports up to {supported}; upgrade trawl to open it"
    )]
    NewerSchema { found: i64, supported: i64 },
    /// A checkpoint marked a page done that is not pending in the run's
    /// frontier: it was never enqueued, or it was already committed. The whole
    /// batch is rolled back so nothing is stored twice.
    #[error("page with fingerprint {fingerprint:016x} is not pending in run {run_id}")]
    PageNotPending { run_id: RunId, fingerprint: u64 },
    /// An item's fields could not be encoded as JSON. Plain JSON values always
    /// encode; this exists so that a surprise is an error, not a panic.
    #[error("cannot encode an item's fields as json")]
    EncodeItem {
        #[source]
        source: serde_json::Error,
    },
    /// A stored value cannot be decoded (an unknown run state, item data that
    /// is not a JSON object, a negative count): the file was edited by hand or
    /// damaged.
    #[error("corrupt {what} in the store: {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// The thread that runs a crawl's WAL checkpoints could not be started
    /// (the process is out of threads or memory).
    #[error("cannot start the store's checkpoint thread")]
    Thread {
        #[source]
        source: std::io::Error,
    },
}

/// Attaches "what the store was doing" to SQLite errors without allocating on
/// the happy path.
pub(crate) trait SqliteContext<T> {
    fn sqlite_context(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> SqliteContext<T> for rusqlite::Result<T> {
    fn sqlite_context(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| match out_of_space_reason(&source) {
            Some(reason) => StoreError::DiskFull {
                context,
                reason,
                source,
            },
            None => StoreError::Sqlite { context, source },
        })
    }
}

/// Says why a write could not grow the store, if that is what `error` is.
///
/// SQLite reports ENOSPC as `SQLITE_FULL`; other failed writes, EFBIG from a
/// file size limit among them, as `SQLITE_IOERR_WRITE`.
fn out_of_space_reason(error: &rusqlite::Error) -> Option<&'static str> {
    let rusqlite::Error::SqliteFailure(failure, _) = error else {
        return None;
    };
    if failure.code == rusqlite::ErrorCode::DiskFull {
        Some("the disk is full")
    } else if failure.extended_code == rusqlite::ffi::SQLITE_IOERR_WRITE {
        Some("a write failed (the disk is full, a file size limit was reached, or the disk failed)")
    } else {
        None
    }
}
