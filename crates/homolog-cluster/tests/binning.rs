//! `--method ab` / `abcb` on simulated paired reads: mates always share a bin (over several
//! random samples, both methods, with and without a given number of classes), bad reads
//! (shorter than k, all N) land in the explicit unbinned cluster and are counted, unpaired
//! mates are counted, and genomes at very different abundance are separated.

use std::path::Path;

use homolog_cluster::comm::Local;
use homolog_cluster::{cluster_shards, ClusterOptions, ClusterSummary, Method};
use homolog_shards::embed::{embed_reads, EmbedReadsRequest};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn revcomp(s: &[u8]) -> Vec<u8> {
    s.iter()
        .rev()
        .map(|&b| match b {
            b'A' => b'T',
            b'C' => b'G',
            b'G' => b'C',
            _ => b'A',
        })
        .collect()
}

/// Three random 4 kb genomes at 30x, 6x and 1.5x coverage as 100 bp pairs from 250 bp
/// fragments (ids `g<j>_<i>/1`, `/2`), plus bad reads: three shorter than k, two all-N, a pair
/// whose second mate is all N, and one lonely mate. Returns the truth (id, genome).
fn write_sample(dir: &Path, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut fasta = String::new();
    let mut truth = Vec::new();
    for (j, coverage) in [30.0, 6.0, 1.5].into_iter().enumerate() {
        let genome: Vec<u8> = (0..4000).map(|_| b"ACGT"[rng.below(4) as usize]).collect();
        let pairs = (coverage * 4000.0 / 200.0) as usize;
        for i in 0..pairs {
            let start = rng.below(4000 - 250) as usize;
            let frag = &genome[start..start + 250];
            let r1 = &frag[..100];
            let r2 = revcomp(&frag[150..]);
            for (mate, seq) in [("1", r1.to_vec()), ("2", r2)] {
                let id = format!("g{j}_{i}/{mate}");
                fasta.push_str(&format!(">{id}\n{}\n", String::from_utf8(seq).unwrap()));
                truth.push((id, format!("genome{j}")));
            }
        }
    }
    for (id, seq) in [
        ("short_a", "ACGTA".to_string()),
        ("short_b", "ACGTACG".to_string()),
        ("short_c", "ACG".to_string()),
        ("alln_a", "N".repeat(100)),
        ("alln_b", "N".repeat(150)),
        (
            "halfn/1",
            "ACGTTGCATGCATGCAAATTTGGGCCCATATATCGCGAT".to_string(),
        ),
        ("halfn/2", "N".repeat(100)),
        (
            "lonely/1",
            "TTGACCGATGCAAGTCCGATCGGATCGATCGGGATTTAC".to_string(),
        ),
    ] {
        fasta.push_str(&format!(">{id}\n{seq}\n"));
    }
    std::fs::write(dir.join("reads.fa"), fasta).unwrap();
    let tsv: String = truth.iter().map(|(i, g)| format!("{i}\t{g}\n")).collect();
    std::fs::write(dir.join("truth.tsv"), tsv).unwrap();
    truth
}

/// [`write_sample`], then its reads embedded (dna-kmer) into `dir/shards`.
fn embedded_sample(dir: &Path, seed: u64) -> Vec<(String, String)> {
    let truth = write_sample(dir, seed);
    embed_reads(
        &EmbedReadsRequest {
            input: dir.join("reads.fa").to_str().unwrap().to_string(),
            out: dir.join("shards"),
            ..Default::default()
        },
        |_| {},
    )
    .unwrap();
    truth
}

/// Every `/1` read whose `/2` mate is present has its mate's bin; returns the pairs checked.
fn assert_mates_share_bins(
    labels: &[(String, u32)],
    by_id: &std::collections::HashMap<&str, u32>,
    what: &str,
) -> usize {
    let mut pairs = 0;
    for (id, c) in labels {
        if let Some(base) = id.strip_suffix("/1") {
            if let Some(mate) = by_id.get(format!("{base}/2").as_str()) {
                assert_eq!(c, mate, "{what}: {id}");
                pairs += 1;
            }
        }
    }
    pairs
}

