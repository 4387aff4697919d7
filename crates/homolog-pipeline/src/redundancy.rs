//! FANTASIA's redundancy filter: MMseqs2 clusters the queries together with the reference
//! sequences, and a reference sequence in a query's cluster is masked from that query's
//! neighbours (the search's [`homolog_search::RowFilter::excluded_per_query`]).
//!
//! The clustering is `mmseqs easy-cluster --min-seq-id <identity> --cov-mode 1 -c <coverage>`
//! over one FASTA of every query sequence (`q<index>`) and every reference sequence row
//! (`r<row>`); short synthetic ids keep MMseqs2 away from the users' header syntax. The clusters
//! that hold a query are written to `clusters.tsv` in the experiment.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use homolog_config::RedundancySection;
use homolog_embed::h5::QueryEmbeddings;
use homolog_reference::Reference;

use crate::PipelineError;

/// The mask of one run.
#[derive(Debug, Default)]
pub(crate) struct RedundancyMask {
    /// Reference rows each query (by index in the embeddings file) may not match.
    pub per_query: Vec<Vec<u32>>,
    /// (query, reference row) pairs masked in all.
    pub masked_pairs: usize,
}

/// A member of a cluster, decoded from its synthetic id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Member {
    Query(usize),
    Reference(u32),
}

impl Member {
    fn parse(id: &str) -> Option<Member> {
        match id.split_at_checked(1)? {
            ("q", n) => n.parse().ok().map(Member::Query),
            ("r", n) => n.parse().ok().map(Member::Reference),
            _ => None,
        }
    }
}

/// Clusters `queries` with the reference's sequences and returns the mask, writing the clusters
/// that hold a query to `clusters_tsv`. `scratch` is a folder for MMseqs2's files (removed
/// afterwards).
pub(crate) fn mask(
    settings: &RedundancySection,
    reference: &Reference,
    queries: &[QueryEmbeddings],
    scratch: &Path,
    clusters_tsv: &Path,
) -> Result<RedundancyMask, PipelineError> {
    let work = tempfile::Builder::new()
        .prefix(".mmseqs-")
        .tempdir_in(scratch)
        .map_err(PipelineError::io(scratch))?;
    let fasta = work.path().join("sequences.fasta");
    write_fasta(&fasta, reference, queries)?;

    let prefix = work.path().join("clusters");
    let tmp = work.path().join("tmp");
    let threads = match settings.threads {
        0 => rayon::current_num_threads(),
        n => n,
    };
    let mut command = Command::new(&settings.mmseqs);
    command
        .arg("easy-cluster")
        .arg(&fasta)
        .arg(&prefix)
        .arg(&tmp)
        .args(["--min-seq-id", &settings.identity.to_string()])
        .args(["-c", &settings.coverage.to_string()])
        .args(["--cov-mode", "1"])
        .args(["--threads", &threads.to_string()])
        .args(["-v", "1"]);
    tracing::info!(
        "redundancy filter: MMseqs2 on {} queries + {} reference sequences (identity {}, coverage {})",
        queries.len(),
        reference.n_sequences(),
        settings.identity,
        settings.coverage
    );
    let output = command.output().map_err(|e| {
        PipelineError::Invalid(if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "redundancy filter: MMseqs2 executable {:?} not found; install MMseqs2 (Debian: \
                 apt-get install mmseqs2), set redundancy.mmseqs to its path, or set \
                 redundancy.identity: 0 to turn the filter off",
                settings.mmseqs
            )
        } else {
            format!(
                "redundancy filter: could not start {:?}: {e}",
                settings.mmseqs
            )
        })
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        return Err(PipelineError::Invalid(format!(
            "redundancy filter: `{} easy-cluster` failed ({}): {}",
            settings.mmseqs.display(),
            output.status,
            tail(&format!("{stdout}{stderr}"), 2000)
        )));
    }

    let table = work.path().join("clusters_cluster.tsv");
    let text = std::fs::read_to_string(&table).map_err(PipelineError::io(&table))?;
    // Representative -> members, in the file's order.
    let mut order: Vec<Member> = Vec::new();
    let mut members: HashMap<Member, Vec<Member>> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let parsed = line
            .split_once('\t')
            .and_then(|(r, m)| Some((Member::parse(r)?, Member::parse(m)?)));
        let Some((rep, member)) = parsed else {
            return Err(PipelineError::Invalid(format!(
                "{}:{}: expected `representative<TAB>member` with q/r ids, got {line:?}",
                table.display(),
                n + 1
            )));
        };
        members
            .entry(rep)
            .or_insert_with(|| {
                order.push(rep);
                Vec::new()
            })
            .push(member);
    }

    let mut mask = RedundancyMask {
        per_query: vec![Vec::new(); queries.len()],
        masked_pairs: 0,
    };
    let mut out = String::from("cluster\trepresentative\tkind\tmember\n");
    let name = |m: Member| match m {
        Member::Query(i) => queries[i].accession.clone(),
        Member::Reference(row) => reference_name(reference, row),
    };
    let mut cluster = 0usize;
    for rep in order {
        let list = &members[&rep];
        let refs: Vec<u32> = list
            .iter()
            .filter_map(|m| match m {
                Member::Reference(r) => Some(*r),
                Member::Query(_) => None,
            })
            .collect();
        if !list.iter().any(|m| matches!(m, Member::Query(_))) {
            continue;
        }
        cluster += 1;
        let rep_name = name(rep);
        for &m in list {
            let kind = match m {
                Member::Query(q) => {
                    mask.masked_pairs += refs.len();
                    mask.per_query[q] = refs.clone();
                    "query"
                }
                Member::Reference(_) => "reference",
            };
            out.push_str(&format!("{cluster}\t{rep_name}\t{kind}\t{}\n", name(m)));
        }
    }
    homolog_io::write_atomic(clusters_tsv, out.as_bytes())?;
    tracing::info!(
        "redundancy filter: {cluster} clusters hold a query; {} (query, reference) pairs masked",
        mask.masked_pairs
    );
    Ok(mask)
}

