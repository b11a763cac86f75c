//! The in-memory set of URL fingerprints already queued, in front of the
//! store's frontier table: most discovered links are duplicates, and this
//! answers for them without a database round trip.
//!
//! Sized for millions of URLs: a flat hashbrown table of bare `u64`s costs
//! about 9 bytes per slot (8 for the value, 1 control byte), ~12 bytes per
//! URL at typical load.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashSet;

/// Set of URL fingerprints (see [`crate::fingerprint`]).
#[derive(Debug, Clone, Default)]
pub struct SeenSet {
    fingerprints: HashSet<u64, FingerprintHasherBuilder>,
}

impl SeenSet {
    pub fn new() -> SeenSet {
        SeenSet::default()
    }

    /// A set that holds `capacity` fingerprints before it reallocates (the
    /// engine knows the count when it restores a run from the store).
    pub fn with_capacity(capacity: usize) -> SeenSet {
        SeenSet {
            fingerprints: HashSet::with_capacity_and_hasher(capacity, FingerprintHasherBuilder),
        }
    }

    /// Adds a fingerprint; true if it was not in the set yet.
    pub fn insert(&mut self, fingerprint: u64) -> bool {
        self.fingerprints.insert(fingerprint)
    }

    pub fn contains(&self, fingerprint: u64) -> bool {
        self.fingerprints.contains(&fingerprint)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }

    /// Bytes used by the set: its table allocation plus the handle itself.
    pub fn approx_memory_bytes(&self) -> usize {
        std::mem::size_of::<SeenSet>() + self.fingerprints.allocation_size()
    }
}

impl Extend<u64> for SeenSet {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, fingerprints: I) {
        self.fingerprints.extend(fingerprints);
    }
}

impl FromIterator<u64> for SeenSet {
    fn from_iter<I: IntoIterator<Item = u64>>(fingerprints: I) -> SeenSet {
        let mut set = SeenSet::new();
        set.extend(fingerprints);
        set
    }
}

/// Builds [`FingerprintHasher`]s.
///
/// Written by hand because fingerprints are xxh3 hashes already: hashing them
/// again (SipHash, foldhash) costs time and adds nothing, and no dependency
/// offers a one-line identity hasher worth its weight. The trade-off: the
/// table's bucket index is the fingerprint's low bits, and xxh3 is unseeded,
/// so a hostile site could craft in-scope URLs whose low bits collide and
/// slow down inserts of its own URLs; it cannot corrupt the set.
#[derive(Debug, Clone, Copy, Default)]
struct FingerprintHasherBuilder;

impl BuildHasher for FingerprintHasherBuilder {
    type Hasher = FingerprintHasher;

    fn build_hasher(&self) -> FingerprintHasher {
        FingerprintHasher(0)
    }
}

/// Passes a `u64` through unchanged.
#[derive(Debug, Clone, Copy, Default)]
struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    /// Only `u64`s are ever hashed here; other input is still folded in so
    /// the hasher would stay correct (if slow) if that changed.
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }
}

#[cfg(test)]
mod tests;
