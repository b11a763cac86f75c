//! The demo catalog: a fake online shop rendered from a seed, so the first-run
//! demo, exact-result integration tests and the crawl benchmark all have a
//! realistic site to crawl without touching the internet.
//!
//! Everything is a pure function of [`CatalogConfig`]: [`Catalog::render`]
//! maps a path to a page, and [`Catalog::expected_products`],
//! [`Catalog::html_page_paths`] and [`Catalog::dead_link_paths`] state what a
//! correct crawl must find, computed from the same data the pages are rendered
//! from. No IO happens here; the server module serves the pages.
//!
//! The site deliberately exercises crawler features: relative image URLs and
//! relative pagination links (URL joining), entities, numeric character
//! references and non-ASCII text (decoding), prices with thousands separators
//! (number parsing), a `#top` fragment link on every page (URL
//! canonicalisation), a `mailto:` link, a robots.txt-disallowed `/cart`, a
//! sitemap, and optional dead links that answer 404.

use std::collections::HashMap;
use std::fmt::Write as _;

mod words;

#[cfg(test)]
mod tests;

use words::{
    ADJECTIVES, CATEGORIES, DESCRIPTION_SENTENCES, FILLER_WORDS, MATERIALS, MONTH_NAMES,
    STATIC_PAGES, TAGS,
};

/// Shown in every `<title>` and in the header logo.
const SITE_NAME: &str = "Trawl Demo Shop";
const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// Release dates fall between 2019-01-01 (this many days after 1970-01-01)...
const FIRST_RELEASE_DAY: i64 = 17_897;
/// ...and 2025-12-31 (2019-01-01 plus 2,556 days).
const RELEASE_SPAN_DAYS: u64 = 2_557;
/// Start and end markers of a JPEG: enough for a client to see an image body.
const PLACEHOLDER_JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xD9];
/// Number of distinct filler paragraphs; pages start at different ones so
/// bodies are not byte-identical (which would flatter compression and dedupe).
const FILLER_PARAGRAPH_COUNT: usize = 48;
/// Products shown on the home page.
const FEATURED_PRODUCT_COUNT: usize = 8;
/// Description sentences per product.
const DESCRIPTION_SENTENCE_COUNT: usize = 3;

/// Shape of a generated catalog. Every page and every expected value is a
/// pure function of this, so two catalogs with equal configs serve
/// byte-identical sites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogConfig {
    /// Number of products; product ids run from 1 to `products`.
    pub products: u32,
    /// Number of categories (at least 1 is used). Slugs come from a fixed list
    /// (`lighting`, `kitchen`, ...), with a numeric suffix past its end.
    pub categories: u32,
    /// Products per listing page (at least 1 is used).
    pub per_page: u32,
    /// Every HTML page is padded with filler paragraphs to about this many
    /// bytes (pages whose content alone is larger are not cut).
    pub target_page_bytes: usize,
    /// Every product whose id is a multiple of this links to a reviews page
    /// that answers 404. 0 means no dead links.
    pub dead_link_every: u32,
    /// Seed of every random choice (names, prices, links, filler).
    pub seed: u64,
}

impl CatalogConfig {
    /// The first-run demo: 240 products in 6 categories, 12 per listing page,
    /// 12 KiB pages, a dead link on every 25th product.
    pub fn demo() -> Self {
        CatalogConfig {
            products: 240,
            categories: 6,
            per_page: 12,
            target_page_bytes: 12 * 1024,
            dead_link_every: 25,
            seed: 2024,
        }
    }

    /// The crawl benchmark: `products` product pages plus about
    /// `products / 24` listing pages of 20 KiB each, and no dead links so
    /// every fetch is a 200.
    pub fn bench(products: u32) -> Self {
        CatalogConfig {
            products,
            categories: 20,
            per_page: 24,
            target_page_bytes: 20 * 1024,
            dead_link_every: 0,
            seed: 7,
        }
    }
}

