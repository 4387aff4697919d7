//! Building, reusing, reopening and damaging reference folders made from small hand-written
//! inputs (FASTA, TSV, UniProt .dat, OBO, taxdump, per-protein HDF5) and the k-mer embedder.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use homolog_embed::ModelSettings;
use homolog_reference::*;

const OBO: &str = "format-version: 1.2
data-version: test/2024

[Term]
id: GO:0000001
name: root process
namespace: biological_process

[Term]
id: GO:0000002
name: child process
namespace: biological_process
alt_id: GO:0000099
is_a: GO:0000001 ! root process

[Term]
id: GO:0000003
name: some function
namespace: molecular_function

[Term]
id: GO:0000004
name: some component
namespace: cellular_component

[Term]
id: GO:0000005
name: old thing
namespace: molecular_function
is_obsolete: true
";

const SEQ_A: &str = "MKTAYIAKQRQISFVKSHFSRQ";
const SEQ_C: &str = "MSSPLKKLLLAGW";

fn fasta() -> String {
    format!(
        ">sp|P00001|A_HUMAN Protein A OS=Homo sapiens OX=9606 GN=geneA PE=1 SV=1\n{SEQ_A}\n\
         >sp|P00002|B_HUMAN Protein B OS=Homo sapiens OX=9606 GN=geneB PE=1 SV=1\n{}\n{}\n\
         >P00003 plain header\n{SEQ_C}\n\
         >P00004 only electronic annotations\nMAAAAGGGGLLLL\n\
         >P00005 no annotations\nMPPPPPWWW\n\
         >P00006 obsolete only\nMCCCCDDDEEE\n\
         >P00001 repeated accession\nMWWWWWW\n",
        &SEQ_A[..10],
        &SEQ_A[10..]
    )
}

const TSV: &str = "P00001\tGO:0000002\tP\tIDA
P00001\tGO:0000003\tF\tIEA
P00001\tGO:0000002\tP\tIDA
P00002\tGO:0000099\tP\tEXP
P00003\tGO:0000004\tC\tTAS
P00003\tGO:9999999\tC\tIDA
P00003\tGO:0000003\tF\t
P00004\tGO:0000003\tF\tIEA
P00006\tGO:0000005\tF\tIDA
P09999\tGO:0000001\tP\tIDA
";

struct Inputs {
    dir: tempfile::TempDir,
}

impl Inputs {
    fn new() -> Inputs {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("go.obo"), OBO).unwrap();
        fs::write(dir.path().join("seqs.fasta"), fasta()).unwrap();
        fs::write(dir.path().join("ann.tsv"), TSV).unwrap();
        Inputs { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn spec(&self, out: &str) -> BuildSpec {
        let mut s = BuildSpec::new(
            self.path(out),
            vec![self.path("seqs.fasta").into()],
            self.path("go.obo").into(),
        );
        s.annotations = vec![self.path("ann.tsv").into()];
        s
    }

    /// Per-protein HDF5: P00001, P00002 (same sequence), P00003 and one unknown accession.
    fn write_h5(&self, name: &str, with_p3: bool) -> PathBuf {
        let p = self.path(name);
        let f = hdf5_metno::File::create(&p).unwrap();
        let put = |key: &str, v: [f32; 4]| {
            f.new_dataset::<f32>()
                .shape([4])
                .create(key)
                .unwrap()
                .write_raw(&v)
                .unwrap();
        };
        put("P00001", [1.0, 2.0, 3.0, 4.0]);
        put("P00002", [9.0, 9.0, 9.0, 9.0]);
        if with_p3 {
            put("P00003", [0.5, -0.25, 0.125, 8.0]);
        }
        put("P77777", [7.0, 7.0, 7.0, 7.0]);
        p
    }
}

fn kmer_settings() -> ModelSettings {
    ModelSettings {
        backend: Some("kmer".into()),
        k: Some(3),
        dim: Some(16),
        layers: vec![0, 2],
        batch_size: 2,
        ..Default::default()
    }
}

fn no_progress(_: &str, _: u64, _: u64) {}

fn leftovers(parent: &Path) -> Vec<String> {
    fs::read_dir(parent)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".building-") || n.contains(".old-"))
        .collect()
}

