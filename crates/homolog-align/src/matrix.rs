//! Substitution matrices: the embedded parasail BLOSUM62 and NCBI text files.
//!
//! A matrix maps every byte to a symbol index once ([`SubstitutionMatrix::index`]), so the
//! alignment kernels work on small integer codes and never look at characters again. Lower-case
//! letters map like their upper-case forms. A byte that is not a symbol of the matrix maps to
//! the matrix's *fallback* symbol; see [`SubstitutionMatrix::fallback`] for which one.

use std::fmt;
use std::path::Path;

use crate::error::MatrixError;

/// Symbols of parasail's `parasail_blosum62`, in its row/column order.
const PARASAIL_BLOSUM62_SYMBOLS: &[u8; 24] = b"ARNDCQEGHILKMFPSTWYVBZX*";

/// parasail's `parasail_blosum62` table (the older BLOSUM62 text without `J`, as distributed
/// with parasail 2.x). It differs from NCBI's current `BLOSUM62` file in a few B/Z/X cells
/// (e.g. N/B is 3 here, 4 in NCBI's), which is why it is embedded instead of parsed: FANTASIA
/// and PROTEA score with exactly this table.
#[rustfmt::skip]
const PARASAIL_BLOSUM62: [i32; 24 * 24] = [
//   A   R   N   D   C   Q   E   G   H   I   L   K   M   F   P   S   T   W   Y   V   B   Z   X   *
     4, -1, -2, -2,  0, -1, -1,  0, -2, -1, -1, -1, -1, -2, -1,  1,  0, -3, -2,  0, -2, -1,  0, -4, // A
    -1,  5,  0, -2, -3,  1,  0, -2,  0, -3, -2,  2, -1, -3, -2, -1, -1, -3, -2, -3, -1,  0, -1, -4, // R
    -2,  0,  6,  1, -3,  0,  0,  0,  1, -3, -3,  0, -2, -3, -2,  1,  0, -4, -2, -3,  3,  0, -1, -4, // N
    -2, -2,  1,  6, -3,  0,  2, -1, -1, -3, -4, -1, -3, -3, -1,  0, -1, -4, -3, -3,  4,  1, -1, -4, // D
     0, -3, -3, -3,  9, -3, -4, -3, -3, -1, -1, -3, -1, -2, -3, -1, -1, -2, -2, -1, -3, -3, -2, -4, // C
    -1,  1,  0,  0, -3,  5,  2, -2,  0, -3, -2,  1,  0, -3, -1,  0, -1, -2, -1, -2,  0,  3, -1, -4, // Q
    -1,  0,  0,  2, -4,  2,  5, -2,  0, -3, -3,  1, -2, -3, -1,  0, -1, -3, -2, -2,  1,  4, -1, -4, // E
     0, -2,  0, -1, -3, -2, -2,  6, -2, -4, -4, -2, -3, -3, -2,  0, -2, -2, -3, -3, -1, -2, -1, -4, // G
    -2,  0,  1, -1, -3,  0,  0, -2,  8, -3, -3, -1, -2, -1, -2, -1, -2, -2,  2, -3,  0,  0, -1, -4, // H
    -1, -3, -3, -3, -1, -3, -3, -4, -3,  4,  2, -3,  1,  0, -3, -2, -1, -3, -1,  3, -3, -3, -1, -4, // I
    -1, -2, -3, -4, -1, -2, -3, -4, -3,  2,  4, -2,  2,  0, -3, -2, -1, -2, -1,  1, -4, -3, -1, -4, // L
    -1,  2,  0, -1, -3,  1,  1, -2, -1, -3, -2,  5, -1, -3, -1,  0, -1, -3, -2, -2,  0,  1, -1, -4, // K
    -1, -1, -2, -3, -1,  0, -2, -3, -2,  1,  2, -1,  5,  0, -2, -1, -1, -1, -1,  1, -3, -1, -1, -4, // M
    -2, -3, -3, -3, -2, -3, -3, -3, -1,  0,  0, -3,  0,  6, -4, -2, -2,  1,  3, -1, -3, -3, -1, -4, // F
    -1, -2, -2, -1, -3, -1, -1, -2, -2, -3, -3, -1, -2, -4,  7, -1, -1, -4, -3, -2, -2, -1, -2, -4, // P
     1, -1,  1,  0, -1,  0,  0,  0, -1, -2, -2,  0, -1, -2, -1,  4,  1, -3, -2, -2,  0,  0,  0, -4, // S
     0, -1,  0, -1, -1, -1, -1, -2, -2, -1, -1, -1, -1, -2, -1,  1,  5, -2, -2,  0, -1, -1,  0, -4, // T
    -3, -3, -4, -4, -2, -2, -3, -2, -2, -3, -2, -3, -1,  1, -4, -3, -2, 11,  2, -3, -4, -3, -2, -4, // W
    -2, -2, -2, -3, -2, -1, -2, -3,  2, -1, -1, -2, -1,  3, -3, -2, -2,  2,  7, -1, -3, -2, -1, -4, // Y
     0, -3, -3, -3, -1, -2, -2, -3, -3,  3,  1, -2,  1, -1, -2, -2,  0, -3, -1,  4, -3, -2, -1, -4, // V
    -2, -1,  3,  4, -3,  0,  1, -1,  0, -3, -4,  0, -3, -3, -2,  0, -1, -4, -3, -3,  4,  1, -1, -4, // B
    -1,  0,  0,  1, -3,  3,  4, -2,  0, -3, -3,  1, -1, -3, -1,  0, -1, -3, -2, -2,  1,  4, -1, -4, // Z
     0, -1, -1, -1, -2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -2,  0,  0, -2, -1, -1, -1, -1, -1, -4, // X
    -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4,  1, // *
];

