//! The manifest written next to every export (`<file>.manifest.json`): what
//! the file holds and its SHA-256, so a reader can tell a complete, untouched
//! export from a partial or modified one.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trawl_types::RunId;

use crate::ExportFormat;
use crate::error::ExportError;

/// Describes one export file. Written only after the file itself is in place,
/// so a manifest never describes a file that is not there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: RunId,
    pub format: ExportFormat,
    /// The data file's name only, so the pair can be moved together.
    pub file: String,
    /// Number of items (rows) in the file.
    pub items: u64,
    /// Size of the data file.
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the data file.
    pub sha256: String,
    /// Hash of the spec the run used.
    pub spec_hash: String,
    pub created_at_millis: i64,
    pub trawl_version: String,
    /// Column names in file order: `_kind`, `_key`, `_url`, then fields.
    pub columns: Vec<String>,
}

/// Where the manifest of `data_path` lives: `<file>.manifest.json` in the same directory.
pub fn manifest_path(data_path: &Path) -> Result<PathBuf, ExportError> {
    let file_name = data_path
        .file_name()
        .ok_or_else(|| ExportError::InvalidPath {
            path: data_path.to_path_buf(),
        })?;
    let mut manifest_name = file_name.to_os_string();
    manifest_name.push(".manifest.json");
    Ok(data_path.with_file_name(manifest_name))
}

/// Passes writes through while hashing and counting them, so the checksum
/// costs no second read of a file that may be gigabytes.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Flushes the inner writer and returns (hex SHA-256, byte count).
    pub(crate) fn finish(mut self) -> io::Result<(String, u64)> {
        self.inner.flush()?;
        Ok((lowercase_hex(&self.hasher.finalize()), self.bytes))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hex encoding of a digest. Eight lines; not worth a dependency.
fn lowercase_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Checks that the file at `path` is exactly what its manifest describes and
/// returns the manifest.
pub fn verify(path: &Path) -> Result<Manifest, ExportError> {
    let manifest_path = manifest_path(path)?;
    let manifest_text = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(ExportError::MissingManifest {
                path: manifest_path,
            });
        }
        Err(source) => {
            return Err(ExportError::Io {
                action: "read the manifest",
                path: manifest_path,
                source,
            });
        }
    };
    let manifest: Manifest =
        serde_json::from_str(&manifest_text).map_err(|source| ExportError::BadManifest {
            path: manifest_path.clone(),
            source,
        })?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    if manifest.file != file_name {
        return Err(ExportError::ManifestFileMismatch {
            path: path.to_path_buf(),
            manifest_file: manifest.file,
        });
    }
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(ExportError::MissingFile {
                path: path.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(ExportError::Io {
                action: "open the export",
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut hashing_writer = HashingWriter::new(io::sink());
    io::copy(&mut file, &mut hashing_writer).map_err(|source| ExportError::Io {
        action: "read the export",
        path: path.to_path_buf(),
        source,
    })?;
    let (actual_sha256, actual_bytes) =
        hashing_writer.finish().map_err(|source| ExportError::Io {
            action: "read the export",
            path: path.to_path_buf(),
            source,
        })?;
    if actual_sha256 != manifest.sha256 || actual_bytes != manifest.bytes {
        return Err(ExportError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected_sha256: manifest.sha256,
            actual_sha256,
            expected_bytes: manifest.bytes,
            actual_bytes,
        });
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests;
