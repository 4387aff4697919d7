//! The candidate rows: per query and GO aspect, the k nearest reference proteins annotated in
//! that aspect, and one row per distinct GO term they carry, with PROTEA's features.
//!
//! For one (query, aspect) with neighbours `n_1 .. n_k` (nearest first, distances `d_j`), each
//! annotation of a neighbour in the aspect is a vote for its term (a term annotated twice on
//! one neighbour, e.g. under two evidence codes, votes twice). For a candidate term `t`:
//!
//! | column | value |
//! |---|---|
//! | `distance` | `d_j` of the first neighbour carrying `t` (its *carrier*) |
//! | `ref_protein_accession`, `evidence_code`, `qualifier` | the carrier, and its first annotation with `t` (`qualifier` is always empty: references keep no qualifiers and drop `NOT` rows) |
//! | `vote_count` | votes for `t` |
//! | `k_position` | 1-based rank of the carrier |
//! | `neighbor_vote_fraction` | `vote_count / k` (the configured k; may exceed 1 with repeated annotations, as in PROTEA) |
//! | `neighbor_min_distance` | smallest distance over the votes (= `distance`) |
//! | `neighbor_mean_distance` | sum of the distances over the votes / `vote_count` |
//! | `neighbor_distance_std` | population standard deviation of the distances of all the query's neighbours in all three aspects (0 with fewer than two) |
//! | `go_term_frequency` | annotations of `t` in the whole reference |
//! | `ref_annotation_density` | annotations of the carrier in all three aspects |
//! | 12 alignment columns | `homolog_align::PairFeatures` of (query, carrier) |
//! | taxonomy columns | `Taxonomy::pair_features(query taxid, carrier taxid)` |
//! | `tax_voters_*` | `TaxVoterTally` over the votes |

use std::collections::HashMap;
use std::sync::Arc;

use homolog_align::PairFeatures;
use homolog_features::{TaxVoterFractions, TaxVoterTally, EMB_PCA_DIM};
use homolog_go::{Aspect, Ontology};
use homolog_search::{Metric, RowFilter, SearchParams};
use homolog_taxonomy::{Taxonomy, TaxonomyPairFeatures};

use crate::pool::ReferencePool;
use crate::releases::{Category, ProteinTruth, ASPECTS};
use crate::semantics::{Anc2Vec, Anc2VecFeatures, IcScratch, IcSimilarity, OntologyFeatures};
use crate::ExportError;

/// A query protein.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryInput {
    /// Its id (as the releases name it).
    pub accession: String,
    /// Its sequence.
    pub sequence: String,
    /// Its embedding in the pool's (model, layer).
    pub embedding: Vec<f32>,
    /// Its NCBI taxid, when known.
    pub taxid: Option<i64>,
}

/// One neighbour of a (query, aspect).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    /// Pool protein index.
    pub protein: u32,
    /// Embedding distance.
    pub distance: f32,
}

/// Neighbours of one query, per aspect (P, F, C).
pub type AspectNeighbours = [Vec<Neighbour>; 3];

