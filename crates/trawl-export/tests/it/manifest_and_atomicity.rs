//! Manifests, verification, and what is (not) left on disk when things fail.

use trawl_export::{ExportError, ExportFormat, Manifest, export, manifest_path, verify};
use trawl_store::StoreError;
use trawl_types::RunId;

use crate::fixture::books;

fn directory_entries(directory: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn manifest_is_written_next_to_the_file_and_verifies() {
    let fixture = books();
    let path = fixture.path("books.csv");
    let manifest = export(&fixture.store, fixture.run_id, ExportFormat::Csv, &path).unwrap();
    assert_eq!(
        directory_entries(fixture.directory()),
        ["books.csv", "books.csv.manifest.json", "store"]
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(manifest.bytes, bytes.len() as u64);
    assert_eq!(manifest.file, "books.csv");
    assert_eq!(manifest.run_id, fixture.run_id);
    assert_eq!(manifest.format, ExportFormat::Csv);
    assert_eq!(manifest.spec_hash, "spec-hash-1");
    assert_eq!(manifest.trawl_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest.sha256.len(), 64);

    let manifest_text = std::fs::read_to_string(manifest_path(&path).unwrap()).unwrap();
    let stored: Manifest = serde_json::from_str(&manifest_text).unwrap();
    assert_eq!(stored, manifest);
    assert!(manifest_text.contains("\"format\": \"csv\""));
    assert_eq!(verify(&path).unwrap(), manifest);
}

#[test]
fn every_format_verifies() {
    let fixture = books();
    for format in ExportFormat::ALL {
        let path = fixture.path(&format!("books.{}", format.extension()));
        let manifest = export(&fixture.store, fixture.run_id, format, &path).unwrap();
        assert_eq!(verify(&path).unwrap(), manifest);
    }
}

#[test]
fn tampered_file_is_a_checksum_mismatch() {
    let fixture = books();
    let path = fixture.path("books.jsonl");
    let manifest = export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    match verify(&path).unwrap_err() {
        ExportError::ChecksumMismatch {
            expected_sha256,
            actual_sha256,
            expected_bytes,
            actual_bytes,
            ..
        } => {
            assert_eq!(expected_sha256, manifest.sha256);
            assert_ne!(actual_sha256, manifest.sha256);
            assert_eq!(
                (expected_bytes, actual_bytes),
                (manifest.bytes, manifest.bytes)
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn file_without_manifest_is_reported() {
    let fixture = books();
    let path = fixture.path("books.jsonl");
    export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap();
    let manifest_path = manifest_path(&path).unwrap();
    std::fs::remove_file(&manifest_path).unwrap();
    match verify(&path).unwrap_err() {
        ExportError::MissingManifest { path: reported } => assert_eq!(reported, manifest_path),
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn manifest_without_file_and_renamed_file_are_reported() {
    let fixture = books();
    let path = fixture.path("books.jsonl");
    export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap();

    let renamed = fixture.path("renamed.jsonl");
    std::fs::copy(&path, &renamed).unwrap();
    std::fs::copy(
        manifest_path(&path).unwrap(),
        manifest_path(&renamed).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        verify(&renamed),
        Err(ExportError::ManifestFileMismatch { manifest_file, .. }) if manifest_file == "books.jsonl"
    ));

    std::fs::remove_file(&path).unwrap();
    assert!(matches!(
        verify(&path),
        Err(ExportError::MissingFile { .. })
    ));

    std::fs::write(manifest_path(&renamed).unwrap(), b"{not json").unwrap();
    assert!(matches!(
        verify(&renamed),
        Err(ExportError::BadManifest { .. })
    ));
}

#[test]
fn export_into_a_missing_directory_is_a_clear_error_and_writes_nothing() {
    let fixture = books();
    let missing_directory = fixture.path("no-such-dir");
    let error = export(
        &fixture.store,
        fixture.run_id,
        ExportFormat::Csv,
        &missing_directory.join("books.csv"),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the export directory does not exist: {}",
            missing_directory.display()
        )
    );
    assert_eq!(directory_entries(fixture.directory()), ["store"]);
}

#[test]
fn export_of_an_unknown_run_leaves_no_file_and_no_temp() {
    let fixture = books();
    let error = export(
        &fixture.store,
        RunId(99),
        ExportFormat::Parquet,
        &fixture.path("books.parquet"),
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            ExportError::Store(StoreError::RunNotFound(RunId(99)))
        ),
        "{error:?}"
    );
    assert_eq!(directory_entries(fixture.directory()), ["store"]);
}

#[test]
fn failing_export_leaves_the_previous_file_and_no_temp() {
    let fixture = books();
    let path = fixture.path("books.jsonl");
    let first = export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap();
    // Make the second export fail half-way: the last item cannot be decoded,
    // so two items are already written to the temporary file when it fails.
    let connection = rusqlite::Connection::open(fixture.store.path().unwrap()).unwrap();
    connection
        .execute(
            "UPDATE items SET data = '{broken' WHERE seq = (SELECT MAX(seq) FROM items)",
            [],
        )
        .unwrap();
    let error = export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap_err();
    assert!(
        matches!(error, ExportError::Store(StoreError::Corrupt { .. })),
        "{error:?}"
    );
    assert_eq!(
        directory_entries(fixture.directory()),
        ["books.jsonl", "books.jsonl.manifest.json", "store"]
    );
    assert_eq!(verify(&path).unwrap(), first);
}

#[test]
fn re_export_replaces_file_and_manifest() {
    let fixture = books();
    let path = fixture.path("books.out");
    export(&fixture.store, fixture.run_id, ExportFormat::Jsonl, &path).unwrap();
    let second = export(&fixture.store, fixture.run_id, ExportFormat::Csv, &path).unwrap();
    assert_eq!(verify(&path).unwrap(), second);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("_kind,_key,_url,")
    );
}
