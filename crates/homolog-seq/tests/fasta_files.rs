//! FASTA reader on files: every error kind, the lenient cases, the skip policy and the real
//! public data sets in `$HOMOLOG_DATA` (missing data is reported by homolog-testkit: a failure with HOMOLOG_REQUIRE_DATA).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use homolog_seq::fasta::{self, InvalidPolicy, ReadOptions, Record, SkipReason};
use homolog_seq::{Alphabet, SeqError};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

fn strict() -> ReadOptions {
    ReadOptions::default()
}

fn skip() -> ReadOptions {
    ReadOptions {
        on_invalid: InvalidPolicy::Skip,
        ..ReadOptions::default()
    }
}

/// Reads `bytes` from a temp file and returns the error (test fails if it reads fine).
fn error_of(bytes: &[u8], options: ReadOptions) -> (SeqError, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "in.fa", bytes);
    match fasta::read_path(&path, &options) {
        Ok(r) => panic!("expected an error, read {} records", r.records.len()),
        Err(e) => (e, path),
    }
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let err = fasta::read_path("/nonexistent/dir/q.fa", &strict()).unwrap_err();
    assert!(matches!(err, SeqError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/dir/q.fa"), "{err}");
}

#[test]
fn empty_files_are_rejected() {
    for bytes in [&b""[..], b"\n\n  \n", b"; only a comment\n", &gzip(b"")] {
        let (err, path) = error_of(bytes, skip());
        assert!(matches!(err, SeqError::Empty { .. }), "{err}");
        assert!(err.to_string().contains(&*path.to_string_lossy()));
        assert!(err.to_string().contains("no records"));
    }
}

#[test]
fn binary_files_are_rejected_with_their_line() {
    let (err, _) = error_of(b">a\nMKV\nMK\0\x01\x02", skip());
    match &err {
        SeqError::NotText { line, detail, .. } => {
            assert_eq!(*line, 3);
            assert!(detail.contains("NUL"));
        }
        other => panic!("unexpected {other}"),
    }
    let (err, _) = error_of(b">a\xff\xfe\nMKV\n", strict());
    assert!(matches!(err, SeqError::NotText { line: 1, .. }), "{err}");
    assert!(err.to_string().contains("UTF-8"));
    // A real binary format (bzip2) gets a specific hint.
    let (err, _) = error_of(b"BZh91AY&SY\x00\x01", strict());
    assert!(err.to_string().contains("bzip2"), "{err}");
}

/// A real gzip FASTA when the data is present, else a generated one.
fn some_gzip_fasta() -> Vec<u8> {
    if let Some(dir) = homolog_testkit::data_root() {
        let p = dir.join("proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz");
        if let Ok(bytes) = fs::read(p) {
            return bytes;
        }
    }
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!(">s{i}\nMKVLAAGIVGLLLAQPAMAHEHHHGGKLVWWPR\n"));
    }
    gzip(text.as_bytes())
}

