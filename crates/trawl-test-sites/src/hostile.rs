//! A site that misbehaves on purpose, so the fetcher and the engine can be
//! tested against every kind of hostile or broken server on real sockets.
//!
//! Routes (all `GET`; `{origin}` is the origin the client used):
//!
//! | Path | Behaviour |
//! | --- | --- |
//! | `/` | index linking to the routes below |
//! | `/ok` | a small valid HTML page |
//! | `/status/{code}` | an HTML page with that status |
//! | `/redirect-loop/a`, `/redirect-loop/b` | 302 a -> b -> a -> ... |
//! | `/chain/{n}` | 302 to `/chain/{n+1}`, forever |
//! | `/redirect/relative` | 302 with a relative `Location` (`../ok`) |
//! | `/redirect/bad-location` | 302 with an unparsable `Location` |
//! | `/redirect/no-location` | 302 without `Location` |
//! | `/bomb/gzip` | `Content-Encoding: gzip`, ~1 MiB on the wire, 1 GiB of zeros decoded |
//! | `/bomb/zstd` | `Content-Encoding: zstd`, 32 KiB on the wire, 1 GiB of zeros decoded |
//! | `/slow-drip` | headers at once, then 1 byte every 200 ms forever |
//! | `/no-headers` | accepts the request and sends nothing for 10 minutes |
//! | `/huge/with-length?bytes=N` | N zero bytes (default 1 GiB) with `Content-Length` |
//! | `/huge/chunked?bytes=N` | N zero bytes chunked, no `Content-Length` (default: endless) |
//! | `/storm/429?n=N&key=K` | the first N (default 3) requests per key get 429 + `Retry-After: 1`, then 200 |
//! | `/unavailable?n=N&key=K` | the first N (default 1) requests per key get 503 (no `Retry-After`), then 200 |
//! | `/retry-after-date?secs=S` | 503 with `Retry-After` as an HTTP date S seconds ahead (default 2) |
//! | `/charset/header-latin1` | ISO-8859-1 body, charset in the header: "café naïve £" |
//! | `/charset/meta-windows-1252` | windows-1252 declared only in `<meta charset>`: "€ 5 “quoted”" |
//! | `/charset/meta-http-equiv` | KOI8-R declared in `<meta http-equiv=Content-Type>`: "Привет" |
//! | `/charset/utf16le-bom` | UTF-16LE with a BOM and no label: "héllo wörld ✓" |
//! | `/charset/utf8-header-latin1-body` | header says utf-8, body is latin1: "café" |
//! | `/malformed` | unclosed tags, stray `</div>`, `<<`, unquoted attributes, NUL bytes |
//! | `/calendar/{YYYY}/{MM}` | a link trap: every month links to its previous and next month |
//! | `/long-url` | a page linking to a 1 MiB-long URL (under `/long/`) |
//! | `/binary` | 4 KiB of pseudo-random bytes served as `text/html` |
//! | `/no-content-type` | an HTML page without `Content-Type` |
//! | `/encoded/{gzip,deflate,br,zstd}` | [`ENCODED_PAGE_HTML`] with that `Content-Encoding` |
//! | `/cookies/set?name=value` | sets the cookie `name=value` (`Path=/`) |
//! | `/cookies/login` | a 302 to `/echo/headers` that sets `login=ok` (`Path=/`), like a login form |
//! | `/echo/headers` | the request headers as `text/plain`, one `name: value` per line |
//! | `/robots.txt` | the variant chosen with [`hostile_handler_with_robots`] |
//! | `/robots/{normal,garbage,500,huge,missing}.txt` | each robots.txt variant |
//! | `/sitemap.xml` | a small XML sitemap |
//!
//! Every body that can be large is streamed from one shared chunk, so the
//! server itself stays small in memory whatever the client asks for.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};

use crate::server::{BoxBody, Handler, full, request_origin};

/// The text every `/encoded/*` route serves, before encoding.
pub const ENCODED_PAGE_HTML: &str = "<!DOCTYPE html><html><head><title>encoded</title></head><body><p>decoded fine</p></body></html>";