/// A square substitution matrix over single-byte symbols.
///
/// Rows are the query residue, columns the reference residue (the standard matrices are
/// symmetric, so this only matters for hand-made asymmetric ones).
///
/// # Examples
///
/// ```
/// use homolog_align::SubstitutionMatrix;
///
/// let blosum62 = SubstitutionMatrix::blosum62();
/// assert_eq!(blosum62.score(b'W', b'W'), 11);
/// assert_eq!(blosum62.score(b'i', b'V'), 3); // case-insensitive
/// // Outside the alphabet: scored as parasail's fallback symbol `*`.
/// assert_eq!(blosum62.score(b'U', b'A'), -4);
///
/// // NCBI text format (`/usr/share/ncbi/data/BLOSUM62` and friends).
/// let text = "# toy matrix\n   A  C  X\nA  2 -1  0\nC -1  5  0\nX  0  0  0\n";
/// let toy = SubstitutionMatrix::from_ncbi("toy", text)?;
/// assert_eq!((toy.name(), toy.size(), toy.fallback()), ("toy", 3, b'X'));
/// assert_eq!(toy.score(b'C', b'C'), 5);
/// assert_eq!(toy.score(b'W', b'C'), 0); // W is read as X
/// # Ok::<(), homolog_align::MatrixError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SubstitutionMatrix {
    name: String,
    /// Upper-case symbols in header order; index = position.
    symbols: Vec<u8>,
    /// Row-major `symbols.len()^2` scores.
    scores: Vec<i32>,
    /// Symbol index of every byte (lower case and unknown bytes included).
    map: [u8; 256],
    /// Index that bytes outside the alphabet map to.
    fallback: u8,
}

impl fmt::Debug for SubstitutionMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubstitutionMatrix")
            .field("name", &self.name)
            .field("symbols", &String::from_utf8_lossy(&self.symbols))
            .field("fallback", &(self.symbols[self.fallback as usize] as char))
            .finish_non_exhaustive()
    }
}

impl Default for SubstitutionMatrix {
    fn default() -> Self {
        Self::blosum62()
    }
}

