//! Seeded synthetic DNA references and queries for tests, doc examples and benchmarks.
//!
//! `families` random ancestor sequences; each reference is an ancestor with `mutation` of its
//! bases substituted, and its value per task is the family's value plus small noise, so a
//! correct nearest-reference predictor recovers a query's family value. Deterministic for a
//! seed: the generator is [`ChaCha8Rng`] seeded with [`SeedableRng::seed_from_u64`] ([`rng`]).

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::TaskMeta;
use super::table::ReferenceTable;

/// The seeded generator this module's data comes from.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

const BASES: [u8; 4] = *b"ACGT";

/// A random DNA sequence of `len` bases.
pub fn random_dna<R: Rng + ?Sized>(rng: &mut R, len: usize) -> String {
    (0..len)
        .map(|_| BASES[rng.random_range(0..4)] as char)
        .collect()
}

/// `seq` with a fraction `rate` of its bases substituted (each by one of the other three).
pub fn mutate<R: Rng + ?Sized>(rng: &mut R, seq: &str, rate: f64) -> String {
    seq.bytes()
        .map(|b| {
            if rng.random::<f64>() < rate {
                let base = BASES.iter().position(|&x| x == b).unwrap_or(0);
                BASES[(base + rng.random_range(1..4)) % 4] as char
            } else {
                b as char
            }
        })
        .collect()
}

/// A synthetic problem: the reference table and the family ancestors.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The reference table (two tasks: K562 expression, linear; HepG2 accessibility, log).
    pub table: ReferenceTable,
    /// Family ancestors; family `f` has value `family_value(f, task)`.
    pub ancestors: Vec<String>,
}

/// The value of family `f` for task `t`.
pub fn family_value(f: usize, t: usize) -> f64 {
    (f as f64 + 1.0) * if t == 0 { 2.0 } else { 0.5 }
}

/// Builds `families x per_family` references of length `len`.
pub fn synthetic(seed: u64, families: usize, per_family: usize, len: usize) -> Synthetic {
    let mut rng = rng(seed);
    let ancestors: Vec<String> = (0..families).map(|_| random_dna(&mut rng, len)).collect();
    let mut table = ReferenceTable {
        ids: Vec::new(),
        sequences: Vec::new(),
        tasks: vec![
            TaskMeta {
                column: "k562".into(),
                task_type: "expression".into(),
                cell_type: "K562".into(),
                species: "homo_sapiens".into(),
                scale: "linear".into(),
            },
            TaskMeta {
                column: "hepg2_atac".into(),
                task_type: "accessibility".into(),
                cell_type: "HepG2".into(),
                species: "homo_sapiens".into(),
                scale: "log".into(),
            },
        ],
        values: vec![Vec::new(), Vec::new()],
    };
    for (f, a) in ancestors.iter().enumerate() {
        for i in 0..per_family {
            table.ids.push(format!("ref_f{f}_{i}"));
            table.sequences.push(mutate(&mut rng, a, 0.08));
            for t in 0..2 {
                let noise = (rng.random::<f64>() - 0.5) * 0.1;
                table.values[t].push(family_value(f, t) + noise);
            }
        }
    }
    Synthetic { table, ancestors }
}

impl ReferenceTable {
    /// The table as TSV text with `#task` lines (the format [`ReferenceTable::load`] reads).
    pub fn to_tsv(&self) -> String {
        let mut out = String::new();
        for t in &self.tasks {
            out.push_str(&format!(
                "#task\tcolumn={}\ttype={}\tcell_type={}\tspecies={}\tscale={}\n",
                t.column, t.task_type, t.cell_type, t.species, t.scale
            ));
        }
        out.push_str("id\tsequence");
        for t in &self.tasks {
            out.push('\t');
            out.push_str(&t.column);
        }
        out.push('\n');
        for (r, id) in self.ids.iter().enumerate() {
            out.push_str(id);
            out.push('\t');
            out.push_str(&self.sequences[r]);
            for v in &self.values {
                out.push_str(&format!("\t{}", v[r]));
            }
            out.push('\n');
        }
        out
    }
}
