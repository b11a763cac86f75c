//! Turns a body's bytes into text, finding the encoding the way browsers do.
//!
//! Sites lie about encodings and often do not say at all, and a crawler that
//! guesses wrong stores mojibake. The order follows the HTML standard's
//! encoding sniffing: a byte order mark wins, then the `charset` of the
//! `Content-Type` header, then a `<meta>` declaration in the first 1024
//! bytes, then UTF-8 when the bytes are valid UTF-8, else windows-1252.
//! `encoding_rs` does the decoding; the `<meta>` prescan is written here by
//! hand because no crate exposes the standard's prescan on its own.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How many leading bytes the `<meta>` prescan looks at (the HTML
/// standard's limit).
pub const PRESCAN_BYTES: usize = 1024;

/// A decoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Borrowed from the body when it already is valid UTF-8 (most pages):
    /// a copy of every page cost 2.5% of a crawl's instructions.
    pub text: Cow<'a, str>,
    /// The encoding the text was decoded from.
    pub encoding: &'static Encoding,
    /// Where that encoding came from.
    pub source: CharsetSource,
    /// True when some bytes were invalid in that encoding and became U+FFFD.
    pub had_errors: bool,
}

/// Where the encoding of a [`Decoded`] body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharsetSource {
    /// A byte order mark at the start of the body.
    Bom,
    /// The `charset` parameter of the `Content-Type` header.
    Header,
    /// A `<meta charset>` or `<meta http-equiv=Content-Type>` in the first
    /// 1024 bytes.
    Meta,
    /// Nothing declared: UTF-8 if the bytes are valid UTF-8, else windows-1252.
    Default,
}

/// Decodes `body` served with `content_type` (the raw header value).
///
/// Valid UTF-8 is borrowed, not copied.
pub fn decode<'a>(body: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(body) {
        return decode_as(encoding, &body[bom_length..], CharsetSource::Bom);
    }
    if let Some(encoding) = content_type.and_then(charset_from_content_type) {
        return decode_as(encoding, body, CharsetSource::Header);
    }
    if content_type.is_none_or(is_html_content_type)
        && let Some(encoding) = prescan(body)
    {
        return decode_as(encoding, body, CharsetSource::Meta);
    }
    match std::str::from_utf8(body) {
        Ok(text) => Decoded {
            text: Cow::Borrowed(text),
            encoding: UTF_8,
            source: CharsetSource::Default,
            had_errors: false,
        },
        Err(_) => decode_as(WINDOWS_1252, body, CharsetSource::Default),
    }
}

fn decode_as<'a>(
    encoding: &'static Encoding,
    bytes: &'a [u8],
    source: CharsetSource,
) -> Decoded<'a> {
    // Borrows when the bytes are already valid UTF-8 (or ASCII in an
    // ASCII-compatible encoding).
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text,
        encoding,
        source,
        had_errors,
    }
}

/// The encoding named by the `charset` parameter of a `Content-Type` value,
/// if it names one `encoding_rs` knows.
pub fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let label = value.trim().trim_matches(|c| c == '"' || c == '\'');
        Encoding::for_label(label.as_bytes())
    })
}

/// True for `text/html` and `application/xhtml+xml`, whatever the
/// parameters and case.
pub fn is_html_content_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("text/html")
        || essence.eq_ignore_ascii_case("application/xhtml+xml")
}

/// The HTML standard's "prescan a byte stream to determine its encoding",
/// over the first [`PRESCAN_BYTES`] bytes: finds `<meta charset=...>` or
/// `<meta http-equiv="Content-Type" content="...; charset=...">`, skipping
/// comments and other tags' attributes so that a `>` or a `charset` inside
/// them is not mistaken for one.
pub fn prescan(body: &[u8]) -> Option<&'static Encoding> {
    let bytes = &body[..body.len().min(PRESCAN_BYTES)];
    let mut position = 0;
    while position < bytes.len() {
        let rest = &bytes[position..];
        if rest.starts_with(b"<!--") {
            // The dashes of "<!--" may also close it ("<!-->").
            match find(&bytes[position + 2..], b"-->") {
                Some(offset) => position += 2 + offset + 3,
                None => return None,
            }
            continue;
        }
        if rest.len() >= 6
            && rest[..5].eq_ignore_ascii_case(b"<meta")
            && (is_space(rest[5]) || rest[5] == b'/')
        {
            position += 5;
            if let Some(encoding) = meta_encoding(bytes, &mut position) {
                return Some(encoding);
            }
            continue;
        }
        let is_tag_start = |byte: u8| byte.is_ascii_alphabetic();
        if rest.len() >= 2
            && rest[0] == b'<'
            && (is_tag_start(rest[1])
                || (rest[1] == b'/' && rest.len() >= 3 && is_tag_start(rest[2])))
        {
            // Skip the tag name, then its attributes.
            position += 1;
            while position < bytes.len() && !is_space(bytes[position]) && bytes[position] != b'>' {
                position += 1;
            }
            while next_attribute(bytes, &mut position).is_some() {}
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            match find(rest, b">") {
                Some(offset) => position += offset + 1,
                None => return None,
            }
            continue;
        }
        position += 1;
    }
    None
}