#[test]
fn builds_tables_dedups_filters_and_stores_matrices() {
    let inp = Inputs::new();
    let h5 = inp.write_h5("emb.h5", true);
    let mut spec = inp.spec("ref");
    spec.embeddings = vec![PrecomputedSource {
        model: "prot_t5".into(),
        layer: 0,
        source: h5.as_path().into(),
        backend: None,
        embedding_type_id: None,
    }];
    let settings = kmer_settings();
    let embedder = homolog_embed::registry::build("kmer_small", &settings).unwrap();
    let stages = RefCell::new(BTreeMap::<String, (u64, u64)>::new());
    let progress = |stage: &str, done: u64, total: u64| {
        stages.borrow_mut().insert(stage.to_string(), (done, total));
    };
    let models: Vec<ModelInput> = vec![("kmer_small".into(), &settings, embedder.as_ref())];
    let built = build_detailed(&spec, &spec.path, &models, &progress).unwrap();
    assert!(!built.reused);
    let m = &built.manifest;
    assert_eq!(
        (
            m.counts.proteins,
            m.counts.sequences,
            m.counts.annotations,
            m.counts.terms
        ),
        (3, 2, 3, 2)
    );
    assert_eq!(m.dropped.annotations_by_evidence, 2);
    assert_eq!(m.dropped.annotations_without_evidence, 1);
    assert_eq!(m.dropped.annotations_unknown_term, 1);
    assert_eq!(m.dropped.annotations_obsolete_term, 1);
    assert_eq!(m.dropped.annotations_duplicate, 1);
    assert_eq!(m.dropped.annotations_alt_id_mapped, 1);
    assert_eq!(m.dropped.annotations_without_sequence, 1);
    assert_eq!(m.dropped.duplicate_accessions, 1);
    assert_eq!(m.dropped.proteins_without_annotation, 3);
    assert!(m.unfiltered_annotation_sources.is_empty());
    assert_eq!(m.evidence_codes.len(), 8);
    assert_eq!(m.sources.len(), 4);
    assert!(m.sources.iter().all(|s| s.sha256.len() == 64 && s.size > 0));
    assert_eq!(stages.borrow().get("embed kmer_small"), Some(&(2, 2)));

    let r = Reference::open(&spec.path).unwrap();
    assert_eq!((r.n_proteins(), r.n_sequences()), (3, 2));
    let accs: Vec<&str> = r.proteins().iter().map(|p| p.accession.as_str()).collect();
    assert_eq!(accs, ["P00001", "P00002", "P00003"]);
    assert_eq!(r.sequence(0), SEQ_A);
    assert_eq!(r.sequence(1), SEQ_C);
    assert_eq!(r.sequence_md5(1), md5_hex(SEQ_C));
    assert_eq!(r.proteins_of_sequence(0), &[0, 1]);
    assert_eq!(r.proteins_of_sequence(1), &[2]);
    let p0 = r.protein(0);
    assert_eq!(p0.taxonomy_id, Some(9606));
    assert_eq!(p0.organism.as_deref(), Some("Homo sapiens"));
    assert_eq!(p0.gene_name.as_deref(), Some("geneA"));
    assert_eq!(r.protein(2).taxonomy_id, None);
    assert_eq!(r.protein_index("P00003"), Some(2));
    let ann = |i: usize| -> Vec<(String, Option<char>, Option<String>)> {
        r.annotations_of_protein(i)
            .iter()
            .map(|a| {
                (
                    a.go_id.clone(),
                    a.aspect.map(|x| x.code()),
                    a.evidence.clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        ann(0),
        [("GO:0000002".into(), Some('P'), Some("IDA".into()))]
    );
    assert_eq!(
        ann(1),
        [("GO:0000002".into(), Some('P'), Some("EXP".into()))]
    );
    assert_eq!(
        ann(2),
        [("GO:0000004".into(), Some('C'), Some("TAS".into()))]
    );
    assert_eq!(r.term_name("GO:0000002"), Some("child process"));
    assert_eq!(
        r.term_name("GO:0000003"),
        None,
        "only annotated terms are stored"
    );
    assert!(r.taxonomy().is_none());
    let onto = r.ontology().unwrap();
    assert_eq!(onto.resolve("GO:0000099"), Some("GO:0000002"));

    assert_eq!(
        r.matrices(),
        [
            ("prot_t5".to_string(), 0),
            ("kmer_small".to_string(), 0),
            ("kmer_small".to_string(), 2)
        ]
    );
    let pre = r.matrix("prot_t5", 0).unwrap();
    assert_eq!((pre.rows(), pre.dim()), (2, 4));
    assert!(pre.is_mapped());
    assert_eq!(
        pre.as_slice(),
        &[1.0, 2.0, 3.0, 4.0, 0.5, -0.25, 0.125, 8.0]
    );
    let info = r.matrix_info("prot_t5", 0).unwrap();
    assert_eq!(
        (info.backend.as_str(), info.embedding_type_id),
        ("prot_t5", 3)
    );
    assert_eq!(info.file, "matrices/prot_t5/layer_0.f32");

    let expected = embedder.embed(&[SEQ_A, SEQ_C], &[0, 2]).unwrap();
    for (j, layer) in [0usize, 2].into_iter().enumerate() {
        let m = r.matrix("kmer_small", layer).unwrap();
        assert_eq!((m.rows(), m.dim()), (2, 16));
        assert_eq!(m.row(0), expected[0][j].as_slice());
        assert_eq!(m.row(1), expected[1][j].as_slice());
        assert_eq!(m.entry().embedding_type_id, 100);
    }
    let err = r.matrix("esm2", 0).unwrap_err().to_string();
    assert!(
        err.contains("prot_t5 layer 0") && err.contains("kmer_small layer 2"),
        "{err}"
    );
    assert!(leftovers(inp.dir.path()).is_empty());
}

fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(s.as_bytes()))
}

#[test]
fn f16_matrices_are_converted_on_load() {
    let inp = Inputs::new();
    let h5 = inp.write_h5("emb.h5", true);
    let mut spec = inp.spec("ref16");
    spec.precision = Precision::F16;
    spec.embeddings = vec![PrecomputedSource {
        model: "esm".into(),
        layer: 1,
        source: h5.as_path().into(),
        backend: Some("esm2".into()),
        embedding_type_id: Some(42),
    }];
    build(&spec, &spec.path, &[], &no_progress).unwrap();
    let path = spec.path.join("matrices/esm/layer_1.f16");
    assert_eq!(fs::metadata(&path).unwrap().len(), 2 * 4 * 2);
    let r = Reference::open(&spec.path).unwrap();
    let m = r.matrix("esm", 1).unwrap();
    assert!(!m.is_mapped());
    // All values are exact in half precision.
    assert_eq!(m.as_slice(), &[1.0, 2.0, 3.0, 4.0, 0.5, -0.25, 0.125, 8.0]);
    assert_eq!(m.entry().embedding_type_id, 42);
    assert_eq!(m.entry().backend, "esm2");
}

#[test]
fn second_build_reuses_and_changed_inputs_rebuild() {
    let inp = Inputs::new();
    let mut spec = inp.spec("ref");
    // The default download cache lives inside the folder and may exist before the first build.
    fs::create_dir_all(spec.path.join(".downloads")).unwrap();
    fs::write(spec.path.join(".downloads/cached.obo"), "x").unwrap();
    let first = build_detailed(&spec, &spec.path, &[], &no_progress).unwrap();
    assert!(!first.reused);
    let stamp = fs::metadata(spec.path.join(PROTEINS_FILE))
        .unwrap()
        .modified()
        .unwrap();
    let second = build_detailed(&spec, &spec.path, &[], &no_progress).unwrap();
    assert!(second.reused);
    assert_eq!(second.manifest, first.manifest);
    assert_eq!(
        fs::metadata(spec.path.join(PROTEINS_FILE))
            .unwrap()
            .modified()
            .unwrap(),
        stamp
    );

    // Same files, different filter: rebuilt, and IEA now counts.
    spec.evidence_codes = EvidenceCodes::All;
    let third = build_detailed(&spec, &spec.path, &[], &no_progress).unwrap();
    assert!(!third.reused);
    assert_ne!(
        third.manifest.inputs_fingerprint,
        first.manifest.inputs_fingerprint
    );
    assert_eq!(third.manifest.counts.proteins, 4); // P00004 (IEA only) is back
    assert_eq!(Reference::open(&spec.path).unwrap().n_proteins(), 4);

    // Changed file content: rebuilt.
    fs::write(inp.path("ann.tsv"), "P00003\tGO:0000004\tC\tIDA\n").unwrap();
    let fourth = build_detailed(&spec, &spec.path, &[], &no_progress).unwrap();
    assert!(!fourth.reused);
    assert_eq!(fourth.manifest.counts.proteins, 1);
    assert!(leftovers(inp.dir.path()).is_empty());
    assert_eq!(
        fs::read_to_string(spec.path.join(".downloads/cached.obo")).unwrap(),
        "x",
        "rebuilds keep the download cache"
    );
}

#[test]
fn failed_build_leaves_no_folder_and_keeps_an_old_one() {
    let inp = Inputs::new();
    let h5 = inp.write_h5("partial.h5", false);
    let mut spec = inp.spec("ref");
    spec.embeddings = vec![PrecomputedSource {
        model: "prot_t5".into(),
        layer: 0,
        source: h5.as_path().into(),
        backend: None,
        embedding_type_id: None,
    }];
    let err = build(&spec, &spec.path, &[], &no_progress).unwrap_err();
    match &err {
        ReferenceError::MissingEmbeddings {
            missing,
            total,
            first,
            ..
        } => {
            assert_eq!((*missing, *total), (1, 2));
            assert_eq!(first, "P00003");
        }
        other => panic!("expected MissingEmbeddings, got {other}"),
    }
    assert!(!spec.path.exists(), "no half-built folder");
    assert!(leftovers(inp.dir.path()).is_empty());

    // With a good reference in place, a failing rebuild leaves it untouched.
    let good = inp.spec("ref");
    build(&good, &good.path, &[], &no_progress).unwrap();
    build(&spec, &spec.path, &[], &no_progress).unwrap_err();
    let r = Reference::open(&good.path).unwrap();
    assert_eq!(r.n_proteins(), 3);
    assert!(r.matrices().is_empty());
    assert!(leftovers(inp.dir.path()).is_empty());
}

#[test]
fn bad_inputs_are_clear_errors() {
    let inp = Inputs::new();
    let mut spec = inp.spec("ref");
    spec.sequences = vec![inp.path("nope.fasta").into()];
    let err = build(&spec, &spec.path, &[], &no_progress)
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope.fasta"), "{err}");

    // A folder that is not a reference is never replaced.
    let spec = inp.spec("occupied");
    fs::create_dir(&spec.path).unwrap();
    fs::write(spec.path.join("notes.txt"), "mine").unwrap();
    let err = build(&spec, &spec.path, &[], &no_progress).unwrap_err();
    assert!(matches!(err, ReferenceError::NotAReference { .. }), "{err}");
    assert_eq!(
        fs::read_to_string(spec.path.join("notes.txt")).unwrap(),
        "mine"
    );

    // Annotations that match nothing.
    let mut spec = inp.spec("empty");
    spec.evidence_codes = EvidenceCodes::Only(vec!["IGI".into()]);
    let err = build(&spec, &spec.path, &[], &no_progress)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no reference protein"), "{err}");
    assert!(!spec.path.exists());

    // A model name that cannot be a folder name.
    let mut spec = inp.spec("badname");
    spec.embeddings = vec![PrecomputedSource {
        model: "../x".into(),
        layer: 0,
        source: inp.path("go.obo").as_path().into(),
        backend: None,
        embedding_type_id: None,
    }];
    let err = build(&spec, &spec.path, &[], &no_progress)
        .unwrap_err()
        .to_string();
    assert!(err.contains("../x"), "{err}");
}

#[test]
fn open_reports_missing_incompatible_and_damaged_folders() {
    let inp = Inputs::new();
    let err = Reference::open(inp.path("nothing")).unwrap_err();
    assert!(matches!(err, ReferenceError::NotInitialized { .. }));
    assert!(err.to_string().contains("homolog initialize"), "{err}");
    fs::create_dir(inp.path("empty")).unwrap();
    let err = Reference::open(inp.path("empty")).unwrap_err().to_string();
    assert!(
        err.contains("manifest.json") && err.contains("homolog initialize"),
        "{err}"
    );

    let h5 = inp.write_h5("emb.h5", true);
    let mut spec = inp.spec("ref");
    spec.embeddings = vec![PrecomputedSource {
        model: "prot_t5".into(),
        layer: 0,
        source: h5.as_path().into(),
        backend: None,
        embedding_type_id: None,
    }];
    build(&spec, &spec.path, &[], &no_progress).unwrap();
    let mat = spec.path.join("matrices/prot_t5/layer_0.f32");
    let original = fs::read(&mat).unwrap();

    // One flipped bit: hash mismatch, unless verification is off.
    let mut bytes = original.clone();
    bytes[5] ^= 0x01;
    fs::write(&mat, &bytes).unwrap();
    let r = Reference::open(&spec.path).unwrap();
    let err = r.matrix("prot_t5", 0).unwrap_err();
    match &err {
        ReferenceError::CorruptMatrix {
            file,
            expected,
            actual,
            ..
        } => {
            assert_eq!(file, &mat);
            assert_ne!(expected, actual);
            assert_eq!(expected, &r.matrix_info("prot_t5", 0).unwrap().xxh3);
        }
        other => panic!("expected CorruptMatrix, got {other}"),
    }
    assert!(err.to_string().contains("homolog initialize"));
    let unchecked = Reference::open_with(
        &spec.path,
        OpenOptions {
            verify_hashes: false,
        },
    )
    .unwrap();
    assert_eq!(unchecked.matrix("prot_t5", 0).unwrap().rows(), 2);

    // Truncated: size error.
    fs::write(&mat, &original[..original.len() - 4]).unwrap();
    let err = r.matrix("prot_t5", 0).unwrap_err();
    match err {
        ReferenceError::MatrixSize {
            expected, actual, ..
        } => assert_eq!((expected, actual), (32, 28)),
        other => panic!("expected MatrixSize, got {other}"),
    }
    fs::write(&mat, &original).unwrap();
    assert!(r.matrix("prot_t5", 0).is_ok());

    // Missing table.
    fs::rename(spec.path.join(TERMS_FILE), inp.path("terms.bak")).unwrap();
    let err = Reference::open(&spec.path).unwrap_err();
    assert!(
        matches!(&err, ReferenceError::MissingTable { file, .. } if file == TERMS_FILE),
        "{err}"
    );
    fs::rename(inp.path("terms.bak"), spec.path.join(TERMS_FILE)).unwrap();

    // Another format version.
    let mpath = spec.path.join(MANIFEST_FILE);
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&mpath).unwrap()).unwrap();
    v["format_version"] = serde_json::json!(99);
    fs::write(&mpath, v.to_string()).unwrap();
    let err = Reference::open(&spec.path).unwrap_err();
    assert!(
        matches!(
            err,
            ReferenceError::VersionMismatch {
                found: 99,
                expected: FORMAT_VERSION,
                ..
            }
        ),
        "{err}"
    );
}

