//! MPI ranks give the same assignments as the threaded run (feature `mpi`):
//! `mpirun -np 1/2/4 --oversubscribe homolog-cluster-mpi` against `cluster_shards` with
//! `comm::Local`, on shards of the CAMISIM reads (or synthetic reads when the data is absent).
#![cfg(feature = "mpi")]

use std::path::Path;
use std::process::Command;

use arrow::array::{Array, UInt32Array};
use homolog_cluster::comm::Local;
use homolog_cluster::{cluster_shards, ClusterOptions, Method};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn clusters(p: &Path) -> Vec<u32> {
    let f = std::fs::File::open(p.join("assignments.parquet")).unwrap();
    let r = ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for b in r {
        let b = b.unwrap();
        let c = b
            .column_by_name("cluster")
            .unwrap()
            .as_any()
            .downcast_ref::<UInt32Array>()
            .unwrap()
            .clone();
        out.extend(c.values().iter().copied());
        assert_eq!(c.null_count(), 0);
    }
    out
}

fn synthetic_reads(dir: &Path) -> std::path::PathBuf {
    // Three "genomes" with different base compositions, 3,000 reads of 150 bp.
    let mut s = String::new();
    let mut x = 12345u64;
    for g in 0..3 {
        for r in 0..1000 {
            s.push_str(&format!(">g{g}_r{r}\n"));
            for _ in 0..150 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let u = (x % 100) as u32;
                let gc = [30, 50, 70][g];
                let b = if u < gc / 2 {
                    'G'
                } else if u < gc {
                    'C'
                } else if u < gc + (100 - gc) / 2 {
                    'A'
                } else {
                    'T'
                };
                s.push(b);
            }
            s.push('\n');
        }
    }
    let p = dir.join("reads.fa");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn one_two_four_ranks_equal_threads() {
    let tmp = tempfile::tempdir().unwrap();
    // The real reads (a failure with HOMOLOG_REQUIRE_DATA when missing), else synthetic ones.
    let reads =
        homolog_testkit::data_file("genomes/camisim_toy_metagenome/reads.metagenome.fasta.gz")
            .unwrap_or_else(|| synthetic_reads(tmp.path()));
    let shards = tmp.path().join("shards");
    let e = homolog_embed::dna_kmer::DnaKmerEmbedder::new(Default::default()).unwrap();
    let stream = homolog_reads::ReadStream::open(&[reads.to_str().unwrap()]).unwrap();
    let opts = homolog_shards::embed::EmbedOptions {
        rows_per_shard: 2_500,
        model: "dna-kmer".into(),
        ..Default::default()
    };
    homolog_shards::embed::embed_to_shards(stream, &e, &shards, &opts, |_| {}).unwrap();

    for (method, name) in [(Method::Kmeans, "kmeans"), (Method::Lsh, "lsh")] {
        let mut o = ClusterOptions {
            input: shards.clone(),
            out: tmp.path().join(format!("threads-{name}")),
            method,
            ..Default::default()
        };
        o.kmeans.k = 10;
        o.kmeans.seed = 7;
        o.lsh.seed = 7;
        o.lsh.max_clusters = 10;
        cluster_shards(&o, &Local).unwrap();
        let want = clusters(&o.out);
        for np in [1, 2, 4] {
            let out = tmp.path().join(format!("mpi{np}-{name}"));
            let st = Command::new("mpirun")
                .args(["-np", &np.to_string(), "--oversubscribe"])
                .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
                .env("RAYON_NUM_THREADS", "1")
                .arg(env!("CARGO_BIN_EXE_homolog-cluster-mpi"))
                .args([
                    shards.to_str().unwrap(),
                    out.to_str().unwrap(),
                    name,
                    "10",
                    "7",
                ])
                .output()
                .expect("mpirun (Debian openmpi-bin) must be installed for the mpi feature");
            assert!(
                st.status.success(),
                "np {np}: {}{}",
                String::from_utf8_lossy(&st.stdout),
                String::from_utf8_lossy(&st.stderr)
            );
            assert_eq!(
                clusters(&out),
                want,
                "{name}: {np} ranks differ from the threaded run"
            );
        }
    }
}

#[test]
fn kmer_counts_over_one_and_two_ranks_equal_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let reads = synthetic_reads(tmp.path());
    let seqs: Vec<Vec<u8>> = homolog_reads::ReadStream::open(&[reads.to_str().unwrap()])
        .unwrap()
        .map(|r| r.unwrap().seq)
        .collect();
    let k = 10;
    let want = homolog_cluster::abundance::KmerCounts::count(&seqs, k).unwrap();
    let want: Vec<String> = want.nonzero().map(|(c, n)| format!("{c}\t{n}")).collect();
    assert!(want.len() > 1000);
    for np in [1, 2] {
        let out = tmp.path().join(format!("kmers{np}.tsv"));
        let st = Command::new("mpirun")
            .args(["-np", &np.to_string(), "--oversubscribe"])
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("RAYON_NUM_THREADS", "1")
            .arg(env!("CARGO_BIN_EXE_homolog-cluster-mpi"))
            .args(["kmers", reads.to_str().unwrap(), &k.to_string()])
            .arg(&out)
            .output()
            .expect("mpirun (Debian openmpi-bin) must be installed for the mpi feature");
        assert!(
            st.status.success(),
            "np {np}: {}{}",
            String::from_utf8_lossy(&st.stdout),
            String::from_utf8_lossy(&st.stderr)
        );
        let got: Vec<String> = std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(got, want, "{np} ranks");
    }
}
