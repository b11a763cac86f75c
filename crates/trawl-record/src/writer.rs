//! `RecordingWriter`: writes a run's HTTP exchanges to WARC/1.1 files and
//! keeps the index that lets replay find them.
//!
//! Layout of a recording folder:
//! `trawl-RUN-00000.warc.gz`, `trawl-RUN-00001.warc.gz`, … (rotated when a
//! file reaches `max_file_bytes`) and `trawl-RUN.index.jsonl`. Each file
//! starts with a `warcinfo` record; each exchange is a `request` record and
//! a `response` record linked both ways by `WARC-Concurrent-To`. Every
//! record is its own gzip member, so an index offset is a place a reader
//! can seek to and decompress from.
//!
//! **The stored body is the body as sent when the fetcher kept it**
//! ([`Exchange::wire`]: gzip and deflate, which the fetcher decodes itself),
//! with its `Content-Encoding` and a `Content-Length` of those bytes, as
//! wget and Browsertrix record: WARC readers, and replay, decode it. That
//! record is stored in a gzip member without compressing it again (its
//! body is compressed already), so recording such a response costs a copy
//! and a digest, not a deflate. **Otherwise the stored body is the decoded
//! body** (the fetcher's HTTP client decoded brotli or zstd): the bytes the
//! extractor saw, which replay hands back. To keep that HTTP message
//! parseable by any WARC reader, its headers are made consistent with it:
//! `Content-Encoding`, `Transfer-Encoding` and `Content-Length` are
//! dropped, a `Content-Length` of the stored body is added, and the
//! original values are kept in WARC headers
//! (`WARC-Trawl-Original-Content-Encoding`, …). The status line always
//! says `HTTP/1.1` (as warcio and Browsertrix do for HTTP/2 exchanges); the
//! real protocol is in `WARC-Trawl-Http-Version`.
//!
//! **Crash safety.** Records are written to the current file and flushed
//! to the OS before the index lines that point at them are appended, so a
//! crashed process leaves an index whose every entry is readable. Both are
//! buffered until [`RecordingWriter::flush`] (the engine flushes whenever
//! its queue of exchanges runs dry): two write calls per batch, not per
//! exchange, which were a third of recording's cost. WARC
//! files are never appended to after reopening: a new writer starts a new
//! file number. [`RecordingWriter::sync`] adds fsync for power loss.
//!
//! The writer is synchronous (std files); the engine is expected to call
//! it from a blocking task or a dedicated thread, as it does the store.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use http::{HeaderMap, HeaderValue, Method, Version};
use sha1::{Digest, Sha1};
use url::Url;

use crate::error::WriteError;
use crate::index::{IndexAppender, IndexEntry};
use crate::record::{WARC_VERSION, WarcHeaders, WarcRecord};

/// Files rotate once they reach this size unless configured otherwise.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// Where and how a run is recorded.
#[derive(Debug, Clone)]
pub struct RecordingConfig {
    /// The folder for the WARC files and the index (created if missing).
    pub dir: PathBuf,
    /// The run's name in file names: `trawl-RUN-00000.warc.gz`.
    pub run_name: String,
    /// A file that has reached this size is closed and the next exchange
    /// starts a new one. An exchange is never split across files.
    pub max_file_bytes: u64,
    /// gzip level, 0–9. Recording's CPU cost is mostly compression.
    pub compression_level: u32,
    /// `software` field of the `warcinfo` record.
    pub software: String,
}