/// Reads a `<meta>` tag's attributes (from just after `<meta`) and returns
/// the encoding it declares, following the standard's pragma rules: a
/// `content` charset only counts with `http-equiv="content-type"`.
fn meta_encoding(bytes: &[u8], position: &mut usize) -> Option<&'static Encoding> {
    let mut seen_names: Vec<Vec<u8>> = Vec::new();
    let mut got_pragma = false;
    let mut need_pragma: Option<bool> = None;
    let mut charset: Option<&'static Encoding> = None;
    while let Some((name, value)) = next_attribute(bytes, position) {
        if seen_names.contains(&name) {
            continue;
        }
        match name.as_slice() {
            b"http-equiv" => got_pragma |= value == b"content-type",
            b"content" => {
                if charset.is_none()
                    && let Some(encoding) =
                        charset_from_meta_content(&value).and_then(Encoding::for_label)
                {
                    charset = Some(encoding);
                    need_pragma = Some(true);
                }
            }
            b"charset" => {
                charset = Encoding::for_label(&value);
                need_pragma = Some(false);
            }
            _ => {}
        }
        seen_names.push(name);
    }
    match need_pragma {
        None => return None,
        Some(true) if !got_pragma => return None,
        Some(_) => {}
    }
    let encoding = charset?;
    // A document that declares UTF-16 in ASCII bytes is not UTF-16.
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    if encoding == encoding_rs::X_USER_DEFINED {
        return Some(WINDOWS_1252);
    }
    Some(encoding)
}

/// The standard's "get an attribute": returns the next attribute's
/// lowercased name and value and moves `position` past it, or `None` at `>`
/// or the end of input.
fn next_attribute(bytes: &[u8], position: &mut usize) -> Option<(Vec<u8>, Vec<u8>)> {
    while *position < bytes.len() && (is_space(bytes[*position]) || bytes[*position] == b'/') {
        *position += 1;
    }
    if *position >= bytes.len() || bytes[*position] == b'>' {
        return None;
    }
    let mut name = Vec::new();
    let mut value = Vec::new();
    // Attribute name.
    loop {
        let byte = *bytes.get(*position)?;
        if byte == b'=' && !name.is_empty() {
            *position += 1;
            break;
        }
        if is_space(byte) {
            while bytes.get(*position).copied().is_some_and(is_space) {
                *position += 1;
            }
            if bytes.get(*position) != Some(&b'=') {
                return Some((name, value));
            }
            *position += 1;
            break;
        }
        if byte == b'/' || byte == b'>' {
            return Some((name, value));
        }
        name.push(byte.to_ascii_lowercase());
        *position += 1;
    }
    // Attribute value.
    while bytes.get(*position).copied().is_some_and(is_space) {
        *position += 1;
    }
    let first = *bytes.get(*position)?;
    if first == b'"' || first == b'\'' {
        *position += 1;
        loop {
            let byte = *bytes.get(*position)?;
            *position += 1;
            if byte == first {
                return Some((name, value));
            }
            value.push(byte.to_ascii_lowercase());
        }
    }
    if first == b'>' {
        return Some((name, value));
    }
    loop {
        let byte = *bytes.get(*position)?;
        if is_space(byte) || byte == b'>' {
            return Some((name, value));
        }
        value.push(byte.to_ascii_lowercase());
        *position += 1;
    }
}

/// The standard's "extract a character encoding from a meta element":
/// the label after `charset=` in a `content` value such as
/// `text/html; charset=koi8-r`.
fn charset_from_meta_content(content: &[u8]) -> Option<&[u8]> {
    let mut position = 0;
    loop {
        let offset = find_ignore_case(&content[position..], b"charset")?;
        position += offset + b"charset".len();
        while content.get(position).copied().is_some_and(is_space) {
            position += 1;
        }
        if content.get(position) != Some(&b'=') {
            continue;
        }
        position += 1;
        while content.get(position).copied().is_some_and(is_space) {
            position += 1;
        }
        let first = *content.get(position)?;
        if first == b'"' || first == b'\'' {
            let rest = &content[position + 1..];
            let end = rest.iter().position(|byte| *byte == first)?;
            return Some(&rest[..end]);
        }
        let rest = &content[position..];
        let end = rest
            .iter()
            .position(|byte| is_space(*byte) || *byte == b';')
            .unwrap_or(rest.len());
        return Some(&rest[..end]);
    }
}

/// ASCII whitespace as the HTML standard counts it (no vertical tab).
fn is_space(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests;
