//! What comes back is decoded right: charsets from every kind of
//! declaration, every content coding, binary bodies spotted.

use std::time::Duration;

use encoding_rs::{Encoding, KOI8_R, UTF_8, UTF_16LE, WINDOWS_1252};
use trawl_fetch::Response;
use trawl_fetch::charset::CharsetSource;
use trawl_test_sites::hostile::ENCODED_PAGE_HTML;
use trawl_test_sites::server::TestServer;

use crate::support::{fetcher, hostile_server, url, within};

async fn get(server: &TestServer, path: &str) -> Response {
    let (outcome, _) = within(Duration::from_secs(5), fetcher().fetch(&url(server, path))).await;
    outcome.unwrap()
}

#[tokio::test]
async fn charsets_decode_to_the_exact_text() {
    let server = hostile_server().await;
    let cases: [(&str, &str, &'static Encoding, CharsetSource, bool); 5] = [
        (
            "/charset/header-latin1",
            "<html><body><p>café naïve £</p></body></html>",
            WINDOWS_1252,
            CharsetSource::Header,
            false,
        ),
        (
            "/charset/meta-windows-1252",
            "<!DOCTYPE html><html><head><meta charset=\"windows-1252\"><title>t</title></head><body><p>€ 5 “quoted”</p></body></html>",
            WINDOWS_1252,
            CharsetSource::Meta,
            false,
        ),
        (
            "/charset/meta-http-equiv",
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"></head><body><p>Привет</p></body></html>",
            KOI8_R,
            CharsetSource::Meta,
            false,
        ),
        (
            "/charset/utf16le-bom",
            "<html><body><p>héllo wörld ✓</p></body></html>",
            UTF_16LE,
            CharsetSource::Bom,
            false,
        ),
        (
            "/charset/utf8-header-latin1-body",
            "<html><body><p>caf\u{fffd}</p></body></html>",
            UTF_8,
            CharsetSource::Header,
            true,
        ),
    ];
    for (path, text, encoding, source, had_errors) in cases {
        let response = get(&server, path).await;
        let decoded = response.decode_text();
        assert_eq!(decoded.text, text, "{path}");
        assert_eq!(decoded.encoding, encoding, "{path}");
        assert_eq!(decoded.source, source, "{path}");
        assert_eq!(decoded.had_errors, had_errors, "{path}");
    }
}

#[tokio::test]
async fn every_content_coding_decodes() {
    let server = hostile_server().await;
    for coding in ["gzip", "deflate", "br", "zstd"] {
        let response = get(&server, &format!("/encoded/{coding}")).await;
        assert_eq!(response.status, 200, "{coding}");
        assert_eq!(&response.body[..], ENCODED_PAGE_HTML.as_bytes(), "{coding}");
        // Decoded bodies lose their coding headers, so nothing decodes twice.
        assert_eq!(response.headers.get("content-encoding"), None, "{coding}");
        // gzip and deflate keep what the server sent, for recordings.
        match &response.wire {
            Some(wire) => {
                assert!(matches!(coding, "gzip" | "deflate"), "{coding}");
                assert_eq!(wire.content_encoding, coding);
                assert!(wire.bytes.len() < response.body.len(), "{coding}");
            }
            None => assert!(matches!(coding, "br" | "zstd"), "{coding}"),
        }
    }
}

#[tokio::test]
async fn binary_served_as_html_looks_binary() {
    let server = hostile_server().await;
    let response = get(&server, "/binary").await;
    assert!(response.is_html());
    assert!(response.looks_binary());
    assert_eq!(response.body.len(), 4096);
}

#[tokio::test]
async fn malformed_html_is_still_text() {
    let server = hostile_server().await;
    let response = get(&server, "/malformed").await;
    assert!(response.is_html());
    assert!(!response.looks_binary());
    let decoded = response.decode_text();
    assert_eq!(decoded.source, CharsetSource::Default);
    assert!(decoded.text.contains("<p>nul\u{0}byte</p>"));
}

#[tokio::test]
async fn html_without_content_type_is_sniffed() {
    let server = hostile_server().await;
    let response = get(&server, "/no-content-type").await;
    assert_eq!(response.content_type(), None);
    assert!(response.is_html());
    let plain = get(&server, "/echo/headers").await;
    assert_eq!(plain.content_type(), Some("text/plain; charset=utf-8"));
    assert!(!plain.is_html());
}

#[tokio::test]
async fn plain_fetch_reports_version_and_elapsed() {
    let server = hostile_server().await;
    let response = get(&server, "/ok").await;
    assert_eq!(response.version, http::Version::HTTP_11);
    assert_eq!(response.final_url, url(&server, "/ok"));
    assert!(response.redirects.is_empty());
    assert!(response.elapsed > Duration::ZERO && response.elapsed < Duration::from_secs(5));
    assert_eq!(
        response.decode_text().text,
        "<!DOCTYPE html><html><head><title>ok</title></head><body><h1>ok</h1><p>a normal page</p></body></html>"
    );
}
