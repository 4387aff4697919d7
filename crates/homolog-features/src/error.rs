//! Errors of the feature computations; each says what was wrong with the input.

/// Everything that can go wrong fitting or applying an [`EmbeddingPca`](crate::EmbeddingPca).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PcaError {
    /// An embedding dimension of 0.
    #[error("embedding dimension is 0; give the length of one embedding vector")]
    ZeroDimension,

    /// The pool's length is not a multiple of the dimension.
    #[error(
        "the pool holds {len} values, not a whole number of {dim}-d embeddings; give a \
             row-major rows x dim matrix"
    )]
    RaggedPool { len: usize, dim: usize },

    /// A pool without rows.
    #[error("the reference pool is empty; a PCA needs at least one embedding")]
    EmptyPool,

    /// Zero components, or more than the pool's rows or dimensions allow.
    #[error(
        "{requested} components asked of a pool of {rows} rows x {dim} dimensions; ask for \
             1 to min(rows, dimensions) (PROTEA's 16 need a pool of at least 16 embeddings)"
    )]
    ComponentCount {
        requested: usize,
        rows: usize,
        dim: usize,
    },

    /// NaN or infinity in the pool.
    #[error(
        "pool row {row}, column {column} is {value}; embeddings must be finite (check the \
             embedding file)"
    )]
    NonFinite {
        row: usize,
        column: usize,
        value: f32,
    },

    /// An embedding to project has the wrong length.
    #[error(
        "embedding of length {got} given to a PCA fitted on {expected}-d embeddings; use \
             the same embedding model and layer as the pool"
    )]
    DimensionMismatch { expected: usize, got: usize },

    /// The output buffer has the wrong length.
    #[error("output buffer of length {got} for {expected} components")]
    OutputLength { expected: usize, got: usize },

    /// The eigen-decomposition did not converge (not expected on finite input).
    #[error(
        "the eigen-decomposition of the {size} x {size} PCA matrix did not converge; \
             the embeddings may hold extreme values"
    )]
    NoConvergence { size: usize },
}