fn labels(out: &Path) -> Vec<(String, u32)> {
    use arrow::array::{StringArray, UInt32Array};
    let f = std::fs::File::open(out.join("assignments.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let mut v = Vec::new();
    for b in reader {
        let b = b.unwrap();
        let ids = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        let cl = b.column(1).as_any().downcast_ref::<UInt32Array>().unwrap();
        for i in 0..b.num_rows() {
            v.push((ids.value(i).to_string(), cl.value(i)));
        }
    }
    v
}

fn run(dir: &Path, method: Method, classes: Option<usize>, k_auto: bool) -> ClusterSummary {
    let out = dir.join(format!("out_{method:?}_{classes:?}_{k_auto}"));
    let mut o = ClusterOptions {
        input: dir.join("shards"),
        out: out.clone(),
        method,
        truth: Some(dir.join("truth.tsv")),
        reads: Some(dir.join("reads.fa").to_str().unwrap().to_string()),
        k_auto,
        ..Default::default()
    };
    o.kmeans.k = 4;
    o.abundance.classes = classes;
    cluster_shards(&o, &Local).unwrap().unwrap()
}

#[test]
fn mates_share_a_bin_and_bad_reads_are_unbinned_and_counted() {
    for seed in 1..=4u64 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let truth = embedded_sample(dir, seed);
        let n = truth.len() + 8;
        for (method, classes, k_auto) in [
            (Method::Ab, None, false),
            (Method::Ab, Some(2), false),
            (Method::Abcb, None, true),
            (Method::Abcb, Some(3), false),
        ] {
            let s = run(dir, method, classes, k_auto);
            let what = format!("seed {seed} {method:?} classes {classes:?} auto {k_auto}");
            let ab = s.abundance.clone().expect("abundance summary");
            // Nothing lost: every read has a row and a bin; the bad ones are counted.
            assert_eq!(s.rows as usize, n, "{what}");
            let l = labels(&dir.join(format!("out_{method:?}_{classes:?}_{k_auto}")));
            assert_eq!(l.len(), n, "{what}");
            assert_eq!(ab.unbinned, 5, "{what}: 3 short + 2 all-N reads");
            assert_eq!(ab.unpaired, 1, "{what}: lonely/1");
            let unbinned = ab.unbinned_cluster.expect("an unbinned cluster");
            let by_id: std::collections::HashMap<&str, u32> =
                l.iter().map(|(i, c)| (i.as_str(), *c)).collect();
            for id in ["short_a", "short_b", "short_c", "alln_a", "alln_b"] {
                assert_eq!(by_id[id], unbinned, "{what}: {id}");
            }
            // The all-N mate follows its mate, which has k-mers.
            assert_eq!(by_id["halfn/1"], by_id["halfn/2"], "{what}");
            assert_ne!(by_id["halfn/2"], unbinned, "{what}");
            // The property: every pair shares a bin.
            assert_mates_share_bins(&l, &by_id, &what);
            // 30x / 6x / 1.5x: abundance alone separates the genomes well (random genomes
            // have no composition signal, so a fixed number of composition clusters per class
            // only splits them; that run makes no quality claim).
            let m = s.metrics.expect("scored");
            if classes.is_none() {
                assert!(m.ari > 0.6, "{what}: ARI {}", m.ari);
            }
            assert!(s.k_choice.is_some(), "{what}");
        }
    }
}

/// `--method markov`: mates share their pair's bin, reads without 6 consecutive A/C/G/T bases
/// (order 5 + 1) whose mate has none either are unbinned and counted, nothing is lost. The
/// random genomes have no composition signal, so no quality is claimed here (the CAMISIM test
/// in homolog-cli does that).
#[test]
fn markov_mates_share_a_bin_and_bad_reads_are_unbinned_and_counted() {
    for seed in 1..=2u64 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let truth = embedded_sample(dir, seed);
        let n = truth.len() + 8;
        for k_auto in [true, false] {
            let s = run(dir, Method::Markov, None, k_auto);
            let what = format!("seed {seed} markov auto {k_auto}");
            let m = s.markov.clone().expect("markov summary");
            assert_eq!(s.rows as usize, n, "{what}");
            let l = labels(&dir.join(format!("out_Markov_None_{k_auto}")));
            assert_eq!(l.len(), n, "{what}");
            // short_b (7 bases) has windows of 6; short_a (5), short_c (3) and the all-N
            // reads have none.
            assert_eq!(m.unbinned, 4, "{what}");
            assert_eq!(m.unpaired, 1, "{what}: lonely/1");
            let unbinned = m.unbinned_cluster.expect("an unbinned cluster");
            let by_id: std::collections::HashMap<&str, u32> =
                l.iter().map(|(i, c)| (i.as_str(), *c)).collect();
            for id in ["short_a", "short_c", "alln_a", "alln_b"] {
                assert_eq!(by_id[id], unbinned, "{what}: {id}");
            }
            assert_ne!(by_id["short_b"], unbinned, "{what}");
            assert_eq!(by_id["halfn/1"], by_id["halfn/2"], "{what}");
            assert_ne!(by_id["halfn/2"], unbinned, "{what}");
            assert_mates_share_bins(&l, &by_id, &what);
            if !k_auto {
                assert_eq!(m.choice.k, 4, "{what}: --k 4 given");
            }
            assert!(s.k_choice.is_some(), "{what}");
        }
    }
}

#[test]
fn pooled_mates_share_a_bin_with_kmeans_and_lsh() {
    for seed in 1..=3u64 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        embedded_sample(dir, seed);
        for method in [Method::Kmeans, Method::Lsh] {
            let out = dir.join(format!("out_{method:?}"));
            let mut o = ClusterOptions {
                input: dir.join("shards"),
                out: out.clone(),
                method,
                pool_mates: true,
                ..Default::default()
            };
            o.kmeans.k = 5;
            o.lsh.max_clusters = 5;
            cluster_shards(&o, &Local).unwrap().unwrap();
            let l = labels(&out);
            let by_id: std::collections::HashMap<&str, u32> =
                l.iter().map(|(i, c)| (i.as_str(), *c)).collect();
            let pairs = assert_mates_share_bins(&l, &by_id, &format!("seed {seed} {method:?}"));
            assert!(pairs > 100, "{pairs}");
        }
    }
}

#[test]
fn abundance_methods_need_the_reads_and_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    embedded_sample(dir, 9);
    let mut o = ClusterOptions {
        input: dir.join("shards"),
        out: dir.join("out"),
        method: Method::Ab,
        ..Default::default()
    };
    let e = cluster_shards(&o, &Local).unwrap_err().to_string();
    assert!(e.contains("--reads"), "{e}");
    // Reads that are not the shards' reads.
    std::fs::write(dir.join("other.fa"), ">x\nACGTACGTACGTAC\n").unwrap();
    o.reads = Some(dir.join("other.fa").to_str().unwrap().to_string());
    let e = cluster_shards(&o, &Local).unwrap_err().to_string();
    assert!(e.contains("is not in --reads"), "{e}");
    o.reads = Some(dir.join("reads.fa").to_str().unwrap().to_string());
    o.abundance.kmer = 20;
    let e = cluster_shards(&o, &Local).unwrap_err().to_string();
    assert!(e.contains("outside 8..=14"), "{e}");
}
