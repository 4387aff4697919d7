//! Property-style check: the readers (FASTA, reads, UniProt) return `Ok` or `Err` on arbitrary
//! bytes, never panic, and any reported line lies inside the input.

use std::io::{Cursor, Write};

use flate2::write::GzEncoder;
use flate2::Compression;
use homolog_seq::fasta::{InvalidPolicy, ReadOptions, Reader};
use homolog_seq::{reads, uniprot, Alphabet, SeqError};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes biased toward FASTA/UniProt syntax so parsing goes deep, with some junk mixed in.
fn random_input(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b">",
        b">sp|P1|X desc OS=Homo sapiens",
        b"\n",
        b"\r\n",
        b"MKV",
        b"acgu",
        b"*",
        b" ",
        b"=",
        b";",
        b"ID   X_Y  Reviewed;",
        b"AC   P1;",
        b"SQ   SEQUENCE   3 AA;",
        b"     MKV",
        b"//",
        b"DR   GO; GO:0005737; C:c; IDA:U.",
        b"OX   NCBI_TaxID=9;",
        b"\0",
        b"\xff",
        b"\xc3\xa9",
        b"\x1f\x8b",
        b"-",
        b"1",
        b"@r1 x",
        b"+",
        b"IIII",
        b"ACGT.",
    ];
    let mut out = Vec::new();
    for _ in 0..rng.below(40) {
        if rng.below(5) == 0 {
            out.push(rng.next() as u8);
        } else {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
    }
    out
}

fn check_line(err: &SeqError, input: &[u8]) {
    if let Some(line) = err.line() {
        let lines = input.iter().filter(|&&b| b == b'\n').count() + 1;
        assert!(
            line >= 1 && line <= lines.max(1) + 1,
            "line {line} of {lines}: {err}"
        );
    }
    assert!(!err.to_string().is_empty());
}

fn exercise(input: &[u8], check_lines: bool) {
    for alphabet in [Alphabet::Protein, Alphabet::Dna] {
        for on_invalid in [InvalidPolicy::Error, InvalidPolicy::Skip] {
            let options = ReadOptions {
                alphabet,
                on_invalid,
            };
            match Reader::from_reader(Cursor::new(input.to_vec()), "fuzz.fa", options) {
                Err(e) => check_line(&e, input),
                Ok(reader) => {
                    for item in reader {
                        match item {
                            Ok(r) => assert!(!r.id.is_empty() && !r.sequence.is_empty()),
                            Err(e) if check_lines => check_line(&e, input),
                            Err(_) => {}
                        }
                    }
                }
            }
        }
    }
    if let Ok(reader) = reads::Reader::from_reader(Cursor::new(input.to_vec()), "fuzz.fq") {
        for item in reader {
            match item {
                Ok(r) => assert!(!r.id.is_empty() && !r.seq.is_empty()),
                Err(e) if check_lines => check_line(&e, input),
                Err(_) => {}
            }
        }
    }
    if let Ok(reader) = uniprot::Reader::from_reader(Cursor::new(input.to_vec()), "fuzz.dat") {
        for item in reader {
            match item {
                Ok(e) => assert!(!e.accession.is_empty() && !e.sequence.is_empty()),
                Err(e) if check_lines => check_line(&e, input),
                Err(_) => {}
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let input = random_input(&mut rng);
        exercise(&input, true);
    }
}

#[test]
fn damaged_gzip_never_panics() {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    for i in 0..200 {
        write!(enc, ">s{i} d\nMKVLAAGIVGLLLAQPAMAHEHHHGG\nKLVWWPR\n").unwrap();
    }
    let good = enc.finish().unwrap();
    let mut rng = Rng(42);
    for _ in 0..300 {
        let mut bytes = good.clone();
        match rng.below(3) {
            0 => bytes.truncate(rng.below(bytes.len())),
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
            }
            _ => bytes.extend(random_input(&mut rng)),
        }
        // Decompressed line numbers are unrelated to the compressed bytes: no line check.
        exercise(&bytes, false);
    }
}
