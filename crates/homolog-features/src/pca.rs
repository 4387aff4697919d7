//! The embedding summary of the research export: `emb_pca_query_0..15`, the projection of a
//! query's protein embedding on the first 16 principal components of the reference pool.
//!
//! What PROTEA does (`fit_embedding_pca` + the export's projection step): centre the pool's
//! float32 embeddings on their mean, take the top right-singular vectors of the centred
//! matrix as components, and project a query as `(query - mean) · componentᵢ`. It fits on at
//! most [`PROTEA_MAX_FIT_ROWS`] rows (a seeded random subsample above that) and keeps the
//! singular vectors' signs as LAPACK returns them.
//!
//! What [`EmbeddingPca`] does: the same subspace, computed exactly in f64 through the
//! eigen-decomposition of the d × d covariance (pools with at least as many rows as
//! dimensions) or of the n × n Gram matrix (fewer rows than dimensions), with
//! scikit-learn's sign rule (`svd_flip` on the components: each component's largest
//! absolute loading is positive) so that results do not depend on a LAPACK build. It matches
//! `sklearn.decomposition.PCA(svd_solver="full")` to about 1e-12 on real SeqVec embeddings
//! (see `docs/export.md`); PROTEA's float32 recipe lands within about 2e-7 of it up to the
//! sign of each component. Subsampling a large pool is left to the caller.

use matrixmultiply::dgemm;

use crate::eigen::symmetric_eigen;
use crate::error::PcaError;

/// Components in the export's summary (`emb_pca_query_0..15`).
pub const EMB_PCA_DIM: usize = 16;

/// The export's column names, in component order.
pub const EMB_PCA_COLUMNS: [&str; EMB_PCA_DIM] = [
    "emb_pca_query_0",
    "emb_pca_query_1",
    "emb_pca_query_2",
    "emb_pca_query_3",
    "emb_pca_query_4",
    "emb_pca_query_5",
    "emb_pca_query_6",
    "emb_pca_query_7",
    "emb_pca_query_8",
    "emb_pca_query_9",
    "emb_pca_query_10",
    "emb_pca_query_11",
    "emb_pca_query_12",
    "emb_pca_query_13",
    "emb_pca_query_14",
    "emb_pca_query_15",
];

/// The most pool rows PROTEA fits its PCA on; above that it draws a seeded random subsample
/// of this size (numpy's generator, which homolog does not reproduce).
pub const PROTEA_MAX_FIT_ROWS: usize = 50_000;

/// Rows of the pool centred at a time while accumulating the covariance.
const BLOCK_ROWS: usize = 512;

/// Eigenvalues at or below this fraction of the largest carry no direction the Gram route
/// can recover (the pool has lower rank than the components asked for).
const RANK_TOLERANCE: f64 = 1e-12;

/// A PCA fitted on a pool of embeddings (rows = proteins), ready to project queries.
///
/// ```
/// use homolog_features::EmbeddingPca;
///
/// // Four 3-d embeddings spread along x (most) and y (less); z is constant.
/// let pool: Vec<f32> = vec![
///     -2.0, 0.5, 1.0, //
///     -1.0, -0.5, 1.0, //
///     1.0, -0.5, 1.0, //
///     2.0, 0.5, 1.0,
/// ];
/// let pca = EmbeddingPca::fit(&pool, 3, 2)?;
/// assert_eq!(pca.mean(), [0.0, 0.0, 1.0]);
/// // First component along x, second along y, each with a positive largest loading.
/// assert!((pca.component(0).unwrap()[0] - 1.0).abs() < 1e-12);
/// assert!((pca.component(1).unwrap()[1] - 1.0).abs() < 1e-12);
/// assert!((pca.explained_variance()[0] - 10.0 / 3.0).abs() < 1e-12);
///
/// let projected = pca.project(&[3.0, 1.0, 7.0])?;
/// assert_eq!(projected, [3.0, 1.0]);
/// assert!(pca.project(&[1.0, 2.0]).is_err()); // wrong dimension
/// # Ok::<(), homolog_features::PcaError>(())
/// ```
#[derive(Clone, Debug)]
pub struct EmbeddingPca {
    dim: usize,
    rows: usize,
    mean: Vec<f64>,
    /// `n_components × dim`, row-major, unit rows.
    components: Vec<f64>,
    explained_variance: Vec<f64>,
    total_variance: f64,
}

