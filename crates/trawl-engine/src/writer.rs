//! The store writer: one thread that owns the SQLite connection during a crawl.
//!
//! Finished pages arrive over a channel and are committed in batches (bounded
//! by count and time), each batch one transaction: the pages' `done` marks,
//! their items and their new links commit together or not at all. Reads of
//! the frontier go through the same thread and first flush the open batch, so
//! the dispatcher always sees every link found so far. After each commit the
//! writer reports it (`checkpoint_committed`); that event is stored with the
//! next batch, or on its own when the crawl ends.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use trawl_events::{Event, RunEmitter};
use trawl_store::{CheckpointBatch, Counters, PageDone, PendingRequest, Store, StoreError};
use trawl_types::RunId;

use crate::EngineError;
use crate::events::event_row;
use crate::progress::Progress;

/// Largest number of pages in one checkpoint transaction.
const MAX_BATCH_PAGES: usize = 256;
/// Longest time a finished page waits before its checkpoint commits.
const MAX_BATCH_AGE: Duration = Duration::from_millis(200);

/// When a crawl's work becomes durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Checkpoints {
    /// In checkpoints bounded by pages and time: what the product does.
    #[default]
    Batched,
    /// Only when the crawl ends: the writer holds one transaction for the
    /// whole crawl (its checkpoints join it), so a crash or a failed write
    /// loses everything. This is the "checkpointing off" that `trawl bench
    /// --checkpoint-cost` measures checkpoints against; nothing else uses it.
    AtEnd,
}

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
        emitter: RunEmitter,
        checkpoints: Checkpoints,
    ) -> std::io::Result<Writer> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("trawl-store-writer-{run_id}"))
            .spawn(move || {
                let mut writer = WriterThread {
                    store,
                    run_id,
                    progress,
                    emitter,
                    batch: CheckpointBatch::default(),
                    reports: Vec::new(),
                };
                let result = match checkpoints {
                    Checkpoints::Batched => {
                        // The writer commits every few milliseconds; a WAL
                        // checkpoint on this thread stalled the whole crawl.
                        let result = writer
                            .store
                            .checkpoint_in_background()
                            .and_then(|()| writer.run(&receiver));
                        let foreground = writer.store.checkpoint_in_foreground();
                        result.and(foreground)
                    }
                    Checkpoints::AtEnd => {
                        let result = writer
                            .store
                            .hold_transaction()
                            .and_then(|()| writer.run(&receiver));
                        // Also after a failure (then nothing is kept, as
                        // after a crash): the crawl goes on using this
                        // connection to record how the run ended.
                        let ended = writer.store.end_held_transaction(result.is_ok());
                        result.and(ended)
                    }
                };
                (writer.store, result)
            })?;
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

/// The writer thread's state: its connection, the open batch, and the
/// checkpoint reports not stored yet.
struct WriterThread {
    store: Store,
    run_id: RunId,
    progress: Arc<Progress>,
    emitter: RunEmitter,
    batch: CheckpointBatch,
    reports: Vec<trawl_store::EventRow>,
}

impl WriterThread {
    fn run(&mut self, receiver: &Receiver<WriterCommand>) -> Result<(), StoreError> {
        let mut batch_started = Instant::now();
        loop {
            let command = if self.batch.pages.is_empty() {
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
                    if self.batch.pages.is_empty() {
                        batch_started = Instant::now();
                    }
                    for (page, counters) in pages {
                        self.batch.pages.push(page);
                        self.batch.counters.add(&counters);
                    }
                    if self.batch.pages.len() >= MAX_BATCH_PAGES {
                        self.commit()?;
                    }
                }
                Some(WriterCommand::LoadPending {
                    after_seq,
                    limit,
                    reply,
                }) => {
                    let loaded = self
                        .commit()
                        .and_then(|()| self.store.pending_after(self.run_id, after_seq, limit));
                    // The dispatcher may have stopped waiting (cancellation); that is fine.
                    match loaded {
                        Ok(pending) => {
                            let _ = reply.send(Some(pending));
                        }
                        Err(error) => {
                            let _ = reply.send(None);
                            return Err(error);
                        }
                    }
                }
                None => self.commit()?,
            }
        }
        self.commit()?;
        // The last commit's report has no batch to ride in.
        self.store
            .append_events(self.run_id, &std::mem::take(&mut self.reports))
    }

    /// Commits the open batch (if any) as one checkpoint transaction, with
    /// the reports of earlier commits, and reports this one.
    fn commit(&mut self) -> Result<(), StoreError> {
        if self.batch.pages.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        self.batch.events.append(&mut self.reports);
        let stats = self.store.commit(self.run_id, &self.batch)?;
        Progress::add(&self.progress.items_stored, stats.items_inserted);
        let report = self.emitter.emit(Event::CheckpointCommitted {
            pages: u32::try_from(self.batch.pages.len()).unwrap_or(u32::MAX),
            items_inserted: stats.items_inserted,
            items_duplicate: stats.items_duplicate,
            links_inserted: stats.links_inserted,
            elapsed_millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        self.reports.push(event_row(&report));
        self.batch = CheckpointBatch::default();
        Ok(())
    }
}
