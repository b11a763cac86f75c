//! Checks that the catalog is deterministic, sized as configured, and that its
//! stated answers (`html_page_paths`, `expected_products`, `dead_link_paths`)
//! agree with what the rendered pages actually contain, read back with a
//! deliberately naive href scanner and entity decoder written here.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

use super::*;

const ORIGIN: &str = "http://127.0.0.1:8080";

fn small_config() -> CatalogConfig {
    CatalogConfig {
        products: 7,
        categories: 3,
        per_page: 2,
        target_page_bytes: 3_000,
        dead_link_every: 3,
        seed: 99,
    }
}

fn html_of(page: &Page) -> &str {
    std::str::from_utf8(&page.body).unwrap()
}

/// Every `href="..."` value in document order.
fn hrefs(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("href=\"") {
        rest = &rest[start + 6..];
        let end = rest.find('"').unwrap();
        found.push(&rest[..end]);
        rest = &rest[end..];
    }
    found
}

/// Resolves an href found on `base_path` to a site path, like a browser would
/// for the link shapes this site uses. `None` for other schemes and origins.
fn resolve(base_path: &str, href: &str) -> Option<String> {
    if href.starts_with("mailto:") {
        return None;
    }
    let href = match href.strip_prefix(ORIGIN) {
        Some(path) => path,
        None if href.contains("://") => return None,
        None => href,
    };
    let href = href.split('#').next().unwrap();
    if href.is_empty() {
        return Some(base_path.to_owned());
    }
    let joined = if href.starts_with('/') {
        href.to_owned()
    } else {
        let directory_end = base_path.rfind('/').unwrap();
        format!("{}{href}", &base_path[..=directory_end])
    };
    let parts: Vec<&str> = joined.split('/').skip(1).collect();
    let mut segments: Vec<&str> = Vec::new();
    for (position, part) in parts.iter().enumerate() {
        let is_last = position + 1 == parts.len();
        match *part {
            ".." => {
                segments.pop();
                if is_last {
                    segments.push("");
                }
            }
            "." => {
                if is_last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    Some(format!("/{}", segments.join("/")))
}

struct CrawlResult {
    ok_html_paths: BTreeSet<String>,
    not_found_paths: BTreeSet<String>,
}

/// Breadth-first crawl from `/` following every href, ignoring robots.txt.
fn crawl(catalog: &Catalog) -> CrawlResult {
    let mut seen = BTreeSet::from(["/".to_owned()]);
    let mut queue = VecDeque::from(["/".to_owned()]);
    let mut ok_html_paths = BTreeSet::new();
    let mut not_found_paths = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        let page = catalog.render(&path, ORIGIN);
        match page.status {
            200 => {
                assert_eq!(page.content_type, "text/html; charset=utf-8", "{path}");
                ok_html_paths.insert(path.clone());
            }
            404 => {
                not_found_paths.insert(path.clone());
                continue;
            }
            other => panic!("unexpected status {other} for {path}"),
        }
        for href in hrefs(html_of(&page)) {
            if let Some(target) = resolve(&path, href)
                && seen.insert(target.clone())
            {
                queue.push_back(target);
            }
        }
    }
    CrawlResult {
        ok_html_paths,
        not_found_paths,
    }
}

/// Decodes the entities the generator may use; an unknown one fails the
/// test, so the generator cannot drift away from what this checker covers.
fn decode_entities(text: &str) -> String {
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        decoded.push_str(&rest[..start]);
        let end = rest[start..].find(';').unwrap() + start;
        let entity = &rest[start + 1..end];
        let character = if let Some(hex) = entity.strip_prefix("#x") {
            char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap()
        } else if let Some(decimal) = entity.strip_prefix('#') {
            char::from_u32(decimal.parse().unwrap()).unwrap()
        } else {
            match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "eacute" => 'é',
                "egrave" => 'è',
                "mdash" => '—',
                "ndash" => '–',
                other => panic!("entity &{other}; not known to the test decoder"),
            }
        };
        decoded.push(character);
        rest = &rest[end + 1..];
    }
    decoded.push_str(rest);
    decoded
}

/// Text content of some HTML: tags removed, entities decoded, whitespace collapsed.
fn text_content(html: &str) -> String {
    let mut without_tags = String::with_capacity(html.len());
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            other if !in_tag => without_tags.push(other),
            _ => {}
        }
    }
    decode_entities(&without_tags)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The opening tag starting with `tag_prefix` (up to its `>`), and the HTML