impl SubstitutionMatrix {
    /// parasail's BLOSUM62 (`parasail_blosum62`), the matrix FANTASIA and PROTEA align with.
    ///
    /// Residues outside its 24 symbols (`J`, `O`, `U`, digits, punctuation) map to `*`, exactly
    /// as parasail's `parasail_blosum_map` does: they score -4 against every residue and +1
    /// against each other. This deliberately differs from [`SubstitutionMatrix::from_ncbi`]
    /// (which maps them to `X`) so that scores equal parasail's for every input; use
    /// [`SubstitutionMatrix::with_fallback`]`(b'X')` for the `X` rule.
    pub fn blosum62() -> Self {
        let symbols = PARASAIL_BLOSUM62_SYMBOLS.to_vec();
        let fallback = 23;
        Self {
            name: "blosum62".to_string(),
            map: build_map(&symbols, fallback),
            symbols,
            scores: PARASAIL_BLOSUM62.to_vec(),
            fallback,
        }
    }

    /// Parses an NCBI-format matrix (`/usr/share/ncbi/data/BLOSUM62` and friends).
    ///
    /// Format: `#` comment lines and blank lines are ignored; the first other line lists the
    /// column symbols (one character each, whitespace separated); every following line is a
    /// row symbol followed by one integer per column. Rows may come in any order but each
    /// header symbol needs exactly one row. Symbols are case-insensitive. Residues outside the
    /// alphabet map to `X` when the matrix has it, else to `*`; a matrix with neither is
    /// rejected. `name` becomes [`SubstitutionMatrix::name`] and is used in error messages.
    pub fn from_ncbi(name: &str, text: &str) -> Result<Self, MatrixError> {
        let err = |line: usize, message: String| MatrixError::Parse {
            source_name: name.to_string(),
            line,
            message,
        };
        let mut symbols: Vec<u8> = Vec::new();
        let mut rows: Vec<Option<Vec<i32>>> = Vec::new();
        let mut header_line = 0;
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if symbols.is_empty() {
                header_line = line_no;
                for token in line.split_whitespace() {
                    let sym = single_symbol(token).ok_or_else(|| {
                        err(
                            line_no,
                            format!(
                                "header token {token:?} is not a single printable character; \
                                 the first non-comment line must list one symbol per column"
                            ),
                        )
                    })?;
                    if symbols.contains(&sym) {
                        return Err(err(
                            line_no,
                            format!("symbol '{}' appears twice in the header", sym as char),
                        ));
                    }
                    symbols.push(sym);
                }
                if symbols.len() > 255 {
                    return Err(err(
                        line_no,
                        format!("{} symbols; at most 255 are supported", symbols.len()),
                    ));
                }
                rows = vec![None; symbols.len()];
                continue;
            }
            let mut tokens = line.split_whitespace();
            let first = tokens.next().unwrap_or_default();
            let sym = single_symbol(first).ok_or_else(|| {
                err(
                    line_no,
                    format!(
                        "row label {first:?} is not a single character; each row starts with \
                         its symbol followed by the scores"
                    ),
                )
            })?;
            let pos = symbols.iter().position(|&s| s == sym).ok_or_else(|| {
                err(
                    line_no,
                    format!(
                        "row symbol '{}' is not in the header (line {header_line})",
                        sym as char
                    ),
                )
            })?;
            if rows[pos].is_some() {
                return Err(err(line_no, format!("row '{}' appears twice", sym as char)));
            }
            let mut values = Vec::with_capacity(symbols.len());
            for token in tokens {
                let v: i32 = token.parse().map_err(|_| {
                    err(
                        line_no,
                        format!("score {token:?} in row '{}' is not an integer", sym as char),
                    )
                })?;
                values.push(v);
            }
            if values.len() != symbols.len() {
                return Err(err(
                    line_no,
                    format!(
                        "row '{}' has {} scores but the header has {} symbols; each row needs \
                         one score per header symbol",
                        sym as char,
                        values.len(),
                        symbols.len()
                    ),
                ));
            }
            rows[pos] = Some(values);
        }
        if symbols.is_empty() {
            return Err(err(
                0,
                "no header line found; the file is empty or only has comments".to_string(),
            ));
        }
        let missing: String = symbols
            .iter()
            .zip(&rows)
            .filter(|(_, r)| r.is_none())
            .map(|(&s, _)| s as char)
            .collect();
        if !missing.is_empty() {
            return Err(err(
                0,
                format!("no row for header symbol(s) {missing:?}; the matrix must be square"),
            ));
        }
        let fallback = symbols
            .iter()
            .position(|&s| s == b'X')
            .or_else(|| symbols.iter().position(|&s| s == b'*'))
            .ok_or_else(|| {
                err(
                    header_line,
                    "the matrix has neither 'X' nor '*', so residues outside its alphabet \
                     cannot be scored; add an X row and column"
                        .to_string(),
                )
            })? as u8;
        let scores = rows.into_iter().flatten().flatten().collect();
        Ok(Self {
            name: name.to_string(),
            map: build_map(&symbols, fallback),
            symbols,
            scores,
            fallback,
        })
    }

    /// Reads [`SubstitutionMatrix::from_ncbi`] text from a file; the name is the file name
    /// lower-cased (so `BLOSUM62` gives `blosum62`, matching PROTEA's cache keys).
    pub fn from_ncbi_file(path: impl AsRef<Path>) -> Result<Self, MatrixError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| MatrixError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_else(|| "matrix".to_string());
        Self::from_ncbi(&name, &text).map_err(|e| match e {
            MatrixError::Parse { line, message, .. } => MatrixError::Parse {
                source_name: path.display().to_string(),
                line,
                message,
            },
            other => other,
        })
    }

    /// The same matrix with bytes outside the alphabet mapped to `symbol` instead.
    pub fn with_fallback(mut self, symbol: u8) -> Result<Self, MatrixError> {
        let up = symbol.to_ascii_uppercase();
        let pos = self
            .symbols
            .iter()
            .position(|&s| s == up)
            .ok_or_else(|| MatrixError::Parse {
                source_name: self.name.clone(),
                line: 0,
                message: format!(
                    "fallback symbol '{}' is not in the matrix alphabet {:?}",
                    symbol as char,
                    String::from_utf8_lossy(&self.symbols)
                ),
            })?;
        self.fallback = pos as u8;
        self.map = build_map(&self.symbols, self.fallback);
        Ok(self)
    }

    /// The same matrix under another name (the name goes into cache keys).
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Lower-case name, e.g. `blosum62`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The alphabet in row/column order (upper case).
    pub fn symbols(&self) -> &[u8] {
        &self.symbols
    }

    /// Number of symbols (rows = columns).
    pub fn size(&self) -> usize {
        self.symbols.len()
    }

    /// The symbol residues outside the alphabet are scored as.
    pub fn fallback(&self) -> u8 {
        self.symbols[self.fallback as usize]
    }

    /// Symbol index of a residue byte (case-insensitive; unknown bytes give the fallback).
    #[inline]
    pub fn index(&self, residue: u8) -> u8 {
        self.map[residue as usize]
    }

    /// Score of aligning query residue `a` with reference residue `b`.
    #[inline]
    pub fn score(&self, a: u8, b: u8) -> i32 {
        self.score_idx(self.index(a), self.index(b))
    }

    /// Score by symbol indices (as returned by [`SubstitutionMatrix::index`]).
    #[inline]
    pub fn score_idx(&self, a: u8, b: u8) -> i32 {
        self.scores[a as usize * self.symbols.len() + b as usize]
    }

    /// Largest absolute score, for overflow bounds.
    pub fn max_abs_score(&self) -> i32 {
        self.scores
            .iter()
            .map(|s| s.saturating_abs())
            .max()
            .unwrap_or(0)
    }

    /// Smallest score (bias of the 8-bit kernels).
    pub(crate) fn min_score(&self) -> i32 {
        self.scores.iter().copied().min().unwrap_or(0)
    }

    /// Largest score.
    pub(crate) fn max_score(&self) -> i32 {
        self.scores.iter().copied().max().unwrap_or(0)
    }

    /// Symbol indices of a sequence.
    pub fn encode(&self, seq: &[u8]) -> Vec<u8> {
        seq.iter().map(|&b| self.index(b)).collect()
    }
}

