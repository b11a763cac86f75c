//! robots.txt semantics on literal files (no network).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use super::*;

const AGENT: &str = "trawl/0.1 (+https://trawl.invalid/bot)";

const GROUPED: &[u8] = b"User-agent: *\n\
Disallow: /private/\n\
Allow: /private/public-page\n\
Crawl-delay: 2\n\
\n\
User-agent: Trawl\n\
Disallow: /no-trawl/\n\
Crawl-delay: 0.5\n\
\n\
Sitemap: https://example.test/sitemap.xml\n\
Sitemap: https://example.test/news.xml\n";

fn url(path: &str) -> Url {
    Url::parse(&format!("https://example.test{path}")).unwrap()
}

#[test]
fn our_group_is_chosen_by_product_token() {
    let robots = Robots::parse(AGENT, GROUPED);
    assert!(!robots.is_allowed(&url("/no-trawl/x")));
    // The `*` group does not apply once a group names us.
    assert!(robots.is_allowed(&url("/private/x")));
    assert_eq!(robots.crawl_delay(), Some(Duration::from_millis(500)));
}

#[test]
fn other_agents_get_the_star_group() {
    let robots = Robots::parse("otherbot/2.0", GROUPED);
    assert!(!robots.is_allowed(&url("/private/x")));
    assert!(robots.is_allowed(&url("/private/public-page")));
    assert!(robots.is_allowed(&url("/no-trawl/x")));
    assert_eq!(robots.crawl_delay(), Some(Duration::from_secs(2)));
}

#[test]
fn sitemaps_are_listed_in_order() {
    let robots = Robots::parse(AGENT, GROUPED);
    assert_eq!(
        robots.sitemaps(),
        &[
            "https://example.test/sitemap.xml".to_owned(),
            "https://example.test/news.xml".to_owned()
        ]
    );
}

#[test]
fn rules_match_path_and_query_with_wildcards() {
    let robots = Robots::parse(
        AGENT,
        b"User-agent: *\nDisallow: /*?session=\nDisallow: /*.pdf$\n",
    );
    assert!(!robots.is_allowed(&url("/a?session=1")));
    assert!(robots.is_allowed(&url("/a?page=1")));
    assert!(!robots.is_allowed(&url("/doc.pdf")));
    assert!(robots.is_allowed(&url("/doc.pdf?x=1")));
    // The fragment is never sent, so it does not change the answer.
    assert!(!robots.is_allowed(&url("/doc.pdf#frag")));
}

#[test]
fn garbage_allows_everything() {
    let robots = Robots::parse(
        AGENT,
        b"\x89PNG\r\n\x1a\n\x00\x00{{{{ nonsense\n\xff\xfe:::\n",
    );
    assert!(robots.is_allowed(&url("/anything")));
    assert_eq!(robots.crawl_delay(), None);
    assert!(robots.sitemaps().is_empty());
}

#[test]
fn disallow_all_still_allows_robots_txt() {
    let robots = Robots::disallow_all("robots.txt answered 503");
    assert_eq!(robots.unavailable_reason(), Some("robots.txt answered 503"));
    assert!(!robots.is_allowed(&url("/")));
    assert!(robots.is_allowed(&url("/robots.txt")));
    assert!(Robots::allow_all().is_allowed(&url("/x")));
}

#[test]
fn nonsense_crawl_delay_is_ignored() {
    let robots = Robots::parse(AGENT, b"User-agent: *\nCrawl-delay: -5\n");
    assert_eq!(robots.crawl_delay(), None);
}

#[test]
fn robots_url_keeps_scheme_host_and_port() {
    assert_eq!(
        robots_url(&Url::parse("http://127.0.0.1:8080/a/b?c#d").unwrap())
            .unwrap()
            .as_str(),
        "http://127.0.0.1:8080/robots.txt"
    );
    assert_eq!(
        robots_url(&Url::parse("https://user:pw@example.test/x").unwrap())
            .unwrap()
            .as_str(),
        "https://example.test/robots.txt"
    );
    assert_eq!(robots_url(&Url::parse("mailto:a@b.c").unwrap()), None);
    assert_eq!(robots_url(&Url::parse("file:///etc/passwd").unwrap()), None);
}

#[test]
fn product_tokens() {
    assert_eq!(product_token(AGENT), "trawl");
    assert_eq!(product_token("Mozilla/5.0 (X11)"), "Mozilla");
    assert_eq!(product_token("  bot"), "bot");
    assert_eq!(product_token(""), "*");
}
