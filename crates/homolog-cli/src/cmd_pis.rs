//! `homolog reference import-pis`: FANTASIA's reference (a PIS PostgreSQL + pgvector
//! database) converted into a homolog reference folder (crate `homolog-pis`, docs/postgres.md).

use std::path::PathBuf;

use anyhow::{Context, Result};
use homolog_pis::{import, EvidenceCodes, ImportOptions, Precision};

/// Convert a PIS database (FANTASIA's lookup tables: proteins, sequences, GO annotations with
/// evidence, taxonomy ids, pgvector embeddings per model and layer) into a reference folder
/// that lookup reads without PostgreSQL.
#[derive(Debug, clap::Args)]
pub struct ImportPisArgs {
    /// The PIS database, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (or the environment
    /// variable, which keeps a password out of the shell history).
    #[arg(
        long,
        value_name = "URL",
        env = "HOMOLOG_PIS_URL",
        hide_env_values = true
    )]
    pub from: String,
    /// The reference folder to write (absent, empty, or a reference to replace).
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// GO ontology (OBO, plain or .gz) copied into the folder and used to map alt ids and drop
    /// obsolete terms; PIS has none (FANTASIA ships go-basic.obo).
    #[arg(long, value_name = "OBO")]
    pub ontology: PathBuf,
    /// Evidence codes to keep, comma-separated, or `all` (default: EXP,IDA,IPI,IMP,IGI,IEP,TAS,IC).
    #[arg(long, value_name = "CODES")]
    pub evidence_codes: Option<String>,
    /// Embedding type to import (homolog name such as prot_t5, PIS name such as Prot-T5, or
    /// PIS type id); repeat for several. Default: every type with vectors.
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// Layer to import (PIS layer_index); repeat for several. Default: every layer.
    #[arg(long = "layer", value_name = "K")]
    pub layers: Vec<usize>,
    /// Import at most N proteins (the first by accession after filtering), e.g. for a trial.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Store matrices as f16 or f32 (default: as in the database, halfvec -> f16, vector -> f32).
    #[arg(long, value_name = "f16|f32")]
    pub precision: Option<String>,
    /// Vectors fetched per round trip.
    #[arg(long, value_name = "ROWS", default_value_t = 2048)]
    pub batch_rows: usize,
}

/// Runs `homolog reference import-pis`.
pub fn run(args: ImportPisArgs) -> Result<()> {
    let mut options = ImportOptions::new(&args.ontology);
    if let Some(codes) = &args.evidence_codes {
        options.evidence_codes = parse_codes(codes);
    }
    options.models = args.models;
    options.layers = args.layers;
    options.limit = args.limit;
    options.batch_rows = args.batch_rows;
    if let Some(p) = &args.precision {
        options.precision =
            Some(Precision::parse(p).with_context(|| format!("--precision {p}: use f16 or f32"))?);
    }
    let report = import(&args.from, &args.out, &options)
        .with_context(|| format!("importing the PIS database into {}", args.out.display()))?;
    let c = &report.manifest.counts;
    println!(
        "{}: {} proteins, {} sequences, {} annotations, {} GO terms (of {} proteins in the \
         database; left out: {} without an annotation passing {}, {} without every vector, {} \
         without a sequence, {} over --limit)",
        args.out.display(),
        c.proteins,
        c.sequences,
        c.annotations,
        c.terms,
        report.proteins_read,
        report.proteins_without_annotation,
        report.manifest.evidence_codes.join(","),
        report.proteins_without_embedding,
        report.proteins_without_sequence,
        report.proteins_over_limit
    );
    for m in &report.models {
        println!(
            "  PIS type {} `{}` layer {} ({}, {}-d) -> {} layer {} ({}){}",
            m.type_id,
            m.pis_name,
            m.layer,
            m.kind.type_name(),
            m.dim,
            m.model,
            m.layer,
            m.precision.as_str(),
            if m.known {
                ""
            } else {
                " [not a homolog model: name kept from PIS]"
            }
        );
    }
    Ok(())
}

/// `all` (or nothing) keeps every code; otherwise a comma-separated list.
fn parse_codes(text: &str) -> EvidenceCodes {
    let codes: Vec<String> = text
        .split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    if codes.is_empty() || codes.iter().any(|c| c == "ALL") {
        EvidenceCodes::All
    } else {
        EvidenceCodes::Only(codes)
    }
}
