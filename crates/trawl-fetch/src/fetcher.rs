//! `Fetcher`: one logical fetch per call, bounded in time, size and hops.
//!
//! reqwest does the HTTP (pooling, TLS, HTTP/2, brotli and zstd);
//! this file adds what a crawler must not leave to a client's defaults:
//! redirects followed by hand so the chain is recorded and loops are caught,
//! cookies sent and kept on every hop (`cookies.rs`),
//! a first-byte deadline and a total deadline on top of the connect timeout,
//! and a body cap counted after decompression (gzip and deflate are decoded
//! by `decode.rs`, which keeps the wire bytes). The per-request path builds
//! nothing: one client, built once, is shared by every clone.

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant as TokioInstant;
use url::Url;

use crate::cookies::FetchCookieStore;
use crate::decode;
use crate::robots::{self, Robots};
use crate::{FetchConfig, FetchError, Response, TimeoutPhase};

/// How much of a robots.txt is read (RFC 9309 section 2.5 asks for at
/// least 500 KiB; the rest is ignored, not an error).
pub const ROBOTS_MAX_BODY_BYTES: u64 = 500 * 1024;

/// Redirect bodies up to this size are read and dropped so the connection
/// can be reused; larger ones are abandoned with their connection.
const REDIRECT_BODY_DRAIN_BYTES: usize = 64 * 1024;

/// Longest `Location` kept in a [`FetchError::BadRedirect`].
const MAX_REPORTED_LOCATION_BYTES: usize = 1024;

/// How often one URL may appear in a fetch's redirect chain. Twice, because
/// sites legitimately set a cookie and redirect to the same URL once.
const MAX_VISITS_PER_URL: usize = 2;

/// `Accept` sent unless the config sets its own: what a browser asks for a
/// page, so servers pick their HTML variant.
const DEFAULT_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Fetches pages for one run. Clones share the connection pool and cookie jar.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<FetcherInner>,
}

struct FetcherInner {
    client: reqwest::Client,
    /// Sent and kept by `send` for every hop (see `cookies.rs`).
    cookies: FetchCookieStore,
    user_agent: String,
    first_byte_timeout: std::time::Duration,
    total_timeout: std::time::Duration,
    max_body_bytes: u64,
    max_redirects: u32,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Fetcher")
            .field("user_agent", &self.inner.user_agent)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// What to do with a body longer than the limit (as read, and decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyLimit {
    /// Fail with [`FetchError::BodyTooLarge`] (pages).
    Fail(u64),
    /// Keep the first bytes and stop reading (robots.txt).
    Truncate(u64),
}

impl BodyLimit {
    pub(crate) fn bytes(self) -> u64 {
        match self {
            BodyLimit::Fail(bytes) | BodyLimit::Truncate(bytes) => bytes,
        }
    }
}

