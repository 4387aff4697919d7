//! Embedding models behind one registry, length-sorted batching, and FANTASIA's HDF5 layout.
//!
//! This is homolog's first stage: protein sequences in, one fixed-length vector per
//! (sequence, model, layer) out, stored as FANTASIA v4 stores them so either tool can read the
//! other's `embeddings.h5`. The same trait embeds DNA reads for read clustering.
//!
//! - [`Embedder`]: the one trait every backend implements.
//! - [`registry`]: backend names, FANTASIA's config keys as aliases, type ids, rare-residue
//!   policy; [`registry::build`] turns a config entry into a ready embedder
//!   ([`registry::default_type_id`] fails on an unknown name). `kmer`, `dna-kmer` and `dna-lsh`
//!   are always built; with the cargo feature `transformers` (off by default), `esm2`,
//!   `prot_t5`, `prost_t5`, `ankh3` and `dnabert2` run Hugging Face checkpoints, and `esmc`
//!   EvolutionaryScale's ESM C state dict, through `homolog-models`
//!   (`transformer::TransformerEmbedder`, `path:` names the checkpoint).
//! - [`ModelSettings`]: one entry of `embedding.models` in the YAML config (FANTASIA's fields
//!   plus homolog's, the k-mer parameters `k`, `dim`, `seed` as flat fields), with
//!   [`ModelSettings::validate`].
//! - [`embed_sequences`]: `(id, sequence)` pairs in, length-sorted batches under a sequence
//!   count and an optional token budget (`max_tokens`), truncation, per-sequence failure
//!   reporting; results are delivered once per batch (so callers flush once per batch) and
//!   progress through a second callback.
//! - [`kmer::KmerEmbedder`]: a deterministic, seeded, GPU-free embedding good enough to find
//!   close homologs (the demo and the tests use it).
//! - [`dna_kmer`]: DNA read backends `dna-kmer` (canonical k-mer frequencies, tetranucleotide
//!   by default) and `dna-lsh` (LSHvec-style random-hyperplane hashing), used by the
//!   read-clustering pipeline (homolog-reads, homolog-shards, homolog-cluster).
//! - `h5` (cargo feature `hdf5`): `FantasiaWriter` (create or append, idempotent: `write`
//!   returns `Ok(false)` for an embedding already stored, flush per batch, resumable after a
//!   kill), `FantasiaReader`, and `read_per_protein`, an iterator over UniProt-style
//!   `per-protein.h5` files.
//!
//! # Example
//!
//! Embedding proteins with the `kmer` backend (no weights, no GPU), and DNA reads with
//! `dna-kmer`:
//!
//! ```rust
//! use homolog_embed::dna_kmer::DnaKmerEmbedder;
//! use homolog_embed::{embed_sequences, registry, Embedder, ModelSettings};
//!
//! let settings = ModelSettings::default();
//! let embedder = registry::build("kmer", &settings)?;
//! let records = [("q1", "MKTAYIAKQRQISFVKSHFSRQ"), ("q2", "MSTNPKPQRKTKRNTNRRPQDVKFPGG")];
//! let mut vectors = vec![Vec::new(); records.len()];
//! let summary = embed_sequences(
//!     embedder.as_ref(),
//!     &records,
//!     &settings,
//!     |batch| {
//!         for item in batch {
//!             vectors[item.index] = item.vectors[0].1.clone(); // (layer, vector)
//!         }
//!         Ok(())
//!     },
//!     |_done, _total| {},
//! )?;
//! assert_eq!(summary.embedded, 2);
//! assert!(summary.failed.is_empty());
//! assert!(vectors.iter().all(|v| v.len() == embedder.dim()));
//!
//! // Tetranucleotide profiles: 136 canonical 4-mers, the same for a read and its reverse
//! // complement (a read may come from either strand).
//! let tnf = DnaKmerEmbedder::new(Default::default())?;
//! let profiles = tnf.embed(&["ACGTTGCAAGGT", "ACCTTGCAACGT"], &[0])?;
//! assert_eq!(profiles[0][0].len(), 136);
//! assert_eq!(profiles[0][0], profiles[1][0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
#[cfg(feature = "unirep")]
pub mod unirep;

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
