//! Retry maths with the random draw fixed, so every wait is exact.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use url::Url;

use super::*;
use crate::TimeoutPhase;

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(3),
        max_retry_after: Duration::from_secs(60),
    }
}

fn response(status: u16, retry_after: Option<&'static str>) -> Result<Response, FetchError> {
    let mut headers = http::HeaderMap::new();
    if let Some(value) = retry_after {
        headers.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static(value),
        );
    }
    Ok(Response {
        final_url: Url::parse("http://example.test/").unwrap(),
        status,
        headers,
        body: Bytes::new(),
        redirects: Vec::new(),
        version: http::Version::HTTP_11,
        elapsed: Duration::ZERO,
        wire: None,
    })
}

#[test]
fn backoff_ceiling_doubles_then_caps() {
    let policy = policy();
    assert_eq!(policy.backoff_ceiling(0), Duration::from_millis(500));
    assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(1000));
    assert_eq!(policy.backoff_ceiling(2), Duration::from_millis(2000));
    assert_eq!(policy.backoff_ceiling(3), Duration::from_secs(3));
    assert_eq!(policy.backoff_ceiling(u32::MAX), Duration::from_secs(3));
}

#[test]
fn full_jitter_scales_the_ceiling() {
    let timeout = Err(FetchError::Timeout {
        phase: TimeoutPhase::FirstByte,
    });
    let policy = policy();
    assert_eq!(
        policy.decide_with_jitter(1, &timeout, 0.25),
        RetryDecision::RetryAfter(Duration::from_millis(250))
    );
    assert_eq!(
        policy.decide_with_jitter(0, &timeout, 0.0),
        RetryDecision::RetryAfter(Duration::ZERO)
    );
    assert_eq!(
        policy.decide_with_jitter(2, &timeout, 0.5),
        RetryDecision::RetryAfter(Duration::from_millis(1000))
    );
}

#[test]
fn random_waits_stay_under_the_ceiling() {
    let policy = policy();
    let refused = Err(FetchError::Connect {
        reason: "refused".to_owned(),
    });
    for _ in 0..100 {
        let RetryDecision::RetryAfter(wait) = policy.decide("http://a.test/", 2, &refused) else {
            panic!("expected a retry");
        };
        assert!(wait <= Duration::from_millis(2000), "{wait:?}");
    }
}

#[test]
fn final_statuses_are_accepted() {
    for status in [200, 204, 301, 404, 410, 501] {
        assert_eq!(
            policy().decide_with_jitter(0, &response(status, None), 0.5),
            RetryDecision::Accept,
            "{status}"
        );
    }
}

#[test]
fn retryable_statuses_back_off_or_honour_retry_after() {
    let policy = policy();
    for status in [408, 429, 500, 502, 503, 504] {
        assert_eq!(
            policy.decide_with_jitter(0, &response(status, None), 0.5),
            RetryDecision::RetryAfter(Duration::from_millis(250)),
            "{status}"
        );
    }
    assert_eq!(
        policy.decide_with_jitter(0, &response(429, Some("7")), 0.5),
        RetryDecision::RetryAfter(Duration::from_secs(7))
    );
}

#[test]
fn too_long_retry_after_gives_up() {
    assert_eq!(
        policy().decide_with_jitter(0, &response(503, Some("61")), 0.5),
        RetryDecision::GiveUp {
            reason: "status 503 asks to retry after 61s, more than the 60s limit".to_owned()
        }
    );
}

#[test]
fn gives_up_after_max_retries() {
    let policy = policy();
    assert_eq!(
        policy.decide_with_jitter(3, &response(503, Some("1")), 0.5),
        RetryDecision::GiveUp {
            reason: "status 503 after 4 attempts".to_owned()
        }
    );
    assert_eq!(
        policy.decide_with_jitter(
            3,
            &Err(FetchError::Timeout {
                phase: TimeoutPhase::Total
            }),
            0.5
        ),
        RetryDecision::GiveUp {
            reason: "timed out waiting for the whole response (after 4 attempts)".to_owned()
        }
    );
}

#[test]
fn permanent_errors_give_up_at_once() {
    assert_eq!(
        policy().decide_with_jitter(0, &Err(FetchError::BodyTooLarge { limit_bytes: 5 }), 0.5),
        RetryDecision::GiveUp {
            reason: "body larger than 5 bytes".to_owned()
        }
    );
}

#[test]
fn from_spec_reads_the_request_table() {
    let request = trawl_spec::RequestSettings {
        retries: 5,
        retry_base_millis: 100,
        max_retry_after_secs: 9,
        ..Default::default()
    };
    assert_eq!(
        RetryPolicy::from_spec(&request),
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: DEFAULT_MAX_RETRY_DELAY,
            max_retry_after: Duration::from_secs(9),
        }
    );
}

#[test]
fn jitter_is_a_function_of_url_and_attempt_and_spreads_urls() {
    assert_eq!(
        jitter_of("http://a.test/1", 0),
        jitter_of("http://a.test/1", 0)
    );
    assert_ne!(
        jitter_of("http://a.test/1", 0),
        jitter_of("http://a.test/1", 1)
    );
    let draws: Vec<f64> = (0..1000)
        .map(|index| jitter_of(&format!("http://a.test/{index}"), 0))
        .collect();
    assert!(draws.iter().all(|draw| (0.0..1.0).contains(draw)));
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    assert!((0.4..0.6).contains(&mean), "{mean}");
    let below_tenth = draws.iter().filter(|draw| **draw < 0.1).count();
    assert!((50..150).contains(&below_tenth), "{below_tenth}");
}
