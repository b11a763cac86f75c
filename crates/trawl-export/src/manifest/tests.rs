//! Tests for manifest paths and the hashing writer.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn manifest_sits_next_to_its_file() {
    assert_eq!(
        manifest_path(Path::new("/data/books.csv")).unwrap(),
        PathBuf::from("/data/books.csv.manifest.json")
    );
    assert_eq!(
        manifest_path(Path::new("books.parquet")).unwrap(),
        PathBuf::from("books.parquet.manifest.json")
    );
    assert!(matches!(
        manifest_path(Path::new("/")),
        Err(ExportError::InvalidPath { .. })
    ));
}

#[test]
fn hashing_writer_matches_known_sha256() {
    let mut hashing_writer = HashingWriter::new(Vec::new());
    hashing_writer.write_all(b"ab").unwrap();
    hashing_writer.write_all(b"c").unwrap();
    let (sha256, bytes) = hashing_writer.finish().unwrap();
    assert_eq!(
        sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(bytes, 3);
}
