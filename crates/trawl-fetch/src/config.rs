//! `FetchConfig`: the validated settings a [`crate::Fetcher`] is built from.
//!
//! The spec's `[request]` table is the user-facing form; this is the running
//! form with real `Duration`s, built once per run (`FetchConfig::from_spec`)
//! so the fetcher never reads spec types while crawling.

use std::fmt;
use std::time::Duration;

use trawl_spec::{HeaderError, RequestSettings, ResolvedHeaderValue};

/// Idle connections kept per host when the caller does not size the pool
/// from its concurrency (the spec's default per-host concurrency is 8; this
/// leaves room for more).
pub const DEFAULT_POOL_MAX_IDLE_PER_HOST: usize = 32;

/// Everything a [`crate::Fetcher`] needs. Cheap to clone; `Debug` hides
/// header values, cookie values and the proxy URL, which may hold secrets.
#[derive(Clone, PartialEq)]
pub struct FetchConfig {
    /// Sent as `User-Agent`; its product token (before the first `/`) is the
    /// agent name matched in robots.txt.
    pub user_agent: String,
    /// Extra headers sent with every request, in order; secret ones are
    /// sent as sensitive header values (never indexed by HTTP/2's HPACK,
    /// redacted by hyper's `Debug`).
    pub headers: Vec<(String, ResolvedHeaderValue)>,
    /// Cookies sent to every host on every request, next to the cookies
    /// sites set themselves.
    pub cookies: Vec<(String, String)>,
    /// Time allowed to open a connection (TCP, proxy and TLS).
    pub connect_timeout: Duration,
    /// Time allowed from sending a request to receiving its response headers.
    pub first_byte_timeout: Duration,
    /// Time allowed for one whole fetch, redirects and body included.
    pub total_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: u64,
    /// Redirects followed per fetch before giving up.
    pub max_redirects: u32,
    /// `http://`, `https://`, `socks5://` or `socks5h://` proxy URL for every
    /// request. `None` means direct connections: proxy environment
    /// variables are ignored, so a run behaves the same on every machine.
    pub proxy: Option<String>,
    /// Idle keep-alive connections kept per host; size it to the per-host
    /// concurrency so busy hosts never reconnect.
    pub pool_max_idle_per_host: usize,
    /// DER certificates trusted in addition to the system roots (private
    /// CAs, self-signed test servers).
    pub extra_root_certs_der: Vec<Vec<u8>>,
}

impl FetchConfig {
    /// The running form of the spec's `[request]` table; `env` headers are
    /// read from this process's environment now.
    pub fn from_spec(request: &RequestSettings) -> Result<FetchConfig, HeaderError> {
        FetchConfig::from_spec_with_env(request, |variable| std::env::var(variable).ok())
    }

    /// [`FetchConfig::from_spec`] with `env` headers read through `lookup`.
    pub fn from_spec_with_env(
        request: &RequestSettings,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<FetchConfig, HeaderError> {
        let headers = request.resolve_headers(lookup)?;
        Ok(FetchConfig::with_headers(request, headers))
    }

    fn with_headers(
        request: &RequestSettings,
        headers: Vec<(String, ResolvedHeaderValue)>,
    ) -> FetchConfig {
        let defaults = RequestSettings::default();
        FetchConfig {
            user_agent: request.user_agent.clone(),
            headers,
            cookies: request
                .cookies
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
            connect_timeout: seconds_to_duration(
                request.connect_timeout_secs,
                defaults.connect_timeout_secs,
            ),
            first_byte_timeout: seconds_to_duration(
                request.first_byte_timeout_secs,
                defaults.first_byte_timeout_secs,
            ),
            total_timeout: seconds_to_duration(request.timeout_secs, defaults.timeout_secs),
            max_body_bytes: request.max_body_bytes,
            max_redirects: request.max_redirects,
            proxy: request.proxy.clone(),
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            extra_root_certs_der: Vec::new(),
        }
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig::with_headers(&RequestSettings::default(), Vec::new())
    }
}

/// Spec validation rejects negative and non-finite timeouts, but a
/// `Duration` conversion panics on them, so fall back instead of trusting it.
fn seconds_to_duration(seconds: f64, fallback_seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds)
        .or_else(|_| Duration::try_from_secs_f64(fallback_seconds))
        .unwrap_or(Duration::from_secs(60))
}

impl fmt::Debug for FetchConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        let cookie_names: Vec<&str> = self.cookies.iter().map(|(name, _)| name.as_str()).collect();
        formatter
            .debug_struct("FetchConfig")
            .field("user_agent", &self.user_agent)
            .field("header_names", &header_names)
            .field("cookie_names", &cookie_names)
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_redirects", &self.max_redirects)
            .field("proxy", &self.proxy.as_ref().map(|_| "<redacted>"))
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("extra_root_certs", &self.extra_root_certs_der.len())
            .finish()
    }
}
