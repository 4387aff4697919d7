//! Hit expansion: one raw row per hit x protein sharing the hit's sequence x GO annotation.

use std::collections::HashMap;

use homolog_go::Aspect;
use homolog_search::{Hit, Metric};
use serde::{Deserialize, Serialize};

use crate::align::PairAligner;
use crate::error::AnnotateError;
use crate::reference::ReferenceData;

/// How the reliability index (RI) of a transferred term is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiMode {
    /// FANTASIA: per hit, from its distance only (cosine `1 - d`, euclidean `0.5 / (0.5 + d)`).
    #[default]
    Fantasia,
    /// goPredSim: per (query, term), `RI(t) = sum over hits annotated with t of s_i / n_hits`,
    /// `s_i` the per-hit FANTASIA RI and `n_hits` the number of hits of the query (ties at
    /// the k-th distance included when the search kept them). Every row of the term carries it.
    #[serde(alias = "go_pred_sim")]
    GoPredSim,
}

/// Settings of the transfer step (FANTASIA's `lookup` and `postprocess.keep_sequences`).
#[derive(Debug, Clone, PartialEq)]
pub struct TransferSettings {
    /// Distance metric the hits were computed with (decides the RI formula).
    pub metric: Metric,
    /// k, FANTASIA's `limit_per_entry` (used by the summary's count normalisation).
    pub limit_per_entry: usize,
    /// Reliability-index mode.
    pub ri: RiMode,
    /// Compute NW/SW metrics per (query, reference sequence) pair.
    pub alignment: bool,
    /// Keep `sequence_query` / `sequence_reference` in the rows (and the raw CSV).
    pub keep_sequences: bool,
    /// Decimal places of floats in the CSV outputs (FANTASIA's `precision`, default 4).
    pub precision: usize,
}

impl Default for TransferSettings {
    fn default() -> Self {
        TransferSettings {
            metric: Metric::Cosine,
            limit_per_entry: 1,
            ri: RiMode::Fantasia,
            alignment: true,
            keep_sequences: false,
            precision: 4,
        }
    }
}

impl TransferSettings {
    /// Checks the settings; errors say which key is wrong.
    pub fn validate(&self) -> Result<(), AnnotateError> {
        if self.limit_per_entry == 0 {
            return Err(AnnotateError::setting(
                "limit_per_entry",
                "must be at least 1 (it is the k of the k nearest neighbours)",
            ));
        }
        if self.precision > 17 {
            return Err(AnnotateError::setting(
                "precision",
                format!(
                    "{} decimal places is more than an f64 holds; use 0..=17",
                    self.precision
                ),
            ));
        }
        Ok(())
    }
}

/// The query being annotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInput<'a> {
    /// Query accession (FANTASIA's `accession`: the first header token, `|` -> `_`).
    pub id: &'a str,
    /// Query amino-acid sequence.
    pub sequence: &'a str,
    /// Index of the query in the input (FANTASIA's `query_idx`), if the caller tracks one.
    pub index: Option<u32>,
}

/// The (model, layer) the hits come from, with its per-model metadata.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelLayer<'a> {
    /// Model name as written in `model_name` and the output paths.
    pub model: &'a str,
    /// Layer index k (0 = last layer).
    pub layer: u32,
    /// FANTASIA embedding type id (ESM=1, ProstT5=2, ProtT5=3, Ankh3=4, ESM C=5), if known.
    pub embedding_type_id: Option<u32>,
    /// The model's distance threshold, recorded in `distance_threshold`.
    pub distance_threshold: Option<f32>,
}

/// Alignment columns of one side (NW or SW), as FANTASIA writes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignmentColumns {
    /// identities / alignment length.
    pub identity: f64,
    /// (identities + positive substitutions) / alignment length.
    pub similarity: f64,
    /// Alignment score.
    pub score: f64,
    /// (query gaps + reference gaps) / alignment length (a fraction despite FANTASIA's name
    /// `gaps_percentage`).
    pub gaps: f64,
    /// Alignment length (columns).
    pub length: f64,
}

