//! Unit tests of the record parser: round trip and header edge cases.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::*;

fn parse(bytes: &[u8]) -> Result<Option<WarcRecord>, WarcError> {
    let mut input = bytes;
    read_record(
        &mut input,
        &ReadLimits::default(),
        0,
        Path::new("test.warc"),
    )
}

#[test]
fn round_trips_and_replaces_content_length() {
    let mut headers = WarcHeaders::new();
    headers.push("WARC-Type", "resource");
    headers.push("Content-Length", "999");
    headers.push("WARC-Target-URI", "http://example.com/a\r\nInjected: yes");
    let record = WarcRecord {
        version: WARC_VERSION.to_owned(),
        headers,
        block: b"hello".to_vec(),
    };
    let parsed = parse(&record.to_bytes()).unwrap().unwrap();
    assert_eq!(parsed.block, b"hello");
    assert_eq!(parsed.headers.get("content-length"), Some("5"));
    assert_eq!(parsed.headers.get("Injected"), None);
    assert_eq!(parsed.record_type(), "resource");
}

#[test]
fn tolerates_lf_only_folding_and_brackets() {
    let input = b"\r\nWARC/1.0\nWARC-Type: response\nWARC-Target-URI: <http://a.example/>\nX-Long: one\n  two\nContent-Length: 2\n\nok\n\n";
    let record = parse(input).unwrap().unwrap();
    assert_eq!(record.version, "WARC/1.0");
    assert_eq!(record.target_uri(), Some("http://a.example/"));
    assert_eq!(record.headers.get("x-long"), Some("one two"));
    assert_eq!(record.block, b"ok");
}

#[test]
fn empty_input_is_end_not_error() {
    assert!(parse(b"").unwrap().is_none());
    assert!(parse(b"\r\n\r\n").unwrap().is_none());
}

#[test]
fn malformations_are_typed_errors() {
    assert!(matches!(
        parse(b"GET / HTTP/1.1\r\n\r\n"),
        Err(WarcError::NotWarc { .. })
    ));
    assert!(matches!(
        parse(b"WARC/1.1\r\nno colon here\r\n\r\n"),
        Err(WarcError::MalformedHeader { .. })
    ));
    assert!(matches!(
        parse(b"WARC/1.1\r\n continuation first\r\n\r\n"),
        Err(WarcError::MalformedHeader { .. })
    ));
    assert!(matches!(
        parse(b"WARC/1.1\r\nWARC-Type: x\r\n\r\nbody"),
        Err(WarcError::MissingContentLength { .. })
    ));
    for bad in ["-1", "abc", "99999999999999999999999", ""] {
        let input = format!("WARC/1.1\r\nContent-Length: {bad}\r\n\r\n");
        assert!(
            matches!(
                parse(input.as_bytes()),
                Err(WarcError::BadContentLength { .. })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        parse(b"WARC/1.1\r\nContent-Length: 10\r\n\r\nshort"),
        Err(WarcError::TruncatedRecord {
            expected: 10,
            found: 5,
            ..
        })
    ));
    assert!(matches!(
        parse(b"WARC/1.1\r\nWARC-Type: response"),
        Err(WarcError::HeaderTooLarge { .. })
    ));
}

#[test]
fn limits_bound_headers_and_blocks() {
    let limits = ReadLimits {
        max_header_bytes: 64,
        max_record_bytes: 10,
    };
    let long_header = format!(
        "WARC/1.1\r\nX: {}\r\nContent-Length: 1\r\n\r\na",
        "y".repeat(100)
    );
    let mut input = long_header.as_bytes();
    assert!(matches!(
        read_record(&mut input, &limits, 7, Path::new("t")),
        Err(WarcError::HeaderTooLarge { offset: 7 })
    ));
    let mut input = &b"WARC/1.1\r\nContent-Length: 11\r\n\r\nhello world"[..];
    assert!(matches!(
        read_record(&mut input, &limits, 0, Path::new("t")),
        Err(WarcError::RecordTooLarge { limit: 10, .. })
    ));
}
