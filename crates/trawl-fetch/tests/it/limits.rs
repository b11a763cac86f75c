//! Size and time limits against bombs, huge bodies, slow servers, dead
//! ports and absurd URLs: each ends with its typed error, quickly.

use std::time::Duration;

use trawl_fetch::{FetchError, TimeoutPhase, Url};

use crate::support::{TEST_MAX_BODY_BYTES, fetcher, fetcher_with, hostile_server, url, within};

const TOO_LARGE: FetchError = FetchError::BodyTooLarge {
    limit_bytes: TEST_MAX_BODY_BYTES,
};

#[tokio::test]
async fn gzip_bomb_is_cut_at_the_cap() {
    let server = hostile_server().await;
    let (outcome, elapsed) = within(
        Duration::from_secs(10),
        fetcher().fetch(&url(&server, "/bomb/gzip")),
    )
    .await;
    assert_eq!(outcome.err(), Some(TOO_LARGE));
    // Stopping at 1 MiB of 1 GiB: far less than decoding it all.
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn zstd_bomb_is_cut_at_the_cap() {
    let server = hostile_server().await;
    let (outcome, elapsed) = within(
        Duration::from_secs(10),
        fetcher().fetch(&url(&server, "/bomb/zstd")),
    )
    .await;
    assert_eq!(outcome.err(), Some(TOO_LARGE));
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn announced_huge_body_fails_before_reading() {
    let server = hostile_server().await;
    let (outcome, elapsed) = within(
        Duration::from_secs(5),
        fetcher().fetch(&url(&server, "/huge/with-length")),
    )
    .await;
    assert_eq!(outcome.err(), Some(TOO_LARGE));
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
}

#[tokio::test]
async fn endless_chunked_body_is_cut_at_the_cap() {
    let server = hostile_server().await;
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher().fetch(&url(&server, "/huge/chunked")),
    )
    .await;
    assert_eq!(outcome.err(), Some(TOO_LARGE));
}

#[tokio::test]
async fn body_of_exactly_the_cap_is_accepted_one_more_byte_is_not() {
    let server = hostile_server().await;
    let fetcher = fetcher();
    for route in ["/huge/with-length", "/huge/chunked"] {
        let exact = url(&server, &format!("{route}?bytes={TEST_MAX_BODY_BYTES}"));
        let (outcome, _) = within(Duration::from_secs(5), fetcher.fetch(&exact)).await;
        let response = outcome.unwrap();
        assert_eq!(response.body.len() as u64, TEST_MAX_BODY_BYTES, "{route}");
        assert!(response.body.iter().all(|byte| *byte == 0));

        let over = url(
            &server,
            &format!("{route}?bytes={}", TEST_MAX_BODY_BYTES + 1),
        );
        let (outcome, _) = within(Duration::from_secs(5), fetcher.fetch(&over)).await;
        assert_eq!(outcome.err(), Some(TOO_LARGE), "{route}");
    }
}

#[tokio::test]
async fn slow_drip_hits_the_total_timeout() {
    let server = hostile_server().await;
    let fetcher = fetcher_with(|config| {
        config.first_byte_timeout = Duration::from_secs(5);
        config.total_timeout = Duration::from_secs(1);
    });
    let (outcome, elapsed) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/slow-drip")),
    )
    .await;
    assert_eq!(
        outcome.err(),
        Some(FetchError::Timeout {
            phase: TimeoutPhase::Total
        })
    );
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn silent_server_hits_the_first_byte_timeout() {
    let server = hostile_server().await;
    let fetcher = fetcher_with(|config| {
        config.first_byte_timeout = Duration::from_millis(500);
        config.total_timeout = Duration::from_secs(5);
    });
    let (outcome, elapsed) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/no-headers")),
    )
    .await;
    assert_eq!(
        outcome.err(),
        Some(FetchError::Timeout {
            phase: TimeoutPhase::FirstByte
        })
    );
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn total_timeout_wins_when_shorter_than_first_byte() {
    let server = hostile_server().await;
    let fetcher = fetcher_with(|config| {
        config.first_byte_timeout = Duration::from_secs(5);
        config.total_timeout = Duration::from_millis(300);
    });
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/no-headers")),
    )
    .await;
    assert_eq!(
        outcome.err(),
        Some(FetchError::Timeout {
            phase: TimeoutPhase::Total
        })
    );
}

#[tokio::test]
async fn closed_port_is_a_retryable_connect_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = listener.local_addr().unwrap();
    drop(listener);
    let target = Url::parse(&format!("http://{closed_addr}/")).unwrap();
    let (outcome, _) = within(Duration::from_secs(5), fetcher().fetch(&target)).await;
    let error = outcome.err().unwrap();
    assert_eq!(error.kind(), "connect", "{error}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn one_mib_url_is_rejected_without_a_request() {
    let server = hostile_server().await;
    let fetcher = fetcher_with(|config| config.max_body_bytes = 4 << 20);
    let (page, _) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/long-url")),
    )
    .await;
    let page = page.unwrap();
    let text = page.decode_text().text;
    let href_start = text.find("href=\"").unwrap() + "href=\"".len();
    let href_end = href_start + text[href_start..].find('"').unwrap();
    let long_url = page.final_url.join(&text[href_start..href_end]).unwrap();
    assert_eq!(long_url.path().len(), 1 << 20);
    let (outcome, elapsed) = within(Duration::from_secs(5), fetcher.fetch(&long_url)).await;
    let error = outcome.err().unwrap();
    assert_eq!(error.kind(), "invalid_url", "{error}");
    assert!(!error.is_retryable());
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
}

#[tokio::test]
async fn other_schemes_are_unsupported() {
    let target = Url::parse("ftp://127.0.0.1/file").unwrap();
    assert_eq!(
        fetcher().fetch(&target).await.err(),
        Some(FetchError::UnsupportedScheme {
            scheme: "ftp".to_owned()
        })
    );
}
