//! WAL checkpoints on a thread of their own, for the connection of a crawl.
//!
//! SQLite copies the WAL back into the database file (a *checkpoint*, with
//! its fsyncs) on whichever connection commits past `wal_autocheckpoint`.
//! For a crawl's store writer that was a 90 ms stall about every 10,000
//! pages: no page could commit and no frontier load could be answered, so
//! the fetch slots ran dry (visible as a dip in pages/s). While background
//! checkpoints are on, the writer's commits only look at the WAL's size and
//! ask a second connection, on its own thread, for a PASSIVE checkpoint,
//! which neither waits for the writer nor blocks it.

use std::ffi::c_int;
use std::path::Path;
use std::sync::mpsc::{Receiver, TrySendError};
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;

use crate::error::{SqliteContext, StoreError};
use crate::{AUTOCHECKPOINT_FRAMES, BUSY_TIMEOUT};

/// New WAL frames (4 KiB pages) after which the writer asks for a
/// checkpoint: 16 MiB, half of what `wal_autocheckpoint` lets a foreground
/// connection write, so the background one keeps well ahead of the backstop.
const ASK_EVERY_FRAMES: c_int = 4096;

/// WAL frames at which the writing connection checkpoints itself after all,
/// as it does without a background thread: a PASSIVE checkpoint cannot copy
/// frames a reader still needs, and the WAL can only start over once every
/// frame has been copied while no transaction was writing. Mostly this only
/// finishes what the background thread has nearly done.
const BACKSTOP_FRAMES: c_int = 16_384;

/// The checkpoint thread of one writing connection. It stops when the
/// connection's WAL hook (which holds the only sender) is replaced or dropped.
#[derive(Debug)]
pub(crate) struct BackgroundCheckpoints {
    thread: JoinHandle<()>,
}

impl BackgroundCheckpoints {
    /// Opens the second connection and moves `connection`'s checkpoints to it.
    pub(crate) fn start(
        connection: &mut Connection,
        path: &Path,
    ) -> Result<BackgroundCheckpoints, StoreError> {
        let checkpointer =
            Connection::open(path).sqlite_context("opening the checkpoint connection")?;
        checkpointer
            .busy_timeout(BUSY_TIMEOUT)
            .sqlite_context("setting the busy timeout")?;
        checkpointer
            .execute_batch("PRAGMA synchronous = NORMAL")
            .sqlite_context("setting store pragmas")?;
        // One request waiting is enough: a checkpoint copies everything
        // committed before it starts.
        let (asks, asked) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("trawl-store-checkpoints".to_owned())
            .spawn(move || checkpoint_on_request(&checkpointer, &asked))
            .map_err(|source| StoreError::Thread { source })?;
        let mut asked_at: c_int = 0;
        // Replaces SQLite's autocheckpoint hook (the pragma and the hook are
        // one slot) until `stop` puts it back.
        connection
            .wal_hook(Some(move |wal: &mut Wal, frames: c_int| {
                if frames < asked_at {
                    // The WAL started over.
                    asked_at = 0;
                }
                if frames >= BACKSTOP_FRAMES {
                    // A failed checkpoint loses nothing (the frames stay in the
                    // WAL), and an error returned here would fail a COMMIT that
                    // already succeeded, so it is ignored, as SQLite's own
                    // autocheckpoint ignores it.
                    let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
                    asked_at = frames;
                } else if frames >= asked_at + ASK_EVERY_FRAMES {
                    match asks.try_send(()) {
                        Ok(()) | Err(TrySendError::Full(())) => asked_at = frames,
                        // The thread is gone (it panicked); the backstop
                        // above still bounds the WAL.
                        Err(TrySendError::Disconnected(())) => {}
                    }
                }
                Ok(())
            }))
            .sqlite_context("moving checkpoints to a background thread")?;
        Ok(BackgroundCheckpoints { thread })
    }

    /// Gives `connection` its autocheckpoint back and waits for the thread.
    pub(crate) fn stop(self, connection: &mut Connection) -> Result<(), StoreError> {
        // Removing the hook drops the sender, which ends the thread. (The
        // pragma alone would replace the hook in SQLite but keep the closure
        // alive in rusqlite's client data.)
        connection
            .wal_hook(None::<fn(&mut Wal, c_int) -> rusqlite::Result<()>>)
            .sqlite_context("ending background checkpoints")?;
        connection
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_FRAMES}"
            ))
            .sqlite_context("restoring the autocheckpoint")?;
        // The thread only ever ends by its channel closing; a panic in it
        // left nothing half-done (a checkpoint is atomic), so it is not an error.
        let _ = self.thread.join();
        Ok(())
    }
}

fn checkpoint_on_request(checkpointer: &Connection, asked: &Receiver<()>) {
    while asked.recv().is_ok() {
        // A failure (a full disk, the file locked for longer than the busy
        // timeout) leaves the frames in the WAL; the next request or the
        // writer's backstop tries again, and the writer's own commits report
        // a disk that stays full.
        let _ = checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}