impl AlignmentColumns {
    /// Raw CSV names of the global (NW) columns, in FANTASIA's order, which is also the order
    /// of [`AlignmentColumns::values`].
    pub const GLOBAL_NAMES: [&'static str; 5] = [
        "identity",
        "similarity",
        "alignment_score",
        "gaps_percentage",
        "alignment_length",
    ];
    /// Raw CSV names of the local (SW) columns: the global names with `_sw`.
    pub const LOCAL_NAMES: [&'static str; 5] = [
        "identity_sw",
        "similarity_sw",
        "alignment_score_sw",
        "gaps_percentage_sw",
        "alignment_length_sw",
    ];

    /// The values in column order (see [`AlignmentColumns::GLOBAL_NAMES`]).
    pub fn values(&self) -> [f64; 5] {
        [
            self.identity,
            self.similarity,
            self.score,
            self.gaps,
            self.length,
        ]
    }

    /// The inverse of [`AlignmentColumns::values`].
    pub fn from_values([identity, similarity, score, gaps, length]: [f64; 5]) -> Self {
        AlignmentColumns {
            identity,
            similarity,
            score,
            gaps,
            length,
        }
    }

    /// Columns from alignment statistics; all ratios are 0 for an empty alignment.
    pub fn from_stats(s: &homolog_align::AlignmentStats) -> Self {
        let len = f64::from(s.length);
        let ratio = |n: u32| {
            if s.length == 0 {
                0.0
            } else {
                f64::from(n) / len
            }
        };
        AlignmentColumns {
            identity: ratio(s.identities),
            similarity: ratio(s.similarities),
            score: f64::from(s.score),
            gaps: ratio(s.query_gaps + s.reference_gaps),
            length: len,
        }
    }
}

/// One transferred annotation: FANTASIA's raw-result row (see the crate docs for the CSV).
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// Query accession.
    pub accession: String,
    /// Model name.
    pub model_name: String,
    /// FANTASIA embedding type id.
    pub embedding_type_id: Option<u32>,
    /// Layer index.
    pub layer_index: u32,
    /// Embedding distance of the hit.
    pub distance: f64,
    /// Transferred GO id.
    pub go_id: String,
    /// Aspect of the term (FANTASIA `category`, written P/F/C).
    pub category: Aspect,
    /// Evidence code of the reference annotation.
    pub evidence_code: Option<String>,
    /// GO term name.
    pub go_description: Option<String>,
    /// Reference protein accession (FANTASIA `protein_id`).
    pub protein_id: String,
    /// Reference organism.
    pub organism: Option<String>,
    /// Reference gene name.
    pub gene_name: Option<String>,
    /// Reference NCBI taxonomy id (homolog addition).
    pub taxonomy_id: Option<u32>,
    /// Query index in the input.
    pub query_idx: Option<u32>,
    /// Reference sequence row (homolog: the search row; FANTASIA: first-seen order).
    pub ref_idx: Option<u32>,
    /// Query length (residues).
    pub query_len: Option<usize>,
    /// Reference length (residues).
    pub ref_len: Option<usize>,
    /// Query sequence, when kept.
    pub sequence_query: Option<String>,
    /// Reference sequence, when kept.
    pub sequence_reference: Option<String>,
    /// Reliability index.
    pub reliability_index: f64,
    /// Global alignment columns, when computed.
    pub nw: Option<AlignmentColumns>,
    /// Local alignment columns, when computed.
    pub sw: Option<AlignmentColumns>,
    /// Metric the distance was computed with.
    pub distance_metric: Metric,
    /// Per-model distance threshold in force.
    pub distance_threshold: Option<f32>,
}

/// Reliability index of one hit: cosine `1 - d`, euclidean `0.5 / (0.5 + d)` (FANTASIA and
/// goPredSim). Not a probability.
pub fn reliability_index(metric: Metric, distance: f64) -> f64 {
    match metric {
        Metric::Cosine => 1.0 - distance,
        Metric::Euclidean => 0.5 / (0.5 + distance),
    }
}

