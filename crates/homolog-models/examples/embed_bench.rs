//! Throughput of one model on a FASTA file, for bench/models/run.sh.
//!
//! `embed_bench KIND CHECKPOINT FASTA N BATCH MAX_LEN [MAX_TOKENS]` embeds the first N
//! sequences (prefix-truncated to MAX_LEN), sorted by length, longest first, in batches of
//! BATCH sequences (and, with MAX_TOKENS, at most that many padded tokens), at the last layer,
//! and prints one JSON line: seconds, embeddings/s, residues/s, peak RSS (MiB).

use std::io::BufRead;
use std::time::Instant;

use homolog_models::{LanguageModel, LoadOptions, ModelKind};

fn read_fasta(path: &str, n: usize, max_len: usize) -> Vec<String> {
    let file = std::fs::File::open(path).expect("open FASTA");
    let reader: Box<dyn BufRead> = if path.ends_with(".gz") {
        Box::new(std::io::BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let mut seqs: Vec<String> = vec![];
    for line in reader.lines() {
        let line = line.expect("read FASTA");
        if line.starts_with('>') {
            if seqs.len() == n {
                break;
            }
            seqs.push(String::new());
        } else if let Some(s) = seqs.last_mut() {
            s.push_str(line.trim());
        }
    }
    seqs.into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(max_len).collect::<String>().to_uppercase())
        .collect()
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 7 {
        eprintln!("usage: embed_bench KIND CHECKPOINT FASTA N BATCH MAX_LEN [MAX_TOKENS]");
        std::process::exit(2);
    }
    let kind = ModelKind::from_name(&a[1]).expect("kind: esm2, prot_t5, prost_t5, ankh3, dnabert2");
    let n: usize = a[4].parse().expect("N");
    let batch: usize = a[5].parse().expect("BATCH");
    let max_len: usize = a[6].parse().expect("MAX_LEN");
    let max_tokens: Option<usize> = a.get(7).map(|s| s.parse().expect("MAX_TOKENS"));
    let model = LanguageModel::load(kind, a[2].as_ref(), &LoadOptions::default()).expect("load");
    let mut seqs = read_fasta(&a[3], n, max_len);
    seqs.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let residues: usize = seqs.iter().map(String::len).sum();
    let t0 = Instant::now();
    let mut start = 0;
    let mut checksum = 0f64;
    while start < seqs.len() {
        let mut end = (start + batch).min(seqs.len());
        if let Some(budget) = max_tokens {
            end = end.min(start + (budget / seqs[start].len().max(1)).max(1));
        }
        let refs: Vec<&str> = seqs[start..end].iter().map(String::as_str).collect();
        let out = model.embed(&refs, &[0], false).expect("embed");
        checksum += out.iter().map(|e| f64::from(e.pooled[0][0])).sum::<f64>();
        start = end;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{{\"impl\": \"homolog\", \"kind\": \"{}\", \"n\": {}, \"residues\": {}, \"seconds\": {:.3}, \
         \"emb_per_s\": {:.2}, \"res_per_s\": {:.1}, \"peak_rss_mib\": {:.1}, \"checksum\": {:.6}}}",
        kind.name(),
        seqs.len(),
        residues,
        secs,
        seqs.len() as f64 / secs,
        residues as f64 / secs,
        homolog_io::process::peak_rss_mib(),
        checksum
    );
}