impl RecordingConfig {
    /// Defaults: 1 GiB files, gzip level 6.
    pub fn new(dir: impl Into<PathBuf>, run_name: impl Into<String>) -> RecordingConfig {
        RecordingConfig {
            dir: dir.into(),
            run_name: run_name.into(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            compression_level: 6,
            software: concat!("trawl/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// The index file of this run's recording.
    pub fn index_path(&self) -> PathBuf {
        index_path(&self.dir, &self.run_name)
    }
}

/// The index file name for `run_name` in `dir`.
pub fn index_path(dir: &Path, run_name: &str) -> PathBuf {
    dir.join(format!("trawl-{run_name}.index.jsonl"))
}

/// One HTTP exchange as the fetcher saw it: one hop, so a redirect chain
/// is recorded as one exchange per hop.
#[derive(Debug, Clone)]
pub struct Exchange<'a> {
    pub method: &'a Method,
    /// The URL of this hop (`WARC-Target-URI`).
    pub url: &'a Url,
    pub request_headers: &'a HeaderMap,
    pub status: u16,
    pub version: Version,
    /// Headers as received; encoding headers are rewritten (module docs).
    pub response_headers: &'a HeaderMap,
    /// The body after decompression.
    pub body: &'a [u8],
    /// The body as it came off the wire with its content coding, when the
    /// fetcher kept it; recorded instead of `body` (module docs).
    pub wire: Option<WireBody<'a>>,
    /// When the request was sent (`WARC-Date` of both records).
    pub started_at: SystemTime,
    /// Time from sending the request to the end of the body.
    pub elapsed: Duration,
    /// Where the redirect chain this hop belongs to ended, when that is
    /// not `url` (`WARC-Trawl-Final-URI`).
    pub final_url: Option<&'a Url>,
    /// The URL the crawler asked for, when the response came from another
    /// (after redirects; `WARC-Trawl-Requested-URI`). Replay looks
    /// responses up by it.
    pub requested_url: Option<&'a Url>,
    /// The URLs that redirected on the way, in order (`WARC-Trawl-Redirects`).
    pub redirects: &'a [Url],
    /// 0 for a first try, 1.. for retries (`WARC-Trawl-Attempt`).
    pub attempt: u32,
    /// What the fetch was for: `page`, `robots` or `sitemap` (`WARC-Trawl-Fetch`).
    pub purpose: &'a str,
}

impl<'a> Exchange<'a> {
    /// The body the response record holds: the wire form when there is one.
    fn stored_body(&self) -> &'a [u8] {
        self.wire.map_or(self.body, |wire| wire.bytes)
    }
}

/// A response body before its content coding (gzip, deflate) was undone.
#[derive(Debug, Clone, Copy)]
pub struct WireBody<'a> {
    pub content_encoding: &'a HeaderValue,
    pub bytes: &'a [u8],
}

/// A fetch that got no usable response (a timeout, a body over the cap, a
/// redirect loop, ...): recorded as a `metadata` record, so replay gives
/// the same outcome back instead of fetching.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub requested_url: &'a Url,
    pub attempt: u32,
    pub purpose: &'a str,
    /// The fetcher's error kind (`timeout_total`, `body_too_large`, ...).
    pub kind: &'a str,
    pub message: &'a str,
    pub started_at: SystemTime,
    pub elapsed: Duration,
}

/// Writes exchanges to rotating WARC files plus the index.
#[derive(Debug)]
pub struct RecordingWriter {
    config: RecordingConfig,
    current: Option<OpenWarc>,
    next_file_number: u32,
    index: IndexAppender,
    /// Entries of records written but not flushed yet: they reach the
    /// index only once their records have reached the OS.
    unflushed: Vec<IndexEntry>,
    /// Records written without error that a later failure kept out of the
    /// index (see [`RecordingWriter::lost_records`]).
    lost: u64,
}

#[derive(Debug)]
struct OpenWarc {
    name: String,
    path: PathBuf,
    out: BufWriter<File>,
    size: u64,
    warcinfo_id: String,
    gzip: MemberEncoder,
}