impl Fetcher {
    /// Builds the HTTP client. Fails on a proxy URL, header, cookie, user
    /// agent or certificate that cannot be used.
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        // reqwest is built without a default crypto provider; installing one
        // a second time (another fetcher, a test) is fine to ignore.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let mut default_headers = HeaderMap::new();
        default_headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static(DEFAULT_ACCEPT),
        );
        // reqwest offers only the codings it decodes itself; a spec's own
        // `Accept-Encoding` (below) replaces this.
        default_headers.insert(
            reqwest::header::ACCEPT_ENCODING,
            HeaderValue::from_static(decode::ACCEPT_ENCODING),
        );
        for (name, value) in &config.headers {
            let header_name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| FetchError::InvalidConfig {
                    reason: format!("header name {name:?} is not a valid http header name"),
                })?;
            // The value may be a secret (Authorization): never echo it.
            let mut header_value =
                HeaderValue::from_str(value.expose()).map_err(|_| FetchError::InvalidConfig {
                    reason: format!("value of header {name:?} is not a valid http header value"),
                })?;
            // Sensitive: hyper's and reqwest's `Debug` (trace logs) print
            // `Sensitive` instead, and HTTP/2 never indexes it.
            header_value.set_sensitive(value.is_secret());
            default_headers.insert(header_name, header_value);
        }
        let user_agent =
            HeaderValue::from_str(&config.user_agent).map_err(|_| FetchError::InvalidConfig {
                reason: format!(
                    "user agent {:?} is not a valid header value",
                    config.user_agent
                ),
            })?;
        let cookies = FetchCookieStore::new(&config.cookies)?;

        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(default_headers)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .tcp_nodelay(true)
            // gzip and deflate are decoded by `decode`, which keeps the wire
            // bytes; `Accept-Encoding` (set above) still offers them.
            .gzip(false)
            .deflate(false)
            .brotli(true)
            .zstd(true);
        builder = match &config.proxy {
            Some(proxy_url) => builder.proxy(parse_proxy(proxy_url)?),
            None => builder.no_proxy(),
        };
        if !config.extra_root_certs_der.is_empty() {
            let mut certificates = Vec::with_capacity(config.extra_root_certs_der.len());
            for (index, der) in config.extra_root_certs_der.iter().enumerate() {
                certificates.push(reqwest::Certificate::from_der(der).map_err(|error| {
                    FetchError::InvalidConfig {
                        reason: format!("extra root certificate {index} is not valid der: {error}"),
                    }
                })?);
            }
            builder = builder.tls_certs_merge(certificates);
        }
        let client = builder.build().map_err(|error| FetchError::InvalidConfig {
            reason: format!("http client could not be built: {error}"),
        })?;
        Ok(Fetcher {
            inner: Arc::new(FetcherInner {
                client,
                cookies,
                user_agent: config.user_agent,
                first_byte_timeout: config.first_byte_timeout,
                total_timeout: config.total_timeout,
                max_body_bytes: config.max_body_bytes,
                max_redirects: config.max_redirects,
            }),
        })
    }

    /// One logical fetch: follows redirects itself (recording the chain,
    /// catching loops and counting), enforces the first-byte and total
    /// deadlines, and reads the body with a cap that holds after
    /// decompression (a `Content-Length` above the cap fails before
    /// reading; otherwise decompressed bytes are counted as they arrive).
    pub async fn fetch(&self, url: &Url) -> Result<Response, FetchError> {
        self.fetch_with_limit(url, BodyLimit::Fail(self.inner.max_body_bytes))
            .await
    }

    /// The robots.txt rules for `site` (any URL on it), per RFC 9309: a 2xx
    /// body is parsed (first 500 KiB); 4xx and redirect trouble allow all;
    /// 429, 5xx and network failures disallow all. Never fails.
    pub async fn fetch_robots(&self, site: &Url) -> Robots {
        match self.fetch_robots_file(site).await {
            Some((_, outcome)) => robots::interpret(&self.inner.user_agent, &outcome),
            None => Robots::allow_all(),
        }
    }

    /// The fetch of `site`'s robots.txt itself (its URL and outcome), for
    /// callers that keep it (recording); `None` when the site has no
    /// robots.txt URL. [`robots::interpret`] turns it into rules.
    pub async fn fetch_robots_file(
        &self,
        site: &Url,
    ) -> Option<(Url, Result<Response, FetchError>)> {
        let robots_url = robots::robots_url(site)?;
        let outcome = self
            .fetch_with_limit(&robots_url, BodyLimit::Truncate(ROBOTS_MAX_BODY_BYTES))
            .await;
        Some((robots_url, outcome))
    }

    /// The `User-Agent` this fetcher sends (robots.txt groups match it).
    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    async fn fetch_with_limit(
        &self,
        url: &Url,
        body_limit: BodyLimit,
    ) -> Result<Response, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::UnsupportedScheme {
                scheme: url.scheme().to_owned(),
            });
        }
        if url.host_str().is_none() {
            return Err(FetchError::InvalidUrl {
                reason: "url has no host".to_owned(),
            });
        }
        let started = Instant::now();
        let total_deadline = TokioInstant::now() + self.inner.total_timeout;
        let mut redirects: Vec<Url> = Vec::new();
        let mut current_url = url.clone();
        loop {
            tracing::trace!(url = %current_url, "fetching");
            let mut http_response = self.send(&current_url, total_deadline).await?;
            let status = http_response.status();
            let location = match status.as_u16() {
                301 | 302 | 303 | 307 | 308 => {
                    http_response.headers().get(reqwest::header::LOCATION)
                }
                _ => None,
            };
            if let Some(location) = location {
                let next_url = resolve_redirect(&current_url, location)?;
                if redirects.len() >= self.inner.max_redirects as usize {
                    return Err(FetchError::TooManyRedirects {
                        limit: self.inner.max_redirects,
                        chain: redirects,
                    });
                }
                redirects.push(current_url);
                let visits = redirects
                    .iter()
                    .filter(|visited| **visited == next_url)
                    .count();
                if visits >= MAX_VISITS_PER_URL {
                    return Err(FetchError::RedirectLoop { url: next_url });
                }
                drain_redirect_body(http_response, total_deadline).await;
                current_url = next_url;
                continue;
            }
            let mut headers = std::mem::take(http_response.headers_mut());
            let version = http_response.version();
            let wire_body =
                match tokio::time::timeout_at(total_deadline, read_body(http_response, body_limit))
                    .await
                {
                    Ok(body) => body?,
                    Err(_) => {
                        return Err(FetchError::Timeout {
                            phase: TimeoutPhase::Total,
                        });
                    }
                };
            let (body, wire) = decode::decode_content(&mut headers, wire_body, body_limit)?;
            return Ok(Response {
                final_url: current_url,
                status: status.as_u16(),
                headers,
                body,
                redirects,
                version,
                elapsed: started.elapsed(),
                wire,
            });
        }
    }

    /// Sends a GET and waits for the response headers, under the first-byte
    /// deadline or the total deadline, whichever comes first.
    async fn send(
        &self,
        url: &Url,
        total_deadline: TokioInstant,
    ) -> Result<reqwest::Response, FetchError> {
        let first_byte_deadline = TokioInstant::now() + self.inner.first_byte_timeout;
        let (deadline, phase) = if first_byte_deadline < total_deadline {
            (first_byte_deadline, TimeoutPhase::FirstByte)
        } else {
            (total_deadline, TimeoutPhase::Total)
        };
        let mut request = self.inner.client.get(url.clone());
        if let Some(cookies) = self.inner.cookies.cookies(url) {
            request = request.header(reqwest::header::COOKIE, cookies);
        }
        match tokio::time::timeout_at(deadline, request.send()).await {
            Ok(Ok(response)) => {
                let set_cookies = response.headers().get_all(reqwest::header::SET_COOKIE);
                self.inner.cookies.set_cookies(set_cookies.iter(), url);
                Ok(response)
            }
            Ok(Err(error)) => Err(FetchError::from_send_error(&error)),
            Err(_) => Err(FetchError::Timeout { phase }),
        }
    }
}

