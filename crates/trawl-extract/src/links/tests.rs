//! Link resolution, filtering, de-duplication and the per-page cap.

#![allow(clippy::unwrap_used)]

use super::*;

fn page_url() -> Url {
    Url::parse("https://example.com/dir/page.html").unwrap()
}

/// Collects `hrefs` as one page would, then resolves them against [`page_url`].
fn collect(hrefs: &[&str], max_links: usize) -> (Vec<String>, Vec<ExtractWarning>) {
    let mut collector = LinkCollector::new(max_links);
    let mut warnings = WarningLog::default();
    for href in hrefs {
        collector.add(href);
    }
    let extracted = crate::Extracted {
        links: collector.finish(&mut warnings),
        ..crate::Extracted::default()
    };
    let (urls, mut resolve_warnings) = extracted.resolved_links(&page_url());
    let mut all_warnings = warnings.finish();
    all_warnings.append(&mut resolve_warnings);
    (urls.into_iter().map(String::from).collect(), all_warnings)
}

#[test]
fn web_href_skips_non_web_schemes_fragments_and_empties() {
    assert_eq!(web_href("  /a?b=1 \n"), Some("/a?b=1"));
    assert_eq!(web_href("HTTPS://x.example/"), Some("HTTPS://x.example/"));
    assert_eq!(web_href("page:2"), None);
    assert_eq!(web_href("./page:2"), Some("./page:2"));
    assert_eq!(web_href("?q=a:b"), Some("?q=a:b"));
    for skipped in [
        "",
        "   ",
        "#top",
        "javascript:void(0)",
        "JavaScript:x",
        "mailto:a@b",
        "tel:+1",
        "data:text/html,x",
        "ftp://x/",
    ] {
        assert_eq!(web_href(skipped), None, "{skipped:?}");
    }
}

#[test]
fn links_are_resolved_deduplicated_and_lose_their_fragment() {
    let (links, warnings) = collect(
        &[
            "/a",
            "/a#top",
            "b?x=1&amp;y=2",
            "https://example.com/a",
            "../up",
            "//cdn.example/x#f",
        ],
        100,
    );
    assert_eq!(
        links,
        vec![
            "https://example.com/a",
            "https://example.com/dir/b?x=1&y=2",
            "https://example.com/up",
            "https://cdn.example/x",
        ]
    );
    assert_eq!(warnings, vec![]);
}

#[test]
fn unparsable_hrefs_become_warnings() {
    let (links, warnings) = collect(&["http://[::1", "https://ok.example/"], 100);
    assert_eq!(links, vec!["https://ok.example/"]);
    assert_eq!(
        warnings,
        vec![ExtractWarning::BadLink {
            href: "http://[::1".to_owned(),
            reason: "invalid IPv6 address".to_owned(),
        }]
    );
}

#[test]
fn links_past_the_cap_are_counted() {
    let (links, warnings) = collect(&["/1", "/2", "/2", "/3", "/4", "/5"], 3);
    assert_eq!(
        links,
        vec![
            "https://example.com/1",
            "https://example.com/2",
            "https://example.com/3",
        ]
    );
    assert_eq!(
        warnings,
        vec![ExtractWarning::TooManyLinks {
            kept: 3,
            dropped: 2
        }]
    );
}

#[test]
fn base_href_must_be_http() {
    let mut warnings = WarningLog::default();
    assert_eq!(
        resolve_base_href(" /static/ ", &page_url(), &mut warnings).map(String::from),
        Some("https://example.com/static/".to_owned())
    );
    assert_eq!(
        resolve_base_href("file:///etc/", &page_url(), &mut warnings),
        None
    );
    assert_eq!(
        warnings.finish(),
        vec![ExtractWarning::BadLink {
            href: "file:///etc/".to_owned(),
            reason: "base href with scheme \"file\" ignored".to_owned(),
        }]
    );
}
