//! The run lifecycle as an explicit state machine, and the one function that
//! changes a run's state: it validates the transition, persists it (a
//! compare-and-set on the stored state, with its event in the same
//! transaction) and then publishes the `run_state_changed` event.
//!
//! ```text
//! queued ──► running ◄──► paused          running ──► succeeded | failed | cancelled
//!   ▲          │  ▲          │            running ──► interrupted (owner died, or shutdown)
//!   │          ▼  │          ▼            interrupted ──► running | queued
//!   └──── paused | interrupted            queued | paused | interrupted ──► cancelled | failed
//!   └──── failed | cancelled (reopened by an explicit resume; their frontier is intact)
//! ```
//!
//! `queued` always means "waiting for a run slot": a resumed run that finds
//! every slot taken goes back to `queued`, so the concurrency limit holds for
//! resumed runs too. `succeeded` is final; `failed` and `cancelled` are final
//! unless a user explicitly resumes them (the CLI always allowed that: a run
//! failed on a full disk keeps its pending frontier).

use std::sync::Arc;

use trawl_events::{Envelope, Event, RunEmitter};
use trawl_store::Store;
use trawl_types::{RunId, RunState};

use crate::EngineError;

/// A state change the lifecycle does not allow, or one that lost a race.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// `from -> to` is not an edge of the state machine (e.g. `succeeded -> running`).
    #[error("run {run_id} cannot go from {from} to {to}")]
    Illegal {
        run_id: RunId,
        from: RunState,
        to: RunState,
    },
    /// The stored state was not the one the change started from: something
    /// else (another process on the same store) changed the run meanwhile.
    #[error("run {run_id} is {found}, not {expected} as expected: it was changed meanwhile")]
    Conflict {
        run_id: RunId,
        expected: RunState,
        found: RunState,
    },
}

/// True when the lifecycle allows `from -> to`.
pub fn is_legal(from: RunState, to: RunState) -> bool {
    use RunState::{Cancelled, Failed, Interrupted, Paused, Queued, Running, Succeeded};
    match from {
        Queued => matches!(to, Running | Failed | Cancelled),
        Running => matches!(to, Paused | Interrupted | Succeeded | Failed | Cancelled),
        Paused | Interrupted => matches!(to, Queued | Running | Failed | Cancelled),
        Failed | Cancelled => to == Queued,
        Succeeded => false,
    }
}

/// Validates `from -> to` for `run_id`; the typed error names all three.
pub fn check(run_id: RunId, from: RunState, to: RunState) -> Result<(), TransitionError> {
    if is_legal(from, to) {
        Ok(())
    } else {
        Err(TransitionError::Illegal { run_id, from, to })
    }
}

/// Why a run changed state; named in every `run_state_changed` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `queued`, `paused` or `interrupted` to `running`: the run got a slot.
    Started,
    /// Back to `queued` to wait for a slot: a resume found every slot taken,
    /// start-up recovery re-queued an interrupted run, or a finished run was reopened.
    Requeued,
    /// `running -> paused`: a user asked to pause.
    PauseRequested,
    /// `running -> interrupted`: the engine shut down (signal); resumed at next start.
    Shutdown,
    /// `running -> interrupted`: found `running` with no live owner (its process died).
    Orphaned,
    /// `-> cancelled`: a user asked to cancel.
    CancelRequested,
    /// `running -> succeeded`: the frontier is empty or the page budget is spent.
    Completed,
    /// `-> failed`, with the cause as stored in the run's `error` column.
    Error(String),
}

impl Reason {
    /// The stable name carried by the `run_state_changed` event.
    pub fn name(&self) -> &'static str {
        match self {
            Reason::Started => "started",
            Reason::Requeued => "requeued",
            Reason::PauseRequested => "pause_requested",
            Reason::Shutdown => "shutdown",
            Reason::Orphaned => "orphaned",
            Reason::CancelRequested => "cancel_requested",
            Reason::Completed => "completed",
            Reason::Error(_) => "error",
        }
    }

    /// What goes into the run's `error` column (cleared by every other reason).
    fn stored_error(&self) -> Option<&str> {
        match self {
            Reason::Error(message) => Some(message),
            Reason::Orphaned => Some("its process stopped while the run was running"),
            Reason::Shutdown => Some("the engine shut down while the run was running"),
            _ => None,
        }
    }
}

/// Changes `run_id` from `from` to `to`: validates, persists (only if the
/// stored state is still `from`), then emits. The only place the engine
/// writes a run's state.
pub(crate) fn apply(
    store: &Store,
    emitter: &RunEmitter,
    run_id: RunId,
    from: RunState,
    to: RunState,
    reason: Reason,
) -> Result<Arc<Envelope>, EngineError> {
    check(run_id, from, to)?;
    let envelope = emitter.stamp(Event::RunStateChanged {
        from,
        to,
        reason: reason.name().to_owned(),
        error: reason.stored_error().map(str::to_owned),
    });
    let row = crate::events::event_row(&envelope);
    if !store.change_run_state(run_id, from, to, reason.stored_error(), Some(&row))? {
        let found = store.run(run_id)?.state;
        return Err(TransitionError::Conflict {
            run_id,
            expected: from,
            found,
        }
        .into());
    }
    tracing::info!(%run_id, %from, %to, ?reason, "run state changed");
    Ok(emitter.publish(envelope))
}

#[cfg(test)]
mod tests;
