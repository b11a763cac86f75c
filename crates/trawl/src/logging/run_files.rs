//! `RunFiles`: the per-run log files `DATA_DIR/runs/RUN/log.jsonl`, opened
//! on a run's first line and kept open for the next ones, at most
//! `max_open` at once (the least recently used is closed first: a server
//! running many runs must not run out of file descriptors).
//!
//! Each line is one `write` on a file opened for appending, with no buffer
//! to flush: a line is in the file (the OS's page cache) as soon as the
//! event happened, `trawl logs --follow` sees it at once, and a crash tears
//! at most the last line. A resumed run appends to its file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use trawl_types::RunId;

/// The name of a run's log file in its folder.
pub const RUN_LOG_FILE: &str = "log.jsonl";

/// The open per-run log files of this process.
#[derive(Debug)]
pub struct RunFiles {
    runs_dir: PathBuf,
    max_open: usize,
    /// Least recently used first.
    open: Vec<(RunId, Arc<RunFile>)>,
}

impl RunFiles {
    /// Files under `runs_dir` (`DATA_DIR/runs`), at most `max_open` open.
    pub fn new(runs_dir: PathBuf, max_open: usize) -> RunFiles {
        RunFiles {
            runs_dir,
            max_open: max_open.max(1),
            open: Vec::new(),
        }
    }

    /// `runs_dir/RUN/log.jsonl`.
    pub fn path_of(runs_dir: &Path, run_id: RunId) -> PathBuf {
        runs_dir.join(run_id.to_string()).join(RUN_LOG_FILE)
    }

    /// The open file of `run_id`, opened (folders created) if needed.
    pub fn get(&mut self, run_id: RunId) -> Result<Arc<RunFile>, (PathBuf, std::io::Error)> {
        if let Some(index) = self.open.iter().position(|(open_id, _)| *open_id == run_id) {
            let entry = self.open.remove(index);
            let file = entry.1.clone();
            self.open.push(entry);
            return Ok(file);
        }
        let path = RunFiles::path_of(&self.runs_dir, run_id);
        let file = Arc::new(RunFile::open(&path).map_err(|error| (path, error))?);
        if self.open.len() >= self.max_open {
            // Closed once the last writer holding it is done.
            self.open.remove(0);
        }
        self.open.push((run_id, file.clone()));
        Ok(file)
    }

    /// The runs whose files are open, least recently used first.
    #[cfg(test)]
    pub fn open_runs(&self) -> Vec<RunId> {
        self.open.iter().map(|(run_id, _)| *run_id).collect()
    }
}

/// One run's open log file.
#[derive(Debug)]
pub struct RunFile {
    path: PathBuf,
    file: File,
    /// The last write failed, maybe half-way: the next line starts on a
    /// fresh line so it stays readable.
    torn: AtomicBool,
}

impl RunFile {
    fn open(path: &Path) -> std::io::Result<RunFile> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(RunFile {
            path: path.to_owned(),
            file,
            torn: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (newline included) in one `write`.
    pub fn write_line(&self, line: &[u8]) -> std::io::Result<()> {
        let mut writer = &self.file;
        let result = if self.torn.load(Ordering::Relaxed) {
            let mut buffer = Vec::with_capacity(line.len() + 1);
            buffer.push(b'\n');
            buffer.extend_from_slice(line);
            writer.write_all(&buffer)
        } else {
            writer.write_all(line)
        };
        self.torn.store(result.is_err(), Ordering::Relaxed);
        result
    }
}