/// One rendered response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// What a correct crawl with the demo spec extracts from one product page.
/// Text values are decoded (entities resolved, whitespace collapsed).
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectedProduct {
    /// `SKU-00042`: the item key.
    pub sku: String,
    pub name: String,
    /// In dollars; the page shows it with a `$` and thousands separators.
    pub price: f64,
    /// ISO 4217 code from `data-currency` (always `USD`).
    pub currency: String,
    /// Category slug (`lighting`).
    pub category: String,
    pub in_stock: bool,
    /// Units available; `None` when out of stock.
    pub stock_count: Option<u32>,
    /// 1 to 5.
    pub rating: u8,
    /// 0 to 4 tags, in page order.
    pub tags: Vec<String>,
    /// Absolute path of the main image (`/img/42.jpg`); the page links it relatively.
    pub image_url_path: String,
    /// `YYYY-MM-DD`.
    pub released: String,
    /// Path of the product page (`/product/42/`).
    pub url_path: String,
    /// Decoded text of `p.description`.
    pub description: String,
}

/// A generated catalog, ready to render any path. Immutable after
/// construction, so one instance can serve many connections (`Send + Sync`).
#[derive(Debug)]
pub struct Catalog {
    /// The config with `categories` and `per_page` raised to at least 1.
    config: CatalogConfig,
    categories: Vec<Category>,
    category_index_by_slug: HashMap<String, usize>,
    /// Product with id `n` is at index `n - 1`.
    products: Vec<Product>,
    featured_product_ids: Vec<u32>,
    /// Everything from the end of the page title to the opening `<main>`,
    /// identical on every page, so it is built once.
    header_html: String,
    /// Everything from the closing `</main>` to the end of the document.
    footer_html: String,
    filler_paragraphs: Vec<String>,
}

#[derive(Debug)]
struct Category {
    slug: String,
    display_html: String,
    /// Ascending, so listing pages are stable.
    product_ids: Vec<u32>,
}

#[derive(Debug)]
struct Product {
    id: u32,
    sku: String,
    category_index: usize,
    name_html: String,
    name_text: String,
    price_cents: u64,
    /// `None` means out of stock.
    stock_count: Option<u32>,
    rating_stars: u8,
    review_count: u32,
    tag_indices: Vec<usize>,
    released_days_since_epoch: i64,
    description_sentence_indices: [usize; DESCRIPTION_SENTENCE_COUNT],
    related_product_ids: Vec<u32>,
}

/// Which page a path names.
enum Route {
    Home,
    Robots,
    Sitemap,
    Static(usize),
    Category {
        category_index: usize,
        page_number: u32,
    },
    Product(u32),
    Image,
    NotFound,
}

impl Catalog {
    /// Generates the catalog's data. Costs O(products); rendering is cheap after.
    pub fn new(config: CatalogConfig) -> Catalog {
        let config = CatalogConfig {
            categories: config.categories.max(1),
            per_page: config.per_page.max(1),
            ..config
        };
        let mut categories: Vec<Category> = (0..config.categories as usize)
            .map(|category_index| {
                let words = &CATEGORIES[category_index % CATEGORIES.len()];
                let round = category_index / CATEGORIES.len();
                let (slug, display_html) = if round == 0 {
                    (words.slug.to_owned(), words.display.0.to_owned())
                } else {
                    (
                        format!("{}-{}", words.slug, round + 1),
                        format!("{} {}", words.display.0, round + 1),
                    )
                };
                Category {
                    slug,
                    display_html,
                    product_ids: Vec::new(),
                }
            })
            .collect();
        let category_index_by_slug = categories
            .iter()
            .enumerate()
            .map(|(index, category)| (category.slug.clone(), index))
            .collect();

        let products: Vec<Product> = (1..=config.products)
            .map(|id| generate_product(&config, id))
            .collect();
        for product in &products {
            categories[product.category_index]
                .product_ids
                .push(product.id);
        }

        let mut featured_rng = SplitMix64::new(config.seed ^ 0xFEA7_0000_0000_0001);
        let featured_product_ids = pick_distinct_ids(
            &mut featured_rng,
            config.products,
            FEATURED_PRODUCT_COUNT,
            None,
        );

        let mut filler_rng = SplitMix64::new(config.seed ^ 0xF111_0000_0000_0002);
        let filler_paragraphs = (0..FILLER_PARAGRAPH_COUNT)
            .map(|_| {
                let word_count = 40 + filler_rng.below(50) as usize;
                let mut paragraph = String::with_capacity(word_count * 8);
                for word_index in 0..word_count {
                    if word_index > 0 {
                        paragraph.push(' ');
                    }
                    paragraph.push_str(FILLER_WORDS[filler_rng.below_usize(FILLER_WORDS.len())]);
                }
                paragraph.push('.');
                paragraph
            })
            .collect();

        let header_html = build_header_html(&categories);
        let footer_html = build_footer_html();
        Catalog {
            config,
            categories,
            category_index_by_slug,
            products,
            featured_product_ids,
            header_html,
            footer_html,
            filler_paragraphs,
        }
    }

