//! Reading responses back out of a recording folder by URL: the building
//! block of the replay fetcher (the engine wiring comes later).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{IndexError, WarcError};
use crate::index::{Index, IndexEntry};
use crate::message::HttpResponse;
use crate::reader::read_record_at;
use crate::record::{ReadLimits, WarcRecord};

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

impl RecordedResponse {
    /// `WARC-Trawl-Elapsed-Ms`, for Trawl's own recordings.
    pub fn elapsed(&self) -> Option<Duration> {
        let millis: f64 = self
            .record
            .headers
            .get("WARC-Trawl-Elapsed-Ms")?
            .parse()
            .ok()?;
        (millis.is_finite() && millis >= 0.0).then(|| Duration::from_secs_f64(millis / 1000.0))
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

    /// Reads the response an index entry points at.
    pub fn read(&self, entry: &IndexEntry) -> Result<RecordedResponse, WarcError> {
        let record = read_record_at(
            &entry.path_in(&self.dir),
            entry.offset,
            entry.record_in_member,
            self.limits,
        )?;
        let http = record.http_response(&self.limits)?;
        Ok(RecordedResponse {
            entry: entry.clone(),
            record,
            http,
        })
    }
}
