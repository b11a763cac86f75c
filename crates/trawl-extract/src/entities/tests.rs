//! Character reference decoding, including the sloppy forms real pages use.

#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use super::*;

#[test]
fn text_without_references_is_borrowed() {
    assert!(matches!(
        decode_entities("plain text"),
        Cow::Borrowed("plain text")
    ));
}

#[test]
fn named_references_from_the_html5_table() {
    assert_eq!(
        decode_entities(
            "Tom &amp; Jerry &lt;3 &quot;x&quot; &apos;y&#39; caf&eacute; &euro;5 &hellip;"
        ),
        "Tom & Jerry <3 \"x\" 'y' café €5 …"
    );
    assert_eq!(decode_entities("a&nbsp;b"), "a\u{a0}b");
}

#[test]
fn numeric_references_decimal_and_hex_with_optional_semicolon() {
    assert_eq!(
        decode_entities("&#233;&#xE9;&#XE9;&#233 &#x1F600;"),
        "éééé 😀"
    );
}

#[test]
fn windows_1252_range_is_remapped_like_browsers() {
    assert_eq!(decode_entities("it&#146;s &#150; &#128;"), "it’s – €");
    // 0x81 is undefined in Windows-1252 and stays a C1 control.
    assert_eq!(decode_entities("&#129;"), "\u{81}");
}

#[test]
fn invalid_code_points_become_replacement_characters() {
    assert_eq!(
        decode_entities("&#0;&#xD800;&#x110000;&#99999999999999999999;"),
        "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"
    );
}

#[test]
fn unknown_or_unterminated_references_stay_literal() {
    assert_eq!(decode_entities("AT&T"), "AT&T");
    assert_eq!(decode_entities("a & b"), "a & b");
    assert_eq!(
        decode_entities("&unknown; &#; &#x; &"),
        "&unknown; &#; &#x; &"
    );
    assert_eq!(decode_entities("&ampersand"), "&ampersand");
}

#[test]
fn legacy_names_decode_without_semicolon_except_before_equals() {
    assert_eq!(
        decode_entities("fish &amp chips &copy 2024"),
        "fish & chips © 2024"
    );
    assert_eq!(decode_entities("/p?a=1&copy=2&lt=3"), "/p?a=1&copy=2&lt=3");
}

#[test]
fn decode_into_appends() {
    let mut out = String::from("x:");
    decode_entities_into("&lt;y&gt;", &mut out);
    assert_eq!(out, "x:<y>");
}