impl EmbeddingPca {
    /// Fits `n_components` principal components on `pool`, a row-major `rows × dim` matrix of
    /// embeddings. Needs `1 <= n_components <= min(rows, dim)` and finite values.
    ///
    /// When the pool has lower rank than `n_components` (e.g. 16 rows give at most 15
    /// directions of variance once centred), the surplus components have zero variance and
    /// any direction orthogonal to the others would do, as in scikit-learn; homolog picks the
    /// first such unit vectors of the standard basis (orthogonalised) so the result is
    /// deterministic.
    pub fn fit(pool: &[f32], dim: usize, n_components: usize) -> Result<EmbeddingPca, PcaError> {
        if dim == 0 {
            return Err(PcaError::ZeroDimension);
        }
        if !pool.len().is_multiple_of(dim) {
            return Err(PcaError::RaggedPool {
                len: pool.len(),
                dim,
            });
        }
        let rows = pool.len() / dim;
        if rows == 0 {
            return Err(PcaError::EmptyPool);
        }
        if n_components == 0 || n_components > rows.min(dim) {
            return Err(PcaError::ComponentCount {
                requested: n_components,
                rows,
                dim,
            });
        }
        if let Some(at) = pool.iter().position(|v| !v.is_finite()) {
            return Err(PcaError::NonFinite {
                row: at / dim,
                column: at % dim,
                value: pool[at],
            });
        }

        let mut mean = vec![0.0f64; dim];
        for row in pool.chunks_exact(dim) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += f64::from(v);
            }
        }
        for m in &mut mean {
            *m /= rows as f64;
        }

        let (values, components, total) = if rows >= dim {
            covariance_route(pool, dim, &mean, n_components)?
        } else {
            gram_route(pool, dim, &mean, n_components)?
        };
        let mut components = components;
        for c in components.chunks_exact_mut(dim) {
            flip_sign(c);
        }
        let divisor = if rows > 1 { (rows - 1) as f64 } else { 1.0 };
        Ok(EmbeddingPca {
            dim,
            rows,
            mean,
            components,
            // Tiny negative eigenvalues are rounding noise of a zero variance.
            explained_variance: values.iter().map(|v| v.max(0.0) / divisor).collect(),
            total_variance: total.max(0.0) / divisor,
        })
    }

    /// Embedding dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.components.len() / self.dim
    }

    /// Rows of the pool the PCA was fitted on.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The pool's mean embedding (scikit-learn's `mean_`).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Component `i` as a unit vector of length [`dim`](Self::dim) (scikit-learn's
    /// `components_[i]`); `None` when `i >= n_components()`.
    pub fn component(&self, i: usize) -> Option<&[f64]> {
        self.components.chunks_exact(self.dim).nth(i)
    }

    /// All components, row-major `n_components × dim`.
    pub fn components(&self) -> &[f64] {
        &self.components
    }

    /// Variance of the pool along each component, with the `rows - 1` divisor
    /// (scikit-learn's `explained_variance_`).
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }

    /// Each component's share of the pool's total variance (`explained_variance_ratio_`);
    /// zeros for a pool without variance.
    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        self.explained_variance
            .iter()
            .map(|v| {
                if self.total_variance > 0.0 {
                    v / self.total_variance
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Projects one embedding: `(embedding - mean) · componentᵢ` for every component,
    /// computed in f64 and stored as f32 like PROTEA's float32 columns.
    pub fn project(&self, embedding: &[f32]) -> Result<Vec<f32>, PcaError> {
        let mut out = vec![0.0; self.n_components()];
        self.project_into(embedding, &mut out)?;
        Ok(out)
    }

    /// [`project`](Self::project) into a caller's buffer of `n_components()` values.
    pub fn project_into(&self, embedding: &[f32], out: &mut [f32]) -> Result<(), PcaError> {
        if embedding.len() != self.dim {
            return Err(PcaError::DimensionMismatch {
                expected: self.dim,
                got: embedding.len(),
            });
        }
        if out.len() != self.n_components() {
            return Err(PcaError::OutputLength {
                expected: self.n_components(),
                got: out.len(),
            });
        }
        let centred: Vec<f64> = embedding
            .iter()
            .zip(&self.mean)
            .map(|(&x, m)| f64::from(x) - m)
            .collect();
        for (o, c) in out.iter_mut().zip(self.components.chunks_exact(self.dim)) {
            *o = c.iter().zip(&centred).map(|(a, b)| a * b).sum::<f64>() as f32;
        }
        Ok(())
    }

    /// Projects many embeddings (row-major `n × dim`); returns `n × n_components` values.
    pub fn project_rows(&self, embeddings: &[f32]) -> Result<Vec<f32>, PcaError> {
        if !embeddings.len().is_multiple_of(self.dim) {
            return Err(PcaError::DimensionMismatch {
                expected: self.dim,
                got: embeddings.len() % self.dim,
            });
        }
        let k = self.n_components();
        let mut out = vec![0.0; embeddings.len() / self.dim * k];
        for (row, o) in embeddings
            .chunks_exact(self.dim)
            .zip(out.chunks_exact_mut(k))
        {
            self.project_into(row, o)?;
        }
        Ok(out)
    }
}

/// Eigenvalues, components and total variance (trace) from the `dim × dim` scatter matrix
/// `Xcᵀ Xc`, accumulated a block of centred rows at a time (the pool is never copied whole).
fn covariance_route(
    pool: &[f32],
    dim: usize,
    mean: &[f64],
    k: usize,
) -> Result<(Vec<f64>, Vec<f64>, f64), PcaError> {
    let mut scatter = vec![0.0f64; dim * dim];
    let mut block = Vec::with_capacity(BLOCK_ROWS * dim);
    for rows in pool.chunks(BLOCK_ROWS * dim) {
        block.clear();
        for row in rows.chunks_exact(dim) {
            block.extend(row.iter().zip(mean).map(|(&x, m)| f64::from(x) - m));
        }
        let b = rows.len() / dim;
        // scatter (dim × dim) += blockᵀ (dim × b) · block (b × dim)
        // SAFETY: the pointers cover `block` (b × dim) and `scatter` (dim × dim) with the
        // strides given, and the buffers do not overlap.
        unsafe {
            dgemm(
                dim,
                b,
                dim,
                1.0,
                block.as_ptr(),
                1,
                dim as isize,
                block.as_ptr(),
                dim as isize,
                1,
                1.0,
                scatter.as_mut_ptr(),
                dim as isize,
                1,
            );
        }
    }
    symmetrize(&mut scatter, dim);
    let total = (0..dim).map(|i| scatter[i * dim + i]).sum();
    let eig =
        symmetric_eigen(scatter, dim, k).map_err(|_| PcaError::NoConvergence { size: dim })?;
    Ok((eig.values, eig.vectors, total))
}

/// The same from the `rows × rows` Gram matrix `Xc Xcᵀ` when the pool has fewer rows than
/// dimensions: its eigenvectors u give the components `Xcᵀ u / sqrt(λ)`.
fn gram_route(
    pool: &[f32],
    dim: usize,
    mean: &[f64],
    k: usize,
) -> Result<(Vec<f64>, Vec<f64>, f64), PcaError> {
    let rows = pool.len() / dim;
    let centred: Vec<f64> = pool
        .chunks_exact(dim)
        .flat_map(|row| row.iter().zip(mean).map(|(&x, m)| f64::from(x) - m))
        .collect();
    let mut gram = vec![0.0f64; rows * rows];
    // SAFETY: `centred` is rows × dim and `gram` rows × rows, non-overlapping.
    unsafe {
        dgemm(
            rows,
            dim,
            rows,
            1.0,
            centred.as_ptr(),
            dim as isize,
            1,
            centred.as_ptr(),
            1,
            dim as isize,
            0.0,
            gram.as_mut_ptr(),
            rows as isize,
            1,
        );
    }
    symmetrize(&mut gram, rows);
    let total = (0..rows).map(|i| gram[i * rows + i]).sum();
    let eig = symmetric_eigen(gram, rows, k).map_err(|_| PcaError::NoConvergence { size: rows })?;
    let mut values = eig.values;
    let largest = values.first().copied().unwrap_or(0.0);
    let mut components: Vec<f64> = Vec::with_capacity(k * dim);
    for i in 0..values.len() {
        let lambda = values[i];
        if largest <= 0.0 || lambda <= largest * RANK_TOLERANCE {
            // No variance left along any new direction: fill with a completion instead, and
            // report the variance as the zero it is rather than as rounding noise.
            complete_basis(&mut components, dim, k);
            values[i..].fill(0.0);
            break;
        }
        let u = &eig.vectors[i * rows..(i + 1) * rows];
        let scale = 1.0 / lambda.sqrt();
        let mut v = vec![0.0f64; dim];
        for (row, &ur) in centred.chunks_exact(dim).zip(u) {
            for (vj, &x) in v.iter_mut().zip(row) {
                *vj += x * ur;
            }
        }
        components.extend(v.iter().map(|x| x * scale));
    }
    Ok((values, components, total))
}

/// Makes a dgemm result exactly symmetric (blocked kernels may sum the two triangles in
/// different orders).
fn symmetrize(m: &mut [f64], n: usize) {
    for i in 0..n {
        for j in 0..i {
            let avg = 0.5 * (m[i * n + j] + m[j * n + i]);
            m[i * n + j] = avg;
            m[j * n + i] = avg;
        }
    }
}

/// Appends unit vectors orthogonal to the rows already in `components` until there are `k`:
/// standard basis vectors in order, Gram-Schmidt orthogonalised (twice, for accuracy).
fn complete_basis(components: &mut Vec<f64>, dim: usize, k: usize) {
    let mut j = 0;
    while components.len() < k * dim && j < dim {
        let mut v = vec![0.0f64; dim];
        v[j] = 1.0;
        j += 1;
        for _ in 0..2 {
            for c in components.chunks_exact(dim) {
                let t: f64 = c.iter().zip(&v).map(|(a, b)| a * b).sum();
                for (vi, ci) in v.iter_mut().zip(c) {
                    *vi -= t * ci;
                }
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        // A vector mostly inside the span already would be inaccurate; try the next one.
        if norm > 0.5 {
            components.extend(v.iter().map(|x| x / norm));
        }
    }
}

/// scikit-learn's sign rule (`svd_flip` with `u_based_decision=False`): the entry of largest
/// absolute value (the first one on ties) becomes positive.
fn flip_sign(c: &mut [f64]) {
    let mut best = 0;
    for (i, v) in c.iter().enumerate() {
        if v.abs() > c[best].abs() {
            best = i;
        }
    }
    if c[best] < 0.0 {
        for v in c.iter_mut() {
            *v = -*v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random pool with decreasing variance per direction.
    fn pool(rows: usize, dim: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        (0..rows * dim)
            .map(|i| (next() * 10.0 / (1.0 + (i % dim) as f64) + 0.3) as f32)
            .collect()
    }

    fn assert_orthonormal(p: &EmbeddingPca) {
        let k = p.n_components();
        for a in 0..k {
            for b in 0..k {
                let (ca, cb) = (p.component(a).unwrap(), p.component(b).unwrap());
                let d: f64 = ca.iter().zip(cb).map(|(x, y)| x * y).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-10, "components {a},{b}: {d}");
            }
        }
    }

    #[test]
    fn both_routes_agree() {
        // 12 rows in 12 dims uses the covariance route; the same rows padded with zero
        // columns to 13 dims use the Gram route. Same subspace, same projections.
        let (rows, dim) = (12, 12);
        let x = pool(rows, dim, 7);
        let padded: Vec<f32> = x
            .chunks_exact(dim)
            .flat_map(|r| r.iter().copied().chain([0.0]))
            .collect();
        let a = EmbeddingPca::fit(&x, dim, 5).unwrap();
        let b = EmbeddingPca::fit(&padded, dim + 1, 5).unwrap();
        assert_orthonormal(&a);
        assert_orthonormal(&b);
        for i in 0..5 {
            assert!((a.explained_variance()[i] - b.explained_variance()[i]).abs() < 1e-10);
            for j in 0..dim {
                assert!((a.component(i).unwrap()[j] - b.component(i).unwrap()[j]).abs() < 1e-9);
            }
            assert!(b.component(i).unwrap()[dim].abs() < 1e-12);
        }
        let ratio: f64 = a.explained_variance_ratio().iter().sum();
        assert!(ratio > 0.0 && ratio <= 1.0 + 1e-12);
    }

    #[test]
    fn rank_deficient_pools_are_completed_deterministically() {
        // Three identical rows: no variance at all.
        let x = [1.0f32, 2.0, 3.0, 4.0].repeat(3);
        let p = EmbeddingPca::fit(&x, 4, 3).unwrap();
        assert_orthonormal(&p);
        assert_eq!(p.explained_variance(), [0.0, 0.0, 0.0]);
        assert_eq!(p.explained_variance_ratio(), [0.0, 0.0, 0.0]);
        assert_eq!(p.project(&[1.0, 2.0, 3.0, 4.0]).unwrap(), [0.0, 0.0, 0.0]);
        // Two rows in 5 dims, 2 components: one real direction, one completion.
        let y = [0.0f32, 0.0, 0.0, 0.0, 0.0, 3.0, 4.0, 0.0, 0.0, 0.0];
        let q = EmbeddingPca::fit(&y, 5, 2).unwrap();
        assert_orthonormal(&q);
        assert!((q.component(0).unwrap()[0] - 0.6).abs() < 1e-12);
        assert!((q.component(0).unwrap()[1] - 0.8).abs() < 1e-12);
        assert!((q.explained_variance()[0] - 12.5).abs() < 1e-12);
        assert_eq!(q.explained_variance()[1], 0.0);
        // A single row is a valid (if useless) pool.
        let one = EmbeddingPca::fit(&[1.0, 2.0], 2, 1).unwrap();
        assert_eq!(one.explained_variance(), [0.0]);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            EmbeddingPca::fit(&[], 0, 1),
            Err(PcaError::ZeroDimension)
        ));
        assert!(matches!(
            EmbeddingPca::fit(&[], 3, 1),
            Err(PcaError::EmptyPool)
        ));
        assert!(matches!(
            EmbeddingPca::fit(&[1.0; 5], 2, 1),
            Err(PcaError::RaggedPool { len: 5, dim: 2 })
        ));
        assert!(matches!(
            EmbeddingPca::fit(&[1.0; 6], 3, 3),
            Err(PcaError::ComponentCount {
                requested: 3,
                rows: 2,
                dim: 3
            })
        ));
        assert!(matches!(
            EmbeddingPca::fit(&[1.0; 6], 3, 0),
            Err(PcaError::ComponentCount { .. })
        ));
        let mut x = vec![1.0f32; 6];
        x[4] = f32::NAN;
        let err = EmbeddingPca::fit(&x, 3, 1).unwrap_err();
        assert!(
            matches!(
                err,
                PcaError::NonFinite {
                    row: 1,
                    column: 1,
                    ..
                }
            ),
            "{err}"
        );
        let p = EmbeddingPca::fit(&pool(4, 3, 1), 3, 2).unwrap();
        assert!(matches!(
            p.project(&[0.0; 4]),
            Err(PcaError::DimensionMismatch {
                expected: 3,
                got: 4
            })
        ));
        assert!(matches!(
            p.project_into(&[0.0; 3], &mut [0.0; 3]),
            Err(PcaError::OutputLength {
                expected: 2,
                got: 3
            })
        ));
        assert!(p.project_rows(&[0.0; 7]).is_err());
        assert_eq!(p.project_rows(&[0.0; 6]).unwrap().len(), 4);
    }

    #[test]
    fn large_pools_accumulate_in_blocks() {
        // More rows than one block, so the covariance is summed over several dgemm calls.
        let x = pool(BLOCK_ROWS * 2 + 37, 6, 3);
        let p = EmbeddingPca::fit(&x, 6, 6).unwrap();
        assert_orthonormal(&p);
        // The projections of the pool have the explained variances as variances.
        let proj = p.project_rows(&x).unwrap();
        let n = (x.len() / 6) as f64;
        for c in 0..6 {
            let col: Vec<f64> = proj.chunks_exact(6).map(|r| f64::from(r[c])).collect();
            let var = col.iter().map(|v| v * v).sum::<f64>() / (n - 1.0);
            assert!(
                (var / p.explained_variance()[c] - 1.0).abs() < 1e-5,
                "component {c}"
            );
        }
        assert!(p.component(6).is_none());
        assert_eq!(EMB_PCA_COLUMNS.len(), EMB_PCA_DIM);
        assert_eq!(EMB_PCA_COLUMNS[15], "emb_pca_query_15");
    }
}
