//! Two-pass traceback in `O(sqrt(n) m)` memory: a score pass that saves the kernel's column
//! state every `k` columns, then a traceback that recomputes one block of columns at a
//! time, right to left, from those checkpoints.
//!
//! # Why checkpoints
//!
//! The statistics must be those of the very path parasail traces, not just of an optimal
//! one, and that path depends on the tie-breaking rules of the crate docs, including the
//! 8-stripe layout of the *whole* query (rule 3: where the first-pass vertical gap restarts
//! depends on `m`). Recomputing a sub-rectangle, a band or a Hirschberg split would change
//! the stripes or the values next to the path, so each would need a proof per rule. A
//! checkpoint is the complete state a kernel carries from one column to the next (`H`, the
//! scoring `E`, the traceback `E` and its open bits, per striped cell), so a block
//! recomputed from it by the same kernel produces the same bytes as the one-pass table, by
//! construction: the walk sees the same table, one block at a time.
//!
//! # Cost
//!
//! - **Score pass**: the kernel without its traceback table, plus the traceback `E` chain
//!   (one subtract, one max, one compare per vector) and a copy of four column buffers every
//!   `k` columns.
//! - **Traceback pass**: the traced kernel over the columns the path crosses, block by
//!   block: for a global alignment every column once, for a local one the columns between
//!   the start and the end cell (rounded down to a block start) only. The end cell's
//!   block is recomputed only up to the end column.
//! - **Memory**: `n / k` checkpoints of `4 s` bytes per striped row (`s` the lane size) plus
//!   one block table of `k` bytes per row; `k = sqrt(4 s n)` minimizes the sum: about
//!   `2 m sqrt(4 s n)` bytes (35,000 x 35,000 on 32-bit lanes: 52 MB instead of 1.23 GB).
//!
//! [`Traceback::Auto`] uses one pass while the full table is small and two passes above
//! (measured, `docs/align.md`).

use crate::kernel::KernelOut;
use crate::traceback::{Seqs, Walk};
use crate::AlignmentStats;

/// How traced alignments keep their traceback. Results never depend on it (tested on
/// every fixture pair, and against each other on random pairs); only memory and speed do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Traceback {
    /// [`Traceback::Full`] while the full table takes at most
    /// [`Traceback::AUTO_FULL_CELLS`] cells, else [`Traceback::TwoPass`].
    #[default]
    Auto,
    /// One pass filling a table of one byte per cell of the whole matrix.
    Full,
    /// A score pass saving the kernel state every `k` columns, then the traceback
    /// recomputed block by block (`2 m sqrt(4 s n)` bytes, `s` bytes per lane).
    TwoPass,
}

impl Traceback {
    /// Every choice, [`Traceback::Auto`] first.
    pub const ALL: [Traceback; 3] = [Traceback::Auto, Traceback::Full, Traceback::TwoPass];

    /// Largest matrix (query x reference residues) that [`Traceback::Auto`] traces in one
    /// pass: 64 Mi cells (64 MiB of table, e.g. 8,192 x 8,192 residues). Up to there one
    /// pass is faster (a two-pass global traceback recomputes every column the path
    /// crosses, all of them); above, memory is what matters.
    pub const AUTO_FULL_CELLS: usize = 1 << 26;

