//! What a page's markup says without lol_html's selector machinery: the
//! `href` of every `<a>` and `<base>` start tag and, for a rule whose root
//! is a simple selector (`article.product`), where each root element begins
//! and ends. The extractor then hands lol_html only the roots' markup, or
//! nothing at all on a page no rule extracts from.
//!
//! Why by hand: lol_html is fast because it skims a page with its tag
//! scanner and switches to its full lexer only for the tags a handler wants,
//! but every selector it is given makes it keep its selector program's
//! state for every element of the page, and every `<a>` a handler wants
//! costs a switch (a boxed bail-out, the tag lexed again, an element built,
//! its serialization): about 2,500 instructions per anchor, a sixth of the
//! parse of a product page with 40 anchors, and most of the page is
//! navigation and related products that no field reads (callgrind). No crate
//! offers "where are these tags" cheaper than a full tokenizer does. This
//! scan follows the WHATWG tokenizer for everything that decides where a tag
//! is (comments, bogus comments, doctype, quoted attribute values, raw text
//! and RCDATA elements, script data) and lol_html's open-element stack for
//! where an element ends (void elements, end tags closing the nearest open
//! element of their name); it gives up on what it does not model (SVG and
//! MathML foreign content, escaped script data that nests `<script>`), and
//! the caller then runs lol_html over the whole page as before. Tests check
//! it against lol_html on thousands of generated hostile pages.

use std::ops::Range;

/// The page has markup the scan does not model; use the full parser.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NeedsFullParse;

/// What [`scan_page`] found; values are as written (entities not decoded,
/// `""` for a valueless `href`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PageScan<'h> {
    /// Each `<a>` start tag's first `href`, in document order; anchors
    /// without one are skipped, as the `a[href]` selector skips them.
    pub(crate) hrefs: Vec<&'h str>,
    /// Each `<base>` start tag's first `href`, in document order.
    pub(crate) base_hrefs: Vec<&'h str>,
    /// With a root selector, the outermost matching elements, each from its
    /// start tag to just past the end tag that closes it (or to the end of
    /// the page). `None` when one is closed some other way (an ancestor's
    /// end tag; a void element has no content), or nesting is deeper than
    /// the scan follows: only the full parser's model of the whole page says
    /// what that means.
    pub(crate) roots: Option<Vec<Range<usize>>>,
    /// The last root runs to the end of the page, without its end tag.
    pub(crate) root_open_at_end: bool,
}

/// A root selector the scan can match on a start tag alone: an optional
/// tag name with `.class`, `#id` and `[attribute]` conditions (what most
/// item roots are). Anything else (combinators, pseudo-classes, attribute
/// values, escapes) is left to lol_html.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SimpleSelector {
    /// Lowercase.
    tag: Option<Vec<u8>>,
    classes: Vec<Vec<u8>>,
    ids: Vec<Vec<u8>>,
    /// Lowercase.
    attributes: Vec<Vec<u8>>,
}

