//! The HTTP response inside a `response` record: status line, headers and
//! body, with the body's transfer coding (chunked) and content coding
//! (gzip, deflate) undone.
//!
//! Trawl's own records store the decoded body with consistent headers (see
//! `writer.rs`), but wget and Browsertrix store the bytes as they came off
//! the wire, so replay and import must decode them here. The block is
//! untrusted: every length is checked against what the block holds and the
//! decoded size is capped by [`ReadLimits::max_record_bytes`].

use std::io::Read;

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::HttpError;
use crate::record::{ReadLimits, lossy_prefix};

/// A recorded HTTP response, its body decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The protocol in the status line, e.g. `HTTP/1.1`.
    pub version: String,
    pub status: u16,
    pub reason: String,
    /// The recorded headers, minus `Transfer-Encoding`, `Content-Encoding`
    /// and `Content-Length` when the body was decoded from them, so the
    /// headers describe `body` as a live fetch's decompressed `Response`
    /// would.
    pub headers: HeaderMap,
    /// The body after removing chunked transfer coding and content coding.
    pub body: Vec<u8>,
    /// Header lines dropped because their name or value is not valid HTTP
    /// (an http::HeaderMap cannot hold them).
    pub skipped_headers: usize,
}

impl HttpResponse {
    /// Parses a `response` record's block.
    pub fn parse(block: &[u8], limits: &ReadLimits) -> Result<HttpResponse, HttpError> {
        let (head, rest) = split_head(block).ok_or(HttpError::UnterminatedHeaders)?;
        let mut lines = head.split(|&byte| byte == b'\n').map(trim_cr);
        let status_line = lines.next().unwrap_or_default();
        let (version, status, reason) = parse_status_line(status_line)?;

        let mut raw_headers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for line in lines {
            if line.is_empty() {
                continue;
            }
            if line[0] == b' ' || line[0] == b'\t' {
                let Some(last) = raw_headers.last_mut() else {
                    return Err(HttpError::MalformedHeader(lossy_prefix(line)));
                };
                last.1.push(b' ');
                last.1.extend_from_slice(line.trim_ascii());
                continue;
            }
            let Some(colon) = line.iter().position(|&byte| byte == b':') else {
                return Err(HttpError::MalformedHeader(lossy_prefix(line)));
            };
            raw_headers.push((
                line[..colon].trim_ascii().to_vec(),
                line[colon + 1..].trim_ascii().to_vec(),
            ));
        }

        let mut headers = HeaderMap::new();
        let mut skipped_headers = 0;
        for (name, value) in raw_headers {
            match (
                HeaderName::from_bytes(&name),
                HeaderValue::from_bytes(&value),
            ) {
                (Ok(name), Ok(value)) => {
                    headers.append(name, value);
                }
                _ => skipped_headers += 1,
            }
        }

        let chunked = header_tokens(&headers, http::header::TRANSFER_ENCODING)
            .last()
            .is_some_and(|coding| coding == "chunked");
        let mut body = if chunked {
            headers.remove(http::header::TRANSFER_ENCODING);
            headers.remove(http::header::CONTENT_LENGTH);
            dechunk(rest)?
        } else if let Some(declared) = content_length(&headers)? {
            let available = rest.len() as u64;
            if declared > available {
                return Err(HttpError::BodyTruncated {
                    declared,
                    available,
                });
            }
            // Bytes after the declared length are not part of the message
            // (some recorders leave trailing CRLFs); `declared <= len` here.
            rest[..usize::try_from(declared).unwrap_or(rest.len())].to_vec()
        } else {
            rest.to_vec()
        };

        let codings = header_tokens(&headers, http::header::CONTENT_ENCODING);
        if codings.iter().any(|coding| coding != "identity") {
            // Codings are listed in the order they were applied.
            for coding in codings.iter().rev() {
                body = decode_content(coding, &body, limits)?;
            }
            headers.remove(http::header::CONTENT_ENCODING);
            headers.remove(http::header::CONTENT_LENGTH);
        }

        Ok(HttpResponse {
            version,
            status,
            reason,
            headers,
            body,
            skipped_headers,
        })
    }
}

