//! The crate's one error type: what failed, where (file, config key, sequence) and how to fix it.

use std::path::PathBuf;

/// Errors of loading and running a language model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The checkpoint folder (or one of its files) is missing or unreadable.
    #[error("{path}: {reason}")]
    Checkpoint {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong and what was expected.
        reason: String,
    },

    /// `config.json` does not describe the architecture of the chosen backend.
    #[error("{path}: config key `{key}`: {reason}")]
    Config {
        /// The config.json file.
        path: PathBuf,
        /// The mismatching (or missing) key.
        key: String,
        /// What was found and what the backend needs.
        reason: String,
    },

    /// A weight tensor is missing or has the wrong shape.
    #[error("{path}: weights: {reason}")]
    Weights {
        /// The weights file.
        path: PathBuf,
        /// The tensor name and the problem.
        reason: String,
    },

    /// The tokenizer files are missing or invalid.
    #[error("{path}: tokenizer: {reason}")]
    Tokenizer {
        /// The tokenizer file (or the folder when none was found).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// A request the model cannot serve (bad layer index, per-residue output where tokens are
    /// not residues, empty sequence).
    #[error("{0}")]
    Request(String),

    /// Published weights could not be downloaded.
    #[error("cannot download {what}: {reason}")]
    Download {
        /// What was being downloaded.
        what: String,
        /// Why it failed and what to do instead.
        reason: String,
    },

    /// A device that this build or machine cannot provide.
    #[error("device {device:?}: {reason}")]
    Device {
        /// The device as given.
        device: String,
        /// Why it is unavailable and what to do.
        reason: String,
    },

    /// The tensor library failed (out of memory, device error).
    #[error("tensor computation failed: {0}")]
    Tensor(#[from] candle_core::Error),
}
