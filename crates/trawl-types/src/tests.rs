//! Unit tests for the shared vocabulary.

use super::*;

#[test]
fn run_state_names_round_trip() {
    for state in RunState::ALL {
        assert_eq!(state.as_str().parse::<RunState>().ok(), Some(state));
    }
    assert!("runing".parse::<RunState>().is_err());
}

#[test]
fn run_id_accepts_hash_prefix() {
    assert_eq!("#12".parse::<RunId>().ok(), Some(RunId(12)));
    assert_eq!(" 7 ".parse::<RunId>().ok(), Some(RunId(7)));
    assert!("abc".parse::<RunId>().is_err());
}

#[test]
fn terminal_states() {
    assert!(RunState::Succeeded.is_terminal());
    assert!(!RunState::Paused.is_terminal());
    assert!(!RunState::Interrupted.is_terminal());
}