/// Decoded size of the gzip and zstd bombs.
pub const BOMB_DECODED_BYTES: u64 = 1 << 30;

/// Default body size of `/huge/with-length`.
const DEFAULT_HUGE_BYTES: u64 = 1 << 30;

/// Length of the URL linked from `/long-url` (the path alone).
pub const LONG_URL_PATH_BYTES: usize = 1 << 20;

/// Which robots.txt `/robots.txt` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotsVariant {
    /// Groups for `*` and `trawl`, crawl-delays and a sitemap line.
    Normal,
    /// Binary garbage and nonsense lines.
    Garbage,
    /// A 500 response.
    ServerError,
    /// 2 MiB: a rule at the start, another one after the first 600 KiB.
    Huge,
    /// A 404 response.
    Missing,
}

/// The hostile site with the normal robots.txt.
pub fn hostile_handler() -> Handler {
    hostile_handler_with_robots(RobotsVariant::Normal)
}

/// The hostile site whose `/robots.txt` is `robots_variant` (robots.txt
/// lives at one fixed path, so testing the variants through a fetcher needs
/// one server per variant).
pub fn hostile_handler_with_robots(robots_variant: RobotsVariant) -> Handler {
    let state = Arc::new(HostileState {
        robots_variant,
        request_counts: Mutex::new(HashMap::new()),
    });
    Arc::new(move |request: http::Request<hyper::body::Incoming>| {
        let response = state.respond(&request);
        Box::pin(async move {
            match response {
                Reply::Ready(response) => response,
                Reply::Silent => {
                    // Bounded so that a long-running fixture server does not
                    // pile up requests whose clients left long ago.
                    tokio::time::sleep(SILENT_ROUTE_WAIT).await;
                    full(504, "text/html", "<p>gave up waiting</p>")
                }
            }
        })
    })
}

/// What a route does: answer now, or stay silent.
enum Reply {
    Ready(http::Response<BoxBody>),
    /// Send nothing for [`SILENT_ROUTE_WAIT`] (forever, for any client with
    /// a sane timeout).
    Silent,
}

/// How long `/no-headers` keeps a request without answering.
const SILENT_ROUTE_WAIT: Duration = Duration::from_secs(600);

struct HostileState {
    robots_variant: RobotsVariant,
    /// Requests seen per storm key, for the 429 and 503 routes.
    request_counts: Mutex<HashMap<String, u64>>,
}

