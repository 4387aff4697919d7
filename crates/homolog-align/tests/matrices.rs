//! The NCBI matrix files shipped in HOMOLOG_DATA parse, and NCBI's BLOSUM62 agrees with the
//! embedded parasail BLOSUM62 on the 20 standard amino acids (they differ only in B/Z/X/J).

use std::path::PathBuf;

use homolog_align::{global, local, Scoring, SubstitutionMatrix};

fn matrices_dir() -> Option<PathBuf> {
    homolog_testkit::data_file("matrices")
}

const STANDARD: &[u8] = b"ARNDCQEGHILKMFPSTWYV";

#[test]
fn all_ncbi_matrices_parse() {
    let Some(dir) = matrices_dir() else { return };
    for name in [
        "BLOSUM45", "BLOSUM50", "BLOSUM62", "BLOSUM80", "BLOSUM90", "PAM30", "PAM70", "PAM250",
    ] {
        let m = SubstitutionMatrix::from_ncbi_file(dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.name(), name.to_lowercase());
        assert_eq!(m.size(), 25, "{name}: 24 residues + '*'");
        assert_eq!(m.fallback(), b'X');
        for &a in m.symbols() {
            for &b in m.symbols() {
                assert_eq!(
                    m.score(a, b),
                    m.score(b, a),
                    "{name} {} {}",
                    a as char,
                    b as char
                );
            }
        }
    }
}

#[test]
fn ncbi_blosum62_matches_parasail_on_standard_residues() {
    let Some(dir) = matrices_dir() else { return };
    let ncbi = SubstitutionMatrix::from_ncbi_file(dir.join("BLOSUM62")).unwrap();
    let embedded = SubstitutionMatrix::blosum62();
    for &a in STANDARD {
        for &b in STANDARD {
            assert_eq!(
                ncbi.score(a, b),
                embedded.score(a, b),
                "{} {}",
                a as char,
                b as char
            );
        }
    }
    // Known differences outside the standard 20 (why the embedded table exists).
    assert_eq!(ncbi.score(b'N', b'B'), 4);
    assert_eq!(embedded.score(b'N', b'B'), 3);
    assert_eq!(ncbi.score(b'J', b'I'), 3);
    assert_eq!(embedded.score(b'J', b'I'), -4); // J is not in parasail's table: '*'
    let q = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ";
    let r = "MKTAYIAKQRQISFVKSHFSRQDLLEERLGLIEVQAPILSR";
    let a = Scoring {
        matrix: ncbi,
        ..Scoring::default()
    };
    let b = Scoring::default();
    assert_eq!(global(q, r, &a), global(q, r, &b));
    assert_eq!(local(q, r, &a), local(q, r, &b));
}

#[test]
fn missing_matrix_file_is_a_clear_error() {
    let e = SubstitutionMatrix::from_ncbi_file("/nonexistent/BLOSUM62").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("/nonexistent/BLOSUM62"), "{msg}");
}
