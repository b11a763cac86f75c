//! robots.txt fetched from real servers: every variant maps to the rules
//! RFC 9309 asks for.

use std::time::Duration;

use trawl_fetch::{Robots, Url};
use trawl_test_sites::hostile::{RobotsVariant, hostile_handler_with_robots};
use trawl_test_sites::server::TestServer;

use crate::support::{fetcher, url, within};

async fn robots_for(robots_variant: RobotsVariant) -> (TestServer, Robots) {
    let server = TestServer::start(hostile_handler_with_robots(robots_variant))
        .await
        .unwrap();
    let (robots, _) = within(
        Duration::from_secs(5),
        fetcher().fetch_robots(&url(&server, "/some/page?x=1")),
    )
    .await;
    (server, robots)
}

#[tokio::test]
async fn normal_robots_applies_our_group() {
    let (server, robots) = robots_for(RobotsVariant::Normal).await;
    assert!(!robots.is_allowed(&url(&server, "/no-trawl/page")));
    assert!(robots.is_allowed(&url(&server, "/private/page")));
    assert!(robots.is_allowed(&url(&server, "/ok")));
    assert_eq!(robots.crawl_delay(), Some(Duration::from_millis(500)));
    assert_eq!(robots.sitemaps(), &[server.url("/sitemap.xml")]);
}

#[tokio::test]
async fn garbage_robots_allows_all() {
    let (server, robots) = robots_for(RobotsVariant::Garbage).await;
    assert!(robots.is_allowed(&url(&server, "/anything")));
    assert_eq!(robots.crawl_delay(), None);
    assert!(robots.sitemaps().is_empty());
}

#[tokio::test]
async fn server_error_disallows_all() {
    let (server, robots) = robots_for(RobotsVariant::ServerError).await;
    assert!(!robots.is_allowed(&url(&server, "/ok")));
    assert!(!robots.is_allowed(&url(&server, "/")));
}

#[tokio::test]
async fn missing_robots_allows_all() {
    let (server, robots) = robots_for(RobotsVariant::Missing).await;
    assert!(robots.is_allowed(&url(&server, "/ok")));
}

#[tokio::test]
async fn huge_robots_is_read_up_to_500_kib() {
    let (server, robots) = robots_for(RobotsVariant::Huge).await;
    assert!(!robots.is_allowed(&url(&server, "/early")));
    // Its rule sits past 500 KiB, which a crawler does not read.
    assert!(robots.is_allowed(&url(&server, "/late")));
}

#[tokio::test]
async fn unreachable_site_disallows_all() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = listener.local_addr().unwrap();
    drop(listener);
    let site = Url::parse(&format!("http://{closed_addr}/page")).unwrap();
    let (robots, _) = within(Duration::from_secs(5), fetcher().fetch_robots(&site)).await;
    assert!(!robots.is_allowed(&site));
}
