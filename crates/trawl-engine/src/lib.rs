//! The crawl engine: joins frontier → governor → fetch → extract → store for
//! one run, and owns every run's lifecycle state in the store.
//!
//! [`Engine`] is the single execution authority of a data directory in this
//! process: CLI (and later API, scheduler, agents) submit, pause, resume and
//! cancel runs through it; [`lifecycle`] is the state machine every state
//! change is validated against, persisted through and emitted from.
//!
//! Data flow of one run (see ARCHITECTURE.md for the numbered version):
//! [`crawl::Crawl`] seeds the frontier and dispatches pending requests;
//! [`page`] fetches one page (with retries and politeness) and extracts items
//! and links; [`writer`] commits each finished page — its items, its new links
//! and its `done` mark — in one store transaction.

mod control;
mod crawl;
mod engine;
mod events;
pub mod lifecycle;
mod links;
mod page;
mod progress;
mod sampler;
mod source;
pub mod timeline;
mod writer;

pub use crawl::{Crawl, CrawlLimits, CrawlMode, CrawlReport, PauseMode};
pub use engine::{Engine, EngineConfig, RunView, recording_dir, recover_orphaned_runs};
pub use events::{decode_event, event_row, run_stats};
pub use lifecycle::{Reason, TransitionError};
pub use progress::{Progress, ProgressSnapshot};
pub use timeline::{Breakpoint, BreakpointError, Frame, PlayEnd, Timeline, TimelineError};
pub use tokio_util::sync::CancellationToken;
pub use writer::Checkpoints;

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
    /// A spec header could not get its value: its environment variable is
    /// not set in the process that runs the engine.
    #[error(transparent)]
    Header(#[from] trawl_spec::HeaderError),
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
    /// A state change the lifecycle forbids (e.g. resuming a succeeded run),
    /// or one that lost a race with another process on the same store.
    #[error(transparent)]
    Lifecycle(#[from] lifecycle::TransitionError),
    /// [`Engine::start`] was called outside a tokio runtime; runs are tasks on it.
    #[error("the engine must be started inside a tokio runtime")]
    NoRuntime,
    /// The engine is shutting down and takes no new work.
    #[error("the engine is shutting down")]
    ShuttingDown,
    /// The spec stored with a run no longer parses (written by another version?).
    #[error("the stored spec of run {run_id} is invalid: {message}")]
    StoredSpec { run_id: RunId, message: String },
    /// The run is `running` in the store but not in this engine: another
    /// process runs it, or ran it and died (`resume` adopts such a run).
    #[error("run {run_id} is not running in this engine")]
    NotOwned { run_id: RunId },
    /// The crawl task panicked; a bug. The run is marked failed and resumable.
    #[error("the crawl of run {run_id} panicked: {message}")]
    Panicked { run_id: RunId, message: String },
    /// A replay was asked of a run that has no recording (it was not run
    /// with `record = true` or `--record`).
    #[error(
        "run {run_id} has no recording: run it with `record = true` in its spec or `trawl run --record`"
    )]
    NoRecording { run_id: RunId },
    /// An imported recording has no spec of its own to replay with.
    #[error("run {run_id} is an imported recording: give a spec to replay it with (`--spec FILE`)")]
    ReplayNeedsSpec { run_id: RunId },
    /// WARC files could not be imported.
    #[error("cannot import: {message}")]
    Import { message: String },
    /// The last attempt of a run ended with an error (returned by [`Engine::wait`]).
    #[error("run {run_id} stopped with an error")]
    RunStopped {
        run_id: RunId,
        #[source]
        source: std::sync::Arc<EngineError>,
    },
}
