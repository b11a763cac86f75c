//! Tests for content decoding: both codings, the cap (a bomb), truncation,
//! corrupt and empty bodies, and codings left to reqwest.
#![allow(clippy::unwrap_used)]

use std::io::Write;

use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};

use super::*;
use crate::fetcher::BodyLimit;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn headers(encoding: &'static str, length: usize) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html"),
    );
    headers
}

#[test]
fn gzip_is_decoded_and_the_wire_bytes_kept() {
    let html = b"<html><body>".repeat(100);
    let wire = Bytes::from(gzip(&html));
    let mut headers = headers("gzip", wire.len());
    let (body, kept) =
        decode_content(&mut headers, wire.clone(), BodyLimit::Fail(1 << 20)).unwrap();
    assert_eq!(&body[..], &html[..]);
    let kept = kept.unwrap();
    assert_eq!(kept.bytes, wire);
    assert_eq!(kept.content_encoding, "gzip");
    // The headers now describe the decoded body, as reqwest leaves them.
    assert!(headers.get(CONTENT_ENCODING).is_none());
    assert!(headers.get(CONTENT_LENGTH).is_none());
    assert!(headers.get(http::header::CONTENT_TYPE).is_some());
}

#[test]
fn deflate_is_a_zlib_stream_and_x_gzip_is_gzip() {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(b"deflated").unwrap();
    let wire = Bytes::from(encoder.finish().unwrap());
    let mut deflate = headers("Deflate", wire.len());
    let (body, _) = decode_content(&mut deflate, wire, BodyLimit::Fail(100)).unwrap();
    assert_eq!(&body[..], b"deflated");

    let wire = Bytes::from(gzip(b"old name"));
    let mut old_name = headers(" x-gzip ", wire.len());
    let (body, kept) = decode_content(&mut old_name, wire, BodyLimit::Fail(100)).unwrap();
    assert_eq!(&body[..], b"old name");
    assert_eq!(kept.unwrap().content_encoding, " x-gzip ");
}

#[test]
fn a_bomb_stops_at_the_cap_or_is_cut_there() {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&vec![0u8; 10 << 20]).unwrap();
    let wire = Bytes::from(encoder.finish().unwrap());
    assert!(wire.len() < 20_000, "a bomb: {} bytes", wire.len());
    let mut headers_fail = headers("gzip", wire.len());
    let error =
        decode_content(&mut headers_fail, wire.clone(), BodyLimit::Fail(1 << 20)).unwrap_err();
    assert!(matches!(error, FetchError::BodyTooLarge { limit_bytes } if limit_bytes == 1 << 20));

    let mut headers_cut = headers("gzip", wire.len());
    let (body, kept) = decode_content(&mut headers_cut, wire, BodyLimit::Truncate(1000)).unwrap();
    assert_eq!(body.len(), 1000);
    // What was kept is the cut body, not a wire form that would decode to
    // more: a recording must replay what the crawl saw.
    assert!(kept.is_none());
}

#[test]
fn corrupt_and_truncated_streams_are_decompression_errors() {
    let mut garbage = headers("gzip", 9);
    let error = decode_content(
        &mut garbage,
        Bytes::from_static(b"not gzip!"),
        BodyLimit::Fail(100),
    )
    .unwrap_err();
    assert_eq!(error.kind(), "decompression", "{error}");

    let whole = gzip(&b"0123456789".repeat(1000));
    let cut = Bytes::from(whole[..whole.len() / 2].to_vec());
    let mut truncated = headers("gzip", cut.len());
    let error = decode_content(&mut truncated, cut.clone(), BodyLimit::Fail(1 << 20)).unwrap_err();
    assert_eq!(error.kind(), "decompression", "{error}");
    // A robots.txt whose read was cut at the limit keeps what decoded
    // before the cut (and no wire form)...
    let limit = cut.len() as u64;
    let mut robots = headers("gzip", cut.len());
    let (body, kept) =
        decode_content(&mut robots, cut.clone(), BodyLimit::Truncate(limit)).unwrap();
    assert!(!body.is_empty() && b"0123456789".repeat(1000).starts_with(&body));
    assert!(kept.is_none());
    // ...but one that arrived whole and is broken is an error.
    let mut broken = headers("gzip", cut.len());
    let error = decode_content(&mut broken, cut, BodyLimit::Truncate(1 << 20)).unwrap_err();
    assert_eq!(error.kind(), "decompression", "{error}");
}

#[test]
fn several_codings_pass_through_untouched() {
    let mut headers = headers("gzip", 4);
    headers.append(CONTENT_ENCODING, HeaderValue::from_static("br"));
    let (body, kept) = decode_content(
        &mut headers,
        Bytes::from_static(b"abcd"),
        BodyLimit::Fail(100),
    )
    .unwrap();
    assert_eq!(&body[..], b"abcd");
    assert!(kept.is_none());
    assert_eq!(headers.get_all(CONTENT_ENCODING).iter().count(), 2);
}

#[test]
fn empty_bodies_and_other_codings_pass_through() {
    let mut empty = headers("gzip", 0);
    let (body, kept) = decode_content(&mut empty, Bytes::new(), BodyLimit::Fail(100)).unwrap();
    assert!(body.is_empty() && kept.is_none());
    assert!(empty.get(CONTENT_ENCODING).is_none());

    for coding in ["br", "zstd", "identity", "gzip, br"] {
        let mut other = headers(coding, 4);
        let (body, kept) = decode_content(
            &mut other,
            Bytes::from_static(b"abcd"),
            BodyLimit::Fail(100),
        )
        .unwrap();
        assert_eq!(&body[..], b"abcd", "{coding}");
        assert!(kept.is_none(), "{coding}");
        assert!(other.get(CONTENT_ENCODING).is_some(), "{coding}");
    }
}
