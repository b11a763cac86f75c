//! Fixed and site cookies together, without a server.

#![allow(clippy::unwrap_used)]

use super::*;

fn fixed(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

#[test]
fn fixed_cookies_go_to_every_host() {
    let store = FetchCookieStore::new(&fixed(&[("a", "1"), ("b", "2")])).unwrap();
    for url in ["http://one.test/", "https://two.test/x"] {
        let header = store.cookies(&Url::parse(url).unwrap()).unwrap();
        assert_eq!(header.to_str().unwrap(), "a=1; b=2");
    }
}

#[test]
fn site_cookies_are_merged_and_win_on_name_clash() {
    let store = FetchCookieStore::new(&fixed(&[("a", "1"), ("session", "fixed")])).unwrap();
    let site = Url::parse("http://site.test/").unwrap();
    let set_cookie = HeaderValue::from_static("session=fresh; Path=/");
    store.set_cookies(std::iter::once(&set_cookie), &site);
    assert_eq!(
        store.cookies(&site).unwrap().to_str().unwrap(),
        "session=fresh; a=1"
    );
    // Another host only gets the fixed ones.
    let other = Url::parse("http://other.test/").unwrap();
    assert_eq!(
        store.cookies(&other).unwrap().to_str().unwrap(),
        "a=1; session=fixed"
    );
}

#[test]
fn no_cookies_means_no_header() {
    let store = FetchCookieStore::new(&[]).unwrap();
    assert_eq!(store.cookies(&Url::parse("http://x.test/").unwrap()), None);
}

#[test]
fn invalid_cookies_are_config_errors() {
    for pairs in [
        &[("bad name", "1")][..],
        &[("a", "semi;colon")],
        &[("", "x")],
    ] {
        let error = FetchCookieStore::new(&fixed(pairs)).err().unwrap();
        assert_eq!(error.kind(), "invalid_config", "{pairs:?}");
    }
}

#[test]
fn set_cookie_values_that_are_not_cookies_are_ignored_and_the_others_kept() {
    let store = FetchCookieStore::new(&[]).unwrap();
    let site = Url::parse("http://site.test/app/").unwrap();
    let values = [
        HeaderValue::from_bytes(b"bad=\xff\xfe; Path=/").unwrap(),
        HeaderValue::from_static(""),
        HeaderValue::from_static("=; ;;"),
        HeaderValue::from_static("kept=1; Path=/"),
        // Scoped to another domain: a site may not set cookies for others.
        HeaderValue::from_static("foreign=1; Domain=other.test; Path=/"),
    ];
    store.set_cookies(values.iter(), &site);
    assert_eq!(store.cookies(&site).unwrap().to_str().unwrap(), "kept=1");
    let other = Url::parse("http://other.test/").unwrap();
    assert_eq!(store.cookies(&other), None);
}
