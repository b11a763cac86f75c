//! The WARC record format (ISO 28500, WARC/1.1): a version line, named
//! fields, a blank line, a content block of exactly `Content-Length` bytes,
//! and two CRLFs.
//!
//! Written here rather than taken from the `warc` crate (0.4): that crate
//! brings nom, uuid 0.8 and libflate, compresses through its own writer
//! without telling the caller where each record's gzip member starts (the
//! index needs those offsets), and its parser's limits are not ours to set.
//! The format is a small text header block, and recordings imported from
//! other tools are untrusted input, so the parser below bounds the header
//! block and the content block and turns every malformation into a
//! [`WarcError`].

use std::io::{self, BufRead, Read};
use std::path::Path;

use crate::error::WarcError;
use crate::message::HttpResponse;

/// The version line Trawl writes.
pub const WARC_VERSION: &str = "WARC/1.1";

/// Bounds that keep a hostile or broken file from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest WARC header block (all named fields together).
    pub max_header_bytes: usize,
    /// Largest content block, decompressed gzip member, or decoded HTTP
    /// body. Trawl's own records never exceed the fetcher's body cap.
    pub max_record_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_header_bytes: 64 * 1024,
            max_record_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The named fields of a record, in file order. Names compare without
/// regard to case, as the standard says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarcHeaders {
    fields: Vec<(String, String)>,
}

impl WarcHeaders {
    /// No fields.
    pub fn new() -> Self {
        WarcHeaders::default()
    }

    /// Appends a field; fields may repeat (e.g. `WARC-Concurrent-To`).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fields.push((name.into(), value.into()));
    }

    /// The first value of `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every field, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }
}

/// One WARC record, its content block held in memory (bounded by
/// [`ReadLimits::max_record_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcRecord {
    /// The version line, e.g. `WARC/1.1` or `WARC/1.0`.
    pub version: String,
    pub headers: WarcHeaders,
    pub block: Vec<u8>,
}

impl WarcRecord {
    /// `WARC-Type`, e.g. `response`; empty when missing.
    pub fn record_type(&self) -> &str {
        self.headers.get("WARC-Type").unwrap_or("")
    }

    /// `WARC-Target-URI`, with the angle brackets some WARC/1.0 writers
    /// put around it removed.
    pub fn target_uri(&self) -> Option<&str> {
        self.headers.get("WARC-Target-URI").map(|uri| {
            uri.strip_prefix('<')
                .and_then(|inner| inner.strip_suffix('>'))
                .unwrap_or(uri)
        })
    }

    /// `WARC-Record-ID`, e.g. `<urn:uuid:...>`.
    pub fn record_id(&self) -> Option<&str> {
        self.headers.get("WARC-Record-ID")
    }

    /// `WARC-Date` as written.
    pub fn date(&self) -> Option<&str> {
        self.headers.get("WARC-Date")
    }

    /// Parses the HTTP response in a `response` record's block, undoing
    /// chunked transfer coding and gzip/deflate content coding.
    pub fn http_response(&self, limits: &ReadLimits) -> Result<HttpResponse, WarcError> {
        if self.record_type() != "response" {
            return Err(WarcError::NotAResponse {
                record_type: self.record_type().to_owned(),
            });
        }
        Ok(HttpResponse::parse(&self.block, limits)?)
    }

