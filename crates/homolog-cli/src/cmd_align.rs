//! `homolog align`: PROTEA's 12 NW/SW alignment features for a list of sequence pairs.

use std::path::PathBuf;

use anyhow::{Context, Result};
use homolog_align::{Scoring, SubstitutionMatrix};
use homolog_pairs::{BatchOptions, CacheOptions, OnInvalid, OutputFormat, RunOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Align (query, reference) pairs: global (NW) and local (SW) with traceback, exactly as
/// parasail's nw/sw_trace_striped_32, and write PROTEA's 12 features per pair in input order.
#[derive(Debug, clap::Args)]
pub struct AlignArgs {
    /// Pairs file: one pair a line, `query_id<TAB>reference_id` (extra columns ignored; `#`
    /// comments and a `query<TAB>reference` header line are skipped).
    #[arg(long, value_name = "TSV")]
    pub pairs: PathBuf,
    /// FASTA file(s) (plain or gzip) holding every id the pairs name; repeat the option or
    /// separate with commas.
    #[arg(long, value_name = "FASTA", required = true, value_delimiter = ',')]
    pub sequences: Vec<PathBuf>,
    /// Output file; `.parquet`, `.csv` or `.tsv` (written atomically). Columns: query,
    /// reference, identity_nw, similarity_nw, alignment_score_nw, gaps_pct_nw,
    /// alignment_length_nw, the same five for SW, length_query, length_ref.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Output format, overriding the extension of --out.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// SQLite alignment cache (PROTEA's layout; created if absent, safe to share between
    /// processes). Known pairs are read instead of aligned.
    #[arg(long, value_name = "SQLITE")]
    pub cache: Option<PathBuf>,
    /// If the cache file is not a valid homolog cache, move it aside
    /// (`<file>.invalid-<time>`) and start a new one instead of stopping with an error.
    #[arg(long)]
    pub rebuild_cache: bool,
    /// Skip the integrity check (`PRAGMA quick_check`) when opening the cache (faster for
    /// very large caches).
    #[arg(long)]
    pub no_verify_cache: bool,
    /// Substitution matrix: a file in NCBI text format (e.g. ../shared/data/matrices/BLOSUM45);
    /// default: BLOSUM62 as parasail ships it.
    #[arg(long, value_name = "FILE")]
    pub matrix: Option<PathBuf>,
    /// Gap open penalty (a gap of length L costs open + (L - 1) * extend).
    #[arg(long, default_value_t = 10)]
    pub gap_open: i32,
    /// Gap extend penalty.
    #[arg(long, default_value_t = 1)]
    pub gap_extend: i32,
    /// Worker threads: 0 = all cores, 1 = serial.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Distinct pairs per cache round trip (read batch, parallel alignment, write
    /// transaction). Larger chunks let the batch kernel group more pairs by length.
    #[arg(long, default_value_t = 65_536)]
    pub chunk: usize,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// Apache Parquet.
    Parquet,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
}

/// Runs `homolog align`.
pub fn run(args: AlignArgs) -> Result<()> {
    let matrix = match &args.matrix {
        Some(p) => SubstitutionMatrix::from_ncbi_file(p)
            .with_context(|| format!("reading the substitution matrix {}", p.display()))?,
        None => SubstitutionMatrix::blosum62(),
    };
    let scoring = Scoring::new(matrix, args.gap_open, args.gap_extend)?;
    let options = RunOptions {
        pairs: args.pairs,
        sequences: args.sequences,
        out: args.out.clone(),
        format: args.format.map(|f| match f {
            FormatArg::Parquet => OutputFormat::Parquet,
            FormatArg::Csv => OutputFormat::Csv,
            FormatArg::Tsv => OutputFormat::Tsv,
        }),
        cache: args.cache,
        cache_options: CacheOptions {
            on_invalid: if args.rebuild_cache {
                OnInvalid::Rebuild
            } else {
                OnInvalid::Error
            },
            verify: !args.no_verify_cache,
        },
        batch: BatchOptions {
            scoring,
            threads: args.threads,
            chunk: args.chunk,
        },
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>12} [{bar:40}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_prefix("align");
    let started = std::time::Instant::now();
    let report = homolog_pairs::run(&options, &|total| bar.set_length(total), &|n| bar.inc(n))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        pairs = report.pairs,
        distinct = report.unique,
        cache_hits = report.cache_hits,
        aligned = report.computed,
        seconds = secs,
        kernel = homolog_align::best_kernel(),
        "wrote {}",
        args.out.display()
    );
    eprintln!(
        "aligned {} pairs ({} distinct: {} from the cache, {} computed) in {:.2} s -> {}",
        report.pairs,
        report.unique,
        report.cache_hits,
        report.computed,
        secs,
        args.out.display()
    );
    Ok(())
}
