//! Encoding detection cases from real sites, each pinned to the exact text.

use encoding_rs::{ISO_8859_2, KOI8_R, SHIFT_JIS, UTF_8, UTF_16BE, WINDOWS_1252};

use super::*;

#[test]
fn bom_beats_header_and_meta() {
    let body = b"\xef\xbb\xbf<meta charset=koi8-r>caf\xc3\xa9";
    let decoded = decode(body, Some("text/html; charset=iso-8859-2"));
    assert_eq!(decoded.text, "<meta charset=koi8-r>café");
    assert_eq!(decoded.encoding, UTF_8);
    assert_eq!(decoded.source, CharsetSource::Bom);
    assert!(!decoded.had_errors);
}

#[test]
fn utf16be_bom_without_label() {
    let decoded = decode(b"\xfe\xff\x00h\x00i", None);
    assert_eq!(decoded.text, "hi");
    assert_eq!(decoded.encoding, UTF_16BE);
    assert_eq!(decoded.source, CharsetSource::Bom);
}

#[test]
fn header_charset_beats_meta() {
    let decoded = decode(
        b"<meta charset=\"koi8-r\"><p>\xb1</p>",
        Some("text/html; charset=\"ISO-8859-2\""),
    );
    assert_eq!(decoded.text, "<meta charset=\"koi8-r\"><p>ą</p>");
    assert_eq!(decoded.encoding, ISO_8859_2);
    assert_eq!(decoded.source, CharsetSource::Header);
}

#[test]
fn latin1_label_means_windows_1252() {
    let decoded = decode(b"\x80", Some("text/plain; Charset=latin1"));
    assert_eq!(decoded.text, "€");
    assert_eq!(decoded.encoding, WINDOWS_1252);
}

#[test]
fn unknown_header_label_falls_through_to_meta() {
    let decoded = decode(
        b"<meta charset=shift_jis>\x82\xa0",
        Some("text/html; charset=no-such-thing"),
    );
    assert_eq!(decoded.text, "<meta charset=shift_jis>あ");
    assert_eq!(decoded.encoding, SHIFT_JIS);
    assert_eq!(decoded.source, CharsetSource::Meta);
}

#[test]
fn header_utf8_with_invalid_bytes_reports_errors() {
    let decoded = decode(b"caf\xe9", Some("text/html; charset=utf-8"));
    assert_eq!(decoded.text, "caf\u{fffd}");
    assert_eq!(decoded.source, CharsetSource::Header);
    assert!(decoded.had_errors);
}

#[test]
fn no_label_valid_utf8_is_utf8() {
    let decoded = decode("naïve ✓".as_bytes(), Some("text/html"));
    assert_eq!(decoded.text, "naïve ✓");
    assert_eq!(decoded.encoding, UTF_8);
    assert_eq!(decoded.source, CharsetSource::Default);
    assert!(!decoded.had_errors);
}

#[test]
fn no_label_invalid_utf8_is_windows_1252() {
    let decoded = decode(b"caf\xe9 \x93q\x94", None);
    assert_eq!(decoded.text, "café “q”");
    assert_eq!(decoded.encoding, WINDOWS_1252);
    assert_eq!(decoded.source, CharsetSource::Default);
    assert!(!decoded.had_errors);
}

#[test]
fn meta_is_ignored_for_non_html_content_types() {
    let decoded = decode(b"<meta charset=koi8-r>\xf0", Some("text/plain"));
    assert_eq!(decoded.encoding, WINDOWS_1252);
    assert_eq!(decoded.source, CharsetSource::Default);
}

#[test]
fn prescan_meta_charset_forms() {
    assert_eq!(prescan(b"<meta charset=koi8-r>"), Some(KOI8_R));
    assert_eq!(prescan(b"<META CHARSET='KOI8-R'>"), Some(KOI8_R));
    assert_eq!(prescan(b"<meta/charset=\"koi8-r\"/>"), Some(KOI8_R));
    assert_eq!(prescan(b"<meta charset = koi8-r >"), Some(KOI8_R));
    assert_eq!(prescan(b"<meta name=x charset=koi8-r>"), Some(KOI8_R));
}

