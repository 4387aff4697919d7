//! Imports of the PIS fixture databases (scripts/pis/make_fixture.py, built by
//! scripts/services.d/53-pgvector.sh on the pgvector server of scripts/setup.d/57-pgvector.sh),
//! checked against what the server itself returns for the same rows.
//!
//! `HOMOLOG_PIS_URL` names the current-layout fixture (default
//! `postgres://postgres@127.0.0.1:5434/pis_fixture`); the legacy one (`vector`, no
//! `layer_index`) is the database `pis_fixture_legacy` on the same server.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use homolog_go::Ontology;
use homolog_pis::{import, ImportOptions, PisError, VectorKind};
use homolog_reference::{EvidenceCodes, Precision, Reference};
use homolog_search::{search, Metric, RowFilter, SearchParams};
use postgres::{Client, Config, NoTls};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5434/pis_fixture";
const FIX: &str = "run scripts/setup.d/57-pgvector.sh and scripts/services.sh (they start \
                   PostgreSQL with pgvector on 127.0.0.1:5434 and build the PIS fixture), or set \
                   HOMOLOG_PIS_URL";

fn url() -> String {
    std::env::var("HOMOLOG_PIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_string())
}

/// The same server, another database.
fn url_of(db: &str) -> String {
    let c: Config = url().parse().unwrap();
    let host = match &c.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        other => panic!("TCP host expected, got {other:?}"),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let user = c.get_user().unwrap_or("postgres");
    let password = c
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    format!("postgres://{user}{password}@{host}:{port}/{db}")
}

/// A client of the fixture database and the ontology, or `None` (reported) when either is
/// missing.
fn fixture(db_url: &str) -> Option<(Client, PathBuf)> {
    let Some(obo) = homolog_testkit::data_file("go/go_2019-01-29.obo.gz") else {
        homolog_testkit::unavailable(
            "shared data go/go_2019-01-29.obo.gz not found",
            "set HOMOLOG_DATA to the shared data folder",
        );
        return None;
    };
    match Client::connect(db_url, NoTls) {
        Ok(c) => Some((c, obo)),
        Err(e) => {
            homolog_testkit::unavailable(format!("PIS fixture database {db_url}: {e}"), FIX);
            None
        }
    }
}

fn options(obo: &PathBuf) -> ImportOptions {
    ImportOptions::new(obo)
}

/// A protein as the server has it: taxonomy id text, organism, gene name, sequence.
type ServerProtein = (Option<String>, Option<String>, Option<String>, String);

/// accession -> the protein, for the proteins the server has.
fn server_proteins(c: &mut Client) -> BTreeMap<String, ServerProtein> {
    c.query(
        "SELECT a.code, p.taxonomy_id, p.organism, p.gene_name, s.sequence FROM protein p \
         JOIN accession a ON a.protein_id = p.id AND a.primary \
         JOIN sequence s ON s.id = p.sequence_id",
        &[],
    )
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4))))
    .collect()
}

/// accession -> {(primary GO id, evidence)} from the server, through the ontology, with the
/// evidence filter applied (PIS's `UNKNOWN` is no code).
fn server_annotations(
    c: &mut Client,
    ontology: &Ontology,
    codes: &EvidenceCodes,
) -> BTreeMap<String, BTreeSet<(String, Option<String>)>> {
    let mut out: BTreeMap<String, BTreeSet<(String, Option<String>)>> = BTreeMap::new();
    for r in c
        .query(
            "SELECT a.code, g.go_id, g.evidence_code FROM protein_go_term_annotation g \
             JOIN accession a ON a.protein_id = g.protein_id AND a.primary",
            &[],
        )
        .unwrap()
    {
        let (acc, go, ev): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        let ev = (ev != "UNKNOWN").then_some(ev);
        let keep = match (&ev, codes) {
            (_, EvidenceCodes::All) => true,
            (None, _) => false,
            (Some(e), c) => c.allows(e),
        };
        let Some(primary) = ontology.resolve(&go) else {
            continue;
        };
        if !keep || ontology.term(primary).is_none_or(|t| t.obsolete) {
            continue;
        }
        out.entry(acc)
            .or_default()
            .insert((primary.to_string(), ev));
    }
    out
}

