//! Memory admission under a ceiling.
#![allow(clippy::unwrap_used)]

use super::*;

const MIB: u64 = 1024 * 1024;

#[test]
fn pages_are_admitted_while_memory_fits_under_the_ceiling() {
    let pressure = Pressure::new(Some(100 * MIB));
    pressure.set_rss(40 * MIB);
    // Before any body, 8 MiB a page: 45 MiB of room (85 of budget, 40 resident).
    let mut held = Vec::new();
    while let Some(reservation) = pressure.try_reserve() {
        held.push(reservation);
    }
    assert_eq!(held.len(), 5);
    drop(held);
    // The first body replaces the guess: BODY_FACTOR times its size.
    pressure.observe_body(MIB / 8);
    let estimate = pressure.page_estimate_bytes();
    assert_eq!(estimate, MIB / 8 * BODY_FACTOR);
    let mut held = Vec::new();
    while let Some(reservation) = pressure.try_reserve() {
        held.push(reservation);
        assert!(held.len() < 1000);
    }
    assert_eq!(held.len() as u64, 45 * MIB / estimate);
    assert_eq!(pressure.reserved_bytes(), held.len() as u64 * estimate);
    // A page ending frees room for one more.
    held.pop();
    assert!(pressure.try_reserve().is_some());
    drop(held);
    assert_eq!(pressure.reserved_bytes(), 0);
    // Resident memory alone over budget: nothing more is admitted...
    pressure.set_rss(90 * MIB);
    assert!(pressure.try_reserve().is_none());
    // ...but a crawl with nothing in flight still goes on.
    let forced = pressure.reserve_anyway();
    assert_eq!(pressure.reserved_bytes(), estimate);
    drop(forced);
    assert_eq!(pressure.memory_share(), Some(0.9));
}

#[test]
fn the_estimate_follows_the_bodies() {
    let pressure = Pressure::new(Some(100 * MIB));
    assert_eq!(pressure.page_estimate_bytes(), INITIAL_PAGE_ESTIMATE_BYTES);
    pressure.observe_body(1000);
    assert_eq!(
        pressure.page_estimate_bytes(),
        64 * 1024,
        "the first body replaces the guess"
    );
    pressure.observe_body(5 * MIB);
    assert_eq!(pressure.page_estimate_bytes(), 5 * MIB * BODY_FACTOR);
    // Small pages make it decay, never below 64 KiB.
    for _ in 0..10_000 {
        pressure.observe_body(1000);
    }
    assert_eq!(pressure.page_estimate_bytes(), 64 * 1024);
}

#[test]
fn without_a_ceiling_everything_is_admitted() {
    let pressure = Pressure::new(None);
    pressure.set_rss(u64::MAX / 2);
    assert!(pressure.try_reserve().is_some());
    assert_eq!(pressure.memory_share(), None);
}