impl HostileState {
    fn respond<B>(&self, request: &http::Request<B>) -> Reply {
        let path = request.uri().path();
        let query = request.uri().query().unwrap_or("");
        // Only robots.txt and the sitemap print absolute URLs.
        let origin = || request_origin(request);
        let response = match path {
            "/" => full(200, "text/html; charset=utf-8", INDEX_HTML),
            "/ok" => full(200, "text/html; charset=utf-8", OK_HTML),
            "/redirect-loop/a" => redirect("/redirect-loop/b"),
            "/redirect-loop/b" => redirect("/redirect-loop/a"),
            "/redirect/relative" => redirect("../ok"),
            "/redirect/bad-location" => redirect("http://[::1"),
            "/redirect/no-location" => full(302, "text/html", "<p>moved, somewhere</p>"),
            "/bomb/gzip" => with_header(
                streamed(200, "text/html", gzip_bomb().body(), true),
                "content-encoding",
                "gzip",
            ),
            "/bomb/zstd" => with_header(
                streamed(200, "text/html", zstd_bomb().body(), true),
                "content-encoding",
                "zstd",
            ),
            "/slow-drip" => streamed(200, "text/html", SlowDripBody::new().boxed(), false),
            "/no-headers" => return Reply::Silent,
            "/huge/with-length" => {
                let bytes = query_u64(query, "bytes").unwrap_or(DEFAULT_HUGE_BYTES);
                streamed(200, "text/html", zero_body(Some(bytes)), true)
            }
            "/huge/chunked" => {
                let bytes = query_u64(query, "bytes");
                streamed(200, "text/html", zero_body(bytes), false)
            }
            "/storm/429" => {
                let failures = query_u64(query, "n").unwrap_or(3);
                if self.count_request(path, query) <= failures {
                    with_header(
                        full(429, "text/html", "<p>slow down</p>"),
                        "retry-after",
                        "1",
                    )
                } else {
                    full(200, "text/html; charset=utf-8", OK_HTML)
                }
            }
            "/unavailable" => {
                let failures = query_u64(query, "n").unwrap_or(1);
                if self.count_request(path, query) <= failures {
                    full(503, "text/html", "<p>try again later</p>")
                } else {
                    full(200, "text/html; charset=utf-8", OK_HTML)
                }
            }
            "/retry-after-date" => {
                let seconds_ahead = query_u64(query, "secs").unwrap_or(2);
                let retry_at = SystemTime::now() + Duration::from_secs(seconds_ahead);
                with_header(
                    full(503, "text/html", "<p>come back later</p>"),
                    "retry-after",
                    &httpdate::fmt_http_date(retry_at),
                )
            }
            "/charset/header-latin1" => full(
                200,
                "text/html; charset=ISO-8859-1",
                &b"<html><body><p>caf\xe9 na\xefve \xa3</p></body></html>"[..],
            ),
            "/charset/meta-windows-1252" => full(
                200,
                "text/html",
                &b"<!DOCTYPE html><html><head><meta charset=\"windows-1252\"><title>t</title></head><body><p>\x80 5 \x93quoted\x94</p></body></html>"[..],
            ),
            "/charset/meta-http-equiv" => full(
                200,
                "text/html",
                &b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"></head><body><p>\xf0\xd2\xc9\xd7\xc5\xd4</p></body></html>"[..],
            ),
            "/charset/utf16le-bom" => full(200, "text/html", utf16le_with_bom(UTF16_PAGE_HTML)),
            "/charset/utf8-header-latin1-body" => full(
                200,
                "text/html; charset=utf-8",
                &b"<html><body><p>caf\xe9</p></body></html>"[..],
            ),
            "/malformed" => full(200, "text/html", MALFORMED_HTML),
            "/long-url" => full(200, "text/html; charset=utf-8", long_url_page().clone()),
            "/binary" => full(200, "text/html", binary_garbage().clone()),
            "/no-content-type" => {
                let mut response = full(200, "", OK_HTML);
                response.headers_mut().remove(http::header::CONTENT_TYPE);
                response
            }
            "/encoded/gzip" => encoded("gzip", encoded_page_gzip()),
            "/encoded/deflate" => encoded("deflate", encoded_page_deflate()),
            "/encoded/br" => encoded("br", brotli_stored(ENCODED_PAGE_HTML.as_bytes())),
            "/encoded/zstd" => encoded("zstd", zstd_raw_frame(ENCODED_PAGE_HTML.as_bytes())),
            "/cookies/set" => {
                let mut response = full(200, "text/html", "<p>cookie set</p>");
                if !query.is_empty()
                    && let Ok(cookie) = http::HeaderValue::from_str(&format!("{query}; Path=/"))
                {
                    response
                        .headers_mut()
                        .insert(http::header::SET_COOKIE, cookie);
                }
                response
            }
            "/cookies/login" => with_header(redirect("/echo/headers"), "set-cookie", "login=ok; Path=/"),
            "/echo/headers" => full(200, "text/plain; charset=utf-8", echo_headers(request)),
            "/robots.txt" => robots_response(self.robots_variant, &origin()),
            "/robots/normal.txt" => robots_response(RobotsVariant::Normal, &origin()),
            "/robots/garbage.txt" => robots_response(RobotsVariant::Garbage, &origin()),
            "/robots/500.txt" => robots_response(RobotsVariant::ServerError, &origin()),
            "/robots/huge.txt" => robots_response(RobotsVariant::Huge, &origin()),
            "/robots/missing.txt" => robots_response(RobotsVariant::Missing, &origin()),
            "/sitemap.xml" => full(200, "application/xml", sitemap_xml(&origin())),
            _ => {
                if let Some(rest) = path.strip_prefix("/chain/") {
                    let step: u64 = rest.parse().unwrap_or(0);
                    redirect(&format!("/chain/{}", step.saturating_add(1)))
                } else if let Some(code) = path.strip_prefix("/status/") {
                    let status = code.parse().unwrap_or(500);
                    full(status, "text/html", format!("<p>status {status}</p>"))
                } else if let Some(rest) = path.strip_prefix("/calendar/") {
                    calendar_page(rest)
                } else if path.starts_with("/long/") {
                    full(200, "text/html; charset=utf-8", OK_HTML)
                } else {
                    full(404, "text/html", "<p>not found</p>")
                }
            }
        };
        Reply::Ready(response)
    }

