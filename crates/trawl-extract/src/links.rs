//! A page's links: the `href`s worth following as written (collected during
//! the parse), and their resolution into absolute, fragment-free http(s) URLs.
//!
//! Collecting and resolving are separate on purpose. Resolving (`Url::join`)
//! is the costly step, and a crawl sees the same hrefs on page after page
//! (navigation, footers, related items); the engine memoizes resolution
//! across pages, which only works if the extractor hands over hrefs, not URLs.
//! Whether a link is *followed* (domains, allow/deny, depth) is the frontier's
//! call, made across pages.

use std::hash::BuildHasher;

// hashbrown's default hasher (foldhash, seeded per process) is several times
// faster than std's SipHash on short URL strings; this runs for every link.
use hashbrown::{DefaultHashBuilder, HashTable};
use url::Url;

use crate::entities::decode_entities;
use crate::warning::{ExtractWarning, WarningLog, quote_excerpt};

/// Room for a typical page's links, so the table does not rehash while filling.
const LINK_SET_INITIAL_CAPACITY: usize = 128;

/// Collects one page's followable hrefs in first-seen order.
#[derive(Debug)]
pub(crate) struct LinkCollector {
    hrefs: Vec<String>,
    /// Indexes into `hrefs`, hashed by the href: de-duplication without a
    /// second copy of every string.
    index: HashTable<usize>,
    hasher: DefaultHashBuilder,
    max_links: usize,
    dropped_after_cap: usize,
}

impl LinkCollector {
    pub(crate) fn new(max_links: usize) -> LinkCollector {
        LinkCollector {
            hrefs: Vec::new(),
            index: HashTable::with_capacity(LINK_SET_INITIAL_CAPACITY),
            hasher: DefaultHashBuilder::default(),
            max_links,
            dropped_after_cap: 0,
        }
    }

    /// Adds one raw `href` (as written in the page, entities included).
    pub(crate) fn add(&mut self, raw_href: &str) {
        let decoded = decode_entities(raw_href);
        let Some(href) = web_href(&decoded) else {
            return;
        };
        let hash = self.hasher.hash_one(href);
        let hrefs = &self.hrefs;
        if self.index.find(hash, |&kept| hrefs[kept] == href).is_some() {
            return;
        }
        if self.hrefs.len() >= self.max_links {
            self.dropped_after_cap += 1;
            return;
        }
        let position = self.hrefs.len();
        self.hrefs.push(href.to_owned());
        let (hrefs, hasher) = (&self.hrefs, &self.hasher);
        self.index
            .insert_unique(hash, position, |&kept| hasher.hash_one(&hrefs[kept]));
    }

    pub(crate) fn finish(self, warnings: &mut WarningLog) -> Vec<String> {
        if self.dropped_after_cap > 0 {
            warnings.push(ExtractWarning::TooManyLinks {
                kept: self.hrefs.len(),
                dropped: self.dropped_after_cap,
            });
        }
        self.hrefs
    }
}

/// Resolves one collected href (see [`crate::Extracted::links`]) against the
/// page's link base: `Ok(None)` when it leads somewhere other than http(s),
/// an [`ExtractWarning::BadLink`] when it does not parse.
pub fn resolve_link(base: &Url, href: &str) -> Result<Option<Url>, ExtractWarning> {
    match base.join(href) {
        Ok(mut url) => {
            if !matches!(url.scheme(), "http" | "https") {
                return Ok(None);
            }
            url.set_fragment(None);
            Ok(Some(url))
        }
        Err(error) => Err(ExtractWarning::BadLink {
            href: quote_excerpt(href),
            reason: error.to_string(),
        }),
    }
}

/// Resolves a `<base href>` against the page URL; `None` (with a warning) when
/// it is not a usable http(s) base.
pub(crate) fn resolve_base_href(
    raw_href: &str,
    page_url: &Url,
    warnings: &mut WarningLog,
) -> Option<Url> {
    let decoded = decode_entities(raw_href);
    let href = decoded.trim_matches(is_html_whitespace);
    match page_url.join(href) {
        Ok(base_url) if matches!(base_url.scheme(), "http" | "https") => Some(base_url),
        Ok(base_url) => {
            warnings.push(ExtractWarning::BadLink {
                href: quote_excerpt(href),
                reason: format!("base href with scheme {:?} ignored", base_url.scheme()),
            });
            None
        }
        Err(error) => {
            warnings.push(ExtractWarning::BadLink {
                href: quote_excerpt(href),
                reason: format!("base href ignored: {error}"),
            });
            None
        }
    }
}

/// The href trimmed as browsers do, or `None` when it cannot lead to a web
/// page: empty, fragment-only, or with a scheme other than http(s)
/// (`javascript:`, `mailto:`, `tel:`, `data:`, ...). Checked before resolving
/// because it is cheaper and these are common.
fn web_href(decoded_href: &str) -> Option<&str> {
    let href = decoded_href.trim_matches(is_html_whitespace);
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let scheme_end = href.find([':', '/', '?', '#']);
    if let Some(colon_at) = scheme_end.filter(|&at| href.as_bytes()[at] == b':') {
        let scheme = &href[..colon_at];
        let looks_like_scheme = scheme
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic())
            && scheme.chars().all(|character| {
                character.is_ascii_alphanumeric() || matches!(character, '+' | '-' | '.')
            });
        if looks_like_scheme
            && !scheme.eq_ignore_ascii_case("http")
            && !scheme.eq_ignore_ascii_case("https")
        {
            return None;
        }
    }
    Some(href)
}

/// ASCII whitespace as HTML defines it (what browsers strip from URL attributes).
fn is_html_whitespace(character: char) -> bool {
    matches!(character, ' ' | '\t' | '\n' | '\r' | '\u{c}')
}

#[cfg(test)]
mod tests;