/// The accessions of the proteins with this reference sequence, `;`-separated.
fn reference_name(reference: &Reference, row: u32) -> String {
    reference
        .proteins_of_sequence(row as usize)
        .iter()
        .map(|&p| reference.protein(p as usize).accession.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

fn write_fasta(
    path: &Path,
    reference: &Reference,
    queries: &[QueryEmbeddings],
) -> Result<(), PipelineError> {
    let file = std::fs::File::create(path).map_err(PipelineError::io(path))?;
    let mut w = std::io::BufWriter::new(file);
    let mut write = |id: String, seq: &str| writeln!(w, ">{id}\n{seq}");
    for (i, q) in queries.iter().enumerate() {
        if q.sequence.is_empty() {
            tracing::warn!(
                "redundancy filter: query {} has no stored sequence; it is not clustered",
                q.accession
            );
            continue;
        }
        write(format!("q{i}"), &q.sequence).map_err(PipelineError::io(path))?;
    }
    for row in 0..reference.n_sequences() {
        write(format!("r{row}"), reference.sequence(row)).map_err(PipelineError::io(path))?;
    }
    w.flush().map_err(PipelineError::io(path))
}

/// The last `max` bytes of `text` (on a char boundary), for error messages.
fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_synthetic_ids() {
        assert_eq!(Member::parse("q12"), Some(Member::Query(12)));
        assert_eq!(Member::parse("r0"), Some(Member::Reference(0)));
        assert_eq!(Member::parse("x1"), None);
        assert_eq!(Member::parse("q"), None);
        assert_eq!(Member::parse(""), None);
    }

    #[test]
    fn tail_keeps_the_end_on_a_char_boundary() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ééé", 3), "é");
    }
}
