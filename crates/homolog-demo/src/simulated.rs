//! Seeded simulated protein families, their GO annotations and a random ontology: what the
//! tests use when they need a reference with known structure, built in milliseconds.
//!
//! What makes embedding-based annotation transfer work is simulated directly: proteins that
//! descend from a common ancestor (a *family*) share functions. Each family gets a random
//! ancestral sequence and a few GO terms per aspect; its members are mutated copies
//! (substitutions and short indels) that inherit the family's terms. Some members are held out
//! as queries, with their true annotations written separately.
//!
//! Everything is a pure function of [`DemoSpec`] (including its seed): the same spec always
//! writes byte-identical files.
//!
//! ```
//! use homolog_demo::{write_demo, DemoSpec};
//!
//! let spec = DemoSpec { families: 3, members_per_family: 4, ..DemoSpec::default() };
//! let dir = tempfile::tempdir()?;
//! let files = write_demo(&spec, dir.path())?;
//! // One member of each family is held out as a query, with its true terms.
//! assert_eq!((files.n_reference, files.n_queries), (9, 3));
//! let first = std::fs::read(&files.reference_fasta)?;
//! let again = write_demo(&spec, &dir.path().join("again"))?;
//! assert_eq!(first, std::fs::read(&again.reference_fasta)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::DemoError;

/// Residues in UniProt's order of the background frequencies below.
const RESIDUES: &[u8; 20] = b"ARNDCQEGHILKMFPSTWYV";
/// Approximate UniProtKB/Swiss-Prot amino-acid composition (percent), same order as `RESIDUES`.
const BACKGROUND: [f64; 20] = [
    8.25, 5.53, 4.06, 5.45, 1.37, 3.93, 6.75, 7.07, 2.27, 5.96, 9.66, 5.84, 2.42, 3.86, 4.70, 6.56,
    5.34, 1.08, 2.92, 6.87,
];
const EVIDENCE: [&str; 8] = ["EXP", "IDA", "IPI", "IMP", "IGI", "IEP", "TAS", "IC"];
const ASPECTS: [(char, &str, &str); 3] = [
    ('P', "biological_process", "GO:0008150"),
    ('F', "molecular_function", "GO:0003674"),
    ('C', "cellular_component", "GO:0005575"),
];

/// What to simulate. `Default` gives a data set that builds and annotates in seconds.
#[derive(Debug, Clone)]
pub struct DemoSpec {
    pub seed: u64,
    pub families: usize,
    pub members_per_family: usize,
    /// Members of each family held out as queries (taken from the end of the family).
    pub held_out_per_family: usize,
    pub min_length: usize,
    pub max_length: usize,
    /// Fraction of positions substituted between a member and its family ancestor.
    pub divergence: f64,
    /// Ontology terms per aspect (a random tree under the aspect's root).
    pub terms_per_aspect: usize,
    /// GO terms a family carries in each aspect.
    pub family_terms_per_aspect: usize,
}

impl Default for DemoSpec {
    fn default() -> Self {
        Self {
            seed: 20240601,
            families: 80,
            members_per_family: 8,
            held_out_per_family: 1,
            min_length: 120,
            max_length: 450,
            divergence: 0.35,
            terms_per_aspect: 120,
            family_terms_per_aspect: 2,
        }
    }
}

/// Paths of the files [`write_demo`] produced.
#[derive(Debug, Clone)]
pub struct DemoFiles {
    pub reference_fasta: PathBuf,
    pub reference_annotations: PathBuf,
    pub ontology: PathBuf,
    pub queries_fasta: PathBuf,
    pub queries_truth: PathBuf,
    pub n_reference: usize,
    pub n_queries: usize,
    pub n_truth: usize,
}

struct Family {
    terms: Vec<(char, String)>,
}

