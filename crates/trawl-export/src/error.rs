//! Errors of exporting and verifying datasets, one enum for the concern, so
//! the CLI can tell a missing directory from a tampered file.

use std::path::PathBuf;

use trawl_store::StoreError;

/// Everything that can go wrong in [`crate::export`] and [`crate::verify`].
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the run or its items from the store failed (unknown run,
    /// corrupt rows, SQLite errors).
    #[error("cannot read the dataset from the store")]
    Store(#[from] StoreError),
    /// The directory the export should be written into does not exist; export
    /// does not create directories, so a typo in the path is noticed.
    #[error("the export directory does not exist: {path}")]
    MissingDirectory { path: PathBuf },
    /// The export path ends in `..` or a root, so it names no file.
    #[error("the export path does not name a file: {path}")]
    InvalidPath { path: PathBuf },
    /// A file operation failed (permissions, disk full, a rename across file
    /// systems); `action` says which.
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The CSV encoder failed (in practice: writing to the file failed).
    #[error("cannot write csv")]
    Csv(#[from] csv::Error),
    /// The Parquet encoder failed (writing to the file failed, or a column
    /// could not be encoded).
    #[error("cannot write parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Encoding a row or the manifest as JSON failed (writing to the file failed).
    #[error("cannot write json")]
    Json(#[source] serde_json::Error),
    /// A value's type differs from what the first pass over the items inferred
    /// for its column. Both passes read one snapshot, so this means the store
    /// changed under the export.
    #[error("column {column:?} changed type between the two passes over the dataset")]
    ColumnTypeChanged { column: String },
    /// The data file has no `<file>.manifest.json` next to it, e.g. because
    /// the export crashed between writing the file and its manifest.
    #[error("no manifest next to the export: {path}")]
    MissingManifest { path: PathBuf },
    /// The manifest exists but the data file it describes does not.
    #[error("the manifest describes a file that does not exist: {path}")]
    MissingFile { path: PathBuf },
    /// The manifest is not valid JSON or lacks fields.
    #[error("the manifest is not valid: {path}")]
    BadManifest {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The manifest names a different data file (it was copied or renamed
    /// without its file).
    #[error("the manifest describes {manifest_file:?}, not {path}")]
    ManifestFileMismatch {
        path: PathBuf,
        manifest_file: String,
    },
    /// The file's size or SHA-256 differs from its manifest: it was modified,
    /// truncated or replaced after the export.
    #[error(
        "checksum mismatch: expected {expected_bytes} bytes with sha256 {expected_sha256}, found {actual_bytes} bytes with sha256 {actual_sha256} in {path}"
    )]
    ChecksumMismatch {
        path: PathBuf,
        expected_sha256: String,
        actual_sha256: String,
        expected_bytes: u64,
        actual_bytes: u64,
    },
}

/// Returned when an export format name is not one Trawl writes.
#[derive(Debug, thiserror::Error)]
#[error("unknown export format {0:?} (expected jsonl, csv or parquet)")]
pub struct UnknownExportFormat(pub String);
