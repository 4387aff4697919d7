//! GO transfer from nearest neighbours, and FANTASIA v4's outputs.
//!
//! The annotate stage turns the k nearest reference sequences of each query
//! (`homolog_search::Hit`s) into predicted GO terms: every hit expands to one row per
//! (protein sharing that sequence) x (GO annotation of that protein), with a reliability index
//! and NW/SW alignment metrics; rows are then summarised per (query, term, model, layer) into a
//! weighted `final_score`, optionally collapsed to leaf terms, and written as FANTASIA writes
//! them so its users (and its downstream scripts) can switch without changes.
//!
//! # Pipeline and API
//!
//! 1. [`pairs_for_hits`] + [`align_pairs`]: align all unique (query, reference) sequence pairs
//!    of a query set in parallel (rayon) through a [`PairAligner`]; the default
//!    [`MemoAligner`] uses `homolog_align::{global, local}` (BLOSUM62, open 10, extend 1, as
//!    FANTASIA's parasail calls) and memoises by ordered pair.
//! 2. [`transfer`] per query ([`QueryInput`]: id, sequence, optional index) and (model, layer)
//!    ([`ModelLayer`]: model, layer, embedding type id, distance threshold) ->
//!    `Vec<`[`RawRow`]`>`; a hit row outside the reference is an error. The reference is read
//!    through the [`ReferenceData`] trait, so this crate does not depend on
//!    `homolog-reference` ([`InMemoryReference`] is provided; the CLI adapts
//!    `homolog_reference::Reference`).
//! 3. [`summarize`]`(rows, limit_per_entry, precision, settings)` -> `Vec<`[`SummaryRow`]`>`
//!    with [`SummarySettings`] (FANTASIA's `postprocess.summary`, serde with
//!    `deny_unknown_fields`; [`PostprocessSettings`] is the whole `postprocess` section). k and
//!    precision are arguments because FANTASIA's config has them under `lookup`.
//! 4. Optional [`collapse_to_leaves`] on raw or summary rows with a GO ontology.
//! 5. Writers (all atomic: temp file + rename): [`write_raw_results`], [`write_summary_csv`],
//!    [`write_topgo`], paths from [`ExperimentLayout`]. [`read_raw_csv`] reads raw CSVs back
//!    (homolog's or FANTASIA's), so the summary can be rerun on a previous run's files.
//!
//! # FANTASIA v4's outputs (researched in CBBIO/FANTASIA `fantasia/src/lookup.py`,
//! `fantasia/src/helpers/helpers.py`, `docs/source/reference/output_files.rst`,
//! `configuration_reference.rst`, `fantasia/config.yaml`)
//!
//! Experiment folder `<base>/experiments/<prefix>_<YYYYMMDDHHMMSS>/` with
//! `experiment_config.yaml`, `embeddings.h5`, `raw_results/`, `summary.csv`, `topgo/`,
//! `sequences.fasta` (see [`ExperimentLayout`]).
//!
//! ## Raw CSV: `raw_results/<model>/layer_<k>/<accession>.csv`
//!
//! One file per query and (model, layer); model and accession pass through FANTASIA's
//! `_sanitize` (lower-case, characters outside `[a-z0-9._-]` -> `_`), see
//! [`sanitize_file_component`]. One row per hit x protein x annotation. Columns, in FANTASIA's
//! order ([`raw_csv_header`]):
//!
//! `accession, model_name, embedding_type_id, layer_index, distance, go_id, category,
//! evidence_code, go_description, protein_id, organism, gene_name, query_idx, ref_idx,
//! query_len, ref_len, [sequence_query, sequence_reference], reliability_index, identity,
//! similarity, alignment_score, gaps_percentage, alignment_length, length_query,
//! length_reference, identity_sw, similarity_sw, alignment_score_sw, gaps_percentage_sw,
//! alignment_length_sw, distance_metric, distance_threshold` + homolog's `taxonomy_id`.
//!
//! - `reliability_index`: cosine `1 - d`, euclidean `0.5 / (0.5 + d)` ([`reliability_index`]).
//!   [`RiMode::GoPredSim`] replaces it by goPredSim's per-term `sum(s_i) / n_hits`.
//! - Alignment columns: parasail NW (`identity`, ...) and SW (`*_sw`) with traceback; identity
//!   = matches / alignment length, similarity = (matches + positive substitutions) / length,
//!   `gaps_percentage` = (query + reference gap columns) / length, all fractions in [0, 1]
//!   despite the name; an empty alignment gives 0 for all but the score.
//! - Floats are written with `precision` decimals (FANTASIA `float_format="%.{p}f"`, default
//!   4), so `alignment_score`/`alignment_length` read e.g. `245.0000` as FANTASIA's do.
//! - `category` is the aspect letter `P`, `F` or `C`, as PIS stores UniProt's GO
//!   cross-references (`C:cytoplasm`) and as FANTASIA's `lookup.selection.categories` keys use.
//! - `sequence_query`/`sequence_reference` only with `keep_sequences`.
//!
//! Decisions where homolog differs or FANTASIA is ambiguous:
//! - The alignment columns are always present (empty when alignment is off); FANTASIA drops
//!   them when it has no sequences.
//! - `query_idx` is the caller's query index and `ref_idx` the reference sequence row (the
//!   search row). FANTASIA numbers sequences in first-seen order for its `sequences.fasta`,
//!   which depends on batch order; homolog's are stable.
//! - `taxonomy_id` is appended (FANTASIA loads it but does not write it).
//! - Files are rewritten whole (atomically), not appended to, so a rerun never duplicates rows.
//! - Two query ids that sanitise to the same file name are an error, not a silent merge.
//!
//! ## `summary.csv`
//!
//! FANTASIA's `post_processing` groups raw rows by (accession, go_id, model_name,
//! layer_index) and computes, per `postprocess.summary`:
//! - `metrics`: `{column: [min|max|mean]}` -> columns `<agg>_<alias>`; defaults
//!   `max_ri`, `min_id_g`, `max_id_g`, `mean_id_g`, `min_id_l`, `max_id_l`, `mean_id_l`
//!   (aliases `reliability_index: ri`, `identity: id_g`, `identity_sw: id_l`);
//! - `count` = rows in the group / `limit_per_entry` (rows, so it can exceed 1 when several
//!   proteins share a hit's sequence or one protein has the term with several evidence
//!   codes; `final_score` then can too, e.g. 6 rows / k = 5 gives count 1.2 and final_score
//!   1.04). homolog keeps FANTASIA's formula so its `summary.csv` numbers match FANTASIA's;
//!   `final_score` is a ranking score, not a probability, and `homolog evaluate` clips
//!   values above 1 to 1 (counting them);
//! - `weights`: looked up as `<agg>_<alias>`, then metric, then alias (a number applies to
//!   every aggregation, `{max: 0.4}` to one), `count`; normalised to sum 1; each weighted
//!   column `w_<name>` = round(value x weight, precision) with missing values as 0;
//!   `final_score` = sum of the weighted columns. Defaults 0.4 `max_ri`, 0.2 `max_id_g`,
//!   0.2 `max_id_l`, 0.2 `count`.
//!
//! Column order per group: each aggregate followed by its weighted column, then `count`,
//! `w_count`, `final_score` ([`SummaryPlan::columns`]). FANTASIA then pivots to one row per
//! (accession, go_id): `accession, go_id, term_count` (raw rows over all models/layers),
//! `<column>_<model>_L<layer>` for every column and (model, layer), and `proteins`
//! (pipe-separated donor protein ids). homolog writes that [`SummaryFormat::Wide`] layout by
//! default and a long one (one row per group) on request. Decisions:
//! - Values are computed from the raw values rounded to `precision` (what FANTASIA reads back
//!   from its raw CSVs), so summaries from memory and from files are identical.
//! - FANTASIA appends each accession's pivot to `summary.csv` with the first accession's
//!   header, which misaligns columns when accessions have different (model, layer) sets;
//!   homolog writes one header over the union. (model, layer) columns are sorted by model
//!   name then layer; `proteins` is sorted.
//! - Unknown metrics/aggregations, weights that match no column and negative weights are
//!   errors (FANTASIA ignores them). `normalize_count_by_limit_per_entry: false` is honoured
//!   (FANTASIA ignores it); `export_raw_count: true` adds an unweighted `count_raw`
//!   (FANTASIA accepts the key but emits nothing; homolog's default is `false`).
//!
//! ## Output thresholds (homolog)
//!
//! `postprocess.min_score` and `postprocess.min_reliability` (off by default) drop weak
//! predictions from `summary.csv` and the TopGO files ([`apply_output_thresholds`]): a
//! (query, term, model, layer) prediction is kept when its `final_score` >= `min_score` and
//! its best reliability index >= `min_reliability`, compared at `precision` decimals (a value
//! at the threshold is kept); TopGO lines also need their own RI >= `min_reliability`. Raw
//! CSVs keep every row.
//!
//! ## TopGO: `topgo/<model>/layer_<k>/<category>.topgo`, `topgo/ensemble/<category>.topgo`
//!
//! FANTASIA writes, per raw file and (model, layer, category), the distinct
//! `accession<TAB>go_id<TAB>reliability_index` lines without header; the ensemble keeps the
//! best reliability index per (accession, go_id, category) over all models and layers. File
//! names are the category letters (`P.topgo`, `F.topgo`, `C.topgo`; the comment in
//! FANTASIA's `config.yaml` saying `BP|MF|CC` does not match what its code writes from PIS's
//! letters). That is [`TopgoFormat::Fantasia`], the default. topGO's own `readMappings` wants
//! the gene2GO map `accession<TAB>GO:1, GO:2`, which [`TopgoFormat::Gene2go`] writes.
//!
//! ## Collapse (FANTASIA v3, goPredSim)
//!
//! [`collapse_to_leaves`] drops a predicted term that is an ancestor (is_a/part_of closure) of
//! another predicted term of the same query and (model, layer), keeping the best row per
//! remaining term. FANTASIA v4 does not collapse; [`PostprocessSettings::collapse`] is off by
//! default.
//!
//! # Example
//!
//! One query whose two nearest reference sequences carry GO annotations: transfer, summary,
//! and the experiment folder's files.
//!
//! ```rust
//! use homolog_annotate::{
//!     summarize, transfer, write_raw_results, write_summary_csv, write_topgo, ExperimentLayout,
//!     InMemoryReference, MemoAligner, ModelLayer, ProteinRecord, QueryInput, RawCsvOptions,
//!     SummaryFormat, SummarySettings, TermAnnotation, TopgoFormat, TransferSettings,
//! };
//! use homolog_go::Aspect;
//! use homolog_search::Hit;
//!
//! let term = |go_id: &str, aspect| TermAnnotation {
//!     go_id: go_id.into(),
//!     aspect: Some(aspect),
//!     evidence: Some("IDA".into()),
//! };
//! let mut reference = InMemoryReference::new();
//! let p1 = ProteinRecord {
//!     accession: "P1".into(),
//!     annotations: vec![
//!         term("GO:0000001", Aspect::MolecularFunction),
//!         term("GO:0000002", Aspect::BiologicalProcess),
//!     ],
//!     ..ProteinRecord::default()
//! };
//! let p2 = ProteinRecord {
//!     accession: "P2".into(),
//!     annotations: vec![term("GO:0000001", Aspect::MolecularFunction)],
//!     ..ProteinRecord::default()
//! };
//! reference.add_protein(p1, "MKTAYIAKQR"); // sequence row 0
//! reference.add_protein(p2, "MKTAWIAKR"); // sequence row 1
//!
//! // The search's nearest neighbours of the query (cosine distances).
//! let hits = [
//!     Hit { reference: 0, distance: 0.1 },
//!     Hit { reference: 1, distance: 0.3 },
//! ];
//! let query = QueryInput { id: "Q1", sequence: "MKTAYIAKQR", index: Some(0) };
//! let model = ModelLayer {
//!     model: "prot_t5",
//!     layer: 0,
//!     embedding_type_id: Some(3),
//!     distance_threshold: None,
//! };
//! let settings = TransferSettings { limit_per_entry: 2, ..TransferSettings::default() };
//! let rows =
//!     transfer(&reference, &query, &model, &hits, &settings, &MemoAligner::default()).unwrap();
//! // One row per hit x protein x annotation, nearest hit first; RI = 1 - distance.
//! assert_eq!(rows.len(), 3);
//! assert_eq!((rows[0].protein_id.as_str(), rows[0].go_id.as_str()), ("P1", "GO:0000001"));
//! assert!((rows[2].reliability_index - 0.7).abs() < 1e-6);
//! assert_eq!(rows[0].nw.unwrap().identity, 1.0); // the query is P1's sequence
//!
//! // One summary row per (query, term, model, layer).
//! let summary = summarize(&rows, 2, 4, &SummarySettings::default()).unwrap();
//! assert_eq!(summary.len(), 2);
//! assert_eq!(summary[0].go_id, "GO:0000001");
//! assert_eq!(summary[0].get("max_ri"), Some(0.9));
//!
//! let dir = tempfile::tempdir().unwrap();
//! let layout = ExperimentLayout::new(dir.path());
//! let written = write_raw_results(&layout, &rows, &RawCsvOptions::default()).unwrap();
//! assert_eq!(written, [layout.raw_result_file("prot_t5", 0, "Q1")]);
//! write_summary_csv(&layout.summary(), &summary, SummaryFormat::Wide, 4).unwrap();
//! write_topgo(&layout, &rows, TopgoFormat::Fantasia, 4).unwrap();
//! let topgo = std::fs::read_to_string(layout.topgo_ensemble_file(Aspect::MolecularFunction));
//! assert_eq!(topgo.unwrap(), "Q1\tGO:0000001\t0.9000\n");
//! ```

