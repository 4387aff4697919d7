//! Quality on real data: the CAMISIM toy metagenome (26,664 reads from 10 genomes with a
//! per-read source table). Tetranucleotide (dna-kmer) and LSH (dna-lsh) embeddings, k-means
//! k = 10 and LSH clustering; the scores must clear floors far above a random assignment
//! (whose ARI is ~0). Values are recorded in docs/clustering.md.

use std::path::PathBuf;

use homolog_cluster::comm::Local;
use homolog_cluster::{cluster_shards, ClusterOptions, Method, Metric};
use homolog_embed::Embedder;
use homolog_shards::embed::{embed_to_shards, EmbedOptions};

fn data_dir() -> Option<PathBuf> {
    let d = std::env::var("HOMOLOG_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let p = d.join("genomes/camisim_toy_metagenome");
    if p.join("reads.metagenome.fasta.gz").exists() {
        Some(p)
    } else {
        eprintln!("skipped: data not found at {}", p.display());
        None
    }
}

fn embed(dir: &std::path::Path, e: &dyn Embedder, out: &std::path::Path) {
    let reads =
        homolog_reads::ReadStream::open(&[dir.join("reads.metagenome.fasta.gz").to_str().unwrap()])
            .unwrap();
    let opts = EmbedOptions {
        rows_per_shard: 10_000,
        model: e.name().into(),
        ..Default::default()
    };
    let m = embed_to_shards(reads, e, out, &opts, |_| {}).unwrap();
    assert_eq!(m.rows, 26_664);
    assert_eq!(m.shards.len(), 3);
}

fn run(
    shards: &std::path::Path,
    out: &std::path::Path,
    truth: &std::path::Path,
    method: Method,
    metric: Metric,
) -> homolog_cluster::metrics::Scores {
    let mut o = ClusterOptions {
        input: shards.into(),
        out: out.into(),
        method,
        truth: Some(truth.into()),
        ..Default::default()
    };
    o.kmeans.k = 10;
    o.kmeans.metric = metric;
    o.lsh.max_clusters = 10;
    let s = cluster_shards(&o, &Local).unwrap().unwrap();
    for f in [
        "assignments.parquet",
        "centroids.parquet",
        "clusters.tsv",
        "metrics.json",
        "plot.png",
        "summary.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    s.metrics.unwrap()
}

#[test]
fn camisim_tetranucleotide_and_lsh_beat_random_by_far() {
    let Some(dir) = data_dir() else { return };
    let truth = dir.join("reads_mapping.tsv.gz");
    let tmp = tempfile::tempdir().unwrap();
    let tnf = homolog_embed::dna_kmer::DnaKmerEmbedder::new(Default::default()).unwrap();
    let lsh = homolog_embed::dna_kmer::DnaLshEmbedder::new(Default::default()).unwrap();
    embed(&dir, &tnf, &tmp.path().join("tnf"));
    embed(&dir, &lsh, &tmp.path().join("lsh"));
    let mut report = Vec::new();
    for (emb, method, metric, floor_ari, floor_nmi) in [
        ("tnf", Method::Kmeans, Metric::Euclidean, 0.06, 0.18),
        ("lsh", Method::Kmeans, Metric::Euclidean, 0.045, 0.14),
        ("tnf", Method::Minibatch, Metric::Euclidean, 0.03, 0.10),
        ("tnf", Method::Lsh, Metric::Euclidean, 0.01, 0.03),
    ] {
        let out = tmp.path().join(format!("{emb}-{method:?}"));
        let m = run(&tmp.path().join(emb), &out, &truth, method, metric);
        report.push(format!(
            "{emb} {method:?}: ARI {:.4} NMI {:.4} purity {:.4} completeness {:.4}",
            m.ari, m.nmi, m.purity, m.completeness
        ));
        assert_eq!(m.labelled, 26_664);
        assert!(
            m.ari > floor_ari && m.nmi > floor_nmi,
            "{emb} {method:?}: {m:?}"
        );
        // Purity of any assignment is at least about the largest genome's share (14,190 / 26,664 = 0.532).
        assert!(m.purity >= 0.52, "{m:?}");
    }
    eprintln!("{}", report.join("\n"));
}