    /// Counts this request against its storm key (path plus `key=`), and
    /// returns how many requests the key has seen, this one included.
    fn count_request(&self, path: &str, query: &str) -> u64 {
        let storm_key = format!("{path}?{}", query_param(query, "key").unwrap_or(""));
        let mut request_counts = self
            .request_counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = request_counts.entry(storm_key).or_insert(0);
        *count += 1;
        *count
    }
}

const INDEX_HTML: &str = r#"<!DOCTYPE html><html><head><title>hostile</title></head><body><ul>
<li><a href="/ok">ok</a></li>
<li><a href="/redirect-loop/a">redirect loop</a></li>
<li><a href="/chain/0">endless redirect chain</a></li>
<li><a href="/bomb/gzip">gzip bomb</a></li>
<li><a href="/bomb/zstd">zstd bomb</a></li>
<li><a href="/slow-drip">slow drip</a></li>
<li><a href="/no-headers">no headers</a></li>
<li><a href="/huge/with-length">huge with length</a></li>
<li><a href="/huge/chunked">huge chunked</a></li>
<li><a href="/storm/429">429 storm</a></li>
<li><a href="/unavailable">503 then ok</a></li>
<li><a href="/retry-after-date">retry-after date</a></li>
<li><a href="/malformed">malformed</a></li>
<li><a href="/calendar/2024/01">calendar</a></li>
<li><a href="/long-url">long url</a></li>
<li><a href="/binary">binary</a></li>
</ul></body></html>"#;

const OK_HTML: &str = "<!DOCTYPE html><html><head><title>ok</title></head><body><h1>ok</h1><p>a normal page</p></body></html>";

const UTF16_PAGE_HTML: &str = "<html><body><p>héllo wörld ✓</p></body></html>";

/// Every kind of broken markup a parser must survive. The two NUL bytes are
/// few enough that the page still counts as text, not binary.
const MALFORMED_HTML: &[u8] = b"<html><head><title>Broken<title></head><body>\
<div><p>unclosed <b>bold <i>italic</div></div></span>\
<<p>a << b</p>\
<a href=/ok class=x data-x=a>link</a>\
<img src=x.png alt=y\x00z>\
<p>nul\x00byte</p>\
<table><tr><td>cell</table>\
<p attr=\"unterminated>text\
";

fn redirect(location: &str) -> http::Response<BoxBody> {
    with_header(
        full(302, "text/html", "<p>redirecting</p>"),
        "location",
        location,
    )
}

fn with_header(
    mut response: http::Response<BoxBody>,
    name: &'static str,
    value: &str,
) -> http::Response<BoxBody> {
    if let Ok(header_value) = http::HeaderValue::from_str(value) {
        response
            .headers_mut()
            .insert(http::HeaderName::from_static(name), header_value);
    }
    response
}

/// A response around a streamed body. With `announce_length` the body's
/// exact size becomes `Content-Length`; without it hyper sends it chunked.
fn streamed(
    status: u16,
    content_type: &str,
    body: BoxBody,
    announce_length: bool,
) -> http::Response<BoxBody> {
    let mut response = full(status, content_type, Bytes::new());
    *response.body_mut() = body;
    if !announce_length {
        response.headers_mut().remove(http::header::CONTENT_LENGTH);
    }
    response
}

fn encoded(content_encoding: &'static str, body: Bytes) -> http::Response<BoxBody> {
    with_header(
        full(200, "text/html; charset=utf-8", body),
        "content-encoding",
        content_encoding,
    )
}

