//! Time per page of `Extractor::extract` on three realistic pages (a product
//! page, a 20-item listing, and the product page `trawl bench` crawls, with
//! the demo spec), each next to lol_html's own floor on the same page:
//! extraction is about half of the crawler's CPU time per page.
//!
//! Plain `Instant` loop rather than criterion to keep the dependency tree lean;
//! run with `cargo bench -p trawl-extract`. Prints the median of several rounds.
#![allow(clippy::print_stdout, clippy::unwrap_used)] // a bench reports on stdout; fixtures are ours

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use trawl_extract::Extractor;
use trawl_test_sites::catalog::{Catalog, CatalogConfig};

const SPEC: &str = r##"
name = "shop"
start_urls = ["https://shop.example/"]

[[extract]]
name = "product"
url = "/product/"
key = "sku"
[extract.fields]
title = { selector = "h1.product-title", required = true }
sku = { selector = "[itemprop=sku]", attr = "content" }
price = { selector = ".price .amount", type = "number" }
currency = { selector = "[itemprop=priceCurrency]", attr = "content" }
in_stock = { selector = ".availability", regex = "(In stock|Out of stock)" }
rating = { selector = ".rating", attr = "data-rating", type = "number" }
released = { selector = "time.released", attr = "datetime", type = "date" }
image = { selector = ".gallery img", attr = "src", type = "url" }
tags = { selector = ".tags a", list = true }
description = { selector = "#description", mode = "html" }

[[extract]]
name = "listing"
url = "/category/"
root = "li.product-card"
key = "url"
[extract.fields]
name = "h3 a"
url = { selector = "h3 a", attr = "href", type = "url" }
price = { selector = ".price", type = "number" }
stock = { selector = ".stock", regex = "(\\d+) left", type = "integer" }
"##;

fn navigation(html: &mut String) {
    html.push_str("<header class=\"site-header\"><nav><ul class=\"menu\">");
    for section in 0..12 {
        write!(
            html,
            "<li class=\"menu-item\"><a href=\"/category/section-{section}/\">Section {section}</a><ul class=\"submenu\">"
        )
        .unwrap();
        for sub in 0..4 {
            write!(
                html,
                "<li><a href=\"/category/section-{section}/sub-{sub}/?sort=popular&amp;page=1\">Sub {sub} of {section}</a></li>"
            )
            .unwrap();
        }
        html.push_str("</ul></li>");
    }
    html.push_str("</ul></nav></header>");
}

fn footer(html: &mut String) {
    html.push_str("<footer><div class=\"columns\">");
    for column in 0..4 {
        html.push_str("<div class=\"column\"><h4>About us</h4><ul>");
        for link in 0..3 {
            write!(
                html,
                "<li><a href=\"/pages/info-{column}-{link}.html\">Information page {column}.{link}</a></li>"
            )
            .unwrap();
        }
        html.push_str("</ul></div>");
    }
    html.push_str("<p class=\"legal\">&copy; 2024 Example Shop Ltd. All rights reserved. <a href=\"mailto:help@shop.example\">Contact</a> <a href=\"javascript:void(0)\">Cookies</a></p></footer>");
}

fn head(html: &mut String, title: &str) {
    write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/static/site.css\">\
         <style>body {{ font-family: sans-serif; }} .price {{ color: #c00; }} .menu li {{ display: inline-block; }}</style>\
         <script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}} gtag('js', new Date());</script>\
         </head><body class=\"page\">"
    )
    .unwrap();
}

