//! The run-level policy on synthetic signals and a synthetic clock.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use super::*;

fn signals(memory_share: f64, lag_millis: u64) -> Signals {
    Signals {
        memory_share: Some(memory_share),
        loop_lag: Duration::from_millis(lag_millis),
        cpu_share: Some(0.5),
    }
}

#[test]
fn memory_near_the_ceiling_cuts_concurrency_then_health_restores_it() {
    let start = Instant::now();
    let at = |millis: u64| start + Duration::from_millis(millis);
    let mut controller = Controller::default();
    let mut current = 64;
    let mut trace = Vec::new();
    // 0-3 s critical, 3-5 s high, then healthy for a long time.
    for step in 0..60_u64 {
        let millis = step * 250;
        let share = if millis < 3000 {
            0.95
        } else if millis < 5000 {
            0.85
        } else {
            0.3
        };
        if let Some(change) = controller.decide(at(millis), current, 64, signals(share, 1)) {
            assert_eq!(change.from, current);
            current = change.to;
            trace.push((millis, change.to, change.reason));
        }
    }
    assert_eq!(
        &trace[..5],
        &[
            (0, 32, "memory"),
            (1000, 16, "memory"),
            (2000, 8, "memory"),
            (3000, 6, "memory"),
            (4000, 5, "memory"),
        ]
    );
    // Healthy from 5 s: the first raise waits two healthy seconds.
    assert_eq!(trace[5], (7000, 6, "healthy"));
    assert!(trace[5..].iter().all(|(_, _, reason)| *reason == "healthy"));
    assert!(trace.windows(2).all(|pair| pair[1].0 - pair[0].0 >= 1000));
    assert!(current > 6 && current <= 64, "{current}");
}

#[test]
fn a_late_event_loop_lowers_concurrency_and_limits_hold() {
    let now = Instant::now();
    let mut controller = Controller::default();
    let change = controller.decide(now, 8, 8, signals(0.1, 500)).unwrap();
    assert_eq!(
        (change.from, change.to, change.reason),
        (8, 6, "event_loop_lag")
    );
    // Within the cooldown nothing changes, whatever the signals.
    assert_eq!(
        controller.decide(now + Duration::from_millis(10), 6, 8, signals(0.99, 900)),
        None
    );
    // Never below 1, never above max, and no change to the same value.
    let mut controller = Controller::default();
    assert_eq!(controller.decide(now, 1, 8, signals(0.99, 0)), None);
    let mut controller = Controller::default();
    let later = now + HEALTHY_FOR + Duration::from_millis(1);
    assert_eq!(controller.decide(now, 8, 8, signals(0.1, 0)), None);
    assert_eq!(controller.decide(later, 8, 8, signals(0.1, 0)), None);
    assert_eq!(
        controller
            .decide(later, 7, 8, signals(0.1, 0))
            .map(|change| change.to),
        Some(8)
    );
}

#[test]
fn without_a_ceiling_only_lag_counts() {
    let now = Instant::now();
    let mut controller = Controller::default();
    let no_ceiling = Signals {
        memory_share: None,
        loop_lag: Duration::ZERO,
        cpu_share: None,
    };
    assert_eq!(controller.decide(now, 32, 32, no_ceiling), None);
}

#[test]
fn run_limit_is_clamped() {
    let limit = RunLimit::new(16);
    assert_eq!(limit.current(), 16);
    limit.set(0);
    assert_eq!(limit.current(), 1);
    limit.set(100);
    assert_eq!(limit.current(), 16);
    assert_eq!(RunLimit::new(0).max(), 1);
}

#[test]
fn a_busy_cpu_stops_growth_but_does_not_lower() {
    let mut controller = Controller::default();
    let start = Instant::now();
    let busy = Signals {
        cpu_share: Some(0.99),
        ..signals(0.1, 0)
    };
    // Lowered earlier (say, for memory), it stays there while the CPU is busy...
    for second in 0..10 {
        let now = start + Duration::from_secs(second);
        assert_eq!(controller.decide(now, 8, 32, busy), None);
    }
    // ... and grows once cores are free again for long enough.
    let later = start + Duration::from_secs(10);
    assert_eq!(controller.decide(later, 8, 32, signals(0.1, 0)), None);
    let change = controller
        .decide(later + HEALTHY_FOR, 8, 32, signals(0.1, 0))
        .expect("grows when healthy");
    assert_eq!((change.to, change.reason), (10, "healthy"));
}