/// Expands one query's hits into raw rows.
///
/// Rows come in hit order (nearest first), then the order of
/// [`ReferenceData::proteins_of_sequence`], then of
/// [`ReferenceData::annotations_of_protein`]. A hit whose proteins carry no annotation yields
/// no row (as in FANTASIA). With `settings.alignment`, each hit's (query, reference) pair is
/// aligned once through `aligner` (warm it with [`crate::align_pairs`] to parallelise).
///
/// Errors: a hit row outside the reference, or invalid settings.
pub fn transfer<R: ReferenceData + ?Sized>(
    reference: &R,
    query: &QueryInput<'_>,
    model: &ModelLayer<'_>,
    hits: &[Hit],
    settings: &TransferSettings,
    aligner: &dyn PairAligner,
) -> Result<Vec<RawRow>, AnnotateError> {
    settings.validate()?;
    let rows = reference.sequence_count();
    if let Some((i, hit)) = hits
        .iter()
        .enumerate()
        .find(|(_, h)| h.reference as usize >= rows)
    {
        return Err(AnnotateError::HitOutOfRange {
            query: query.id.to_string(),
            model: model.model.to_string(),
            layer: model.layer,
            hit: i,
            row: hit.reference,
            rows,
        });
    }

    let gopredsim = match settings.ri {
        RiMode::Fantasia => None,
        RiMode::GoPredSim => Some(gopredsim_ri(reference, hits, settings.metric)),
    };

    let mut out = Vec::new();
    for hit in hits {
        let row = hit.reference;
        let proteins = reference.proteins_of_sequence(row);
        if proteins
            .iter()
            .all(|&p| reference.annotations_of_protein(p).is_empty())
        {
            continue;
        }
        let ref_seq = reference.sequence(row);
        let distance = f64::from(hit.distance);
        let hit_ri = reliability_index(settings.metric, distance);
        let metrics = settings
            .alignment
            .then(|| aligner.align(query.sequence, ref_seq));
        let nw = metrics
            .as_ref()
            .map(|m| AlignmentColumns::from_stats(&m.nw));
        let sw = metrics
            .as_ref()
            .map(|m| AlignmentColumns::from_stats(&m.sw));
        for &p in proteins {
            for ann in reference.annotations_of_protein(p) {
                // Terms without a GO aspect (non-GO ontologies) have no FANTASIA category.
                let Some(aspect) = ann.aspect else { continue };
                let ri = match &gopredsim {
                    None => hit_ri,
                    Some(by_term) => by_term.get(ann.go_id.as_str()).copied().unwrap_or(0.0),
                };
                out.push(RawRow {
                    accession: query.id.to_string(),
                    model_name: model.model.to_string(),
                    embedding_type_id: model.embedding_type_id,
                    layer_index: model.layer,
                    distance,
                    go_id: ann.go_id.clone(),
                    category: aspect,
                    evidence_code: ann.evidence.clone(),
                    go_description: reference.term_name(&ann.go_id).map(str::to_string),
                    protein_id: reference.protein_accession(p).to_string(),
                    organism: reference.protein_organism(p).map(str::to_string),
                    gene_name: reference.protein_gene_name(p).map(str::to_string),
                    taxonomy_id: reference.protein_taxonomy_id(p),
                    query_idx: query.index,
                    ref_idx: Some(row),
                    query_len: Some(query.sequence.len()),
                    ref_len: Some(ref_seq.len()),
                    sequence_query: settings.keep_sequences.then(|| query.sequence.to_string()),
                    sequence_reference: settings.keep_sequences.then(|| ref_seq.to_string()),
                    reliability_index: ri,
                    nw,
                    sw,
                    distance_metric: settings.metric,
                    distance_threshold: model.distance_threshold,
                });
            }
        }
    }
    Ok(out)
}