#[test]
fn truncated_gzip_is_reported_as_gzip_error() {
    let whole = some_gzip_fasta();
    let cut = &whole[..whole.len() / 2];
    let (err, path) = error_of(cut, strict());
    match &err {
        SeqError::Gzip { line, .. } => assert!(*line > 1, "line {line}"),
        other => panic!("unexpected {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("truncated or corrupt") && msg.contains(&*path.to_string_lossy()));
}

#[test]
fn corrupt_gzip_is_reported_as_gzip_error() {
    let mut bytes = some_gzip_fasta();
    // Damage the deflate stream well past the header.
    let mid = bytes.len() / 3;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let (err, _) = error_of(&bytes, strict());
    assert!(matches!(err, SeqError::Gzip { .. }), "{err}");
}

#[test]
fn text_before_first_header_is_rejected() {
    let (err, _) = error_of(b"\nhello\n>a\nMK\n", skip());
    assert!(
        matches!(err, SeqError::TextBeforeHeader { line: 2, .. }),
        "{err}"
    );
    let (err, _) = error_of(b"@read1\nACGT\n+\nIIII\n", strict());
    assert!(err.to_string().contains("FASTQ"), "{err}");
}

#[test]
fn header_without_id_is_rejected_even_when_skipping() {
    for (bytes, line) in [
        (&b">\nMK\n"[..], 1),
        (b">   \nMK\n", 1),
        (b">a\nM\n>\nK\n", 3),
    ] {
        let (err, _) = error_of(bytes, skip());
        assert!(
            matches!(err, SeqError::MissingId { line: l, .. } if l == line),
            "{err}"
        );
    }
}

#[test]
fn empty_sequence_names_record_and_line() {
    let (err, _) = error_of(b">a\n>b\nMK\n", strict());
    match &err {
        SeqError::EmptySequence { id, line, .. } => assert_eq!((id.as_str(), *line), ("a", 1)),
        other => panic!("unexpected {other}"),
    }
    let (err, _) = error_of(b">a\nM\n>b desc\n\n", strict());
    assert!(
        matches!(&err, SeqError::EmptySequence { id, line: 3, .. } if id == "b"),
        "{err}"
    );
}

#[test]
fn duplicate_id_names_both_lines() {
    let (err, _) = error_of(b">a x\nM\n>b\nK\n>a y\nV\n", strict());
    match &err {
        SeqError::DuplicateId {
            id,
            line,
            first_line,
            ..
        } => assert_eq!((id.as_str(), *line, *first_line), ("a", 5, 1)),
        other => panic!("unexpected {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(":5:") && msg.contains("line 1"), "{msg}");
}

#[test]
fn invalid_residue_names_char_line_and_column() {
    let (err, _) = error_of(b">a\nMKV\nLJ#Q\n", strict());
    match &err {
        SeqError::InvalidResidue {
            id,
            ch,
            line,
            column,
            ..
        } => assert_eq!((id.as_str(), *ch, *line, *column), ("a", '#', 3, 3)),
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains(":3:3:"), "{err}");
    let (err, _) = error_of(b">aln\nMK--V\n", strict());
    assert!(err.to_string().contains("alignment"), "{err}");
    // Protein letters that are not nucleotides fail under the DNA alphabet.
    let dna = ReadOptions {
        alphabet: Alphabet::Dna,
        ..ReadOptions::default()
    };
    let (err, _) = error_of(b">r\nACGTE\n", dna);
    assert!(
        matches!(
            err,
            SeqError::InvalidResidue {
                ch: 'E',
                column: 5,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn skip_policy_collects_per_record_problems() {
    let text = b">good1\nMKV\n>empty\n>bad\nMK9\nLL\n>good1\nAAA\n>good2 d\nwww*\n>bad2\nM*K\n";
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "mixed.fa", text);
    let report = fasta::read_path(&path, &skip()).unwrap();
    let ids: Vec<&str> = report.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["good1", "good2"]);
    assert_eq!(report.records[1].sequence, "WWW");
    let skipped: Vec<(&str, usize, &SkipReason)> = report
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.line, &s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            ("empty", 3, &SkipReason::EmptySequence),
            (
                "bad",
                4,
                &SkipReason::InvalidResidue {
                    ch: '9',
                    line: 5,
                    column: 3
                }
            ),
            ("good1", 7, &SkipReason::DuplicateId { first_line: 1 }),
            (
                "bad2",
                11,
                &SkipReason::InvalidResidue {
                    ch: '*',
                    line: 12,
                    column: 2
                }
            ),
        ]
    );
    // The same file fails at the first problem under the default policy.
    let err = fasta::read_path(&path, &strict()).unwrap_err();
    assert!(
        matches!(err, SeqError::EmptySequence { line: 3, .. }),
        "{err}"
    );
}

#[test]
fn skipped_last_record_still_ends_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "x.fa", b">a\nMK\n>b\n");
    let report = fasta::read_path(&path, &skip()).unwrap();
    assert_eq!(report.records.len(), 1);
    assert_eq!(report.skipped.len(), 1);
}

#[test]
fn lenient_input_reads_the_same_plain_and_gzip() {
    let text = b"; comment\r\n\r\n>sp|P1|A_HUMAN Protein one\r\nmkvLL\r\naaGG*\r\n\r\n>x2\nXMKU ZOBJ\n>x3\nMKVLLAAGGMKVLLAAGGMKVLLAAGGMKVLLAAGGMKVLLAAGGMKVLLAAGGMKVLLAAGGMKVLLAAGG\n";
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "a.fa", text);
    // Name says plain, content is gzip: detection is by magic bytes.
    let gz = write(dir.path(), "b.fa", &gzip(text));
    let a = fasta::read_path(&plain, &strict()).unwrap();
    let b = fasta::read_path(&gz, &strict()).unwrap();
    assert_eq!(a, b);
    assert!(a.skipped.is_empty());
    let got: Vec<(&str, &str, &str, usize)> = a
        .records
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.description.as_str(),
                r.sequence.as_str(),
                r.line,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("sp|P1|A_HUMAN", "Protein one", "MKVLLAAGG", 3),
            ("x2", "", "XMKUZOBJ", 7),
            ("x3", "", &*"MKVLLAAGG".repeat(8), 9),
        ]
    );
}