    /// The record serialised: header block (with `Content-Length` taken
    /// from the block, whatever the fields say), block, two CRLFs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.block.len() + 512);
        out.extend_from_slice(self.version.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in self.headers.iter() {
            if name.eq_ignore_ascii_case("Content-Length") {
                continue;
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            // A value must not break out of its line; writers in this crate
            // never produce newlines, but callers may pass URLs from sites.
            out.extend(value.bytes().map(|byte| {
                if byte == b'\r' || byte == b'\n' {
                    b' '
                } else {
                    byte
                }
            }));
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.block.len()).as_bytes());
        out.extend_from_slice(&self.block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }
}

/// Reads one record from `reader`; `Ok(None)` at a clean end of input.
///
/// `offset` is only used in errors (it is where the record or its gzip
/// member starts); `path` likewise.
pub(crate) fn read_record<R: BufRead>(
    reader: &mut R,
    limits: &ReadLimits,
    offset: u64,
    path: &Path,
) -> Result<Option<WarcRecord>, WarcError> {
    let io_error = |source: io::Error| WarcError::Io {
        path: path.to_owned(),
        source,
    };
    let mut budget = limits.max_header_bytes;

    // Version line, after any stray blank lines some writers leave.
    let version = loop {
        let Some(line) = read_line(reader, &mut budget).map_err(io_error)? else {
            return Ok(None);
        };
        if !line.ends_with(b"\n") && budget == 0 {
            return Err(WarcError::HeaderTooLarge { offset });
        }
        let trimmed = trim_eol(&line);
        if trimmed.is_empty() {
            if budget == 0 {
                return Err(WarcError::HeaderTooLarge { offset });
            }
            continue;
        }
        if !trimmed.starts_with(b"WARC/") || !line.ends_with(b"\n") {
            return Err(WarcError::NotWarc {
                offset,
                found: lossy_prefix(trimmed),
            });
        }
        break String::from_utf8_lossy(trimmed).into_owned();
    };

    let mut headers = WarcHeaders::new();
    loop {
        let Some(line) = read_line(reader, &mut budget).map_err(io_error)? else {
            return Err(WarcError::HeaderTooLarge { offset });
        };
        if !line.ends_with(b"\n") {
            // Either the budget ran out or the input ended mid-header.
            return Err(WarcError::HeaderTooLarge { offset });
        }
        let trimmed = trim_eol(&line);
        if trimmed.is_empty() {
            break;
        }
        if trimmed[0] == b' ' || trimmed[0] == b'\t' {
            // Continuation of the previous field's value (obsolete folding).
            let Some(last) = headers.fields.last_mut() else {
                return Err(WarcError::MalformedHeader {
                    offset,
                    line: lossy_prefix(trimmed),
                });
            };
            last.1.push(' ');
            last.1.push_str(String::from_utf8_lossy(trimmed).trim());
            continue;
        }
        let Some(colon) = trimmed.iter().position(|&byte| byte == b':') else {
            return Err(WarcError::MalformedHeader {
                offset,
                line: lossy_prefix(trimmed),
            });
        };
        let name = &trimmed[..colon];
        if name.is_empty() || name.iter().any(|byte| byte.is_ascii_whitespace()) {
            return Err(WarcError::MalformedHeader {
                offset,
                line: lossy_prefix(trimmed),
            });
        }
        headers.push(
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(&trimmed[colon + 1..])
                .trim()
                .to_owned(),
        );
    }

    let length_text = headers
        .get("Content-Length")
        .ok_or(WarcError::MissingContentLength { offset })?;
    let length: u64 = length_text
        .parse()
        .map_err(|_| WarcError::BadContentLength {
            offset,
            value: length_text.to_owned(),
        })?;
    if length > limits.max_record_bytes {
        return Err(WarcError::RecordTooLarge {
            offset,
            limit: limits.max_record_bytes,
        });
    }
    // `read_to_end` grows the buffer as bytes arrive, so a lying
    // Content-Length cannot make us allocate more than the input holds.
    let mut block = Vec::new();
    (&mut *reader)
        .take(length)
        .read_to_end(&mut block)
        .map_err(io_error)?;
    let found = block.len() as u64;
    if found < length {
        return Err(WarcError::TruncatedRecord {
            offset,
            expected: length,
            found,
        });
    }
    skip_record_terminator(reader).map_err(io_error)?;
    Ok(Some(WarcRecord {
        version,
        headers,
        block,
    }))
}

/// Reads up to and including `\n`, at most `budget` bytes (which it
/// decrements). `None` at end of input.
fn read_line<R: BufRead>(reader: &mut R, budget: &mut usize) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(*budget as u64)
        .read_until(b'\n', &mut line)?;
    *budget -= read;
    Ok((read > 0).then_some(line))
}

/// Consumes the CRLF CRLF after a block, tolerating bare LFs and a missing
/// terminator at end of input (both seen in the wild).
fn skip_record_terminator<R: BufRead>(reader: &mut R) -> io::Result<()> {
    for _ in 0..4 {
        let next = reader.fill_buf()?.first().copied();
        match next {
            Some(b'\r' | b'\n') => reader.consume(1),
            _ => break,
        }
    }
    Ok(())
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// At most 80 bytes of `bytes`, for error messages.
pub(crate) fn lossy_prefix(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned()
}

#[cfg(test)]
mod tests;