/// Resolves a `Location` against the URL that sent it.
fn resolve_redirect(current_url: &Url, location: &HeaderValue) -> Result<Url, FetchError> {
    let bad_redirect = || FetchError::BadRedirect {
        location: truncate_for_report(&String::from_utf8_lossy(location.as_bytes())),
    };
    // Browsers read Location as UTF-8; raw non-ASCII bytes are common.
    let location_text = std::str::from_utf8(location.as_bytes()).map_err(|_| bad_redirect())?;
    let next_url = current_url
        .join(location_text.trim())
        .map_err(|_| bad_redirect())?;
    if !matches!(next_url.scheme(), "http" | "https") || next_url.host_str().is_none() {
        return Err(bad_redirect());
    }
    Ok(next_url)
}

fn truncate_for_report(text: &str) -> String {
    if text.len() <= MAX_REPORTED_LOCATION_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_REPORTED_LOCATION_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Reads a small redirect body so its keep-alive connection goes back to
/// the pool; gives up quietly on large or slow ones (the connection is then
/// closed, which costs a reconnect, not correctness).
async fn drain_redirect_body(mut http_response: reqwest::Response, total_deadline: TokioInstant) {
    if http_response
        .content_length()
        .is_some_and(|length| length > REDIRECT_BODY_DRAIN_BYTES as u64)
    {
        return;
    }
    let _ = tokio::time::timeout_at(total_deadline, async {
        let mut drained_bytes = 0;
        while drained_bytes <= REDIRECT_BODY_DRAIN_BYTES {
            match http_response.chunk().await {
                Ok(Some(chunk)) => drained_bytes += chunk.len(),
                _ => break,
            }
        }
    })
    .await;
}

/// Reads the body (as sent for gzip and deflate, which [`decode`] undoes;
/// decoded by reqwest for brotli and zstd) under `body_limit`. A body that
/// arrives in one chunk is returned as is, without a copy.
async fn read_body(
    mut http_response: reqwest::Response,
    body_limit: BodyLimit,
) -> Result<Bytes, FetchError> {
    let limit_bytes = body_limit.bytes();
    let too_large = FetchError::BodyTooLarge { limit_bytes };
    // The wire length; unset when reqwest decodes (brotli, zstd).
    let announced_length = http_response.content_length();
    if let (Some(length), BodyLimit::Fail(_)) = (announced_length, body_limit)
        && length > limit_bytes
    {
        return Err(too_large);
    }
    let Some(first_chunk) = next_chunk(&mut http_response).await? else {
        return Ok(Bytes::new());
    };
    if first_chunk.len() as u64 > limit_bytes {
        return match body_limit {
            BodyLimit::Fail(_) => Err(too_large),
            BodyLimit::Truncate(_) => Ok(first_chunk.slice(..limit_bytes as usize)),
        };
    }
    let Some(second_chunk) = next_chunk(&mut http_response).await? else {
        return Ok(first_chunk);
    };
    // The limit bounds the allocation even when Content-Length lies.
    let expected_bytes = announced_length
        .unwrap_or((first_chunk.len() + second_chunk.len()) as u64 * 2)
        .min(limit_bytes.saturating_add(1));
    let mut body = BytesMut::with_capacity(usize::try_from(expected_bytes).unwrap_or(usize::MAX));
    let mut next = Some(second_chunk);
    body.extend_from_slice(&first_chunk);
    while let Some(chunk) = next {
        let room = limit_bytes - body.len() as u64;
        if chunk.len() as u64 > room {
            return match body_limit {
                BodyLimit::Fail(_) => Err(too_large),
                BodyLimit::Truncate(_) => {
                    body.extend_from_slice(&chunk[..room as usize]);
                    Ok(body.freeze())
                }
            };
        }
        body.extend_from_slice(&chunk);
        next = next_chunk(&mut http_response).await?;
    }
    Ok(body.freeze())
}

async fn next_chunk(http_response: &mut reqwest::Response) -> Result<Option<Bytes>, FetchError> {
    http_response
        .chunk()
        .await
        .map_err(|error| FetchError::from_body_error(&error))
}

/// Checks the scheme before reqwest sees the URL, so a typo is reported as
/// such (and the URL, which may hold a password, never is).
fn parse_proxy(proxy_url: &str) -> Result<reqwest::Proxy, FetchError> {
    let parsed = Url::parse(proxy_url).map_err(|error| FetchError::Proxy {
        reason: format!("proxy url does not parse: {error}"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https" | "socks5" | "socks5h") {
        return Err(FetchError::Proxy {
            reason: format!(
                "proxy scheme {:?} is not one of http, https, socks5, socks5h",
                parsed.scheme()
            ),
        });
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::Proxy {
            reason: "proxy url has no host".to_owned(),
        });
    }
    reqwest::Proxy::all(parsed.as_str()).map_err(|_| FetchError::Proxy {
        reason: "proxy url was rejected by the http client".to_owned(),
    })
}

#[cfg(test)]
mod tests;
