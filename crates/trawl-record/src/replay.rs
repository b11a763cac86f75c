//! Reading outcomes back out of a recording folder by URL: the building
//! block of the engine's replay source (`trawl-engine/src/source.rs`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{IndexError, WarcError};
use crate::index::{Index, IndexEntry};
use crate::message::HttpResponse;
use crate::reader::read_record_at;
use crate::record::{ReadLimits, WarcRecord};

/// Whether `dir` holds a recording (at least one index file).
pub fn has_recording(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.ends_with(".index.jsonl"))
        })
    })
}

/// A recording folder with its index loaded.
#[derive(Debug)]
pub struct Recording {
    dir: PathBuf,
    index: Index,
    limits: ReadLimits,
}

/// One recorded response, found through the index.
#[derive(Debug, Clone)]
pub struct RecordedResponse {
    pub entry: IndexEntry,
    pub record: WarcRecord,
    pub http: HttpResponse,
}

/// What a recorded fetch ended with.
#[derive(Debug, Clone)]
pub enum RecordedOutcome {
    Response(Box<RecordedResponse>),
    /// No usable response: the fetcher's error kind and message.
    Failure {
        kind: String,
        message: String,
        elapsed: Option<Duration>,
    },
}

impl RecordedResponse {
    /// `WARC-Trawl-Requested-URI`: the URL asked for, when the response
    /// came from another (redirects).
    pub fn requested_url(&self) -> Option<&str> {
        self.record.headers.get("WARC-Trawl-Requested-URI")
    }

    /// `WARC-Trawl-Redirects`: the URLs that redirected on the way.
    pub fn redirects(&self) -> Vec<&str> {
        self.record
            .headers
            .get("WARC-Trawl-Redirects")
            .map(|chain| chain.split_ascii_whitespace().collect())
            .unwrap_or_default()
    }

    /// `WARC-Trawl-Http-Version` (`HTTP/1.1`, `HTTP/2.0`, ...), when recorded.
    pub fn http_version(&self) -> Option<&str> {
        self.record.headers.get("WARC-Trawl-Http-Version")
    }

    /// `WARC-Trawl-Elapsed-Ms`, for Trawl's own recordings.
    pub fn elapsed(&self) -> Option<Duration> {
        elapsed_of(&self.record)
    }

    /// `WARC-Trawl-Final-URI`: where the redirect chain of this hop ended.
    pub fn final_url(&self) -> Option<&str> {
        self.record.headers.get("WARC-Trawl-Final-URI")
    }
}

impl Recording {
    /// Loads every `*.index.jsonl` in `dir` (in name order, so later
    /// entries for a URL win consistently).
    pub fn open(dir: &Path, limits: ReadLimits) -> Result<Recording, IndexError> {
        let io_error = |source| IndexError::Io {
            path: dir.to_owned(),
            source,
        };
        let mut index_files: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(io_error)?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.ends_with(".index.jsonl"))
            })
            .collect();
        index_files.sort();
        let mut index = Index::default();
        for path in index_files {
            for entry in Index::load(&path)?.entries() {
                index.push(entry.clone());
            }
        }
        Ok(Recording {
            dir: dir.to_owned(),
            index,
            limits,
        })
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The latest recorded response for `url`; `Ok(None)` when the URL was
    /// not recorded (replay reports that instead of fetching).
    pub fn response(&self, url: &str) -> Result<Option<RecordedResponse>, WarcError> {
        let Some(entry) = self.index.lookup(url) else {
            return Ok(None);
        };
        self.read(entry).map(Some)
    }

    /// What the `attempt`-th fetch of `url` (0 for the first) ended with:
    /// the recorded attempts in the order they were made, the last one
    /// again for attempts beyond them. `Ok(None)`: never recorded.
    pub fn outcome(&self, url: &str, attempt: u32) -> Result<Option<RecordedOutcome>, WarcError> {
        let entries: Vec<&IndexEntry> = self.index.lookup_all(url).collect();
        let Some(entry) = entries
            .get(attempt as usize)
            .or_else(|| entries.last())
            .copied()
        else {
            return Ok(None);
        };
        if let Some(kind) = &entry.failure {
            let record = self.record_at(entry)?;
            let details: serde_json::Value =
                serde_json::from_slice(&record.block).unwrap_or_default();
            let message = details["error"]["message"]
                .as_str()
                .unwrap_or("recorded failure")
                .to_owned();
            let elapsed = elapsed_of(&record);
            return Ok(Some(RecordedOutcome::Failure {
                kind: kind.clone(),
                message,
                elapsed,
            }));
        }
        self.read(entry)
            .map(|response| Some(RecordedOutcome::Response(Box::new(response))))
    }

    /// The WARC record an index entry points at.
    fn record_at(&self, entry: &IndexEntry) -> Result<WarcRecord, WarcError> {
        read_record_at(
            &entry.path_in(&self.dir),
            entry.offset,
            entry.record_in_member,
            self.limits,
        )
    }

    /// Reads the response an index entry points at.
    pub fn read(&self, entry: &IndexEntry) -> Result<RecordedResponse, WarcError> {
        let record = self.record_at(entry)?;
        let http = record.http_response(&self.limits)?;
        Ok(RecordedResponse {
            entry: entry.clone(),
            record,
            http,
        })
    }
}

/// A record's `WARC-Trawl-Elapsed-Ms` ("27.999": milliseconds, any number
/// of decimals), read as a decimal rather than through a float, so the
/// duration is exactly the recorded one (a float made 28.000 ms a hair
/// under 28, one millisecond less than the recorded run's event said).
fn elapsed_of(record: &WarcRecord) -> Option<Duration> {
    let text = record.headers.get("WARC-Trawl-Elapsed-Ms")?.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: u64 = whole.parse().ok()?;
    // Nanoseconds within the millisecond: six digits, padded or cut.
    let digits: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(6)
        .collect();
    let nanos: u64 = digits.parse().ok()?;
    Duration::from_millis(millis).checked_add(Duration::from_nanos(nanos))
}