const DAT: &str = "ID   A_HUMAN                 Reviewed;          22 AA.
AC   P00001; Q11111;
DE   RecName: Full=Protein A;
GN   Name=geneA;
OS   Homo sapiens (Human).
OX   NCBI_TaxID=9606;
DR   GO; GO:0000002; P:child process; IDA:UniProtKB.
DR   GO; GO:0000003; F:some function; IEA:InterPro.
SQ   SEQUENCE   22 AA;  2000 MW;  0000000000000000 CRC64;
     MKTAYIAKQR QISFVKSHFS RQ
//
ID   C_ECOLI                 Reviewed;          13 AA.
AC   P00003;
DE   RecName: Full=Protein C;
OS   Escherichia coli.
OX   NCBI_TaxID=562;
DR   GO; GO:0000099; P:child process; EXP:EcoCyc.
DR   GO; GO:0000004; C:some component; TAS:EcoCyc.
SQ   SEQUENCE   13 AA;  1000 MW;  0000000000000000 CRC64;
     MSSPLKKLLL AGW
//
ID   D_ECOLI                 Reviewed;           9 AA.
AC   P00004;
DE   RecName: Full=Protein D;
OS   Escherichia coli.
OX   NCBI_TaxID=562;
DR   GO; GO:0000003; F:some function; IEA:InterPro.
SQ   SEQUENCE   9 AA;  1000 MW;  0000000000000000 CRC64;
     MPPPPPWWW
