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
use crate::fetcher::BodyLimit;
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

/// Undoes a gzip or deflate `Content-Encoding` of `wire`, at most `limit`
/// bytes of output. The headers then describe the decoded body (no
/// `Content-Encoding`, no `Content-Length`, as reqwest leaves them when it
/// decodes) and the wire bytes come back with their coding, unless the body
/// was cut ([`BodyLimit::Truncate`] past the limit): then only the decoded
/// start is kept, so a recording replays what the crawl saw. Any other
/// coding, several codings, or none pass through unchanged.
pub(crate) fn decode_content(
    headers: &mut HeaderMap,
    wire: Bytes,
    limit: BodyLimit,
) -> Result<(Bytes, Option<WireBody>), FetchError> {
    let limit_bytes = limit.bytes();
    let mut codings = headers.get_all(CONTENT_ENCODING).iter();
    let (Some(only), None) = (codings.next(), codings.next()) else {
        return Ok((wire, None));
    };
    let Some(coding) = coding_of(only) else {
        return Ok((wire, None));
    };
    let content_encoding = only.clone();
    headers.remove(CONTENT_ENCODING);
    headers.remove(CONTENT_LENGTH);
    // An empty body (HEAD-like answers, 204s with a stray header) has
    // nothing to decode.
    if wire.is_empty() {
        return Ok((wire, None));
    }
    // The read stopped at the limit: the stream may end early.
    let wire_cut = matches!(limit, BodyLimit::Truncate(_)) && wire.len() as u64 >= limit_bytes;
    let decoded = match coding {
        Coding::Gzip => read_capped(MultiGzDecoder::new(&wire[..]), &wire, limit_bytes),
        Coding::Deflate => read_capped(ZlibDecoder::new(&wire[..]), &wire, limit_bytes),
    };
    let (decoded, cut) = match decoded {
        Decoded::Whole(body) => (body, false),
        Decoded::Over(mut body) => match limit {
            BodyLimit::Fail(_) => return Err(FetchError::BodyTooLarge { limit_bytes }),
            BodyLimit::Truncate(_) => {
                // Lossless: the length is at most `limit_bytes + 1`, a usize.
                body.truncate(limit_bytes as usize);
                (body, true)
            }
        },
        // Only a stream the read itself cut may end early; anything else
        // (a bad checksum, garbage) is an error, as it is for pages.
        Decoded::Broken(body, _) if wire_cut && !body.is_empty() => (body, true),
        Decoded::Broken(_, reason) => return Err(FetchError::Decompression { reason }),
    };
    let wire = (!cut && !wire_cut).then_some(WireBody {
        content_encoding,
        bytes: wire,
    });
    Ok((Bytes::from(decoded), wire))
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

/// What a capped read of a decoder gave.
enum Decoded {
    Whole(Vec<u8>),
    /// More than the limit (one byte more is read to know).
    Over(Vec<u8>),
    /// The stream failed after these bytes.
    Broken(Vec<u8>, String),
}

/// Reads at most one byte past the limit, so a bomb costs the limit, not
/// its declared size. The buffer starts at a guess from the wire size (HTML
/// deflates to about a quarter) so it rarely doubles, and is trimmed when
/// the guess was far off: the body is kept for the whole page's life.
fn read_capped(decoder: impl Read, wire: &[u8], limit_bytes: u64) -> Decoded {
    let cap = limit_bytes.saturating_add(1);
    let guess = (wire.len() as u64).saturating_mul(4).min(cap);
    let mut decoded = Vec::with_capacity(usize::try_from(guess).unwrap_or(0));
    let read = decoder.take(cap).read_to_end(&mut decoded);
    if decoded.capacity() > decoded.len() + decoded.len() / 4 + 4096 {
        decoded.shrink_to_fit();
    }
    match read {
        Err(error) => Decoded::Broken(decoded, error.to_string()),
        Ok(_) if decoded.len() as u64 > limit_bytes => Decoded::Over(decoded),
        Ok(_) => Decoded::Whole(decoded),
    }
}

#[cfg(test)]
mod tests;