impl RecordingWriter {
    /// Prepares the folder and opens the index for appending. No WARC
    /// file is created until the first exchange; numbering continues after
    /// any files this run already has (a resumed run).
    pub fn create(config: RecordingConfig) -> Result<RecordingWriter, WriteError> {
        if !valid_run_name(&config.run_name) {
            return Err(WriteError::BadRunName(config.run_name));
        }
        fs::create_dir_all(&config.dir).map_err(|source| WriteError::Io {
            path: config.dir.clone(),
            source,
        })?;
        let next_file_number = next_file_number(&config.dir, &config.run_name)?;
        let index = IndexAppender::open(&config.index_path())?;
        Ok(RecordingWriter {
            config,
            current: None,
            next_file_number,
            index,
            unflushed: Vec::new(),
            lost: 0,
        })
    }

    /// Records one exchange and indexes its response (both buffered until
    /// [`Self::flush`]); returns the index entry (file name relative to the
    /// recording folder).
    pub fn write_exchange(&mut self, exchange: &Exchange<'_>) -> Result<&IndexEntry, WriteError> {
        let warc = self.current_file()?;
        let date = format_warc_date(exchange.started_at);
        let request_id = new_record_id();
        let response_id = new_record_id();
        let target = exchange.url.as_str();

        let request_block = request_block(exchange);
        let mut request_headers = WarcHeaders::new();
        request_headers.push("WARC-Type", "request");
        request_headers.push("WARC-Record-ID", request_id.clone());
        request_headers.push("WARC-Date", date.clone());
        request_headers.push("WARC-Target-URI", target);
        request_headers.push("WARC-Warcinfo-ID", warc.warcinfo_id.clone());
        request_headers.push("WARC-Concurrent-To", response_id.clone());
        request_headers.push("WARC-Block-Digest", sha1_digest(&request_block));
        request_headers.push("Content-Type", "application/http; msgtype=request");
        let request = WarcRecord {
            version: WARC_VERSION.to_owned(),
            headers: request_headers,
            block: request_block,
        };

        let (response_block, original) = response_block(exchange);
        let mut response_headers = WarcHeaders::new();
        response_headers.push("WARC-Type", "response");
        response_headers.push("WARC-Record-ID", response_id.clone());
        response_headers.push("WARC-Date", date.clone());
        response_headers.push("WARC-Target-URI", target);
        response_headers.push("WARC-Warcinfo-ID", warc.warcinfo_id.clone());
        response_headers.push("WARC-Concurrent-To", request_id);
        response_headers.push("WARC-Block-Digest", sha1_digest(&response_block));
        response_headers.push("WARC-Payload-Digest", sha1_digest(exchange.stored_body()));
        response_headers.push("Content-Type", "application/http; msgtype=response");
        response_headers.push("WARC-Trawl-Elapsed-Ms", format_elapsed_ms(exchange.elapsed));
        response_headers.push("WARC-Trawl-Http-Version", format!("{:?}", exchange.version));
        if let Some(final_url) = exchange.final_url.filter(|&url| url != exchange.url) {
            response_headers.push("WARC-Trawl-Final-URI", final_url.as_str());
        }
        let requested = exchange.requested_url.filter(|&url| url != exchange.url);
        if let Some(requested) = requested {
            response_headers.push("WARC-Trawl-Requested-URI", requested.as_str());
        }
        if !exchange.redirects.is_empty() {
            let chain: Vec<&str> = exchange.redirects.iter().map(Url::as_str).collect();
            response_headers.push("WARC-Trawl-Redirects", chain.join(" "));
        }
        response_headers.push("WARC-Trawl-Attempt", exchange.attempt.to_string());
        response_headers.push("WARC-Trawl-Fetch", exchange.purpose);
        for (name, value) in original {
            response_headers.push(format!("WARC-Trawl-Original-{name}"), value);
        }
        let response = WarcRecord {
            version: WARC_VERSION.to_owned(),
            headers: response_headers,
            block: response_block,
        };

        // Stored, not deflated: a request record is a few hundred bytes, and
        // a body sent compressed does not compress again. Deflating either
        // would cost more than the rest of recording it.
        let request_member = stored_member(&request.to_bytes());
        let response_member = match exchange.wire {
            Some(_) => stored_member(&response.to_bytes()),
            None => warc.gzip.member(&response.to_bytes()),
        };
        let (file, response_offset) = self.append(&[&request_member, &response_member])?;

        let entry = IndexEntry {
            url: target.to_owned(),
            file,
            offset: response_offset,
            length: response_member.len() as u64,
            record_in_member: 0,
            status: Some(exchange.status),
            date: Some(date),
            requested: requested.map(|url| url.as_str().to_owned()),
            failure: None,
        };
        Ok(self.keep_for_flush(entry))
    }

