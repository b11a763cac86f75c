//! `/metrics` scraped by a real Prometheus server: `trawl serve` runs a
//! crawl, Prometheus (Debian package `prometheus`, started here on
//! 127.0.0.1 with the API token as its bearer credentials) scrapes it, and
//! PromQL over Prometheus' HTTP API sees the crawl's requests.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::serve::{Server, catalog_site};
use super::*;

const PATIENCE: Duration = Duration::from_secs(90);

/// The `prometheus` binary; missing it fails the test (scripts/test
/// installs the Debian package), it never skips.
fn prometheus_binary() -> PathBuf {
    for candidate in ["/usr/bin/prometheus", "/usr/local/bin/prometheus"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "prometheus is not installed: `apt-get install prometheus` (scripts/test does) — \
         this test needs a real Prometheus server"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Prometheus child, killed (by pid) on drop.
struct Prometheus {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: &str, token_path: &str) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: trawl\n    metrics_path: /metrics\n\
                 \x20   authorization:\n      type: Bearer\n      credentials_file: {token_path}\n\
                 \x20   static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(prometheus_binary())
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Prometheus {
            child,
            address,
            _dir: dir,
        }
    }

    /// One instant query's value, if it has exactly one series.
    fn query(&self, promql: &str) -> Option<f64> {
        let body = http_get(
            &self.address,
            &format!("/api/v1/query?query={}", percent_encode(promql)),
        )?;
        let body: Value = serde_json::from_str(&body).ok()?;
        let result = body["data"]["result"].as_array()?;
        if result.len() != 1 {
            return None;
        }
        result[0]["value"][1].as_str()?.parse().ok()
    }

    /// Waits until the query's value satisfies `done`; returns it.
    fn wait_for(&mut self, promql: &str, done: impl Fn(f64) -> bool) -> f64 {
        let started = Instant::now();
        loop {
            if let Some(value) = self.query(promql)
                && done(value)
            {
                return value;
            }
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "prometheus exited early"
            );
            assert!(
                started.elapsed() < PATIENCE,
                "prometheus never saw {promql} as expected (last: {:?})",
                self.query(promql)
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// A plain HTTP/1.0 GET (no chunking, the server closes): the body, if 200.
fn http_get(address: &str, path_and_query: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path_and_query} HTTP/1.0\r\nHost: {address}\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.lines()
        .next()
        .is_some_and(|status| status.contains(" 200 "))
        .then(|| body.to_owned())
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_real_prometheus_scrapes_trawl_serve_and_answers_promql() {
    let (catalog, site) = catalog_site(40);
    let trawl = Trawl::default();
    let server = Server::start(&trawl);
    let spec = trawl.write("shop.toml", &demo_spec(&site.url("")));
    let (stdout, _) = trawl.expect(&["run", str_path(&spec), "--quiet", "--json"], 0);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded");
    let pages = summary["pages_ok"].as_u64().unwrap() + summary["pages_failed"].as_u64().unwrap();

    let target = server.address().trim_start_matches("http://").to_owned();
    let token_path = trawl.path("api-token");
    let mut prometheus = Prometheus::start(&target, str_path(&token_path));
    // The token is accepted (a 401 would make `up` 0).
    assert_eq!(
        prometheus.wait_for("up{job=\"trawl\"}", |up| up == 1.0),
        1.0
    );
    let requests = prometheus.wait_for("sum(trawl_requests_total{run=\"1\"})", |value| {
        value >= pages as f64
    });
    assert_eq!(requests, pages as f64);
    let not_found = prometheus.wait_for(
        "sum(trawl_request_errors_total{run=\"1\",kind=\"http_404\"})",
        |value| value > 0.0,
    );
    assert_eq!(not_found, catalog.dead_link_paths().len() as f64);
    let stored = prometheus.wait_for("trawl_items_stored_total{run=\"1\"}", |value| value > 0.0);
    assert_eq!(stored, catalog.expected_products().len() as f64);
    // Histograms work with PromQL's quantile functions.
    let p90 = prometheus.wait_for(
        "histogram_quantile(0.9, sum by (le) (trawl_request_duration_seconds_bucket))",
        |value| value.is_finite(),
    );
    assert!(p90 > 0.0 && p90 < 30.0, "{p90}");
    assert_eq!(
        prometheus.wait_for(
            "trawl_run_state_changes_total{state=\"succeeded\"}",
            |value| value >= 1.0
        ),
        1.0
    );
    drop(prometheus);
    let output = server.stop_with("-INT");
    assert!(output.status.success(), "{output:?}");
}
