//! Turns a run's dataset into files users take elsewhere (JSONL, CSV,
//! Parquet), and makes sure a file is either complete and described by a
//! checksummed manifest or not visible at all.
//!
//! Order of visibility: the data file is renamed into place first, then its
//! manifest (`<file>.manifest.json`) is written, so a manifest never describes
//! a file that is not there. A crash between the two leaves a data file
//! without a manifest, which [`verify`] reports. Re-exporting over an old file
//! first removes the old manifest for the same reason.

pub mod atomic;
mod columns;
mod csv_table;
mod error;
mod jsonl;
mod manifest;
mod parquet_table;

use std::fmt;
use std::io::{self, BufWriter};
use std::path::Path;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use trawl_store::Store;
use trawl_types::RunId;

use crate::atomic::{AtomicFile, write_atomic};
pub use crate::error::{ExportError, UnknownExportFormat};
use crate::manifest::HashingWriter;
pub use crate::manifest::{Manifest, manifest_path, verify};

/// The file formats Trawl exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One JSON object per line; keeps nested values and types as they are.
    Jsonl,
    /// Spreadsheet-friendly; nested values become JSON text.
    Csv,
    /// Columnar and typed, for analytics tools.
    Parquet,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [
        ExportFormat::Jsonl,
        ExportFormat::Csv,
        ExportFormat::Parquet,
    ];

    /// The canonical name, as accepted by `FromStr` and shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
            ExportFormat::Parquet => "parquet",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = UnknownExportFormat;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "json-lines" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            "parquet" => Ok(ExportFormat::Parquet),
            _ => Err(UnknownExportFormat(name.to_owned())),
        }
    }
}

/// What a format writer reports back for the manifest.
pub(crate) struct Written {
    items: u64,
    columns: Vec<String>,
}

/// Writes the run's items to `path` in `format`, atomically, followed by the
/// manifest `<path>.manifest.json`, and returns the manifest.
///
/// The directory must exist. Items are streamed from the store (CSV and
/// Parquet read it twice: once for the columns, once for the rows), inside one
/// read snapshot, so exporting a run that is still being written is
/// consistent. On error nothing new is visible at `path`.
pub fn export(
    store: &Store,
    run_id: RunId,
    format: ExportFormat,
    path: &Path,
) -> Result<Manifest, ExportError> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| ExportError::InvalidPath {
            path: path.to_path_buf(),
        })?;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        return Err(ExportError::MissingDirectory {
            path: directory.to_path_buf(),
        });
    }
    let manifest_path = manifest_path(path)?;

    store.with_read_snapshot(|store| {
        let run = store.run(run_id)?;
        let mut atomic_file = AtomicFile::create(path).map_err(|source| ExportError::Io {
            action: "create a temporary file for",
            path: path.to_path_buf(),
            source,
        })?;
        let (written, sha256, bytes) = {
            let mut hashing_writer = HashingWriter::new(BufWriter::new(atomic_file.writer()));
            let written = match format {
                ExportFormat::Jsonl => jsonl::write(store, run_id, &mut hashing_writer)?,
                ExportFormat::Csv => csv_table::write(store, run_id, &mut hashing_writer)?,
                ExportFormat::Parquet => parquet_table::write(store, run_id, &mut hashing_writer)?,
            };
            let (sha256, bytes) = hashing_writer.finish().map_err(|source| ExportError::Io {
                action: "write",
                path: path.to_path_buf(),
                source,
            })?;
            (written, sha256, bytes)
        };

        remove_stale_manifest(&manifest_path)?;
        atomic_file.commit().map_err(|source| ExportError::Io {
            action: "move the finished export into place at",
            path: path.to_path_buf(),
            source,
        })?;

        let manifest = Manifest {
            run_id,
            format,
            file: file_name,
            items: written.items,
            bytes,
            sha256,
            spec_hash: run.spec_hash,
            created_at_millis: now_unix_millis(),
            trawl_version: env!("CARGO_PKG_VERSION").to_owned(),
            columns: written.columns,
        };
        let mut manifest_json = serde_json::to_vec_pretty(&manifest).map_err(ExportError::Json)?;
        manifest_json.push(b'\n');
        write_atomic(&manifest_path, &manifest_json).map_err(|source| ExportError::Io {
            action: "write the manifest",
            path: manifest_path.clone(),
            source,
        })?;
        Ok(manifest)
    })
}

/// Removes the manifest of a previous export to the same path before the new
/// file replaces it, so an old manifest never describes the new file.
fn remove_stale_manifest(manifest_path: &Path) -> Result<(), ExportError> {
    match std::fs::remove_file(manifest_path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ExportError::Io {
            action: "remove the old manifest",
            path: manifest_path.to_path_buf(),
            source,
        }),
    }
}

/// Wall-clock time as unix milliseconds; a clock before 1970 yields 0.
fn now_unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
