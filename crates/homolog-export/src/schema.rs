//! The Parquet schema of `train.parquet` and `eval.parquet`: a fixed column order and fixed
//! types, whatever the configuration (a feature that is off is written as null or NaN), so
//! files of different runs concatenate.
//!
//! The first 56 columns are PROTEA's canonical export columns in PROTEA's order and with its
//! type policy (`protea/core/_export_schema.py`): identity and categorical columns are
//! strings, `label` is int64, every numeric feature is float64. PROTEA's always-default
//! columns (lineage, InterPro, LAFA) are not written. homolog's own columns follow:
//! `category`, `release_pair`, the three taxonomy ids and the ontology similarities.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use homolog_align::PairFeatures;
use homolog_features::EMB_PCA_COLUMNS;
use sha2::{Digest, Sha256};

use crate::candidates::CandidateRow;

/// Version of the column set; bumped when a column is added, removed, renamed or retyped.
pub const SCHEMA_VERSION: u32 = 1;

/// Column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    /// Nullable int64 (taxonomy ids).
    OptInt,
    Float,
}

/// Every column, in order.
fn columns() -> Vec<(&'static str, Kind)> {
    use Kind::*;
    let mut c = vec![
        ("protein_accession", Text),
        ("go_id", Text),
        ("aspect", Text),
        ("label", Int),
        ("distance", Float),
        ("ref_protein_accession", Text),
        ("qualifier", Text),
        ("evidence_code", Text),
    ];
    c.extend(PairFeatures::FIELD_NAMES.iter().map(|n| (*n, Float)));
    c.extend([
        ("taxonomic_distance", Float),
        ("taxonomic_common_ancestors", Float),
        ("taxonomic_relation", Text),
        ("vote_count", Float),
        ("k_position", Float),
        ("go_term_frequency", Float),
        ("ref_annotation_density", Float),
        ("neighbor_distance_std", Float),
        ("neighbor_vote_fraction", Float),
        ("neighbor_min_distance", Float),
        ("neighbor_mean_distance", Float),
        ("anc2vec_neighbor_cos", Float),
        ("anc2vec_neighbor_maxcos", Float),
        ("anc2vec_has_emb", Float),
        ("anc2vec_query_known_cos", Float),
        ("anc2vec_query_known_maxcos", Float),
        ("anc2vec_query_known_count", Float),
        ("tax_voters_same_frac", Float),
        ("tax_voters_close_frac", Float),
        ("tax_voters_mean_common_ancestors", Float),
    ]);
    c.extend(EMB_PCA_COLUMNS.iter().map(|n| (*n, Float)));
    c.extend([
        ("category", Text),
        ("release_pair", Text),
        ("query_taxonomy_id", OptInt),
        ("ref_taxonomy_id", OptInt),
        ("taxonomic_lca", OptInt),
        ("go_ic", Float),
        ("go_resnik_neighbor_max", Float),
        ("go_lin_neighbor_max", Float),
        ("go_lin_neighbor_mean", Float),
        ("go_lin_query_known_max", Float),
    ]);
    c
}

/// Column names in order.
pub fn column_names() -> Vec<&'static str> {
    columns().into_iter().map(|(n, _)| n).collect()
}