/// The server's vectors of (type, layer) as float4 arrays, by sequence md5.
fn server_vectors(c: &mut Client, type_id: i32, layer: Option<i32>) -> HashMap<String, Vec<f32>> {
    let sql = match layer {
        Some(_) => {
            "SELECT md5(s.sequence), e.embedding::real[] FROM sequence_embeddings e \
             JOIN sequence s ON s.id = e.sequence_id \
             WHERE e.embedding_type_id = $1 AND e.layer_index = $2"
        }
        None => {
            "SELECT md5(s.sequence), e.embedding::real[] FROM sequence_embeddings e \
             JOIN sequence s ON s.id = e.sequence_id WHERE e.embedding_type_id = $1 AND $2 = 0"
        }
    };
    c.query(sql, &[&type_id, &layer.unwrap_or(0)])
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[test]
fn import_matches_what_the_server_holds() {
    let Some((mut client, obo)) = fixture(&url()) else {
        return;
    };
    let ontology = Ontology::from_path(&obo).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for codes in [EvidenceCodes::default(), EvidenceCodes::All] {
        let out = dir
            .path()
            .join(format!("ref-{}", codes.to_list().join("-")));
        let mut opts = options(&obo);
        opts.evidence_codes = codes.clone();
        let report = import(&url(), &out, &opts).unwrap();
        let reference = Reference::open(&out).unwrap();

        // The matrices: the fixture's three (type, layer) pairs, halfvec kept as f16.
        let mut pairs: Vec<_> = reference.matrices();
        pairs.sort();
        assert_eq!(
            pairs,
            [
                ("esm2".to_string(), 0),
                ("prot_t5".into(), 0),
                ("prot_t5".into(), 1)
            ]
        );
        for m in &report.models {
            assert_eq!(m.kind, VectorKind::HalfVec);
            assert_eq!(m.precision, Precision::F16);
            let entry = reference.matrix_info(&m.model, m.layer).unwrap();
            assert_eq!(entry.dtype, "f16");
            assert_eq!(entry.embedding_type_id, m.type_id);
            assert_eq!(
                (m.pis_name.as_str(), m.type_id),
                if m.model == "esm2" {
                    ("ESM", 1)
                } else {
                    ("Prot-T5", 3)
                }
            );
        }

        // Proteins: exactly the annotated ones with every vector; fields as on the server.
        let expected_ann = server_annotations(&mut client, &ontology, &codes);
        let proteins = server_proteins(&mut client);
        let esm = server_vectors(&mut client, 1, Some(0));
        let expected: BTreeSet<&String> = expected_ann
            .keys()
            .filter(|acc| esm.contains_key(&md5(&proteins[*acc].3)))
            .collect();
        let got: BTreeSet<&String> = reference.proteins().iter().map(|p| &p.accession).collect();
        assert_eq!(got, expected);
        assert_eq!(
            report.proteins_without_embedding,
            (expected_ann.len() - expected.len()) as u64
        );
        assert_eq!(
            report.proteins_without_embedding, 1,
            "the fixture leaves one ESM vector out"
        );
        assert_eq!(report.proteins_read, proteins.len() as u64);
        for (i, p) in reference.proteins().iter().enumerate() {
            let (tax, org, gene, seq) = &proteins[&p.accession];
            assert_eq!(p.taxonomy_id, tax.as_deref().map(|t| t.parse().unwrap()));
            assert_eq!(&p.organism, org);
            assert_eq!(&p.gene_name, gene);
            assert_eq!(reference.sequence(p.sequence_row as usize), seq);
            let anns: BTreeSet<(String, Option<String>)> = reference
                .annotations_of_protein(i)
                .iter()
                .map(|a| (a.go_id.clone(), a.evidence.clone()))
                .collect();
            assert_eq!(anns, expected_ann[&p.accession], "{}", p.accession);
            assert!(reference
                .annotations_of_protein(i)
                .iter()
                .all(|a| a.aspect.is_some()));
        }

        // Vectors: bit-exact with the server's halfvec widened to float4.
        for (type_id, model, layer) in [(3, "prot_t5", 0), (3, "prot_t5", 1), (1, "esm2", 0)] {
            let server = server_vectors(&mut client, type_id, Some(layer));
            let m = reference.matrix(model, layer as usize).unwrap();
            for row in 0..reference.n_sequences() {
                let want = &server[reference.sequence_md5(row)];
                assert_eq!(
                    m.row(row),
                    want.as_slice(),
                    "{model} layer {layer} row {row}"
                );
            }
        }

        if codes == EvidenceCodes::All {
            // Yeast (PIS's `UNKNOWN` evidence) only passes `all`; duplicated sequences share a row.
            let a = reference.protein_index("P0CH08").unwrap() as usize;
            let b = reference.protein_index("P0CH09").unwrap() as usize;
            let (pa, pb) = (reference.protein(a), reference.protein(b));
            assert_eq!(pa.sequence_row, pb.sequence_row);
            assert_eq!(pa.taxonomy_id, Some(559292));
            assert_eq!(pa.gene_name.as_deref(), Some("RPL40A"));
            assert_eq!(
                reference
                    .proteins_of_sequence(pa.sequence_row as usize)
                    .len(),
                2
            );
            assert!(reference
                .annotations_of_protein(a)
                .iter()
                .all(|x| x.evidence.is_none()));
        } else {
            assert!(reference
                .proteins()
                .iter()
                .all(|p| p.taxonomy_id == Some(9606)));
            assert!(report.manifest.dropped.annotations_without_evidence > 0);
            assert!(report.manifest.dropped.annotations_by_evidence > 0);
        }
        // E. coli has no annotations: never imported.
        assert!(reference
            .proteins()
            .iter()
            .all(|p| p.taxonomy_id != Some(83333)));
        assert!(report.proteins_without_annotation >= 33);
        assert_eq!(report.manifest.evidence_codes, codes.to_list());
        assert!(report
            .manifest
            .sources
            .iter()
            .any(|s| s.role == "embeddings:prot_t5:1" && s.location.contains("Prot-T5")));
    }
}

/// Lower-case hex md5 (what PostgreSQL's `md5()` returns).
fn md5(s: &str) -> String {
    homolog_reference::sequence_md5(s)
}

#[test]
fn halfvec_is_the_float4_legacy_vector_rounded() {
    let Some((mut legacy, obo)) = fixture(&url_of("pis_fixture_legacy")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("legacy");
    let new = dir.path().join("current");
    let report = import(&url_of("pis_fixture_legacy"), &old, &options(&obo)).unwrap();
    assert!(report
        .models
        .iter()
        .all(|m| m.kind == VectorKind::Vector && m.precision == Precision::F32 && m.layer == 0));
    let mut opts = options(&obo);
    opts.layers = vec![0];
    import(&url(), &new, &opts).unwrap();
    let (old, new) = (
        Reference::open(&old).unwrap(),
        Reference::open(&new).unwrap(),
    );
    assert_eq!(old.matrices().len(), 2);
    assert_eq!(new.matrices().len(), 2, "layer 1 not selected");
    assert_eq!(old.n_sequences(), new.n_sequences());
    for (type_id, model) in [(3, "prot_t5"), (1, "esm2")] {
        let server = server_vectors(&mut legacy, type_id, None);
        let (f32m, f16m) = (old.matrix(model, 0).unwrap(), new.matrix(model, 0).unwrap());
        assert!(f32m.is_mapped());
        let mut rounded = 0;
        for row in 0..old.n_sequences() {
            // `vector`: bit-exact with the server's float4 values.
            let exact = &server[old.sequence_md5(row)];
            assert_eq!(f32m.row(row), exact.as_slice());
            // `halfvec`: each value is the float4 rounded to the nearest binary16 (relative
            // error at most 2^-11 for normal values).
            let r2 = (0..new.n_sequences())
                .find(|&r| new.sequence_md5(r) == old.sequence_md5(row))
                .unwrap();
            for (&h, &f) in f16m.row(r2).iter().zip(exact) {
                assert_eq!(h, half::f16::from_f32(f).to_f32());
                assert!((h - f).abs() <= f.abs() * 2f32.powi(-11) + 1e-7);
                rounded += (h != f) as usize;
            }
        }
        assert!(
            rounded > 0,
            "the stand-in vectors are not all binary16 values"
        );
    }
}

#[test]
fn lookup_on_the_imported_matrix_matches_pgvector_cosine() {
    let Some((mut client, obo)) = fixture(&url()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ref");
    let mut opts = options(&obo);
    opts.models = vec!["prot_t5".into()];
    opts.layers = vec![0];
    import(&url(), &out, &opts).unwrap();
    let reference = Reference::open(&out).unwrap();
    let m = reference.matrix("prot_t5", 0).unwrap();

    // PIS sequence id of every imported row.
    let ids: HashMap<String, i32> = client
        .query("SELECT md5(sequence), id FROM sequence", &[])
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let rows: Vec<i32> = (0..reference.n_sequences())
        .map(|r| ids[reference.sequence_md5(r)])
        .collect();
    let row_of: HashMap<i32, usize> = rows.iter().enumerate().map(|(r, &id)| (id, r)).collect();

    let k = 5;
    let queries: Vec<usize> = (0..reference.n_sequences()).step_by(17).collect();
    let mut q = Vec::new();
    for &r in &queries {
        q.extend_from_slice(m.row(r));
    }
    let params = SearchParams {
        metric: Metric::Cosine,
        k,
        ..SearchParams::default()
    };
    let hits = search(&q, m.as_slice(), m.dim(), &params, &RowFilter::none()).unwrap();
    for (qi, &r) in queries.iter().enumerate() {
        let sql: Vec<(usize, f32)> = client
            .query(
                "SELECT e.sequence_id, (e.embedding <=> q.embedding)::real AS d \
                 FROM sequence_embeddings e, sequence_embeddings q \
                 WHERE q.sequence_id = $1 AND q.embedding_type_id = 3 AND q.layer_index = 0 \
                 AND e.embedding_type_id = 3 AND e.layer_index = 0 \
                 AND e.sequence_id = ANY($2) ORDER BY d, e.sequence_id LIMIT $3",
                &[&rows[r], &rows, &(k as i64)],
            )
            .unwrap()
            .into_iter()
            .map(|row| (row_of[&row.get::<_, i32>(0)], row.get(1)))
            .collect();
        let ours: Vec<(usize, f32)> = hits[qi]
            .iter()
            .map(|h| (h.reference as usize, h.distance))
            .collect();
        assert_eq!(ours.len(), sql.len());
        assert_eq!(ours[0].0, r, "a vector is its own nearest neighbour");
        for (i, ((a, da), (b, db))) in ours.iter().zip(&sql).enumerate() {
            assert!(
                (da - db).abs() < 1e-5,
                "query row {r} hit {i}: {da} vs {db}"
            );
            // The same neighbours in the same order, except between near-equal distances.
            let tie = sql.iter().filter(|(_, d)| (d - db).abs() < 1e-5).count() > 1;
            assert!(a == b || tie, "query row {r} hit {i}: row {a} vs row {b}");
        }
    }
}

#[test]
fn options_select_models_layers_and_a_limit() {
    let Some((_client, obo)) = fixture(&url()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ref");
    let mut opts = options(&obo);
    opts.models = vec!["Prot-T5".into()];
    opts.layers = vec![1];
    opts.limit = Some(20);
    opts.precision = Some(Precision::F32);
    opts.batch_rows = 7; // many round trips
    let report = import(&url(), &out, &opts).unwrap();
    let reference = Reference::open(&out).unwrap();
    assert_eq!(reference.matrices(), [("prot_t5".to_string(), 1)]);
    assert_eq!(reference.n_proteins(), 20);
    assert!(report.proteins_over_limit > 0);
    assert_eq!(report.proteins_without_embedding, 0, "ESM not selected");
    let accs: Vec<&str> = reference
        .proteins()
        .iter()
        .map(|p| p.accession.as_str())
        .collect();
    let mut sorted = accs.clone();
    sorted.sort();
    assert_eq!(accs, sorted, "the first accessions, in order");
    assert_eq!(reference.matrix_info("prot_t5", 1).unwrap().dtype, "f32");

    // By PIS type id and by homolog name; an unknown name lists the types.
    let mut opts = options(&obo);
    opts.models = vec!["1".into()];
    opts.limit = Some(3);
    import(&url(), &out, &opts).unwrap();
    assert_eq!(
        Reference::open(&out).unwrap().matrices(),
        [("esm2".to_string(), 0)]
    );
    opts.models = vec!["unirep".into()];
    let err = import(&url(), &out, &opts).unwrap_err().to_string();
    assert!(
        err.contains("model `unirep`") && err.contains("Prot-T5"),
        "{err}"
    );
    opts.models = vec![];
    opts.layers = vec![7];
    let err = import(&url(), &out, &opts).unwrap_err().to_string();
    assert!(
        err.contains("type 3 (Prot-T5, homolog `prot_t5`) layer 1"),
        "{err}"
    );
}

#[test]
fn a_database_without_the_pis_tables_is_refused() {
    let Some((_client, obo)) = fixture(&url_of("postgres")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ref");
    let err = import(&url_of("postgres"), &out, &options(&obo)).unwrap_err();
    assert!(matches!(err, PisError::NotPis { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("is not a PIS database") && msg.contains("table `sequence_embeddings`"),
        "{msg}"
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn an_unreachable_server_or_a_bad_url_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ref");
    // Any OBO will do: the connection fails first.
    let obo = dir.path().join("go.obo");
    std::fs::write(
        &obo,
        "[Term]\nid: GO:0003674\nname: molecular_function\nnamespace: molecular_function\n",
    )
    .unwrap();
    // Port 1 on loopback: nothing listens there.
    let err = import(
        "postgres://fantasia:secret@127.0.0.1:1/BioData",
        &out,
        &ImportOptions::new(&obo),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PisError::Connect { .. }), "{err:?}");
    assert!(
        msg.contains("cannot connect to PostgreSQL at postgres://fantasia@127.0.0.1:1/BioData"),
        "{msg}"
    );
    assert!(
        !msg.contains("secret"),
        "the password stays out of messages: {msg}"
    );
    let err = import(
        "postgres://x@host:notaport/db",
        &out,
        &ImportOptions::new(&obo),
    )
    .unwrap_err();
    assert!(matches!(err, PisError::BadUrl { .. }), "{err:?}");
    assert!(!out.exists());
}