fn product_page() -> String {
    let mut html = String::with_capacity(24 * 1024);
    head(&mut html, "Deluxe Espresso Machine &ndash; Example Shop");
    navigation(&mut html);
    html.push_str(
        "<main id=\"content\"><nav class=\"breadcrumbs\"><a href=\"/\">Home</a> &rsaquo; <a href=\"/category/kitchen/\">Kitchen</a></nav>\
         <article class=\"product\" itemscope itemtype=\"https://schema.org/Product\">\
         <div class=\"gallery\"><img src=\"/img/espresso-1.jpg\" alt=\"Espresso machine, front\"><img src=\"/img/espresso-2.jpg\" alt=\"side\"></div>\
         <div class=\"summary\"><h1 class=\"product-title\" itemprop=\"name\">Deluxe Espresso Machine</h1>\
         <meta itemprop=\"sku\" content=\"ESP-2000\"><meta itemprop=\"priceCurrency\" content=\"USD\">\
         <p class=\"price\"><span class=\"amount\">$1,299.00</span> <del>$1,499.00</del></p>\
         <p class=\"availability\"><i class=\"icon\"></i> In stock (12 available)</p>\
         <div class=\"rating\" data-rating=\"4.6\">★★★★☆ <a href=\"#reviews\">87 reviews</a></div>\
         <time class=\"released\" datetime=\"2023-11-02\">2 November 2023</time>\
         <p class=\"tags\"><a href=\"/tag/coffee\">coffee</a>, <a href=\"/tag/kitchen\">kitchen</a>, <a href=\"/tag/appliances\">appliances</a></p>\
         <form class=\"cart\" action=\"/cart/add\" method=\"post\"><input type=\"hidden\" name=\"sku\" value=\"ESP-2000\"><button>Add to cart</button></form></div>\
         <section id=\"description\"><h2>Description</h2>",
    );
    for paragraph in 0..33 {
        write!(
            html,
            "<p>Paragraph {paragraph}: a 15-bar pump, a steam wand for milk foam and a stainless &amp; steel body. \
             Brews <strong>single or double shots</strong> in under 30 seconds, with a removable 1.8&nbsp;litre water tank.</p>"
        )
        .unwrap();
    }
    html.push_str("<table class=\"specs\"><tbody>");
    for row in 0..16 {
        write!(
            html,
            "<tr><th>Spec {row}</th><td>Value {row} units</td></tr>"
        )
        .unwrap();
    }
    html.push_str("</tbody></table></section><section id=\"reviews\"><h2>Reviews</h2>");
    for review in 0..20 {
        write!(
            html,
            "<div class=\"review\"><span class=\"author\">Customer {review}</span><p>Great machine, makes excellent coffee every morning. Would buy again.</p></div>"
        )
        .unwrap();
    }
    html.push_str("</section></article><aside class=\"related\"><h2>Related products</h2><ul>");
    for related in 0..8 {
        write!(
            html,
            "<li class=\"related-item\"><a href=\"/product/related-{related}\"><img src=\"/img/related-{related}.jpg\" alt=\"\">Related product {related}</a><span class=\"price\">$ {related}9.99</span></li>"
        )
        .unwrap();
    }
    html.push_str("</ul></aside></main>");
    footer(&mut html);
    html.push_str("<script src=\"/static/app.js\"></script></body></html>");
    html
}

fn listing_page() -> String {
    let mut html = String::with_capacity(24 * 1024);
    head(&mut html, "Kitchen &ndash; Example Shop");
    navigation(&mut html);
    html.push_str("<main id=\"content\"><h1>Kitchen</h1><ul class=\"products\">");
    for card in 0..20 {
        write!(
            html,
            "<li class=\"product-card\"><a class=\"thumb\" href=\"/product/item-{card}\"><img src=\"/img/item-{card}.jpg\" alt=\"Item {card}\"></a>\
             <h3><a href=\"/product/item-{card}\">Kitchen item number {card}</a></h3>\
             <div class=\"rating\" title=\"4.{card} out of 5\"><span class=\"stars\">★★★★☆</span> <span class=\"count\">({card}3 reviews)</span></div>\
             <p class=\"summary\">A sturdy kitchen helper with a <em>stainless steel</em> finish, dishwasher-safe parts and a two-year warranty &amp; free returns.</p>\
             <ul class=\"badges\"><li>Free shipping</li><li>New</li></ul>\
             <p class=\"price\">$1{card},49</p><p class=\"stock\">Only {card} left</p>\
             <button class=\"add-to-cart\" data-sku=\"KIT-{card}\">Add to cart</button></li>"
        )
        .unwrap();
    }
    html.push_str("</ul><nav class=\"pagination\"><a href=\"?page=1\">1</a><a href=\"?page=2\">2</a><a href=\"?page=3\">Next</a></nav></main>");
    footer(&mut html);
    html.push_str("</body></html>");
    html
}