    /// The effective config (with `categories` and `per_page` at least 1).
    pub fn config(&self) -> &CatalogConfig {
        &self.config
    }

    /// Renders the response for a request target such as `/product/42/` or
    /// `/category/kitchen/?sort=price` (the query is ignored). `origin`
    /// (`http://127.0.0.1:PORT`) is only used for the absolute URLs in
    /// robots.txt and sitemap.xml. Unknown paths get a 404 HTML page.
    pub fn render(&self, path_and_query: &str, origin: &str) -> Page {
        let path = path_and_query
            .split(['?', '#'])
            .next()
            .unwrap_or(path_and_query);
        match self.route(path) {
            Route::Home => self.render_home(path),
            Route::Robots => render_robots_txt(origin),
            Route::Sitemap => self.render_sitemap_xml(origin),
            Route::Static(static_index) => self.render_static_page(path, static_index),
            Route::Category {
                category_index,
                page_number,
            } => self.render_category_page(path, category_index, page_number),
            Route::Product(product_id) => self.render_product_page(path, product_id),
            Route::Image => Page {
                status: 200,
                content_type: "image/jpeg",
                body: PLACEHOLDER_JPEG.to_vec(),
            },
            Route::NotFound => self.render_not_found(path),
        }
    }

    /// Every product, in id order, with the values a correct crawl using the
    /// demo spec extracts from its page.
    pub fn expected_products(&self) -> Vec<ExpectedProduct> {
        self.products
            .iter()
            .map(|product| {
                let (year, month, day) = civil_from_days(product.released_days_since_epoch);
                ExpectedProduct {
                    sku: product.sku.clone(),
                    name: product.name_text.clone(),
                    price: product.price_cents as f64 / 100.0,
                    currency: "USD".to_owned(),
                    category: self.categories[product.category_index].slug.clone(),
                    in_stock: product.stock_count.is_some(),
                    stock_count: product.stock_count,
                    rating: product.rating_stars,
                    tags: product
                        .tag_indices
                        .iter()
                        .map(|&tag_index| TAGS[tag_index].to_owned())
                        .collect(),
                    image_url_path: format!("/img/{}.jpg", product.id),
                    released: format!("{year:04}-{month:02}-{day:02}"),
                    url_path: product_path(product.id),
                    description: product
                        .description_sentence_indices
                        .iter()
                        .map(|&sentence_index| DESCRIPTION_SENTENCES[sentence_index].1)
                        .collect::<Vec<_>>()
                        .join(" "),
                }
            })
            .collect()
    }

    /// Every HTML page reachable from `/` by following `<a href>` links that
    /// answers 200: home, the static pages (including the robots-disallowed
    /// `/cart`, see [`Catalog::robots_disallowed_paths`]), every listing page
    /// and every product page. robots.txt, sitemap.xml and images are not
    /// included (no `<a>` links to them).
    pub fn html_page_paths(&self) -> Vec<String> {
        let mut paths = Vec::with_capacity(
            1 + STATIC_PAGES.len() + self.categories.len() + self.products.len(),
        );
        paths.push("/".to_owned());
        paths.extend(STATIC_PAGES.iter().map(|(path, _, _)| (*path).to_owned()));
        for category in &self.categories {
            for page_number in 1..=self.category_page_count(category) {
                paths.push(category_page_path(&category.slug, page_number));
            }
        }
        paths.extend(self.products.iter().map(|product| product_path(product.id)));
        paths
    }

    /// Paths that robots.txt disallows and that pages link to; a crawl obeying
    /// robots.txt fetches `html_page_paths()` minus these.
    pub fn robots_disallowed_paths(&self) -> Vec<String> {
        vec!["/cart".to_owned()]
    }

    /// Linked paths that answer 404 (the reviews pages of every
    /// `dead_link_every`-th product).
    pub fn dead_link_paths(&self) -> Vec<String> {
        self.products
            .iter()
            .filter(|product| self.has_dead_link(product.id))
            .map(|product| format!("/product/{}/reviews/", product.id))
            .collect()
    }

