//! gzip and deflate content coding, undone here rather than by reqwest, so
//! the bytes as they came off the wire are kept next to the decoded body.
//!
//! A recording stores what the server sent (as wget, Heritrix and
//! Browsertrix do, and as WARC readers expect), and the compressed bytes
//! are a quarter of the decoded HTML: recording them costs neither a second
//! compression nor the disk. reqwest still decodes brotli and zstd (rarer
//! for HTML; recorded decoded). Decoding is capped like any body: a gzip
//! bomb stops at the cap.

use std::io::Read;

use bytes::Bytes;
use flate2::read::{MultiGzDecoder, ZlibDecoder};
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use http::{HeaderMap, HeaderValue};

use crate::FetchError;
use crate::response::WireBody;

/// What `Accept-Encoding` offers: the codings this module decodes, then the
/// ones reqwest does.
pub(crate) const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// A content coding decoded here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    /// HTTP's "deflate" is a zlib stream (RFC 9110), as reqwest reads it.
    Deflate,
}

/// A body longer than the limit after decoding: fail, or keep its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    Fail,
    Truncate,
}

/// Undoes a gzip or deflate `Content-Encoding` of `wire`, at most
/// `limit_bytes` of output. The headers then describe the decoded body (no
/// `Content-Encoding`, no `Content-Length`, as reqwest leaves them when it
/// decodes) and the wire bytes come back with their coding. Any other
/// coding, or none, passes through unchanged.
pub(crate) fn decode_content(
    headers: &mut HeaderMap,
    wire: Bytes,
    limit_bytes: u64,
    overflow: Overflow,
) -> Result<(Bytes, Option<WireBody>), FetchError> {
    let Some(coding) = headers.get(CONTENT_ENCODING).and_then(coding_of) else {
        return Ok((wire, None));
    };
    let content_encoding = headers
        .remove(CONTENT_ENCODING)
        .unwrap_or(HeaderValue::from_static("gzip"));
    headers.remove(CONTENT_LENGTH);
    // An empty body (HEAD-like answers, 204s with a stray header) has
    // nothing to decode.
    if wire.is_empty() {
        return Ok((wire, None));
    }
    let decoded = match coding {
        Coding::Gzip => read_capped(MultiGzDecoder::new(&wire[..]), limit_bytes, overflow)?,
        Coding::Deflate => read_capped(ZlibDecoder::new(&wire[..]), limit_bytes, overflow)?,
    };
    Ok((
        Bytes::from(decoded),
        Some(WireBody {
            content_encoding,
            bytes: wire,
        }),
    ))
}

fn coding_of(value: &HeaderValue) -> Option<Coding> {
    let value = value.to_str().ok()?.trim();
    if value.eq_ignore_ascii_case("gzip") || value.eq_ignore_ascii_case("x-gzip") {
        Some(Coding::Gzip)
    } else if value.eq_ignore_ascii_case("deflate") {
        Some(Coding::Deflate)
    } else {
        None
    }
}

/// Reads at most one byte past the limit, so a bomb costs the limit, not
/// its declared size.
fn read_capped(
    decoder: impl Read,
    limit_bytes: u64,
    overflow: Overflow,
) -> Result<Vec<u8>, FetchError> {
    let mut decoded = Vec::new();
    let read = decoder
        .take(limit_bytes.saturating_add(1))
        .read_to_end(&mut decoded);
    match read {
        Ok(_) => {}
        // A truncated read (robots.txt past its cap) may have cut the
        // stream: what decoded before the cut is what is kept.
        Err(_) if overflow == Overflow::Truncate && !decoded.is_empty() => {}
        Err(error) => {
            return Err(FetchError::Decompression {
                reason: error.to_string(),
            });
        }
    }
    if decoded.len() as u64 > limit_bytes {
        match overflow {
            Overflow::Fail => return Err(FetchError::BodyTooLarge { limit_bytes }),
            // Lossless: the length is at most `limit_bytes + 1`, a usize.
            Overflow::Truncate => decoded.truncate(limit_bytes as usize),
        }
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests;