impl SimpleSelector {
    /// The selector, if it is that simple; `selector` is one lol_html
    /// accepted, so its parts are valid CSS.
    pub(crate) fn parse(selector: &str) -> Option<SimpleSelector> {
        fn ident(text: &[u8]) -> usize {
            text.iter()
                .position(|&byte| !(byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_')))
                .unwrap_or(text.len())
        }
        let mut rest = selector.trim().as_bytes();
        let mut simple = SimpleSelector {
            tag: None,
            classes: Vec::new(),
            ids: Vec::new(),
            attributes: Vec::new(),
        };
        let tag_length = ident(rest);
        if tag_length > 0 {
            simple.tag = Some(rest[..tag_length].to_ascii_lowercase());
            rest = &rest[tag_length..];
        }
        while let Some((&marker, after)) = rest.split_first() {
            let length = ident(after);
            if length == 0 {
                return None;
            }
            let name = after[..length].to_vec();
            match marker {
                b'.' => simple.classes.push(name),
                b'#' => simple.ids.push(name),
                b'[' if after.get(length) == Some(&b']') => {
                    simple.attributes.push(name.to_ascii_lowercase());
                    rest = &after[length + 1..];
                    continue;
                }
                _ => return None,
            }
            rest = &after[length..];
        }
        // Presence of each is a bit of `TagAttributes::wanted_present`.
        if simple.attributes.len() > 64 {
            return None;
        }
        let is_empty = simple.tag.is_none()
            && simple.classes.is_empty()
            && simple.ids.is_empty()
            && simple.attributes.is_empty();
        (!is_empty).then_some(simple)
    }

    fn matches_tag(&self, name: &[u8]) -> bool {
        self.tag
            .as_deref()
            .is_none_or(|tag| name.eq_ignore_ascii_case(tag))
    }

    /// As lol_html matches: the first `class` and `id` attribute count, values as written.
    fn matches_attributes(&self, attributes: &TagAttributes<'_>) -> bool {
        let classes_match = self.classes.iter().all(|class| {
            attributes.class.is_some_and(|value| {
                value
                    .split(|&byte| is_space(byte))
                    .any(|part| part == class.as_slice())
            })
        });
        classes_match
            && self
                .ids
                .iter()
                .all(|id| attributes.id == Some(id.as_slice()))
            && attributes.wanted_present.count_ones() as usize == self.attributes.len()
    }
}

/// Deeper than this, the scan leaves roots to lol_html (whose memory limit
/// is what governs such pages).
const MAX_TRACKED_DEPTH: usize = 4_096;

/// Scans the page (see the module comment); `root`, when given, is the
/// selector of the elements whose extents to report.
pub(crate) fn scan_page<'h>(
    html: &'h str,
    root: Option<&SimpleSelector>,
) -> Result<PageScan<'h>, NeedsFullParse> {
    let bytes = html.as_bytes();
    let mut scan = PageScan {
        hrefs: Vec::new(),
        base_hrefs: Vec::new(),
        roots: root.map(|_| Vec::new()),
        root_open_at_end: false,
    };
    // lol_html's open elements (names as byte ranges), followed only for roots.
    let mut open: Vec<Range<usize>> = Vec::new();
    // The outermost open root: its index in `open` and where it starts.
    let mut open_root: Option<(usize, usize)> = None;
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[at..]) {
        let tag_open = at + offset;
        let Some(&next) = bytes.get(tag_open + 1) else {
            break;
        };
        at = match next {
            b'!' => skip_markup_declaration(bytes, tag_open + 2),
            b'?' => skip_past_gt(bytes, tag_open + 1),
            b'/' => match bytes.get(tag_open + 2) {
                Some(letter) if letter.is_ascii_alphabetic() => {
                    let name_end = tag_name_end(bytes, tag_open + 2);
                    // A tag cut off by the end of the page is not a tag.
                    let Some(end) = skip_attributes(bytes, name_end) else {
                        break;
                    };
                    if scan.roots.is_some() {
                        let name = &bytes[tag_open + 2..name_end];
                        close_elements(&mut scan, &mut open, &mut open_root, bytes, name, end);
                    }
                    end
                }
                Some(b'>') => tag_open + 3,
                Some(_) => skip_past_gt(bytes, tag_open + 2),
                None => break,
            },
            letter if letter.is_ascii_alphabetic() => {
                let name = tag_open + 1..tag_name_end(bytes, tag_open + 1);
                let name_bytes = &bytes[name.clone()];
                let kind = tag_kind(name_bytes);
                let (is_anchor, is_base) = (kind == TagKind::Anchor, kind == TagKind::Base);
                let root_candidate = scan.roots.is_some()
                    && open_root.is_none()
                    && root.is_some_and(|root| root.matches_tag(name_bytes));
                let (attributes, end) = if is_anchor || is_base || root_candidate {
                    let wanted = root.map_or(&[][..], |root| root.attributes.as_slice());
                    match read_attributes(bytes, name.end, wanted) {
                        Some((attributes, end)) => (Some(attributes), end),
                        None => break,
                    }
                } else {
                    match skip_attributes(bytes, name.end) {
                        Some(end) => (None, end),
                        None => break,
                    }
                };
                if let Some(attributes) = &attributes
                    && let Some(href) = attributes.href.clone()
                {
                    if is_anchor {
                        scan.hrefs.push(&html[href]);
                    } else if is_base {
                        scan.base_hrefs.push(&html[href]);
                    }
                }
                if scan.roots.is_some() {
                    let is_void = matches!(kind, TagKind::Void | TagKind::Base);
                    let is_root = root_candidate
                        && attributes.as_ref().is_some_and(|attributes| {
                            root.is_some_and(|root| root.matches_attributes(attributes))
                        });
                    if is_root {
                        if is_void {
                            scan.roots = None;
                        } else {
                            open_root = Some((open.len(), tag_open));
                        }
                    }
                    if !is_void {
                        open.push(name.clone());
                        if open.len() > MAX_TRACKED_DEPTH {
                            scan.roots = None;
                        }
                    }
                }
                match kind {
                    TagKind::Anchor | TagKind::Base | TagKind::Void | TagKind::Other => end,
                    TagKind::Text => match find_end_tag(bytes, end, name_bytes) {
                        Some(end_tag) => end_tag,
                        None => break,
                    },
                    TagKind::Script => {
                        let end_tag = find_end_tag(bytes, end, name_bytes);
                        let script = &bytes[end..end_tag.unwrap_or(bytes.len())];
                        // `<!--` puts script data in its escaped states, where
                        // a nested `<script>` moves the real end past the
                        // first `</script>`.
                        if memchr::memmem::find(script, b"<!--").is_some()
                            && contains_ignore_ascii_case(script, b"<script")
                        {
                            return Err(NeedsFullParse);
                        }
                        match end_tag {
                            Some(end_tag) => end_tag,
                            None => break,
                        }
                    }
                    // The rest of the page is text.
                    TagKind::Plaintext => break,
                    TagKind::Foreign => return Err(NeedsFullParse),
                }
            }
            _ => tag_open + 1,
        };
    }
    // A root still open at the end of the page ends there, for lol_html too.
    if let Some((_, root_start)) = open_root
        && let Some(roots) = &mut scan.roots
    {
        roots.push(root_start..bytes.len());
        scan.root_open_at_end = true;
    }
    Ok(scan)
}