    fn has_dead_link(&self, product_id: u32) -> bool {
        self.config.dead_link_every != 0 && product_id.is_multiple_of(self.config.dead_link_every)
    }

    fn category_page_count(&self, category: &Category) -> u32 {
        let product_count = category.product_ids.len() as u32;
        product_count.div_ceil(self.config.per_page).max(1)
    }

    fn route(&self, path: &str) -> Route {
        match path {
            "/" => return Route::Home,
            "/robots.txt" => return Route::Robots,
            "/sitemap.xml" => return Route::Sitemap,
            _ => {}
        }
        if let Some(static_index) = STATIC_PAGES.iter().position(|(p, _, _)| *p == path) {
            return Route::Static(static_index);
        }
        if let Some(rest) = path.strip_prefix("/category/") {
            return self.route_category(rest).unwrap_or(Route::NotFound);
        }
        if let Some(rest) = path.strip_prefix("/product/") {
            return match rest.strip_suffix('/').and_then(parse_canonical_u32) {
                Some(product_id) if self.product(product_id).is_some() => {
                    Route::Product(product_id)
                }
                _ => Route::NotFound,
            };
        }
        if let Some(rest) = path.strip_prefix("/img/") {
            return match rest.strip_suffix(".jpg").and_then(parse_canonical_u32) {
                Some(product_id) if self.product(product_id).is_some() => Route::Image,
                _ => Route::NotFound,
            };
        }
        Route::NotFound
    }

    /// `rest` is what follows `/category/`: `slug/` or `slug/page/N/` with
    /// 2 <= N <= page count (page 1 has only the short form, so no page has two URLs).
    fn route_category(&self, rest: &str) -> Option<Route> {
        let (slug, tail) = rest.split_once('/')?;
        let category_index = *self.category_index_by_slug.get(slug)?;
        let page_number = if tail.is_empty() {
            1
        } else {
            let page_number = tail
                .strip_prefix("page/")?
                .strip_suffix('/')
                .and_then(parse_canonical_u32)?;
            let page_count = self.category_page_count(&self.categories[category_index]);
            if page_number < 2 || page_number > page_count {
                return None;
            }
            page_number
        };
        Some(Route::Category {
            category_index,
            page_number,
        })
    }

    fn product(&self, product_id: u32) -> Option<&Product> {
        let index = usize::try_from(product_id).ok()?.checked_sub(1)?;
        self.products.get(index)
    }

    /// Wraps a page's main content in the shared boilerplate and pads it with
    /// filler to `target_page_bytes`. Writes into one pre-sized String because
    /// the benchmark renders tens of thousands of pages.
    fn html_page(
        &self,
        status: u16,
        path: &str,
        title_html: &str,
        write_main: impl FnOnce(&mut String),
    ) -> Page {
        let mut out = String::with_capacity(self.config.target_page_bytes + 8 * 1024);
        out.push_str("<!doctype html><html lang=en><head><meta charset=\"utf-8\"><title>");
        out.push_str(title_html);
        out.push_str(&self.header_html);
        write_main(&mut out);
        self.push_filler(&mut out, fnv1a_64(path.as_bytes()));
        out.push_str(&self.footer_html);
        Page {
            status,
            content_type: HTML_CONTENT_TYPE,
            body: out.into_bytes(),
        }
    }

    /// Appends whole filler paragraphs, then part of one cut at a word, so the
    /// finished page (footer included) ends a few bytes short of the target.
    fn push_filler(&self, out: &mut String, filler_key: u64) {
        const SECTION_OPEN: &str = "<section class=\"filler\">\n";
        const SECTION_CLOSE: &str = "</section>\n";
        const PARAGRAPH_OPEN: &str = "<p>";
        const PARAGRAPH_CLOSE: &str = "</p>\n";
        const PARAGRAPH_OVERHEAD: usize = PARAGRAPH_OPEN.len() + PARAGRAPH_CLOSE.len();
        let used_bytes =
            out.len() + self.footer_html.len() + SECTION_OPEN.len() + SECTION_CLOSE.len();
        let Some(mut budget_bytes) = self.config.target_page_bytes.checked_sub(used_bytes) else {
            return;
        };
        if budget_bytes <= PARAGRAPH_OVERHEAD {
            return;
        }
        out.push_str(SECTION_OPEN);
        let mut paragraph_index = (filler_key % self.filler_paragraphs.len() as u64) as usize;
        while budget_bytes > PARAGRAPH_OVERHEAD {
            let paragraph = &self.filler_paragraphs[paragraph_index];
            out.push_str(PARAGRAPH_OPEN);
            if paragraph.len() + PARAGRAPH_OVERHEAD <= budget_bytes {
                out.push_str(paragraph);
                budget_bytes -= paragraph.len() + PARAGRAPH_OVERHEAD;
            } else {
                // Filler is ASCII, so every byte index is a char boundary.
                let room = budget_bytes - PARAGRAPH_OVERHEAD;
                let head = &paragraph[..room];
                out.push_str(&head[..head.rfind(' ').unwrap_or(room)]);
                budget_bytes = 0;
            }
            out.push_str(PARAGRAPH_CLOSE);
            paragraph_index = (paragraph_index + 1) % self.filler_paragraphs.len();
        }
        out.push_str(SECTION_CLOSE);
    }

