//! Deterministic numbers for the tests that generate hostile pages, without
//! a dependency: xorshift64*.

pub(crate) struct Pseudorandom(pub(crate) u64);

impl Pseudorandom {
    /// A number below `bound` (not 0).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound
    }
}