/// Value of `name` in a query string, undecoded (the routes only take plain
/// numbers and keys).
fn query_param<'query>(query: &'query str, name: &str) -> Option<&'query str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

fn query_u64(query: &str, name: &str) -> Option<u64> {
    query_param(query, name).and_then(|value| value.parse().ok())
}

/// 64 KiB of zeros, shared by every zero-filled streamed body.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

/// `bytes` zeros, or endless zeros when `None`.
fn zero_body(bytes: Option<u64>) -> BoxBody {
    let chunk = Bytes::from_static(&ZEROS);
    let chunk_len = ZEROS.len() as u64;
    match bytes {
        Some(bytes) => RepeatBody {
            head: None,
            chunk,
            chunks_left: Some(bytes / chunk_len),
            // The remainder is below 64 KiB, so the cast is lossless.
            tail: Some(Bytes::from_static(&ZEROS[..(bytes % chunk_len) as usize])),
            announce_length: true,
        }
        .boxed(),
        None => RepeatBody {
            head: None,
            chunk,
            chunks_left: None,
            tail: None,
            announce_length: false,
        }
        .boxed(),
    }
}

/// A body made of one head, one chunk repeated, and one tail. Repeating a
/// shared `Bytes` costs a refcount per frame, so gigabyte bodies and bombs
/// cost the server nothing.
struct RepeatBody {
    head: Option<Bytes>,
    chunk: Bytes,
    /// `None` repeats forever.
    chunks_left: Option<u64>,
    tail: Option<Bytes>,
    /// Report the exact size so hyper sends `Content-Length`.
    announce_length: bool,
}

impl Body for RepeatBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(head) = self.head.take() {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        match self.chunks_left {
            None => return Poll::Ready(Some(Ok(Frame::data(self.chunk.clone())))),
            Some(chunks_left) if chunks_left > 0 => {
                self.chunks_left = Some(chunks_left - 1);
                return Poll::Ready(Some(Ok(Frame::data(self.chunk.clone()))));
            }
            Some(_) => {}
        }
        match self.tail.take() {
            Some(tail) if !tail.is_empty() => Poll::Ready(Some(Ok(Frame::data(tail)))),
            _ => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_none()
            && self.chunks_left == Some(0)
            && self.tail.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        let (Some(chunks_left), true) = (self.chunks_left, self.announce_length) else {
            return SizeHint::default();
        };
        let head_len = self.head.as_ref().map_or(0, Bytes::len) as u64;
        let tail_len = self.tail.as_ref().map_or(0, Bytes::len) as u64;
        let total = (self.chunk.len() as u64)
            .saturating_mul(chunks_left)
            .saturating_add(head_len)
            .saturating_add(tail_len);
        SizeHint::with_exact(total)
    }
}

/// Headers at once, then one byte every 200 ms, forever. hyper drops the
/// body when the client goes away, which stops the ticks.
struct SlowDripBody {
    ticks: tokio::time::Interval,
}

impl SlowDripBody {
    fn new() -> SlowDripBody {
        let period = Duration::from_millis(200);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        SlowDripBody { ticks }
    }
}

impl Body for SlowDripBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.ticks.poll_tick(context) {
            Poll::Ready(_) => Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x"))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A compressed bomb, kept as its three parts so that it streams without
/// ever being assembled.
struct Bomb {
    head: Bytes,
    repeated_segment: Bytes,
    segment_count: u64,
    tail: Bytes,
}

impl Bomb {
    fn body(&self) -> BoxBody {
        RepeatBody {
            head: Some(self.head.clone()),
            chunk: self.repeated_segment.clone(),
            chunks_left: Some(self.segment_count),
            tail: Some(self.tail.clone()),
            announce_length: true,
        }
        .boxed()
    }
}

/// Uncompressed size of one repeated bomb segment.
const BOMB_SEGMENT_BYTES: usize = 1 << 20;

/// One gzip member whose deflate stream is the same 1 MiB-of-zeros segment
/// repeated 1024 times. Compressing 1 GiB of zeros would take seconds;
/// compressing 1 MiB once and repeating it takes a millisecond. A segment
/// compressed from a fresh state and ended with a full flush references no
/// earlier data and ends byte-aligned with no final block, so copies of it
/// can follow each other in one stream (hand-assembled because no crate
/// builds a repeated deflate stream; gzip members cannot simply be
/// concatenated, as most HTTP clients stop after the first member).
fn gzip_bomb() -> &'static Bomb {
    static GZIP_BOMB: OnceLock<Bomb> = OnceLock::new();
    GZIP_BOMB.get_or_init(|| build_gzip_bomb(BOMB_DECODED_BYTES / BOMB_SEGMENT_BYTES as u64))
}

