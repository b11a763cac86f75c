//! Sniffing cases: real binary, broken-but-text HTML, and HTML without a label.

use super::*;

#[test]
fn random_bytes_are_binary() {
    let mut state: u32 = 12345;
    let bytes: Vec<u8> = (0..2048)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 16) as u8
        })
        .collect();
    assert!(looks_binary(&bytes));
    assert!(looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"));
}

#[test]
fn html_with_a_few_nuls_is_text() {
    let mut page = b"<html><body><p>nul\x00byte</p><img alt=a\x00b>".to_vec();
    page.extend_from_slice(&[b'x'; 100]);
    assert!(!looks_binary(&page));
    assert!(!looks_binary(b""));
    assert!(!looks_binary("plain ✓ text\r\n\ttab".as_bytes()));
}

#[test]
fn utf16_with_bom_is_text() {
    assert!(!looks_binary(b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00"));
    assert!(looks_binary(b"\xef\xbb\xbf\x00\x01\x02"));
}

#[test]
fn html_openings_are_recognised() {
    assert!(looks_like_html(b"  \n<!DOCTYPE HTML><html>"));
    assert!(looks_like_html(b"\xef\xbb\xbf<html lang=en>"));
    assert!(looks_like_html(b"<p>hi</p>"));
    assert!(looks_like_html(b"<!---->"));
    assert!(!looks_like_html(b"<pre>x</pre>"));
    assert!(!looks_like_html(b"{\"json\": true}"));
    assert!(!looks_like_html(b"<html"));
    assert!(!looks_like_html(b""));
}

#[test]
fn binary_data_bytes_are_exactly_the_whatwg_set() {
    for byte in 0..=u8::MAX {
        let whatwg = matches!(byte, 0x00..=0x08 | 0x0b | 0x0e..=0x1a | 0x1c..=0x1f);
        assert_eq!(
            count_binary_data_bytes(&[byte]) == 1,
            whatwg,
            "byte {byte:#04x}"
        );
    }
}

#[test]
fn one_binary_byte_in_32_makes_a_body_binary_and_fewer_do_not() {
    let with_every = |every: usize| -> Vec<u8> {
        (0..1024)
            .map(|index| if index % every == 0 { 0x01 } else { b'a' })
            .collect()
    };
    // 32 of the 1,024 bytes sampled, then 31.
    assert!(looks_binary(&with_every(32)));
    assert!(!looks_binary(&with_every(34)));
    // Tab, newlines, form feed and escape are text.
    assert!(!looks_binary(&b"\t\n\x0c\r\x1b".repeat(200)));
}
