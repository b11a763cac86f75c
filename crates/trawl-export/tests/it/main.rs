//! End-to-end export tests: a real store on disk, real files, read back.
#![allow(clippy::unwrap_used)]

mod csv_format;
mod fixture;
mod jsonl_format;
mod manifest_and_atomicity;
mod parquet_format;
