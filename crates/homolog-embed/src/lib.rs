//! Embedding models behind one registry, length-sorted batching, and FANTASIA's HDF5 layout.
//!
//! This is homolog's first stage: protein sequences in, one fixed-length vector per
//! (sequence, model, layer) out, stored as FANTASIA v4 stores them so either tool can read the
//! other's `embeddings.h5`.
//!
//! - [`Embedder`]: the one trait every backend implements (the transformer backends of a later
//!   version plug into exactly this).
//! - [`registry`]: backend names, FANTASIA's config keys as aliases, type ids, rare-residue
//!   policy; [`registry::build`] turns a config entry into a ready embedder. Only `kmer` is
//!   built always; with the default cargo feature `transformers`, `esm2`, `prot_t5`,
//!   `prost_t5`, `ankh3` and `dnabert2` run Hugging Face checkpoints through `homolog-models`
//!   ([`transformer::TransformerEmbedder`], `path:` names the checkpoint); `esmc` is known and
//!   refused with a clear error.
//! - [`ModelSettings`]: one entry of `embedding.models` in the YAML config (FANTASIA's fields
//!   plus homolog's), with [`ModelSettings::validate`].
//! - [`embed_sequences`]: length-sorted batches under a sequence count and an optional token
//!   budget (`max_tokens`), truncation, per-sequence failure reporting, progress.
//! - [`kmer::KmerEmbedder`]: a deterministic, seeded, GPU-free embedding good enough to find
//!   close homologs (the demo and the tests use it).
//! - [`dna_kmer`]: DNA read backends `dna-kmer` (canonical k-mer frequencies, tetranucleotide
//!   by default) and `dna-lsh` (LSHvec-style random-hyperplane hashing), used by the
//!   read-clustering pipeline (homolog-reads, homolog-shards, homolog-cluster).
//! - [`h5`]: [`h5::FantasiaWriter`] (create or append, idempotent, flush per batch, resumable
//!   after a kill), [`h5::FantasiaReader`], and [`h5::read_per_protein`] for UniProt-style
//!   `per-protein.h5` files.
//!
//! Contract notes (changes against the first sketch, kept compatible where possible):
//! - [`registry::default_type_id`] returns `Result<u32, EmbedError>` (unknown name = error).
//! - [`embed_sequences`] takes `(id, sequence)` pairs of any `AsRef<str>`, delivers results per
//!   batch (`FnMut(Vec<Embedded>) -> Result<(), EmbedError>`, so callers flush once per batch)
//!   and takes a second callback `FnMut(done, total)` for progress.
//! - [`h5::FantasiaWriter::write`] returns `Ok(false)` when the embedding already existed.
//! - [`h5::read_per_protein`] returns an iterator of `Result<(key, vector)>`.
//! - The kmer parameters are flat fields of [`ModelSettings`] (`k`, `dim`, `seed`).

pub mod batch;
pub mod dna_kmer;
pub mod error;
#[cfg(feature = "hdf5")]
pub mod h5;
pub mod kmer;
pub mod registry;
pub mod settings;
#[cfg(feature = "transformers")]
pub mod transformer;

pub use batch::{embed_sequences, EmbedSummary, Embedded};
pub use error::EmbedError;
pub use settings::ModelSettings;

/// A protein language model (or any sequence -> vector map) that embeds batches of sequences.
///
/// Implementations must be deterministic for a given input and configuration, return unit-free
/// `f32` vectors of length [`Embedder::dim`], and reject (not panic on) bad sequences.
pub trait Embedder: Send + Sync {
    /// Canonical backend name (registry name).
    fn name(&self) -> &str;

    /// Length of every returned vector.
    fn dim(&self) -> usize;

    /// Number of selectable layers; valid layer indices are `0..num_layers()`.
    fn num_layers(&self) -> usize;

    /// Embeds `batch` at `layers`: `result[i][j]` is the pooled vector of `batch[i]` at
    /// `layers[j]`. Layer index k means the k-th layer counted from the last (0 = last), as in
    /// FANTASIA (`hidden_states[-(k+1)]`).
    fn embed(&self, batch: &[&str], layers: &[usize]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError>;
}