/// An end tag named `name`, ending at `end`: like lol_html, close the
/// nearest open element of that name and everything opened after it (or
/// nothing, if none is open). A root closed by its own end tag is complete.
fn close_elements(
    scan: &mut PageScan<'_>,
    open: &mut Vec<Range<usize>>,
    open_root: &mut Option<(usize, usize)>,
    bytes: &[u8],
    name: &[u8],
    end: usize,
) {
    let Some(index) = open
        .iter()
        .rposition(|open_name| bytes[open_name.clone()].eq_ignore_ascii_case(name))
    else {
        return;
    };
    if let Some((root_index, root_start)) = *open_root
        && index <= root_index
    {
        if index == root_index {
            if let Some(roots) = &mut scan.roots {
                roots.push(root_start..end);
            }
        } else {
            // An ancestor's end tag closed the root too.
            scan.roots = None;
        }
        *open_root = None;
    }
    open.truncate(index);
}

/// What the scan needs to know of a start tag by its name (in HTML content).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Anchor,
    Base,
    /// Never on lol_html's stack: no content, no end tag (`<base>` too).
    Void,
    /// RCDATA and RAWTEXT: text up to the matching end tag.
    Text,
    Script,
    Plaintext,
    /// `<svg>`, `<math>`: other tokenizer rules (CDATA sections, ...).
    Foreign,
    Other,
}

