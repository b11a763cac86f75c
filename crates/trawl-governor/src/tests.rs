//! Governor tests on tokio's paused clock: spacing and slots without sleeping.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tokio::time::Instant;

use super::*;

#[tokio::test(start_paused = true)]
async fn rate_spaces_request_starts() {
    let governor = Governor::new(HostLimits::from_rate(8, 10.0, 1));
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
    let governor = Governor::new(HostLimits::from_rate(2, 0.0, 1));
    let started = Instant::now();
    let _a = governor.acquire("a.test").await;
    let _b = governor.acquire("a.test").await;
    let _c = governor.acquire("b.test").await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(governor.host_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrency_slot_is_held_until_permit_drops() {
    let governor = Governor::new(HostLimits::from_rate(1, 0.0, 1));
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
    let governor = Governor::new(HostLimits::from_rate(4, 0.0, 1));
    governor.set_crawl_delay("a.test", Duration::from_secs(2));
    let started = Instant::now();
    drop(governor.acquire("a.test").await);
    drop(governor.acquire("a.test").await);
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    governor.back_off("a.test", Duration::from_secs(10));
    drop(governor.acquire("a.test").await);
    assert_eq!(started.elapsed(), Duration::from_secs(12));
}

#[tokio::test(start_paused = true)]
async fn a_burst_starts_at_once_then_the_rate_holds() {
    let governor = Governor::new(HostLimits::from_rate(8, 10.0, 3));
    let started = Instant::now();
    let mut starts = Vec::new();
    for _ in 0..6 {
        drop(governor.acquire("a.test").await);
        starts.push(started.elapsed().as_millis());
    }
    assert_eq!(starts, vec![0, 0, 0, 100, 200, 300]);
    // An idle spell refills the bucket.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let again = Instant::now();
    for _ in 0..3 {
        drop(governor.acquire("a.test").await);
    }
    assert_eq!(again.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn crawl_delay_allows_no_burst() {
    let governor = Governor::new(HostLimits::from_rate(8, 10.0, 5));
    governor.set_crawl_delay("a.test", Duration::from_secs(1));
    let started = Instant::now();
    for _ in 0..3 {
        drop(governor.acquire("a.test").await);
    }
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

fn throttled() -> HostSignal {
    HostSignal::Throttled {
        reason: "http_429".to_owned(),
    }
}

#[tokio::test(start_paused = true)]
async fn throttling_halves_a_hosts_limit_and_answers_raise_it_back() {
    let governor = Governor::new(HostLimits::from_rate(16, 0.0, 1));
    let change = governor.report("a.test", &throttled()).unwrap();
    assert_eq!(
        (change.from, change.to, change.reason.as_str()),
        (16, 8, "http_429")
    );
    // A burst of 429s within the change window is one signal.
    assert_eq!(governor.report("a.test", &throttled()), None);
    assert_eq!(governor.host_limit("a.test"), 8);
    for expected in [4, 2, 1] {
        tokio::time::sleep(MIN_CHANGE_WINDOW).await;
        assert_eq!(
            governor.report("a.test", &throttled()).map(|c| c.to),
            Some(expected)
        );
    }
    tokio::time::sleep(MIN_CHANGE_WINDOW).await;
    assert_eq!(
        governor.report("a.test", &throttled()),
        None,
        "never below 1"
    );
    // Other hosts keep their own limit.
    assert_eq!(governor.host_limit("b.test"), 16);
    // Recovery: 2 x limit answers in a row, one step per change window; a
    // host answering in 500 ms has a one-second window.
    let slow = HostSignal::Answered {
        elapsed: Duration::from_millis(500),
    };
    let started = Instant::now();
    let mut changes = Vec::new();
    for _ in 0..400 {
        if let Some(change) = governor.report("a.test", &slow) {
            changes.push((change.to, started.elapsed().as_millis()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let limits: Vec<u32> = changes.iter().map(|(to, _)| *to).collect();
    assert_eq!(limits, (2..=16).collect::<Vec<u32>>());
    assert!(
        changes.windows(2).all(|pair| pair[1].1 - pair[0].1 >= 1000),
        "{changes:?}"
    );
    assert!(
        governor.report("a.test", &slow).is_none(),
        "never above the spec"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lowered_limit_holds_requests_and_a_raised_one_releases_them() {
    let governor = Governor::new(HostLimits::from_rate(2, 0.0, 1));
    governor.report("a.test", &throttled());
    assert_eq!(governor.host_limit("a.test"), 1);
    let first = governor.acquire("a.test").await;
    let waiting = {
        let governor = governor.clone();
        tokio::spawn(async move { drop(governor.acquire("a.test").await) })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !waiting.is_finished(),
        "the second request must wait for the first"
    );
    // Raise the limit back to 2: the waiter goes without the first ending.
    let fast = HostSignal::Answered {
        elapsed: Duration::from_millis(1),
    };
    governor.report("a.test", &fast);
    assert!(governor.report("a.test", &fast).is_some());
    tokio::time::timeout(Duration::from_secs(1), waiting)
        .await
        .unwrap()
        .unwrap();
    drop(first);
}

#[tokio::test(start_paused = true)]
async fn the_global_semaphore_bounds_requests_across_hosts() {
    let global = Arc::new(Semaphore::new(2));
    let governor = Governor::new(HostLimits::from_rate(8, 0.0, 1)).with_global(global.clone());
    let a = governor.acquire("a.test").await;
    let b = governor.acquire("b.test").await;
    assert_eq!(global.available_permits(), 0);
    let third = {
        let governor = governor.clone();
        tokio::spawn(async move { drop(governor.acquire("c.test").await) })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!third.is_finished());
    drop(a);
    third.await.unwrap();
    drop(b);
    assert_eq!(global.available_permits(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_wait_frees_its_host_slot() {
    let governor = Governor::new(HostLimits::from_rate(1, 1.0, 1));
    drop(governor.acquire("a.test").await);
    // The next start is a second away; give up waiting half-way.
    let waiting = {
        let governor = governor.clone();
        tokio::spawn(async move { drop(governor.acquire("a.test").await) })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    waiting.abort();
    let _ = waiting.await;
    let started = Instant::now();
    drop(governor.acquire("a.test").await);
    assert!(started.elapsed() <= Duration::from_secs(2));
}
