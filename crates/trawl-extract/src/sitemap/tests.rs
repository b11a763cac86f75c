//! Sitemaps and sitemap indexes, well-formed and not.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use super::*;

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

#[test]
fn urlset_with_namespaces_entities_and_cdata() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc> https://shop.example/a?x=1&amp;y=2 </loc>
    <lastmod>2024-03-01</lastmod>
    <image:image><image:loc>https://shop.example/img/a.jpg</image:loc></image:image>
  </url>
  <url><loc><![CDATA[https://shop.example/b]]></loc></url>
  <url><loc>https://shop.example/caf&#233;</loc></url>
  <url><loc></loc></url>
</urlset>"#;
    assert_eq!(
        parse_sitemap(body),
        Sitemap {
            urls: strings(&[
                "https://shop.example/a?x=1&y=2",
                "https://shop.example/b",
                "https://shop.example/café",
            ]),
            sitemaps: vec![],
            warnings: vec![],
        }
    );
}

#[test]
fn sitemap_index_lists_sitemaps() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sm:sitemap><sm:loc>https://shop.example/sitemap-1.xml</sm:loc></sm:sitemap>
  <sm:sitemap><sm:loc>https://shop.example/sitemap-2.xml.gz</sm:loc><sm:lastmod>2024-01-01</sm:lastmod></sm:sitemap>
</sm:sitemapindex>"#;
    assert_eq!(
        parse_sitemap(body),
        Sitemap {
            urls: vec![],
            sitemaps: strings(&[
                "https://shop.example/sitemap-1.xml",
                "https://shop.example/sitemap-2.xml.gz",
            ]),
            warnings: vec![],
        }
    );
}

#[test]
fn broken_xml_keeps_entries_read_before_the_error() {
    let body = b"<urlset><url><loc>https://a.example/1</loc></url><url><loc>https://a.example/2</lo></url></urlset>";
    assert_eq!(
        parse_sitemap(body),
        Sitemap {
            urls: strings(&["https://a.example/1"]),
            sitemaps: vec![],
            warnings: strings(&[
                "invalid xml at byte 78: ill-formed document: expected `</loc>`, but `</lo>` was found (entries before it are kept)"
            ]),
        }
    );
}

#[test]
fn garbage_is_not_a_sitemap() {
    assert_eq!(
        parse_sitemap(b"\x00\xff garbage <<< not xml"),
        Sitemap {
            urls: vec![],
            sitemaps: vec![],
            warnings: strings(&[
                "invalid xml at byte 11: syntax error: tag not closed: `>` not found before end of input (entries before it are kept)",
                "no <urlset> or <sitemapindex> root element: not a sitemap",
            ]),
        }
    );
    assert_eq!(
        parse_sitemap(b"<html><body><a href=\"/x\">x</a></body></html>"),
        Sitemap {
            urls: vec![],
            sitemaps: vec![],
            warnings: strings(&["no <urlset> or <sitemapindex> root element: not a sitemap"]),
        }
    );
    assert_eq!(
        parse_sitemap(b""),
        Sitemap {
            urls: vec![],
            sitemaps: vec![],
            warnings: strings(&["no <urlset> or <sitemapindex> root element: not a sitemap"]),
        }
    );
}

#[test]
fn gzip_bodies_are_reported_not_inflated() {
    assert_eq!(
        parse_sitemap(&[0x1f, 0x8b, 0x08, 0x00, 0x00]),
        Sitemap {
            urls: vec![],
            sitemaps: vec![],
            warnings: strings(&[
                "body is gzip-compressed (a .xml.gz file served without content-encoding); it was not decompressed"
            ]),
        }
    );
}

#[test]
fn unknown_entities_and_oversized_locs_are_skipped_with_warnings() {
    let long_loc = format!("https://a.example/{}", "x".repeat(3_000));
    let body = format!(
        "<urlset><url><loc>https://a.example/&bogus;x</loc></url><url><loc>{long_loc}</loc></url><url><loc>https://a.example/ok</loc></url></urlset>"
    );
    assert_eq!(
        parse_sitemap(body.as_bytes()),
        Sitemap {
            urls: strings(&["https://a.example/x", "https://a.example/ok"]),
            sitemaps: vec![],
            warnings: strings(&[
                "unknown entity &bogus; in a <loc> left out",
                "skipped a <loc> of 3018 bytes (the limit is 2048)",
            ]),
        }
    );
}

#[test]
fn entries_are_capped_at_the_protocol_limit() {
    let mut body = String::from("<urlset>");
    for index in 0..MAX_SITEMAP_ENTRIES + 2 {
        write!(body, "<url><loc>https://a.example/{index}</loc></url>").unwrap();
    }
    body.push_str("</urlset>");
    let sitemap = parse_sitemap(body.as_bytes());
    assert_eq!(sitemap.urls.len(), MAX_SITEMAP_ENTRIES);
    assert_eq!(sitemap.urls.last().unwrap(), "https://a.example/49999");
    assert_eq!(
        sitemap.warnings,
        strings(&["more than 50000 entries: 2 left out"])
    );
}
