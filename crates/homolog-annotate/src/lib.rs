//! GO transfer from nearest neighbours and FANTASIA's outputs.
//!
//! CONTRACT:
//! - Input per (model, layer): the queries (id, sequence) and their `homolog_search::Hit`s
//!   against `homolog_reference::Reference` rows.
//! - `transfer(...) -> Vec<RawRow>`: one row per hit x protein sharing the sequence x GO
//!   annotation, with FANTASIA's raw CSV columns, reliability index and NW/SW metrics.
//! - `summarize(rows, &SummarySettings) -> Vec<SummaryRow>` with weighted `final_score`;
//!   `collapse_to_leaves`; writers for `raw_results/<model>/layer_<k>/<accession>.csv`,
//!   `summary.csv`, `topgo/...`.
