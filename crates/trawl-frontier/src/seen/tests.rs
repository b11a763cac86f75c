//! The seen-set's behaviour and its memory budget at crawl scale.
#![allow(clippy::unwrap_used)]

use url::Url;

use super::*;
use crate::{canonicalize, fingerprint};

#[test]
fn insert_reports_only_new_fingerprints() {
    let mut seen = SeenSet::new();
    assert!(seen.is_empty());
    assert!(seen.insert(42));
    assert!(!seen.insert(42));
    assert!(seen.insert(0));
    assert!(seen.insert(u64::MAX));
    assert!(seen.contains(42));
    assert!(seen.contains(0));
    assert!(!seen.contains(7));
    assert_eq!(seen.len(), 3);
}

#[test]
fn set_can_be_rebuilt_from_stored_fingerprints() {
    let seen: SeenSet = [3_u64, 1, 3, 2].into_iter().collect();
    assert_eq!(seen.len(), 3);
    let mut seen = seen;
    seen.extend([4, 1]);
    assert_eq!(seen.len(), 4);
}

#[test]
fn memory_per_url_stays_small_at_200k_urls() {
    let mut seen = SeenSet::new();
    for page in 0..200_000_u32 {
        let url = Url::parse(&format!("https://example.com/catalogue/page-{page}.html")).unwrap();
        assert!(seen.insert(fingerprint(&canonicalize(&url, false))));
    }
    assert_eq!(seen.len(), 200_000);
    let bytes_per_url = seen.approx_memory_bytes() as f64 / 200_000.0;
    // 262 144 slots of 8 bytes plus one control byte each, and 16 trailing
    // control bytes; the set is at 76% load.
    assert_eq!(
        seen.approx_memory_bytes(),
        262_144 * 9 + 16 + std::mem::size_of::<SeenSet>()
    );
    assert!(bytes_per_url <= 24.0, "{bytes_per_url} bytes per url");
}

#[test]
fn with_capacity_does_not_reallocate_up_to_capacity() {
    let mut seen = SeenSet::with_capacity(1000);
    let before = seen.approx_memory_bytes();
    for fingerprint in 0..1000_u64 {
        seen.insert(fingerprint.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
    assert_eq!(seen.approx_memory_bytes(), before);
}

#[test]
fn hasher_passes_u64_through() {
    let mut hasher = FingerprintHasherBuilder.build_hasher();
    hasher.write_u64(0xDEAD_BEEF);
    assert_eq!(hasher.finish(), 0xDEAD_BEEF);
}
