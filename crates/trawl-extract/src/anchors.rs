//! The `href` of every `<a>` start tag of a page, found by a scan of its
//! text instead of a lol_html handler: the fast path of the default follow
//! selector (`a[href]`).
//!
//! Why by hand: lol_html is fast because it skims a page with its tag
//! scanner and switches to its full lexer only for the tags a handler wants.
//! Every `<a>` costs such a switch (a boxed bail-out, the tag lexed again,
//! an element built, its serialization): about 2,500 instructions per anchor,
//! a sixth of the whole parse of a product page with 40 anchors (callgrind).
//! This scan costs a third of that, and far less in time: it allocates
//! nothing and its loops are simple. On the bench crawl (3,142 pages) it
//! took the instruction count from 2.271 G to 2.174 G.
//! No crate offers "the start tags named X and one attribute" cheaper than a
//! full tokenizer does. This scan follows the WHATWG tokenizer for everything
//! that decides where a tag is (comments, bogus comments, doctype, quoted
//! attribute values, raw text and RCDATA elements, script data) and gives up
//! on what it does not model (SVG and MathML foreign content, escaped script
//! data that nests `<script>`), in which case the caller lets lol_html find
//! the anchors as before. A test checks it against lol_html on thousands of
//! generated hostile pages.

use std::ops::Range;

/// The page has markup the scan does not model; use the full parser.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NeedsFullParse;

/// Each `<a>` start tag's first `href` value as written (entities not
/// decoded, `""` for `<a href>`), in document order, or [`NeedsFullParse`].
/// Anchors without `href` are skipped, as the `a[href]` selector skips them.
pub(crate) fn anchor_hrefs(html: &str) -> Result<Vec<&str>, NeedsFullParse> {
    let bytes = html.as_bytes();
    let mut hrefs = Vec::new();
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[at..]) {
        let open = at + offset;
        let Some(&next) = bytes.get(open + 1) else {
            break;
        };
        at = match next {
            b'!' => skip_markup_declaration(bytes, open + 2),
            b'?' => skip_past_gt(bytes, open + 1),
            b'/' => match bytes.get(open + 2) {
                Some(letter) if letter.is_ascii_alphabetic() => match skip_tag(bytes, open + 2) {
                    Some(end) => end,
                    // A tag cut off by the end of the page is not a tag.
                    None => break,
                },
                Some(b'>') => open + 3,
                Some(_) => skip_past_gt(bytes, open + 2),
                None => break,
            },
            letter if letter.is_ascii_alphabetic() => {
                let name_end = tag_name_end(bytes, open + 1);
                let name = &bytes[open + 1..name_end];
                let end = if name.eq_ignore_ascii_case(b"a") {
                    let Some((href, end)) = scan_attributes(bytes, name_end) else {
                        break;
                    };
                    if let Some(href) = href {
                        hrefs.push(&html[href]);
                    }
                    end
                } else {
                    match skip_attributes(bytes, name_end) {
                        Some(end) => end,
                        None => break,
                    }
                };
                match content_kind(name) {
                    Content::Markup => end,
                    Content::Text => match find_end_tag(bytes, end, name) {
                        Some(end_tag) => end_tag,
                        None => break,
                    },
                    Content::Script => {
                        let end_tag = find_end_tag(bytes, end, name);
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
                    Content::Plaintext => break,
                    Content::Foreign => return Err(NeedsFullParse),
                }
            }
            _ => open + 1,
        };
    }
    Ok(hrefs)
}

/// How the tokenizer reads what follows a start tag (in HTML content).
#[derive(Clone, Copy)]
enum Content {
    Markup,
    /// RCDATA and RAWTEXT: text up to the matching end tag.
    Text,
    Script,
    Plaintext,
    /// `<svg>`, `<math>`: other tokenizer rules (CDATA sections, ...).
    Foreign,
}

fn content_kind(name: &[u8]) -> Content {
    // Most tags are none of these: tell by length and first letter first.
    let first = name.first().map(u8::to_ascii_lowercase);
    let candidates: &[(&[u8], Content)] = match (name.len(), first) {
        (3, Some(b'x')) => &[(b"xmp", Content::Text)],
        (3, Some(b's')) => &[(b"svg", Content::Foreign)],
        (4, Some(b'm')) => &[(b"math", Content::Foreign)],
        (5, Some(b't')) => &[(b"title", Content::Text)],
        (5, Some(b's')) => &[(b"style", Content::Text)],
        (6, Some(b'i')) => &[(b"iframe", Content::Text)],
        (6, Some(b's')) => &[(b"script", Content::Script)],
        (7, Some(b'n')) => &[(b"noembed", Content::Text)],
        (8, Some(b't')) => &[(b"textarea", Content::Text)],
        (8, Some(b'n')) => &[(b"noframes", Content::Text), (b"noscript", Content::Text)],
        (9, Some(b'p')) => &[(b"plaintext", Content::Plaintext)],
        _ => &[],
    };
    candidates
        .iter()
        .find(|(candidate, _)| name.eq_ignore_ascii_case(candidate))
        .map_or(Content::Markup, |(_, content)| *content)
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

/// Just past the end of a tag whose attributes (if any) start at `start`;
/// `None` when the page ends inside it.
fn skip_tag(bytes: &[u8], start: usize) -> Option<usize> {
    skip_attributes(bytes, tag_name_end(bytes, start))
}

/// [`scan_attributes`]' end alone, faster: without a quote, the first `>`
/// ends a tag in every one of the tokenizer's tag states.
fn skip_attributes(bytes: &[u8], start: usize) -> Option<usize> {
    for (offset, &byte) in bytes[start..].iter().enumerate() {
        match byte {
            b'>' => return Some(start + offset + 1),
            b'"' | b'\'' => return scan_attributes(bytes, start).map(|(_, end)| end),
            _ => {}
        }
    }
    None
}

/// Reads a tag's attributes from `start` (just after its name) by the
/// WHATWG attribute states: the first `href` value's range (empty when it
/// has none) and where the tag ends, just past its `>`; `None` when the page
/// ends inside the tag.
fn scan_attributes(bytes: &[u8], start: usize) -> Option<(Option<Range<usize>>, usize)> {
    let mut at = start;
    let mut href = None;
    loop {
        // Before an attribute name; a `/` not followed by `>` is ignored.
        while at < bytes.len() && (is_space(bytes[at]) || bytes[at] == b'/') {
            at += 1;
        }
        if *bytes.get(at)? == b'>' {
            return Some((href, at + 1));
        }
        // The name's first character may be `=`.
        let attribute_start = at;
        at += 1;
        while at < bytes.len() && !is_space(bytes[at]) && !matches!(bytes[at], b'/' | b'>' | b'=') {
            at += 1;
        }
        let attribute_name = attribute_start..at;
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
        // The first attribute of a name wins.
        if href.is_none() && bytes[attribute_name].eq_ignore_ascii_case(b"href") {
            href = Some(value);
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