fn single_symbol(token: &str) -> Option<u8> {
    match token.as_bytes() {
        [b] if b.is_ascii_graphic() => Some(b.to_ascii_uppercase()),
        _ => None,
    }
}

fn build_map(symbols: &[u8], fallback: u8) -> [u8; 256] {
    let mut map = [fallback; 256];
    for (i, &s) in symbols.iter().enumerate() {
        map[s as usize] = i as u8;
        map[s.to_ascii_lowercase() as usize] = i as u8;
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blosum62_known_cells_and_symmetry() {
        let m = SubstitutionMatrix::blosum62();
        assert_eq!(m.score(b'W', b'W'), 11);
        assert_eq!(m.score(b'A', b'A'), 4);
        assert_eq!(m.score(b'N', b'B'), 3);
        assert_eq!(m.score(b'X', b'A'), 0);
        assert_eq!(m.score(b'*', b'*'), 1);
        for &a in m.symbols() {
            for &b in m.symbols() {
                assert_eq!(m.score(a, b), m.score(b, a), "{} {}", a as char, b as char);
            }
        }
    }

    #[test]
    fn blosum62_maps_unknown_to_star_like_parasail() {
        let m = SubstitutionMatrix::blosum62();
        assert_eq!(m.fallback(), b'*');
        assert_eq!(m.score(b'U', b'A'), -4);
        assert_eq!(m.score(b'U', b'O'), 1);
        assert_eq!(m.score(b'j', b'1'), 1);
        assert_eq!(m.score(b'a', b'W'), m.score(b'A', b'W'));
        let x = m.with_fallback(b'x').unwrap();
        assert_eq!(x.score(b'U', b'A'), 0);
    }

    #[test]
    fn parses_ncbi_text_with_comments_and_row_order() {
        let text = "# comment\n\n   A  b  X  *\nX  0 -1 -1 -4\na  4 -2  0 -4\nB -2  4 -1 -4\n*  -4 -4 -4 1\n";
        let m = SubstitutionMatrix::from_ncbi("tiny", text).unwrap();
        assert_eq!(m.symbols(), b"ABX*");
        assert_eq!(m.score(b'a', b'A'), 4);
        assert_eq!(m.score(b'B', b'b'), 4);
        assert_eq!(m.score(b'X', b'B'), -1);
        assert_eq!(m.fallback(), b'X');
        assert_eq!(m.score(b'Z', b'A'), 0); // Z -> X
        assert_eq!(m.name(), "tiny");
    }

    #[test]
    fn reports_bad_ncbi_text_with_line_numbers() {
        let short_row = "  A X\nA 1\nX 0 0\n";
        let e = SubstitutionMatrix::from_ncbi("m", short_row).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("line 2") && msg.contains("1 scores"), "{msg}");
        let bad_value = "  A X\nA 1 q\nX 0 0\n";
        let msg = SubstitutionMatrix::from_ncbi("m", bad_value)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("\"q\""), "{msg}");
        let missing = "  A X\nA 1 0\n";
        let msg = SubstitutionMatrix::from_ncbi("m", missing)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no row") && msg.contains('X'), "{msg}");
        let no_fallback = "  A C\nA 1 0\nC 0 1\n";
        assert!(SubstitutionMatrix::from_ncbi("m", no_fallback).is_err());
        assert!(SubstitutionMatrix::from_ncbi("m", "# only\n").is_err());
        assert!(SubstitutionMatrix::from_ncbi("m", "  A AA\n").is_err());
        assert!(SubstitutionMatrix::from_ncbi("m", "  A X\nA 1 0\nA 1 0\nX 0 0\n").is_err());
    }
}
