//! `RetryPolicy`: whether and when to try a fetch again.
//!
//! The decision is pure (no sleeping, no IO) so the engine can pair it with
//! its own scheduling and the per-host governor, and so the backoff maths
//! is testable. Retried: connection errors, timeouts, broken connections,
//! and statuses 408, 429, 500, 502, 503 and 504. Waits use exponential
//! backoff with full jitter, unless the server sent `Retry-After`, which is
//! honoured up to a limit.

use std::time::Duration;

use trawl_spec::RequestSettings;

use crate::{FetchError, Response};

/// Longest backoff wait when the spec does not say (it has no key for it).
pub const DEFAULT_MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Retry settings of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// Backoff ceiling of the first retry; it doubles with each attempt.
    pub base_delay: Duration,
    /// Cap of the backoff ceiling.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer one gives up instead.
    pub max_retry_after: Duration,
}

/// What to do with one attempt's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Keep the outcome: a response with a final status (including 404 and
    /// other errors that retrying will not fix).
    Accept,
    /// Try again after this wait.
    RetryAfter(Duration),
    /// Stop and record the outcome as failed, for this reason.
    GiveUp { reason: String },
}

impl RetryPolicy {
    /// The running form of the spec's retry keys.
    pub fn from_spec(request: &RequestSettings) -> Self {
        RetryPolicy {
            max_retries: request.retries,
            base_delay: Duration::from_millis(request.retry_base_millis),
            max_delay: DEFAULT_MAX_RETRY_DELAY,
            max_retry_after: Duration::from_secs(request.max_retry_after_secs),
        }
    }

    /// Decides about the outcome of attempt number `attempt` (0 for the
    /// first request, 1 for the first retry, ...) of `url`.
    ///
    /// The backoff's jitter is drawn from a hash of the URL and the attempt
    /// rather than a random source: retries of different URLs still spread
    /// out, and a replay of the run waits (and reports) exactly the same.
    pub fn decide(
        &self,
        url: &str,
        attempt: u32,
        outcome: &Result<Response, FetchError>,
    ) -> RetryDecision {
        self.decide_with_jitter(attempt, outcome, jitter_of(url, attempt))
    }

    /// Upper bound of the backoff wait after attempt `attempt`:
    /// `base_delay * 2^attempt`, capped at `max_delay`.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.min(30);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// [`RetryPolicy::decide`] with the random draw given: `jitter` in
    /// `[0, 1)` picks the wait within `[0, backoff_ceiling)` ("full jitter",
    /// which spreads retries of many clients best).
    pub(crate) fn decide_with_jitter(
        &self,
        attempt: u32,
        outcome: &Result<Response, FetchError>,
        jitter: f64,
    ) -> RetryDecision {
        let attempts_made = attempt.saturating_add(1);
        match outcome {
            Ok(response) => {
                if !is_retryable_status(response.status) {
                    return RetryDecision::Accept;
                }
                if attempt >= self.max_retries {
                    return RetryDecision::GiveUp {
                        reason: format!(
                            "status {} after {attempts_made} attempts",
                            response.status
                        ),
                    };
                }
                if let Some(retry_after) = response.retry_after() {
                    if retry_after > self.max_retry_after {
                        return RetryDecision::GiveUp {
                            reason: format!(
                                "status {} asks to retry after {}s, more than the {}s limit",
                                response.status,
                                retry_after.as_secs(),
                                self.max_retry_after.as_secs()
                            ),
                        };
                    }
                    return RetryDecision::RetryAfter(retry_after);
                }
                RetryDecision::RetryAfter(self.jittered_backoff(attempt, jitter))
            }
            Err(error) => {
                if !error.is_retryable() {
                    return RetryDecision::GiveUp {
                        reason: error.to_string(),
                    };
                }
                if attempt >= self.max_retries {
                    return RetryDecision::GiveUp {
                        reason: format!("{error} (after {attempts_made} attempts)"),
                    };
                }
                RetryDecision::RetryAfter(self.jittered_backoff(attempt, jitter))
            }
        }
    }

    fn jittered_backoff(&self, attempt: u32, jitter: f64) -> Duration {
        self.backoff_ceiling(attempt)
            .mul_f64(jitter.clamp(0.0, 1.0))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::from_spec(&RequestSettings::default())
    }
}

/// A fraction in `[0, 1)` that only depends on `url` and `attempt`, the
/// same in every process and every build (so a replay retries exactly as
/// the recorded run did): xxh3 with its default seed, like URL
/// fingerprints. std's `DefaultHasher` promises neither across releases.
fn jitter_of(url: &str, attempt: u32) -> f64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(url.as_bytes());
    hasher.update(&attempt.to_le_bytes());
    // The top 53 bits, as an f64 fraction.
    (hasher.digest() >> 11) as f64 / (1_u64 << 53) as f64
}

/// Statuses that mean "not now" rather than "no".
fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests;
