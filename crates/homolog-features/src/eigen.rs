//! Exact eigen-decomposition of a dense symmetric matrix (f64), for the PCA's covariance or
//! Gram matrix.
//!
//! Two classic stages: Householder reflections reduce the matrix to tridiagonal form
//! (A = Q T Qᵀ), then the implicit QL algorithm with Wilkinson-style shifts diagonalises T,
//! accumulating its plane rotations. Eigenvectors of A are Q times those of T; Q is applied
//! only to the eigenvectors asked for. O(n³) time, O(n²) memory; accurate to a few ulps of
//! the largest eigenvalue, which is all PCA needs (no external LAPACK, so the crate builds
//! anywhere).

/// Top eigenpairs of a symmetric matrix.
#[derive(Debug)]
pub(crate) struct Eigen {
    /// The `want` largest eigenvalues, descending.
    pub values: Vec<f64>,
    /// Their unit eigenvectors, row `i` for `values[i]` (`want × n`, row-major).
    pub vectors: Vec<f64>,
}

/// The QL iteration did not converge (only on NaN/inf input or pathological matrices).
#[derive(Debug)]
pub(crate) struct NoConvergence;

/// Iterations allowed per eigenvalue; QL needs 1 to 3 on average.
const MAX_ITERATIONS: usize = 60;

/// The `want` largest eigenpairs of the symmetric `n × n` row-major matrix `a` (only its
/// lower triangle's values are trusted to be symmetric; it is consumed as scratch space).
pub(crate) fn symmetric_eigen(
    mut a: Vec<f64>,
    n: usize,
    want: usize,
) -> Result<Eigen, NoConvergence> {
    debug_assert_eq!(a.len(), n * n);
    let want = want.min(n);
    let (mut d, mut e, reflectors) = tridiagonalize(&mut a, n);
    // Row i of `w` is column i of T's eigenvector matrix, so that each rotation touches two
    // contiguous rows.
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        w[i * n + i] = 1.0;
    }
    ql_implicit(&mut d, &mut e, &mut w, n)?;

    let mut order: Vec<usize> = (0..n).collect();
    // Descending; ties keep the lower index so the result is deterministic.
    order.sort_by(|&i, &j| d[j].total_cmp(&d[i]).then(i.cmp(&j)));
    let mut values = Vec::with_capacity(want);
    let mut vectors = Vec::with_capacity(want * n);
    for &i in &order[..want] {
        values.push(d[i]);
        let mut z = w[i * n..(i + 1) * n].to_vec();
        // Q = H_0 H_1 ... H_last, so apply the last reflector first.
        for r in reflectors.iter().rev() {
            let tail = &mut z[r.start..];
            let t = dot(&r.v, tail) / r.h;
            for (zi, vi) in tail.iter_mut().zip(&r.v) {
                *zi -= t * vi;
            }
        }
        vectors.extend_from_slice(&z);
    }
    Ok(Eigen { values, vectors })
}

/// A Householder reflector `H = I - v vᵀ / h` acting on indices `start..n`.
struct Reflector {
    start: usize,
    v: Vec<f64>,
    h: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Reduces `a` to tridiagonal form in place; returns its diagonal, its subdiagonal
/// (`e[i]` couples `i` and `i + 1`, `e[n - 1] = 0`) and the reflectors whose product is Q.
fn tridiagonalize(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>, Vec<Reflector>) {
    let mut e = vec![0.0; n];
    let mut reflectors = Vec::new();
    let mut p = vec![0.0; n];
    for k in 0..n.saturating_sub(2) {
        let start = k + 1;
        let m = n - start;
        let x: Vec<f64> = (0..m).map(|i| a[(start + i) * n + k]).collect();
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            e[k] = 0.0; // the column is already reduced
            continue;
        }
        // The sign choice keeps v = x - alpha e1 free of cancellation.
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        let mut v = x;
        let x0 = v[0];
        v[0] -= alpha;
        let h = norm * norm - alpha * x0; // vᵀv / 2, > 0
        e[k] = alpha;
        // Two-sided update of the trailing block B: p = B v / h, q = p - (vᵀp / 2h) v,
        // B -= v qᵀ + q vᵀ.
        let p = &mut p[..m];
        for (i, pi) in p.iter_mut().enumerate() {
            let row = &a[(start + i) * n + start..(start + i) * n + n];
            *pi = dot(row, &v) / h;
        }
        let kk = dot(&v, p) / (2.0 * h);
        for (pi, vi) in p.iter_mut().zip(&v) {
            *pi -= kk * vi;
        }
        for i in 0..m {
            let (vi, qi) = (v[i], p[i]);
            let row = &mut a[(start + i) * n + start..(start + i) * n + n];
            for ((bij, vj), qj) in row.iter_mut().zip(&v).zip(p.iter()) {
                *bij -= vi * qj + qi * vj;
            }
        }
        reflectors.push(Reflector { start, v, h });
    }
    if n >= 2 {
        e[n - 2] = a[(n - 1) * n + (n - 2)];
    }
    let d = (0..n).map(|i| a[i * n + i]).collect();
    (d, e, reflectors)
}

/// Diagonalises the symmetric tridiagonal (d, e) in place with implicit shifted QL steps,
/// applying each plane rotation to rows of `w`.
fn ql_implicit(d: &mut [f64], e: &mut [f64], w: &mut [f64], n: usize) -> Result<(), NoConvergence> {
    for l in 0..n {
        let mut iterations = 0;
        loop {
            // Split off where a subdiagonal entry is negligible against its neighbours.
            let mut m = l;
            while m + 1 < n {
                let scale = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * scale {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > MAX_ITERATIONS || !d[l].is_finite() || !e[l].is_finite() {
                return Err(NoConvergence);
            }
            // Shift from the leading 2×2 block, toward its eigenvalue closer to d[l].
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0f64, 1.0f64, 0.0f64);
            let mut i = m;
            let mut underflow = false;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    // Both f and g vanished: the block has split; restart the search.
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
                let (lo, hi) = w.split_at_mut((i + 1) * n);
                let wi = &mut lo[i * n..];
                let wi1 = &mut hi[..n];
                for (a0, a1) in wi.iter_mut().zip(wi1.iter_mut()) {
                    let f = *a1;
                    *a1 = s * *a0 + c * f;
                    *a0 = c * *a0 - s * f;
                }
            }
            if underflow {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
