//! `FetchError`: every way one fetch can fail, as data the engine can count,
//! retry and report.
//!
//! An HTTP error status is not here: a 404 or a 503 is a [`crate::Response`]
//! and the [`crate::RetryPolicy`] decides about it. Causes from the HTTP
//! stack are kept as rendered text so the error stays `Clone` and `Eq`
//! (events and retries copy it) and never carries a proxy password.

use std::error::Error as StdError;
use std::fmt;

use url::Url;

/// Which deadline ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutPhase {
    /// Opening the connection (TCP, proxy, TLS) took longer than `connect_timeout`.
    Connect,
    /// Response headers did not arrive within `first_byte_timeout` of sending.
    FirstByte,
    /// The whole fetch (redirects and body included) outlasted `total_timeout`.
    Total,
}

impl TimeoutPhase {
    /// Stable snake_case name, used in error kinds and stats.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::FirstByte => "first_byte",
            TimeoutPhase::Total => "total",
        }
    }
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            TimeoutPhase::Connect => "the connection",
            TimeoutPhase::FirstByte => "response headers",
            TimeoutPhase::Total => "the whole response",
        })
    }
}

/// Why a fetch (or building a fetcher) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL cannot be turned into a request: no host, or rejected by the
    /// HTTP stack (for example longer than the 64 KiB a request target may be).
    #[error("invalid url: {reason}")]
    InvalidUrl { reason: String },
    /// The URL's scheme is neither `http` nor `https`.
    #[error("unsupported url scheme {scheme:?} (only http and https are fetched)")]
    UnsupportedScheme { scheme: String },
    /// The connection could not be opened: refused, unreachable, DNS failure.
    #[error("connection failed: {reason}")]
    Connect { reason: String },
    /// The TLS handshake failed: untrusted or expired certificate, wrong
    /// host name, no common protocol version.
    #[error("tls handshake failed: {reason}")]
    Tls { reason: String },
    /// A deadline ran out; `phase` says which one.
    #[error("timed out waiting for {phase}")]
    Timeout { phase: TimeoutPhase },
    /// More than `limit` redirects in one fetch. `chain` holds the URLs that
    /// answered with a followed redirect, requested URL first (so its length
    /// is `limit`), like [`crate::Response::redirects`].
    #[error("more than {limit} redirects")]
    TooManyRedirects { limit: u32, chain: Vec<Url> },
    /// A redirect led back to a URL already visited twice in this fetch.
    #[error("redirect loop back to {url}")]
    RedirectLoop { url: Url },
    /// A redirect's `Location` is not a valid http(s) URL. `location` is cut
    /// to 1024 bytes.
    #[error("redirect to an invalid location {location:?}")]
    BadRedirect { location: String },
    /// The body, counted after decompression, exceeded `limit_bytes` (or
    /// `Content-Length` announced that it would).
    #[error("body larger than {limit_bytes} bytes")]
    BodyTooLarge { limit_bytes: u64 },
    /// The body could not be decompressed (corrupt gzip, brotli, zstd or
    /// deflate data).
    #[error("body could not be decompressed: {reason}")]
    Decompression { reason: String },
    /// The configured proxy URL is invalid or uses an unsupported scheme.
    #[error("invalid proxy: {reason}")]
    Proxy { reason: String },
    /// The fetcher could not be built: invalid header, user agent, cookie
    /// or certificate in the configuration.
    #[error("invalid fetch configuration: {reason}")]
    InvalidConfig { reason: String },
    /// The connection broke during the exchange (reset, closed mid-body,
    /// protocol violation by the server).
    #[error("connection broke during the exchange: {reason}")]
    Io { reason: String },
    /// Replay: the recording has no answer for this URL (it was not fetched
    /// when the run was recorded). Nothing is fetched instead.
    #[error("not in the recording: {url}")]
    NotRecorded { url: String },
    /// Replay: the recorded fetch failed like this (`kind` is one of
    /// [`FetchError::KINDS`], `message` the error as it was reported).
    #[error("{message}")]
    Replayed { kind: &'static str, message: String },
}