//
";

const NODES: &str = "1\t|\t1\t|\tno rank\t|\t\t|
2\t|\t131567\t|\tsuperkingdom\t|\t\t|
131567\t|\t1\t|\tno rank\t|\t\t|
1224\t|\t2\t|\tphylum\t|\t\t|
562\t|\t1224\t|\tspecies\t|\t\t|
";

const NAMES: &str = "1\t|\troot\t|\t\t|\tscientific name\t|
2\t|\tBacteria\t|\tBacteria <prokaryotes>\t|\tscientific name\t|
131567\t|\tcellular organisms\t|\t\t|\tscientific name\t|
1224\t|\tProteobacteria\t|\t\t|\tscientific name\t|
562\t|\tEscherichia coli\t|\t\t|\tscientific name\t|
562\t|\tBacterium coli\t|\t\t|\tsynonym\t|
";

#[test]
fn uniprot_dat_with_go_lines_and_a_taxdump() {
    let inp = Inputs::new();
    fs::write(inp.path("entries.dat"), DAT).unwrap();
    fs::write(inp.path("nodes.dmp"), NODES).unwrap();
    fs::write(inp.path("names.dmp"), NAMES).unwrap();
    let mut spec = BuildSpec::new(
        inp.path("dat_ref"),
        vec![inp.path("entries.dat").into()],
        inp.path("go.obo").into(),
    );
    spec.taxonomy = Some(TaxdumpSources {
        nodes: inp.path("nodes.dmp").into(),
        names: Some(inp.path("names.dmp").into()),
    });
    let m = build(&spec, &spec.path, &[], &no_progress).unwrap();
    assert_eq!(
        (m.counts.proteins, m.counts.sequences, m.counts.annotations),
        (2, 2, 3)
    );
    assert_eq!(m.counts.taxa, 5);
    assert!(m.has_taxonomy);
    let r = Reference::open(&spec.path).unwrap();
    let p = r.protein(1);
    assert_eq!(p.accession, "P00003");
    assert_eq!(p.taxonomy_id, Some(562));
    assert_eq!(r.sequence(p.sequence_row as usize), SEQ_C);
    let gos: Vec<&str> = r
        .annotations_of_protein(1)
        .iter()
        .map(|a| a.go_id.as_str())
        .collect();
    assert_eq!(gos, ["GO:0000002", "GO:0000004"]);
    assert_eq!(r.protein(0).gene_name.as_deref(), Some("geneA"));
    let tax = r.taxonomy().expect("taxonomy loaded");
    assert_eq!(tax.name(562), Some("Escherichia coli"));
    assert_eq!(tax.rank(1224), Some("phylum"));
    assert_eq!(tax.lineage(562), vec![562, 1224, 2, 131567, 1]);
}