/// between it and the next `close_tag`.
fn element<'a>(html: &'a str, tag_prefix: &str, close_tag: &str) -> (&'a str, &'a str) {
    let start = html
        .find(tag_prefix)
        .unwrap_or_else(|| panic!("{tag_prefix} missing"));
    let tag_end = html[start..].find('>').unwrap() + start;
    let inner_start = tag_end + 1;
    let inner_end = html[inner_start..].find(close_tag).unwrap() + inner_start;
    (&html[start..inner_start], &html[inner_start..inner_end])
}

fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let marker = format!(" {name}=\"");
    let start = tag
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} missing in {tag}"))
        + marker.len();
    let end = tag[start..].find('"').unwrap() + start;
    &tag[start..end]
}

/// `$1,299.00` -> 1299.0, the way a number field strips symbols and separators.
fn parse_money(text: &str) -> f64 {
    text.chars()
        .filter(|character| character.is_ascii_digit() || *character == '.')
        .collect::<String>()
        .parse()
        .unwrap()
}

/// Reads a product back from its page, independently of the generator.
fn product_from_page(url_path: &str, html: &str) -> ExpectedProduct {
    let (article_tag, article) = element(html, "<article class=\"product\"", "</article>");
    let (price_tag, price_html) = element(article, "<p class=\"price\"", "</p>");
    let (availability_tag, availability_html) =
        element(article, "<p class=\"availability\"", "</p>");
    let in_stock = match attribute(availability_tag, "data-in-stock") {
        "true" => true,
        "false" => false,
        other => panic!("bad data-in-stock {other}"),
    };
    let availability = text_content(availability_html);
    let stock_count = availability.strip_prefix("In stock (").map(|rest| {
        rest.trim_end_matches(" available)")
            .replace(',', "")
            .parse()
            .unwrap()
    });
    let (rating_tag, _) = element(article, "<div class=\"rating\"", "</div>");
    let (_, tags_html) = element(article, "<ul class=\"tags\"", "</ul>");
    let tags = tags_html
        .split("<li>")
        .filter(|piece| !piece.is_empty())
        .map(|piece| text_content(piece.trim_end_matches("</li>")))
        .collect();
    let (image_tag, _) = element(article, "<img class=\"main\"", ">");
    let (time_tag, time_html) = element(article, "<time class=\"released\"", "</time>");
    let released = attribute(time_tag, "datetime").to_owned();
    let human_date: Vec<&str> = time_html.split(' ').collect();
    let month_number = MONTH_NAMES
        .iter()
        .position(|m| *m == human_date[1])
        .unwrap()
        + 1;
    assert_eq!(
        format!(
            "{}-{month_number:02}-{:02}",
            human_date[2],
            human_date[0].parse::<u32>().unwrap()
        ),
        released,
        "human date {time_html} disagrees with datetime on {url_path}"
    );
    let (_, sku_html) = element(article, "<span class=\"sku\"", "</span>");
    assert_eq!(attribute(article_tag, "data-sku"), sku_html);
    ExpectedProduct {
        sku: text_content(sku_html),
        name: text_content(element(article, "<h1 class=\"name\"", "</h1>").1),
        price: parse_money(&text_content(price_html)),
        currency: attribute(price_tag, "data-currency").to_owned(),
        category: attribute(article_tag, "data-category").to_owned(),
        in_stock,
        stock_count,
        rating: attribute(rating_tag, "data-stars").parse().unwrap(),
        tags,
        image_url_path: resolve(url_path, attribute(image_tag, "src")).unwrap(),
        released,
        url_path: url_path.to_owned(),
        description: text_content(element(article, "<p class=\"description\"", "</p>").1),
    }
}

#[test]
fn catalog_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Catalog>();
}

#[test]
fn same_seed_renders_identical_bytes_and_other_seed_differs() {
    let first = Catalog::new(CatalogConfig::demo());
    let second = Catalog::new(CatalogConfig::demo());
    let mut paths = first.html_page_paths();
    paths.extend(first.dead_link_paths());
    paths.extend(["/robots.txt", "/sitemap.xml", "/img/3.jpg", "/missing"].map(str::to_owned));
    assert_eq!(first.html_page_paths(), second.html_page_paths());
    assert_eq!(first.dead_link_paths(), second.dead_link_paths());
    for path in &paths {
        assert_eq!(
            first.render(path, ORIGIN),
            second.render(path, ORIGIN),
            "{path}"
        );
    }
    assert_eq!(first.expected_products(), second.expected_products());

    let other_seed = Catalog::new(CatalogConfig {
        seed: 2025,
        ..CatalogConfig::demo()
    });
    assert_ne!(first.render("/", ORIGIN), other_seed.render("/", ORIGIN));
    assert_ne!(first.expected_products(), other_seed.expected_products());
}