/// The gzip bomb with `segment_count` segments of 1 MiB (tests use a small one).
fn build_gzip_bomb(segment_count: u64) -> Bomb {
    let zeros = vec![0u8; BOMB_SEGMENT_BYTES];
    let mut compressor = flate2::Compress::new(flate2::Compression::best(), false);
    let mut segment = Vec::with_capacity(BOMB_SEGMENT_BYTES / 256);
    // `compress_vec` only writes into spare capacity; a full flush of
    // zeros fits easily, but loop in case the backend stops early.
    let mut input_offset = 0;
    loop {
        if segment.capacity() - segment.len() < 1024 {
            segment.reserve(64 * 1024);
        }
        let before_in = compressor.total_in();
        let status = compressor.compress_vec(
            &zeros[input_offset..],
            &mut segment,
            flate2::FlushCompress::Full,
        );
        // total_in grows by at most the input length: fits in usize.
        input_offset += (compressor.total_in() - before_in) as usize;
        let done = input_offset == zeros.len() && segment.capacity() > segment.len();
        if status.is_err() || done {
            break;
        }
    }
    let mut segment_crc = flate2::Crc::new();
    segment_crc.update(&zeros);
    let mut total_crc = flate2::Crc::new();
    for _ in 0..segment_count {
        total_crc.combine(&segment_crc);
    }
    // Gzip header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
    let head = Bytes::from_static(&[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
    // Empty final stored block (BFINAL=1, BTYPE=00, LEN=0, NLEN=0xffff),
    // then CRC-32 and the size modulo 2^32, little-endian.
    let mut tail = vec![0x01, 0x00, 0x00, 0xff, 0xff];
    tail.extend_from_slice(&total_crc.sum().to_le_bytes());
    let decoded_bytes = segment_count * BOMB_SEGMENT_BYTES as u64;
    tail.extend_from_slice(&((decoded_bytes & 0xffff_ffff) as u32).to_le_bytes());
    Bomb {
        head,
        repeated_segment: Bytes::from(segment),
        segment_count,
        tail: Bytes::from(tail),
    }
}

/// Largest block zstd allows, and the size of each RLE block of the bomb.
const ZSTD_BLOCK_BYTES: u64 = 128 * 1024;

/// One zstd frame made of 8192 RLE blocks of 128 KiB of zeros: 4 bytes on
/// the wire per block. Written by hand (RFC 8878 sections 3.1.1.1-3.1.1.2)
/// because an encoder would spend a second scanning the gigabyte, and the
/// workspace's zstd crate version differs from the one reqwest builds.
fn zstd_bomb() -> &'static Bomb {
    static ZSTD_BOMB: OnceLock<Bomb> = OnceLock::new();
    ZSTD_BOMB.get_or_init(|| {
        let segment_count = BOMB_DECODED_BYTES / ZSTD_BLOCK_BYTES;
        let repeated_segment = Bytes::from(zstd_rle_block(ZSTD_BLOCK_BYTES, false).to_vec());
        Bomb {
            head: Bytes::from(zstd_frame_header().to_vec()),
            repeated_segment,
            // The last block carries the Last_Block flag.
            segment_count: segment_count - 1,
            tail: Bytes::from(zstd_rle_block(ZSTD_BLOCK_BYTES, true).to_vec()),
        }
    })
}

/// zstd magic number, a descriptor with no content size, no checksum, no
/// dictionary, and a 128 KiB window (exponent 7).
fn zstd_frame_header() -> [u8; 6] {
    [0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3]
}

/// A 3-byte block header (Last_Block, Block_Type, Block_Size) for an RLE
/// block of `repeat_count` zero bytes, followed by the byte.
fn zstd_rle_block(repeat_count: u64, last_block: bool) -> [u8; 4] {
    let header = (repeat_count << 3) | (1 << 1) | u64::from(last_block);
    [header as u8, (header >> 8) as u8, (header >> 16) as u8, 0]
}

/// A zstd frame holding `content` in raw blocks: valid zstd that any
/// decoder must accept (see [`zstd_bomb`] for why it is written by hand).
fn zstd_raw_frame(content: &[u8]) -> Bytes {
    let mut frame = zstd_frame_header().to_vec();
    let mut blocks = content.chunks(ZSTD_BLOCK_BYTES as usize).peekable();
    if blocks.peek().is_none() {
        // Raw block of size 0, last.
        frame.extend_from_slice(&[0x01, 0, 0]);
    }
    while let Some(block) = blocks.next() {
        let last_block = blocks.peek().is_none();
        let header = ((block.len() as u64) << 3) | u64::from(last_block);
        frame.extend_from_slice(&[header as u8, (header >> 8) as u8, (header >> 16) as u8]);
        frame.extend_from_slice(block);
    }
    Bytes::from(frame)
}

/// A brotli stream holding `content` in uncompressed meta-blocks of up to
/// 64 KiB (RFC 7932 section 9.2), then an empty last meta-block. Written by
/// hand for the same reason as [`zstd_raw_frame`]: the workspace's brotli
/// crate version differs from reqwest's, and this is a dozen lines.
fn brotli_stored(content: &[u8]) -> Bytes {
    let mut stream = Vec::with_capacity(content.len() + 16);
    for (index, block) in content.chunks(1 << 16).enumerate() {
        // Bit 0 (first block only): WBITS=16. Then ISLAST=0, MNIBBLES=4
        // (code 0), MLEN-1 in 16 bits, ISUNCOMPRESSED=1, padding to a byte.
        let length_minus_one = (block.len() - 1) as u32;
        let header = if index == 0 {
            (length_minus_one << 4) | (1 << 20)
        } else {
            (length_minus_one << 3) | (1 << 19)
        };
        let header_bytes = header.to_le_bytes();
        stream.extend_from_slice(&header_bytes[..3]);
        stream.extend_from_slice(block);
    }
    if content.is_empty() {
        // WBITS=16, ISLAST=1, ISLASTEMPTY=1.
        stream.push(0b110);
    } else {
        // ISLAST=1, ISLASTEMPTY=1.
        stream.push(0b11);
    }
    Bytes::from(stream)
}

fn encoded_page_gzip() -> Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(ENCODED_PAGE_HTML.as_bytes());
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// HTTP's `deflate` is the zlib format (RFC 9110 section 8.4.1.2).
fn encoded_page_deflate() -> Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(ENCODED_PAGE_HTML.as_bytes());
    Bytes::from(encoder.finish().unwrap_or_default())
}

