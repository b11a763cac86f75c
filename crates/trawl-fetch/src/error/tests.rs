//! The stable names and the retry classification are a contract with the
//! engine's stats and retries: pin them.

use super::*;

#[test]
fn kinds_are_stable_snake_case() {
    let cases = [
        (
            FetchError::Timeout {
                phase: TimeoutPhase::FirstByte,
            },
            "timeout_first_byte",
        ),
        (
            FetchError::TooManyRedirects {
                limit: 3,
                chain: Vec::new(),
            },
            "too_many_redirects",
        ),
        (
            FetchError::BodyTooLarge { limit_bytes: 1 },
            "body_too_large",
        ),
        (
            FetchError::Connect {
                reason: String::new(),
            },
            "connect",
        ),
    ];
    for (error, kind) in cases {
        assert_eq!(error.kind(), kind);
    }
}

#[test]
fn only_network_trouble_is_retryable() {
    assert!(
        FetchError::Timeout {
            phase: TimeoutPhase::Total
        }
        .is_retryable()
    );
    assert!(
        FetchError::Io {
            reason: String::new()
        }
        .is_retryable()
    );
    assert!(!FetchError::BodyTooLarge { limit_bytes: 1 }.is_retryable());
    assert!(
        !FetchError::Tls {
            reason: String::new()
        }
        .is_retryable()
    );
    assert!(
        !FetchError::BadRedirect {
            location: String::new()
        }
        .is_retryable()
    );
}

#[test]
fn messages_are_lowercase_without_trailing_period() {
    let error = FetchError::Timeout {
        phase: TimeoutPhase::Total,
    };
    assert_eq!(
        error.to_string(),
        "timed out waiting for the whole response"
    );
    assert_eq!(
        FetchError::BodyTooLarge { limit_bytes: 10 }.to_string(),
        "body larger than 10 bytes"
    );
}

#[test]
fn has_cause_looks_inside_io_errors() {
    let inner = std::io::Error::other(rustls::Error::DecryptError);
    let outer = std::io::Error::other(inner);
    assert!(has_cause::<rustls::Error>(&outer));
    assert!(!has_cause::<std::fmt::Error>(&outer));
}