    /// Records a fetch that got no usable response, as a `metadata` record
    /// (`application/json`: purpose, attempt, error kind and message) whose
    /// index entry carries the error kind (buffered until [`Self::flush`]).
    pub fn write_failure(&mut self, failure: &Failure<'_>) -> Result<&IndexEntry, WriteError> {
        let warc = self.current_file()?;
        let date = format_warc_date(failure.started_at);
        let block = serde_json::to_vec(&serde_json::json!({
            "fetch": failure.purpose,
            "attempt": failure.attempt,
            "error": { "kind": failure.kind, "message": failure.message },
        }))
        .unwrap_or_default();
        let mut headers = WarcHeaders::new();
        headers.push("WARC-Type", "metadata");
        headers.push("WARC-Record-ID", new_record_id());
        headers.push("WARC-Date", date.clone());
        headers.push("WARC-Target-URI", failure.requested_url.as_str());
        headers.push("WARC-Warcinfo-ID", warc.warcinfo_id.clone());
        headers.push("WARC-Block-Digest", sha1_digest(&block));
        headers.push("Content-Type", "application/json");
        headers.push("WARC-Trawl-Elapsed-Ms", format_elapsed_ms(failure.elapsed));
        headers.push("WARC-Trawl-Attempt", failure.attempt.to_string());
        headers.push("WARC-Trawl-Fetch", failure.purpose);
        headers.push("WARC-Trawl-Error-Kind", failure.kind);
        let record = WarcRecord {
            version: WARC_VERSION.to_owned(),
            headers,
            block,
        };
        let member = warc.gzip.member(&record.to_bytes());
        let (file, offset) = self.append(&[&member])?;
        let entry = IndexEntry {
            url: failure.requested_url.as_str().to_owned(),
            file,
            offset,
            length: member.len() as u64,
            record_in_member: 0,
            status: None,
            date: Some(date),
            requested: None,
            failure: Some(failure.kind.to_owned()),
        };
        Ok(self.keep_for_flush(entry))
    }

    /// Queues `entry` for the index until [`Self::flush`] and lends it to
    /// the caller (kept, not cloned: a recorder writes one per exchange).
    fn keep_for_flush(&mut self, entry: IndexEntry) -> &IndexEntry {
        self.unflushed.push(entry);
        // Just pushed: the list is not empty.
        &self.unflushed[self.unflushed.len() - 1]
    }