/// The real Swiss-Prot 2014 GO subset (5,000 proteins, TSV without evidence codes) with GO
/// basic 2021 and k-mer embeddings. Expected counts were computed independently in Python
/// (alt_id -> primary, obsolete dropped, (accession, GO) deduplicated, md5 of sequences).
#[test]
fn real_swissprot_subset_with_go_2021_and_kmer() {
    let data = homolog_testkit::require_data!();
    let sub = data.join("proteins/swissprot2014_go_subset");
    let out = tempfile::tempdir().unwrap();
    let mut spec = BuildSpec::new(
        out.path().join("ref"),
        vec![sub.join("swissprot2014_5000.fasta.gz").into()],
        data.join("go/go-basic_2021-12-15.obo.gz").into(),
    );
    spec.annotations = vec![sub.join("swissprot2014_5000_go.tsv.gz").into()];
    let settings = ModelSettings {
        backend: Some("kmer".into()),
        k: Some(3),
        dim: Some(32),
        layers: vec![0],
        batch_size: 256,
        ..Default::default()
    };
    let embedder = homolog_embed::registry::build("kmer", &settings).unwrap();
    let models: Vec<ModelInput> = vec![("kmer".into(), &settings, embedder.as_ref())];
    let m = build(&spec, &spec.path, &models, &no_progress).unwrap();
    assert_eq!(
        (
            m.counts.proteins,
            m.counts.sequences,
            m.counts.annotations,
            m.counts.terms
        ),
        (5000, 4947, 50469, 5486)
    );
    assert_eq!(m.dropped.annotations_obsolete_term, 1069);
    assert_eq!(m.dropped.annotations_unknown_term, 0);
    assert_eq!(m.dropped.annotations_alt_id_mapped, 1563);
    assert_eq!(m.dropped.annotations_duplicate, 200);
    assert_eq!(m.dropped.annotations_by_evidence, 0);
    assert_eq!(
        m.unfiltered_annotation_sources.len(),
        1,
        "TSV without codes is kept whole"
    );

    let r = Reference::open(&spec.path).unwrap();
    assert_eq!(r.protein(0).accession, "A0AF11");
    assert_eq!(r.sequence(0).len(), 184);
    assert_eq!(r.sequence_md5(0), "bd88634afc5d3050e1ec8d8ba59ca510");
    assert!(r
        .annotations_of_protein(0)
        .iter()
        .all(|a| a.evidence.is_none()));
    let total: usize = (0..r.n_proteins())
        .map(|i| r.annotations_of_protein(i).len())
        .sum();
    assert_eq!(total, 50469);
    let shared = (0..r.n_sequences())
        .filter(|&s| r.proteins_of_sequence(s).len() > 1)
        .count();
    assert!(
        shared > 0,
        "some Swiss-Prot sequences are shared by several accessions"
    );
    let mat = r.matrix("kmer", 0).unwrap();
    assert_eq!((mat.rows(), mat.dim()), (4947, 32));
    let last = r.n_sequences() - 1;
    let expected = embedder
        .embed(&[r.sequence(0), r.sequence(last)], &[0])
        .unwrap();
    assert_eq!(mat.row(0), expected[0][0].as_slice());
    assert_eq!(mat.row(last), expected[1][0].as_slice());
    let onto = r.ontology().unwrap();
    assert!(onto.len() > 40_000);
}

