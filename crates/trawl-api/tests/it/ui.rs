//! The web UI's assets on the API's server: public (no token), with their
//! content types and strict headers, while every API route, `/metrics` and
//! unknown paths still answer 401 without the token.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_assets_are_public_and_the_api_still_needs_the_token() {
    let api = Api::start(12).await;
    for asset in trawl_ui::ASSETS {
        let response = api
            .http
            .get(format!("{}{}", api.base_url, asset.path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{}", asset.path);
        let headers = response.headers().clone();
        assert_eq!(
            headers["content-type"], asset.content_type,
            "{}",
            asset.path
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.starts_with("default-src 'self'"), "{policy}");
        assert!(
            policy.contains("script-src 'self';"),
            "no inline script: {policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["cache-control"], "no-cache");
        assert!(headers.contains_key("etag"));
        let body = response.bytes().await.unwrap();
        assert_eq!(&body[..], asset.bytes, "{}", asset.path);
    }
    let page = api
        .http
        .get(format!("{}/", api.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains(api.token.secret()),
        "the page holds no token"
    );

    // The API, metrics and unknown paths keep requiring the token.
    for path in [
        "/api/runs",
        "/api/health",
        "/metrics",
        "/api/nope",
        "/index.html",
        "/favicon.ico",
    ] {
        let (status, body) = api
            .call(api.http.get(format!("{}{path}", api.base_url)))
            .await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}");
    }
    // A POST to the page is not a way around the token either.
    let (status, _) = api
        .call(api.http.post(format!("{}/api/runs", api.base_url)))
        .await;
    assert_eq!(status, 401);
    // With the token, the API answers as before.
    let (status, body) = api.get("/api/runs").await;
    assert_eq!(status, 200, "{body}");
    // An unknown UI file is a plain 404, not a probe into the API.
    let response = api
        .http
        .get(format!("{}/ui/missing.js", api.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}