    fn render_home(&self, path: &str) -> Page {
        self.html_page(200, path, "Home", |out| {
            out.push_str("<h1 class=\"welcome\">Welcome to the Trawl Demo Shop</h1>\n");
            out.push_str(
                "<p class=\"intro\">Every product here is generated; nothing is for sale.</p>\n",
            );
            out.push_str(
                "<section class=\"featured\"><h2>Featured products</h2>\n<ul class=\"products\">\n",
            );
            for &product_id in &self.featured_product_ids {
                self.push_product_card(out, product_id);
            }
            out.push_str("</ul></section>\n");
            out.push_str("<section class=\"all-categories\"><h2>Shop by category</h2><ul>\n");
            for category in &self.categories {
                let _ = writeln!(
                    out,
                    "<li><a href=\"/category/{}/\">{}</a> <span class=\"count\">({} products)</span></li>",
                    category.slug,
                    category.display_html,
                    category.product_ids.len()
                );
            }
            out.push_str("</ul></section>\n");
        })
    }

    fn render_static_page(&self, path: &str, static_index: usize) -> Page {
        let (_, title_html, body_html) = STATIC_PAGES[static_index];
        self.html_page(200, path, title_html, |out| {
            let _ = writeln!(out, "<h1 class=\"page-title\">{title_html}</h1>");
            out.push_str(body_html);
            out.push('\n');
        })
    }

    fn render_not_found(&self, path: &str) -> Page {
        self.html_page(404, path, "Page not found", |out| {
            out.push_str("<h1 class=\"page-title\">Page not found</h1>\n");
            out.push_str(
                "<p>Nothing lives at this address. Try the <a href=\"/\">home page</a>.</p>\n",
            );
        })
    }

    fn render_sitemap_xml(&self, origin: &str) -> Page {
        let origin_xml = escape_xml(origin);
        let mut out = String::with_capacity(128 + self.categories.len() * (64 + origin.len()));
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        for category in &self.categories {
            let _ = writeln!(
                out,
                "<url><loc>{origin_xml}/category/{}/</loc></url>",
                category.slug
            );
        }
        out.push_str("</urlset>\n");
        Page {
            status: 200,
            content_type: "application/xml; charset=utf-8",
            body: out.into_bytes(),
        }
    }

    fn render_category_page(&self, path: &str, category_index: usize, page_number: u32) -> Page {
        let category = &self.categories[category_index];
        let page_count = self.category_page_count(category);
        let title_html = if page_number == 1 {
            category.display_html.clone()
        } else {
            format!("{} &ndash; page {page_number}", category.display_html)
        };
        self.html_page(200, path, &title_html, |out| {
            let _ = writeln!(
                out,
                "<nav class=\"breadcrumbs\"><a href=\"/\">Home</a> › <span class=\"current\">{}</span></nav>",
                category.display_html
            );
            let _ = writeln!(
                out,
                "<h1 class=\"category-title\">{}</h1>",
                category.display_html
            );
            let _ = writeln!(
                out,
                "<p class=\"count\">{} products · page {page_number} of {page_count}</p>",
                category.product_ids.len()
            );
            out.push_str("<ul class=\"products\">\n");
            let per_page = self.config.per_page as usize;
            let first = (page_number as usize - 1) * per_page;
            for &product_id in category.product_ids.iter().skip(first).take(per_page) {
                self.push_product_card(out, product_id);
            }
            out.push_str("</ul>\n<nav class=\"pagination\">");
            // Relative hrefs on purpose: following them needs correct URL joining.
            if page_number == 2 {
                out.push_str("<a class=\"prev\" rel=\"prev\" href=\"../../\">Previous</a> ");
            } else if page_number > 2 {
                let _ = write!(
                    out,
                    "<a class=\"prev\" rel=\"prev\" href=\"../{}/\">Previous</a> ",
                    page_number - 1
                );
            }
            let _ = write!(
                out,
                "<span class=\"page\">Page {page_number} of {page_count}</span>"
            );
            if page_number < page_count {
                let prefix = if page_number == 1 { "page/" } else { "../" };
                let _ = write!(
                    out,
                    " <a class=\"next\" rel=\"next\" href=\"{prefix}{}/\">Next</a>",
                    page_number + 1
                );
            }
            out.push_str("</nav>\n");
        })
    }

