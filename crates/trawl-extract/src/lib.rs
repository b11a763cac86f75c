//! Turns one fetched HTML page into items, links to follow and warnings.
//!
//! This is step 6 of a crawl and sits on the hot path, so it streams: pages go
//! through `lol_html` once, with the spec's selectors parsed ahead of time by
//! [`Extractor::build`], instead of being parsed into a DOM; where a scan of
//! the page finds its links and its items' root elements, lol_html reads only
//! those (`scan.rs`, `page.rs`). The crate does no
//! IO and never fails a run: whatever is wrong with a page (a missing field, a
//! bad link, a parser limit) comes back as an [`ExtractWarning`] next to what
//! could still be extracted. Sitemaps are parsed here too ([`parse_sitemap`])
//! because they are the other kind of document a crawl mines for URLs.

mod compile;
mod entities;
mod error;
mod links;
mod page;
#[cfg(test)]
mod pseudorandom;
mod scan;
mod selector_text;
mod sitemap;
mod values;
mod warning;

pub use error::ExtractError;
pub use links::resolve_link;
pub use sitemap::{MAX_SITEMAP_ENTRIES, Sitemap, parse_sitemap};
pub use warning::{ExtractWarning, MAX_WARNINGS_PER_PAGE};

use compile::CompiledSpec;

/// Most links kept from one page; more are counted in [`ExtractWarning::TooManyLinks`].
///
/// Bounds the frontier growth one hostile or generated page can cause.
pub const MAX_LINKS_PER_PAGE: usize = 10_000;

/// Largest value kept for one field (text, attribute or inner HTML), in bytes.
///
/// A 10 MB text node must not become a 10 MB item in the store; longer values
/// are cut at a character boundary with [`ExtractWarning::FieldTooLong`].
pub const MAX_FIELD_VALUE_BYTES: usize = 1024 * 1024;

/// Memory lol_html may use for its own buffers and open-element stack on one page.
///
/// Only pathological pages get near it (a million nested tags, a multi-megabyte
/// unterminated tag); hitting it ends parsing with [`ExtractWarning::ParseAborted`]
/// and keeps what was extracted so far.
pub const MAX_PARSER_MEMORY_BYTES: usize = 8 * 1024 * 1024;

/// The running form of a spec's `[[extract]]` rules and `follow.selectors`.
///
/// Built once per run (selectors, regexes and date formats are compiled and
/// checked there) and shared by every worker: it is `Send + Sync` and
/// [`Extractor::extract`] takes `&self`.
#[derive(Debug)]
pub struct Extractor {
    /// Shared with the lol_html handlers of rewriters kept across pages.
    compiled: std::sync::Arc<CompiledSpec>,
    /// Tells this extractor's kept rewriters from other extractors'.
    id: u64,
}

impl Extractor {
    /// Compiles the spec's selectors, regexes and date formats.
    ///
    /// Errors name the rule and field at fault, so a spec that passed
    /// validation but uses a selector lol_html cannot run is reported before
    /// the crawl starts rather than on every page.
    pub fn build(spec: &trawl_spec::Spec) -> Result<Extractor, ExtractError> {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Ok(Extractor {
            compiled: std::sync::Arc::new(CompiledSpec::build(spec)?),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// Extracts items and links from one page.
    ///
    /// `page_url` is the page's final URL (after redirects): it names the items
    /// and resolves relative links. Never fails: problems become warnings.
    pub fn extract(&self, page_url: &url::Url, html: &str) -> Extracted {
        page::extract_page(&self.compiled, self.id, page_url, html)
    }
}

/// What one page yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// Items of every matching rule: rules in spec order, each rule's items in
    /// document order.
    pub items: Vec<trawl_types::Item>,
    /// The `href`s (and frame `src`s) of the follow selectors, entities
    /// decoded and whitespace trimmed, without empty, fragment-only and
    /// non-web (`mailto:`, `javascript:`, ...) ones, de-duplicated, in
    /// first-seen order. Not yet resolved: see [`Extracted::resolved_links`]
    /// and [`resolve_link`]. Allow/deny/domain/depth rules are not applied
    /// here: the frontier owns them.
    pub links: Vec<String>,
    /// The page's first usable `<base href>`, which every link and url-typed
    /// field resolves against (as in browsers, also links before it); `None`
    /// means the page URL.
    pub base_url: Option<url::Url>,
    /// Everything that went wrong, in the order it was noticed.
    pub warnings: Vec<ExtractWarning>,
    /// Items dropped because a `required` field was missing or unparsable or
    /// the key had no value. Each also has a warning, but warnings are capped
    /// per page and this count is not.
    pub dropped_items: u64,
}

impl Extracted {
    /// What [`Extracted::links`] resolve against: the `<base href>` or the page URL.
    pub fn link_base<'a>(&'a self, page_url: &'a url::Url) -> &'a url::Url {
        self.base_url.as_ref().unwrap_or(page_url)
    }

    /// Every link resolved to an absolute http(s) URL without fragment,
    /// de-duplicated, with a warning for each href that does not parse. The
    /// crawl engine resolves through a cross-page memo instead; this is the
    /// plain way for everyone else.
    pub fn resolved_links(&self, page_url: &url::Url) -> (Vec<url::Url>, Vec<ExtractWarning>) {
        let base = self.link_base(page_url);
        let mut seen = hashbrown::HashSet::new();
        let mut urls = Vec::new();
        let mut warnings = Vec::new();
        for href in &self.links {
            match resolve_link(base, href) {
                Ok(Some(url)) => {
                    if seen.insert(url.as_str().to_owned()) {
                        urls.push(url);
                    }
                }
                Ok(None) => {}
                Err(warning) => warnings.push(warning),
            }
        }
        (urls, warnings)
    }
}

#[cfg(test)]
mod tests;
