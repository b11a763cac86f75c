//! WARC recording and replay building blocks (issue 5).
//!
//! - [`RecordingWriter`] writes a run's HTTP exchanges to rotating
//!   WARC/1.1 files, one gzip member per record, and appends an index
//!   (URL → file, offset, length) so replay never scans.
//! - [`WarcReader`] iterates the records of any `.warc` / `.warc.gz`
//!   (Trawl's, wget's, Browsertrix's, warcio's); [`read_record_at`] reads
//!   one record where the index points; [`HttpResponse::parse`] turns a
//!   response record into status, headers and decoded body.
//! - [`index_warc_file`] indexes foreign WARC files for `trawl import-warc`.
//! - [`Recording`] looks recorded responses up by URL for replay.
//!
//! The engine wiring (teeing the fetcher, a replay `Fetch`) lives outside
//! this crate. Everything here is synchronous std IO: callers run it on a
//! blocking thread. Every file is untrusted input: malformed data is a
//! typed error ([`WarcError`], [`HttpError`]), never a panic.

mod error;
mod import;
mod index;
mod message;
mod reader;
mod record;
mod replay;
mod writer;

pub use crate::error::{HttpError, IndexError, WarcError, WriteError};
pub use crate::import::{ImportReport, index_warc_file};
pub use crate::index::{Index, IndexAppender, IndexEntry, write_index};
pub use crate::message::HttpResponse;
pub use crate::reader::{RecordAt, WarcReader, read_record_at};
pub use crate::record::{ReadLimits, WARC_VERSION, WarcHeaders, WarcRecord};
pub use crate::replay::{RecordedOutcome, RecordedResponse, Recording, has_recording};
pub use crate::writer::{
    DEFAULT_MAX_FILE_BYTES, Exchange, Failure, RecordingConfig, RecordingWriter, WireBody,
    index_path,
};
