//! The real proteins `homolog demo` runs on: `data/demo` of the repository, compiled into the
//! binary so the demo needs neither the source tree nor a network.
//!
//! 500 Swiss-Prot proteins held out as queries, with their GO annotations as the truth, and
//! 4,489 other Swiss-Prot proteins with theirs as the reference (Swiss-Prot/GOA, January 2014),
//! plus GO basic 2021-12-15 pruned to the terms they use and those terms' ancestors. The split
//! and the pruning are made by `scripts/make_demo_data.py`; `data/README.md` gives the sources,
//! the licences and the method.

use std::path::{Path, PathBuf};

use crate::DemoError;

/// Where the data comes from, in one line for reports.
pub const PROVENANCE: &str = "UniProtKB/Swiss-Prot proteins with Swiss-Prot/GOA annotations of \
     January 2014 (CC BY 4.0), GO basic 2021-12-15 (CC BY 4.0); see data/README.md";

/// The files of `data/demo`, by name.
const FILES: [(&str, &[u8]); 5] = [
    (
        REFERENCE_FASTA,
        include_bytes!("../../../data/demo/reference.fasta.gz"),
    ),
    (
        REFERENCE_ANNOTATIONS,
        include_bytes!("../../../data/demo/reference_go.tsv.gz"),
    ),
    (
        ONTOLOGY,
        include_bytes!("../../../data/demo/go-basic-demo.obo.gz"),
    ),
    (
        QUERIES_FASTA,
        include_bytes!("../../../data/demo/queries.fasta.gz"),
    ),
    (
        QUERIES_TRUTH,
        include_bytes!("../../../data/demo/queries_go.tsv.gz"),
    ),
];

/// Reference proteins (FASTA, gzip; the header is the bare accession).
pub const REFERENCE_FASTA: &str = "reference.fasta.gz";
/// Their annotations: TSV `accession go_id aspect` with a header line, gzip.
pub const REFERENCE_ANNOTATIONS: &str = "reference_go.tsv.gz";
/// GO basic 2021-12-15 pruned to the closure of the annotated terms (OBO, gzip).
pub const ONTOLOGY: &str = "go-basic-demo.obo.gz";
/// The held-out query proteins (FASTA, gzip).
pub const QUERIES_FASTA: &str = "queries.fasta.gz";
/// Their annotations, the truth the demo scores against (same TSV layout, gzip).
pub const QUERIES_TRUTH: &str = "queries_go.tsv.gz";

/// Paths of the files [`write_swissprot_demo`] wrote.
#[derive(Debug, Clone)]
pub struct SwissProtDemo {
    pub reference_fasta: PathBuf,
    pub reference_annotations: PathBuf,
    pub ontology: PathBuf,
    pub queries_fasta: PathBuf,
    pub queries_truth: PathBuf,
}

/// The embedded bytes of one file of `data/demo` (one of the constants above).
pub fn embedded(name: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Writes the shipped data set into `dir` (created if needed), each file atomically and
/// unchanged (still gzip: every reader of homolog takes gzip).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let files = homolog_demo::write_swissprot_demo(dir.path())?;
/// let bytes = std::fs::read(&files.queries_fasta)?;
/// assert_eq!(&bytes[..2], b"\x1f\x8b"); // gzip
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_swissprot_demo(dir: &Path) -> Result<SwissProtDemo, DemoError> {
    std::fs::create_dir_all(dir).map_err(|source| DemoError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for (name, bytes) in FILES {
        homolog_io::write_atomic(dir.join(name), bytes)?;
    }
    Ok(SwissProtDemo {
        reference_fasta: dir.join(REFERENCE_FASTA),
        reference_annotations: dir.join(REFERENCE_ANNOTATIONS),
        ontology: dir.join(ONTOLOGY),
        queries_fasta: dir.join(QUERIES_FASTA),
        queries_truth: dir.join(QUERIES_TRUTH),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn lines(name: &str) -> Vec<String> {
        let bytes = embedded(name).unwrap();
        let mut reader = homolog_io::Lines::from_reader(bytes, name).unwrap();
        assert!(reader.is_gzip(), "{name} is not gzip");
        let mut out = Vec::new();
        while let Some((_, l)) = reader.next_line().unwrap() {
            out.push(l.to_string());
        }
        out
    }

    /// accession -> sequence.
    fn fasta(name: &str) -> HashMap<String, String> {
        let mut out: HashMap<String, String> = HashMap::new();
        let mut id = String::new();
        for l in lines(name) {
            if let Some(h) = l.strip_prefix('>') {
                id = h.split_whitespace().next().unwrap().to_string();
                assert!(
                    out.insert(id.clone(), String::new()).is_none(),
                    "{id} twice"
                );
            } else {
                out.get_mut(&id).unwrap().push_str(l.trim());
            }
        }
        out
    }

    /// accession -> GO ids, checking the header and the three columns.
    fn annotations(name: &str) -> HashMap<String, HashSet<String>> {
        let all = lines(name);
        assert_eq!(all[0], "accession\tgo_id\taspect", "{name}");
        let mut out: HashMap<String, HashSet<String>> = HashMap::new();
        for l in &all[1..] {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "{name}: {l}");
            assert!(
                f[1].starts_with("GO:") && ["P", "F", "C"].contains(&f[2]),
                "{l}"
            );
            out.entry(f[0].to_string())
                .or_default()
                .insert(f[1].to_string());
        }
        out
    }

    #[test]
    fn the_split_is_clean_and_every_protein_has_annotations() {
        let queries = fasta(QUERIES_FASTA);
        let reference = fasta(REFERENCE_FASTA);
        assert_eq!((queries.len(), reference.len()), (500, 4489));
        let truth = annotations(QUERIES_TRUTH);
        let ref_go = annotations(REFERENCE_ANNOTATIONS);
        let keys = |m: &HashMap<String, HashSet<String>>| m.keys().cloned().collect::<HashSet<_>>();
        assert_eq!(keys(&truth), queries.keys().cloned().collect());
        assert_eq!(keys(&ref_go), reference.keys().cloned().collect());
        // Held out means held out: no query accession and no query sequence in the reference.
        let ref_seqs: HashSet<&String> = reference.values().collect();
        for (acc, seq) in &queries {
            assert!(!reference.contains_key(acc), "{acc} in both");
            assert!(
                !ref_seqs.contains(seq),
                "{acc}'s sequence is in the reference"
            );
        }
    }

    #[test]
    fn written_files_equal_the_shipped_ones() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_swissprot_demo(&dir.path().join("data")).unwrap();
        for (path, name) in [
            (&files.reference_fasta, REFERENCE_FASTA),
            (&files.reference_annotations, REFERENCE_ANNOTATIONS),
            (&files.ontology, ONTOLOGY),
            (&files.queries_fasta, QUERIES_FASTA),
            (&files.queries_truth, QUERIES_TRUTH),
        ] {
            assert_eq!(std::fs::read(path).unwrap(), embedded(name).unwrap());
            let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/demo")
                .join(name);
            assert_eq!(std::fs::read(shipped).unwrap(), embedded(name).unwrap());
        }
        // Writing again over the same folder works (a re-run of the demo).
        write_swissprot_demo(&dir.path().join("data")).unwrap();
    }
}
