//! Cookies and headers: what the site sets comes back, what the spec sets
//! goes everywhere.

use std::time::Duration;

use crate::support::{fetcher, fetcher_with, hostile_server, url, within};

/// The lines of `/echo/headers` for header `name`.
fn header_lines<'text>(echo: &'text str, name: &str) -> Vec<&'text str> {
    echo.lines()
        .filter(|line| line.starts_with(&format!("{name}: ")))
        .collect()
}

#[tokio::test]
async fn cookie_set_by_the_site_is_sent_back() {
    let server = hostile_server().await;
    let fetcher = fetcher();
    let (set, _) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/cookies/set?session=abc123")),
    )
    .await;
    assert_eq!(set.unwrap().status, 200);
    // A clone shares the jar.
    let (echo, _) = within(
        Duration::from_secs(5),
        fetcher.clone().fetch(&url(&server, "/echo/headers")),
    )
    .await;
    let echo = echo.unwrap().decode_text().text.into_owned();
    assert_eq!(
        header_lines(&echo, "cookie"),
        vec!["cookie: session=abc123"]
    );
}

#[tokio::test]
async fn cookie_set_by_a_redirect_is_sent_on_the_next_hop() {
    let server = hostile_server().await;
    let (echo, _) = within(
        Duration::from_secs(5),
        fetcher().fetch(&url(&server, "/cookies/login")),
    )
    .await;
    let echo = echo.unwrap();
    assert_eq!(echo.redirects.len(), 1);
    let echo = echo.decode_text().text.into_owned();
    assert_eq!(header_lines(&echo, "cookie"), vec!["cookie: login=ok"]);
}

#[tokio::test]
async fn configured_headers_and_cookies_are_sent_with_site_cookies() {
    let server = hostile_server().await;
    let fetcher = fetcher_with(|config| {
        config.user_agent = "trawl-test/1.0".to_owned();
        config.headers = vec![(
            "X-Trawl-Test".to_owned(),
            trawl_spec::ResolvedHeaderValue::Plain("yes".to_owned()),
        )];
        config.cookies = vec![("consent".to_owned(), "given".to_owned())];
    });
    let (echo, _) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/echo/headers")),
    )
    .await;
    let echo = echo.unwrap().decode_text().text.into_owned();
    assert_eq!(header_lines(&echo, "cookie"), vec!["cookie: consent=given"]);
    assert_eq!(
        header_lines(&echo, "x-trawl-test"),
        vec!["x-trawl-test: yes"]
    );
    assert_eq!(
        header_lines(&echo, "user-agent"),
        vec!["user-agent: trawl-test/1.0"]
    );
    assert_eq!(
        header_lines(&echo, "accept"),
        vec!["accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]
    );
    assert_eq!(header_lines(&echo, "accept-encoding").len(), 1);

    let (set, _) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/cookies/set?session=s1")),
    )
    .await;
    assert_eq!(set.unwrap().status, 200);
    let (echo, _) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/echo/headers")),
    )
    .await;
    let echo = echo.unwrap().decode_text().text.into_owned();
    assert_eq!(
        header_lines(&echo, "cookie"),
        vec!["cookie: session=s1; consent=given"]
    );
}
