//! The crawl engine: joins frontier → governor → fetch → extract → store for
//! one run, and owns that run's lifecycle state in the store.
//!
//! Data flow of one run (see ARCHITECTURE.md for the numbered version):
//! [`crawl::Crawl`] seeds the frontier and dispatches pending requests;
//! [`page`] fetches one page (with retries and politeness) and extracts items
//! and links; [`writer`] commits each finished page — its items, its new links
//! and its `done` mark — in one store transaction.

mod crawl;
mod links;
mod page;
mod progress;
mod writer;

pub use crawl::{Crawl, CrawlReport};
pub use progress::{Progress, ProgressSnapshot};
pub use tokio_util::sync::CancellationToken;

use trawl_types::RunId;

/// Locks a mutex whose data stays valid even if a holder panicked (a seen-set,
/// a robots cache): a panicking page task must not stop the whole run.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why a run could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The spec is valid TOML but a component refused it (e.g. a proxy URL reqwest rejects).
    #[error("cannot build the {component} from the spec: {message}")]
    Build {
        component: &'static str,
        message: String,
    },
    /// The store failed; the last checkpoint is intact.
    #[error("store error")]
    Store(#[from] trawl_store::StoreError),
    /// `resume` was asked for a run that is already finished.
    #[error("run {run_id} is {state} and cannot be resumed")]
    NotResumable {
        run_id: RunId,
        state: trawl_types::RunState,
    },
    /// The store thread died (panic); a bug.
    #[error("the store writer stopped unexpectedly")]
    WriterGone,
}