    /// Hands what was written to the OS: the records first, then the index
    /// lines that point at them. A record that cannot be flushed loses the
    /// file it was in (its flushed records stay readable) and its entry.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        if let Some(warc) = &mut self.current
            && let Err(source) = warc.out.flush()
        {
            return Err(self.abandon_file(source));
        }
        let mut entries = std::mem::take(&mut self.unflushed).into_iter();
        while let Some(entry) = entries.next() {
            if let Err(error) = self.index.append(&entry) {
                self.lost += 1 + entries.len() as u64;
                return Err(error.into());
            }
        }
        self.index.flush()?;
        Ok(())
    }

    /// Records that were written without an error but will not be found:
    /// a failure while they waited for [`Self::flush`] kept them out of the
    /// index. A recorder adds them to the errors it returned itself.
    pub fn lost_records(&self) -> u64 {
        self.lost
    }

    /// After a failed write or flush: part of a member may have reached the
    /// file, so offsets past it are unknown. The file is abandoned (its
    /// flushed records stay readable; the next record starts a new one) and
    /// the records waiting for a flush are counted lost, never indexed.
    fn abandon_file(&mut self, source: std::io::Error) -> WriteError {
        let path = self
            .current
            .take()
            .map_or_else(|| self.config.dir.clone(), |warc| warc.path);
        self.lost += self.unflushed.len() as u64;
        self.unflushed.clear();
        WriteError::Io { path, source }
    }

    /// Flushes and fsyncs the current WARC file and the index.
    pub fn sync(&mut self) -> Result<(), WriteError> {
        self.flush()?;
        if let Some(warc) = &mut self.current {
            warc.out
                .get_ref()
                .sync_data()
                .map_err(|source| WriteError::Io {
                    path: warc.path.clone(),
                    source,
                })?;
        }
        self.index.sync()?;
        Ok(())
    }

    /// Syncs and closes the recording.
    pub fn finish(mut self) -> Result<(), WriteError> {
        self.sync()
    }

    /// The file to write the next exchange to, rotating when the current
    /// one is full.
    /// Appends gzip members to the file [`Self::current_file`] opened for
    /// them (not rotating again: a record stays in one file), buffered;
    /// returns the file's name and the last member's offset.
    fn append(&mut self, members: &[&[u8]]) -> Result<(String, u64), WriteError> {
        let Some(warc) = self.current.as_mut() else {
            return Err(WriteError::Io {
                path: self.config.dir.clone(),
                source: std::io::Error::other("no open WARC file"),
            });
        };
        let mut offset = warc.size;
        let mut written = Ok(());
        for member in members {
            offset = warc.size;
            written = warc.out.write_all(member);
            if written.is_err() {
                break;
            }
            warc.size += member.len() as u64;
        }
        if let Err(source) = written {
            return Err(self.abandon_file(source));
        }
        Ok((warc.name.clone(), offset))
    }

    fn current_file(&mut self) -> Result<&mut OpenWarc, WriteError> {
        let full = self
            .current
            .as_ref()
            .is_some_and(|warc| warc.size >= self.config.max_file_bytes);
        if full {
            self.sync()?;
            self.current = None;
        }
        if self.current.is_none() {
            let warc = self.open_next_file()?;
            self.current = Some(warc);
        }
        // Just set above when it was None.
        self.current.as_mut().ok_or_else(|| WriteError::Io {
            path: self.config.dir.clone(),
            source: std::io::Error::other("no open WARC file"),
        })
    }

    fn open_next_file(&mut self) -> Result<OpenWarc, WriteError> {
        let name = format!(
            "trawl-{}-{:05}.warc.gz",
            self.config.run_name, self.next_file_number
        );
        self.next_file_number += 1;
        let path = self.config.dir.join(&name);
        let io_error = |source| WriteError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_error)?;
        let mut out = BufWriter::with_capacity(256 * 1024, file);

        let warcinfo_id = new_record_id();
        let block = format!(
            "software: {}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\nisPartOf: {}\r\n",
            self.config.software, self.config.run_name
        )
        .into_bytes();
        let mut headers = WarcHeaders::new();
        headers.push("WARC-Type", "warcinfo");
        headers.push("WARC-Record-ID", warcinfo_id.clone());
        headers.push("WARC-Date", format_warc_date(SystemTime::now()));
        headers.push("WARC-Filename", name.clone());
        headers.push("WARC-Block-Digest", sha1_digest(&block));
        headers.push("Content-Type", "application/warc-fields");
        let warcinfo = WarcRecord {
            version: WARC_VERSION.to_owned(),
            headers,
            block,
        };
        let mut gzip = MemberEncoder::new(self.config.compression_level.min(9));
        let member = gzip.member(&warcinfo.to_bytes());
        out.write_all(&member).map_err(io_error)?;
        Ok(OpenWarc {
            name,
            path: path.clone(),
            out,
            size: member.len() as u64,
            warcinfo_id,
            gzip,
        })
    }
}

