//! The store writer: one thread that owns the SQLite connection during a crawl.
//!
//! Finished pages arrive over a channel and are committed in batches (bounded
//! by count and time), each batch one transaction: the pages' `done` marks,
//! their items and their new links commit together or not at all. Reads of
//! the frontier go through the same thread and first flush the open batch, so
//! the dispatcher always sees every link found so far.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use trawl_store::{CheckpointBatch, Counters, PageDone, PendingRequest, Store, StoreError};
use trawl_types::RunId;

use crate::EngineError;
use crate::progress::Progress;

/// Largest number of pages in one checkpoint transaction.
const MAX_BATCH_PAGES: usize = 256;
/// Longest time a finished page waits before its checkpoint commits.
const MAX_BATCH_AGE: Duration = Duration::from_millis(200);

pub(crate) enum WriterCommand {
    /// Finished pages with the counters each changed. The dispatcher sends
    /// them in small groups: one message per page cost a thread wake-up per
    /// page, which showed in profiles.
    Pages(Vec<(PageDone, Counters)>),
    /// Flush, then return up to `limit` pending requests after `after_seq`.
    LoadPending {
        after_seq: i64,
        limit: usize,
        /// `None` when the store failed; the error is returned by [`Writer::finish`].
        reply: oneshot::Sender<Option<Vec<PendingRequest>>>,
    },
}

/// Handle to the writer thread.
pub(crate) struct Writer {
    sender: Sender<WriterCommand>,
    thread: JoinHandle<(Store, Result<(), StoreError>)>,
}

impl Writer {
    pub(crate) fn start(
        store: Store,
        run_id: RunId,
        progress: Arc<Progress>,
    ) -> std::io::Result<Writer> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("trawl-store-writer-{run_id}"))
            .spawn(move || writer_loop(store, run_id, &receiver, &progress))?;
        Ok(Writer { sender, thread })
    }

    pub(crate) fn sender(&self) -> Sender<WriterCommand> {
        self.sender.clone()
    }

    /// Commits what is left and gives the store back.
    pub(crate) fn finish(self) -> Result<(Store, Result<(), StoreError>), EngineError> {
        drop(self.sender);
        self.thread.join().map_err(|_| EngineError::WriterGone)
    }
}

fn writer_loop(
    mut store: Store,
    run_id: RunId,
    receiver: &Receiver<WriterCommand>,
    progress: &Progress,
) -> (Store, Result<(), StoreError>) {
    let mut batch = CheckpointBatch::default();
    let mut batch_started = Instant::now();
    loop {
        let command = if batch.pages.is_empty() {
            match receiver.recv() {
                Ok(command) => Some(command),
                Err(_) => break,
            }
        } else {
            let age = batch_started.elapsed();
            match receiver.recv_timeout(MAX_BATCH_AGE.saturating_sub(age)) {
                Ok(command) => Some(command),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        };
        match command {
            Some(WriterCommand::Pages(pages)) => {
                if batch.pages.is_empty() {
                    batch_started = Instant::now();
                }
                for (page, counters) in pages {
                    batch.pages.push(page);
                    batch.counters.add(&counters);
                }
                if batch.pages.len() >= MAX_BATCH_PAGES
                    && let Err(error) = commit(&mut store, run_id, &mut batch, progress)
                {
                    return (store, Err(error));
                }
            }
            Some(WriterCommand::LoadPending {
                after_seq,
                limit,
                reply,
            }) => {
                let loaded = commit(&mut store, run_id, &mut batch, progress)
                    .and_then(|()| store.pending_after(run_id, after_seq, limit));
                // The dispatcher may have stopped waiting (cancellation); that is fine.
                match loaded {
                    Ok(pending) => {
                        let _ = reply.send(Some(pending));
                    }
                    Err(error) => {
                        let _ = reply.send(None);
                        return (store, Err(error));
                    }
                }
            }
            None => {
                if let Err(error) = commit(&mut store, run_id, &mut batch, progress) {
                    return (store, Err(error));
                }
            }
        }
    }
    let result = commit(&mut store, run_id, &mut batch, progress);
    (store, result)
}

/// Commits the open batch (if any) as one checkpoint transaction.
fn commit(
    store: &mut Store,
    run_id: RunId,
    batch: &mut CheckpointBatch,
    progress: &Progress,
) -> Result<(), StoreError> {
    if batch.pages.is_empty() {
        return Ok(());
    }
    let stats = store.commit(run_id, batch)?;
    Progress::add(&progress.items_stored, stats.items_inserted);
    *batch = CheckpointBatch::default();
    Ok(())
}