/// Splits at the first empty line (CRLF CRLF or LF LF).
fn split_head(block: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut line_start = 0;
    while line_start < block.len() {
        let line_end = block[line_start..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map(|position| line_start + position)?;
        let line = trim_cr(&block[line_start..line_end]);
        if line.is_empty() && line_start > 0 {
            return Some((&block[..line_start], &block[line_end + 1..]));
        }
        line_start = line_end + 1;
    }
    None
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn parse_status_line(line: &[u8]) -> Result<(String, u16, String), HttpError> {
    let bad = || HttpError::BadStatusLine(lossy_prefix(line));
    let text = std::str::from_utf8(line).map_err(|_| bad())?;
    let mut parts = text.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    let reason = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/")
        || code.len() != 3
        || !code.bytes().all(|byte| byte.is_ascii_digit())
    {
        return Err(bad());
    }
    let status = code.parse().map_err(|_| bad())?;
    Ok((version.to_owned(), status, reason.trim().to_owned()))
}

/// The comma-separated, lowercased tokens of every value of `name`.
fn header_tokens(headers: &HeaderMap, name: HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .split(',')
                .map(|token| token.trim().to_ascii_lowercase())
                .filter(|token| !token.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `Content-Length`, when present; every value (and list element) must be
/// the same integer, as RFC 9110 requires of recipients.
fn content_length(headers: &HeaderMap) -> Result<Option<u64>, HttpError> {
    let mut length = None;
    for token in header_tokens(headers, http::header::CONTENT_LENGTH) {
        let value: u64 = token
            .parse()
            .map_err(|_| HttpError::BadContentLength(token.clone()))?;
        if length.is_some_and(|previous| previous != value) {
            return Err(HttpError::BadContentLength(token));
        }
        length = Some(value);
    }
    Ok(length)
}

/// Removes chunked transfer coding. Trailers after the last chunk are
/// dropped; a body without its last (zero-size) chunk is an error, since
/// the response was cut short.
fn dechunk(mut input: &[u8]) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let line_end = input
            .iter()
            .take(1024)
            .position(|&byte| byte == b'\n')
            .ok_or(HttpError::BadChunk("missing or overlong chunk-size line"))?;
        let line = trim_cr(&input[..line_end]);
        input = &input[line_end + 1..];
        let size_text = line
            .split(|&byte| byte == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        let size_text =
            std::str::from_utf8(size_text).map_err(|_| HttpError::BadChunk("bad chunk size"))?;
        if size_text.is_empty() || size_text.len() > 16 {
            return Err(HttpError::BadChunk("bad chunk size"));
        }
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| HttpError::BadChunk("bad chunk size"))?;
        if size == 0 {
            return Ok(body);
        }
        let size = usize::try_from(size)
            .ok()
            .filter(|&size| size <= input.len())
            .ok_or(HttpError::BadChunk("chunk runs past the end of the record"))?;
        body.extend_from_slice(&input[..size]);
        input = &input[size..];
        input = if let Some(rest) = input.strip_prefix(b"\r\n") {
            rest
        } else if let Some(rest) = input.strip_prefix(b"\n") {
            rest
        } else {
            return Err(HttpError::BadChunk("chunk data not followed by CRLF"));
        };
    }
}

fn decode_content(coding: &str, body: &[u8], limits: &ReadLimits) -> Result<Vec<u8>, HttpError> {
    match coding {
        "identity" => Ok(body.to_vec()),
        "gzip" | "x-gzip" => read_capped(MultiGzDecoder::new(body), coding, limits),
        // "deflate" means zlib-wrapped, but many servers send raw deflate.
        "deflate" => read_capped(ZlibDecoder::new(body), coding, limits)
            .or_else(|_| read_capped(DeflateDecoder::new(body), coding, limits)),
        other => Err(HttpError::UnsupportedContentEncoding(other.to_owned())),
    }
}

fn read_capped(
    decoder: impl Read,
    coding: &str,
    limits: &ReadLimits,
) -> Result<Vec<u8>, HttpError> {
    let mut out = Vec::new();
    decoder
        .take(limits.max_record_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|error| HttpError::BadContentEncoding {
            encoding: coding.to_owned(),
            message: error.to_string(),
        })?;
    if out.len() as u64 > limits.max_record_bytes {
        return Err(HttpError::BodyTooLarge {
            limit: limits.max_record_bytes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
