//! The one gate into the frontier: URLs (start URLs, sitemap URLs) and a
//! page's hrefs become new requests only if they are in scope and not seen.
//!
//! A page's hrefs go through a memo first. A crawl meets the same hrefs on
//! page after page (navigation, footer, related items: on the bench shop 38
//! links per page, almost all already seen), and resolving, canonicalising and
//! scoping each one again was a tenth of the crawler's CPU time. The memo maps
//! (what the resolution depends on, href) to the outcome, so a repeated link
//! costs one hash and two lookups. It is bounded: when full it starts over,
//! which costs a little speed, never correctness.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use trawl_extract::{ExtractWarning, resolve_link};
use trawl_frontier::{canonicalize, fingerprint};
use trawl_store::NewRequest;
use url::{Position, Url};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128_with_seed};

use crate::lock;
use crate::page::PageContext;

/// Entries the memo holds before it starts over: ~32 bytes each, so ~0.5 MiB,
/// and room for a site's boilerplate links many times over.
const MEMO_CAPACITY: usize = 16 * 1024;

/// What became of an href the last time it was met with the same base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    /// In scope (depth aside); the canonical URL's fingerprint.
    Follow(u64),
    /// Not a web URL (`not_web`), or out of scope (the rejection's kind).
    Skip(&'static str),
    /// Does not parse; resolved again when met, for the warning's text.
    Bad,
}

/// (base part, href) → admission; see the module doc.
#[derive(Debug, Default)]
pub(crate) struct LinkMemo {
    entries: HashMap<u128, Admission, BuildHasherDefault<KeyIsAHash>>,
}

/// The memo's keys are xxh3 digests already, so the map uses their low
/// bits as they are: SipHash over each key was a fifth of link admission's
/// instructions. (Written here because it is five lines; the crates that
/// do this do not take `u128` keys.)
#[derive(Debug, Default)]
struct KeyIsAHash(u64);

impl Hasher for KeyIsAHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is expected; fold anything else in anyway.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u128(&mut self, key: u128) {
        self.0 = key as u64;
    }
}

/// The new requests among a page's links, warnings for hrefs that do not
/// parse, and how many links were left out, by reason (`seen`, `not_web`,
/// `bad_link`, and the scope's rejection kinds: `domain`, `denied`, ...).
pub(crate) struct AdmittedLinks {
    pub requests: Vec<NewRequest>,
    pub warnings: Vec<ExtractWarning>,
    pub filtered: BTreeMap<&'static str, u32>,
}

/// Resolves a page's hrefs against `base` and admits the in-scope, unseen ones
/// at `depth`.
pub(crate) fn admit_links(
    context: &PageContext,
    base: &Url,
    hrefs: &[String],
    depth: u32,
) -> AdmittedLinks {
    let mut admitted = AdmittedLinks {
        requests: Vec::new(),
        warnings: Vec::new(),
        filtered: BTreeMap::new(),
    };
    // Depth is the same for every link of the page; past it nothing is
    // resolved at all (nor are bad hrefs reported).
    if let Err(rejection) = context.scope.check_depth(depth) {
        if !hrefs.is_empty() {
            admitted.filtered.insert(
                rejection.kind(),
                u32::try_from(hrefs.len()).unwrap_or(u32::MAX),
            );
        }
        return admitted;
    }
    let mut filter = |reason: &'static str| {
        *admitted.filtered.entry(reason).or_default() += 1;
    };
    let mut memo = lock(&context.link_memo);
    let mut seen = lock(&context.seen);
    let mut requests = Vec::new();
    let mut warnings = Vec::new();
    for href in hrefs {
        let key = memo_key(base, href);
        let (admission, fresh_url) = match memo.entries.get(&key) {
            Some(&admission) => (admission, None),
            None => {
                let (admission, canonical) = resolve_and_scope(context, base, href);
                if memo.entries.len() >= MEMO_CAPACITY {
                    memo.entries.clear();
                }
                memo.entries.insert(key, admission);
                (admission, canonical)
            }
        };
        match admission {
            Admission::Follow(url_fingerprint) => {
                if !seen.insert(url_fingerprint) {
                    filter("seen");
                    continue;
                }
                // A memo hit for an unseen URL is rare (its page was past the
                // depth limit, say): resolve again for the URL itself.
                let canonical = fresh_url.or_else(|| resolve_and_scope(context, base, href).1);
                if let Some(canonical) = canonical {
                    requests.push(NewRequest {
                        fingerprint: url_fingerprint,
                        url: canonical.into(),
                        depth,
                    });
                }
            }
            Admission::Skip(reason) => filter(reason),
            Admission::Bad => {
                filter("bad_link");
                if let Err(warning) = resolve_link(base, href) {
                    warnings.push(warning);
                }
            }
        }
    }
    admitted.requests = requests;
    admitted.warnings = warnings;
    admitted
}

