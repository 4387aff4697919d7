//! End-to-end batches: dedup, input order, equality with `homolog_align::features`, and
//! byte-identical outputs from serial, parallel-cold and parallel-warm runs (CSV and
//! Parquet). Real pairs from the MMseqs2 example set when HOMOLOG_DATA has it, plus
//! hand-made edge cases (duplicates, swapped pairs, equal sequences under two ids).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use homolog_pairs::{
    align_batch, run, BatchOptions, CacheOptions, OutputFormat, PairCache, RunOptions,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// (id, sequence) records: hand-made ones, plus up to 60 + 60 real ones.
fn records() -> Vec<(String, String)> {
    let mut recs: Vec<(String, String)> = vec![
        ("tiny".into(), "W".into()),
        ("textbook_a".into(), "HEAGAWGHEE".into()),
        ("textbook_b".into(), "PAWHEAE".into()),
        // Same sequence as textbook_a under another id: aligned once.
        ("textbook_a_copy".into(), "HEAGAWGHEE".into()),
        ("odd".into(), "ACDUOJXBZ".into()),
    ];
    // A failure with HOMOLOG_REQUIRE_DATA when missing; hand-made pairs only otherwise.
    if let Some(ex) = homolog_testkit::data_file("proteins/mmseqs2_example") {
        for (file, take) in [("QUERY.fasta.gz", 60), ("DB.fasta.gz", 60)] {
            let rep = homolog_seq::fasta::read_path(
                ex.join(file),
                &homolog_seq::fasta::ReadOptions::default(),
            )
            .expect("example FASTA readable");
            recs.extend(
                rep.records
                    .into_iter()
                    .filter(|r| r.sequence.len() <= 800)
                    .take(take)
                    .map(|r| (r.id, r.sequence)),
            );
        }
    }
    recs
}

fn pairs_for(recs: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let n = recs.len();
    for i in 0..n {
        for k in [1, 7, 13] {
            out.push((recs[i].0.clone(), recs[(i * 31 + k) % n].0.clone()));
        }
    }
    // Duplicates, swapped order, self pairs, the copy.
    out.push(("textbook_a".into(), "textbook_b".into()));
    out.push(("textbook_a".into(), "textbook_b".into()));
    out.push(("textbook_b".into(), "textbook_a".into()));
    out.push(("textbook_a_copy".into(), "textbook_b".into()));
    out.push(("tiny".into(), "tiny".into()));
    out.push(("odd".into(), "textbook_a".into()));
    out
}

fn write_inputs(dir: &Path) -> (PathBuf, PathBuf, usize) {
    let recs = records();
    let fasta = dir.join("seqs.fasta");
    let mut f = std::fs::File::create(&fasta).unwrap();
    for (id, s) in &recs {
        writeln!(f, ">{id}\n{s}").unwrap();
    }
    let pairs = pairs_for(&recs);
    let tsv = dir.join("pairs.tsv");
    let mut f = std::fs::File::create(&tsv).unwrap();
    writeln!(f, "query\treference").unwrap();
    for (q, r) in &pairs {
        writeln!(f, "{q}\t{r}").unwrap();
    }
    (tsv, fasta, pairs.len())
}

fn run_once(
    dir: &Path,
    tsv: &Path,
    fasta: &Path,
    out: &str,
    threads: usize,
    cache: Option<&Path>,
) -> homolog_pairs::BatchReport {
    let opts = RunOptions {
        pairs: tsv.to_path_buf(),
        sequences: vec![fasta.to_path_buf()],
        out: dir.join(out),
        format: None,
        cache: cache.map(Path::to_path_buf),
        cache_options: CacheOptions::default(),
        batch: BatchOptions {
            threads,
            // Small chunks: several cache round trips even on the small test set.
            chunk: 64,
            ..BatchOptions::default()
        },
    };
    let total = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let report = run(&opts, &|n| total.store(n, Ordering::SeqCst), &|n| {
        done.fetch_add(n, Ordering::SeqCst);
    })
    .expect("run succeeds");
    assert_eq!(total.load(Ordering::SeqCst), report.unique as u64);
    assert_eq!(done.load(Ordering::SeqCst), report.unique as u64);
    report
}