/// Median time per call over `rounds` rounds of `calls_per_round` calls.
fn time_per_call(rounds: usize, calls_per_round: u32, mut call: impl FnMut()) -> Duration {
    let mut round_times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..calls_per_round {
                call();
            }
            started.elapsed() / calls_per_round
        })
        .collect();
    round_times.sort();
    round_times[rounds / 2]
}

/// lol_html alone on the page with one `a[href]` handler that reads the
/// attribute: the floor under any lol_html-based extraction, for comparison.
fn lol_html_floor(html: &str) -> Duration {
    use lol_html::{HtmlRewriter, Settings, element};
    time_per_call(15, 400, || {
        let mut href_bytes = 0usize;
        let mut rewriter = HtmlRewriter::new(
            Settings::new().append_element_content_handler(element!("a[href]", |element| {
                href_bytes += element.get_attribute("href").map_or(0, |href| href.len());
                Ok(())
            })),
            |_: &[u8]| {},
        );
        rewriter.write(black_box(html.as_bytes())).unwrap();
        rewriter.end().unwrap();
        black_box(href_bytes);
    })
}

fn main() {
    // The machine may be shared: the load average puts the figures in context.
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average: {}",
        load_average
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let spec: trawl_spec::Spec = toml::from_str(SPEC).unwrap();
    let extractor = Extractor::build(&spec).unwrap();
    let pages = [
        (
            "product page",
            "https://shop.example/product/espresso-2000",
            product_page(),
        ),
        (
            "listing page (20 items)",
            "https://shop.example/category/kitchen/",
            listing_page(),
        ),
    ];
    for (name, page_url, html) in &pages {
        bench_page(&extractor, name, page_url, html);
    }

    // The page `trawl bench` crawls most (a product of the generated shop),
    // with the demo spec it uses: the extraction share of that benchmark.
    let demo_spec: trawl_spec::Spec =
        toml::from_str(include_str!("../../../examples/demo.toml")).unwrap();
    let demo_extractor = Extractor::build(&demo_spec).unwrap();
    let catalog = Catalog::new(CatalogConfig::bench(20_000));
    // An in-stock product: out-of-stock ones have no count, a warning.
    let product_url = (1..100)
        .map(|id| format!("http://127.0.0.1:8642/product/{id}/"))
        .find(|url| {
            let html = product_html(&catalog, url);
            let parsed = url::Url::parse(url).unwrap();
            demo_extractor.extract(&parsed, &html).warnings.is_empty()
        })
        .unwrap();
    bench_page(
        &demo_extractor,
        "bench shop product page (demo spec)",
        &product_url,
        &product_html(&catalog, &product_url),
    );
}

fn product_html(catalog: &Catalog, url: &str) -> String {
    let path = url.trim_start_matches("http://127.0.0.1:8642");
    String::from_utf8(catalog.render(path, "http://127.0.0.1:8642").body).unwrap()
}

/// Times one page and prints it next to lol_html's floor on the same page.
/// `cargo bench -p trawl-extract -- WORD` times only pages whose name has WORD.
fn bench_page(extractor: &Extractor, name: &str, page_url: &str, html: &str) {
    let filter = std::env::args()
        .skip(1)
        .find(|argument| !argument.starts_with('-'));
    if filter.is_some_and(|word| !name.contains(&word)) {
        return;
    }
    let page_url = url::Url::parse(page_url).unwrap();
    let extracted = extractor.extract(&page_url, html);
    assert!(!extracted.items.is_empty(), "{name}: no items");
    assert!(
        extracted.warnings.is_empty(),
        "{name}: {:?}",
        extracted.warnings
    );
    let per_page = time_per_call(15, 400, || {
        black_box(extractor.extract(black_box(&page_url), black_box(html)));
    });
    let floor = lol_html_floor(html);
    println!(
        "{name}: {} bytes, {} items, {} links: {:.1} µs/page \
         (lol_html alone with one a[href] handler: {:.1} µs)",
        html.len(),
        extracted.items.len(),
        extracted.links.len(),
        per_page.as_secs_f64() * 1e6,
        floor.as_secs_f64() * 1e6,
    );
}
