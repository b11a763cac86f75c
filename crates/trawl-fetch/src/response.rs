//! `Response`: what one successful fetch brought back, with the helpers the
//! engine and the extractor ask of it.
//!
//! "Successful" means an HTTP exchange completed within its limits; the
//! status may be anything (a 404 page is a response, not an error).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use url::Url;

use crate::charset::{self, Decoded};
use crate::sniff;

/// A complete, bounded response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL that answered, after redirects.
    pub final_url: Url,
    pub status: u16,
    pub headers: http::HeaderMap,
    /// The body after decompression, at most `max_body_bytes` long.
    pub body: Bytes,
    /// URLs that answered with a followed redirect, in order, starting with
    /// the requested URL; empty when there was no redirect.
    pub redirects: Vec<Url>,
    /// HTTP version of the final exchange.
    pub version: http::Version,
    /// Wall time of the whole fetch, redirects and body included.
    pub elapsed: Duration,
    /// The body as it came off the wire, when Trawl undid its gzip or
    /// deflate coding (`body` is the decoded form). Recordings store this.
    pub wire: Option<WireBody>,
}

/// A body before its content coding was undone, with that coding (the
/// `Content-Encoding` the decoded response no longer carries).
#[derive(Debug, Clone)]
pub struct WireBody {
    pub content_encoding: http::HeaderValue,
    pub bytes: Bytes,
}

impl Response {
    /// The raw `Content-Type` header value, when present and readable.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }

    /// True for `text/html` and `application/xhtml+xml`, or, without a
    /// `Content-Type`, for a body that starts like HTML.
    pub fn is_html(&self) -> bool {
        match self.content_type() {
            Some(content_type) => charset::is_html_content_type(content_type),
            None => sniff::looks_like_html(&self.body),
        }
    }

    /// True when the body looks like binary data (control bytes in its
    /// first 1 KiB), whatever `Content-Type` claims: an image served as
    /// `text/html` should not reach the HTML extractor.
    pub fn looks_binary(&self) -> bool {
        sniff::looks_binary(&self.body)
    }

    /// The wait `Retry-After` asks for, given as seconds or as an HTTP date
    /// (a date in the past means no wait).
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self
            .headers
            .get(http::header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim();
        parse_retry_after(value, SystemTime::now())
    }

    /// The body as text, in the encoding the bytes, the headers or the
    /// page itself declare (see [`charset::decode`]).
    pub fn decode_text(&self) -> Decoded<'_> {
        charset::decode(&self.body, self.content_type())
    }
}

/// Parses a `Retry-After` value relative to `now`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let retry_at = httpdate::parse_http_date(value).ok()?;
    Some(retry_at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests;