/// A writer dropped without [`RecordingWriter::finish`] still hands what it
/// wrote to the OS (records, then their index lines), as a `BufWriter` does;
/// only `finish` reports errors and fsyncs.
impl Drop for RecordingWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

fn valid_run_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.'))
}

/// One past the highest file number this run already has in `dir`.
fn next_file_number(dir: &Path, run_name: &str) -> Result<u32, WriteError> {
    let prefix = format!("trawl-{run_name}-");
    let entries = fs::read_dir(dir).map_err(|source| WriteError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut next = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(number) = name
            .to_str()
            .and_then(|name| name.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".warc.gz"))
            .filter(|digits| digits.bytes().all(|byte| byte.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u32>().ok())
        else {
            continue;
        };
        next = next.max(number.saturating_add(1));
    }
    Ok(next)
}

/// The HTTP request as an HTTP/1.1 message: request line, headers (with
/// `Host` added when the fetcher set it implicitly), blank line.
fn request_block(exchange: &Exchange<'_>) -> Vec<u8> {
    let url = exchange.url;
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let mut block = format!("{} {} HTTP/1.1\r\n", exchange.method, target).into_bytes();
    if !exchange.request_headers.contains_key(http::header::HOST) {
        let host = url.host_str().unwrap_or_default();
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        block.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
    }
    for (name, value) in exchange.request_headers {
        push_header(&mut block, name.as_str(), value.as_bytes());
    }
    block.extend_from_slice(b"\r\n");
    block
}

/// The HTTP response as stored: with the wire body and its coding when
/// there is one, else with headers made consistent with the decoded body;
/// and the original values of the headers that were changed.
fn response_block(exchange: &Exchange<'_>) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let reason = http::StatusCode::from_u16(exchange.status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("");
    let body = exchange.stored_body();
    // Sized once for headers and body: growing it copied the body again.
    let mut block = Vec::with_capacity(body.len() + 2048);
    block.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", exchange.status, reason).as_bytes());
    let mut original = Vec::new();
    for (name, value) in exchange.response_headers {
        let rewritten = [
            (http::header::CONTENT_ENCODING, "Content-Encoding"),
            (http::header::TRANSFER_ENCODING, "Transfer-Encoding"),
            (http::header::CONTENT_LENGTH, "Content-Length"),
        ]
        .into_iter()
        .find(|(header, _)| header == name);
        if let Some((_, label)) = rewritten {
            original.push((
                label,
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
            continue;
        }
        push_header(&mut block, name.as_str(), value.as_bytes());
    }
    if let Some(wire) = exchange.wire {
        push_header(
            &mut block,
            "Content-Encoding",
            wire.content_encoding.as_bytes(),
        );
    }
    block.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    block.extend_from_slice(body);
    (block, original)
}

fn push_header(block: &mut Vec<u8>, name: &str, value: &[u8]) {
    block.extend_from_slice(name.as_bytes());
    block.extend_from_slice(b": ");
    block.extend_from_slice(value);
    block.extend_from_slice(b"\r\n");
}

/// Writes each record as its own gzip member (what makes a `.warc.gz`
/// seekable per record), reusing one deflate state for all of a file's
/// members. Framed by hand (RFC 1952 header, raw deflate, CRC-32 and length)
/// because flate2's `GzEncoder` owns its state and would allocate and zero a
/// fresh window and hash table for every record: a quarter of recording's
/// cost in profiles.
#[derive(Debug)]
struct MemberEncoder {
    deflate: Compress,
}

/// Magic, deflate, no flags, no mtime, no extra flags, OS unknown.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

impl MemberEncoder {
    fn new(level: u32) -> Self {
        Self {
            deflate: Compress::new(Compression::new(level), false),
        }
    }

    /// `bytes` as one complete gzip member.
    fn member(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.deflate.reset();
        let mut out = Vec::with_capacity(GZIP_HEADER.len() + bytes.len() / 3 + 64);
        out.extend_from_slice(&GZIP_HEADER);
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity() / 2 + 64);
            }
            // Lossless: a deflate stream's input is far below `usize::MAX`.
            let consumed = self.deflate.total_in() as usize;
            match self
                .deflate
                .compress_vec(&bytes[consumed..], &mut out, FlushCompress::Finish)
            {
                Ok(Status::StreamEnd) => break,
                Ok(Status::Ok | Status::BufError) => {}
                // Deflate fails only when misused (never here, with a fresh
                // reset and all the input at once): store the record
                // uncompressed-but-valid rather than lose it.
                Err(_) => return stored_member(bytes),
            }
        }
        push_gzip_trailer(&mut out, bytes);
        out
    }
}