fn tag_kind(name: &[u8]) -> TagKind {
    use TagKind::{Anchor, Base, Foreign, Plaintext, Script, Text, Void};
    // Most names are none of these: tell by length and first letter first.
    let first = name.first().map_or(0, u8::to_ascii_lowercase);
    let candidates: &[(&[u8], TagKind)] = match (name.len(), first) {
        (1, b'a') => &[(b"a", Anchor)],
        (2, b'b') => &[(b"br", Void)],
        (2, b'h') => &[(b"hr", Void)],
        (3, b'c') => &[(b"col", Void)],
        (3, b'i') => &[(b"img", Void)],
        (3, b's') => &[(b"svg", Foreign)],
        (3, b'w') => &[(b"wbr", Void)],
        (3, b'x') => &[(b"xmp", Text)],
        (4, b'a') => &[(b"area", Void)],
        (4, b'b') => &[(b"base", Base)],
        (4, b'l') => &[(b"link", Void)],
        (4, b'm') => &[(b"meta", Void), (b"math", Foreign)],
        (5, b'e') => &[(b"embed", Void)],
        (5, b'i') => &[(b"input", Void)],
        (5, b'p') => &[(b"param", Void)],
        (5, b's') => &[(b"style", Text)],
        (5, b't') => &[(b"title", Text), (b"track", Void)],
        (6, b'i') => &[(b"iframe", Text)],
        (6, b'k') => &[(b"keygen", Void)],
        (6, b's') => &[(b"script", Script), (b"source", Void)],
        (7, b'b') => &[(b"bgsound", Void)],
        (7, b'n') => &[(b"noembed", Text)],
        (8, b'b') => &[(b"basefont", Void)],
        (8, b'n') => &[(b"noframes", Text), (b"noscript", Text)],
        (8, b't') => &[(b"textarea", Text)],
        (9, b'p') => &[(b"plaintext", Plaintext)],
        _ => &[],
    };
    candidates
        .iter()
        .find(|(candidate, _)| name.eq_ignore_ascii_case(candidate))
        .map_or(TagKind::Other, |(_, kind)| *kind)
}

/// HTML's whitespace in tags; `\r` too, which the input stream turns into `\n`.
fn is_space(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

/// Where the tag name starting at `start` ends.
fn tag_name_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&byte| is_space(byte) || matches!(byte, b'/' | b'>'))
        .map_or(bytes.len(), |length| start + length)
}

/// [`read_attributes`]' end alone, faster: without a quote, the first `>`
/// ends a tag in every one of the tokenizer's tag states.
fn skip_attributes(bytes: &[u8], start: usize) -> Option<usize> {
    for (offset, &byte) in bytes[start..].iter().enumerate() {
        match byte {
            b'>' => return Some(start + offset + 1),
            b'"' | b'\'' => return read_attributes(bytes, start, &[]).map(|(_, end)| end),
            _ => {}
        }
    }
    None
}

/// The attributes of one tag that the scan looks at; the first of each
/// name counts, as in lol_html.
#[derive(Debug, Default)]
struct TagAttributes<'h> {
    /// The range of the `href` value in the page (empty when valueless).
    href: Option<Range<usize>>,
    class: Option<&'h [u8]>,
    id: Option<&'h [u8]>,
    /// Bit `i` set: the tag has the root selector's `i`-th `[attribute]`.
    wanted_present: u64,
}

