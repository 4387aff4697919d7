//! The two-pass search (int8 candidates + f32 re-scoring) must return exactly what the f32
//! one-pass search returns: same references, bit-identical distances, same order, same ties,
//! under thresholds, masks and exclusions, for both metrics, with every int8 kernel this CPU
//! has and with the forced portable fallback, with pruning and without. Data: random
//! clusters with planted exact ties and near-ties, and the real SeqVec embedding sets in
//! shared/data.

use homolog_search::{
    search_with, search_with_pruning, Hit, Int8Kernel, Metric, Pruning, RowFilter, SearchParams,
    SearchReport, Strategy,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The two-pass strategies to check on this machine: the portable kernel always, the AVX2
/// kernel (7-bit query codes) where the CPU has it, and the fastest kernel if it is another.
fn two_pass_strategies() -> Vec<Strategy> {
    let mut s = vec![Strategy::Int8Portable];
    if Int8Kernel::Avx2.runs_here() {
        s.push(Strategy::Int8Avx2);
    }
    if !matches!(
        Int8Kernel::detect(),
        Int8Kernel::Portable | Int8Kernel::Avx2
    ) {
        s.push(Strategy::Int8);
    }
    s
}

/// Runs f32 and every two-pass strategy, each with pruning and without; asserts
/// bit-identical lists; returns the reports with their pruning.
fn assert_two_pass_exact(
    queries: &[f32],
    refs: &[f32],
    dim: usize,
    params: &SearchParams,
    filter: &RowFilter,
    context: &str,
) -> Vec<(Pruning, SearchReport)> {
    let (want, report) =
        search_with(queries, refs, dim, params, filter, Strategy::F32).expect("f32 search");
    assert_eq!(report.path, "f32");
    let mut reports = Vec::new();
    for strategy in two_pass_strategies() {
        for pruning in [Pruning::Always, Pruning::Never] {
            let (got, report) =
                search_with_pruning(queries, refs, dim, params, filter, strategy, pruning)
                    .expect("two-pass search");
            assert_ne!(
                report.path, "f32",
                "{context}: {strategy:?} took the f32 path"
            );
            assert_eq!(
                got.len(),
                want.len(),
                "{context}: {strategy:?}: query count"
            );
            for (q, (g, w)) in got.iter().zip(&want).enumerate() {
                let bits = |h: &[Hit]| -> Vec<(u32, u32)> {
                    h.iter()
                        .map(|x| (x.reference, x.distance.to_bits()))
                        .collect()
                };
                assert_eq!(
                    bits(g),
                    bits(w),
                    "{context}: {strategy:?} {pruning:?} ({}): query {q}\n two-pass {g:?}\n f32      {w:?}",
                    report.path
                );
            }
            if pruning == Pruning::Never {
                let work = report.two_pass.as_ref().map(|s| s.int8_work);
                assert_eq!(work, Some(1.0), "{context}: {strategy:?} without pruning");
            }
            reports.push((pruning, report));
        }
    }
    reports
}

/// `centers` random directions; each row is a center plus noise of relative size `spread`,
/// with a random norm in [0.5, 2).
fn clustered(
    rng: &mut ChaCha8Rng,
    rows: usize,
    dim: usize,
    centers: &[Vec<f32>],
    spread: f32,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows * dim);
    for _ in 0..rows {
        let c = &centers[rng.random_range(0..centers.len())];
        let scale: f32 = rng.random_range(0.5..2.0);
        out.extend(
            c.iter()
                .map(|&x| scale * (x + spread * rng.random_range(-1.0f32..1.0))),
        );
    }
    out
}

fn centers(rng: &mut ChaCha8Rng, n: usize, dim: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|_| (0..dim).map(|_| rng.random_range(-1.0f32..1.0)).collect())
        .collect()
}