/// The k nearest proteins annotated in each aspect, for every query.
///
/// The search runs over distinct sequences (rows); a row stands for its proteins in
/// ascending index order, so the list is cut at k proteins. With `exclude_self`, a reference
/// protein with the query's accession is never a neighbour (and a row holding nothing else
/// eligible is not searched, so it does not use up k).
pub fn find_neighbours(
    pool: &ReferencePool,
    queries: &[QueryInput],
    k: usize,
    metric: Metric,
    exclude_self: bool,
) -> Result<Vec<AspectNeighbours>, ExportError> {
    let dim = pool.dim();
    let mut flat = Vec::with_capacity(queries.len() * dim);
    for q in queries {
        if q.embedding.len() != dim {
            return Err(ExportError::Invalid(format!(
                "query {} has a {}-d embedding, the reference matrix is {dim}-d; embed the queries \
                 with the same model and layer as the reference",
                q.accession,
                q.embedding.len()
            )));
        }
        flat.extend_from_slice(&q.embedding);
    }
    let own: Vec<Option<u32>> = queries
        .iter()
        .map(|q| {
            exclude_self
                .then(|| pool.protein_index(&q.accession))
                .flatten()
        })
        .collect();
    let mut out: Vec<AspectNeighbours> = vec![Default::default(); queries.len()];
    for (a, _) in ASPECTS.iter().enumerate() {
        let eligible =
            |p: u32, me: Option<u32>| !pool.protein(p).annotations[a].is_empty() && Some(p) != me;
        let excluded: Vec<Vec<u32>> = own
            .iter()
            .map(|me| match me {
                Some(p) => {
                    let row = pool.protein(*p).row;
                    if pool.row_proteins(row).iter().any(|&o| eligible(o, *me)) {
                        Vec::new()
                    } else {
                        vec![row]
                    }
                }
                None => Vec::new(),
            })
            .collect();
        let filter = RowFilter {
            allowed: Some(pool.aspect_rows(a).to_vec()),
            excluded_per_query: own.iter().any(Option::is_some).then_some(excluded),
        };
        let params = SearchParams {
            metric,
            k,
            threshold: None,
            keep_ties: false,
            query_chunk: 0,
        };
        let hits = homolog_search::search(&flat, pool.matrix(), dim, &params, &filter)?;
        for (qi, hits) in hits.into_iter().enumerate() {
            let list = &mut out[qi][a];
            'rows: for h in hits {
                for &p in pool.row_proteins(h.reference) {
                    if list.len() == k {
                        break 'rows;
                    }
                    if eligible(p, own[qi]) {
                        list.push(Neighbour {
                            protein: p,
                            distance: h.distance,
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}

/// One candidate term of a (query, aspect) before its features are filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Pool term index.
    pub term: u32,
    /// Index of its carrier in the neighbour list.
    pub carrier: usize,
    /// Index of the carrier's first annotation with the term (in its aspect list).
    pub annotation: usize,
}

/// The distinct terms of a neighbour list, in first-vote order.
pub fn candidates(pool: &ReferencePool, aspect: usize, neighbours: &[Neighbour]) -> Vec<Candidate> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (j, n) in neighbours.iter().enumerate() {
        for (i, ann) in pool.protein(n.protein).annotations[aspect]
            .iter()
            .enumerate()
        {
            if seen.insert(ann.term) {
                out.push(Candidate {
                    term: ann.term,
                    carrier: j,
                    annotation: i,
                });
            }
        }
    }
    out
}

/// One output row. Field names follow the Parquet columns ([`crate::schema`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRow {
    pub protein_accession: String,
    pub go_id: String,
    pub aspect: Aspect,
    pub label: bool,
    pub distance: f64,
    pub ref_protein_accession: String,
    pub qualifier: String,
    pub evidence_code: String,
    /// `None` when alignment is off.
    pub alignment: Option<PairFeatures>,
    /// `None` when the export runs without a taxonomy.
    pub taxonomy: Option<TaxonomyPairFeatures>,
    pub vote_count: f64,
    pub k_position: f64,
    pub go_term_frequency: f64,
    pub ref_annotation_density: f64,
    pub neighbor_distance_std: f64,
    pub neighbor_vote_fraction: f64,
    pub neighbor_min_distance: f64,
    pub neighbor_mean_distance: f64,
    pub anc2vec: Anc2VecFeatures,
    pub tax_voters: TaxVoterFractions,
    /// `emb_pca_query_0..15` (NaN when the PCA could not be fitted).
    pub emb_pca: [f32; EMB_PCA_DIM],
    pub category: Category,
    /// `earlier->later`.
    pub release_pair: Arc<str>,
    pub ontology: OntologyFeatures,
}

/// Everything row building reads besides the query.
pub struct RowContext<'a> {
    /// The neighbour pool.
    pub pool: &'a ReferencePool,
    /// The reference's ontology (labels, IC similarities).
    pub onto: &'a Ontology,
    /// Pool term -> ontology index.
    pub term_onto: &'a [Option<u32>],
    /// For the taxonomy and voter columns (`None`: those columns are empty).
    pub taxonomy: Option<&'a Taxonomy>,
    /// For the `anc2vec_*` columns (`None`: NaN).
    pub anc2vec: Option<&'a Anc2Vec>,
    /// For `go_ic`, `go_resnik_*`, `go_lin_*` (`None`: NaN).
    pub ic: Option<&'a IcSimilarity>,
    /// The configured k (denominator of `neighbor_vote_fraction`).
    pub k: usize,
    /// The `release_pair` column.
    pub release_pair: Arc<str>,
}

/// Population standard deviation (numpy's `np.std`, ddof 0) of f32 distances in f64; 0 for
/// fewer than two values, as PROTEA writes.
pub fn distance_std(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

/// The rows of one query. `alignments` maps a carrier's row (pool sequence row) to the
/// query-vs-carrier features (absent when alignment is off); `pca` is the query's projection.
pub fn build_rows(
    ctx: &RowContext<'_>,
    query: &QueryInput,
    truth: &ProteinTruth,
    neighbours: &AspectNeighbours,
    alignments: Option<&HashMap<u32, PairFeatures>>,
    pca: &[f32; EMB_PCA_DIM],
    scratch: &mut IcScratch,
) -> Vec<CandidateRow> {
    let pool = ctx.pool;
    let all: Vec<f64> = neighbours
        .iter()
        .flatten()
        .map(|n| f64::from(n.distance))
        .collect();
    let std = distance_std(&all);
    let known_ids: Vec<&str> = truth.known.iter().map(|&t| ctx.onto.id_at(t)).collect();
    let known_group = ctx.anc2vec.map(|v| v.group(known_ids.iter().copied()));
    let mut rows = Vec::new();
    for (a, aspect) in ASPECTS.iter().enumerate() {
        let Some(category) = truth.category[a] else {
            continue;
        };
        let list = &neighbours[a];
        let pairs: Vec<Option<TaxonomyPairFeatures>> = list
            .iter()
            .map(|n| {
                ctx.taxonomy
                    .map(|t| t.pair_features(query.taxid, pool.protein(n.protein).taxid))
            })
            .collect();
        // Votes: every annotation of every neighbour.
        let mut votes: HashMap<u32, (u32, f64)> = HashMap::new();
        let mut tally = TaxVoterTally::new();
        for (n, pair) in list.iter().zip(&pairs) {
            for ann in &pool.protein(n.protein).annotations[a] {
                let v = votes.entry(ann.term).or_insert((0, 0.0));
                v.0 += 1;
                v.1 += f64::from(n.distance);
                tally.add_vote(ann.term, pair.as_ref());
            }
        }
        let cands = candidates(pool, a, list);
        let neighbour_terms: Vec<u32> = cands
            .iter()
            .filter_map(|c| ctx.term_onto[c.term as usize])
            .collect();
        let known_same_aspect: Vec<u32> = truth
            .known
            .iter()
            .copied()
            .filter(|&t| ctx.onto.term_at(t).aspect == Some(*aspect))
            .collect();
        let group = ctx
            .anc2vec
            .map(|v| v.group(cands.iter().map(|c| pool.term_id(c.term))));
        for c in cands {
            let carrier = list[c.carrier];
            let protein = pool.protein(carrier.protein);
            let ann = &protein.annotations[a][c.annotation];
            let (count, dsum) = votes[&c.term];
            let onto_idx = ctx.term_onto[c.term as usize];
            let go_id = pool.term_id(c.term);
            rows.push(CandidateRow {
                protein_accession: query.accession.clone(),
                go_id: go_id.to_string(),
                aspect: *aspect,
                label: onto_idx.is_some_and(|t| truth.label(a, t)),
                distance: f64::from(carrier.distance),
                ref_protein_accession: protein.accession.clone(),
                qualifier: String::new(),
                evidence_code: ann.evidence.clone().unwrap_or_default(),
                alignment: alignments.and_then(|m| m.get(&protein.row).copied()),
                taxonomy: pairs[c.carrier],
                vote_count: f64::from(count),
                k_position: (c.carrier + 1) as f64,
                go_term_frequency: f64::from(pool.term_frequency(c.term)),
                ref_annotation_density: pool.annotation_density(carrier.protein) as f64,
                neighbor_distance_std: std,
                neighbor_vote_fraction: f64::from(count) / ctx.k as f64,
                neighbor_min_distance: f64::from(carrier.distance),
                neighbor_mean_distance: dsum / f64::from(count.max(1)),
                anc2vec: match (ctx.anc2vec, &group, &known_group) {
                    (Some(v), Some(g), Some(kg)) => v.features(go_id, g, kg, truth.known.len()),
                    _ => Anc2VecFeatures::missing(truth.known.len()),
                },
                tax_voters: if ctx.taxonomy.is_some() {
                    tally
                        .fractions(&c.term)
                        .unwrap_or(TaxVoterFractions::MISSING)
                } else {
                    TaxVoterFractions::MISSING
                },
                emb_pca: *pca,
                category,
                release_pair: ctx.release_pair.clone(),
                ontology: match (ctx.ic, onto_idx) {
                    (Some(ic), Some(t)) => {
                        ic.features(ctx.onto, t, &neighbour_terms, &known_same_aspect, scratch)
                    }
                    _ => OntologyFeatures::MISSING,
                },
            });
        }
    }
    rows
}

/// The (query, carrier row) pairs `build_rows` needs aligned, for (query, aspect)s with a
/// category.
pub fn carrier_rows(
    pool: &ReferencePool,
    truth: &ProteinTruth,
    neighbours: &AspectNeighbours,
) -> Vec<u32> {
    let mut rows = Vec::new();
    for (a, list) in neighbours.iter().enumerate() {
        if truth.category[a].is_none() {
            continue;
        }
        for c in candidates(pool, a, list) {
            let r = pool.protein(list[c.carrier].protein).row;
            if !rows.contains(&r) {
                rows.push(r);
            }
        }
    }
    rows
}
