//! The retry policy driven like the engine drives it: fetch, decide, wait,
//! fetch again.

use std::time::Duration;

use trawl_fetch::{FetchError, Fetcher, Response, RetryDecision, RetryPolicy, Url};

use crate::support::{fetcher, hostile_server, url, within};

/// Fetches until the policy stops, sleeping what it asks; returns every
/// decision and the last outcome.
async fn drive(
    fetcher: &Fetcher,
    policy: &RetryPolicy,
    target: &Url,
) -> (Vec<RetryDecision>, Result<Response, FetchError>) {
    let mut decisions = Vec::new();
    let mut attempt = 0;
    loop {
        let outcome = fetcher.fetch(target).await;
        let decision = policy.decide("http://a.test/", attempt, &outcome);
        decisions.push(decision.clone());
        match decision {
            RetryDecision::RetryAfter(wait) => tokio::time::sleep(wait).await,
            RetryDecision::Accept | RetryDecision::GiveUp { .. } => return (decisions, outcome),
        }
        attempt += 1;
    }
}

fn policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn storm_of_429_is_waited_out_with_retry_after() {
    let server = hostile_server().await;
    let target = url(&server, "/storm/429?n=2&key=storm");
    let ((decisions, outcome), elapsed) = within(
        Duration::from_secs(10),
        drive(&fetcher(), &policy(3), &target),
    )
    .await;
    assert_eq!(
        decisions,
        vec![
            RetryDecision::RetryAfter(Duration::from_secs(1)),
            RetryDecision::RetryAfter(Duration::from_secs(1)),
            RetryDecision::Accept,
        ]
    );
    assert_eq!(outcome.unwrap().status, 200);
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn storm_longer_than_the_retries_gives_up() {
    let server = hostile_server().await;
    let target = url(&server, "/storm/429?n=5&key=long");
    let ((decisions, outcome), _) = within(
        Duration::from_secs(10),
        drive(&fetcher(), &policy(0), &target),
    )
    .await;
    assert_eq!(
        decisions,
        vec![RetryDecision::GiveUp {
            reason: "status 429 after 1 attempts".to_owned()
        }]
    );
    assert_eq!(outcome.unwrap().status, 429);
}

#[tokio::test]
async fn unavailable_then_ok_backs_off_within_the_ceiling() {
    let server = hostile_server().await;
    let target = url(&server, "/unavailable?n=1&key=a");
    let ((decisions, outcome), _) = within(
        Duration::from_secs(5),
        drive(&fetcher(), &policy(3), &target),
    )
    .await;
    assert_eq!(decisions.len(), 2);
    assert!(
        matches!(decisions[0], RetryDecision::RetryAfter(wait) if wait <= Duration::from_millis(20)),
        "{:?}",
        decisions[0]
    );
    assert_eq!(decisions[1], RetryDecision::Accept);
    assert_eq!(outcome.unwrap().status, 200);
}

#[tokio::test]
async fn retry_after_http_date_is_parsed_and_capped() {
    let server = hostile_server().await;
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher().fetch(&url(&server, "/retry-after-date?secs=30")),
    )
    .await;
    let response = outcome.unwrap();
    assert_eq!(response.status, 503);
    let retry_after = response.retry_after().unwrap();
    // HTTP dates have whole seconds: 30 s ahead, read up to 2 s later.
    assert!(
        retry_after >= Duration::from_secs(28) && retry_after <= Duration::from_secs(30),
        "{retry_after:?}"
    );
    let decision = policy(3).decide("http://a.test/", 0, &Ok(response));
    assert_eq!(
        decision,
        RetryDecision::GiveUp {
            reason: format!(
                "status 503 asks to retry after {}s, more than the 10s limit",
                retry_after.as_secs()
            )
        }
    );
}

#[tokio::test]
async fn not_found_is_accepted_at_once() {
    let server = hostile_server().await;
    let ((decisions, outcome), _) = within(
        Duration::from_secs(5),
        drive(&fetcher(), &policy(3), &url(&server, "/status/404")),
    )
    .await;
    assert_eq!(decisions, vec![RetryDecision::Accept]);
    assert_eq!(outcome.unwrap().status, 404);
}