fn utf16le_with_bom(text: &str) -> Bytes {
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    Bytes::from(bytes)
}

/// `rest` is `YYYY/MM`; any month links to its neighbours, so a crawler
/// without a depth or page limit never runs out of links.
fn calendar_page(rest: &str) -> http::Response<BoxBody> {
    let mut parts = rest.trim_end_matches('/').split('/');
    let (Some(Ok(year)), Some(Ok(month)), None) = (
        parts.next().map(str::parse::<i64>),
        parts.next().map(str::parse::<u32>),
        parts.next(),
    ) else {
        return full(404, "text/html", "<p>no such month</p>");
    };
    if !(1..=12).contains(&month) {
        return full(404, "text/html", "<p>no such month</p>");
    }
    let (previous_year, previous_month) = if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    };
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    full(
        200,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html><html><head><title>{year}-{month:02}</title></head><body>\
             <h1>{year}-{month:02}</h1>\
             <a rel=\"prev\" href=\"/calendar/{previous_year}/{previous_month:02}\">previous</a> \
             <a rel=\"next\" href=\"/calendar/{next_year}/{next_month:02}\">next</a>\
             </body></html>"
        ),
    )
}

fn long_url_page() -> &'static Bytes {
    static LONG_URL_PAGE: OnceLock<Bytes> = OnceLock::new();
    LONG_URL_PAGE.get_or_init(|| {
        let mut page = String::with_capacity(LONG_URL_PATH_BYTES + 256);
        page.push_str("<!DOCTYPE html><html><body><a href=\"/long/");
        page.extend(std::iter::repeat_n(
            'a',
            LONG_URL_PATH_BYTES - "/long/".len(),
        ));
        page.push_str("\">a very long link</a><a href=\"/ok\">ok</a></body></html>");
        Bytes::from(page)
    })
}

