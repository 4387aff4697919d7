//! `ReferenceWriter` / `write_reference`: a folder built from real data, read back with
//! `ReferenceTables::read` and its matrices, and written again is byte-identical; bad contents
//! are clear errors and leave no folder behind.

use std::fs;

use homolog_embed::ModelSettings;
use homolog_reference::*;

fn no_progress(_: &str, _: u64, _: u64) {}

/// The real yeast proteome with its 2014 GO annotations, GO basic 2021, the WoL taxdump and
/// k-mer embeddings at two layers stored as f16.
#[test]
fn rewriting_a_real_reference_is_byte_identical() {
    let data = homolog_testkit::require_data!();
    let out = tempfile::tempdir().unwrap();
    let mut spec = BuildSpec::new(
        out.path().join("built"),
        vec![data
            .join("proteins/yeast_UP000002311_2025-10-19.fasta.gz")
            .into()],
        data.join("go/go-basic_2021-12-15.obo.gz").into(),
    );
    spec.annotations = vec![data.join("proteins/yeast_UP000002311_go2014.tsv.gz").into()];
    spec.taxonomy = Some(TaxdumpSources {
        nodes: data.join("taxonomy/wol_taxdump_nodes.dmp.gz").into(),
        names: Some(data.join("taxonomy/wol_taxdump_names.dmp.gz").into()),
    });
    spec.precision = Precision::F16;
    let settings = ModelSettings {
        backend: Some("kmer".into()),
        k: Some(3),
        dim: Some(24),
        layers: vec![0, 1],
        batch_size: 512,
        ..Default::default()
    };
    let embedder = homolog_embed::registry::build("kmer", &settings).unwrap();
    let models: Vec<ModelInput> = vec![("kmer".into(), &settings, embedder.as_ref())];
    let manifest = build(&spec, &spec.path, &models, &no_progress).unwrap();
    assert!(manifest.counts.proteins > 5000 && manifest.has_taxonomy);

    let tables = ReferenceTables::read(&spec.path).unwrap();
    assert_eq!(tables.proteins.len() as u64, manifest.counts.proteins);
    assert_eq!(tables.annotation_count(), manifest.counts.annotations);
    let reference = Reference::open(&spec.path).unwrap();
    let target = out.path().join("rewritten");
    let mut writer = ReferenceWriter::create(
        &target,
        &tables,
        OntologyInput::File(&spec.path.join(ONTOLOGY_FILE)),
    )
    .unwrap();
    for entry in &manifest.matrices {
        let matrix = reference.matrix(&entry.model, entry.layer).unwrap();
        let mut rows = writer.matrix(MatrixSpec::of(entry).unwrap()).unwrap();
        for r in (0..matrix.rows()).rev() {
            rows.write_row(r, matrix.row(r)).unwrap();
        }
        writer.add_matrix(rows).unwrap();
    }
    let written = writer.commit(Provenance::of(&manifest)).unwrap();
    assert_eq!(written, manifest);
    let (a, b) = (
        homolog_testkit::file_bytes_under(&spec.path),
        homolog_testkit::file_bytes_under(&target),
    );
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs");
    }
    Reference::open(&target).unwrap();

    // Writing again over the rewritten folder replaces it; over an unrelated folder refuses.
    let again = write_reference(
        &target,
        &tables,
        OntologyInput::File(&spec.path.join(ONTOLOGY_FILE)),
        &[],
        Provenance::new("no matrices"),
    )
    .unwrap();
    assert!(again.matrices.is_empty());
    assert!(Reference::open(&target).unwrap().matrices().is_empty());
    let unrelated = out.path().join("unrelated");
    fs::create_dir(&unrelated).unwrap();
    fs::write(unrelated.join("notes.txt"), "keep me").unwrap();
    let err = ReferenceWriter::create(&unrelated, &tables, OntologyInput::Text("")).unwrap_err();
    assert!(matches!(err, ReferenceError::NotAReference { .. }), "{err}");
}

fn tiny() -> ReferenceTables {
    let seqs = ["MKTAYIAKQR".to_string(), "MSSPLKK".to_string()];
    ReferenceTables {
        proteins: ["P1", "P2", "P3"]
            .iter()
            .zip([0u32, 1, 0])
            .map(|(a, r)| Protein {
                accession: a.to_string(),
                sequence_row: r,
                taxonomy_id: None,
                organism: None,
                gene_name: None,
            })
            .collect(),
        md5s: seqs.iter().map(|s| sequence_md5(s)).collect(),
        sequences: seqs.to_vec(),
        annotations: vec![Vec::new(); 3],
        terms: Vec::new(),
        taxonomy: None,
    }
}

#[test]
fn bad_contents_are_clear_errors_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("ref");
    let check = |t: ReferenceTables, needle: &str| {
        let e = ReferenceWriter::create(&target, &t, OntologyInput::Text("")).unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    };
    let mut t = tiny();
    t.md5s[1] = "0".repeat(32);
    check(t, "md5 of sequence row 1");
    let mut t = tiny();
    t.proteins[2].accession = "P1".into();
    check(t, "accession P1 appears twice");
    let mut t = tiny();
    t.proteins[1].sequence_row = 7;
    check(t, "points at sequence row 7 of 2");
    let mut t = tiny();
    t.proteins[1].sequence_row = 0;
    check(t, "sequence row 1 belongs to no protein");
    let mut t = tiny();
    t.annotations.pop();
    check(t, "one list per protein");

    let spec = |model: &str, dim| MatrixSpec {
        model: model.into(),
        backend: "kmer".into(),
        embedding_type_id: 100,
        layer: 0,
        precision: Precision::F32,
        dim,
    };
    let mut w = ReferenceWriter::create(&target, &tiny(), OntologyInput::Text("")).unwrap();
    assert!(w.matrix(spec("../x", 2)).is_err());
    assert!(w.matrix(spec("m", 0)).is_err());
    let mut rows = w.matrix(spec("m", 2)).unwrap();
    rows.write_row(0, &[1.0, 2.0]).unwrap();
    assert!(rows.write_row(1, &[1.0]).is_err());
    assert!(rows.write_row(5, &[1.0, 2.0]).is_err());
    let e = w.add_matrix(rows).unwrap_err();
    assert!(e.to_string().contains("1 of 2 sequence rows"), "{e}");
    drop(w);
    assert!(!target.exists());
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert!(
        leftovers.is_empty(),
        "temporary folders left: {leftovers:?}"
    );

    let e = write_reference(
        &target,
        &tiny(),
        OntologyInput::Text(""),
        &[(spec("m", 2), &[1.0, 2.0, 3.0][..])],
        Provenance::new("x"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("has 3 values, expected 2"), "{e}");
}