/// Pins the generator's output: the demo's exact item set is part of the
/// product (docs, tests and recordings rely on it), so a change here must be
/// deliberate.
#[test]
fn demo_output_is_pinned() {
    let catalog = Catalog::new(CatalogConfig::demo());
    let products = catalog.expected_products();
    assert_eq!(products.len(), 240);
    assert_eq!(
        products[0],
        ExpectedProduct {
            sku: "SKU-00001".to_owned(),
            name: "Nordic Rattan Tea Kettle".to_owned(),
            price: 182.0,
            currency: "USD".to_owned(),
            category: "kitchen".to_owned(),
            in_stock: true,
            stock_count: Some(15),
            rating: 5,
            tags: vec![
                "made in europe".to_owned(),
                "handmade".to_owned(),
                "new".to_owned()
            ],
            image_url_path: "/img/1.jpg".to_owned(),
            released: "2025-09-20".to_owned(),
            url_path: "/product/1/".to_owned(),
            description: "Customers call it \"the best thing we bought this year\". \
                          Made with real care by a small team in München. \
                          Ships in 2–3 working days."
                .to_owned(),
        }
    );
    assert_eq!(catalog.html_page_paths().len(), 274);
    assert_eq!(
        fnv1a_64(&catalog.render("/", ORIGIN).body),
        7_572_979_242_475_274_851
    );
}

#[test]
fn html_pages_are_within_ten_percent_of_target_size() {
    for config in [
        CatalogConfig::demo(),
        CatalogConfig::bench(300),
        small_config(),
    ] {
        let catalog = Catalog::new(config.clone());
        let target = config.target_page_bytes as f64;
        let mut paths = catalog.html_page_paths();
        paths.extend(catalog.dead_link_paths());
        paths.push("/no/such/page".to_owned());
        for path in paths {
            let size = catalog.render(&path, ORIGIN).body.len() as f64;
            assert!(
                (target * 0.9..=target * 1.1).contains(&size),
                "{path}: {size} bytes, target {target}"
            );
        }
    }
}

#[test]
fn html_page_paths_equal_a_crawl_following_every_href() {
    let configs = [
        CatalogConfig::demo(),
        small_config(),
        // More categories than the word list has: suffixed slugs, some empty.
        CatalogConfig {
            products: 30,
            categories: 13,
            per_page: 4,
            target_page_bytes: 2_000,
            dead_link_every: 0,
            seed: 5,
        },
        // No products at all: still a consistent site.
        CatalogConfig {
            products: 0,
            categories: 2,
            per_page: 5,
            target_page_bytes: 1_000,
            dead_link_every: 1,
            seed: 1,
        },
    ];
    for config in configs {
        let catalog = Catalog::new(config.clone());
        let crawled = crawl(&catalog);
        let stated: Vec<String> = catalog.html_page_paths();
        let stated_set: BTreeSet<String> = stated.iter().cloned().collect();
        assert_eq!(stated.len(), stated_set.len(), "duplicates for {config:?}");
        assert_eq!(crawled.ok_html_paths, stated_set, "{config:?}");
        let dead: BTreeSet<String> = catalog.dead_link_paths().into_iter().collect();
        assert_eq!(crawled.not_found_paths, dead, "{config:?}");
    }
}

#[test]
fn demo_has_expected_page_counts_and_dead_links() {
    let catalog = Catalog::new(CatalogConfig::demo());
    let paths = catalog.html_page_paths();
    assert_eq!(
        paths.iter().filter(|p| p.starts_with("/product/")).count(),
        240
    );
    assert_eq!(
        paths.iter().filter(|p| p.starts_with("/category/")).count(),
        catalog
            .categories
            .iter()
            .map(|category| category.product_ids.len().div_ceil(12).max(1))
            .sum::<usize>()
    );
    assert_eq!(
        catalog.dead_link_paths(),
        (1..=9)
            .map(|n| format!("/product/{}/reviews/", n * 25))
            .collect::<Vec<_>>()
    );
    assert_eq!(catalog.robots_disallowed_paths(), vec!["/cart".to_owned()]);
    assert!(paths.contains(&"/cart".to_owned()));
}

