//! Walks the traceback table and counts alignment statistics.
//!
//! Follows parasail's `traceback_template.c` state machine: start in the diagonal state at the
//! end cell; in the diagonal state the cell's `H` bits say whether to emit a residue pair or
//! switch to the query-gap (`E`) or reference-gap (`F`) state; in a gap state the cell's
//! `E_OPEN`/`F_OPEN` bit (read before stepping) says whether the gap opened here (back to the
//! diagonal state) or extends. Global alignments pad the remaining border with gaps; local
//! ones stop at a zero cell or the border.
//!
//! The walk can pause at a column boundary ([`Walk::run`] with `j_lo > 0`) and resume once
//! the columns to the left are in the table: the two-pass traceback ([`crate::twopass`])
//! holds one block of columns at a time.

use crate::kernel::{DEL, DIAG, E_OPEN, F_OPEN, INS, STATE_MASK};
use crate::matrix::SubstitutionMatrix;
use crate::AlignmentStats;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Diag,
    Ins,
    Del,
}

/// Sequences and matrix of the alignment being walked. `query`/`reference` are the raw
/// residues (identity compares them case-insensitively, like parasail), `qc`/`rc` their
/// symbol codes (similarity uses scores).
#[derive(Clone, Copy)]
pub(crate) struct Seqs<'a> {
    pub(crate) query: &'a [u8],
    pub(crate) reference: &'a [u8],
    pub(crate) qc: &'a [u8],
    pub(crate) rc: &'a [u8],
    pub(crate) matrix: &'a SubstitutionMatrix,
    pub(crate) local: bool,
}

/// Where a walk reads the traceback table: per cell its state (`DIAG`, `INS`, `DEL` or
/// `ZERO`) and whether the query gap (`E`) or reference gap (`F`) opened there. A walk asks
/// for one of the three per step, so a table that stores them apart decodes only that one;
/// a function returning the scalar kernel's trace byte serves all three.
pub(crate) trait Cells {
    fn state(&self, i: usize, j: usize) -> u8;
    fn e_open(&self, i: usize, j: usize) -> bool;
    fn f_open(&self, i: usize, j: usize) -> bool;
}

impl<F: Fn(usize, usize) -> u8> Cells for F {
    #[inline(always)]
    fn state(&self, i: usize, j: usize) -> u8 {
        self(i, j) & STATE_MASK
    }
    #[inline(always)]
    fn e_open(&self, i: usize, j: usize) -> bool {
        self(i, j) & E_OPEN != 0
    }
    #[inline(always)]
    fn f_open(&self, i: usize, j: usize) -> bool {
        self(i, j) & F_OPEN != 0
    }
}

/// A traceback walk in progress: the current cell, state and the statistics so far.
#[derive(Debug, Clone)]
pub(crate) struct Walk {
    i: isize,
    j: isize,
    state: State,
    pub(crate) stats: AlignmentStats,
}

impl Walk {
    /// A walk starting at the end cell in the diagonal state.
    pub(crate) fn new(end_query: usize, end_ref: usize) -> Self {
        Walk {
            i: end_query as isize,
            j: end_ref as isize,
            state: State::Diag,
            stats: AlignmentStats::default(),
        }
    }

    /// The column the walk reads next (meaningful while it is not finished).
    pub(crate) fn column(&self) -> usize {
        self.j.max(0) as usize
    }

    /// Walks while the current column is at least `j_lo`; `cells` reads the traceback of
    /// query row `i`, reference column `j` (the kernels lay the table out differently). Returns true when the alignment is finished, false when it reached
    /// column `j_lo - 1` (the caller then provides the columns to its left).
    pub(crate) fn run(&mut self, cells: impl Cells, j_lo: usize, s: Seqs) -> bool {
        // Counted in a local copy: writes through `&mut self` each step would make the
        // compiler reload what `cell` captured.
        let mut stats = self.stats;
        let st = &mut stats;
        let (mut i, mut j, mut state) = (self.i, self.j, self.state);
        let j_lo = j_lo as isize;
        let done = loop {
            if i < 0 || j < 0 {
                if !s.local {
                    // Leftover border: the rest of one sequence against gaps.
                    let rest = (i.max(j) + 1) as u32;
                    st.length += rest;
                    if i < 0 {
                        st.query_gaps += rest;
                    } else {
                        st.reference_gaps += rest;
                    }
                }
                break true;
            }
            if j < j_lo {
                break false;
            }
            let (iu, ju) = (i as usize, j as usize);
            match state {
                State::Diag => match cells.state(iu, ju) {
                    DIAG => {
                        // Counted without branches: whether a residue pair matches is
                        // close to a coin toss.
                        let same = s.query[iu].eq_ignore_ascii_case(&s.reference[ju]);
                        let similar = same | (s.matrix.score_idx(s.qc[iu], s.rc[ju]) > 0);
                        st.length += 1;
                        st.identities += u32::from(same);
                        st.similarities += u32::from(similar);
                        i -= 1;
                        j -= 1;
                    }
                    INS => state = State::Ins,
                    DEL => state = State::Del,
                    _ => break true, // ZERO: a local alignment starts here
                },
                State::Ins => {
                    st.length += 1;
                    st.query_gaps += 1;
                    if cells.e_open(iu, ju) {
                        state = State::Diag;
                    }
                    j -= 1;
                }
                State::Del => {
                    st.length += 1;
                    st.reference_gaps += 1;
                    if cells.f_open(iu, ju) {
                        state = State::Diag;
                    }
                    i -= 1;
                }
            }
        };
        (self.i, self.j, self.state) = (i, j, state);
        self.stats = stats;
        done
    }
}

/// Statistics of the path through a whole traceback table ending at (`end_query`,
/// `end_ref`); see [`Walk::run`] for `cells`.
pub(crate) fn walk(cells: impl Cells, end_query: usize, end_ref: usize, s: Seqs) -> AlignmentStats {
    let mut w = Walk::new(end_query, end_ref);
    w.run(cells, 0, s);
    w.stats
}