impl FetchError {
    /// Stable snake_case name of the failure, for stats and events.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl { .. } => "invalid_url",
            FetchError::UnsupportedScheme { .. } => "unsupported_scheme",
            FetchError::Connect { .. } => "connect",
            FetchError::Tls { .. } => "tls",
            FetchError::Timeout { phase } => match phase {
                TimeoutPhase::Connect => "timeout_connect",
                TimeoutPhase::FirstByte => "timeout_first_byte",
                TimeoutPhase::Total => "timeout_total",
            },
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::RedirectLoop { .. } => "redirect_loop",
            FetchError::BadRedirect { .. } => "bad_redirect",
            FetchError::BodyTooLarge { .. } => "body_too_large",
            FetchError::Decompression { .. } => "decompression",
            FetchError::Proxy { .. } => "proxy",
            FetchError::InvalidConfig { .. } => "invalid_config",
            FetchError::Io { .. } => "io",
            FetchError::NotRecorded { .. } => "not_recorded",
            FetchError::Replayed { kind, .. } => kind,
        }
    }

    /// Every [`FetchError::kind`], for reading recorded kinds back.
    pub const KINDS: [&'static str; 18] = [
        "invalid_url",
        "unsupported_scheme",
        "connect",
        "tls",
        "timeout_connect",
        "timeout_first_byte",
        "timeout_total",
        "too_many_redirects",
        "redirect_loop",
        "bad_redirect",
        "body_too_large",
        "decompression",
        "proxy",
        "invalid_config",
        "io",
        "not_recorded",
        "replayed",
        "recorded_failure",
    ];

    /// A recorded failure for replay: the same kind and message as when it
    /// happened (an unknown kind, from a newer trawl, is `recorded_failure`).
    pub fn replayed(kind: &str, message: String) -> FetchError {
        let kind = FetchError::KINDS
            .into_iter()
            .find(|known| *known == kind)
            .unwrap_or("recorded_failure");
        FetchError::Replayed { kind, message }
    }

    /// True when the same request may succeed later: the network or the
    /// server was the problem, not the URL, the content or the config.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Connect { .. } | FetchError::Timeout { .. } | FetchError::Io { .. } => true,
            FetchError::Replayed { kind, .. } => {
                kind.starts_with("timeout_") || matches!(*kind, "connect" | "io")
            }
            _ => false,
        }
    }

    /// True when the error suggests the host is overloaded (it did not
    /// connect or answer in time), so sending it less would help. A slow
    /// body (`timeout_total`) is the page's, not a sign of load.
    pub fn is_overload(&self) -> bool {
        match self {
            FetchError::Connect { .. }
            | FetchError::Timeout {
                phase: TimeoutPhase::Connect | TimeoutPhase::FirstByte,
            } => true,
            FetchError::Replayed { kind, .. } => {
                matches!(*kind, "connect" | "timeout_connect" | "timeout_first_byte")
            }
            _ => false,
        }
    }

    /// Classifies an error from reqwest while sending a request or reading
    /// response headers.
    pub(crate) fn from_send_error(error: &reqwest::Error) -> FetchError {
        let reason = render_causes(error);
        if error.is_builder() {
            return FetchError::InvalidUrl { reason };
        }
        if has_cause::<rustls::Error>(error) {
            return FetchError::Tls { reason };
        }
        if error.is_connect() {
            if error.is_timeout() {
                return FetchError::Timeout {
                    phase: TimeoutPhase::Connect,
                };
            }
            return FetchError::Connect { reason };
        }
        FetchError::Io { reason }
    }

    /// Classifies an error from reqwest while reading a body. reqwest calls
    /// every body error "decode"; a transport failure shows up as a hyper
    /// error somewhere in the chain, anything else came from a decompressor.
    pub(crate) fn from_body_error(error: &reqwest::Error) -> FetchError {
        let reason = render_causes(error);
        if has_cause::<hyper::Error>(error) {
            FetchError::Io { reason }
        } else {
            FetchError::Decompression { reason }
        }
    }
}

/// The error's causes joined with ": ". reqwest's own top message repeats
/// the URL the caller already has, so it is used only when nothing is below it.
fn render_causes(error: &reqwest::Error) -> String {
    let mut rendered = String::new();
    let mut cause = error.source();
    while let Some(current) = cause {
        if !rendered.is_empty() {
            rendered.push_str(": ");
        }
        rendered.push_str(&current.to_string());
        cause = current.source();
    }
    if rendered.is_empty() {
        rendered = error.to_string();
    }
    rendered
}

/// True when an error of type `Cause` is anywhere in the chain, including
/// inside `std::io::Error`s (how tokio-rustls and decompressors wrap theirs).
fn has_cause<Cause: StdError + 'static>(error: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        if error.is::<Cause>() {
            return true;
        }
        if let Some(io_error) = error.downcast_ref::<std::io::Error>()
            && let Some(inner) = io_error.get_ref()
            && has_cause::<Cause>(inner)
        {
            return true;
        }
        current = error.source();
    }
    false
}

#[cfg(test)]
mod tests;