#[test]
fn every_expected_product_is_on_exactly_one_product_page_with_its_values() {
    for config in [CatalogConfig::demo(), small_config()] {
        let catalog = Catalog::new(config);
        let expected = catalog.expected_products();
        let mut product_pages_by_sku: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut listing_cards_by_path: BTreeMap<String, usize> = BTreeMap::new();
        for path in catalog.html_page_paths() {
            let page = catalog.render(&path, ORIGIN);
            let html = html_of(&page);
            for (position, _) in html.match_indices("<article class=\"product\" data-sku=\"") {
                let (tag, _) = element(&html[position..], "<article", ">");
                product_pages_by_sku
                    .entry(attribute(tag, "data-sku").to_owned())
                    .or_default()
                    .push(path.clone());
            }
            if path.starts_with("/category/") {
                for (position, _) in html.match_indices("<li class=\"product-card\">") {
                    let (tag, _) = element(&html[position..], "<a class=\"title\"", "</a>");
                    *listing_cards_by_path
                        .entry(attribute(tag, "href").to_owned())
                        .or_default() += 1;
                }
            }
        }
        assert_eq!(product_pages_by_sku.len(), expected.len());
        assert_eq!(listing_cards_by_path.len(), expected.len());
        for product in &expected {
            assert_eq!(
                product_pages_by_sku[&product.sku],
                vec![product.url_path.clone()],
                "{}",
                product.sku
            );
            assert_eq!(
                listing_cards_by_path[&product.url_path], 1,
                "{}",
                product.sku
            );
            let page = catalog.render(&product.url_path, ORIGIN);
            assert_eq!(page.status, 200);
            assert_eq!(
                &product_from_page(&product.url_path, html_of(&page)),
                product
            );
            let image = catalog.render(&product.image_url_path, ORIGIN);
            assert_eq!(
                (image.status, image.content_type, image.body.as_slice()),
                (200, "image/jpeg", PLACEHOLDER_JPEG)
            );
        }
    }
}

#[test]
fn demo_exercises_separators_entities_and_edge_values() {
    let products = Catalog::new(CatalogConfig::demo()).expected_products();
    assert!(products.iter().any(|p| p.price >= 1000.0));
    assert!(
        products
            .iter()
            .any(|p| p.stock_count.is_some_and(|n| n >= 1000))
    );
    assert!(
        products
            .iter()
            .any(|p| !p.in_stock && p.stock_count.is_none())
    );
    assert!(products.iter().any(|p| p.tags.is_empty()));
    assert!(products.iter().any(|p| p.tags.len() == 4));
    assert!(products.iter().any(|p| p.name.contains('&')));
    assert!(products.iter().any(|p| p.name.contains('"')));
    assert!(products.iter().any(|p| p.name.contains('é')));
    assert!(products.iter().any(|p| p.description.contains("日本")));
    for stars in 1..=5 {
        assert!(products.iter().any(|p| p.rating == stars), "{stars}");
    }
}

#[test]
fn unknown_and_non_canonical_paths_answer_404_html() {
    let catalog = Catalog::new(CatalogConfig::demo());
    for path in [
        "/nope",
        "/about/",
        "/product/0/",
        "/product/241/",
        "/product/042/",
        "/product/42",
        "/product/42/reviews/",
        "/product/4294967296/",
        "/category/unknown/",
        "/category/lighting",
        "/category/lighting/page/1/",
        "/category/lighting/page/99/",
        "/category/lighting/page/02/",
        "/img/0.jpg",
        "/img/241.jpg",
        "/favicon.ico",
        "",
    ] {
        let page = catalog.render(path, ORIGIN);
        assert_eq!(
            (page.status, page.content_type),
            (404, "text/html; charset=utf-8"),
            "{path}"
        );
        assert!(html_of(&page).contains("<h1 class=\"page-title\">Page not found</h1>"));
    }
}

#[test]
fn query_string_is_ignored() {
    let catalog = Catalog::new(CatalogConfig::demo());
    assert_eq!(
        catalog.render("/about?utm_source=x", ORIGIN),
        catalog.render("/about", ORIGIN)
    );
    assert_eq!(catalog.render("/product/3/?a=1", ORIGIN).status, 200);
}

#[test]
fn robots_txt_disallows_cart_and_names_the_sitemap() {
    let page = Catalog::new(CatalogConfig::demo()).render("/robots.txt", ORIGIN);
    assert_eq!(
        (page.status, page.content_type, html_of(&page)),
        (
            200,
            "text/plain; charset=utf-8",
            "User-agent: *\nDisallow: /cart\n\nSitemap: http://127.0.0.1:8080/sitemap.xml\n"
        )
    );
}

