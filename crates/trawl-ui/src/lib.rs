//! Trawl's web UI: hand-written HTML, CSS and plain ES-module JavaScript
//! (no build step, no framework, nothing from a CDN), embedded in the binary
//! at compile time, and the [`router`] that `trawl-api` mounts to serve them.
//!
//! **Boundary:** the assets are public. They hold no secret and no data, so
//! they are served without the API token; everything they show comes from
//! `/api/...` routes, which keep requiring it. The page reads the token from
//! the URL fragment (`/#token=...`, which browsers never send to a server),
//! keeps it in `sessionStorage`, and sends it as `Authorization: Bearer` on
//! every call. Every asset is answered with a strict Content-Security-Policy
//! (scripts and styles from this origin only, no inline script, no
//! `innerHTML`-style sinks, no framing), `nosniff`, `no-referrer`, and an
//! ETag with `Cache-Control: no-cache`, so a new binary's assets are picked
//! up at once and an unchanged one costs a 304.
//!
//! The JavaScript is in `assets/js/` (one module per view, `main.js` the
//! entry point); `e2e/ui.spec.mjs` drives it in Chromium with Playwright
//! (run by `crates/trawl/tests/it/ui.rs`).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The path it is served at (`/` for the page, `/ui/...` for the rest).
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($path:literal, $file:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../assets/", $file)),
        }
    };
}

/// Every file of the UI. A test checks that each one under `assets/` is
/// listed here and that each listed one is served.
pub const ASSETS: &[Asset] = &[
    asset!("/", "index.html", HTML),
    asset!("/ui/app.css", "app.css", CSS),
    asset!("/ui/favicon.svg", "favicon.svg", SVG),
    asset!("/ui/js/main.js", "js/main.js", JS),
    asset!("/ui/js/api.js", "js/api.js", JS),
    asset!("/ui/js/sse.js", "js/sse.js", JS),
    asset!("/ui/js/dom.js", "js/dom.js", JS),
    asset!("/ui/js/format.js", "js/format.js", JS),
    asset!("/ui/js/charts.js", "js/charts.js", JS),
    asset!("/ui/js/lock.js", "js/lock.js", JS),
    asset!("/ui/js/login.js", "js/login.js", JS),
    asset!("/ui/js/runs.js", "js/runs.js", JS),
    asset!("/ui/js/new-run.js", "js/new-run.js", JS),
    asset!("/ui/js/run.js", "js/run.js", JS),
    asset!("/ui/js/pipeline.js", "js/pipeline.js", JS),
    asset!("/ui/js/log.js", "js/log.js", JS),
    asset!("/ui/js/stats.js", "js/stats.js", JS),
    asset!("/ui/js/dataset.js", "js/dataset.js", JS),
    asset!("/ui/js/schedules.js", "js/schedules.js", JS),
    asset!("/ui/js/settings.js", "js/settings.js", JS),
];

/// The policy every UI response carries. `require-trusted-types-for` makes
/// the browser refuse string-to-HTML sinks (`innerHTML`), so text from a
/// scraped site (item fields, URLs, error messages) can only ever be text.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
     require-trusted-types-for 'script'";

/// The asset served at `path`, if any.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

/// `GET /` (the page) and `GET /ui/{*path}` (the rest; an unknown path is a
/// plain 404). No state, no token: see the module documentation.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/ui/{*path}", get(file))
}

async fn index(headers: HeaderMap) -> Response {
    match asset("/") {
        Some(found) => respond(found, &headers),
        None => not_found(),
    }
}

async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match asset(&format!("/ui/{path}")) {
        Some(found) => respond(found, &headers),
        None => not_found(),
    }
}

fn respond(asset: &Asset, request: &HeaderMap) -> Response {
    let etag = etag(asset.bytes);
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    secure(headers);
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

fn not_found() -> Response {
    let mut response = (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "no such file in the trawl ui\n",
    )
        .into_response();
    secure(response.headers_mut());
    response
}

/// The headers of every UI response.
fn secure(headers: &mut HeaderMap) {
    let pairs: [(HeaderName, &'static str); 7] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Revalidate every time (the ETag makes that a 304): a new binary's
        // assets must replace the old ones at once.
        (header::CACHE_CONTROL, "no-cache"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// A strong validator: FNV-1a (64 bits) of the bytes, quoted. Not a security
/// measure, only a cache key; the content is public.
fn etag(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{hash:016x}\"")
}

#[cfg(test)]
mod tests;