#[test]
fn serial_cold_and_warm_runs_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (tsv, fasta, n) = write_inputs(dir.path());
    let cache = dir.path().join("cache/align.sqlite");
    for ext in ["csv", "parquet"] {
        let _ = std::fs::remove_file(&cache);
        let serial = run_once(dir.path(), &tsv, &fasta, &format!("serial.{ext}"), 1, None);
        let cold = run_once(
            dir.path(),
            &tsv,
            &fasta,
            &format!("cold.{ext}"),
            0,
            Some(&cache),
        );
        let warm = run_once(
            dir.path(),
            &tsv,
            &fasta,
            &format!("warm.{ext}"),
            3,
            Some(&cache),
        );
        assert_eq!(serial.pairs, n);
        assert!(serial.unique < n, "duplicates were not merged: {serial:?}");
        assert_eq!(serial.computed, serial.unique);
        assert_eq!((cold.cache_hits, cold.computed), (0, cold.unique));
        assert_eq!((warm.cache_hits, warm.computed), (warm.unique, 0));
        let read = |name: String| std::fs::read(dir.path().join(name)).unwrap();
        let s = read(format!("serial.{ext}"));
        assert_eq!(s, read(format!("cold.{ext}")), "{ext}: cold differs");
        assert_eq!(s, read(format!("warm.{ext}")), "{ext}: warm differs");
    }
    let cache = PairCache::open(&cache).unwrap();
    assert!(cache.len().unwrap() > 0);
}

#[test]
fn outputs_follow_input_order_and_equal_direct_alignment() {
    let dir = tempfile::tempdir().unwrap();
    let (tsv, fasta, n) = write_inputs(dir.path());
    run_once(dir.path(), &tsv, &fasta, "f.csv", 0, None);
    run_once(dir.path(), &tsv, &fasta, "f.parquet", 2, None);
    let recs: std::collections::HashMap<String, String> = records().into_iter().collect();
    let pairs = homolog_pairs::read_pairs(&tsv).unwrap();
    assert_eq!(pairs.len(), n);
    // CSV: header + one row per input pair, ids in input order, values = features().
    let text = std::fs::read_to_string(dir.path().join("f.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        homolog_pairs::output_columns().join(",")
    );
    let scoring = homolog_align::Scoring::default();
    for (line, p) in lines.zip(&pairs) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!((f[0], f[1]), (p.query.as_str(), p.reference.as_str()));
        let want = homolog_align::features(&recs[&p.query], &recs[&p.reference], &scoring);
        let got: Vec<f64> = f[2..].iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(got, want.values().to_vec(), "{line}");
    }
    // Parquet: same rows.
    let file = std::fs::File::open(dir.path().join("f.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = 0;
    for batch in reader {
        let batch = batch.unwrap();
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, homolog_pairs::output_columns());
        rows += batch.num_rows();
    }
    assert_eq!(rows, n);
}

#[test]
fn batch_api_handles_empty_sequences_and_reports_counts() {
    let pairs: Vec<(&[u8], &[u8])> = vec![
        (b"", b"ACD"),
        (b"ACD", b""),
        (b"", b""),
        (b"MKV", b"MKV"),
        (b"MKV", b"MKV"),
    ];
    let (vals, rep) = align_batch(&pairs, &BatchOptions::default(), None, &|_| {}).unwrap();
    assert_eq!(rep.unique, 4);
    assert_eq!(vals.len(), 5);
    assert_eq!(vals[0].features.alignment_score_nw, -12);
    assert_eq!(vals[0].features.alignment_length_sw, 0);
    assert_eq!(vals[0].features.identity_sw, 0.0);
    assert_eq!(vals[3], vals[4]);
    assert_eq!(vals[3].features.identity_nw, 1.0);
}

#[test]
fn bad_inputs_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let fasta = dir.path().join("s.fasta");
    std::fs::write(&fasta, ">a\nMKV\n>b\nMKI\n").unwrap();
    let tsv = dir.path().join("p.tsv");
    std::fs::write(&tsv, "a\tb\n# comment\na\tmissing\n").unwrap();
    let opts = RunOptions {
        pairs: tsv.clone(),
        sequences: vec![fasta.clone()],
        out: dir.path().join("o.csv"),
        format: None,
        cache: None,
        cache_options: CacheOptions::default(),
        batch: BatchOptions::default(),
    };
    let e = run(&opts, &|_| {}, &|_| {}).unwrap_err().to_string();
    assert!(e.contains("line 3") && e.contains("\"missing\""), "{e}");
    std::fs::write(&tsv, "a\tb\nonly_one_field\n").unwrap();
    let e = run(&opts, &|_| {}, &|_| {}).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("two ids"), "{e}");
    std::fs::write(&tsv, "a\tb\n").unwrap();
    let bad_out = RunOptions {
        out: dir.path().join("o.xlsx"),
        ..opts.clone()
    };
    let e = run(&bad_out, &|_| {}, &|_| {}).unwrap_err().to_string();
    assert!(e.contains(".parquet"), "{e}");
    // Explicit format overrides the extension.
    let tsv_out = RunOptions {
        out: dir.path().join("o.txt"),
        format: Some(OutputFormat::Csv),
        ..opts
    };
    run(&tsv_out, &|_| {}, &|_| {}).unwrap();
    let text = std::fs::read_to_string(dir.path().join("o.txt")).unwrap();
    assert!(text.starts_with("query,reference,identity_nw"), "{text}");
}
