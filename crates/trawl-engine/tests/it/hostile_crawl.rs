//! A crawl of the hostile site: every misbehaving endpoint ends with a bounded,
//! recorded outcome and the run goes on to succeed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use trawl_test_sites::hostile::{RobotsVariant, hostile_handler_with_robots};
use trawl_test_sites::server::TestServer;
use trawl_types::RunState;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_endpoint_gets_a_bounded_recorded_outcome() {
    let server = TestServer::start(hostile_handler_with_robots(RobotsVariant::Missing))
        .await
        .unwrap();
    let origin = server.url("");
    let (_dir, store) = temp_store();
    let spec = spec_from(&format!(
        r#"
        start_urls = ["{origin}/"]
        [follow]
        max_depth = 6
        [request]
        connect_timeout_secs = 2
        first_byte_timeout_secs = 1.5
        timeout_secs = 3
        max_body_bytes = 2_097_152
        max_redirects = 5
        retries = 3
        retry_base_millis = 20
        max_retry_after_secs = 3
        [politeness]
        concurrency = 16
        per_host_concurrency = 16
        [[extract]]
        name = "page"
        fields.title = "title"
        "#
    ));
    let run_id = create_run(&store, &spec);
    let started = Instant::now();
    let (store, report) = crawl(store, run_id, spec, false).await;
    // Slowest cases: the 429 storm (3 x Retry-After 1 s) and the timeouts.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(report.state, RunState::Succeeded);

    let outcomes: HashMap<String, (Option<u16>, String)> = store
        .page_outcomes(run_id, 0, 10_000)
        .unwrap()
        .into_iter()
        .map(|page| {
            (
                page.url.trim_start_matches(&origin).to_owned(),
                (page.status, page.outcome),
            )
        })
        .collect();
    let outcome = |path: &str| {
        outcomes
            .get(path)
            .map(|(_, outcome)| outcome.as_str())
            .unwrap_or_else(|| panic!("no outcome for {path}: {outcomes:?}"))
    };
    assert_eq!(outcome("/"), "ok");
    assert_eq!(outcome("/ok"), "ok");
    assert_eq!(outcome("/redirect-loop/a"), "redirect_loop");
    assert_eq!(outcome("/chain/0"), "too_many_redirects");
    assert_eq!(outcome("/bomb/gzip"), "body_too_large");
    assert_eq!(outcome("/bomb/zstd"), "body_too_large");
    assert_eq!(outcome("/slow-drip"), "timeout_total");
    assert_eq!(outcome("/no-headers"), "timeout_first_byte");
    assert_eq!(outcome("/huge/with-length"), "body_too_large");
    assert_eq!(outcome("/huge/chunked"), "body_too_large");
    // The storm ends after 3 answers of 429; 3 retries wait it out.
    assert_eq!(outcome("/storm/429"), "ok");
    assert_eq!(outcome("/unavailable"), "ok");
    assert_eq!(outcome("/malformed"), "ok");
    assert_eq!(outcome("/binary"), "binary_content");
    assert_eq!(outcome("/long-url"), "ok");
    // The calendar trap is cut by max_depth: Jan 2024 is depth 1, so depths
    // 1..=6 give at most 6 months each way, never an endless crawl.
    let calendar_pages = outcomes
        .keys()
        .filter(|path| path.starts_with("/calendar/"))
        .count();
    assert!(
        (6..=12).contains(&calendar_pages),
        "{calendar_pages} calendar pages"
    );
    // The 1 MiB link was rejected by the scope (too long), never fetched.
    assert!(outcomes.keys().all(|path| path.len() < 10_000));
    assert!(report.record.counters.requests_retried >= 3);
    assert!(report.record.counters.pages_failed >= 9);
}