/// Canonicalises `urls` (start or sitemap URLs) and admits the in-scope,
/// unseen ones at `depth`.
pub(crate) fn admit_urls<'a>(
    context: &PageContext,
    urls: impl Iterator<Item = &'a Url>,
    depth: u32,
) -> Vec<NewRequest> {
    let candidates: Vec<(u64, Url)> = urls
        .filter_map(|url| {
            let canonical = canonicalize(url, context.sort_query);
            context.scope.check(&canonical, depth).ok()?;
            Some((fingerprint(&canonical), canonical))
        })
        .collect();
    let mut seen = lock(&context.seen);
    candidates
        .into_iter()
        .filter(|(url_fingerprint, _)| seen.insert(*url_fingerprint))
        .map(|(url_fingerprint, url)| NewRequest {
            fingerprint: url_fingerprint,
            url: url.into(),
            depth,
        })
        .collect()
}

/// The slow path: resolve, canonicalise, check the URL-only part of the scope.
fn resolve_and_scope(context: &PageContext, base: &Url, href: &str) -> (Admission, Option<Url>) {
    match resolve_link(base, href) {
        Err(_) => (Admission::Bad, None),
        Ok(None) => (Admission::Skip("not_web"), None),
        Ok(Some(url)) => {
            let canonical = canonicalize(&url, context.sort_query);
            if let Err(rejection) = context.scope.check_url(&canonical) {
                return (Admission::Skip(rejection.kind()), None);
            }
            (Admission::Follow(fingerprint(&canonical)), Some(canonical))
        }
    }
}

/// A 128-bit hash of the href and of the part of `base` its resolution
/// depends on, so that `/about` on every page of a site is one entry:
///
/// - `http://…` / `https://…` (any case): nothing of the base;
/// - starting with `/` or `\` (path-absolute or scheme-relative; special
///   schemes treat `\` as `/`): everything before the base's path (scheme,
///   user info, host, port);
/// - anything else (`../x`, `?page=2`, `http:x`): the whole base.
///
/// Erring towards more of the base only costs memo hits. The parts are joined
/// by a NUL, which a serialised URL never contains, so two different pairs
/// cannot run together into the same bytes. 128 bits make a collision between
/// distinct pairs negligible (the crawl's fingerprints already trust 64).
fn memo_key(base: &Url, href: &str) -> u128 {
    let base_part = if is_absolute_web_url(href) {
        ""
    } else if href.starts_with(['/', '\\']) {
        &base[..Position::BeforePath]
    } else {
        base.as_str()
    };
    // One-shot hashes, seeded with the base part's: the streaming hasher
    // this replaces set up 300 bytes of state for each link.
    xxh3_128_with_seed(href.as_bytes(), xxh3_64(base_part.as_bytes()))
}

fn is_absolute_web_url(href: &str) -> bool {
    let starts_with = |prefix: &str| {
        href.get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    };
    starts_with("http://") || starts_with("https://")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Resolution must be a function of the memo key: hrefs whose key ignores
    /// part of the base resolve the same against bases that differ only there.
    #[test]
    fn keys_ignore_exactly_what_resolution_ignores() {
        let page_a = Url::parse("https://user@shop.example:8443/a/b/page?x=1").unwrap();
        let page_b = Url::parse("https://user@shop.example:8443/c/other").unwrap();
        let other_host = Url::parse("https://other.example:8443/a/b/page?x=1").unwrap();
        let other_scheme = Url::parse("http://user@shop.example:8443/a/b/page?x=1").unwrap();
        for href in ["/about", "\\about", "//cdn.example/x", "/\t/evil.example/"] {
            assert_eq!(memo_key(&page_a, href), memo_key(&page_b, href), "{href}");
            assert_eq!(
                resolve_link(&page_a, href).unwrap(),
                resolve_link(&page_b, href).unwrap(),
                "{href}"
            );
            assert_ne!(
                memo_key(&page_a, href),
                memo_key(&other_host, href),
                "{href}"
            );
            assert_ne!(
                memo_key(&page_a, href),
                memo_key(&other_scheme, href),
                "{href}"
            );
        }
        for href in ["https://x.example/", "HTTP://x.example/"] {
            assert_eq!(memo_key(&page_a, href), memo_key(&other_scheme, href));
            assert_eq!(
                resolve_link(&page_a, href).unwrap(),
                resolve_link(&other_scheme, href).unwrap()
            );
        }
        for href in ["x", "../x", "?page=2", "http:x", "https:/x"] {
            assert_ne!(memo_key(&page_a, href), memo_key(&page_b, href), "{href}");
        }
    }

    #[test]
    fn base_and_href_cannot_run_together() {
        let base = Url::parse("https://shop.example/a").unwrap();
        assert_ne!(memo_key(&base, "b"), memo_key(&base, "\0b"));
        assert_ne!(memo_key(&base, "x"), memo_key(&base, "y"));
    }
}
