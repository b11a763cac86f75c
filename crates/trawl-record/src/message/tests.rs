//! Unit tests of HTTP response parsing inside records.

#![allow(clippy::unwrap_used)]

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;

fn parse(block: &[u8]) -> Result<HttpResponse, HttpError> {
    HttpResponse::parse(block, &ReadLimits::default())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn plain_response_with_content_length() {
    let response = parse(
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope\r\n",
    )
    .unwrap();
    assert_eq!(response.status, 404);
    assert_eq!(response.reason, "Not Found");
    assert_eq!(response.body, b"nope");
    assert_eq!(response.headers["content-type"], "text/plain");
}

#[test]
fn chunked_then_gzip_is_decoded_and_headers_cleaned() {
    let compressed = gzip(b"<html>hello</html>");
    let (first, second) = compressed.split_at(7);
    let mut block =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    block.extend_from_slice(format!("{:x};ext=1\r\n", first.len()).as_bytes());
    block.extend_from_slice(first);
    block.extend_from_slice(format!("\r\n{:X}\r\n", second.len()).as_bytes());
    block.extend_from_slice(second);
    block.extend_from_slice(b"\r\n0\r\nTrailer: x\r\n\r\n");
    let response = parse(&block).unwrap();
    assert_eq!(response.body, b"<html>hello</html>");
    assert!(response.headers.get("transfer-encoding").is_none());
    assert!(response.headers.get("content-encoding").is_none());
}

#[test]
fn raw_deflate_and_zlib_both_decode() {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(b"zz").unwrap();
    let mut block = b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n".to_vec();
    block.extend_from_slice(&zlib.finish().unwrap());
    assert_eq!(parse(&block).unwrap().body, b"zz");
    let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
    raw.write_all(b"rr").unwrap();
    let mut block = b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n".to_vec();
    block.extend_from_slice(&raw.finish().unwrap());
    assert_eq!(parse(&block).unwrap().body, b"rr");
}

#[test]
fn invalid_header_names_are_skipped_not_fatal() {
    let response = parse(b"HTTP/2 200\r\nBad Name: x\r\nGood: y\r\n\r\n").unwrap();
    assert_eq!(response.version, "HTTP/2");
    assert_eq!(response.skipped_headers, 1);
    assert_eq!(response.headers["good"], "y");
}

#[test]
fn hostile_messages_are_typed_errors() {
    let cases: &[(&[u8], HttpError)] = &[
        (
            b"HTTP/1.1 200 OK\r\nNo-End: yes\r\n",
            HttpError::UnterminatedHeaders,
        ),
        (
            b"garbage\r\n\r\n",
            HttpError::BadStatusLine("garbage".into()),
        ),
        (
            b"HTTP/1.1 2000 OK\r\n\r\n",
            HttpError::BadStatusLine("HTTP/1.1 2000 OK".into()),
        ),
        (
            b"HTTP/1.1 200 OK\r\nbroken\r\n\r\n",
            HttpError::MalformedHeader("broken".into()),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: x1\r\n\r\n",
            HttpError::BadContentLength("x1".into()),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            HttpError::BadContentLength("4".into()),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
            HttpError::BodyTruncated {
                declared: 100,
                available: 3,
            },
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            HttpError::BadChunk("bad chunk size"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab",
            HttpError::BadChunk("chunk runs past the end of the record"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            HttpError::BadChunk("missing or overlong chunk-size line"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
            HttpError::BadChunk("chunk data not followed by CRLF"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\nxx",
            HttpError::UnsupportedContentEncoding("br".into()),
        ),
    ];
    for (block, expected) in cases {
        assert_eq!(
            &parse(block).unwrap_err(),
            expected,
            "{}",
            String::from_utf8_lossy(block)
        );
    }
    let not_gzip = parse(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nnot gzip at all");
    assert!(matches!(
        not_gzip,
        Err(HttpError::BadContentEncoding { .. })
    ));
}

#[test]
fn gzip_bomb_in_body_hits_the_cap() {
    let bomb = gzip(&vec![0u8; 1 << 20]);
    let mut block = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    block.extend_from_slice(&bomb);
    let limits = ReadLimits {
        max_header_bytes: 1024,
        max_record_bytes: 1024,
    };
    assert_eq!(
        HttpResponse::parse(&block, &limits).unwrap_err(),
        HttpError::BodyTooLarge { limit: 1024 }
    );
}