#[test]
fn prescan_http_equiv_needs_the_pragma() {
    assert_eq!(
        prescan(b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">"),
        Some(KOI8_R)
    );
    // Attribute order does not matter.
    assert_eq!(
        prescan(b"<meta content='text/html;charset=\"koi8-r\"' http-equiv=content-type>"),
        Some(KOI8_R)
    );
    // A content charset without http-equiv is not a declaration.
    assert_eq!(
        prescan(b"<meta content=\"text/html; charset=koi8-r\">"),
        None
    );
    assert_eq!(
        prescan(b"<meta http-equiv=refresh content=\"0; charset=koi8-r\">"),
        None
    );
}

#[test]
fn prescan_skips_comments_and_other_tags_attributes() {
    assert_eq!(prescan(b"<!-- <meta charset=koi8-r> --><p>"), None);
    assert_eq!(prescan(b"<!--><meta charset=koi8-r>"), Some(KOI8_R));
    assert_eq!(
        prescan(b"<div title=\"<meta charset=koi8-r>\"></div>"),
        None
    );
    assert_eq!(
        prescan(b"<!DOCTYPE html><html lang=ru><head><meta charset=koi8-r>"),
        Some(KOI8_R)
    );
    assert_eq!(prescan(b"<metadata charset=koi8-r>"), None);
}

#[test]
fn prescan_maps_utf16_and_x_user_defined() {
    assert_eq!(prescan(b"<meta charset=utf-16le>"), Some(UTF_8));
    assert_eq!(
        prescan(b"<meta charset=x-user-defined>"),
        Some(WINDOWS_1252)
    );
}

#[test]
fn prescan_stops_after_1024_bytes() {
    let mut body = vec![b' '; PRESCAN_BYTES];
    body.extend_from_slice(b"<meta charset=koi8-r>");
    assert_eq!(prescan(&body), None);
    let mut body = vec![b' '; PRESCAN_BYTES - 21];
    body.extend_from_slice(b"<meta charset=koi8-r>");
    assert_eq!(prescan(&body), Some(KOI8_R));
}

#[test]
fn prescan_survives_truncated_input() {
    for input in [
        &b"<meta charset="[..],
        b"<meta charset=\"koi8",
        b"<!-- never closed",
        b"<div title='x",
        b"<",
        b"</",
        b"<?xml",
        b"",
    ] {
        assert_eq!(prescan(input), None, "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn content_type_charset_parsing() {
    assert_eq!(
        charset_from_content_type("text/html;charset=UTF-8"),
        Some(UTF_8)
    );
    assert_eq!(
        charset_from_content_type("text/html; foo=bar; charset= 'koi8-r' "),
        Some(KOI8_R)
    );
    assert_eq!(charset_from_content_type("text/html"), None);
    assert_eq!(charset_from_content_type("charset=utf-8"), None);
    assert!(is_html_content_type("Text/HTML; charset=x"));
    assert!(is_html_content_type("application/xhtml+xml"));
    assert!(!is_html_content_type("text/htmlx"));
}

#[test]
fn valid_utf8_is_borrowed_and_only_other_encodings_are_copied() {
    let utf8 = "<p>café</p>".as_bytes();
    assert!(matches!(decode(utf8, None).text, Cow::Borrowed(_)));
    assert!(matches!(
        decode(utf8, Some("text/html; charset=utf-8")).text,
        Cow::Borrowed(_)
    ));
    let latin1 = b"<p>caf\xe9</p>";
    let decoded = decode(latin1, Some("text/html; charset=windows-1252"));
    assert!(matches!(decoded.text, Cow::Owned(_)));
    assert_eq!(decoded.text, "<p>café</p>");
}
