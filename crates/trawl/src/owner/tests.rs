//! Unit tests of the data-directory lock and the discovery file.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn lock_is_exclusive_and_released_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let first = DataDirLock::try_acquire(dir.path()).unwrap();
    assert!(first.is_some());
    // A second open file description is refused, even in the same process.
    assert!(DataDirLock::try_acquire(dir.path()).unwrap().is_none());
    assert_eq!(lock_holder(dir.path()), Some(std::process::id()));
    drop(first);
    assert!(DataDirLock::try_acquire(dir.path()).unwrap().is_some());
}

#[test]
fn discovery_of_a_dead_pid_is_stale_and_removed_by_its_guard() {
    let dir = tempfile::tempdir().unwrap();
    let live = Discovery {
        address: "http://127.0.0.1:1".to_owned(),
        pid: std::process::id(),
        token_path: dir.path().join(TOKEN_FILE),
    };
    let guard = live.publish(dir.path()).unwrap();
    assert_eq!(Discovery::read_live(dir.path()), Some(live.clone()));
    drop(guard);
    assert_eq!(Discovery::read_live(dir.path()), None);

    let dead = Discovery {
        pid: u32::MAX - 1,
        ..live
    };
    let guard = dead.publish(dir.path()).unwrap();
    assert_eq!(Discovery::read_live(dir.path()), None);
    std::mem::forget(guard);
    // With the lock free, a leftover file never makes a server appear.
    assert!(find_server(dir.path()).unwrap().is_none());
    assert!(matches!(claim(dir.path()).unwrap(), Claim::Owner(_)));
}
