//! Embedding models behind one registry, length-sorted batching, and FANTASIA's HDF5 layout.
//!
//! CONTRACT (the transformer backends of a later issue plug into exactly this):
//! - `trait Embedder: Send + Sync { fn name(&self) -> &str; fn dim(&self) -> usize;
//!    fn num_layers(&self) -> usize; fn embed(&self, batch: &[&str], layers: &[usize])
//!    -> Result<Vec<Vec<Vec<f32>>>, EmbedError>; }`  result[i][j] = pooled vector of sequence i
//!   at `layers[j]`. Layer index k means the k-th layer counted from the last (0 = last), as in
//!   FANTASIA (`hidden_states[-(k+1)]`).
//! - `ModelSettings` (serde, deny_unknown_fields): `enabled: bool`, `backend: Option<String>`
//!   (defaults to the model's key), `batch_size: usize`, `layers: Vec<usize>` (alias
//!   `layer_index`), `distance_threshold: Option<f32>`, `embedding_type_id: Option<u32>`
//!   (default from the backend), `max_sequence_length: Option<usize>`, `path: Option<PathBuf>`
//!   (checkpoint folder, unused by kmer), `params: KmerParams` etc. as needed.
//! - `registry::known() -> &'static [&'static str]`; `registry::build(name, &ModelSettings)
//!   -> Result<Box<dyn Embedder>, EmbedError>`; unknown names -> error listing known ones.
//! - `registry::default_type_id(backend) -> u32`: ESM=1, ProstT5=2, ProtT5=3, Ankh3=4, ESM C=5,
//!   kmer=100.
//! - `embed_sequences(embedder, &[(id, seq)], &ModelSettings, on_done: FnMut(&str, Vec<(usize, Vec<f32>)>)
//!   -> Result<EmbedSummary, EmbedError>` sorts by length, batches, reports progress via a callback.
//! - `kmer::KmerEmbedder`: deterministic hashed k-mer embedding (seeded projection, L2-normalised).
//! - `h5::FantasiaWriter::open(path)` (create or append; `contains(accession, type_id, layer)`),
//!   `write(accession_key, sequence, type_id, layer, &[f32])`; `h5::FantasiaReader::open(path)`
//!   iterating `QueryEmbeddings { accession, sequence, vectors: Vec<(type_id, layer, Vec<f32>)> }`;
//!   `h5::read_per_protein(path) -> iterator of (id, Vec<f32>)` for UniProt-style per-protein.h5.
