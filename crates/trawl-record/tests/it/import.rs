//! Importing foreign WARC files: one written here the way wget
//! `--warc-file` writes them (WARC/1.0, raw chunked and gzip-encoded bodies,
//! metadata and resource records), uncompressed, gzipped per record, and
//! gzipped as a whole.

use std::fs;
use std::path::Path;

use trawl_record::{ReadLimits, Recording, WarcError, index_warc_file, write_index};

use crate::support::gzip_member;

const PAGE: &[u8] = b"<html><body><a href=\"/b\">b</a></body></html>";

fn wget_record(kind: &str, uri: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
    let mut record = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\n\
         WARC-Record-ID: <urn:uuid:{:08x}-0000-4000-8000-000000000000>\r\nWARC-IP-Address: 127.0.0.1\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        block.len() + kind.len(),
        block.len()
    )
    .into_bytes();
    record.extend_from_slice(block);
    record.extend_from_slice(b"\r\n\r\n");
    record
}

/// The records of a wget-style crawl of two pages, one record each.
fn wget_records() -> Vec<Vec<u8>> {
    let compressed = gzip_member(PAGE);
    let (first, second) = compressed.split_at(compressed.len() / 2);
    let mut chunked = b"HTTP/1.1 200 OK\r\nServer: test\r\nContent-Type: text/html\r\n\
        Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
        .to_vec();
    for chunk in [first, second] {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let plain =
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found";
    vec![
        wget_record(
            "warcinfo",
            "",
            "application/warc-fields",
            b"software: Wget/1.21.4 (linux-gnu)\r\nformat: WARC File Format 1.0\r\n",
        ),
        wget_record(
            "request",
            "<http://site.test/a>",
            "application/http;msgtype=request",
            b"GET /a HTTP/1.1\r\nHost: site.test\r\nAccept-Encoding: gzip\r\n\r\n",
        ),
        wget_record(
            "response",
            "<http://site.test/a>",
            "application/http;msgtype=response",
            &chunked,
        ),
        wget_record(
            "request",
            "http://site.test/b",
            "application/http;msgtype=request",
            b"GET /b HTTP/1.1\r\nHost: site.test\r\n\r\n",
        ),
        wget_record(
            "response",
            "http://site.test/b",
            "application/http;msgtype=response",
            plain,
        ),
        wget_record(
            "metadata",
            "metadata://gnu.org/software/wget/warc/MANIFEST.txt",
            "text/plain",
            b"00000000\n",
        ),
        wget_record(
            "resource",
            "metadata://gnu.org/software/wget/warc/wget.log",
            "text/plain",
            b"log line\n",
        ),
    ]
}

fn check_replay(dir: &Path, warc: &Path) {
    let report = index_warc_file(warc, &warc.display().to_string(), ReadLimits::default()).unwrap();
    assert!(report.stopped_at.is_none(), "{:?}", report.stopped_at);
    assert_eq!(report.records, 7);
    let urls: Vec<_> = report
        .entries
        .iter()
        .map(|entry| (entry.url.as_str(), entry.status))
        .collect();
    assert_eq!(
        urls,
        [
            ("http://site.test/a", Some(200)),
            ("http://site.test/b", Some(404))
        ]
    );

    write_index(&dir.join("imported.index.jsonl"), &report.entries).unwrap();
    let recording = Recording::open(dir, ReadLimits::default()).unwrap();
    let page = recording.response("http://site.test/a").unwrap().unwrap();
    assert_eq!(page.http.status, 200);
    assert_eq!(page.http.body, PAGE, "chunked + gzip decoded");
    assert!(page.http.headers.get("transfer-encoding").is_none());
    assert_eq!(page.http.headers["server"], "test");
    let missing = recording.response("http://site.test/b").unwrap().unwrap();
    assert_eq!(
        (missing.http.status, missing.http.body.as_slice()),
        (404, &b"not found"[..])
    );
}

#[test]
fn wget_style_uncompressed_warc() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.warc");
    fs::write(&path, wget_records().concat()).unwrap();
    check_replay(dir.path(), &path);
}

#[test]
fn wget_style_gzip_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.warc.gz");
    let members: Vec<u8> = wget_records()
        .iter()
        .flat_map(|record| gzip_member(record))
        .collect();
    fs::write(&path, members).unwrap();
    check_replay(dir.path(), &path);
}

#[test]
fn whole_file_gzip_addresses_records_inside_the_member() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whole.warc.gz");
    fs::write(&path, gzip_member(&wget_records().concat())).unwrap();
    check_replay(dir.path(), &path);
    let report = index_warc_file(&path, "whole.warc.gz", ReadLimits::default()).unwrap();
    let positions: Vec<_> = report
        .entries
        .iter()
        .map(|entry| (entry.offset, entry.record_in_member))
        .collect();
    assert_eq!(positions, [(0, 2), (0, 4)]);
}

#[test]
fn truncated_foreign_file_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.warc.gz");
    let members: Vec<Vec<u8>> = wget_records()
        .iter()
        .map(|record| gzip_member(record))
        .collect();
    let mut bytes: Vec<u8> = members[..5].concat();
    bytes.extend_from_slice(&members[5][..members[5].len() - 3]);
    fs::write(&path, &bytes).unwrap();
    let report = index_warc_file(&path, "cut.warc.gz", ReadLimits::default()).unwrap();
    assert_eq!(report.records, 5);
    assert_eq!(report.entries.len(), 2);
    assert!(
        matches!(report.stopped_at, Some(WarcError::TruncatedGzip { offset }) if offset == members[..5].concat().len() as u64)
    );
}
