//! Scope decisions: domains and look-alikes, patterns, depth, and cheap
//! rejection of absurd URLs.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use trawl_spec::Spec;
use url::Url;

use super::*;

fn spec(toml_source: &str) -> Spec {
    trawl_spec::parse(toml_source, "scope.toml").unwrap().spec
}

fn verdicts(scope: &Scope, urls: &[(&str, u32)]) -> Vec<String> {
    urls.iter()
        .map(|(url, depth)| {
            let verdict = match scope.check(&Url::parse(url).unwrap(), *depth) {
                Ok(()) => "ok",
                Err(rejection) => rejection.kind(),
            };
            format!("{url} @{depth}: {verdict}")
        })
        .collect()
}

#[test]
fn domains_default_to_start_hosts_and_include_subdomains() {
    let scope = Scope::build(&spec(
        "start_urls = [\"https://Example.com/start\"]\nsitemaps = [\"http://127.0.0.1:8080/sitemap.xml\"]\n",
    ))
    .unwrap();
    assert_eq!(
        verdicts(
            &scope,
            &[
                ("https://example.com/", 0),
                ("https://www.example.com/a", 1),
                ("https://deep.sub.EXAMPLE.com/a", 1),
                ("https://example.com./a", 1),
                ("https://evilexample.com/", 1),
                ("https://example.com.evil.net/", 1),
                ("https://example.org/", 1),
                ("http://127.0.0.1:9999/other-port", 1),
                ("http://127.0.0.2/", 1),
                ("http://1.127.0.0.1.nip.io/", 1),
                ("ftp://example.com/file", 1),
                ("mailto:someone@example.com", 1),
            ]
        ),
        [
            "https://example.com/ @0: ok",
            "https://www.example.com/a @1: ok",
            "https://deep.sub.EXAMPLE.com/a @1: ok",
            "https://example.com./a @1: ok",
            "https://evilexample.com/ @1: domain",
            "https://example.com.evil.net/ @1: domain",
            "https://example.org/ @1: domain",
            "http://127.0.0.1:9999/other-port @1: ok",
            "http://127.0.0.2/ @1: domain",
            "http://1.127.0.0.1.nip.io/ @1: domain",
            "ftp://example.com/file @1: scheme",
            "mailto:someone@example.com @1: scheme",
        ]
    );
}

#[test]
fn explicit_domains_replace_start_hosts_and_compare_in_punycode() {
    let scope = Scope::build(&spec(
        "start_urls = [\"https://start.example/\"]\nallowed_domains = [\"B\u{fc}cher.example\", \"[::1]\", \"shop.example\"]\n",
    ))
    .unwrap();
    assert_eq!(
        verdicts(
            &scope,
            &[
                ("https://start.example/", 0),
                ("https://b\u{fc}cher.example/", 1),
                ("https://www.xn--bcher-kva.example/", 1),
                ("http://[::1]:3000/", 1),
                ("http://[::2]/", 1),
                ("https://shop.example/", 1),
                ("https://example/", 1),
            ]
        ),
        [
            "https://start.example/ @0: domain",
            "https://b\u{fc}cher.example/ @1: ok",
            "https://www.xn--bcher-kva.example/ @1: ok",
            "http://[::1]:3000/ @1: ok",
            "http://[::2]/ @1: domain",
            "https://shop.example/ @1: ok",
            "https://example/ @1: domain",
        ]
    );
}

#[test]
fn allow_deny_and_depth() {
    let scope = Scope::build(&spec(
        r#"start_urls = ["https://example.com/"]
[follow]
allow = ['/catalogue/', '/category/']
deny = ['/catalogue/secret', '\?sort=']
max_depth = 2
"#,
    ))
    .unwrap();
    assert_eq!(
        verdicts(
            &scope,
            &[
                ("https://example.com/catalogue/a.html", 1),
                ("https://example.com/category/travel/", 2),
                ("https://example.com/category/travel/", 3),
                ("https://example.com/catalogue/secret/x", 1),
                ("https://example.com/catalogue/?sort=asc", 1),
                ("https://example.com/about", 1),
                ("https://other.com/catalogue/", 1),
            ]
        ),
        [
            "https://example.com/catalogue/a.html @1: ok",
            "https://example.com/category/travel/ @2: ok",
            "https://example.com/category/travel/ @3: too_deep",
            "https://example.com/catalogue/secret/x @1: denied",
            "https://example.com/catalogue/?sort=asc @1: denied",
            "https://example.com/about @1: not_allowed",
            "https://other.com/catalogue/ @1: domain",
        ]
    );
}

