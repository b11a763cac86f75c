//! Reading XML sitemaps and sitemap indexes (sitemaps.org protocol) into URLs.
//!
//! Sitemaps come from sites, so they are treated like pages: broken XML,
//! oversized files and stray content give warnings and whatever was read
//! before the problem, never an error. Decompression is the fetcher's job
//! (it already bounds decompressed size); a body still gzip-compressed here
//! is reported, not inflated.

use quick_xml::Reader;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event;

/// Most entries (`<url>` plus `<sitemap>` locations) read from one sitemap:
/// the protocol's own limit per file.
pub const MAX_SITEMAP_ENTRIES: usize = 50_000;

/// Longest `<loc>` kept, in bytes; the protocol requires fewer than 2,048 characters.
const MAX_LOC_BYTES: usize = 2_048;

/// Most warnings kept for one sitemap; past it, one summary warning.
const MAX_SITEMAP_WARNINGS: usize = 100;

/// What a sitemap lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// `<urlset><url><loc>` values: pages to crawl.
    pub urls: Vec<String>,
    /// `<sitemapindex><sitemap><loc>` values: more sitemaps to fetch.
    pub sitemaps: Vec<String>,
    /// Problems found, as lowercase messages.
    pub warnings: Vec<String>,
}

/// Which kind of `<loc>` is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LocKind {
    Page,
    Sitemap,
}

/// Parses an XML sitemap or sitemap index. Never fails: problems become
/// warnings and entries read before them are kept.
pub fn parse_sitemap(body: &[u8]) -> Sitemap {
    let mut sitemap = Sitemap::default();
    let mut warnings = SitemapWarnings::default();
    if body.starts_with(&[0x1f, 0x8b]) {
        warnings.push(
            "body is gzip-compressed (a .xml.gz file served without content-encoding); \
             it was not decompressed"
                .to_owned(),
        );
        sitemap.warnings = warnings.finish();
        return sitemap;
    }

    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    // Local names of the open elements, outermost first.
    let mut open_elements: Vec<Vec<u8>> = Vec::new();
    // The `<loc>` being read: its kind and text so far.
    let mut loc: Option<(LocKind, String)> = None;
    let mut dropped_entries = 0usize;
    let mut saw_sitemap_root = false;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => {
                warnings.push(format!(
                    "invalid xml at byte {}: {error} (entries before it are kept)",
                    reader.error_position(),
                ));
                break;
            }
        };
        match event {
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_vec();
                if open_elements.is_empty()
                    && matches!(name.as_slice(), b"urlset" | b"sitemapindex")
                {
                    saw_sitemap_root = true;
                }
                if name == b"loc" {
                    loc = loc_kind(&open_elements).map(|kind| (kind, String::new()));
                }
                open_elements.push(name);
            }
            Event::Empty(start) => {
                if open_elements.is_empty()
                    && matches!(start.local_name().as_ref(), b"urlset" | b"sitemapindex")
                {
                    saw_sitemap_root = true;
                }
            }
            Event::End(_) => {
                let closed = open_elements.pop();
                if closed.as_deref() == Some(b"loc".as_slice())
                    && let Some((kind, text)) = loc.take()
                {
                    let location = text.trim();
                    if location.is_empty() {
                        continue;
                    }
                    if location.len() > MAX_LOC_BYTES {
                        warnings.push(format!(
                            "skipped a <loc> of {} bytes (the limit is {MAX_LOC_BYTES})",
                            location.len()
                        ));
                    } else if sitemap.urls.len() + sitemap.sitemaps.len() >= MAX_SITEMAP_ENTRIES {
                        dropped_entries += 1;
                    } else {
                        match kind {
                            LocKind::Page => sitemap.urls.push(location.to_owned()),
                            LocKind::Sitemap => sitemap.sitemaps.push(location.to_owned()),
                        }
                    }
                }
            }
            Event::Text(text) => {
                if let Some((_, loc_text)) = &mut loc
                    && loc_text.len() <= MAX_LOC_BYTES
                {
                    loc_text.push_str(&String::from_utf8_lossy(text.as_ref()));
                }
            }
            Event::CData(cdata) => {
                if let Some((_, loc_text)) = &mut loc
                    && loc_text.len() <= MAX_LOC_BYTES
                {
                    loc_text.push_str(&String::from_utf8_lossy(cdata.as_ref()));
                }
            }
            Event::GeneralRef(reference) => {
                if let Some((_, loc_text)) = &mut loc {
                    match reference.resolve_char_ref() {
                        Ok(Some(character)) => loc_text.push(character),
                        Ok(None) => {
                            let name = String::from_utf8_lossy(reference.as_ref());
                            match resolve_xml_entity(&name) {
                                Some(resolved) => loc_text.push_str(resolved),
                                None => warnings
                                    .push(format!("unknown entity &{name}; in a <loc> left out")),
                            }
                        }
                        Err(error) => warnings.push(format!("bad character reference: {error}")),
                    }
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !saw_sitemap_root {
        warnings.push("no <urlset> or <sitemapindex> root element: not a sitemap".to_owned());
    }
    if dropped_entries > 0 {
        warnings.push(format!(
            "more than {MAX_SITEMAP_ENTRIES} entries: {dropped_entries} left out"
        ));
    }
    sitemap.warnings = warnings.finish();
    sitemap
}

/// The kind of a `<loc>` opening inside `open_elements`, or `None` when it is
/// not a page or sitemap location (e.g. `<image:loc>` inside `<url>`).
fn loc_kind(open_elements: &[Vec<u8>]) -> Option<LocKind> {
    match open_elements {
        [.., parent, entry] if parent == b"urlset" && entry == b"url" => Some(LocKind::Page),
        [.., parent, entry] if parent == b"sitemapindex" && entry == b"sitemap" => {
            Some(LocKind::Sitemap)
        }
        _ => None,
    }
}

/// Warnings of one sitemap, capped.
#[derive(Default)]
struct SitemapWarnings {
    warnings: Vec<String>,
    dropped: usize,
}

impl SitemapWarnings {
    fn push(&mut self, warning: String) {
        if self.warnings.len() < MAX_SITEMAP_WARNINGS {
            self.warnings.push(warning);
        } else {
            self.dropped += 1;
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.warnings
                .push(format!("{} more warnings not recorded", self.dropped));
        }
        self.warnings
    }
}

#[cfg(test)]
mod tests;