/// Reads a tag's attributes from `start` (just after its name) by the
/// WHATWG attribute states, noting which of `wanted` (lowercase names) it
/// has, and where the tag ends, just past its `>`; `None` when the page ends
/// inside the tag.
fn read_attributes<'h>(
    bytes: &'h [u8],
    start: usize,
    wanted: &[Vec<u8>],
) -> Option<(TagAttributes<'h>, usize)> {
    let mut at = start;
    let mut attributes = TagAttributes::default();
    loop {
        // Before an attribute name; a `/` not followed by `>` is ignored.
        while at < bytes.len() && (is_space(bytes[at]) || bytes[at] == b'/') {
            at += 1;
        }
        if *bytes.get(at)? == b'>' {
            return Some((attributes, at + 1));
        }
        // The name's first character may be `=`.
        let name_start = at;
        at += 1;
        while at < bytes.len() && !is_space(bytes[at]) && !matches!(bytes[at], b'/' | b'>' | b'=') {
            at += 1;
        }
        let name = &bytes[name_start..at];
        while at < bytes.len() && is_space(bytes[at]) {
            at += 1;
        }
        let value = if *bytes.get(at)? == b'=' {
            at += 1;
            while at < bytes.len() && is_space(bytes[at]) {
                at += 1;
            }
            match *bytes.get(at)? {
                quote @ (b'"' | b'\'') => {
                    let value_start = at + 1;
                    let length = memchr::memchr(quote, &bytes[value_start..])?;
                    at = value_start + length + 1;
                    value_start..value_start + length
                }
                // `href=>`: the value is missing, so empty.
                b'>' => at..at,
                _ => {
                    let value_start = at;
                    while at < bytes.len() && !is_space(bytes[at]) && bytes[at] != b'>' {
                        at += 1;
                    }
                    value_start..at
                }
            }
        } else {
            at..at
        };
        if attributes.href.is_none() && name.eq_ignore_ascii_case(b"href") {
            attributes.href = Some(value);
        } else if attributes.class.is_none() && name.eq_ignore_ascii_case(b"class") {
            attributes.class = Some(&bytes[value]);
        } else if attributes.id.is_none() && name.eq_ignore_ascii_case(b"id") {
            attributes.id = Some(&bytes[value]);
        }
        for (index, wanted_name) in wanted.iter().enumerate() {
            if name.eq_ignore_ascii_case(wanted_name) {
                attributes.wanted_present |= 1 << index;
            }
        }
    }
}

/// Past a comment, doctype, CDATA or bogus comment whose `<!` ends just
/// before `start` (the page's length when it never ends).
fn skip_markup_declaration(bytes: &[u8], start: usize) -> usize {
    let rest = &bytes[start.min(bytes.len())..];
    let Some(comment) = rest.strip_prefix(b"--") else {
        // `<!DOCTYPE ...>`, `<![CDATA[...]]>` outside SVG/MathML, `<!x>`:
        // all end at the first `>`.
        return skip_past_gt(bytes, start);
    };
    let comment_start = start + 2;
    // `<!-->` and `<!--->` are complete (empty) comments.
    if comment.starts_with(b">") {
        return comment_start + 1;
    }
    if comment.starts_with(b"->") {
        return comment_start + 2;
    }
    // Otherwise `--`, more dashes, then `>` or `!>`.
    let mut from = 0;
    while let Some(offset) = memchr::memmem::find(&comment[from..], b"--") {
        let mut after = from + offset + 2;
        while comment.get(after) == Some(&b'-') {
            after += 1;
        }
        match comment.get(after) {
            Some(b'>') => return comment_start + after + 1,
            Some(b'!') if comment.get(after + 1) == Some(&b'>') => {
                return comment_start + after + 2;
            }
            _ => from = after,
        }
    }
    bytes.len()
}

/// Just past the first `>` at or after `start` (the page's length if none).
fn skip_past_gt(bytes: &[u8], start: usize) -> usize {
    let start = start.min(bytes.len());
    memchr::memchr(b'>', &bytes[start..]).map_or(bytes.len(), |offset| start + offset + 1)
}

/// Where the end tag closing a text element `name` begins: `</name`
/// followed by whitespace, `/` or `>` (any case); `None` if the page has none.
fn find_end_tag(bytes: &[u8], start: usize, name: &[u8]) -> Option<usize> {
    let mut from = start;
    while let Some(offset) = memchr::memmem::find(&bytes[from..], b"</") {
        let open = from + offset;
        let name_end = open + 2 + name.len();
        if bytes
            .get(open + 2..name_end)
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(name))
            && bytes
                .get(name_end)
                .is_some_and(|&byte| is_space(byte) || matches!(byte, b'/' | b'>'))
        {
            return Some(open);
        }
        from = open + 2;
    }
    None
}

fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests;