/// Simulates the data set described by `spec` and writes it into `dir` (created if needed).
///
/// Files: `reference.fasta`, `reference_annotations.tsv` (accession, GO id, aspect, evidence),
/// `go.obo`, `queries.fasta` and `queries_truth.tsv` (query, GO id, aspect).
pub fn write_demo(spec: &DemoSpec, dir: &Path) -> Result<DemoFiles, DemoError> {
    if spec.families == 0
        || spec.members_per_family <= spec.held_out_per_family
        || spec.min_length == 0
        || spec.min_length > spec.max_length
        || spec.terms_per_aspect < spec.family_terms_per_aspect
        || !(0.0..1.0).contains(&spec.divergence)
    {
        return Err(DemoError::Spec(format!(
            "need families > 0, members_per_family > held_out_per_family, 0 < min_length <= max_length, \
             terms_per_aspect >= family_terms_per_aspect and 0 <= divergence < 1; got {spec:?}"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let background = WeightedIndex::new(BACKGROUND).expect("static weights are valid");

    let (obo, leaves) = simulate_ontology(spec, &mut rng);

    let families: Vec<Family> = (0..spec.families)
        .map(|_| {
            let mut terms = Vec::new();
            for (aspect, _, _) in ASPECTS {
                let pool = &leaves[&aspect];
                let mut chosen: Vec<&String> = Vec::new();
                while chosen.len() < spec.family_terms_per_aspect.min(pool.len()) {
                    let t = &pool[rng.random_range(0..pool.len())];
                    if !chosen.contains(&t) {
                        chosen.push(t);
                    }
                }
                terms.extend(chosen.into_iter().map(|t| (aspect, t.clone())));
            }
            Family { terms }
        })
        .collect();

    let mut reference_fasta = String::new();
    let mut reference_annotations = String::new();
    let mut queries_fasta = String::new();
    let mut queries_truth = String::from("query\tgo_id\taspect\n");
    let (mut n_reference, mut n_queries, mut n_truth) = (0, 0, 0);

    for (f, family) in families.iter().enumerate() {
        let len = rng.random_range(spec.min_length..=spec.max_length);
        let ancestor: Vec<u8> = (0..len)
            .map(|_| RESIDUES[background.sample(&mut rng)])
            .collect();
        for m in 0..spec.members_per_family {
            let seq = mutate(&ancestor, spec.divergence, &background, &mut rng);
            let held_out = m >= spec.members_per_family - spec.held_out_per_family;
            if held_out {
                let id = format!("DQ{f:03}{m:02}");
                push_fasta(
                    &mut queries_fasta,
                    &id,
                    &format!("demo query, family {f}"),
                    &seq,
                );
                for (aspect, term) in &family.terms {
                    let _ = writeln!(queries_truth, "{id}\t{term}\t{aspect}");
                    n_truth += 1;
                }
                n_queries += 1;
            } else {
                let id = format!("DR{f:03}{m:02}");
                push_fasta(
                    &mut reference_fasta,
                    &id,
                    &format!("demo family {f} member {m}"),
                    &seq,
                );
                for (aspect, term) in &family.terms {
                    // Real annotation tables are incomplete: each member misses a term now and then.
                    if rng.random_bool(0.85) {
                        let ev = EVIDENCE[rng.random_range(0..EVIDENCE.len())];
                        let _ = writeln!(reference_annotations, "{id}\t{term}\t{aspect}\t{ev}");
                    }
                }
                // ...and carries an electronic annotation that an experimental filter must drop.
                let (aspect, term) = &family.terms[0];
                let _ = writeln!(reference_annotations, "{id}\t{term}\t{aspect}\tIEA");
                n_reference += 1;
            }
        }
    }

    fs::create_dir_all(dir).map_err(|source| DemoError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = DemoFiles {
        reference_fasta: dir.join("reference.fasta"),
        reference_annotations: dir.join("reference_annotations.tsv"),
        ontology: dir.join("go.obo"),
        queries_fasta: dir.join("queries.fasta"),
        queries_truth: dir.join("queries_truth.tsv"),
        n_reference,
        n_queries,
        n_truth,
    };
    let header = "accession\tgo_id\taspect\tevidence\n";
    write(&files.reference_fasta, &reference_fasta)?;
    write(
        &files.reference_annotations,
        &format!("{header}{reference_annotations}"),
    )?;
    write(&files.ontology, &obo)?;
    write(&files.queries_fasta, &queries_fasta)?;
    write(&files.queries_truth, &queries_truth)?;
    Ok(files)
}

/// A random tree of terms under each aspect root; returns the OBO text and the leaves per aspect.
fn simulate_ontology(
    spec: &DemoSpec,
    rng: &mut ChaCha8Rng,
) -> (String, std::collections::HashMap<char, Vec<String>>) {
    let mut obo = String::from(
        "format-version: 1.2\ndata-version: homolog-demo\nontology: go\n\n\
         [Typedef]\nid: part_of\nname: part of\n\n",
    );
    let mut leaves = std::collections::HashMap::new();
    let mut next_id = 9_000_000u32;
    for (aspect, namespace, root) in ASPECTS {
        let _ = writeln!(
            obo,
            "[Term]\nid: {root}\nname: {namespace}\nnamespace: {namespace}\n"
        );
        let mut ids = vec![root.to_string()];
        let mut has_child = vec![false];
        for i in 0..spec.terms_per_aspect {
            let id = format!("GO:{next_id:07}");
            next_id += 1;
            // Attach to a random earlier term, biased towards recent ones so the tree gets depth.
            let lo = ids.len().saturating_sub(12);
            let parent = rng.random_range(lo..ids.len());
            has_child[parent] = true;
            let relation = if i % 7 == 3 && parent != 0 {
                format!("relationship: part_of {} ! part of parent", ids[parent])
            } else {
                format!("is_a: {} ! parent", ids[parent])
            };
            let _ = writeln!(
                obo,
                "[Term]\nid: {id}\nname: demo {namespace} {i}\nnamespace: {namespace}\n{relation}\n"
            );
            ids.push(id);
            has_child.push(false);
        }
        let aspect_leaves: Vec<String> = ids
            .iter()
            .zip(&has_child)
            .filter(|(_, &c)| !c)
            .map(|(id, _)| id.clone())
            .collect();
        leaves.insert(aspect, aspect_leaves);
    }
    (obo, leaves)
}

/// Substitutes about `divergence` of the positions and adds a few short indels.
fn mutate(
    ancestor: &[u8],
    divergence: f64,
    background: &WeightedIndex<f64>,
    rng: &mut ChaCha8Rng,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(ancestor.len() + 8);
    for &residue in ancestor {
        let roll: f64 = rng.random();
        if roll < 0.01 {
            continue; // deletion
        }
        if roll < divergence {
            out.push(RESIDUES[background.sample(rng)]);
        } else {
            out.push(residue);
        }
        if rng.random_bool(0.01) {
            out.push(RESIDUES[background.sample(rng)]); // insertion
        }
    }
    if out.is_empty() {
        out.push(b'M');
    }
    out
}

fn push_fasta(out: &mut String, id: &str, description: &str, seq: &[u8]) {
    let _ = writeln!(out, ">{id} {description}");
    for line in seq.chunks(60) {
        out.push_str(std::str::from_utf8(line).expect("residues are ASCII"));
        out.push('\n');
    }
}

fn write(path: &Path, text: &str) -> Result<(), DemoError> {
    homolog_io::write_atomic(path, text.as_bytes()).map_err(|e| DemoError::Io {
        path: path.to_path_buf(),
        source: match e {
            homolog_io::Error::Write { source, .. } => source,
            other => io::Error::other(other),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_files_and_counts_add_up() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let spec = DemoSpec {
            families: 5,
            ..DemoSpec::default()
        };
        let fa = write_demo(&spec, a.path()).unwrap();
        write_demo(&spec, b.path()).unwrap();
        for name in [
            "reference.fasta",
            "reference_annotations.tsv",
            "go.obo",
            "queries.fasta",
        ] {
            assert_eq!(
                fs::read(a.path().join(name)).unwrap(),
                fs::read(b.path().join(name)).unwrap(),
                "{name} differs between two runs with the same seed"
            );
        }
        assert_eq!(fa.n_queries, 5);
        assert_eq!(fa.n_reference, 5 * 7);
        // Every query carries family_terms_per_aspect terms in each of the three aspects.
        assert_eq!(fa.n_truth, 5 * 3 * 2);
        let fasta = fs::read_to_string(&fa.queries_fasta).unwrap();
        assert_eq!(fasta.matches('>').count(), 5);
    }

    #[test]
    fn members_of_a_family_are_closer_than_members_of_different_families() {
        let dir = tempfile::tempdir().unwrap();
        let spec = DemoSpec {
            families: 2,
            divergence: 0.3,
            ..DemoSpec::default()
        };
        let files = write_demo(&spec, dir.path()).unwrap();
        let text = fs::read_to_string(files.reference_fasta).unwrap();
        let seqs: Vec<String> = text
            .split('>')
            .skip(1)
            .map(|r| r.lines().skip(1).collect::<String>())
            .collect();
        let identity = |a: &str, b: &str| {
            let n = a.len().min(b.len());
            a.bytes()
                .zip(b.bytes())
                .take(n)
                .filter(|(x, y)| x == y)
                .count() as f64
                / n as f64
        };
        // Without indels, members share ~ (1-d)^2 of positions; indels shift the ungapped
        // comparison, so only check the first 20 residues stay recognisably related.
        let same = identity(&seqs[0][..20], &seqs[1][..20]);
        let other = identity(&seqs[0][..20], &seqs[7][..20]);
        assert!(same > other, "same family {same} vs other family {other}");
    }

    #[test]
    fn rejects_nonsense_spec() {
        let dir = tempfile::tempdir().unwrap();
        let spec = DemoSpec {
            members_per_family: 1,
            held_out_per_family: 1,
            ..DemoSpec::default()
        };
        assert!(matches!(
            write_demo(&spec, dir.path()),
            Err(DemoError::Spec(_))
        ));
    }
}