/// Clustered references with planted exact duplicates, 1-ulp perturbations, scaled copies,
/// a zero row; queries include copies of references and a zero row.
fn tricky_data(seed: u64, nq: usize, nr: usize, dim: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let c = centers(&mut rng, 12, dim);
    let mut refs = clustered(&mut rng, nr, dim, &c, 0.3);
    // Exact duplicates: rows 10..20 copy row 5 (ties at any k), at spread-out positions.
    for i in 0..10 {
        let dst = (10 + i * 37) % nr;
        let src: Vec<f32> = refs[5 * dim..6 * dim].to_vec();
        refs[dst * dim..(dst + 1) * dim].copy_from_slice(&src);
    }
    // Near-ties: copies of row 7 with one coordinate moved by one ulp.
    for i in 0..8 {
        let dst = (nr - 1 - i * 53) % nr;
        let mut row: Vec<f32> = refs[7 * dim..8 * dim].to_vec();
        let at = i % dim;
        row[at] = f32::from_bits(row[at].to_bits() + 1 + i as u32);
        refs[dst * dim..(dst + 1) * dim].copy_from_slice(&row);
    }
    // Scaled copies (cosine near-ties after rounding) and a zero row.
    for i in 0..4 {
        let dst = (nr / 2 + i) % nr;
        let row: Vec<f32> = refs[9 * dim..10 * dim].iter().map(|x| x * 3.0).collect();
        refs[dst * dim..(dst + 1) * dim].copy_from_slice(&row);
    }
    refs[(nr - 3) * dim..(nr - 2) * dim].fill(0.0);
    let mut queries = clustered(&mut rng, nq, dim, &c, 0.3);
    let copy: Vec<f32> = refs[5 * dim..6 * dim].to_vec();
    queries[..dim].copy_from_slice(&copy);
    let copy: Vec<f32> = refs[7 * dim..8 * dim].to_vec();
    queries[dim..2 * dim].copy_from_slice(&copy);
    let copy: Vec<f32> = refs[9 * dim..10 * dim].to_vec();
    queries[2 * dim..3 * dim].copy_from_slice(&copy);
    queries[3 * dim..4 * dim].fill(0.0);
    (queries, refs)
}

fn params(metric: Metric, k: usize, threshold: Option<f32>, keep_ties: bool) -> SearchParams {
    SearchParams {
        metric,
        k,
        threshold,
        keep_ties,
        query_chunk: 0,
    }
}

#[test]
fn two_pass_equals_f32_on_random_clusters_with_ties() {
    // Not multiples of 4 or 16; the second is long enough for pruning (512 dimensions).
    for dim in [67, 515] {
        random_clusters_with_ties(dim);
    }
}

fn random_clusters_with_ties(dim: usize) {
    let (queries, refs) = tricky_data(1, 90, 700, dim);
    let nr = refs.len() / dim;
    for metric in [Metric::Cosine, Metric::Euclidean] {
        for k in [1, 5, 50] {
            for keep_ties in [false, true] {
                let p = params(metric, k, None, keep_ties);
                let ctx = format!("dim {dim} {metric} k={k} ties={keep_ties}");
                assert_two_pass_exact(&queries, &refs, dim, &p, &RowFilter::none(), &ctx);
            }
        }
        // Thresholds: a median-ish one, one that admits nothing, one that admits everything.
        let (all, _) = search_with(
            &queries,
            &refs,
            dim,
            &params(metric, nr, None, false),
            &RowFilter::none(),
            Strategy::F32,
        )
        .unwrap();
        let mut ds: Vec<f32> = all
            .iter()
            .flat_map(|h| h.iter().map(|x| x.distance))
            .collect();
        ds.sort_by(f32::total_cmp);
        let low = ds[ds.len() / 200];
        for threshold in [low, ds[ds.len() / 2], -1.0, 0.0, f32::INFINITY] {
            for k in [1, 5, 50] {
                let p = params(metric, k, Some(threshold), true);
                let ctx = format!("dim {dim} {metric} k={k} threshold={threshold}");
                assert_two_pass_exact(&queries, &refs, dim, &p, &RowFilter::none(), &ctx);
            }
        }
        // A threshold exactly at an existing distance (the admission test is `<=`).
        let at = all[0][3].distance;
        let p = params(metric, 50, Some(at), false);
        assert_two_pass_exact(
            &queries,
            &refs,
            dim,
            &p,
            &RowFilter::none(),
            "threshold at a hit",
        );
    }
}

#[test]
fn two_pass_equals_f32_with_masks_and_exclusions() {
    for dim in [48, 520] {
        masks_and_exclusions(dim);
    }
}