#[test]
fn write_path_is_atomic_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.fa");
    let records = vec![
        Record {
            id: "sp|Q1|X".into(),
            description: "first one".into(),
            sequence: "M".repeat(121),
            line: 0,
        },
        Record::new("two", "KV"),
    ];
    fasta::write_path(&out, &records).unwrap();
    // Only the final file remains (no temporary left behind).
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["out.fa"]);
    let text = fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines().map(str::len).collect::<Vec<_>>(),
        [18, 60, 60, 1, 4, 2]
    );
    let back = fasta::read_path(&out, &strict()).unwrap();
    assert_eq!(back.records[0].sequence, records[0].sequence);
    assert_eq!(back.records[0].header(), "sp|Q1|X first one");
    assert_eq!(back.records[1].sequence, "KV");
    let err = fasta::write_path(dir.path().join("no/such/dir/x.fa"), &records).unwrap_err();
    assert!(matches!(err, SeqError::Write { .. }), "{err}");
}

#[test]
fn fantasia_test_file_reads_with_its_wrapped_headers() {
    let dir = homolog_testkit::require_data!();
    let report =
        fasta::read_path(dir.join("proteins/fantasia_test_ecoli33.fa"), &strict()).unwrap();
    assert_eq!(report.records.len(), 33);
    assert!(report.skipped.is_empty());
    let total: usize = report.records.iter().map(|r| r.sequence.len()).sum();
    assert_eq!(total, 8851);
    assert_eq!(report.records[0].id, "sp|A0A385XJL2|YGDT_ECOLI");
    assert_eq!(report.records[32].id, "sp|P0AD27|YEJM_ECOLI");
    // Every header, including the six hard-wrapped ones, ends with its SV field.
    for r in &report.records {
        assert!(
            r.description.contains(" SV="),
            "{}: {}",
            r.id,
            r.description
        );
        assert!(r
            .description
            .starts_with(|c: char| c.is_alphanumeric() || c == '['));
    }
    let dicc = report
        .records
        .iter()
        .find(|r| r.id == "sp|P06965|DICC_ECOLI")
        .unwrap();
    assert!(dicc.sequence.starts_with("MLKTDALLYFG"));
    assert!(dicc.description.ends_with("GN=dicC PE=4 SV=1"));
    let purc = report
        .records
        .iter()
        .find(|r| r.id == "sp|P0A7D7|PUR7_ECOLI")
        .unwrap();
    assert!(
        purc.description.ends_with("GN=purC PE=1 SV=1"),
        "{}",
        purc.description
    );
    assert_eq!(purc.line, 86);
}

#[test]
fn swissprot_2014_subset_reads_5000_records() {
    let dir = homolog_testkit::require_data!();
    let path = dir.join("proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz");
    let report = fasta::read_path(&path, &strict()).unwrap();
    assert_eq!(report.records.len(), 5000);
    let total: usize = report.records.iter().map(|r| r.sequence.len()).sum();
    assert_eq!(total, 1_892_940);
    assert_eq!(report.records[0].id, "A0AF11");
    assert_eq!(report.records[4999].id, "Q9ZZ42");
    // The rare residues U/B/Z occur in this set and are kept.
    assert!(report.records.iter().any(|r| r.sequence.contains('U')));
}

#[test]
fn yeast_proteome_streams_6067_records_and_round_trips() {
    let dir = homolog_testkit::require_data!();
    let path = dir.join("proteins/yeast_UP000002311_2025-10-19.fasta.gz");
    let mut n = 0;
    let mut total = 0;
    let mut last = String::new();
    for record in fasta::Reader::from_path(&path, strict()).unwrap() {
        let record = record.unwrap();
        n += 1;
        total += record.sequence.len();
        last = record.id;
    }
    assert_eq!((n, total), (6067, 2_938_064));
    assert_eq!(last, "sp|Q9ZZX9|Q0010_YEAST");

    let report = fasta::read_path(&path, &strict()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("yeast.fa");
    fasta::write_path(&out, &report.records).unwrap();
    let back = fasta::read_path(&out, &strict()).unwrap();
    assert_eq!(back.records.len(), report.records.len());
    for (a, b) in back.records.iter().zip(&report.records) {
        assert_eq!(
            (&a.id, &a.description, &a.sequence),
            (&b.id, &b.description, &b.sequence)
        );
    }
}