/// 4 KiB from a fixed xorshift sequence: looks like an image or an archive.
fn binary_garbage() -> &'static Bytes {
    static BINARY_GARBAGE: OnceLock<Bytes> = OnceLock::new();
    BINARY_GARBAGE.get_or_init(|| {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut bytes = Vec::with_capacity(4096);
        while bytes.len() < 4096 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.extend_from_slice(&state.to_le_bytes());
        }
        Bytes::from(bytes)
    })
}

fn echo_headers<B>(request: &http::Request<B>) -> String {
    let mut text = String::new();
    for (name, value) in request.headers() {
        text.push_str(name.as_str());
        text.push_str(": ");
        text.push_str(&String::from_utf8_lossy(value.as_bytes()));
        text.push('\n');
    }
    text
}

fn robots_response(robots_variant: RobotsVariant, origin: &str) -> http::Response<BoxBody> {
    match robots_variant {
        RobotsVariant::Normal => full(
            200,
            "text/plain",
            format!(
                "# robots.txt for the hostile fixture\n\
                 User-agent: *\n\
                 Disallow: /private/\n\
                 Allow: /private/public-page\n\
                 Crawl-delay: 2\n\
                 \n\
                 User-agent: trawl\n\
                 Disallow: /no-trawl/\n\
                 Crawl-delay: 0.5\n\
                 \n\
                 Sitemap: {origin}/sitemap.xml\n"
            ),
        ),
        RobotsVariant::Garbage => {
            let mut body =
                b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR{{{{ not robots }}}}\n:::\n=\n".to_vec();
            body.extend_from_slice(&binary_garbage()[..512]);
            body.extend_from_slice(b"\nDisallow\nUser-agent\n\xff\xfe\n");
            full(200, "text/plain", body)
        }
        RobotsVariant::ServerError => full(500, "text/plain", "internal error"),
        RobotsVariant::Huge => full(200, "text/plain", huge_robots().clone()),
        RobotsVariant::Missing => full(404, "text/html", "<p>not found</p>"),
    }
}

/// Size of the huge robots.txt.
pub const HUGE_ROBOTS_BYTES: usize = 2 << 20;

/// `/early` is disallowed at the start; `/late` only after 600 KiB of
/// comments, past the 500 KiB a crawler must read (RFC 9309 section 2.5).
fn huge_robots() -> &'static Bytes {
    static HUGE_ROBOTS: OnceLock<Bytes> = OnceLock::new();
    HUGE_ROBOTS.get_or_init(|| {
        let comment_line = "# padding padding padding padding padding padding padding padding\n";
        let mut text = String::with_capacity(HUGE_ROBOTS_BYTES);
        text.push_str("User-agent: *\nDisallow: /early\n");
        while text.len() < 600 * 1024 {
            text.push_str(comment_line);
        }
        text.push_str("Disallow: /late\n");
        while text.len() + comment_line.len() <= HUGE_ROBOTS_BYTES {
            text.push_str(comment_line);
        }
        Bytes::from(text)
    })
}

fn sitemap_xml(origin: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n\
         <url><loc>{origin}/ok</loc></url>\n\
         <url><loc>{origin}/malformed</loc></url>\n\
         <url><loc>{origin}/calendar/2024/01</loc></url>\n\
         </urlset>\n"
    )
}

#[cfg(test)]
mod tests;