mod align;
mod collapse;
mod error;
mod output;
mod reference;
mod summary;
mod threshold;
mod transfer;
mod vote;

pub use align::{
    align_pairs, pairs_for_hits, CachedAligner, MemoAligner, PairAligner, PairMetrics,
};
pub use collapse::{collapse_to_leaves, AncestorSource, Prediction};
pub use error::AnnotateError;
pub use homolog_go::TermAnnotation;
pub use output::{
    parse_aspect, raw_csv_header, read_raw_csv, sanitize_file_component, write_atomic,
    write_raw_csv, write_raw_results, write_summary_csv, write_summary_csv_columns, write_topgo,
    ExperimentLayout, RawCsvOptions, SummaryFormat, TopgoFormat,
};
pub use reference::{InMemoryReference, ProteinRecord, ReferenceData};
pub use summary::{
    raw_value, round_to, summarize, Aggregation, OrderedMap, PostprocessSettings, SummaryPlan,
    SummaryRow, SummarySettings, WeightSpec, SUMMARY_SOURCE_COLUMNS,
};
pub use threshold::{apply_output_thresholds, check_output_thresholds, ThresholdedOutputs};
pub use transfer::{
    reliability_index, transfer, AlignmentColumns, ModelLayer, QueryInput, RawRow, RiMode,
    TransferSettings,
};
pub use vote::{summarize_votes, ScoreMethod, VoteSettings, VOTE_COLUMNS};