/// The Arrow schema. Float columns are nullable (null = not computed: alignment or taxonomy
/// off); strings and `label` never are.
pub fn schema() -> SchemaRef {
    let fields: Vec<Field> = columns()
        .into_iter()
        .map(|(name, kind)| match kind {
            Kind::Text => Field::new(name, DataType::Utf8, false),
            Kind::Int => Field::new(name, DataType::Int64, false),
            Kind::OptInt => Field::new(name, DataType::Int64, true),
            Kind::Float => Field::new(name, DataType::Float64, true),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// SHA-256 of the `name<TAB>type<TAB>nullable` lines of the schema: equal digests, same
/// columns.
pub fn schema_digest() -> String {
    let mut h = Sha256::new();
    for f in schema().fields() {
        h.update(format!("{}\t{}\t{}\n", f.name(), f.data_type(), f.is_nullable()).as_bytes());
    }
    hex::encode(h.finalize())
}

/// The rows as one record batch of [`schema`].
pub fn to_batch(rows: &[CandidateRow]) -> RecordBatch {
    let n = rows.len();
    let cols = columns();
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
    let text = |f: &dyn Fn(&CandidateRow) -> &str| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * 8);
        rows.iter().for_each(|r| b.append_value(f(r)));
        Arc::new(b.finish())
    };
    let float = |f: &dyn Fn(&CandidateRow) -> Option<f64>| -> ArrayRef {
        let mut b = Float64Builder::with_capacity(n);
        rows.iter().for_each(|r| b.append_option(f(r)));
        Arc::new(b.finish())
    };
    let opt_int = |f: &dyn Fn(&CandidateRow) -> Option<i64>| -> ArrayRef {
        let mut b = Int64Builder::with_capacity(n);
        rows.iter().for_each(|r| b.append_option(f(r)));
        Arc::new(b.finish())
    };
    let aspect_codes: Vec<String> = rows.iter().map(|r| r.aspect.code().to_string()).collect();
    for (name, _) in &cols {
        let array = match *name {
            "protein_accession" => text(&|r| &r.protein_accession),
            "go_id" => text(&|r| &r.go_id),
            "aspect" => {
                let mut b = StringBuilder::with_capacity(n, n);
                aspect_codes.iter().for_each(|c| b.append_value(c));
                Arc::new(b.finish()) as ArrayRef
            }
            "label" => {
                let mut b = Int64Builder::with_capacity(n);
                rows.iter().for_each(|r| b.append_value(i64::from(r.label)));
                Arc::new(b.finish())
            }
            "distance" => float(&|r| Some(r.distance)),
            "ref_protein_accession" => text(&|r| &r.ref_protein_accession),
            "qualifier" => text(&|r| &r.qualifier),
            "evidence_code" => text(&|r| &r.evidence_code),
            "taxonomic_distance" => {
                float(&|r| r.taxonomy.and_then(|t| t.taxonomic_distance).map(f64::from))
            }
            "taxonomic_common_ancestors" => {
                float(&|r| r.taxonomy.map(|t| f64::from(t.taxonomic_common_ancestors)))
            }
            "taxonomic_relation" => text(&|r| match &r.taxonomy {
                Some(t) => t.taxonomic_relation.as_str(),
                None => "",
            }),
            "vote_count" => float(&|r| Some(r.vote_count)),
            "k_position" => float(&|r| Some(r.k_position)),
            "go_term_frequency" => float(&|r| Some(r.go_term_frequency)),
            "ref_annotation_density" => float(&|r| Some(r.ref_annotation_density)),
            "neighbor_distance_std" => float(&|r| Some(r.neighbor_distance_std)),
            "neighbor_vote_fraction" => float(&|r| Some(r.neighbor_vote_fraction)),
            "neighbor_min_distance" => float(&|r| Some(r.neighbor_min_distance)),
            "neighbor_mean_distance" => float(&|r| Some(r.neighbor_mean_distance)),
            "anc2vec_neighbor_cos" => float(&|r| Some(r.anc2vec.neighbor_cos)),
            "anc2vec_neighbor_maxcos" => float(&|r| Some(r.anc2vec.neighbor_maxcos)),
            "anc2vec_has_emb" => float(&|r| Some(r.anc2vec.has_emb)),
            "anc2vec_query_known_cos" => float(&|r| Some(r.anc2vec.query_known_cos)),
            "anc2vec_query_known_maxcos" => float(&|r| Some(r.anc2vec.query_known_maxcos)),
            "anc2vec_query_known_count" => float(&|r| Some(r.anc2vec.query_known_count)),
            "tax_voters_same_frac" => float(&|r| Some(r.tax_voters.same_frac)),
            "tax_voters_close_frac" => float(&|r| Some(r.tax_voters.close_frac)),
            "tax_voters_mean_common_ancestors" => {
                float(&|r| Some(r.tax_voters.mean_common_ancestors))
            }
            "category" => text(&|r| r.category.as_str()),
            "release_pair" => text(&|r| &r.release_pair),
            "query_taxonomy_id" => opt_int(&|r| r.taxonomy.and_then(|t| t.query_taxonomy_id)),
            "ref_taxonomy_id" => opt_int(&|r| r.taxonomy.and_then(|t| t.ref_taxonomy_id)),
            "taxonomic_lca" => opt_int(&|r| r.taxonomy.and_then(|t| t.taxonomic_lca)),
            "go_ic" => float(&|r| Some(r.ontology.go_ic)),
            "go_resnik_neighbor_max" => float(&|r| Some(r.ontology.resnik_neighbor_max)),
            "go_lin_neighbor_max" => float(&|r| Some(r.ontology.lin_neighbor_max)),
            "go_lin_neighbor_mean" => float(&|r| Some(r.ontology.lin_neighbor_mean)),
            "go_lin_query_known_max" => float(&|r| Some(r.ontology.lin_query_known_max)),
            other => {
                if let Some(i) = EMB_PCA_COLUMNS.iter().position(|c| c == &other) {
                    float(&|r| Some(f64::from(r.emb_pca[i])))
                } else if let Some(i) = PairFeatures::FIELD_NAMES.iter().position(|c| c == &other) {
                    float(&|r| r.alignment.map(|a| a.values()[i]))
                } else {
                    unreachable!("every column of columns() is handled: {other}")
                }
            }
        };
        arrays.push(array);
    }
    RecordBatch::try_new(schema(), arrays).expect("arrays match the schema by construction")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protea_columns_come_first_in_protea_order() {
        let names = column_names();
        assert_eq!(names.len(), 66);
        assert_eq!(
            &names[..5],
            ["protein_accession", "go_id", "aspect", "label", "distance"]
        );
        assert_eq!(names[8], "identity_nw");
        assert_eq!(names[19], "length_ref");
        assert_eq!(names[40], "emb_pca_query_0");
        assert_eq!(names[55], "emb_pca_query_15");
        assert_eq!(names[56], "category");
        assert_eq!(schema_digest().len(), 64);
        let empty = to_batch(&[]);
        assert_eq!(empty.num_columns(), 66);
    }
}
