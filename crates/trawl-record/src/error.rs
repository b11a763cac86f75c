//! Typed errors of the crate, one enum per concern: reading WARC files
//! ([`WarcError`]), parsing the HTTP message inside a record
//! ([`HttpError`]), writing recordings ([`WriteError`]) and the index
//! ([`IndexError`]).
//!
//! Recordings may come from other tools (`trawl import-warc`), so every
//! malformation a file can contain has a variant here: the reader never
//! panics on file contents and never guesses silently.

use std::io;
use std::path::PathBuf;

/// Why a WARC file or one of its records could not be read.
///
/// `offset` is the byte offset in the file (compressed, for `.warc.gz`) of
/// the record or gzip member where the problem was found.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    /// The file could not be opened or read.
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A gzip member ends before its trailer: the file was cut short, for
    /// example by a crash while writing.
    #[error("gzip member at offset {offset} is truncated")]
    TruncatedGzip { offset: u64 },
    /// A gzip member's header, deflate data or checksum is wrong.
    #[error("gzip member at offset {offset} is corrupt: {message}")]
    CorruptGzip { offset: u64, message: String },
    /// The bytes where a record should start are not `WARC/...`.
    #[error("no WARC record at offset {offset} (found {found:?})")]
    NotWarc { offset: u64, found: String },
    /// A header line is neither `Name: value` nor a continuation line.
    #[error("malformed WARC header line at offset {offset}: {line:?}")]
    MalformedHeader { offset: u64, line: String },
    /// The header block exceeds [`crate::ReadLimits::max_header_bytes`]
    /// or the file ends inside it.
    #[error("WARC header block at offset {offset} is too large or unterminated")]
    HeaderTooLarge { offset: u64 },
    /// The record has no `Content-Length`, so its end cannot be found.
    #[error("WARC record at offset {offset} has no Content-Length")]
    MissingContentLength { offset: u64 },
    /// `Content-Length` is not a non-negative integer.
    #[error("WARC record at offset {offset} has a bad Content-Length {value:?}")]
    BadContentLength { offset: u64, value: String },
    /// The record (or a gzip member) is larger than
    /// [`crate::ReadLimits::max_record_bytes`].
    #[error("WARC record at offset {offset} exceeds the {limit}-byte limit")]
    RecordTooLarge { offset: u64, limit: u64 },
    /// The file ends before the `Content-Length` bytes of the block.
    #[error("WARC record at offset {offset} is truncated: {found} of {expected} block bytes")]
    TruncatedRecord {
        offset: u64,
        expected: u64,
        found: u64,
    },
    /// No record starts at the requested offset (past the end of the file,
    /// or a record index inside a gzip member that has fewer records).
    #[error("no record at offset {offset} (record {record_in_member} of its member)")]
    NoRecordAt { offset: u64, record_in_member: u32 },
    /// A record of another type was asked to be read as an HTTP response.
    #[error("WARC record is of type {record_type:?}, not an HTTP response")]
    NotAResponse { record_type: String },
    /// The HTTP message inside a `response` record is malformed.
    #[error("HTTP message in WARC record: {0}")]
    Http(#[from] HttpError),
}

/// Why the HTTP response stored in a record could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HttpError {
    /// The block does not contain the blank line that ends the headers.
    #[error("HTTP headers are not terminated")]
    UnterminatedHeaders,
    /// The first line is not `HTTP/x.y NNN reason`.
    #[error("bad HTTP status line {0:?}")]
    BadStatusLine(String),
    /// A header line has no colon.
    #[error("malformed HTTP header line {0:?}")]
    MalformedHeader(String),
    /// `Content-Length` is not an integer, or two values disagree.
    #[error("bad HTTP Content-Length {0:?}")]
    BadContentLength(String),
    /// `Content-Length` promises more bytes than the record holds.
    #[error("HTTP body is truncated: {available} of {declared} bytes")]
    BodyTruncated { declared: u64, available: u64 },
    /// The chunked transfer coding is malformed.
    #[error("bad chunked body: {0}")]
    BadChunk(&'static str),
    /// The body uses a content coding this crate does not decode.
    #[error("unsupported Content-Encoding {0:?}")]
    UnsupportedContentEncoding(String),
    /// The gzip or deflate content coding could not be decoded.
    #[error("bad {encoding} body: {message}")]
    BadContentEncoding { encoding: String, message: String },
    /// The decoded body exceeds [`crate::ReadLimits::max_record_bytes`].
    #[error("decoded HTTP body exceeds the {limit}-byte limit")]
    BodyTooLarge { limit: u64 },
}

/// Why a recording could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Creating, writing or syncing a WARC or index file failed.
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The run name would not make a safe file name.
    #[error("run name {0:?} must be 1-64 characters of [A-Za-z0-9_.-]")]
    BadRunName(String),
    /// The index already in the directory could not be read.
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Why an index file could not be read or appended to.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Reading or writing the index file failed.
    #[error("index {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A complete line (not the last, possibly torn one) is not a valid
    /// entry: the file was edited or corrupted, not merely cut short.
    #[error("index {path} line {line} is not a valid entry: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
}
