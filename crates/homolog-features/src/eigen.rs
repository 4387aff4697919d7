//! Eigen-decomposition of a dense symmetric matrix (f64), for the PCA's covariance or Gram
//! matrix, through nalgebra's `SymmetricEigen` (Householder tridiagonalisation + implicit QR).

use nalgebra::{DMatrix, SymmetricEigen};

/// Top eigenpairs of a symmetric matrix.
#[derive(Debug)]
pub(crate) struct Eigen {
    /// The `want` largest eigenvalues, descending.
    pub values: Vec<f64>,
    /// Their unit eigenvectors, row `i` for `values[i]` (`want × n`, row-major).
    pub vectors: Vec<f64>,
}

/// The iteration did not converge (only on NaN/inf input or pathological matrices).
#[derive(Debug)]
pub(crate) struct NoConvergence;

/// Sweeps allowed per eigenvalue before giving up.
const MAX_ITERATIONS_PER_VALUE: usize = 60;

/// The `want` largest eigenpairs of the symmetric `n × n` row-major matrix `a`.
pub(crate) fn symmetric_eigen(a: Vec<f64>, n: usize, want: usize) -> Result<Eigen, NoConvergence> {
    debug_assert_eq!(a.len(), n * n);
    let want = want.min(n);
    if a.iter().any(|x| !x.is_finite()) {
        return Err(NoConvergence);
    }
    // Row-major input: the transpose of the column-major view, equal for a symmetric matrix.
    let m = DMatrix::from_vec(n, n, a);
    let eig = SymmetricEigen::try_new(m, f64::EPSILON, MAX_ITERATIONS_PER_VALUE * n.max(1))
        .ok_or(NoConvergence)?;
    let mut order: Vec<usize> = (0..n).collect();
    // Descending; ties keep the lower index so the result is deterministic.
    order.sort_by(|&i, &j| {
        eig.eigenvalues[j]
            .total_cmp(&eig.eigenvalues[i])
            .then(i.cmp(&j))
    });
    let mut values = Vec::with_capacity(want);
    let mut vectors = Vec::with_capacity(want * n);
    for &i in &order[..want] {
        values.push(eig.eigenvalues[i]);
        vectors.extend(eig.eigenvectors.column(i).iter().copied());
    }
    Ok(Eigen { values, vectors })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    /// A deterministic pseudo-random symmetric matrix.
    fn symmetric(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let v = next();
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        a
    }

    fn check(a: &[f64], n: usize) {
        let eig = symmetric_eigen(a.to_vec(), n, n).unwrap();
        let norm: f64 = a.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300);
        for (k, &lambda) in eig.values.iter().enumerate() {
            let v = &eig.vectors[k * n..(k + 1) * n];
            // A v = lambda v
            for i in 0..n {
                let av = dot(&a[i * n..(i + 1) * n], v);
                assert!(
                    (av - lambda * v[i]).abs() <= 1e-12 * norm,
                    "n {n} pair {k} row {i}"
                );
            }
            // orthonormal
            for j in 0..=k {
                let u = &eig.vectors[j * n..(j + 1) * n];
                let want = if j == k { 1.0 } else { 0.0 };
                assert!((dot(u, v) - want).abs() < 1e-12, "n {n} vectors {j},{k}");
            }
        }
        assert!(eig.values.windows(2).all(|w| w[0] >= w[1]));
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        assert!((eig.values.iter().sum::<f64>() - trace).abs() < 1e-10 * norm.max(1.0));
    }

    #[test]
    fn random_symmetric_matrices() {
        for (n, seed) in [(1, 1), (2, 2), (3, 3), (5, 4), (17, 5), (64, 6)] {
            check(&symmetric(n, seed), n);
        }
    }

    #[test]
    fn degenerate_and_structured_matrices() {
        check(&[0.0; 16], 4);
        let mut identity = vec![0.0; 25];
        for i in 0..5 {
            identity[i * 5 + i] = 3.0;
        }
        check(&identity, 5);
        // Already tridiagonal, and already diagonal with repeated values.
        let t = [2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0];
        check(&t, 3);
        let diag = [1.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 1.0];
        let eig = symmetric_eigen(diag.to_vec(), 3, 2).unwrap();
        assert_eq!(eig.values, [5.0, 1.0]);
        assert_eq!(&eig.vectors[..3], [0.0, 1.0, 0.0]);
        // Rank one: x xᵀ.
        let x = [1.0, 2.0, -2.0, 4.0];
        let outer: Vec<f64> = (0..16).map(|k| x[k / 4] * x[k % 4]).collect();
        check(&outer, 4);
        let eig = symmetric_eigen(outer, 4, 1).unwrap();
        assert!((eig.values[0] - 25.0).abs() < 1e-12);
    }

    #[test]
    fn non_finite_input_does_not_loop() {
        let a = vec![f64::NAN, 1.0, 1.0, 0.0];
        assert!(symmetric_eigen(a, 2, 2).is_err());
    }
}
