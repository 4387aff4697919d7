//! The pipeline's error: each stage's error, plus the glue's own.

use std::path::PathBuf;

/// Anything that stops a pipeline command. Messages come from the stage that failed and name
/// the file, line or record involved.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Config(#[from] homolog_config::ConfigError),
    #[error(transparent)]
    Sequence(#[from] homolog_seq::SeqError),
    #[error(transparent)]
    Embed(#[from] homolog_embed::EmbedError),
    #[error(transparent)]
    Reference(#[from] homolog_reference::ReferenceError),
    #[error(transparent)]
    Search(#[from] homolog_search::SearchError),
    #[error(transparent)]
    Annotate(#[from] homolog_annotate::AnnotateError),
    #[error(transparent)]
    Ontology(#[from] homolog_go::GoError),
    #[error(transparent)]
    Evaluate(#[from] homolog_evaluate::EvalError),
    #[error(transparent)]
    Taxonomy(#[from] homolog_taxonomy::TaxonomyError),
    #[error(transparent)]
    Demo(#[from] homolog_demo::DemoError),
    #[error(transparent)]
    File(#[from] homolog_io::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl PipelineError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PipelineError {
        let path = path.into();
        move |source| PipelineError::Io { path, source }
    }
}