    fn push_product_card(&self, out: &mut String, product_id: u32) {
        let Some(product) = self.product(product_id) else {
            return;
        };
        let _ = write!(
            out,
            "<li class=\"product-card\"><a class=\"title\" href=\"/product/{}/\">{}</a> <span class=\"price\">$",
            product.id, product.name_html
        );
        push_price(out, product.price_cents);
        out.push_str("</span></li>\n");
    }

    fn render_product_page(&self, path: &str, product_id: u32) -> Page {
        let Some(product) = self.product(product_id) else {
            return self.render_not_found(path);
        };
        let category = &self.categories[product.category_index];
        self.html_page(200, path, &product.name_html, |out| {
            let _ = writeln!(
                out,
                "<nav class=\"breadcrumbs\"><a href=\"/\">Home</a> › <a class=\"category\" href=\"/category/{}/\">{}</a> › <span class=\"current\">{}</span></nav>",
                category.slug, category.display_html, product.name_html
            );
            let _ = writeln!(
                out,
                "<article class=\"product\" data-sku=\"{}\" data-category=\"{}\">",
                product.sku, category.slug
            );
            let _ = writeln!(out, "<h1 class=\"name\">{}</h1>", product.name_html);
            let _ = writeln!(
                out,
                "<img class=\"main\" src=\"../../img/{}.jpg\" alt=\"{}\" width=\"640\" height=\"480\">",
                product.id, product.name_html
            );
            out.push_str(
                "<p class=\"price\" data-currency=\"USD\"><span class=\"currency\">$</span>",
            );
            push_price(out, product.price_cents);
            out.push_str("</p>\n");
            let (year, month, day) = civil_from_days(product.released_days_since_epoch);
            let _ = writeln!(
                out,
                "<p class=\"meta\">SKU: <span class=\"sku\">{}</span> · Released <time class=\"released\" datetime=\"{year:04}-{month:02}-{day:02}\">{day} {} {year}</time></p>",
                product.sku,
                MONTH_NAMES[month as usize - 1]
            );
            match product.stock_count {
                Some(stock_count) => {
                    out.push_str(
                        "<p class=\"availability\" data-in-stock=\"true\">In stock (",
                    );
                    push_grouped_thousands(out, u64::from(stock_count));
                    out.push_str(" available)</p>\n");
                }
                None => out.push_str(
                    "<p class=\"availability\" data-in-stock=\"false\">Out of stock</p>\n",
                ),
            }
            let _ = write!(
                out,
                "<div class=\"rating\" data-stars=\"{}\"><span class=\"stars\">",
                product.rating_stars
            );
            for star in 1..=5u8 {
                out.push(if star <= product.rating_stars { '★' } else { '☆' });
            }
            let _ = writeln!(
                out,
                "</span> <span class=\"review-count\">({} reviews)</span></div>",
                product.review_count
            );
            out.push_str("<ul class=\"tags\">");
            for &tag_index in &product.tag_indices {
                let _ = write!(out, "<li>{}</li>", TAGS[tag_index]);
            }
            out.push_str("</ul>\n<p class=\"description\">");
            for (position, &sentence_index) in
                product.description_sentence_indices.iter().enumerate()
            {
                if position > 0 {
                    out.push(' ');
                }
                out.push_str(DESCRIPTION_SENTENCES[sentence_index].0);
            }
            out.push_str("</p>\n");
            if self.has_dead_link(product.id) {
                let _ = writeln!(
                    out,
                    "<p class=\"reviews\"><a href=\"/product/{}/reviews/\">Read all reviews</a></p>",
                    product.id
                );
            }
            out.push_str("</article>\n");
            if !product.related_product_ids.is_empty() {
                out.push_str("<section class=\"related\"><h2>Related products</h2><ul>\n");
                for &related_id in &product.related_product_ids {
                    if let Some(related) = self.product(related_id) {
                        let _ = writeln!(
                            out,
                            "<li><a href=\"/product/{}/\">{}</a></li>",
                            related.id, related.name_html
                        );
                    }
                }
                out.push_str("</ul></section>\n");
            }
        })
    }
}