#[test]
fn sitemap_lists_every_category_first_page() {
    let catalog = Catalog::new(CatalogConfig {
        categories: 2,
        ..small_config()
    });
    let page = catalog.render("/sitemap.xml", "http://127.0.0.1:9");
    assert_eq!(
        (page.status, page.content_type, html_of(&page)),
        (
            200,
            "application/xml; charset=utf-8",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n\
             <url><loc>http://127.0.0.1:9/category/lighting/</loc></url>\n\
             <url><loc>http://127.0.0.1:9/category/kitchen/</loc></url>\n\
             </urlset>\n"
        )
    );
    for path in ["/category/lighting/", "/category/kitchen/"] {
        assert_eq!(catalog.render(path, ORIGIN).status, 200);
    }
}

#[test]
fn pagination_links_are_relative_and_chain_through_every_page() {
    let catalog = Catalog::new(small_config());
    for category in &catalog.categories {
        let page_count = catalog.category_page_count(category);
        let mut path = category_page_path(&category.slug, 1);
        let mut visited = vec![path.clone()];
        loop {
            let page = catalog.render(&path, ORIGIN);
            let html = html_of(&page);
            let Some(position) = html.find("<a class=\"next\"") else {
                break;
            };
            let (tag, _) = element(&html[position..], "<a", ">");
            let href = attribute(tag, "href");
            assert!(
                !href.starts_with('/'),
                "next link should be relative: {href}"
            );
            let next = resolve(&path, href).unwrap();
            let next_html = catalog.render(&next, ORIGIN);
            let next_html = html_of(&next_html);
            let position = next_html.find("<a class=\"prev\"").unwrap();
            let (prev_tag, _) = element(&next_html[position..], "<a", ">");
            assert_eq!(resolve(&next, attribute(prev_tag, "href")).unwrap(), path);
            visited.push(next.clone());
            path = next;
        }
        let expected: Vec<String> = (1..=page_count)
            .map(|page_number| category_page_path(&category.slug, page_number))
            .collect();
        assert_eq!(visited, expected);
    }
}

#[test]
fn number_and_date_helpers() {
    let cases = [
        (0, "0"),
        (999, "999"),
        (1_000, "1,000"),
        (1_234_567, "1,234,567"),
    ];
    for (value, text) in cases {
        let mut out = String::new();
        push_grouped_thousands(&mut out, value);
        assert_eq!(out, text);
    }
    for (cents, text) in [(5, "0.05"), (129_900, "1,299.00"), (1_234, "12.34")] {
        let mut out = String::new();
        push_price(&mut out, cents);
        assert_eq!(out, text);
    }
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(-1), (1969, 12, 31));
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    assert_eq!(civil_from_days(FIRST_RELEASE_DAY), (2019, 1, 1));
    assert_eq!(civil_from_days(19_787), (2024, 3, 5));
    assert_eq!(
        civil_from_days(FIRST_RELEASE_DAY + RELEASE_SPAN_DAYS as i64 - 1),
        (2025, 12, 31)
    );
    assert_eq!(parse_canonical_u32("42"), Some(42));
    assert_eq!(parse_canonical_u32("0"), Some(0));
    assert_eq!(parse_canonical_u32("042"), None);
    assert_eq!(parse_canonical_u32(""), None);
    assert_eq!(parse_canonical_u32("+4"), None);
    assert_eq!(parse_canonical_u32("4294967296"), None);
}

#[test]
fn splitmix64_matches_reference_output() {
    // First outputs for seed 1234567 of the reference algorithm (checked with an
    // independent port), so the generator cannot silently change.
    let mut rng = SplitMix64::new(1_234_567);
    assert_eq!(
        [rng.next_u64(), rng.next_u64(), rng.next_u64()],
        [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423
        ]
    );
}

#[test]
fn rendering_cost_per_page() {
    for config in [CatalogConfig::demo(), CatalogConfig::bench(2_000)] {
        let catalog = Catalog::new(config.clone());
        let paths = catalog.html_page_paths();
        let started = Instant::now();
        let mut total_bytes = 0;
        for path in &paths {
            total_bytes += catalog.render(path, ORIGIN).body.len();
        }
        let elapsed = started.elapsed();
        eprintln!(
            "{} pages of ~{} bytes: {:.1} µs/page ({total_bytes} bytes total)",
            paths.len(),
            config.target_page_bytes,
            elapsed.as_secs_f64() * 1e6 / paths.len() as f64
        );
        assert!(total_bytes > paths.len() * config.target_page_bytes * 9 / 10);
    }
}
