//! Unit tests of the index file: torn tails and corrupt lines.

#![allow(clippy::unwrap_used)]

use super::*;

fn entry(url: &str, offset: u64) -> IndexEntry {
    IndexEntry {
        url: url.to_owned(),
        file: "f.warc.gz".to_owned(),
        offset,
        length: 10,
        record_in_member: 0,
        status: Some(200),
        date: None,
        requested: None,
        failure: None,
    }
}

#[test]
fn torn_last_line_is_ignored_then_cut_before_appending() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.index.jsonl");
    let mut appender = IndexAppender::open(&path).unwrap();
    appender.append(&entry("http://a/", 0)).unwrap();
    appender.append(&entry("http://b/", 10)).unwrap();
    drop(appender);
    // A crash mid-write: half a line, no newline.
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"url":"http://c/","fi"#);
    fs::write(&path, &bytes).unwrap();

    let index = Index::load(&path).unwrap();
    assert_eq!(index.len(), 2);
    assert_eq!(index.lookup("http://b/").unwrap().offset, 10);

    let mut appender = IndexAppender::open(&path).unwrap();
    appender.append(&entry("http://a/", 20)).unwrap();
    appender.flush().unwrap();
    let index = Index::load(&path).unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(
        index.lookup("http://a/").unwrap().offset,
        20,
        "latest entry wins"
    );
    assert_eq!(index.lookup_all("http://a/").count(), 2);
    assert!(index.lookup("http://c/").is_none());
}

#[test]
fn corrupt_complete_line_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.index.jsonl");
    fs::write(&path, "{\"url\":1}\n{}\n").unwrap();
    assert!(matches!(
        Index::load(&path),
        Err(IndexError::Corrupt { line: 1, .. })
    ));
}

#[test]
fn write_index_replaces_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("imported.index.jsonl");
    write_index(&path, &[entry("http://a/", 1), entry("http://b/", 2)]).unwrap();
    assert_eq!(Index::load(&path).unwrap().len(), 2);
    assert!(!dir.path().join("imported.index.jsonl.tmp").exists());
}
