//! The bearer token on every route, the route list against the OpenAPI
//! document, and the JSON errors of bad requests.

use serde_json::json;
use trawl_api::ROUTES;

use super::*;

fn concrete(path: &str) -> String {
    path.replace("{run_id}", "1")
        .replace("{schedule_id}", "1")
        .replace("{timeline_id}", "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_401_without_or_with_a_wrong_token() {
    let api = Api::start(12).await;
    let wrong = ApiToken::generate();
    for route in ROUTES {
        let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
        let url = format!("{}{}", api.base_url, concrete(route.path));
        let attempts = [
            api.http.request(method.clone(), &url),
            api.http
                .request(method.clone(), &url)
                .bearer_auth(wrong.secret()),
            api.http
                .request(method.clone(), &url)
                .header("authorization", format!("Basic {}", api.token.secret())),
        ];
        for attempt in attempts {
            let (status, body) = api.call(attempt).await;
            assert_eq!(status, 401, "{} {}: {body}", route.method, route.path);
            assert_eq!(body["error"]["code"], "unauthorized", "{body}");
            assert!(
                !body.to_string().contains(api.token.secret()),
                "the token leaked into an error"
            );
        }
    }
    // Unknown routes too: no probing without the token.
    let (status, _) = api
        .call(api.http.get(format!("{}/api/nope", api.base_url)))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_every_route_and_every_listed_route_exists() {
    let api = Api::start(12).await;
    let (status, document) = api.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, methods) in paths {
        documented += methods.as_object().unwrap().len();
        for method in methods.as_object().unwrap().keys() {
            assert!(
                ROUTES
                    .iter()
                    .any(|route| route.path == path && route.method.eq_ignore_ascii_case(method)),
                "{method} {path} documented but not in ROUTES"
            );
        }
    }
    assert_eq!(documented, ROUTES.len());
    assert_eq!(ROUTES.len(), 30);
    // Each route is served (an unknown route is `no_route`; run 1 and
    // schedule 1 do not exist).
    for route in ROUTES {
        assert!(paths[route.path][route.method.to_ascii_lowercase()]["operationId"].is_string());
        let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
        let request = api.request(method, &concrete(route.path));
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        if route.path.ends_with("/events") {
            // SSE of an unknown run is a JSON 404 before the stream starts.
            assert_eq!(status, 404);
            continue;
        }
        let body: Value = response.json_or_null().await;
        assert_ne!(
            body["error"]["code"], "no_route",
            "{} {}",
            route.method, route.path
        );
    }
    let (status, body) = api.get("/api/nope").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("no_route"))
    );
    let (status, body) = api.get("/api/health").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_and_parameters_get_400_or_422_with_a_clear_message() {
    let api = Api::start(12).await;
    let raw = |body: &str| {
        api.request(reqwest::Method::POST, "/api/runs")
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let (status, body) = api.call(raw("{not json")).await;
    assert_eq!(status, 400, "{body}");
    assert!(error_message(&body).contains("not valid JSON"));

    let (status, body) = api.call(raw("")).await;
    assert_eq!(status, 400, "{body}");
    assert!(error_message(&body).contains("spec_toml"));

    let (status, body) = api.post("/api/runs", Some(json!({ "priority": 1 }))).await;
    assert_eq!(status, 422, "{body}");
    assert!(error_message(&body).contains("spec_toml"), "{body}");

    let (status, body) = api
        .post("/api/runs", Some(json!({ "spec_toml": 42 })))
        .await;
    assert_eq!(status, 422, "{body}");

    // An invalid spec: every problem with its line, as `trawl spec check` lists them.
    let spec = "start_urls = [\"ftp://example.com/\"]\n\n[follow]\nallow = [\"(unclosed\"]\n";
    let (status, body) = api
        .post("/api/runs", Some(json!({ "spec_toml": spec })))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_spec");
    let lines: Vec<u64> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| problem["line"].as_u64().unwrap())
        .collect();
    assert!(lines.contains(&1) && lines.contains(&4), "{body}");

    let run_id = api.start_run(api.spec(2, 100.0)).await;
    let (status, body) = api
        .post(
            &format!("/api/runs/{run_id}/pause"),
            Some(json!({ "mode": "sideways" })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api.get(&format!("/api/runs/{run_id}/items?limit=-1")).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api
        .get(&format!("/api/runs/{run_id}/items?limit=100000"))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api.get("/api/runs/abc").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api.get("/api/runs/999").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("run_not_found"))
    );
    api.post(&format!("/api/runs/{run_id}/cancel"), None).await;
    api.wait_settled(run_id).await;
}

/// `Response::json` needs reqwest's `json` feature, which the workspace
/// leaves off; parse by hand.
trait JsonOrNull {
    async fn json_or_null(self) -> Value;
}

impl JsonOrNull for reqwest::Response {
    async fn json_or_null(self) -> Value {
        let bytes = self.bytes().await.unwrap();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }
}
