//! The crate's one error type. Every variant says what went wrong, where (model, file,
//! accession, position) and, where there is one, how to fix it.

use std::path::PathBuf;

/// Errors of the embedding stage.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model/backend name that the registry does not know.
    #[error("unknown embedding backend {name:?}; known backends: {known} (FANTASIA keys such as ESM, Prot-T5, Prost-T5, Ankh3-Large, ESM3c are accepted too)")]
    UnknownBackend {
        /// The name as given.
        name: String,
        /// Comma-separated canonical names.
        known: String,
    },

    /// A backend that is known but not compiled into this version.
    #[error("backend {name:?} needs the transformer models, not built in this version; use backend \"kmer\" or disable model {model:?} (enabled: false)")]
    Unavailable {
        /// Canonical backend name.
        name: String,
        /// The config key that asked for it.
        model: String,
    },

    /// A setting out of range or inconsistent.
    #[error("invalid settings for model {model:?}: {message}")]
    InvalidSettings {
        /// The config key of the model.
        model: String,
        /// What is wrong and the valid range.
        message: String,
    },

    /// A sequence that a backend cannot embed (bad residue, too short, ...).
    #[error("cannot embed sequence {id:?} with {backend}: {reason}")]
    Sequence {
        /// Backend name.
        backend: String,
        /// Record id (or position in the batch when the id is not known).
        id: String,
        /// Why.
        reason: String,
    },

    /// A backend failure that is not tied to one sequence (device, model output).
    #[error("backend {backend} failed: {reason}")]
    Backend {
        /// Backend name.
        backend: String,
        /// Why.
        reason: String,
    },

    /// A file without the HDF5 signature.
    #[error("{path}: not an HDF5 file ({reason})")]
    NotHdf5 {
        /// The file.
        path: PathBuf,
        /// The library's message.
        reason: String,
    },

    /// An HDF5 operation failed.
    #[cfg(feature = "hdf5")]
    #[error("{path}: HDF5 error while {action}: {source}")]
    Hdf5 {
        /// The file.
        path: PathBuf,
        /// What was being done (with the object path).
        action: String,
        /// The library's error.
        #[source]
        source: hdf5_metno::Error,
    },

    /// An HDF5 file whose layout is not FANTASIA's (or not per-protein).
    #[error("{path}: unexpected layout at {object}: {reason}")]
    Layout {
        /// The file.
        path: PathBuf,
        /// The HDF5 object path.
        object: String,
        /// What was expected.
        reason: String,
    },

    /// An accession group without its `sequence` dataset.
    #[error("{path}: accession {accession:?} has no `sequence` dataset (FANTASIA writes /accession_<id>/sequence); re-run the embedding stage on this file to add it")]
    MissingSequence {
        /// The file.
        path: PathBuf,
        /// The accession key (without the `accession_` prefix).
        accession: String,
    },

    /// File-system error outside HDF5.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
