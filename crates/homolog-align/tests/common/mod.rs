//! Helpers shared by the integration tests (each test crate uses a part of them).
#![allow(dead_code)]

/// Deterministic xorshift generator, so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// `len` residues.
    pub fn seq(&mut self, alphabet: &[u8], len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
    /// 0 to `max` residues.
    pub fn seq_0_to(&mut self, alphabet: &[u8], max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        self.seq(alphabet, len)
    }
    /// 1 to `max` residues.
    pub fn seq_upto(&mut self, alphabet: &[u8], max: usize) -> Vec<u8> {
        let len = 1 + self.below(max);
        self.seq(alphabet, len)
    }
    /// A mutated copy of `s` (substitutions, insertions, deletions), so pairs are related.
    pub fn mutate(&mut self, s: &[u8], alphabet: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len() + 8);
        for &c in s {
            match self.below(20) {
                0..=2 => out.push(alphabet[self.below(alphabet.len())]),
                3 => {}
                4 => {
                    out.push(c);
                    let k = self.below(4);
                    out.extend((0..k).map(|_| alphabet[self.below(alphabet.len())]));
                }
                _ => out.push(c),
            }
        }
        out
    }
}