    /// The name used by `HOMOLOG_ALIGN_TRACEBACK`: `auto`, `full`, `two-pass`.
    pub fn name(self) -> &'static str {
        match self {
            Traceback::Auto => "auto",
            Traceback::Full => "full",
            Traceback::TwoPass => "two-pass",
        }
    }

    /// The choice named `name` (see [`Traceback::name`]; case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        Traceback::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The choice named by the environment variable `HOMOLOG_ALIGN_TRACEBACK`, else
    /// [`Traceback::Auto`]; an unknown name also means `Auto`, with a warning on stderr
    /// (once per process).
    pub fn from_env() -> Self {
        let Ok(value) = std::env::var("HOMOLOG_ALIGN_TRACEBACK") else {
            return Traceback::Auto;
        };
        Traceback::parse(&value).unwrap_or_else(|| {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                eprintln!(
                    "warning: HOMOLOG_ALIGN_TRACEBACK={value:?} is not auto, full or two-pass; \
                     using auto"
                );
            });
            Traceback::Auto
        })
    }

    /// Whether an `m x n` traced alignment takes two passes.
    pub fn is_two_pass(self, m: usize, n: usize) -> bool {
        match self {
            Traceback::Auto => m.saturating_mul(n) > Self::AUTO_FULL_CELLS,
            Traceback::Full => false,
            Traceback::TwoPass => true,
        }
    }
}

impl std::fmt::Display for Traceback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Fewest columns per block: below this the checkpoint copies cost more than the
/// recomputation they save.
const MIN_BLOCK: usize = 16;

/// Columns per block for a reference of `n` residues and a checkpoint of `state_bytes` per
/// striped row: `sqrt(state_bytes * n)`, which minimizes checkpoints plus one block table.
pub(crate) fn block_columns(state_bytes: usize, n: usize) -> usize {
    let k = (state_bytes as f64 * n as f64).sqrt().ceil() as usize;
    k.max(MIN_BLOCK).min(n.max(1))
}

/// A kernel's side of the traceback pass.
pub(crate) trait Blocks {
    /// Recomputes reference columns `c0..c1` with traceback into the block table, from
    /// the checkpoint before column `c0` (the left border when `c0` is 0); false if the
    /// kernel gave up (it never does on columns its score pass completed).
    fn recompute(&mut self, c0: usize, c1: usize, checkpoint: Option<usize>) -> bool;
    /// Traceback byte of query row `i`, reference column `j` (`c0 <= j < c1` of the last
    /// recompute).
    fn cell(&self, i: usize, j: usize) -> u8;
}

/// Walks the path ending at `out`'s end cell, recomputing blocks of `every` columns as it
/// reaches them; `None` when a recompute gave up. The score is left to the caller.
pub(crate) fn trace(
    blocks: &mut impl Blocks,
    out: &KernelOut,
    every: usize,
    s: Seqs,
) -> Option<AlignmentStats> {
    let mut w = Walk::new(out.end_query, out.end_ref);
    loop {
        let j = w.column();
        let block = j / every;
        let c0 = block * every;
        // Checkpoint `b - 1` holds the state before column `b * every`.
        if !blocks.recompute(c0, j + 1, block.checked_sub(1)) {
            return None;
        }
        if w.run(|i, jj| blocks.cell(i, jj), c0, s) {
            return Some(w.stats);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_auto_switches_on_size() {
        for t in Traceback::ALL {
            assert_eq!(Traceback::parse(t.name()), Some(t));
            assert_eq!(t.to_string(), t.name());
        }
        assert_eq!(Traceback::parse("TWO-PASS"), Some(Traceback::TwoPass));
        assert_eq!(Traceback::parse("hirschberg"), None);
        assert!(!Traceback::Auto.is_two_pass(8192, 8192));
        assert!(Traceback::Auto.is_two_pass(8193, 8192));
        assert!(Traceback::Auto.is_two_pass(35_000, 35_000));
        assert!(Traceback::TwoPass.is_two_pass(1, 1));
        assert!(!Traceback::Full.is_two_pass(35_000, 35_000));
    }

    #[test]
    fn blocks_balance_checkpoints_and_table() {
        // 32-bit lanes: 16 bytes of state per row; 35,000 columns -> 749 per block.
        assert_eq!(block_columns(16, 35_000), 749);
        assert_eq!(block_columns(4, 400), 40);
        assert_eq!(block_columns(4, 20), 16);
        assert_eq!(block_columns(4, 5), 5);
        assert_eq!(block_columns(4, 0), 1);
    }
}