fn masks_and_exclusions(dim: usize) {
    let (queries, refs) = tricky_data(2, 70, 900, dim);
    let nq = queries.len() / dim;
    let nr = refs.len() / dim;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let allowed: Vec<bool> = (0..nr)
        .map(|i| i % 7 != 3 && rng.random_bool(0.8))
        .collect();
    // Each query excludes its three f32 nearest neighbours and a few random rows.
    let (nearest, _) = search_with(
        &queries,
        &refs,
        dim,
        &params(Metric::Cosine, 3, None, false),
        &RowFilter::none(),
        Strategy::F32,
    )
    .unwrap();
    let excluded: Vec<Vec<u32>> = nearest
        .iter()
        .map(|h| {
            let mut l: Vec<u32> = h.iter().map(|x| x.reference).collect();
            l.extend((0..5).map(|_| rng.random_range(0..nr as u32)));
            l
        })
        .collect();
    assert_eq!(excluded.len(), nq);
    let filters = [
        RowFilter {
            allowed: Some(allowed.clone()),
            excluded_per_query: None,
        },
        RowFilter {
            allowed: None,
            excluded_per_query: Some(excluded.clone()),
        },
        RowFilter {
            allowed: Some(allowed),
            excluded_per_query: Some(excluded),
        },
    ];
    for (f, filter) in filters.iter().enumerate() {
        for metric in [Metric::Cosine, Metric::Euclidean] {
            for k in [1, 5, 50] {
                let p = params(metric, k, None, true);
                let ctx = format!("dim {dim} filter {f} {metric} k={k}");
                assert_two_pass_exact(&queries, &refs, dim, &p, filter, &ctx);
            }
        }
    }
}

#[test]
fn two_pass_prunes_and_handles_many_blocks_and_chunks() {
    // Larger than one reference block and one query chunk, so segments and chunk merging run;
    // on clustered data the candidate lists must be a small part of the reference. Small
    // clusters (about 10 references each), so that most (block of queries, panel)s hold no
    // close pair and pruning drops them.
    // Dimensions of unequal spread, as in protein embeddings (the pass scores the widest
    // first), and rows long enough for pruning.
    let dim = 512;
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let c = centers(&mut rng, 300, dim);
    let spread: Vec<f32> = (0..dim).map(|_| rng.random_range(0.5f32..1.5)).collect();
    let mut refs = clustered(&mut rng, 3000, dim, &c, 0.5);
    let mut queries = clustered(&mut rng, 300, dim, &c, 0.5);
    for x in [&mut refs, &mut queries] {
        x.iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v *= spread[i % dim]);
    }
    for metric in [Metric::Cosine, Metric::Euclidean] {
        for chunk in [0, 7] {
            let p = SearchParams {
                query_chunk: chunk,
                ..params(metric, 5, None, false)
            };
            let reports = assert_two_pass_exact(
                &queries,
                &refs,
                dim,
                &p,
                &RowFilter::none(),
                &format!("{metric} chunk={chunk}"),
            );
            for (pruning, r) in reports {
                let s = r.two_pass.expect("two-pass statistics");
                let pairs = 300u64 * 3000;
                assert_eq!(s.fallback_queries, 0, "{metric}: {s:?}");
                assert!(
                    s.candidates >= 300 * 5 && s.candidates * 10 < pairs,
                    "{metric}: {} candidates of {pairs} pairs",
                    s.candidates
                );
                // Well-separated clusters: pruning stops many pairs early where a register
                // block is one query (the portable kernel; the others drop a block of 5-6
                // queries only when all of them are done with its panel).
                if pruning == Pruning::Always && r.path == "int8-portable" {
                    assert!(
                        s.int8_work < 0.8,
                        "{metric} chunk={chunk} {}: {s:?}",
                        r.path
                    );
                }
            }
        }
    }
    // One thread and several give the same result (segments are only used with few chunks).
    let p = params(Metric::Cosine, 5, None, true);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let one = pool
        .install(|| search_with(&queries, &refs, dim, &p, &RowFilter::none(), Strategy::Int8))
        .unwrap()
        .0;
    let many = search_with(&queries, &refs, dim, &p, &RowFilter::none(), Strategy::Int8)
        .unwrap()
        .0;
    assert_eq!(one, many);
}

