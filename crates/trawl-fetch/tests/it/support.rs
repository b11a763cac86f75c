//! Shared setup: a hostile server per test, a fetcher with short limits,
//! and a timing helper that fails a test which hangs.

use std::future::Future;
use std::time::{Duration, Instant};

use trawl_fetch::{FetchConfig, Fetcher, Url};
use trawl_test_sites::hostile::hostile_handler;
use trawl_test_sites::server::TestServer;

/// Body cap of the test fetcher.
pub const TEST_MAX_BODY_BYTES: u64 = 1 << 20;

pub async fn hostile_server() -> TestServer {
    TestServer::start(hostile_handler()).await.unwrap()
}

/// Short limits, so a test of a misbehaving server ends quickly.
pub fn test_config() -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(3),
        total_timeout: Duration::from_secs(5),
        max_body_bytes: TEST_MAX_BODY_BYTES,
        max_redirects: 10,
        ..FetchConfig::default()
    }
}

pub fn fetcher() -> Fetcher {
    Fetcher::new(test_config()).unwrap()
}

pub fn fetcher_with(configure: impl FnOnce(&mut FetchConfig)) -> Fetcher {
    let mut config = test_config();
    configure(&mut config);
    Fetcher::new(config).unwrap()
}

pub fn url(server: &TestServer, path: &str) -> Url {
    Url::parse(&server.url(path)).unwrap()
}

/// Runs `future`, failing the test if it takes longer than `limit`, and
/// returns its output with the time it took.
pub async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let output = tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"));
    (output, started.elapsed())
}