/// `bytes` as a gzip member of deflate "stored" blocks (RFC 1951 3.2.4:
/// each a 5-byte header and up to 65,535 bytes as they are). Framed by hand
/// because an encoder at level 0 still clears its 128 KiB hash tables for
/// every member, which cost more than the copy itself. Also the fallback
/// should deflate ever refuse.
fn stored_member(bytes: &[u8]) -> Vec<u8> {
    const MAX_STORED_BLOCK: usize = 65_535;
    let blocks = bytes.len().div_ceil(MAX_STORED_BLOCK).max(1);
    let mut out = Vec::with_capacity(GZIP_HEADER.len() + bytes.len() + 5 * blocks + 8);
    out.extend_from_slice(&GZIP_HEADER);
    let mut chunks = bytes.chunks(MAX_STORED_BLOCK).peekable();
    if chunks.peek().is_none() {
        // An empty input is one empty final block.
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        // BFINAL in bit 0, BTYPE 00 (stored); the rest of the byte pads to
        // the byte boundary stored blocks start on.
        out.push(u8::from(last));
        // Lossless: a chunk is at most 65,535 bytes.
        let length = chunk.len() as u16;
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    push_gzip_trailer(&mut out, bytes);
    out
}

/// A gzip member's end (RFC 1952): the CRC-32 of the data, and its length.
fn push_gzip_trailer(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut crc = Crc::new();
    crc.update(bytes);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the length modulo 2^32 by definition (RFC 1952).
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
}

/// `WARC-Date` with microseconds, which WARC/1.1 allows.
/// Milliseconds with three decimals, truncated to the microsecond (not
/// rounded through a float): a replay's `elapsed_millis` (whole
/// milliseconds, truncated) must equal the recorded run's, and rounding
/// 27.9996 ms up to "28.000" made them differ.
fn format_elapsed_ms(elapsed: std::time::Duration) -> String {
    let micros = elapsed.as_micros();
    format!("{}.{:03}", micros / 1000, micros % 1000)
}

fn format_warc_date(time: SystemTime) -> String {
    // The RFC 3339 writer, not a strftime pattern: a pattern is parsed
    // again on every call, which showed in the recorder's profile.
    DateTime::<Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A random (version 4) UUID as a WARC record id.
fn new_record_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut id = String::with_capacity(47);
    id.push_str("<urn:uuid:");
    for (position, byte) in bytes.iter().enumerate() {
        if matches!(position, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id.push('>');
    id
}

/// `sha1:` + base32 (RFC 4648), the customary WARC digest form (wget,
/// Heritrix, warcio all write and verify it).
pub(crate) fn sha1_digest(bytes: &[u8]) -> String {
    let digest = Sha1::digest(bytes);
    format!("sha1:{}", base32(&digest))
}

/// RFC 4648 base32 with padding (none is needed for 20-byte digests).
pub(crate) fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let bits = buffer
            .iter()
            .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for position in 0..8 {
            if position < symbols {
                let index = (bits >> (35 - position * 5)) & 0x1f;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
