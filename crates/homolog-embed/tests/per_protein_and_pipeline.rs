//! Reading real UniProt-style per-protein HDF5 files, and the embed -> HDF5 -> read path on
//! real sequences.

mod common;

use common::read_fasta;
use homolog_embed::h5::{read_per_protein, FantasiaReader, FantasiaWriter};
use homolog_embed::{embed_sequences, registry, ModelSettings};

#[test]
fn reads_cath_and_bonsai_per_protein_files() {
    let data = homolog_testkit::require_data!();
    let cath = data.join("embeddings/cath50_seqvec/cath-db.h5");
    let reader = read_per_protein(&cath).unwrap();
    assert_eq!(reader.len(), 50);
    let all: Vec<(String, Vec<f32>)> = reader.collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 50);
    assert!(all.iter().all(|(_, v)| v.len() == 1024));
    // HDF5 name order; values checked against h5py.
    assert_eq!(all[0].0, "1ajaB00|3.40.720.10");
    let expected = [0.020_156_24f32, -0.010_669_88, -0.003_291_04];
    for (got, want) in all[0].1.iter().zip(expected) {
        assert!((got - want).abs() < 1e-7, "{got} vs {want}");
    }
    // Every key is a domain id from the matching FASTA.
    let fasta = read_fasta(&data.join("embeddings/cath50_seqvec/cath-db.fasta"));
    let ids: std::collections::HashSet<_> = fasta.iter().map(|r| r.0.as_str()).collect();
    assert!(all.iter().all(|(k, _)| ids.contains(k.as_str())));

    let bonsai = data.join("embeddings/bonsai5_seqvec_go/knn_reference.h5");
    let all: Vec<_> = read_per_protein(bonsai)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].0, "582c3fb2d88b268dc5690ea5397062ef");
    assert!((all[0].1[0] - 0.084_587_75).abs() < 1e-7);

    // A FANTASIA file is not per-protein: its root members are groups.
    let e = read_per_protein(data.join("go/IA_cafa6.tsv")).unwrap_err();
    assert!(e.to_string().contains("not an HDF5 file"), "{e}");
}

#[test]
fn embeds_fasta_into_a_fantasia_file_and_resumes() {
    let data = homolog_testkit::require_data!();
    let records: Vec<(String, String)> =
        read_fasta(&data.join("proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz"))
            .into_iter()
            .take(120)
            .collect();
    let settings: ModelSettings = serde_yaml::from_str(
        "backend: kmer\nbatch_size: 16\nlayer_index: [0, 1]\nmax_sequence_length: 500\n",
    )
    .unwrap();
    let embedder = registry::build("fast", &settings).unwrap();
    let type_id = settings.type_id("fast").unwrap();
    assert_eq!(type_id, 100);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("embeddings.h5");
    let run = |records: &[(String, String)]| {
        let mut w = FantasiaWriter::open(&path).unwrap();
        // Resume: skip records whose layers are all stored.
        let todo: Vec<(String, String)> = records
            .iter()
            .filter(|(id, _)| !w.contains_all(id, type_id, &settings.layers))
            .cloned()
            .collect();
        let mut progress = Vec::new();
        let summary = embed_sequences(
            embedder.as_ref(),
            &todo,
            &settings,
            |batch| {
                for item in batch {
                    for (layer, v) in &item.vectors {
                        w.write(item.id, item.sequence, type_id, *layer, v)?;
                    }
                }
                w.flush()
            },
            |done, total| progress.push((done, total)),
        )
        .unwrap();
        w.close().unwrap();
        (todo.len(), summary, progress)
    };

    let (n, summary, progress) = run(&records[..80]);
    assert_eq!((n, summary.embedded), (80, 80));
    assert!(summary.failed.is_empty());
    assert_eq!(progress.last(), Some(&(80, 80)));
    // Second run over all 120: only the 40 new ones are embedded.
    let (n, summary, _) = run(&records);
    assert_eq!((n, summary.embedded), (40, 40));

    let r = FantasiaReader::open(&path).unwrap();
    assert_eq!(r.len(), 120);
    for (id, seq) in &records {
        let q = r.get(id).unwrap();
        let expected_seq: String = seq.chars().take(500).collect();
        assert_eq!(q.sequence, expected_seq, "{id}");
        assert_eq!(q.vectors.len(), 2);
        let v = q.vector(100, 0).unwrap();
        assert_eq!(v.len(), 1024);
        let norm: f32 = v.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4);
    }
}
