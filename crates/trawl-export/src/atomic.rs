//! Files that become visible only whole: write to a temporary file in the
//! target directory, fsync it, rename it over the final name, fsync the
//! directory.
//!
//! Readers of the final path see either the old file or the complete new one,
//! never a prefix, even after kill -9 or power loss. The temporary file lives
//! in the same directory because `rename` is only atomic within one file
//! system. A hand-rolled type rather than the `tempfile` crate's
//! `NamedTempFile::persist` because we also need the directory fsync and a
//! temporary name that says which process left it behind.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

/// A file being written that appears at its final path only on [`commit`].
///
/// Dropping it without committing removes the temporary file, so an error
/// half-way through an export leaves nothing behind.
///
/// [`commit`]: AtomicFile::commit
#[derive(Debug)]
pub struct AtomicFile {
    // Field order matters: `file` is dropped (closed) before `temp_guard`
    // removes the path.
    file: File,
    final_path: PathBuf,
    temp_guard: TempPathGuard,
}

/// Removes the temporary file on drop unless disarmed by a successful rename.
#[derive(Debug)]
struct TempPathGuard {
    temp_path: PathBuf,
    armed: bool,
}

impl Drop for TempPathGuard {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: the file may already be gone, and a leftover temp
            // file is hidden and harmless.
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

impl AtomicFile {
    /// Creates the temporary file `.<name>.tmp-<pid>-<random>` next to
    /// `final_path`. Fails if the directory does not exist.
    pub fn create(final_path: &Path) -> io::Result<AtomicFile> {
        let file_name = final_path.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} does not name a file", final_path.display()),
            )
        })?;
        let temp_name = format!(
            ".{}.tmp-{}-{:016x}",
            file_name.to_string_lossy(),
            std::process::id(),
            rand::random::<u64>()
        );
        let temp_path = final_path.with_file_name(temp_name);
        // `create_new` refuses to reuse an existing path, so two writers can
        // never share a temporary file.
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .open(&temp_path)?;
        Ok(AtomicFile {
            file,
            final_path: final_path.to_path_buf(),
            temp_guard: TempPathGuard {
                temp_path,
                armed: true,
            },
        })
    }

    /// Where the content goes until [`AtomicFile::commit`].
    pub fn writer(&mut self) -> &mut (impl Write + Seek) {
        &mut self.file
    }

    /// The path of the temporary file (for messages and tests).
    pub fn temp_path(&self) -> &Path {
        &self.temp_guard.temp_path
    }

    /// Makes the content visible at the final path, durably.
    ///
    /// On error before the rename the temporary file is removed and the final
    /// path is untouched.
    pub fn commit(self) -> io::Result<()> {
        let AtomicFile {
            mut file,
            final_path,
            mut temp_guard,
        } = self;
        file.flush()?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp_guard.temp_path, &final_path)?;
        temp_guard.armed = false;
        sync_parent_directory(&final_path)
    }
}

/// Persists the directory entry created by a rename; without it a power loss
/// can bring back the old name even though the data was synced.
fn sync_parent_directory(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(directory)?.sync_all()?;
    }
    // Windows cannot open a directory as a file; its rename is already
    // journaled by NTFS.
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut atomic_file = AtomicFile::create(path)?;
    atomic_file.writer().write_all(bytes)?;
    atomic_file.commit()
}

#[cfg(test)]
mod tests;
