//! Header helpers on hand-built responses (no network).

#![allow(clippy::unwrap_used)]

use super::*;

fn response_with(headers: &[(&'static str, &'static str)], body: &'static [u8]) -> Response {
    let mut header_map = http::HeaderMap::new();
    for (name, value) in headers {
        header_map.insert(*name, http::HeaderValue::from_static(value));
    }
    Response {
        final_url: Url::parse("http://example.test/").unwrap(),
        status: 200,
        headers: header_map,
        body: Bytes::from_static(body),
        redirects: Vec::new(),
        version: http::Version::HTTP_11,
        elapsed: Duration::ZERO,
        wire: None,
    }
}

#[test]
fn retry_after_seconds_and_dates() {
    let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("-1", now), None);
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn retry_after_reads_the_header() {
    let response = response_with(&[("retry-after", " 7 ")], b"");
    assert_eq!(response.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(response_with(&[], b"").retry_after(), None);
}

#[test]
fn is_html_uses_the_header_then_sniffs() {
    assert!(response_with(&[("content-type", "text/html; charset=utf-8")], b"{}").is_html());
    assert!(!response_with(&[("content-type", "application/json")], b"<html>").is_html());
    assert!(response_with(&[], b"<!doctype html><p>").is_html());
    assert!(!response_with(&[], b"%PDF-1.7").is_html());
}

#[test]
fn decode_text_uses_the_content_type_charset() {
    let response = response_with(&[("content-type", "text/html; charset=koi8-r")], b"\xf0");
    let decoded = response.decode_text();
    assert_eq!(decoded.text, "П");
    assert_eq!(decoded.source, crate::charset::CharsetSource::Header);
}