/// Draws one product's values. Only this product's id and the seed feed its
/// generator, so product 42 looks the same whatever the catalog size (only
/// its category and related links depend on the counts).
fn generate_product(config: &CatalogConfig, id: u32) -> Product {
    let mut rng = SplitMix64::new(config.seed ^ u64::from(id).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let category_index = rng.below(u64::from(config.categories)) as usize;
    let words = &CATEGORIES[category_index % CATEGORIES.len()];

    let mut name_html = String::new();
    let mut name_text = String::new();
    if rng.below(2) == 0 {
        let adjective = ADJECTIVES[rng.below_usize(ADJECTIVES.len())];
        name_html.push_str(adjective.0);
        name_html.push(' ');
        name_text.push_str(adjective.1);
        name_text.push(' ');
    }
    let material = MATERIALS[rng.below_usize(MATERIALS.len())];
    let noun = words.nouns[rng.below_usize(words.nouns.len())];
    for (out, noun_form) in [(&mut name_html, noun.0), (&mut name_text, noun.1)] {
        out.push_str(material);
        out.push(' ');
        out.push_str(noun_form);
    }

    // One product in ten costs 1,000 dollars or more so thousands separators appear.
    let price_cents = if rng.below(10) == 0 {
        100_000 + rng.below(400_000)
    } else {
        let dollars = 5 + rng.below(495);
        let cents = [0, 50, 95, 99, rng.below(100)][rng.below_usize(5)];
        dollars * 100 + cents
    };
    let stock_count = if rng.below(5) == 0 {
        None
    } else if rng.below(20) == 0 {
        Some(1_000 + rng.below(1_500) as u32)
    } else {
        Some(1 + rng.below(40) as u32)
    };
    let rating_stars = 1 + rng.below(5) as u8;
    let review_count = rng.below(500) as u32;

    let tag_count = rng.below(5) as usize;
    let mut tag_indices = Vec::with_capacity(tag_count);
    while tag_indices.len() < tag_count {
        let tag_index = rng.below_usize(TAGS.len());
        if !tag_indices.contains(&tag_index) {
            tag_indices.push(tag_index);
        }
    }

    let released_days_since_epoch = FIRST_RELEASE_DAY + rng.below(RELEASE_SPAN_DAYS) as i64;

    let mut description_sentence_indices = [usize::MAX; DESCRIPTION_SENTENCE_COUNT];
    let mut chosen = 0;
    while chosen < DESCRIPTION_SENTENCE_COUNT {
        let sentence_index = rng.below_usize(DESCRIPTION_SENTENCES.len());
        if !description_sentence_indices[..chosen].contains(&sentence_index) {
            description_sentence_indices[chosen] = sentence_index;
            chosen += 1;
        }
    }

    let related_count = 4 + rng.below_usize(3);
    let related_product_ids = pick_distinct_ids(&mut rng, config.products, related_count, Some(id));

    Product {
        id,
        sku: format!("SKU-{id:05}"),
        category_index,
        name_html,
        name_text,
        price_cents,
        stock_count,
        rating_stars,
        review_count,
        tag_indices,
        released_days_since_epoch,
        description_sentence_indices,
        related_product_ids,
    }
}

/// Up to `wanted` distinct ids in `1..=product_count`, never `excluded`.
/// Draws at random while that is quick, then fills up in order, so it ends
/// even when nearly every id is wanted.
fn pick_distinct_ids(
    rng: &mut SplitMix64,
    product_count: u32,
    wanted: usize,
    excluded: Option<u32>,
) -> Vec<u32> {
    let available = (product_count as usize)
        .saturating_sub(usize::from(excluded.is_some_and(|id| id <= product_count)));
    let wanted = wanted.min(available);
    let mut ids = Vec::with_capacity(wanted);
    let mut attempts = 0;
    while ids.len() < wanted && attempts < wanted * 8 {
        attempts += 1;
        let id = 1 + rng.below(u64::from(product_count)) as u32;
        if Some(id) != excluded && !ids.contains(&id) {
            ids.push(id);
        }
    }
    for id in 1..=product_count {
        if ids.len() >= wanted {
            break;
        }
        if Some(id) != excluded && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn build_header_html(categories: &[Category]) -> String {
    let mut header = String::with_capacity(512 + categories.len() * 64);
    let _ = write!(
        header,
        " | {SITE_NAME}</title>\n<meta name=\"viewport\" content=\"width=device-width\">\n</head>\n<body id=\"top\">\n<header class=\"site-header\"><a class=\"logo\" href=\"/\">{SITE_NAME}</a>\n<nav class=\"categories\">"
    );
    for category in categories {
        let _ = write!(
            header,
            "<a href=\"/category/{}/\">{}</a> ",
            category.slug, category.display_html
        );
    }
    header.push_str("</nav></header>\n<main>\n");
    header
}

fn build_footer_html() -> String {
    let mut footer = String::with_capacity(1024);
    footer.push_str("</main>\n<footer class=\"site-footer\"><nav class=\"pages\">");
    for (path, title_html, _) in STATIC_PAGES {
        let _ = write!(footer, "<a href=\"{path}\">{title_html}</a> ");
    }
    let _ = write!(
        footer,
        "</nav>\n<p class=\"copyright\">© 2025 {SITE_NAME} · <a href=\"#top\">Back to top</a></p></footer>\n</body>\n</html>\n"
    );
    footer
}

fn render_robots_txt(origin: &str) -> Page {
    Page {
        status: 200,
        content_type: "text/plain; charset=utf-8",
        body: format!("User-agent: *\nDisallow: /cart\n\nSitemap: {origin}/sitemap.xml\n")
            .into_bytes(),
    }
}

fn product_path(product_id: u32) -> String {
    format!("/product/{product_id}/")
}

fn category_page_path(slug: &str, page_number: u32) -> String {
    if page_number == 1 {
        format!("/category/{slug}/")
    } else {
        format!("/category/{slug}/page/{page_number}/")
    }
}

/// Parses a decimal number written without sign or leading zeros, so each
/// page has exactly one URL (`/product/042/` is a 404, not a duplicate).
fn parse_canonical_u32(digits: &str) -> Option<u32> {
    let canonical = !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if canonical { digits.parse().ok() } else { None }
}

/// `129900` -> `1,299.00`.
fn push_price(out: &mut String, price_cents: u64) {
    push_grouped_thousands(out, price_cents / 100);
    let _ = write!(out, ".{:02}", price_cents % 100);
}

/// `1250` -> `1,250`. std's formatting has no digit grouping, and a crate for
/// one loop is not worth it.
fn push_grouped_thousands(out: &mut String, value: u64) {
    let mut buffer = [0u8; 27];
    let mut position = buffer.len();
    let mut remaining = value;
    let mut digits_in_group = 0;
    loop {
        if digits_in_group == 3 {
            position -= 1;
            buffer[position] = b',';
            digits_in_group = 0;
        }
        position -= 1;
        buffer[position] = b'0' + (remaining % 10) as u8;
        remaining /= 10;
        digits_in_group += 1;
        if remaining == 0 {
            break;
        }
    }
    out.extend(buffer[position..].iter().map(|&byte| char::from(byte)));
}

/// Days since 1970-01-01 -> (year, month 1-12, day 1-31), Howard Hinnant's
/// `civil_from_days`. Written out because it is ten lines and chrono is not a
/// dependency of this crate.
fn civil_from_days(days_since_epoch: i64) -> (i64, u32, u32) {
    let shifted = days_since_epoch + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// FNV-1a: a stable hash of the path picks where its filler starts. std's
/// hasher is randomly keyed per process, which would break byte-for-byte
/// determinism.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// splitmix64 (Steele, Lea and Flood). Hand-written rather than `rand`
/// because the site must be byte-identical across versions and platforms,
/// and `rand` does not promise stable output across releases; it is also
/// five lines and needs no dependency.
#[derive(Debug, Clone)]
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0). The modulo bias is
    /// irrelevant for fixture data.
    fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        self.next_u64() % bound
    }

    fn below_usize(&mut self, bound: usize) -> usize {
        self.below(bound as u64) as usize
    }
}
