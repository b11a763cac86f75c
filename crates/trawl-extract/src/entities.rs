//! Decoding of HTML character references (`&amp;`, `&#233;`, `&#x20AC;`).
//!
//! lol_html hands out source text as written (`TextChunk::as_str` and
//! `Element::get_attribute` keep `&amp;`), so without this, values and links
//! would carry markup. The table of the ~2,000 HTML5 names comes from
//! quick-xml's `escape-html` feature; the scanning is written here because
//! quick-xml's `unescape` fails on the whole string at the first unknown or
//! unterminated reference, while browsers (and so we) keep such text literally,
//! accept numeric references without `;`, and remap `&#128;`–`&#159;` through
//! Windows-1252 as old pages expect.

use std::borrow::Cow;

use quick_xml::escape::resolve_html5_entity;

/// Longest entity name we try to resolve (the longest HTML5 name has 31 characters).
const MAX_ENTITY_NAME_LEN: usize = 32;

/// Names browsers also decode without the trailing `;` ("legacy" references)
/// and that show up that way on real pages.
const LEGACY_NAMES_WITHOUT_SEMICOLON: [&str; 7] =
    ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"];

/// What `&#128;`–`&#159;` mean to browsers: Windows-1252, not C1 controls.
/// Zero means "no remap" (the five undefined Windows-1252 positions).
const WINDOWS_1252_C1: [u32; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
    0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

/// Decodes character references; borrows when there is none (the common case).
pub(crate) fn decode_entities(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut decoded = String::with_capacity(raw.len());
    decode_entities_into(raw, &mut decoded);
    Cow::Owned(decoded)
}

/// Appends `raw` to `out` with character references decoded.
pub(crate) fn decode_entities_into(raw: &str, out: &mut String) {
    let mut rest = raw;
    while let Some(amp_at) = rest.find('&') {
        out.push_str(&rest[..amp_at]);
        let after_amp = &rest[amp_at + 1..];
        match decode_reference(after_amp, out) {
            Some(consumed) => rest = &after_amp[consumed..],
            None => {
                out.push('&');
                rest = after_amp;
            }
        }
    }
    out.push_str(rest);
}

/// Decodes the reference starting right after a `&` into `out`; returns how
/// many bytes it used, or `None` (nothing written) when the `&` is literal text.
fn decode_reference(after_amp: &str, out: &mut String) -> Option<usize> {
    let bytes = after_amp.as_bytes();
    if bytes.first() == Some(&b'#') {
        return decode_numeric_reference(after_amp, out);
    }
    let name_len = bytes
        .iter()
        .take(MAX_ENTITY_NAME_LEN + 1)
        .take_while(|byte| byte.is_ascii_alphanumeric())
        .count();
    if name_len == 0 || name_len > MAX_ENTITY_NAME_LEN {
        return None;
    }
    let name = &after_amp[..name_len];
    let next = bytes.get(name_len).copied();
    if next == Some(b';') {
        let text = resolve_html5_entity(name)?;
        out.push_str(text);
        return Some(name_len + 1);
    }
    // Without `;`, only the legacy names, and (as in attribute values) not when
    // the name runs into `=`: `?a=1&copy=2` stays a query string.
    if next != Some(b'=') && LEGACY_NAMES_WITHOUT_SEMICOLON.contains(&name) {
        let text = resolve_html5_entity(name)?;
        out.push_str(text);
        return Some(name_len);
    }
    None
}

/// Decodes `#123;` / `#x1F600;` (the `;` is optional, as in browsers).
fn decode_numeric_reference(after_amp: &str, out: &mut String) -> Option<usize> {
    let bytes = after_amp.as_bytes();
    let (radix, digits_start) = match bytes.get(1) {
        Some(b'x' | b'X') => (16, 2),
        _ => (10, 1),
    };
    let digits: &str = &after_amp[digits_start..];
    let digit_count = digits
        .bytes()
        .take_while(|byte| (*byte as char).is_digit(radix))
        .count();
    if digit_count == 0 {
        return None;
    }
    // Saturate instead of overflowing: any value past U+10FFFF is invalid anyway.
    let code_point = digits[..digit_count]
        .chars()
        .filter_map(|digit| digit.to_digit(radix))
        .fold(0u32, |value, digit| {
            value
                .saturating_mul(radix)
                .saturating_add(digit)
                .min(0x11_0000)
        });
    let mut consumed = digits_start + digit_count;
    if bytes.get(consumed) == Some(&b';') {
        consumed += 1;
    }
    out.push(numeric_reference_char(code_point));
    Some(consumed)
}

/// The character a numeric reference stands for, with the HTML spec's fixes:
/// NUL, surrogates and out-of-range values become U+FFFD.
fn numeric_reference_char(code_point: u32) -> char {
    if (0x80..=0x9F).contains(&code_point) {
        let remapped = WINDOWS_1252_C1[(code_point - 0x80) as usize];
        if remapped != 0 {
            return char::from_u32(remapped).unwrap_or(char::REPLACEMENT_CHARACTER);
        }
    }
    if code_point == 0 {
        return char::REPLACEMENT_CHARACTER;
    }
    char::from_u32(code_point).unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests;
