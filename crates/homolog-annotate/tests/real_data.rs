//! End-to-end annotate stage on real data: yeast proteins with their 2014 GO annotations as
//! the reference, GO 2021 (go-basic) as the ontology, dipeptide-composition vectors as
//! stand-in embeddings, the real exact search, aligner, summary, collapse and writers.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use homolog_annotate::{
    align_pairs, collapse_to_leaves, pairs_for_hits, read_raw_csv, summarize, transfer,
    write_raw_results, write_summary_csv, write_topgo, AncestorSource, ExperimentLayout,
    InMemoryReference, MemoAligner, ModelLayer, PairAligner, ProteinRecord, QueryInput,
    RawCsvOptions, RawRow, ReferenceData, SummaryFormat, SummarySettings, TermAnnotation,
    TopgoFormat, TransferSettings,
};
use homolog_go::obo::Ontology;
use homolog_go::Aspect;
use homolog_search::{search, Hit, Metric, RowFilter, SearchParams};

use homolog_testkit::gz_lines;

/// (accession, sequence) from a UniProt FASTA (`>sp|ACC|NAME ...`).
fn read_fasta(path: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in gz_lines(path) {
        if let Some(h) = line.strip_prefix('>') {
            let acc = h.split('|').nth(1).unwrap_or(h).to_string();
            out.push((acc, String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line.trim());
        }
    }
    out
}

/// Dipeptide composition, a crude but real sequence embedding (400-d).
fn embed(seq: &str) -> Vec<f32> {
    const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";
    let idx = |c: u8| AA.iter().position(|&a| a == c);
    let mut v = vec![0f32; 400];
    for w in seq.as_bytes().windows(2) {
        if let (Some(a), Some(b)) = (idx(w[0]), idx(w[1])) {
            v[a * 20 + b] += 1.0;
        }
    }
    v
}

struct Fixture {
    reference: InMemoryReference,
    ontology: Ontology,
    /// (accession, sequence) of the queries: 4 reference members, 2 outsiders.
    queries: Vec<(String, String)>,
    hits: Vec<Vec<Hit>>,
    annotations: HashMap<String, Vec<(String, Aspect)>>,
}

const K: usize = 3;

fn fixture(data: &Path) -> Fixture {
    let proteins = read_fasta(&data.join("proteins/yeast_UP000002311_2025-10-19.fasta.gz"));
    let mut annotations: HashMap<String, Vec<(String, Aspect)>> = HashMap::new();
    for line in gz_lines(&data.join("proteins/yeast_UP000002311_go2014.tsv.gz"))
        .iter()
        .skip(1)
    {
        let f: Vec<&str> = line.split('\t').collect();
        let aspect = Aspect::parse(f[2]).expect("aspect letter");
        annotations
            .entry(f[0].to_string())
            .or_default()
            .push((f[1].to_string(), aspect));
    }
    let ontology = Ontology::from_path(data.join("go/go-basic_2021-12-15.obo.gz")).unwrap();

    let annotated: Vec<&(String, String)> = proteins
        .iter()
        .filter(|(acc, seq)| annotations.contains_key(acc) && !seq.is_empty())
        .collect();
    let mut reference = InMemoryReference::new();
    for (acc, seq) in annotated.iter().take(400) {
        let anns = &annotations[acc];
        for (go, _) in anns {
            if let Some(t) = ontology.term(go) {
                reference.add_term_name(go.clone(), t.name.clone());
            }
        }
        reference.add_protein(
            ProteinRecord {
                accession: acc.clone(),
                organism: Some("Saccharomyces cerevisiae".into()),
                gene_name: None,
                taxonomy_id: Some(559292),
                annotations: anns
                    .iter()
                    .map(|(go, aspect)| TermAnnotation {
                        go_id: go.clone(),
                        aspect: Some(*aspect),
                        evidence: None,
                    })
                    .collect(),
            },
            seq,
        );
    }
    let queries: Vec<(String, String)> = [0usize, 10, 20, 30, 500, 501]
        .iter()
        .map(|&i| annotated[i].clone())
        .collect();

    let dim = 400;
    let refs: Vec<f32> = (0..reference.sequence_count() as u32)
        .flat_map(|r| embed(reference.sequence(r)))
        .collect();
    let qs: Vec<f32> = queries.iter().flat_map(|(_, s)| embed(s)).collect();
    let params = SearchParams {
        metric: Metric::Cosine,
        k: K,
        ..SearchParams::default()
    };
    let hits = search(&qs, &refs, dim, &params, &RowFilter::none()).unwrap();
    Fixture {
        reference,
        ontology,
        queries,
        hits,
        annotations,
    }
}

fn run_transfer(fx: &Fixture, aligner: &MemoAligner) -> Vec<RawRow> {
    let settings = TransferSettings {
        metric: Metric::Cosine,
        limit_per_entry: K,
        ..TransferSettings::default()
    };
    let model = ModelLayer {
        model: "dipeptide",
        layer: 0,
        embedding_type_id: None,
        distance_threshold: None,
    };
    let mut rows = Vec::new();
    for (i, ((id, seq), hits)) in fx.queries.iter().zip(&fx.hits).enumerate() {
        let q = QueryInput {
            id,
            sequence: seq,
            index: Some(i as u32),
        };
        rows.extend(transfer(&fx.reference, &q, &model, hits, &settings, aligner).unwrap());
    }
    rows
}

#[test]
fn yeast_reference_end_to_end() {
    let data = homolog_testkit::require_data!();
    let fx = fixture(&data);
    assert!(fx.hits.iter().all(|h| h.len() == K));

    // Align all pairs up front, in parallel; transfer then only reads the memo.
    let aligner = MemoAligner::default();
    let batch: Vec<(&str, &[Hit])> = fx
        .queries
        .iter()
        .zip(&fx.hits)
        .map(|((_, s), h)| (s.as_str(), h.as_slice()))
        .collect();
    let pairs = pairs_for_hits(&fx.reference, &batch);
    let metrics = align_pairs(&aligner, &pairs);
    assert_eq!(metrics.len(), pairs.len());
    assert_eq!(aligner.memo_len(), pairs.len());
    let rows = run_transfer(&fx, &aligner);
    assert_eq!(
        aligner.memo_len(),
        pairs.len(),
        "transfer re-aligned a pair"
    );

    // Row count: sum over hits of the annotations of the proteins of the hit's sequence.
    let expected: usize = fx
        .hits
        .iter()
        .flatten()
        .map(|h| {
            fx.reference
                .proteins_of_sequence(h.reference)
                .iter()
                .map(|&p| fx.annotations[fx.reference.protein_accession(p)].len())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(rows.len(), expected);

    // A query that is in the reference finds itself first: distance 0, identity 1.
    let (self_id, self_seq) = &fx.queries[0];
    let first = &fx.hits[0][0];
    assert_eq!(fx.reference.sequence(first.reference), self_seq);
    assert!(first.distance.abs() < 1e-5, "{}", first.distance);
    let own: Vec<&RawRow> = rows
        .iter()
        .filter(|r| r.accession == *self_id && r.protein_id == *self_id)
        .collect();
    assert_eq!(own.len(), fx.annotations[self_id].len());
    for r in &own {
        let (nw, sw) = (r.nw.unwrap(), r.sw.unwrap());
        assert_eq!((nw.identity, sw.identity, nw.gaps), (1.0, 1.0, 0.0));
        assert_eq!(nw.length as usize, self_seq.len());
        assert!((r.reliability_index - 1.0).abs() < 1e-5);
    }
    // Every other row's metrics are the memoised pair's.
    for r in &rows {
        let seq_r = fx.reference.sequence(r.ref_idx.unwrap());
        let q = &fx.queries[r.query_idx.unwrap() as usize].1;
        let m = aligner.align(q, seq_r);
        assert_eq!(r.nw.unwrap().score, f64::from(m.nw.score));
        assert!(r.sw.unwrap().identity >= 0.0 && r.sw.unwrap().identity <= 1.0);
    }

    // Summary: count is rows / k exactly; in-memory and on-disk summaries agree.
    let settings = SummarySettings::default();
    let summary = summarize(&rows, K, 4, &settings).unwrap();
    for s in &summary {
        assert_eq!(s.get("count"), Some(s.rows as f64 / K as f64));
        let f = s.final_score.unwrap();
        assert!((0.0..=2.0).contains(&f), "{f}");
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = ExperimentLayout::new(dir.path());
    let written = write_raw_results(&layout, &rows, &RawCsvOptions::default()).unwrap();
    assert_eq!(written.len(), fx.queries.len());
    let mut back = Vec::new();
    for p in &written {
        back.extend(read_raw_csv(p).unwrap());
    }
    assert_eq!(back.len(), rows.len());
    assert_eq!(summarize(&back, K, 4, &settings).unwrap(), summary);
    write_summary_csv(&layout.summary(), &summary, SummaryFormat::Wide, 4).unwrap();
    let text = std::fs::read_to_string(layout.summary()).unwrap();
    let distinct_terms: BTreeSet<(&str, &str)> = rows
        .iter()
        .map(|r| (r.accession.as_str(), r.go_id.as_str()))
        .collect();
    assert_eq!(text.lines().count(), 1 + distinct_terms.len());
    assert!(text.starts_with("accession,go_id,term_count,max_ri_dipeptide_L0,"));

    // Collapse: kept terms are an antichain and cover every predicted term.
    let collapsed = collapse_to_leaves(summary.clone(), &fx.ontology);
    assert!(collapsed.len() < summary.len());
    for (q, _) in &fx.queries {
        let before: HashSet<String> = summary
            .iter()
            .filter(|s| s.accession == *q)
            .map(|s| fx.ontology.canonical(&s.go_id))
            .collect();
        let kept: HashSet<String> = collapsed
            .iter()
            .filter(|s| s.accession == *q)
            .map(|s| fx.ontology.canonical(&s.go_id))
            .collect();
        let mut covered = kept.clone();
        for t in &kept {
            let anc = fx.ontology.ancestors_of(t);
            assert!(anc.is_disjoint(&kept), "{q}: {t} has a kept ancestor");
            covered.extend(anc);
        }
        assert!(
            before.is_subset(&covered),
            "{q}: a dropped term is not implied"
        );
    }

    // TopGO ensemble: one line per distinct (accession, term) of the aspect.
    write_topgo(&layout, &rows, TopgoFormat::Fantasia, 4).unwrap();
    for aspect in [
        Aspect::BiologicalProcess,
        Aspect::MolecularFunction,
        Aspect::CellularComponent,
    ] {
        let want: BTreeSet<(&str, &str)> = rows
            .iter()
            .filter(|r| r.category == aspect)
            .map(|r| (r.accession.as_str(), r.go_id.as_str()))
            .collect();
        let path = layout.topgo_ensemble_file(aspect);
        let text = std::fs::read_to_string(&path).unwrap();
        let got: BTreeSet<(&str, &str)> = text
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 3, "{l}");
                (f[0], f[1])
            })
            .collect();
        assert_eq!(got, want, "{}", path.display());
    }
}
