//! The pieces of the streaming pass that can be checked without lol_html.

use super::*;

fn accumulate(chunks: &[(&str, TextType, bool)], accepts_raw_text: bool) -> (String, bool) {
    let mut accumulator = TextAccumulator::new(accepts_raw_text);
    for (raw, text_type, last_in_text_node) in chunks {
        accumulator.push_chunk(raw, *text_type, *last_in_text_node);
    }
    accumulator.flush_pending();
    (accumulator.text, accumulator.truncated)
}

#[test]
fn whitespace_collapses_across_text_nodes_and_ends_are_trimmed() {
    assert_eq!(
        accumulate(
            &[
                ("\n  Deluxe ", TextType::Data, true),
                ("Espresso", TextType::Data, true),
                ("\t\tMachine\u{a0} ", TextType::Data, true),
                ("  ", TextType::Data, true),
            ],
            false
        ),
        ("Deluxe Espresso Machine".to_owned(), false)
    );
}

#[test]
fn references_split_across_chunks_are_decoded_once_the_node_ends() {
    assert_eq!(
        accumulate(
            &[
                ("Tom &am", TextType::Data, false),
                ("p; Jerry &#83", TextType::Data, false),
                ("64;", TextType::Data, true),
            ],
            false
        ),
        ("Tom & Jerry €".to_owned(), false)
    );
}

#[test]
fn script_text_is_skipped_unless_the_capture_is_the_script() {
    let chunks = [
        ("a &amp; ", TextType::Data, true),
        ("var x = '&amp;';", TextType::ScriptData, true),
        ("p{}", TextType::RawText, true),
        ("b", TextType::Data, true),
    ];
    assert_eq!(accumulate(&chunks, false), ("a & b".to_owned(), false));
    assert_eq!(
        accumulate(&chunks, true),
        ("a & var x = '&amp;';p{}b".to_owned(), false)
    );
}

#[test]
fn nuls_are_dropped() {
    assert_eq!(
        accumulate(&[("a\0b \0 c", TextType::Data, true)], false),
        ("ab c".to_owned(), false)
    );
}

#[test]
fn long_pending_text_is_decoded_in_pieces_without_splitting_references() {
    let mut accumulator = TextAccumulator::new(false);
    let filler = "x".repeat(MAX_PENDING_RAW_TEXT_BYTES);
    accumulator.push_chunk(&filler, TextType::Data, false);
    accumulator.push_chunk("&eac", TextType::Data, false);
    assert_eq!(accumulator.pending_raw, "&eac");
    accumulator.push_chunk("ute;", TextType::Data, true);
    assert_eq!(accumulator.text, format!("{filler}é"));
}

#[test]
fn text_is_cut_at_the_byte_cap_on_a_char_boundary() {
    let mut accumulator = TextAccumulator::new(false);
    accumulator.push_chunk(&"a".repeat(MAX_FIELD_VALUE_BYTES - 1), TextType::Data, true);
    accumulator.push_chunk("éé more", TextType::Data, true);
    assert_eq!(accumulator.text.len(), MAX_FIELD_VALUE_BYTES - 1);
    assert!(accumulator.truncated);
    accumulator.push_chunk("ignored", TextType::Data, true);
    assert_eq!(accumulator.text.len(), MAX_FIELD_VALUE_BYTES - 1);
}

#[test]
fn implicit_closing_follows_html_optional_end_tags() {
    assert!(closes_implicitly("li", "li"));
    assert!(closes_implicitly("dd", "dt"));
    assert!(closes_implicitly("td", "th"));
    assert!(closes_implicitly("div", "p"));
    assert!(!closes_implicitly("div", "div"));
    assert!(!closes_implicitly("li", "ul"));
    assert!(!closes_implicitly("span", "p"));
}

#[test]
fn sentinels_are_removed_from_inner_html() {
    let prefix = "\u{E000}0000000000000001";
    let sentinel = format!("{prefix}00000002s\u{E001}");
    let text = format!("<b>{sentinel}x</b>{prefix}");
    assert_eq!(remove_sentinels(&text, prefix, sentinel.len()), "<b>x</b>");
}

#[test]
fn truncation_respects_char_boundaries() {
    let mut text = "aé".to_owned();
    assert!(truncate_at_char_boundary(&mut text, 2));
    assert_eq!(text, "a");
    assert!(!truncate_at_char_boundary(&mut text, 2));
}
