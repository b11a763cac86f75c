//! Building blocks of `trawl import-warc FILE…`: scan WARC files written by
//! other tools (wget `--warc-file`, Browsertrix, warcio) and build the same
//! index Trawl's own recordings have, so they can be replayed.
//!
//! Foreign files are untrusted and often imperfect (a crawl killed
//! mid-write leaves a truncated last member). A scan therefore keeps every
//! entry found before the first broken record and reports where it
//! stopped, instead of discarding the whole file.

use std::path::{Path, PathBuf};

use crate::error::WarcError;
use crate::index::IndexEntry;
use crate::reader::WarcReader;
use crate::record::{ReadLimits, WarcRecord};

/// What a scan of one WARC file found.
#[derive(Debug)]
pub struct ImportReport {
    pub path: PathBuf,
    /// One entry per `response` record with a target URI, in file order.
    pub entries: Vec<IndexEntry>,
    /// Records read, of any type.
    pub records: usize,
    /// The error that ended the scan early, if any; `entries` holds what
    /// came before it.
    pub stopped_at: Option<WarcError>,
}

/// Scans `path` and indexes its responses. Entries name the file as
/// `file_label` (e.g. the path relative to the run folder the file is
/// copied to). Only failing to open the file is an `Err`.
pub fn index_warc_file(
    path: &Path,
    file_label: &str,
    limits: ReadLimits,
) -> Result<ImportReport, WarcError> {
    let reader = WarcReader::open(path, limits)?;
    let mut report = ImportReport {
        path: path.to_owned(),
        entries: Vec::new(),
        records: 0,
        stopped_at: None,
    };
    for item in reader {
        let found = match item {
            Ok(found) => found,
            Err(error) => {
                report.stopped_at = Some(error);
                break;
            }
        };
        report.records += 1;
        if found.record.record_type() != "response" {
            continue;
        }
        let Some(url) = found.record.target_uri() else {
            continue;
        };
        report.entries.push(IndexEntry {
            url: url.to_owned(),
            file: file_label.to_owned(),
            offset: found.offset,
            length: found.length,
            record_in_member: found.record_in_member,
            status: http_status(&found.record),
            date: found.record.date().map(str::to_owned),
            requested: None,
            failure: None,
        });
    }
    Ok(report)
}

/// The status code of an HTTP response block, read from its status line
/// only (the body is decoded at replay, not at import).
fn http_status(record: &WarcRecord) -> Option<u16> {
    let line_end = record
        .block
        .iter()
        .take(256)
        .position(|&byte| byte == b'\n')?;
    let line = std::str::from_utf8(&record.block[..line_end]).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    let code = parts.next()?.trim();
    (version.starts_with("HTTP/") && code.len() == 3)
        .then(|| code.parse().ok())
        .flatten()
}
