//! Governor tests on tokio's paused clock: spacing and slots without sleeping.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tokio::time::Instant;

use super::*;

#[tokio::test(start_paused = true)]
async fn rate_spaces_request_starts() {
    let governor = Governor::new(HostLimits::from_rate(8, 10.0));
    let started = Instant::now();
    let mut starts = Vec::new();
    for _ in 0..5 {
        let _permit = governor.acquire("a.test").await;
        starts.push(started.elapsed());
    }
    assert_eq!(
        starts,
        (0..5)
            .map(|i| Duration::from_millis(100 * i))
            .collect::<Vec<_>>()
    );
}

#[tokio::test(start_paused = true)]
async fn hosts_are_independent_and_unlimited_rate_does_not_wait() {
    let governor = Governor::new(HostLimits::from_rate(2, 0.0));
    let started = Instant::now();
    let _a = governor.acquire("a.test").await;
    let _b = governor.acquire("a.test").await;
    let _c = governor.acquire("b.test").await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(governor.host_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrency_slot_is_held_until_permit_drops() {
    let governor = Governor::new(HostLimits::from_rate(1, 0.0));
    let first = governor.acquire("a.test").await;
    let waiting = {
        let governor = governor.clone();
        tokio::spawn(async move {
            let _second = governor.acquire("a.test").await;
            Instant::now()
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let released_at = Instant::now();
    drop(first);
    let second_started = waiting.await.unwrap();
    assert!(second_started >= released_at);
}

#[tokio::test(start_paused = true)]
async fn crawl_delay_and_back_off_push_next_start() {
    let governor = Governor::new(HostLimits::from_rate(4, 0.0));
    governor.set_crawl_delay("a.test", Duration::from_secs(2));
    let started = Instant::now();
    drop(governor.acquire("a.test").await);
    drop(governor.acquire("a.test").await);
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    governor.back_off("a.test", Duration::from_secs(10));
    drop(governor.acquire("a.test").await);
    assert_eq!(started.elapsed(), Duration::from_secs(12));
}
