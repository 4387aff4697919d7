//! Walks the traceback table and counts alignment statistics.
//!
//! Follows parasail's `traceback_template.c` state machine: start in the diagonal state at the
//! end cell; in the diagonal state the cell's `H` bits say whether to emit a residue pair or
//! switch to the query-gap (`E`) or reference-gap (`F`) state; in a gap state the cell's
//! `E_OPEN`/`F_OPEN` bit (read before stepping) says whether the gap opened here (back to the
//! diagonal state) or extends. Global alignments pad the remaining border with gaps; local
//! ones stop at a zero cell or the border.

use crate::kernel::{DEL, DIAG, E_OPEN, F_OPEN, INS, STATE_MASK};
use crate::matrix::SubstitutionMatrix;
use crate::AlignmentStats;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Diag,
    Ins,
    Del,
}

/// Statistics of the path through the traceback ending at (`end_query`, `end_ref`); `cell(i, j)`
/// returns the traceback byte of query row `i`, reference column `j` (the scalar and the
/// striped kernels lay the table out differently). `query`/`reference` are the raw residues (identity compares them
/// case-insensitively, like parasail), `qc`/`rc` their symbol codes (similarity uses scores).
#[allow(clippy::too_many_arguments)]
pub(crate) fn walk(
    cell: impl Fn(usize, usize) -> u8,
    end_query: usize,
    end_ref: usize,
    local: bool,
    query: &[u8],
    reference: &[u8],
    qc: &[u8],
    rc: &[u8],
    matrix: &SubstitutionMatrix,
) -> AlignmentStats {
    let mut st = AlignmentStats::default();
    let mut i = end_query as isize;
    let mut j = end_ref as isize;
    let mut state = State::Diag;
    loop {
        if i < 0 || j < 0 {
            if !local {
                // Leftover border: the rest of one sequence against gaps.
                let rest = (i.max(j) + 1) as u32;
                st.length += rest;
                if i < 0 {
                    st.query_gaps += rest;
                } else {
                    st.reference_gaps += rest;
                }
            }
            break;
        }
        let (iu, ju) = (i as usize, j as usize);
        let t = cell(iu, ju);
        match state {
            State::Diag => match t & STATE_MASK {
                DIAG => {
                    st.length += 1;
                    if query[iu].eq_ignore_ascii_case(&reference[ju]) {
                        st.identities += 1;
                        st.similarities += 1;
                    } else if matrix.score_idx(qc[iu], rc[ju]) > 0 {
                        st.similarities += 1;
                    }
                    i -= 1;
                    j -= 1;
                }
                INS => state = State::Ins,
                DEL => state = State::Del,
                _ => break, // ZERO: a local alignment starts here
            },
            State::Ins => {
                st.length += 1;
                st.query_gaps += 1;
                j -= 1;
                if t & E_OPEN != 0 {
                    state = State::Diag;
                }
            }
            State::Del => {
                st.length += 1;
                st.reference_gaps += 1;
                i -= 1;
                if t & F_OPEN != 0 {
                    state = State::Diag;
                }
            }
        }
    }
    st
}