/// goPredSim's RI per term: each hit counts once per term even when several proteins sharing
/// its sequence carry the term.
fn gopredsim_ri<'r, R: ReferenceData + ?Sized>(
    reference: &'r R,
    hits: &[Hit],
    metric: Metric,
) -> HashMap<&'r str, f64> {
    let mut sums: HashMap<&'r str, f64> = HashMap::new();
    let mut terms_of_hit: Vec<&'r str> = Vec::new();
    for hit in hits {
        terms_of_hit.clear();
        for &p in reference.proteins_of_sequence(hit.reference) {
            terms_of_hit.extend(
                reference
                    .annotations_of_protein(p)
                    .iter()
                    .map(|a| a.go_id.as_str()),
            );
        }
        terms_of_hit.sort_unstable();
        terms_of_hit.dedup();
        let s = reliability_index(metric, f64::from(hit.distance));
        for t in &terms_of_hit {
            *sums.entry(t).or_insert(0.0) += s;
        }
    }
    let n = hits.len().max(1) as f64;
    for v in sums.values_mut() {
        *v /= n;
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::MemoAligner;
    use crate::reference::{InMemoryReference, ProteinRecord};
    use homolog_go::TermAnnotation;

    fn ann(go: &str, aspect: Aspect, ev: &str) -> TermAnnotation {
        TermAnnotation {
            go_id: go.into(),
            aspect: Some(aspect),
            evidence: Some(ev.into()),
        }
    }

    /// Row 0 "MKVL" shared by P1 (3 annotations) and P2 (1); row 1 "WWWW" for P3 (none);
    /// row 2 "MKVA" for P4 (GO:C).
    fn reference() -> InMemoryReference {
        use Aspect::*;
        let mut r = InMemoryReference::new();
        r.add_protein(
            ProteinRecord {
                accession: "P1".into(),
                organism: Some("Homo sapiens".into()),
                gene_name: Some("G1".into()),
                taxonomy_id: Some(9606),
                annotations: vec![
                    ann("GO:A", BiologicalProcess, "IDA"),
                    ann("GO:B", MolecularFunction, "EXP"),
                    ann("GO:C", CellularComponent, "IPI"),
                ],
            },
            "MKVL",
        );
        r.add_protein(
            ProteinRecord {
                accession: "P2".into(),
                annotations: vec![ann("GO:A", BiologicalProcess, "TAS")],
                ..Default::default()
            },
            "MKVL",
        );
        r.add_protein(
            ProteinRecord {
                accession: "P3".into(),
                ..Default::default()
            },
            "WWWW",
        );
        r.add_protein(
            ProteinRecord {
                accession: "P4".into(),
                annotations: vec![ann("GO:C", CellularComponent, "IDA")],
                ..Default::default()
            },
            "MKVA",
        );
        r.add_term_name("GO:A", "term a");
        r
    }

    const Q: QueryInput<'static> = QueryInput {
        id: "Q1",
        sequence: "MKVL",
        index: Some(7),
    };
    const ML: ModelLayer<'static> = ModelLayer {
        model: "prot_t5",
        layer: 0,
        embedding_type_id: Some(3),
        distance_threshold: None,
    };

    fn hit(row: u32, d: f32) -> Hit {
        Hit {
            reference: row,
            distance: d,
        }
    }

    #[test]
    fn reliability_index_formulas() {
        assert_eq!(reliability_index(Metric::Cosine, 0.25), 0.75);
        assert_eq!(reliability_index(Metric::Euclidean, 0.5), 0.5);
        assert_eq!(reliability_index(Metric::Euclidean, 0.0), 1.0);
        assert_eq!(reliability_index(Metric::Euclidean, 1.5), 0.25);
    }

    #[test]
    fn shared_sequence_expands_to_every_protein_and_annotation() {
        let r = reference();
        let rows = transfer(
            &r,
            &Q,
            &ML,
            &[hit(0, 0.25), hit(1, 0.5)],
            &TransferSettings::default(),
            &MemoAligner::default(),
        )
        .unwrap();
        // 3 + 1 rows from row 0; row 1's protein has no annotation.
        assert_eq!(rows.len(), 4);
        let got: Vec<(&str, &str, char, Option<&str>)> = rows
            .iter()
            .map(|r| {
                (
                    r.protein_id.as_str(),
                    r.go_id.as_str(),
                    r.category.code(),
                    r.evidence_code.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("P1", "GO:A", 'P', Some("IDA")),
                ("P1", "GO:B", 'F', Some("EXP")),
                ("P1", "GO:C", 'C', Some("IPI")),
                ("P2", "GO:A", 'P', Some("TAS")),
            ]
        );
        let r0 = &rows[0];
        assert_eq!(r0.accession, "Q1");
        assert_eq!(r0.model_name, "prot_t5");
        assert_eq!(r0.embedding_type_id, Some(3));
        assert_eq!(r0.distance, 0.25);
        assert_eq!(r0.reliability_index, 0.75);
        assert_eq!(r0.go_description.as_deref(), Some("term a"));
        assert_eq!(rows[1].go_description, None);
        assert_eq!(r0.organism.as_deref(), Some("Homo sapiens"));
        assert_eq!(r0.gene_name.as_deref(), Some("G1"));
        assert_eq!(r0.taxonomy_id, Some(9606));
        assert_eq!((r0.query_idx, r0.ref_idx), (Some(7), Some(0)));
        assert_eq!((r0.query_len, r0.ref_len), (Some(4), Some(4)));
        assert_eq!(r0.sequence_query, None);
        // Identical sequences: identity 1 both ways.
        let nw = r0.nw.unwrap();
        assert_eq!((nw.identity, nw.gaps, nw.length), (1.0, 0.0, 4.0));
        assert_eq!(r0.sw.unwrap().identity, 1.0);
    }

    #[test]
    fn alignment_and_sequences_are_optional() {
        let r = reference();
        let settings = TransferSettings {
            alignment: false,
            keep_sequences: true,
            ..Default::default()
        };
        let aligner = MemoAligner::default();
        let rows = transfer(&r, &Q, &ML, &[hit(2, 0.1)], &settings, &aligner).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].nw, None);
        assert_eq!(rows[0].sw, None);
        assert_eq!(aligner.memo_len(), 0);
        assert_eq!(rows[0].sequence_query.as_deref(), Some("MKVL"));
        assert_eq!(rows[0].sequence_reference.as_deref(), Some("MKVA"));
    }

    #[test]
    fn gopredsim_ri_averages_over_all_hits() {
        let r = reference();
        let settings = TransferSettings {
            ri: RiMode::GoPredSim,
            ..Default::default()
        };
        // Hits: row 0 (A, B, C; A on two proteins), row 1 (nothing), row 2 (C).
        let rows = transfer(
            &r,
            &Q,
            &ML,
            &[hit(0, 0.25), hit(1, 0.5), hit(2, 0.75)],
            &settings,
            &MemoAligner::default(),
        )
        .unwrap();
        let ri = |go: &str| {
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| r.go_id == go)
                .map(|r| r.reliability_index)
                .collect();
            assert!(v.windows(2).all(|w| w[0] == w[1]), "{go}: {v:?}");
            v[0]
        };
        // n_hits = 3; A counted once for row 0 although P1 and P2 both carry it.
        assert_eq!(ri("GO:A"), 0.75 / 3.0);
        assert_eq!(ri("GO:B"), 0.75 / 3.0);
        assert_eq!(ri("GO:C"), (0.75 + 0.25) / 3.0);
    }

    #[test]
    fn hit_outside_reference_is_an_error() {
        let r = reference();
        let err = transfer(
            &r,
            &Q,
            &ML,
            &[hit(0, 0.1), hit(9, 0.2)],
            &TransferSettings::default(),
            &MemoAligner::default(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("hit #1") && msg.contains("row 9") && msg.contains("3 sequence rows"),
            "{msg}"
        );
    }

    #[test]
    fn zero_k_is_rejected() {
        let s = TransferSettings {
            limit_per_entry: 0,
            ..Default::default()
        };
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("limit_per_entry"));
    }
}
