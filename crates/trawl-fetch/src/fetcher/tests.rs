//! Pure helpers of the fetch loop; the loop itself is tested against real
//! servers in `tests/it`.

#![allow(clippy::unwrap_used)]

use super::*;
use trawl_spec::ResolvedHeaderValue;

fn plain(text: &str) -> ResolvedHeaderValue {
    ResolvedHeaderValue::Plain(text.to_owned())
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[test]
fn redirects_resolve_relative_locations() {
    let current = url("http://a.test/x/y?q=1");
    assert_eq!(
        resolve_redirect(&current, &HeaderValue::from_static("../ok")).unwrap(),
        url("http://a.test/ok")
    );
    assert_eq!(
        resolve_redirect(&current, &HeaderValue::from_static("//b.test/z")).unwrap(),
        url("http://b.test/z")
    );
    assert_eq!(
        resolve_redirect(&current, &HeaderValue::from_static(" https://c.test/ ")).unwrap(),
        url("https://c.test/")
    );
}

#[test]
fn redirects_to_other_schemes_or_garbage_are_bad() {
    let current = url("http://a.test/");
    for location in [
        "http://[::1",
        "ftp://a.test/file",
        "javascript:alert(1)",
        "mailto:x@y.z",
    ] {
        assert_eq!(
            resolve_redirect(&current, &HeaderValue::from_str(location).unwrap()),
            Err(FetchError::BadRedirect {
                location: location.to_owned()
            })
        );
    }
}

#[test]
fn long_locations_are_cut_in_reports() {
    let long = "é".repeat(600);
    let reported = truncate_for_report(&long);
    assert_eq!(reported.len(), 1024 + 3);
    assert!(reported.ends_with("..."));
}

#[test]
fn proxies_are_checked() {
    assert!(parse_proxy("http://proxy.test:3128").is_ok());
    assert!(parse_proxy("socks5h://user:pw@proxy.test:1080").is_ok());
    for (proxy, reason) in [
        (
            "not a url",
            "proxy url does not parse: relative URL without a base",
        ),
        (
            "ftp://proxy.test",
            "proxy scheme \"ftp\" is not one of http, https, socks5, socks5h",
        ),
    ] {
        assert_eq!(
            parse_proxy(proxy).err(),
            Some(FetchError::Proxy {
                reason: reason.to_owned()
            })
        );
    }
}

#[test]
fn invalid_config_is_rejected_at_new() {
    let cases = [
        FetchConfig {
            headers: vec![("bad header".to_owned(), plain("x"))],
            ..FetchConfig::default()
        },
        FetchConfig {
            headers: vec![("x-token".to_owned(), plain("line\nbreak"))],
            ..FetchConfig::default()
        },
        FetchConfig {
            user_agent: "bad\nagent".to_owned(),
            ..FetchConfig::default()
        },
        FetchConfig {
            extra_root_certs_der: vec![b"not der".to_vec()],
            ..FetchConfig::default()
        },
    ];
    for config in cases {
        let error = Fetcher::new(config.clone()).err().unwrap();
        assert_eq!(error.kind(), "invalid_config", "{config:?}");
    }
    let error = Fetcher::new(FetchConfig {
        proxy: Some("gopher://proxy.test".to_owned()),
        ..FetchConfig::default()
    })
    .err()
    .unwrap();
    assert_eq!(error.kind(), "proxy");
    // The secret value never shows up in the message.
    let error = Fetcher::new(FetchConfig {
        headers: vec![(
            "authorization".to_owned(),
            ResolvedHeaderValue::Secret(trawl_types::Secret::new("Bearer s3cret\n")),
        )],
        ..FetchConfig::default()
    })
    .err()
    .unwrap();
    assert!(!error.to_string().contains("s3cret"), "{error}");
}

fn assert_send<T: Send>(_: &T) {}
fn assert_shareable<T: Clone + Send + Sync + 'static>() {}

#[test]
fn fetcher_and_its_futures_can_move_across_tasks() {
    assert_shareable::<Fetcher>();
    let fetcher = Fetcher::new(FetchConfig::default()).unwrap();
    let target = url("http://a.test/");
    // Never polled: this only checks, at compile time, that the engine can spawn it.
    let fetch_future = fetcher.fetch(&target);
    assert_send(&fetch_future);
    let robots_future = fetcher.fetch_robots(&target);
    assert_send(&robots_future);
}

#[test]
fn secret_headers_are_sensitive_in_the_client_and_in_hyper_debug() {
    let fetcher = Fetcher::new(FetchConfig {
        headers: vec![
            ("x-plain".to_owned(), plain("visible-value")),
            (
                "authorization".to_owned(),
                ResolvedHeaderValue::Secret(trawl_types::Secret::new("Bearer hidden-value")),
            ),
        ],
        ..FetchConfig::default()
    })
    .unwrap();
    // reqwest's client Debug lists its default headers: what a trace log
    // of the client or of a request would show.
    let client = format!("{:?}", fetcher.inner.client);
    assert!(client.contains("visible-value"), "{client}");
    assert!(!client.contains("hidden-value"), "{client}");
    assert!(client.contains("Sensitive"), "{client}");
    // The http crate's Debug of a sensitive value, which hyper uses.
    let mut value = HeaderValue::from_static("Bearer hidden-value");
    value.set_sensitive(true);
    assert_eq!(format!("{value:?}"), "Sensitive");
}
