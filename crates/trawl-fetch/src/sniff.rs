//! Content sniffing: what a body looks like, whatever its headers claim.
//!
//! Servers send HTML without a `Content-Type` and images labelled
//! `text/html`. Feeding an image to the HTML extractor wastes CPU and yields
//! garbage links, so the crawler checks the bytes. Both checks follow the
//! WHATWG MIME Sniffing standard, cut down to what a crawler needs.

/// How many leading bytes the checks look at.
pub(crate) const SNIFF_BYTES: usize = 1024;

/// True when the first 1 KiB (after a byte order mark) holds "binary data
/// bytes" (the WHATWG set: C0 controls other than tab, newlines, form feed
/// and escape). Broken HTML often has a stray NUL, so it takes at least one
/// such byte in 32 to call a body binary; random data has about one in ten.
pub(crate) fn looks_binary(body: &[u8]) -> bool {
    let text = match encoding_rs::Encoding::for_bom(body) {
        // UTF-16 is full of NULs but is text.
        Some((encoding, _)) if encoding != encoding_rs::UTF_8 => return false,
        Some((_, bom_length)) => &body[bom_length..],
        None => body,
    };
    let sample = &text[..text.len().min(SNIFF_BYTES)];
    let binary_bytes = count_binary_data_bytes(sample);
    binary_bytes > 0 && binary_bytes * 32 >= sample.len()
}

/// How many bytes of `sample` are binary data bytes (the WHATWG set:
/// 0x00–0x08, 0x0B, 0x0E–0x1A, 0x1C–0x1F). Plain comparisons
/// combined without branches, so the compiler vectorizes them: the
/// `matches!` of ranges this replaces cost 13 instructions a byte, 1.6% of
/// a crawl's.
fn count_binary_data_bytes(sample: &[u8]) -> usize {
    sample
        .iter()
        .map(|&byte| {
            let text_control = (byte == b'\t')
                | (byte == b'\n')
                | (byte == 0x0c)
                | (byte == b'\r')
                | (byte == 0x1b);
            u32::from((byte < 0x20) & !text_control)
        })
        .sum::<u32>() as usize
}

/// Tag openings that mark a body as HTML (WHATWG "rules for identifying an
/// unknown MIME type"), each of which must be followed by a space or `>`.
const HTML_PATTERNS: [&[u8]; 17] = [
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<h1",
    b"<div",
    b"<font",
    b"<table",
    b"<a",
    b"<style",
    b"<title",
    b"<b",
    b"<body",
    b"<br",
    b"<p",
    b"<!--",
];

/// True when the body starts (after whitespace and a UTF-8 BOM) like HTML.
pub(crate) fn looks_like_html(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let start = body
        .iter()
        .position(|byte| !matches!(byte, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '))
        .unwrap_or(body.len());
    let body = &body[start..body.len().min(start + SNIFF_BYTES)];
    HTML_PATTERNS.iter().any(|pattern| {
        body.len() > pattern.len()
            && body[..pattern.len()].eq_ignore_ascii_case(pattern)
            && (*pattern == b"<!--" || matches!(body[pattern.len()], b' ' | b'>'))
    })
}

#[cfg(test)]
mod tests;