/// The real (bacterial/archaeal) WoL taxdump subset round-trips through `taxonomy.parquet`.
#[test]
fn real_taxdump_round_trips() {
    let data = homolog_testkit::require_data!();
    let inp = Inputs::new();
    let mut spec = inp.spec("taxref");
    spec.taxonomy = Some(TaxdumpSources {
        nodes: data.join("taxonomy/wol_taxdump_nodes.dmp.gz").into(),
        names: Some(data.join("taxonomy/wol_taxdump_names.dmp.gz").into()),
    });
    let m = build(&spec, &spec.path, &[], &no_progress).unwrap();
    assert_eq!(m.counts.taxa, 16_388);
    let direct = homolog_taxonomy::Taxonomy::from_taxdump(
        &data.join("taxonomy/wol_taxdump_nodes.dmp.gz"),
        Some(&data.join("taxonomy/wol_taxdump_names.dmp.gz")),
    )
    .unwrap();
    let r = Reference::open(&spec.path).unwrap();
    let tax = r.taxonomy().unwrap();
    assert_eq!(tax.len(), direct.len());
    for id in direct.taxids() {
        assert_eq!(tax.lineage(id), direct.lineage(id), "lineage of {id}");
        assert_eq!(tax.name(id), direct.name(id));
        assert_eq!(tax.rank(id), direct.rank(id));
    }
    assert_eq!(tax.name(2), Some("Bacteria"));
}
