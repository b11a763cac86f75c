//! Integration tests of the local API: a real engine on a real SQLite file,
//! the router served on a real socket on 127.0.0.1, crawling the demo
//! catalog fixture site, driven over HTTP with reqwest; and the web UI's
//! public assets next to it.
#![allow(clippy::unwrap_used)]

mod auth;
mod runs;
mod schedules;
mod timeline;
mod ui;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use trawl_api::{ApiState, ApiToken};
use trawl_engine::{Engine, EngineConfig};
use trawl_store::Store;
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{TestServer, catalog_handler};

/// Generous bound for anything that should take seconds, on a shared machine.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// A running API over its own data directory, with a catalog site to crawl.
/// The message of an error body (`{"error": {"code", "message"}}`), empty
/// when the body has none.
pub fn error_message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

pub struct Api {
    pub base_url: String,
    pub token: ApiToken,
    pub catalog: Arc<Catalog>,
    pub site: TestServer,
    pub http: reqwest::Client,
    pub engine: Engine,
    pub dir: tempfile::TempDir,
}

impl Api {
    pub async fn start(products: u32) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let catalog = Arc::new(Catalog::new(CatalogConfig {
            products,
            ..CatalogConfig::demo()
        }));
        let site = TestServer::start(catalog_handler(catalog.clone()))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store_path = dir.path().join("trawl.sqlite");
        let engine = Engine::start(
            &store_path,
            EngineConfig {
                max_concurrent_runs: 2,
                recover_runs: true,
                ..EngineConfig::default()
            },
        )
        .unwrap();
        let token = ApiToken::load_or_create(&dir.path().join("api-token")).unwrap();
        let state = ApiState::new(
            engine.clone(),
            Store::open(&store_path).unwrap(),
            token.clone(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(trawl_api::serve(listener, state, std::future::pending()));
        Api {
            base_url,
            token,
            catalog,
            site,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            engine,
            dir,
        }
    }

    pub fn store_path(&self) -> std::path::PathBuf {
        self.dir.path().join("trawl.sqlite")
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(self.request(reqwest::Method::DELETE, path)).await
    }

    /// The demo spec against the fixture site, slowed down so that pauses
    /// and cancels land mid-crawl.
    pub fn spec(&self, concurrency: u32, rate: f64) -> String {
        let source = include_str!("../../../../examples/demo.toml")
            .replace("http://127.0.0.1:8642", &self.site.url(""));
        format!(
            "{source}\n[politeness]\nconcurrency = {concurrency}\nper_host_concurrency = {concurrency}\nper_host_rate = {rate}\n"
        )
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(self.token.secret())
    }

    /// Sends and returns (status, JSON body; `Null` if not JSON).
    pub async fn call(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.request(reqwest::Method::POST, path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        self.call(request).await
    }

    /// Starts a run through the API and returns its id.
    pub async fn start_run(&self, spec: String) -> i64 {
        let (status, run) = self
            .post("/api/runs", Some(json!({ "spec_toml": spec })))
            .await;
        assert_eq!(status, 201, "{run}");
        assert_eq!(run["state"], "queued", "{run}");
        run["run_id"].as_i64().unwrap()
    }

    /// Polls the run until `done(run)` holds; returns that run.
    pub async fn wait_until(&self, run_id: i64, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let (status, run) = self.get(&format!("/api/runs/{run_id}")).await;
            assert_eq!(status, 200, "{run}");
            if done(&run) {
                return run;
            }
            assert!(started.elapsed() < PATIENCE, "run {run_id} stuck: {run}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls until the engine lets go of the run (no live progress).
    pub async fn wait_settled(&self, run_id: i64) -> Value {
        self.wait_until(run_id, |run| run["progress"].is_null())
            .await
    }

    /// Every item key of the run, read page by page through the API.
    pub async fn item_keys(&self, run_id: i64) -> Vec<String> {
        let mut keys = Vec::new();
        let mut offset = 0;
        loop {
            let (status, page) = self
                .get(&format!(
                    "/api/runs/{run_id}/items?offset={offset}&limit=50"
                ))
                .await;
            assert_eq!(status, 200, "{page}");
            let items = page["items"].as_array().unwrap();
            if items.is_empty() {
                return keys;
            }
            assert_eq!(page["limit"], 50);
            keys.extend(
                items
                    .iter()
                    .map(|item| item["key"].as_str().unwrap().to_owned()),
            );
            offset += items.len();
        }
    }

    pub fn expected_keys(&self) -> BTreeSet<String> {
        self.catalog
            .expected_products()
            .into_iter()
            .map(|product| product.sku)
            .collect()
    }
}
