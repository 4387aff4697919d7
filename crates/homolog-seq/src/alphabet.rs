//! Residue alphabets and the per-model rare-residue mapping.
//!
//! [`Alphabet::Protein`] accepts the 20 standard amino acids plus the IUPAC extras
//! `U` (selenocysteine), `O` (pyrrolysine), `B` (D/N), `Z` (E/Q), `J` (I/L) and `X` (unknown);
//! all occur in real UniProt entries (together they are exactly the 26 Latin letters). A stop `*` is only accepted as the very last character of a
//! record and is dropped by the FASTA reader (it is not a residue).
//!
//! [`Alphabet::Dna`] accepts `ACGTN` and the IUPAC ambiguity codes `RYKMSWBDHV`. `U` is accepted
//! and read as `T`, so RNA input works with DNA models (their vocabularies have no `U`); this is
//! the one place where the FASTA reader changes a residue. Gaps (`-`, `.`) are rejected by both
//! alphabets: they mean the file is an alignment, and embedding a gapped sequence is wrong.

use std::fmt;
use std::str::FromStr;

/// Which residues a sequence may contain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// Amino acids: `ACDEFGHIKLMNPQRSTVWY` + `UZOBXJ`.
    #[default]
    Protein,
    /// Nucleotides: `ACGTN` + IUPAC `RYKMSWBDHV`; `U` is read as `T`.
    Dna,
}

/// What to do with the rare amino acids `U Z O B` before a model sees them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RareResidues {
    /// Leave the sequence unchanged (ESM-2, Ankh).
    #[default]
    Keep,
    /// Map `U Z O B` to `X` (the ProtT5/ProstT5 preprocessing).
    ToX,
}

const PROTEIN: &str = "ACDEFGHIKLMNPQRSTVWYUZOBXJ";
const DNA: &str = "ACGTNRYKMSWBDHV";

impl Alphabet {
    /// The accepted upper-case residue letters, for messages.
    pub fn residues(self) -> &'static str {
        match self {
            Alphabet::Protein => PROTEIN,
            Alphabet::Dna => DNA,
        }
    }

    /// Lower-case name (`protein`, `dna`), as accepted by [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            Alphabet::Protein => "protein",
            Alphabet::Dna => "dna",
        }
    }

    /// The residue a character stands for in this alphabet (upper-cased, `U` -> `T` for DNA),
    /// or `None` when the character is not a residue. `*` is not a residue here.
    pub fn normalize(self, c: char) -> Option<char> {
        let up = c.to_ascii_uppercase();
        match self {
            // The 20 standard letters plus UZOBXJ are exactly the 26 Latin letters.
            Alphabet::Protein if up.is_ascii_uppercase() => Some(up),
            Alphabet::Dna => match up {
                'U' => Some('T'),
                'A' | 'C' | 'G' | 'T' | 'N' | 'R' | 'Y' | 'K' | 'M' | 'S' | 'W' | 'B' | 'D'
                | 'H' | 'V' => Some(up),
                _ => None,
            },
            _ => None,
        }
    }

    /// A hint for an invalid character, used in error messages.
    pub(crate) fn hint_for(self, c: char) -> String {
        if c == '-' || c == '.' {
            return "gap characters mean this is an alignment; remove the gaps (e.g. `tr -d '-.'` \
                    on the sequence lines) before using it"
                .to_string();
        }
        if c == '*' {
            return "a stop '*' is only allowed as the last character of a record; split the \
                    record or remove the '*'"
                .to_string();
        }
        format!(
            "valid {} residues are {}{}; fix the record, remove it, or read with the skip policy",
            self.name(),
            self.residues(),
            match self {
                Alphabet::Protein => " (any case; one trailing '*' is dropped)",
                Alphabet::Dna => " and U (read as T), any case",
            }
        )
    }
}

impl fmt::Display for Alphabet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an unknown alphabet name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown alphabet {0:?}: use \"protein\" or \"dna\"")]
pub struct UnknownAlphabet(pub String);

impl FromStr for Alphabet {
    type Err = UnknownAlphabet;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "protein" | "aa" | "amino" => Ok(Alphabet::Protein),
            "dna" | "nucleotide" | "nt" => Ok(Alphabet::Dna),
            _ => Err(UnknownAlphabet(s.to_string())),
        }
    }
}

/// Applies the rare-residue policy: with [`RareResidues::ToX`], `U Z O B` (either case) become
/// `X`; with [`RareResidues::Keep`] the sequence is returned unchanged.
///
/// ```
/// use homolog_seq::alphabet::{map_rare, RareResidues};
/// assert_eq!(map_rare("MUZOBK", RareResidues::ToX), "MXXXXK");
/// assert_eq!(map_rare("MUZOBK", RareResidues::Keep), "MUZOBK");
/// ```
pub fn map_rare(seq: &str, mode: RareResidues) -> String {
    match mode {
        RareResidues::Keep => seq.to_string(),
        RareResidues::ToX => seq
            .chars()
            .map(|c| match c {
                'U' | 'Z' | 'O' | 'B' | 'u' | 'z' | 'o' | 'b' => 'X',
                other => other,
            })
            .collect(),
    }
}

/// The first character of `seq` that is not a residue of `alphabet`, as
/// `(0-based char index, char)`; `None` when the whole sequence is valid. Useful to check
/// sequences that did not come through the FASTA reader (e.g. from a database).
pub fn first_invalid(seq: &str, alphabet: Alphabet) -> Option<(usize, char)> {
    seq.chars()
        .enumerate()
        .find(|&(_, c)| alphabet.normalize(c).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protein_accepts_standard_and_extras_in_any_case() {
        for c in "ACDEFGHIKLMNPQRSTVWYUZOBXJ".chars() {
            assert_eq!(Alphabet::Protein.normalize(c), Some(c));
            assert_eq!(Alphabet::Protein.normalize(c.to_ascii_lowercase()), Some(c));
        }
        for c in ['*', '-', '.', '1', ' ', 'é', '\0'] {
            assert_eq!(Alphabet::Protein.normalize(c), None, "{c:?}");
        }
    }

    #[test]
    fn dna_accepts_iupac_and_reads_u_as_t() {
        assert_eq!(Alphabet::Dna.normalize('u'), Some('T'));
        assert_eq!(Alphabet::Dna.normalize('n'), Some('N'));
        assert_eq!(Alphabet::Dna.normalize('R'), Some('R'));
        for c in ['E', 'F', 'I', 'L', 'P', 'Q', 'X', 'Z', '*', '-'] {
            assert_eq!(Alphabet::Dna.normalize(c), None, "{c:?}");
        }
    }

    #[test]
    fn map_rare_only_touches_uzob() {
        assert_eq!(map_rare("ACDUZOBXJ", RareResidues::ToX), "ACDXXXXXJ");
        assert_eq!(map_rare("ub", RareResidues::ToX), "XX");
        assert_eq!(map_rare("", RareResidues::ToX), "");
    }

    #[test]
    fn first_invalid_reports_index_and_char() {
        assert_eq!(first_invalid("MKV", Alphabet::Protein), None);
        assert_eq!(first_invalid("MK1V", Alphabet::Protein), Some((2, '1')));
        assert_eq!(first_invalid("ACGU", Alphabet::Dna), None);
        assert_eq!(first_invalid("ACGE", Alphabet::Dna), Some((3, 'E')));
    }

    #[test]
    fn alphabet_names_round_trip() {
        for a in [Alphabet::Protein, Alphabet::Dna] {
            assert_eq!(a.name().parse::<Alphabet>(), Ok(a));
        }
        assert!("rna?".parse::<Alphabet>().is_err());
    }
}
