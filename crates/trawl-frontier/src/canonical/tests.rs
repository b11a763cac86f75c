//! Canonical forms of URLs a crawler meets in the wild, and the persisted
//! fingerprint that must never drift.
#![allow(clippy::unwrap_used)]

use url::Url;

use super::*;

fn canonical(input: &str, sort_query: bool) -> String {
    canonicalize(&Url::parse(input).unwrap(), sort_query).to_string()
}

#[test]
fn canonical_form_table() {
    let table: &[(&str, bool, &str)] = &[
        // Fragments never reach the server.
        (
            "https://example.com/a#section",
            false,
            "https://example.com/a",
        ),
        (
            "https://example.com/a?b=1#",
            false,
            "https://example.com/a?b=1",
        ),
        // Default ports are dropped, others kept.
        ("http://example.com:80/", false, "http://example.com/"),
        ("https://example.com:443/", false, "https://example.com/"),
        (
            "https://example.com:8443/",
            false,
            "https://example.com:8443/",
        ),
        ("http://example.com:443/", false, "http://example.com:443/"),
        // Scheme and host case.
        (
            "HTTPS://Example.COM/Path",
            false,
            "https://example.com/Path",
        ),
        // Escapes of unreserved characters are decoded...
        (
            "https://example.com/%7euser",
            false,
            "https://example.com/~user",
        ),
        (
            "https://example.com/%41%62c%2D%2e%5F",
            false,
            "https://example.com/Abc-._",
        ),
        (
            "https://example.com/?q=%7e",
            false,
            "https://example.com/?q=~",
        ),
        // ...other escapes are uppercased, never decoded.
        (
            "https://example.com/a%2fb",
            false,
            "https://example.com/a%2Fb",
        ),
        (
            "https://example.com/?q=a%2fb%3d",
            false,
            "https://example.com/?q=a%2Fb%3D",
        ),
        (
            "https://example.com/a%2Fb",
            false,
            "https://example.com/a%2Fb",
        ),
        // A lone percent sign stays as the parser left it.
        (
            "https://example.com/100%",
            false,
            "https://example.com/100%",
        ),
        ("https://example.com/%zz", false, "https://example.com/%zz"),
        // Empty query.
        ("https://example.com/a?", false, "https://example.com/a"),
        ("https://example.com/a?#top", false, "https://example.com/a"),
        // Query order is kept unless asked to sort.
        (
            "https://example.com/?b=2&a=1",
            false,
            "https://example.com/?b=2&a=1",
        ),
        (
            "https://example.com/?b=2&a=1",
            true,
            "https://example.com/?a=1&b=2",
        ),
        (
            "https://example.com/?a=2&b=1&a=1",
            true,
            "https://example.com/?a=1&a=2&b=1",
        ),
        (
            "https://example.com/?b=1&&a=&a",
            true,
            "https://example.com/?a=&a&b=1",
        ),
        ("https://example.com/?&&", true, "https://example.com/"),
        (
            "https://example.com/?a=1&b=2",
            true,
            "https://example.com/?a=1&b=2",
        ),
        (
            "https://example.com/?b=%7e&a=%2f",
            true,
            "https://example.com/?a=%2F&b=~",
        ),
        // Dot segments.
        (
            "https://example.com/a/./b/../c",
            false,
            "https://example.com/a/c",
        ),
        (
            "https://example.com/a/%2e%2E/c",
            false,
            "https://example.com/c",
        ),
        (
            "https://example.com/../../a",
            false,
            "https://example.com/a",
        ),
        // Empty path.
        ("https://example.com", false, "https://example.com/"),
        // Unicode paths: raw and percent-encoded spellings meet.
        (
            "https://example.com/caf\u{e9}",
            false,
            "https://example.com/caf%C3%A9",
        ),
        (
            "https://example.com/caf%c3%a9",
            false,
            "https://example.com/caf%C3%A9",
        ),
        // IDN hosts in punycode.
        (
            "https://B\u{fc}cher.example/",
            false,
            "https://xn--bcher-kva.example/",
        ),
        // Non-hierarchical URLs are left alone apart from the fragment.
        (
            "mailto:a%7eb@example.com",
            false,
            "mailto:a%7eb@example.com",
        ),
    ];
    let mut mismatches = Vec::new();
    for (input, sort_query, expected) in table {
        let actual = canonical(input, *sort_query);
        if actual != *expected {
            mismatches.push(format!(
                "{input} (sort {sort_query}): {actual} != {expected}"
            ));
        }
    }
    assert_eq!(mismatches, Vec::<String>::new());
}

#[test]
fn canonicalize_is_idempotent() {
    let inputs = [
        "https://example.com/a%2fb/%7e?b=%7e&a=1#x",
        "https://example.com/caf%c3%a9?",
        "https://example.com/?z&y=1&&x=%2f",
    ];
    for input in inputs {
        for sort_query in [false, true] {
            let once = canonicalize(&Url::parse(input).unwrap(), sort_query);
            let twice = canonicalize(&once, sort_query);
            assert_eq!(once, twice, "{input} sort {sort_query}");
        }
    }
}

#[test]
fn normalize_escapes_allocates_only_when_something_changes() {
    assert_eq!(normalize_escapes("/plain/path"), None);
    assert_eq!(normalize_escapes("/already%2Fupper"), None);
    assert_eq!(normalize_escapes("/x%2f"), Some("/x%2F".to_owned()));
    assert_eq!(normalize_escapes("%7e%7E"), Some("~~".to_owned()));
    assert_eq!(normalize_escapes("%"), None);
    assert_eq!(normalize_escapes("%4"), None);
}

#[test]
fn fingerprint_is_stable_across_versions() {
    // Persisted in stores: if this value changes, every stored frontier
    // breaks. Never update it without a migration.
    let url = Url::parse("https://example.com/catalogue/page-2.html?b=2&a=1").unwrap();
    let canonical = canonicalize(&url, true);
    assert_eq!(
        canonical.as_str(),
        "https://example.com/catalogue/page-2.html?a=1&b=2"
    );
    assert_eq!(fingerprint(&canonical), 12_589_041_482_542_067_535);
    // The hash is reference XXH3-64 with the default seed (published test
    // vector for empty input), not some crate-specific variant.
    assert_eq!(xxhash_rust::xxh3::xxh3_64(b""), 0x2D06_8005_38D3_94C2);
}

#[test]
fn equivalent_urls_share_a_fingerprint() {
    let spellings = [
        "https://EXAMPLE.com:443/%7euser/a%2fb?x=1#frag",
        "https://example.com/~user/a%2Fb?x=1",
        "https://example.com/x/../~user/./a%2fb?x=1",
    ];
    let fingerprints: Vec<u64> = spellings
        .iter()
        .map(|spelling| fingerprint(&canonicalize(&Url::parse(spelling).unwrap(), false)))
        .collect();
    assert_eq!(fingerprints[0], fingerprints[1]);
    assert_eq!(fingerprints[0], fingerprints[2]);
}
