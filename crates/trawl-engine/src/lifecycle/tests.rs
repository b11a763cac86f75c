//! The lifecycle table: every legal transition, every illegal one, and that
//! `apply` persists before it emits and refuses stale or illegal changes.
#![allow(clippy::unwrap_used)]

use trawl_events::{EventBus, Received};
use trawl_store::{EventQuery, NewRun};

use super::*;
use RunState::{Cancelled, Failed, Interrupted, Paused, Queued, Running, Succeeded};

/// Every edge of the state machine, written out by hand (not derived from
/// `is_legal`), so a change to the table has to change this list too.
const LEGAL: [(RunState, RunState); 18] = [
    (Queued, Running),
    (Queued, Failed),
    (Queued, Cancelled),
    (Running, Paused),
    (Running, Interrupted),
    (Running, Succeeded),
    (Running, Failed),
    (Running, Cancelled),
    (Paused, Queued),
    (Paused, Running),
    (Paused, Failed),
    (Paused, Cancelled),
    (Interrupted, Queued),
    (Interrupted, Running),
    (Interrupted, Failed),
    (Interrupted, Cancelled),
    (Failed, Queued),
    (Cancelled, Queued),
];

#[test]
fn every_legal_transition_is_accepted() {
    for (from, to) in LEGAL {
        assert!(is_legal(from, to), "{from} -> {to} should be legal");
        assert_eq!(check(RunId(1), from, to), Ok(()));
    }
}

#[test]
fn every_other_transition_is_rejected_with_a_typed_error() {
    let mut illegal = 0;
    for from in RunState::ALL {
        for to in RunState::ALL {
            if LEGAL.contains(&(from, to)) {
                continue;
            }
            illegal += 1;
            assert_eq!(
                check(RunId(7), from, to),
                Err(TransitionError::Illegal {
                    run_id: RunId(7),
                    from,
                    to
                }),
                "{from} -> {to} should be illegal"
            );
        }
    }
    // 7 x 7 pairs minus the 18 legal edges.
    assert_eq!(illegal, 49 - LEGAL.len());
}

#[test]
fn notable_illegal_transitions() {
    for (from, to) in [
        (Succeeded, Running),
        (Succeeded, Queued),
        (Succeeded, Cancelled),
        (Cancelled, Running),
        (Failed, Running),
        (Queued, Paused),
        (Queued, Succeeded),
        (Paused, Succeeded),
        (Running, Running),
        (Running, Queued),
        (Interrupted, Paused),
    ] {
        assert!(!is_legal(from, to), "{from} -> {to} should be illegal");
    }
    let message = check(RunId(3), Succeeded, Running).unwrap_err().to_string();
    assert_eq!(message, "run 3 cannot go from succeeded to running");
}

fn store_with_run() -> (Store, RunId) {
    let store = Store::open_in_memory().unwrap();
    let run_id = store
        .create_run(&NewRun {
            name: "t".to_owned(),
            spec_toml: String::new(),
            spec_hash: String::new(),
            spec_path: None,
        })
        .unwrap();
    (store, run_id)
}

#[test]
fn apply_persists_then_emits() {
    let (store, run_id) = store_with_run();
    let bus = EventBus::new();
    let emitter = bus.emitter(run_id, 0);
    let mut receiver = bus.subscribe();
    let event = apply(&store, &emitter, run_id, Queued, Running, Reason::Started).unwrap();
    assert_eq!(store.run(run_id).unwrap().state, Running);
    assert!(matches!(receiver.try_recv(), Some(Received::Event(received)) if received == event));
    let stored = store.events(run_id, &EventQuery::default()).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].seq, event.seq);
    assert_eq!(stored[0].kind, "run_state_changed");
    apply(
        &store,
        &emitter,
        run_id,
        Running,
        Failed,
        Reason::Error("boom".into()),
    )
    .unwrap();
    let record = store.run(run_id).unwrap();
    assert_eq!(record.state, Failed);
    assert_eq!(record.error.as_deref(), Some("boom"));
}

#[test]
fn apply_refuses_illegal_and_stale_changes_without_writing() {
    let (store, run_id) = store_with_run();
    let bus = EventBus::new();
    let emitter = bus.emitter(run_id, 0);
    let mut receiver = bus.subscribe();
    let illegal = apply(
        &store,
        &emitter,
        run_id,
        Queued,
        Paused,
        Reason::PauseRequested,
    );
    assert!(matches!(
        illegal,
        Err(EngineError::Lifecycle(TransitionError::Illegal { .. }))
    ));
    // The caller believes the run is paused; the store says queued.
    let stale = apply(&store, &emitter, run_id, Paused, Running, Reason::Started);
    assert!(matches!(
        stale,
        Err(EngineError::Lifecycle(TransitionError::Conflict {
            expected: Paused,
            found: Queued,
            ..
        }))
    ));
    assert_eq!(store.run(run_id).unwrap().state, Queued);
    assert!(receiver.try_recv().is_none(), "nothing may be emitted");
    assert!(
        store
            .events(run_id, &EventQuery::default())
            .unwrap()
            .is_empty()
    );
}
