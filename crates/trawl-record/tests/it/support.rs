//! Shared helpers: exchanges to record, gzip members, and running python3.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, SystemTime};

use flate2::Compression;
use flate2::write::GzEncoder;
use http::{HeaderMap, HeaderValue, Method, Version};
use trawl_record::{Exchange, IndexEntry, RecordingWriter, WireBody};
use url::Url;

/// One exchange's owned parts, so tests can build `Exchange`s from them.
pub struct OwnedExchange {
    pub url: Url,
    pub request_headers: HeaderMap,
    pub status: u16,
    pub response_headers: HeaderMap,
    pub body: Vec<u8>,
    pub final_url: Option<Url>,
    pub elapsed: Duration,
    /// The body as sent (its coding, its bytes), when the fetcher kept it.
    pub wire: Option<(HeaderValue, Vec<u8>)>,
}

impl OwnedExchange {
    pub fn new(url: &str, status: u16, body: &[u8]) -> OwnedExchange {
        let mut request_headers = HeaderMap::new();
        request_headers.insert("user-agent", HeaderValue::from_static("trawl-test"));
        request_headers.insert("accept-encoding", HeaderValue::from_static("gzip"));
        let mut response_headers = HeaderMap::new();
        response_headers.insert("content-type", HeaderValue::from_static("text/html"));
        // As received on the wire: the fetcher decompressed the body.
        response_headers.insert("content-encoding", HeaderValue::from_static("gzip"));
        response_headers.insert("content-length", HeaderValue::from_static("12345"));
        response_headers.append("set-cookie", HeaderValue::from_static("a=1"));
        response_headers.append("set-cookie", HeaderValue::from_static("b=2"));
        OwnedExchange {
            url: Url::parse(url).unwrap(),
            request_headers,
            status,
            response_headers,
            body: body.to_vec(),
            final_url: None,
            elapsed: Duration::from_micros(12_345),
            wire: None,
        }
    }

    /// A gzip-encoded response whose wire bytes the fetcher kept (it then
    /// drops the coding headers, as it does live).
    pub fn gzipped(url: &str, body: &[u8]) -> OwnedExchange {
        let mut exchange = OwnedExchange::new(url, 200, body);
        exchange.response_headers.remove("content-encoding");
        exchange.response_headers.remove("content-length");
        exchange.wire = Some((HeaderValue::from_static("gzip"), gzip_member(body)));
        exchange
    }

    pub fn write(&self, writer: &mut RecordingWriter) -> IndexEntry {
        let exchange = Exchange {
            method: &Method::GET,
            url: &self.url,
            request_headers: &self.request_headers,
            status: self.status,
            version: Version::HTTP_2,
            response_headers: &self.response_headers,
            body: &self.body,
            wire: self
                .wire
                .as_ref()
                .map(|(content_encoding, bytes)| WireBody {
                    content_encoding,
                    bytes,
                }),
            started_at: SystemTime::now(),
            elapsed: self.elapsed,
            final_url: self.final_url.as_ref(),
            requested_url: None,
            redirects: &[],
            attempt: 0,
            purpose: "page",
        };
        writer.write_exchange(&exchange).unwrap().clone()
    }
}

/// A few exchanges: a page, a redirect hop and its target, binary bytes.
pub fn sample_exchanges() -> Vec<OwnedExchange> {
    let mut redirect = OwnedExchange::new("http://127.0.0.1:8080/old?x=1", 301, b"");
    redirect
        .response_headers
        .insert("location", HeaderValue::from_static("/new"));
    redirect.final_url = Some(Url::parse("http://127.0.0.1:8080/new").unwrap());
    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    vec![
        OwnedExchange::new(
            "http://127.0.0.1:8080/",
            200,
            b"<html><a href=/old?x=1>old</a></html>",
        ),
        redirect,
        OwnedExchange::new(
            "http://127.0.0.1:8080/new",
            200,
            "<p>caf\u{e9} \u{1f600}</p>".as_bytes(),
        ),
        OwnedExchange::new("http://127.0.0.1:8080/missing", 404, b"not found\r\n\r\n"),
        OwnedExchange::new("http://127.0.0.1:8080/blob.bin", 200, &binary),
        OwnedExchange::gzipped(
            "http://127.0.0.1:8080/gzipped",
            &b"<li>sent compressed</li>".repeat(200),
        ),
    ]
}

pub fn gzip_member(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Runs `python3 -c SCRIPT ARGS…` and returns its stdout.
///
/// Fails loudly when python3 or warcio is missing: `scripts/test` installs
/// warcio, and a skipped interop test would silently pass in CI.
pub fn python(script: &str, args: &[&str]) -> String {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "python3 is required for the warcio interop tests \
                 (scripts/test installs warcio; CI={:?}): {error}",
                std::env::var("CI").ok()
            )
        });
    assert!(
        output.status.success(),
        "python3 failed (is warcio installed? `python3 -m pip install warcio`, \
         which scripts/test does):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
