//! Scoring: a substitution matrix and affine gap penalties.

use crate::kernel::Params;
use crate::{AlignError, SubstitutionMatrix};

/// Substitution matrix and affine gap penalties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoring {
    /// Substitution scores.
    pub matrix: SubstitutionMatrix,
    /// Cost of the first residue of a gap (parasail's `open`).
    pub gap_open: i32,
    /// Cost of each further residue of a gap (parasail's `gap`).
    pub gap_extend: i32,
}

impl Default for Scoring {
    /// BLOSUM62 (parasail's), open 10, extend 1: FANTASIA's and PROTEA's setting.
    fn default() -> Self {
        Self {
            matrix: SubstitutionMatrix::blosum62(),
            gap_open: 10,
            gap_extend: 1,
        }
    }
}

impl Scoring {
    /// Checked constructor: penalties must be non-negative costs.
    pub fn new(
        matrix: SubstitutionMatrix,
        gap_open: i32,
        gap_extend: i32,
    ) -> Result<Self, AlignError> {
        let s = Self {
            matrix,
            gap_open,
            gap_extend,
        };
        s.validate()?;
        Ok(s)
    }

    /// Errors if a penalty is negative (the `try_*` functions call this).
    pub fn validate(&self) -> Result<(), AlignError> {
        if self.gap_open < 0 || self.gap_extend < 0 {
            return Err(AlignError::InvalidGap {
                open: self.gap_open,
                extend: self.gap_extend,
            });
        }
        Ok(())
    }

    /// `open:extend:matrix`, e.g. `10:1:blosum62`: the suffix of PROTEA's alignment cache key.
    pub fn cache_tag(&self) -> String {
        format!(
            "{}:{}:{}",
            self.gap_open,
            self.gap_extend,
            self.matrix.name()
        )
    }

    /// The penalties as the kernels take them, for stripe width `lanes`.
    pub(crate) fn params(&self, lanes: usize) -> Params {
        Params {
            open: i64::from(self.gap_open),
            extend: i64::from(self.gap_extend),
            lanes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aligner;

    #[test]
    fn scoring_validation_and_cache_tag() {
        assert_eq!(Scoring::default().cache_tag(), "10:1:blosum62");
        assert!(Scoring::new(SubstitutionMatrix::blosum62(), -1, 1).is_err());
        let bad = Scoring {
            gap_extend: -2,
            ..Scoring::default()
        };
        let mut a = Aligner::new(bad);
        let e = a.try_global("A", "A").unwrap_err();
        assert!(e.to_string().contains("extend=-2"), "{e}");
        let mut ok = Aligner::default();
        assert_eq!(ok.try_local("AW", "W").unwrap().score, 11);
        assert_eq!(ok.try_features("A", "A").unwrap().alignment_score_sw, 4);
    }
}
