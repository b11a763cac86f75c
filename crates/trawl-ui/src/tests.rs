//! The asset router (content types, security headers, 304s, 404s) and the
//! house rules of the assets that keep them working under the CSP: every file
//! is embedded, every import resolves, no inline script or style, no HTML sinks.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;

async fn get(path: &str, if_none_match: Option<&str>) -> axum::response::Response {
    let mut request = Request::get(path);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    router()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

fn files_under(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(path);
        }
    }
}

fn text(asset: &Asset) -> &'static str {
    std::str::from_utf8(asset.bytes).unwrap()
}

#[tokio::test]
async fn every_asset_is_served_with_its_type_and_the_security_headers() {
    for asset in ASSETS {
        let response = get(asset.path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", asset.path);
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_TYPE], asset.content_type);
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], asset.bytes, "{}", asset.path);

        // Revalidation with the ETag is a 304 without a body.
        let tag = headers[header::ETAG].to_str().unwrap().to_owned();
        let again = get(asset.path, Some(&format!("\"other\", {tag}"))).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{}", asset.path);
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
        let body = again.into_body().collect().await.unwrap().to_bytes();
        assert!(body.is_empty());
    }
}

#[tokio::test]
async fn unknown_paths_are_plain_404s_with_the_same_headers() {
    for path in ["/ui/nope.js", "/ui/js/../app.css", "/ui/js", "/ui/js/"] {
        let response = get(path, None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
    }
}

#[test]
fn every_file_under_assets_is_embedded_once() {
    let mut files = Vec::new();
    files_under(&assets_dir(), &mut files);
    let mut embedded: Vec<String> = ASSETS
        .iter()
        .map(|asset| match asset.path {
            "/" => "index.html".to_owned(),
            other => other.trim_start_matches("/ui/").to_owned(),
        })
        .collect();
    embedded.sort();
    let before = embedded.len();
    embedded.dedup();
    assert_eq!(before, embedded.len(), "an asset is listed twice");
    let mut on_disk: Vec<String> = files
        .iter()
        .map(|path| {
            path.strip_prefix(assets_dir())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    assert_eq!(embedded, on_disk, "ASSETS and assets/ differ");
}

#[test]
fn every_module_import_resolves_to_an_embedded_module() {
    for asset in ASSETS.iter().filter(|asset| asset.content_type == JS) {
        for line in text(asset).lines() {
            let line = line.trim();
            if !(line.starts_with("import ") || line.starts_with("} from ")) {
                continue;
            }
            let Some(start) = line.find("'./") else {
                continue;
            };
            let rest = &line[start + 3..];
            let name = &rest[..rest.find('\'').unwrap()];
            let path = format!("/ui/js/{name}");
            assert!(
                super::asset(&path).is_some(),
                "{} imports {path}, which is not embedded",
                asset.path
            );
        }
    }
    // The page loads the entry module, and only that, as a module.
    let page = text(asset("/").unwrap());
    assert!(page.contains(r#"<script type="module" src="/ui/js/main.js"></script>"#));
    assert_eq!(page.matches("<script").count(), 1);
}

#[test]
fn no_inline_script_style_or_html_sinks() {
    let page = text(asset("/").unwrap());
    assert!(!page.contains(" style="), "inline style attribute");
    assert!(!page.contains("<style"), "inline style element");
    assert!(!has_event_handler_attribute(page), "inline event handler");
    assert!(!page.contains("javascript:"));
    for asset in ASSETS.iter().filter(|asset| asset.content_type == JS) {
        let source = text(asset);
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "setAttribute('style'",
            "localStorage.setItem('trawl.token",
        ] {
            assert!(
                !source.contains(forbidden),
                "{} uses {forbidden}",
                asset.path
            );
        }
    }
}

/// ` onclick=`, ` onload=`, ...: an attribute starting with `on` and ending in `=`.
fn has_event_handler_attribute(html: &str) -> bool {
    html.match_indices(" on").any(|(at, _)| {
        let rest = &html[at + 3..];
        let name_len = rest
            .bytes()
            .take_while(|byte| byte.is_ascii_lowercase())
            .count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

#[test]
fn the_etag_depends_on_the_content() {
    assert_eq!(etag(b"a"), etag(b"a"));
    assert_ne!(etag(b"a"), etag(b"b"));
    assert!(etag(b"").starts_with('"') && etag(b"").ends_with('"'));
    assert!(has_event_handler_attribute("<a onclick=\"x\">"));
    assert!(!has_event_handler_attribute(
        "<p>server on 127.0.0.1 = ok</p>"
    ));
}
