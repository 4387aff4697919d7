//! UniProt flat-file reader on the hand-made fixture (three entries: two Swiss-Prot with
//! multi-line AC/OS/SQ, one TrEMBL with evidence tags) and on damaged copies of it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use homolog_seq::uniprot::{self, GoXref};
use homolog_seq::SeqError;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/three_entries.dat")
}

fn fixture_text() -> String {
    fs::read_to_string(fixture()).unwrap()
}

fn error_of(text: &str) -> SeqError {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.dat");
    fs::write(&p, text).unwrap();
    match uniprot::read_path(&p) {
        Ok(e) => panic!("expected an error, read {} entries", e.len()),
        Err(e) => e,
    }
}

#[test]
fn reads_all_fields_of_the_fixture() {
    let entries = uniprot::read_path(fixture()).unwrap();
    assert_eq!(entries.len(), 3);

    let rs12 = &entries[0];
    assert_eq!(rs12.accession, "P0A7S3");
    assert_eq!(
        rs12.secondary_accessions,
        ["P02367", "Q2M745", "Q47600", "Q6LA91"]
    );
    assert_eq!(rs12.entry_name, "RS12_ECOLI");
    assert_eq!(
        rs12.protein_name.as_deref(),
        Some("Small ribosomal subunit protein uS12")
    );
    assert_eq!(
        rs12.organism.as_deref(),
        Some("Escherichia coli (strain K12)")
    );
    assert_eq!(rs12.taxonomy_id, Some(83333));
    assert_eq!(rs12.gene_name.as_deref(), Some("rpsL"));
    assert_eq!(rs12.sequence.len(), 124);
    assert!(rs12.sequence.starts_with("MATVNQLVRKPRARKV"));
    assert!(rs12.sequence.ends_with("KYGVKRPKA"));
    assert_eq!(rs12.line, 1);
    assert_eq!(rs12.go.len(), 5);
    assert_eq!(
        rs12.go[0],
        GoXref {
            go_id: "GO:0022627".into(),
            aspect: 'C',
            term_name: "cytosolic small ribosomal subunit".into(),
            evidence: "IDA".into(),
        }
    );
    let aspects: String = rs12.go.iter().map(|g| g.aspect).collect();
    assert_eq!(aspects, "CFFFP");
    let evidence: Vec<&str> = rs12.go.iter().map(|g| g.evidence.as_str()).collect();
    assert_eq!(evidence, ["IDA", "IDA", "IDA", "IEA", "IMP"]);

    let slyx = &entries[1];
    assert_eq!(slyx.accession, "P0A8R4");
    assert_eq!(
        slyx.organism.as_deref(),
        Some("Escherichia coli (strain K12)")
    );
    assert_eq!(slyx.gene_name.as_deref(), Some("slyX"));
    assert_eq!(
        slyx.sequence,
        "MQDLSLEARLAELESRLAFQEITIEELNVTVTAHEMEMAKLRDHLRLLTEKLKASQPSNIASQAEETPPPHY"
    );
    assert_eq!(slyx.go[0].evidence, "HDA");

    let trembl = &entries[2];
    assert_eq!(trembl.accession, "A0A385XJL2");
    assert!(trembl.secondary_accessions.is_empty());
    assert_eq!(trembl.protein_name.as_deref(), Some("Protein YgdT"));
    assert_eq!(trembl.taxonomy_id, Some(83333));
    assert_eq!(trembl.gene_name, None, "ORFNames is not a gene name");
    assert!(trembl.go.is_empty());
    assert_eq!(trembl.sequence.len(), 48);
}

#[test]
fn gzip_and_crlf_read_the_same() {
    let text = fixture_text();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("u.dat.gz");
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(text.replace('\n', "\r\n").as_bytes())
        .unwrap();
    fs::write(&gz, enc.finish().unwrap()).unwrap();
    assert_eq!(
        uniprot::read_path(&gz).unwrap(),
        uniprot::read_path(fixture()).unwrap()
    );
}

#[test]
fn streaming_reader_yields_entries_in_order() {
    let text = fixture_text();
    let reader =
        uniprot::Reader::from_reader(std::io::Cursor::new(text.into_bytes()), "mem.dat").unwrap();
    let names: Vec<String> = reader.map(|e| e.unwrap().entry_name).collect();
    assert_eq!(names, ["RS12_ECOLI", "SLYX_ECOLI", "A0A385XJL2_ECOLI"]);
}

#[test]
fn damaged_entries_are_errors_with_line_and_entry() {
    let text = fixture_text();

    // Missing final '//': truncated file.
    let cut = text.trim_end().trim_end_matches("//");
    let err = error_of(cut);
    assert!(err.to_string().contains("A0A385XJL2_ECOLI"), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");

    // A residue lost from the sequence block: length mismatch.
    let err = error_of(&text.replacen("     ASQAEETPPP HY", "     ASQAEETPPP H", 1));
    assert!(
        matches!(&err, SeqError::UniProt { id: Some(id), .. } if id == "SLYX_ECOLI"),
        "{err}"
    );
    assert!(err.to_string().contains("declares 72"), "{err}");

    // Bad OX and GO lines.
    let err = error_of(&text.replacen("NCBI_TaxID=83333;", "NCBI_TaxID=abc;", 1));
    assert_eq!(err.line(), Some(14), "{err}");
    assert!(err.to_string().contains("OX"));
    let err = error_of(&text.replacen("C:cytosol; HDA:EcoCyc.", "cytosol; HDA:EcoCyc.", 1));
    assert!(err.to_string().contains("GO cross-reference"), "{err}");

    // No AC line.
    let err = error_of(&text.replacen("AC   A0A385XJL2;\n", "", 1));
    assert!(err.to_string().contains("no AC line"), "{err}");

    // Invalid residue inside SQ.
    let err = error_of(&text.replacen("MLSTESWDNC", "MLSTES1DNC", 1));
    assert!(err.to_string().contains("'1'"), "{err}");

    // Not a .dat at all.
    let err = error_of(">sp|P1|X\nMKV\n");
    assert!(err.to_string().contains("FASTA"), "{err}");
    assert_eq!(err.line(), Some(1));

    // Empty.
    let err = error_of("\n\n");
    assert!(matches!(err, SeqError::Empty { .. }), "{err}");
}
