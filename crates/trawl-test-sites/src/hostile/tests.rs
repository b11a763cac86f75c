//! Checks the hand-assembled compressed bodies byte by byte, since a wrong
//! bit there would make the fetcher tests pass for the wrong reason.

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::time::Instant;

use super::*;

fn assemble(bomb: &Bomb) -> Vec<u8> {
    let mut bytes = bomb.head.to_vec();
    for _ in 0..bomb.segment_count {
        bytes.extend_from_slice(&bomb.repeated_segment);
    }
    bytes.extend_from_slice(&bomb.tail);
    bytes
}

#[test]
fn small_gzip_bomb_decodes_to_zeros_with_a_valid_trailer() {
    let bomb = build_gzip_bomb(3);
    let mut decoded = Vec::new();
    // GzDecoder checks the CRC-32 and size trailer: a wrong one is an error.
    flate2::read::GzDecoder::new(&assemble(&bomb)[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded.len(), 3 * BOMB_SEGMENT_BYTES);
    assert!(decoded.iter().all(|byte| *byte == 0));
}

#[test]
fn full_gzip_bomb_is_small_on_the_wire_and_quick_to_build() {
    let started = Instant::now();
    let bomb = build_gzip_bomb(BOMB_DECODED_BYTES / BOMB_SEGMENT_BYTES as u64);
    assert!(
        started.elapsed().as_secs_f64() < 1.0,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(bomb.segment_count, 1024);
    let wire_bytes = bomb.head.len() + bomb.repeated_segment.len() * 1024 + bomb.tail.len();
    assert!(wire_bytes < 2 << 20, "{wire_bytes}");
}

#[test]
fn zstd_bomb_is_rle_blocks_summing_to_one_gib() {
    let bomb = zstd_bomb();
    assert_eq!(&bomb.head[..], &[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]);
    // 128 KiB << 3 | RLE (0b10) = 0x100002, not last.
    assert_eq!(&bomb.repeated_segment[..], &[0x02, 0x00, 0x10, 0x00]);
    assert_eq!(&bomb.tail[..], &[0x03, 0x00, 0x10, 0x00]);
    assert_eq!(
        (bomb.segment_count + 1) * ZSTD_BLOCK_BYTES,
        BOMB_DECODED_BYTES
    );
}

#[test]
fn zstd_raw_frame_has_one_last_raw_block() {
    let frame = zstd_raw_frame(b"abc");
    // 3 << 3 | raw (0) | last (1) = 0x19.
    assert_eq!(
        &frame[..],
        &[
            0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38, 0x19, 0x00, 0x00, b'a', b'b', b'c'
        ]
    );
}

#[test]
fn brotli_stored_stream_layout() {
    // MLEN-1 = 2 at bit 4, ISUNCOMPRESSED at bit 20: 0x100020.
    assert_eq!(
        &brotli_stored(b"abc")[..],
        &[0x20, 0x00, 0x10, b'a', b'b', b'c', 0x03]
    );
    assert_eq!(&brotli_stored(b"")[..], &[0b110]);
}

#[test]
fn calendar_links_to_neighbour_months_across_years() {
    let response = calendar_page("2024/01");
    assert_eq!(response.status(), 200);
    assert_eq!(calendar_page("2024/13").status(), 404);
    assert_eq!(calendar_page("2024").status(), 404);
    assert_eq!(calendar_page("x/01").status(), 404);
}

#[test]
fn query_params_are_found_by_exact_name() {
    assert_eq!(query_param("n=3&key=abc", "key"), Some("abc"));
    assert_eq!(query_param("n=3&key=abc", "n"), Some("3"));
    assert_eq!(query_param("nn=3", "n"), None);
    assert_eq!(query_param("flag", "flag"), Some(""));
    assert_eq!(query_u64("bytes=12x", "bytes"), None);
}

#[test]
fn huge_robots_puts_the_late_rule_past_500_kib() {
    let text = std::str::from_utf8(huge_robots()).unwrap();
    let late_rule_offset = text.find("Disallow: /late").unwrap();
    assert!(late_rule_offset > 500 * 1024, "{late_rule_offset}");
    assert!(text.len() <= HUGE_ROBOTS_BYTES && text.len() > HUGE_ROBOTS_BYTES - 100);
    assert!(text.starts_with("User-agent: *\nDisallow: /early\n"));
}

#[test]
fn long_url_page_links_to_a_one_mib_path() {
    let page = std::str::from_utf8(long_url_page()).unwrap();
    let start = page.find("href=\"").unwrap() + "href=\"".len();
    let end = start + page[start..].find('"').unwrap();
    assert_eq!(end - start, LONG_URL_PATH_BYTES);
}