#[test]
fn no_allow_patterns_means_everything_in_domain_is_allowed() {
    let scope = Scope::build(&spec("start_urls = [\"https://example.com/\"]\n")).unwrap();
    assert_eq!(
        verdicts(
            &scope,
            &[
                ("https://example.com/anything?at=all", 1000),
                ("https://example.com/", 1001)
            ]
        ),
        [
            "https://example.com/anything?at=all @1000: ok",
            "https://example.com/ @1001: too_deep",
        ]
    );
}

#[test]
fn url_at_the_length_limit_passes_and_one_byte_more_is_too_long() {
    let scope = Scope::build(&spec("start_urls = [\"https://example.com/\"]\n")).unwrap();
    let prefix = "https://example.com/";
    let at_limit = format!("{prefix}{}", "a".repeat(MAX_URL_BYTES - prefix.len()));
    let over_limit = format!("{at_limit}a");
    assert_eq!(scope.check(&Url::parse(&at_limit).unwrap(), 1), Ok(()));
    assert_eq!(
        scope.check(&Url::parse(&over_limit).unwrap(), 1),
        Err(Rejection::TooLong)
    );
}

#[test]
fn one_mebibyte_url_is_rejected_before_any_pattern_runs() {
    // The deny pattern matches only at the very end of the URL, so a check
    // that ran it would scan the whole mebibyte each time.
    let scope = Scope::build(&spec(
        "start_urls = [\"https://example.com/\"]\n[follow]\ndeny = ['z$']\nallow = ['^https://example\\.com/a+$']\n",
    ))
    .unwrap();
    let huge = Url::parse(&format!("https://example.com/{}z", "a".repeat(1024 * 1024))).unwrap();
    assert_eq!(huge.as_str().len(), 1024 * 1024 + 21);
    let started = Instant::now();
    for _ in 0..10_000 {
        assert_eq!(scope.check(&huge, 1), Err(Rejection::TooLong));
    }
    // 10 000 scans of 1 MiB would take seconds; 10 000 length checks take
    // microseconds. The bound is loose for a busy machine.
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn rejection_kinds_are_stable_names() {
    let kinds: Vec<&str> = [
        Rejection::Scheme,
        Rejection::Domain,
        Rejection::Denied,
        Rejection::NotAllowed,
        Rejection::TooDeep,
        Rejection::TooLong,
    ]
    .into_iter()
    .map(Rejection::kind)
    .collect();
    assert_eq!(
        kinds,
        [
            "scheme",
            "domain",
            "denied",
            "not_allowed",
            "too_deep",
            "too_long"
        ]
    );
    assert_eq!(
        Rejection::NotAllowed.to_string(),
        "url matches no follow.allow pattern"
    );
}

#[test]
fn build_reports_bad_input_from_unvalidated_specs() {
    let mut unvalidated = spec("start_urls = [\"https://example.com/\"]\n");
    unvalidated.follow.deny = vec!["(".to_owned()];
    let error = Scope::build(&unvalidated).unwrap_err();
    assert_eq!(error.to_string(), "invalid regex in follow.deny");

    let mut unvalidated = spec("start_urls = [\"https://example.com/\"]\n");
    unvalidated.allowed_domains = vec!["exa mple.com".to_owned()];
    let error = Scope::build(&unvalidated).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid allowed domain \"exa mple.com\": invalid international domain name"
    );

    let mut unvalidated = spec("start_urls = [\"https://example.com/\"]\n");
    unvalidated.start_urls = vec!["not a url".to_owned()];
    let error = Scope::build(&unvalidated).unwrap_err();
    assert_eq!(error.to_string(), "invalid start url \"not a url\"");

    let mut unvalidated = spec("start_urls = [\"https://example.com/\"]\n");
    unvalidated.start_urls = vec!["data:text/plain,x".to_owned()];
    let error = Scope::build(&unvalidated).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no allowed domains: set allowed_domains or give start_urls with a host"
    );
}
