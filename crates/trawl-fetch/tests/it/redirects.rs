//! Redirects are followed by hand: chains are recorded, loops and endless
//! chains end with typed errors, broken locations are reported.

use std::time::Duration;

use trawl_fetch::FetchError;

use crate::support::{fetcher, fetcher_with, hostile_server, url, within};

#[tokio::test]
async fn redirect_loop_is_a_redirect_loop_error() {
    let server = hostile_server().await;
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher().fetch(&url(&server, "/redirect-loop/a")),
    )
    .await;
    assert_eq!(
        outcome.err(),
        Some(FetchError::RedirectLoop {
            url: url(&server, "/redirect-loop/a")
        })
    );
}

#[tokio::test]
async fn endless_chain_stops_at_the_limit_with_the_chain() {
    let server = hostile_server().await;
    let fetcher = fetcher_with(|config| config.max_redirects = 5);
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/chain/0")),
    )
    .await;
    let expected_chain = (0..5)
        .map(|step| url(&server, &format!("/chain/{step}")))
        .collect();
    assert_eq!(
        outcome.err(),
        Some(FetchError::TooManyRedirects {
            limit: 5,
            chain: expected_chain
        })
    );
}

#[tokio::test]
async fn relative_redirect_is_followed_and_recorded() {
    let server = hostile_server().await;
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher().fetch(&url(&server, "/redirect/relative")),
    )
    .await;
    let response = outcome.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.final_url, url(&server, "/ok"));
    assert_eq!(response.redirects, vec![url(&server, "/redirect/relative")]);
}

#[tokio::test]
async fn unparsable_location_is_a_bad_redirect() {
    let server = hostile_server().await;
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher().fetch(&url(&server, "/redirect/bad-location")),
    )
    .await;
    assert_eq!(
        outcome.err(),
        Some(FetchError::BadRedirect {
            location: "http://[::1".to_owned()
        })
    );
}

#[tokio::test]
async fn redirect_without_location_is_returned_as_is() {
    let server = hostile_server().await;
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher().fetch(&url(&server, "/redirect/no-location")),
    )
    .await;
    let response = outcome.unwrap();
    assert_eq!(response.status, 302);
    assert!(response.redirects.is_empty());
    assert_eq!(&response.body[..], b"<p>moved, somewhere</p>");
}

#[tokio::test]
async fn zero_allowed_redirects_refuses_the_first() {
    let server = hostile_server().await;
    let fetcher = fetcher_with(|config| config.max_redirects = 0);
    let (outcome, _) = within(
        Duration::from_secs(5),
        fetcher.fetch(&url(&server, "/redirect/relative")),
    )
    .await;
    assert_eq!(
        outcome.err(),
        Some(FetchError::TooManyRedirects {
            limit: 0,
            chain: Vec::new()
        })
    );
}
