//! The recording index: URL → (WARC file, offset, length) of each
//! `response` record, so replay finds a response without scanning.
//!
//! The index is a JSON-lines file, one [`IndexEntry`] per line, appended
//! to as records are written. Only newline-terminated lines count: the
//! writer appends lines only after the record bytes they point at have been
//! flushed, and hands them to the OS on [`IndexAppender::flush`], so a crash
//! leaves a valid prefix plus at most one torn line, which [`Index::load`]
//! ignores and [`IndexAppender::open`] cuts off before appending.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::IndexError;

/// Where one recorded response lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// `WARC-Target-URI` of the response record.
    pub url: String,
    /// The WARC file: a bare file name for Trawl's own recordings
    /// (relative to the index's folder), a path for imported files.
    pub file: String,
    /// Offset of the record, or of the gzip member holding it.
    pub offset: u64,
    /// Length of the record, or of its gzip member.
    pub length: u64,
    /// Position of the record inside its gzip member, for foreign files
    /// that put several records in one member.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub record_in_member: u32,
    /// HTTP status, when the status line could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `WARC-Date` of the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The URL the crawler asked for, when the response came from another
    /// (redirects); lookups go by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
    /// For a fetch without a usable response (a `metadata` record): the
    /// error kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

impl IndexEntry {
    /// The URL this entry answers: the one asked for.
    pub fn key(&self) -> &str {
        self.requested.as_deref().unwrap_or(&self.url)
    }

    /// The WARC file's path, resolving a relative `file` against `dir`
    /// (the folder the index lives in).
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(&self.file)
    }
}

/// An index loaded into memory, looked up by URL.
#[derive(Debug, Clone, Default)]
pub struct Index {
    entries: Vec<IndexEntry>,
    by_url: HashMap<String, Vec<usize>>,
}

impl Index {
    /// An index of `entries`, in order.
    pub fn from_entries(entries: Vec<IndexEntry>) -> Index {
        let mut index = Index::default();
        for entry in entries {
            index.push(entry);
        }
        index
    }

    /// Reads an index file, ignoring a torn (unterminated) last line.
    pub fn load(path: &Path) -> Result<Index, IndexError> {
        let bytes = fs::read(path).map_err(|source| IndexError::Io {
            path: path.to_owned(),
            source,
        })?;
        let complete = match bytes.iter().rposition(|&byte| byte == b'\n') {
            Some(last_newline) => &bytes[..=last_newline],
            None => &[][..],
        };
        let mut index = Index::default();
        for (number, line) in complete.split(|&byte| byte == b'\n').enumerate() {
            if line.trim_ascii().is_empty() {
                continue;
            }
            let entry: IndexEntry =
                serde_json::from_slice(line).map_err(|error| IndexError::Corrupt {
                    path: path.to_owned(),
                    line: number + 1,
                    message: error.to_string(),
                })?;
            index.push(entry);
        }
        Ok(index)
    }

    /// Adds an entry, under the URL it answers ([`IndexEntry::key`]);
    /// later entries for a URL win in [`Index::lookup`].
    pub fn push(&mut self, entry: IndexEntry) {
        self.by_url
            .entry(entry.key().to_owned())
            .or_default()
            .push(self.entries.len());
        self.entries.push(entry);
    }

    /// The latest response recorded for `url` (a retried fetch records
    /// every attempt; the last one is the one the run kept).
    pub fn lookup(&self, url: &str) -> Option<&IndexEntry> {
        let positions = self.by_url.get(url)?;
        positions
            .last()
            .and_then(|&position| self.entries.get(position))
    }

    /// Every response recorded for `url`, oldest first.
    pub fn lookup_all(&self, url: &str) -> impl Iterator<Item = &IndexEntry> {
        self.by_url
            .get(url)
            .into_iter()
            .flatten()
            .filter_map(|&position| self.entries.get(position))
    }

    /// All entries, in the order they were written.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Appends entries to an index file, one line per entry, buffered until
/// [`IndexAppender::flush`].
#[derive(Debug)]
pub struct IndexAppender {
    path: PathBuf,
    file: io::BufWriter<File>,
}

impl IndexAppender {
    /// Opens (or creates) `path` for appending, first cutting off a torn
    /// last line so the next entry does not land glued to it.
    pub fn open(path: &Path) -> Result<IndexAppender, IndexError> {
        let io_error = |source| IndexError::Io {
            path: path.to_owned(),
            source,
        };
        let existing = match fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(io_error(error)),
        };
        if let Some(bytes) = existing {
            let keep = bytes
                .iter()
                .rposition(|&byte| byte == b'\n')
                .map_or(0, |last_newline| last_newline + 1);
            if keep < bytes.len() {
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(io_error)?;
                file.set_len(keep as u64).map_err(io_error)?;
                file.sync_all().map_err(io_error)?;
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_error)?;
        Ok(IndexAppender {
            path: path.to_owned(),
            file: io::BufWriter::new(file),
        })
    }

    /// Appends one entry (buffered until [`IndexAppender::flush`]). Call
    /// only once the record it points at has been flushed to its WARC file.
    pub fn append(&mut self, entry: &IndexEntry) -> Result<(), IndexError> {
        let mut line = serde_json::to_vec(entry).map_err(|error| IndexError::Corrupt {
            path: self.path.clone(),
            line: 0,
            message: error.to_string(),
        })?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(|source| IndexError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Hands appended entries to the OS.
    pub fn flush(&mut self) -> Result<(), IndexError> {
        self.file.flush().map_err(|source| IndexError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Makes appended entries durable (flush, then fsync).
    pub fn sync(&mut self) -> Result<(), IndexError> {
        self.flush()?;
        self.file
            .get_ref()
            .sync_data()
            .map_err(|source| IndexError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// Writes a whole index at once (for imports): temp file, fsync, rename,
/// so the index is either absent or complete under its final name.
pub fn write_index(path: &Path, entries: &[IndexEntry]) -> Result<(), IndexError> {
    let io_error = |source| IndexError::Io {
        path: path.to_owned(),
        source,
    };
    let mut text = Vec::new();
    for entry in entries {
        serde_json::to_writer(&mut text, entry).map_err(|error| IndexError::Corrupt {
            path: path.to_owned(),
            line: 0,
            message: error.to_string(),
        })?;
        text.push(b'\n');
    }
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(".tmp");
    let temp_path = PathBuf::from(temp_name);
    let mut file = File::create(&temp_path).map_err(io_error)?;
    file.write_all(&text).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    fs::rename(&temp_path, path).map_err(io_error)
}

#[cfg(test)]
mod tests;
