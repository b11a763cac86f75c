//! `RotatingFile`: the application log, rotated by size with a fixed number
//! of files kept (`trawl.log`, `trawl.log.1` newest ... `trawl.log.4` oldest).
//!
//! Written by hand because `tracing-appender` rotates by time only, and the
//! crates that rotate by size bring far more than these few lines (and their
//! own background threads). Rules:
//!
//! - each line is one `write` on a file opened for appending, so a crash
//!   leaves at most one torn last line, and two processes sharing a data
//!   directory (`trawl serve` and a `trawl run` client) interleave whole lines;
//! - rotation only renames (`.3` -> `.4` replaces the oldest, ..., `trawl.log`
//!   -> `.1`) and then creates a new `trawl.log`: no file is ever truncated in
//!   place, so a crash mid-rotation loses no line (at worst one number is
//!   skipped);
//! - rotation takes `trawl.log.lock` (flock) and first checks that
//!   `trawl.log` is still the file this process writes: when another process
//!   rotated already, this one just reopens.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A size-rotated append-only log file. Not thread-safe by itself: the
/// application log keeps it behind a mutex.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep_files: usize,
    file: Option<File>,
    /// The last write failed, maybe half-way: the next line starts on a
    /// fresh line so it stays readable.
    torn: bool,
}

impl RotatingFile {
    /// A log at `path`, rotated before a line would take it past `max_bytes`,
    /// keeping `keep_files` files in all (at least 1). Nothing is created
    /// until the first line.
    pub fn new(path: PathBuf, max_bytes: u64, keep_files: usize) -> RotatingFile {
        RotatingFile {
            path,
            max_bytes,
            keep_files: keep_files.max(1),
            file: None,
            torn: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `trawl.log.N`.
    pub fn numbered(&self, number: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{number}"));
        PathBuf::from(name)
    }

    /// Appends one line (newline included), rotating first if the file
    /// would grow past the limit. A line longer than the limit is written
    /// whole into a file of its own.
    pub fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let size = self.open_file()?.metadata()?.len();
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let torn = self.torn;
        let file = self.open_file()?;
        let result = if torn {
            let mut buffer = Vec::with_capacity(line.len() + 1);
            buffer.push(b'\n');
            buffer.extend_from_slice(line);
            file.write_all(&buffer)
        } else {
            file.write_all(line)
        };
        self.torn = result.is_err();
        result
    }

    fn open_file(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_none() {
            if let Some(parent) = self.path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("log file not open"))
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        let lock_path = {
            let mut name = self.path.as_os_str().to_owned();
            name.push(".lock");
            PathBuf::from(name)
        };
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        lock.lock()?;
        let ours = self.open_file()?.metadata()?;
        let still_ours = std::fs::metadata(&self.path)
            .is_ok_and(|current| current.ino() == ours.ino() && current.dev() == ours.dev());
        if still_ours {
            if self.keep_files == 1 {
                // Nothing to keep: drop the old file (never truncate it:
                // another process may still be appending to it).
                std::fs::remove_file(&self.path)?;
            } else {
                for number in (1..self.keep_files - 1).rev() {
                    match std::fs::rename(self.numbered(number), self.numbered(number + 1)) {
                        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                            return Err(error);
                        }
                        _ => {}
                    }
                }
                std::fs::rename(&self.path, self.numbered(1))?;
            }
        }
        // Whoever rotated, the next line goes to a fresh `trawl.log`.
        self.file = None;
        self.open_file()?;
        drop(lock);
        Ok(())
    }
}
