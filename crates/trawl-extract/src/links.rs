//! Turning `href`s found on a page into absolute, de-duplicated http(s) URLs.
//!
//! Only what a page alone decides lives here (resolution against the page or
//! `<base href>`, dropping non-web schemes and fragments, the per-page cap).
//! Whether a link is *followed* (domains, allow/deny, depth) is the frontier's
//! call, made across pages.

// hashbrown's default hasher (foldhash, seeded per process) is several times
// faster than std's SipHash on short URL strings; this runs for every link.
use hashbrown::HashSet;
use url::Url;

use crate::entities::decode_entities;
use crate::warning::{ExtractWarning, WarningLog, quote_excerpt};

/// Room for a typical page's links, so the sets do not rehash while filling.
const LINK_SET_INITIAL_CAPACITY: usize = 128;

/// Collects one page's links in first-seen order.
#[derive(Debug)]
pub(crate) struct LinkCollector {
    links: Vec<Url>,
    /// Resolved URLs already kept.
    seen: HashSet<String>,
    /// Raw hrefs already handled with the current base: resolving is the
    /// costly step and pages repeat links (thumbnail and title, header and footer).
    seen_raw_hrefs: HashSet<String>,
    max_links: usize,
    dropped_after_cap: usize,
}

impl LinkCollector {
    pub(crate) fn new(max_links: usize) -> LinkCollector {
        LinkCollector {
            links: Vec::new(),
            seen: HashSet::with_capacity(LINK_SET_INITIAL_CAPACITY),
            seen_raw_hrefs: HashSet::with_capacity(LINK_SET_INITIAL_CAPACITY),
            max_links,
            dropped_after_cap: 0,
        }
    }

    /// Adds one raw `href` (as written in the page, entities included).
    pub(crate) fn add(&mut self, raw_href: &str, base_url: &Url, warnings: &mut WarningLog) {
        if self.links.len() >= self.max_links {
            self.dropped_after_cap += 1;
            return;
        }
        if !self.seen_raw_hrefs.insert(raw_href.to_owned()) {
            return;
        }
        let decoded = decode_entities(raw_href);
        let Some(href) = web_href(&decoded) else {
            return;
        };
        match base_url.join(href) {
            Ok(mut url) => {
                if !matches!(url.scheme(), "http" | "https") {
                    return;
                }
                url.set_fragment(None);
                if self.seen.insert(url.as_str().to_owned()) {
                    self.links.push(url);
                }
            }
            Err(error) => warnings.push(ExtractWarning::BadLink {
                href: quote_excerpt(href),
                reason: error.to_string(),
            }),
        }
    }

    /// The base URL changed (`<base href>`): raw hrefs seen so far may resolve
    /// differently from now on.
    pub(crate) fn base_changed(&mut self) {
        self.seen_raw_hrefs.clear();
    }

    pub(crate) fn finish(self, warnings: &mut WarningLog) -> Vec<Url> {
        if self.dropped_after_cap > 0 {
            warnings.push(ExtractWarning::TooManyLinks {
                kept: self.links.len(),
                dropped: self.dropped_after_cap,
            });
        }
        self.links
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