/// Row-major matrix of every dataset in an HDF5 file (keys sorted), or `None` if missing.
fn load_h5(relative: &str) -> Option<(Vec<f32>, usize)> {
    let Some(path) = homolog_testkit::data_file(relative) else {
        homolog_testkit::unavailable(
            format!("real SeqVec embeddings {relative}"),
            "set HOMOLOG_DATA to the shared data folder (see shared/data/SOURCES.md)",
        );
        return None;
    };
    let file = hdf5_metno::File::open(&path).expect("open embeddings");
    let mut keys = file.member_names().expect("list datasets");
    keys.sort();
    let mut matrix = Vec::new();
    let mut dim = 0;
    for key in &keys {
        let row: Vec<f32> = file.dataset(key).unwrap().read_raw().unwrap();
        dim = row.len();
        matrix.extend(row);
    }
    Some((matrix, dim))
}

#[test]
fn two_pass_equals_f32_on_real_seqvec_embeddings() {
    let sets = [
        "embeddings/cath50_seqvec/cath-db.h5",
        "embeddings/bonsai5_seqvec_go/knn_reference.h5",
    ];
    for set in sets {
        let Some((x, dim)) = load_h5(set) else {
            return;
        };
        assert_eq!(dim, 1024, "{set}");
        let n = x.len() / dim;
        // All against all, leave-one-out (the self match excluded), and also with the self
        // match kept (distance ~0 exact ties with the row itself).
        let loo = RowFilter {
            allowed: None,
            excluded_per_query: Some((0..n as u32).map(|i| vec![i]).collect()),
        };
        // Queries: the set itself, plus each row with a small deterministic perturbation
        // (a near copy of its reference row).
        let mut queries = x.clone();
        queries.extend(
            x.iter()
                .enumerate()
                .map(|(i, &v)| v * (1.0 + 1e-4 * ((i % 7) as f32 - 3.0))),
        );
        let two = RowFilter {
            allowed: None,
            excluded_per_query: Some((0..2 * n as u32).map(|i| vec![i % n as u32]).collect()),
        };
        for metric in [Metric::Cosine, Metric::Euclidean] {
            for k in [1, 5, 50] {
                for keep_ties in [false, true] {
                    let p = params(metric, k, None, keep_ties);
                    let ctx = format!("{set} {metric} k={k}");
                    assert_two_pass_exact(&x, &x, dim, &p, &loo, &format!("{ctx} loo"));
                    assert_two_pass_exact(&x, &x, dim, &p, &RowFilter::none(), &ctx);
                    assert_two_pass_exact(&queries, &x, dim, &p, &two, &format!("{ctx} perturbed"));
                }
                let threshold = match metric {
                    Metric::Cosine => 0.3,
                    Metric::Euclidean => 1.0,
                };
                let p = params(metric, k, Some(threshold), false);
                assert_two_pass_exact(&x, &x, dim, &p, &loo, &format!("{set} {metric} k={k} t"));
            }
        }
    }
}

#[test]
fn equidistant_references_overflow_to_the_f32_search() {
    // 3,000 copies of one row (exact ties at the top of every query) and 100 other rows: the
    // candidate lists pass the cap, so those queries are answered by the one-pass search.
    let dim = 16;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let base: Vec<f32> = (0..dim).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let mut refs: Vec<f32> = (0..3000).flat_map(|_| base.iter().copied()).collect();
    refs.extend((0..100 * dim).map(|_| rng.random_range(-1.0f32..1.0)));
    let queries: Vec<f32> = (0..20)
        .flat_map(|_| {
            base.iter()
                .map(|&x| x + 0.01 * rng.random_range(-1.0f32..1.0))
                .collect::<Vec<_>>()
        })
        .collect();
    for metric in [Metric::Cosine, Metric::Euclidean] {
        for keep_ties in [false, true] {
            let p = params(metric, 5, None, keep_ties);
            let ctx = format!("{metric} ties={keep_ties}");
            for (_, r) in assert_two_pass_exact(&queries, &refs, dim, &p, &RowFilter::none(), &ctx)
            {
                let s = r.two_pass.expect("two-pass statistics");
                assert_eq!(s.fallback_queries, 20, "{ctx}: {s:?}");
            }
        }
    }
}
