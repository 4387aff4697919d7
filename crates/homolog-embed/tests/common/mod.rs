//! Helpers shared by the integration tests: locating the real data and reading FASTA.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};

/// Minimal FASTA reader (plain or gzip) for tests: `(first header token, sequence)`.
pub fn read_fasta(path: &std::path::Path) -> Vec<(String, String)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for line in reader.lines() {
        let line = line.unwrap();
        let line = line.trim();
        if let Some(h) = line.strip_prefix('>') {
            out.push((
                h.split_whitespace().next().unwrap_or("").to_string(),
                String::new(),
            ));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line);
        }
    }
    out
}
