//! `search` (blocked GEMM + streaming top-k) must give the same answer as `naive_search`
//! (f64 double loop) on every kind of input: both metrics, thresholds, exact ties, k larger
//! than the reference, empty inputs, row filters, dim 1 and zero vectors.

use std::collections::HashMap;

use homolog_search::{naive_search, search, Hit, Metric, RowFilter, SearchParams};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Uniform values in [-1, 1).
fn random_matrix(rng: &mut ChaCha8Rng, rows: usize, dim: usize) -> Vec<f32> {
    (0..rows * dim)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect()
}

/// Compares one result set with the naive one. Indices must be equal except where the naive
/// distance of the reference the fast path chose is within `NEAR` of the naive distance at that
/// rank (a near-tie the two roundings may order differently). Returns how many such swaps
/// occurred, so tests built to avoid near-ties can assert zero.
fn assert_same(
    got: &[Vec<Hit>],
    want: &[Vec<Hit>],
    exact: &[HashMap<u32, f32>],
    context: &str,
) -> usize {
    const TOL: f32 = 1e-5;
    const NEAR: f32 = 1e-6;
    assert_eq!(got.len(), want.len(), "{context}: number of queries");
    let mut swaps = 0;
    for (q, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            g.len(),
            w.len(),
            "{context}: query {q}: hit count\n got {g:?}\nwant {w:?}"
        );
        for (rank, (gh, wh)) in g.iter().zip(w).enumerate() {
            assert!(
                (gh.distance - wh.distance).abs() <= TOL,
                "{context}: query {q} rank {rank}: distance {} vs naive {}",
                gh.distance,
                wh.distance
            );
            if gh.reference != wh.reference {
                let d = exact[q][&gh.reference];
                assert!(
                    (d - wh.distance).abs() <= NEAR,
                    "{context}: query {q} rank {rank}: reference {} (naive distance {d}) vs \
                     naive's {} ({})\n got {g:?}\nwant {w:?}",
                    gh.reference,
                    wh.reference,
                    wh.distance
                );
                swaps += 1;
            }
        }
        for pair in g.windows(2) {
            assert!(
                (pair[0].distance, pair[0].reference) < (pair[1].distance, pair[1].reference),
                "{context}: query {q}: hits not sorted or duplicated: {g:?}"
            );
        }
    }
    swaps
}

/// Runs both implementations and compares them; returns the fast result.
fn check(
    queries: &[f32],
    refs: &[f32],
    dim: usize,
    params: &SearchParams,
    filter: &RowFilter,
    context: &str,
) -> Vec<Vec<Hit>> {
    let got = search(queries, refs, dim, params, filter).expect("search");
    let want = naive_search(queries, refs, dim, params, filter).expect("naive_search");
    let all = SearchParams {
        k: (refs.len() / dim).max(1),
        threshold: None,
        keep_ties: false,
        ..params.clone()
    };
    let exact: Vec<HashMap<u32, f32>> = naive_search(queries, refs, dim, &all, filter)
        .expect("naive_search all")
        .into_iter()
        .map(|hits| {
            hits.into_iter()
                .map(|h| (h.reference, h.distance))
                .collect()
        })
        .collect();
    let swaps = assert_same(&got, &want, &exact, context);
    assert_eq!(
        swaps, 0,
        "{context}: random test data should have no near-ties"
    );
    got
}

fn params(metric: Metric, k: usize) -> SearchParams {
    SearchParams {
        metric,
        k,
        ..SearchParams::default()
    }
}

#[test]
fn random_data_both_metrics_many_shapes() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    // (queries, refs, dim, k, query_chunk): odd sizes exercise partial GEMM tiles, several
    // reference blocks (REFERENCE_BLOCK = 1024) and segments, and tiny/huge query chunks.
    let shapes = [
        (1, 1, 3, 1, 0),
        (5, 2500, 17, 4, 0),
        (300, 1100, 64, 5, 0),
        (37, 3000, 33, 10, 7),
        (40, 2049, 8, 3, 1),
        (600, 700, 100, 2, 1000),
    ];
    for metric in [Metric::Cosine, Metric::Euclidean] {
        for &(nq, nr, dim, k, chunk) in &shapes {
            let q = random_matrix(&mut rng, nq, dim);
            let r = random_matrix(&mut rng, nr, dim);
            let p = SearchParams {
                query_chunk: chunk,
                ..params(metric, k)
            };
            let got = check(
                &q,
                &r,
                dim,
                &p,
                &RowFilter::none(),
                &format!("{metric} {nq}x{nr}x{dim} k={k} chunk={chunk}"),
            );
            assert!(got.iter().all(|hits| hits.len() == k.min(nr)));
        }
    }
}

#[test]
fn same_answer_on_one_thread_and_many() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (nq, nr, dim) = (9, 5000, 24);
    let q = random_matrix(&mut rng, nq, dim);
    let r = random_matrix(&mut rng, nr, dim);
    let p = params(Metric::Cosine, 6);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| search(&q, &r, dim, &p, &RowFilter::none()).unwrap());
    // 8 threads force the reference to be split into segments that are merged afterwards.
    let many = rayon::ThreadPoolBuilder::new()
        .num_threads(8)
        .build()
        .unwrap()
        .install(|| search(&q, &r, dim, &p, &RowFilter::none()).unwrap());
    assert_eq!(one, many);
    check(&q, &r, dim, &p, &RowFilter::none(), "segments");
}

#[test]
fn thresholds_keep_only_close_hits() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (nq, nr, dim) = (50, 1500, 16);
    let q = random_matrix(&mut rng, nq, dim);
    let r = random_matrix(&mut rng, nr, dim);
    for metric in [Metric::Cosine, Metric::Euclidean] {
        // Threshold near the median 8th-neighbour distance: about half the queries keep all 8
        // hits, the others fewer. Midway between two values so that rounding cannot move a
        // hit across it (checked below).
        let unlimited = naive_search(&q, &r, dim, &params(metric, 8), &RowFilter::none()).unwrap();
        let mut eighth: Vec<f32> = unlimited.iter().map(|h| h[7].distance).collect();
        eighth.sort_by(f32::total_cmp);
        let threshold = (eighth[nq / 2 - 1] + eighth[nq / 2]) / 2.0;
        assert!(unlimited
            .iter()
            .flatten()
            .all(|h| (h.distance - threshold).abs() > 1e-5));
        let p = SearchParams {
            threshold: Some(threshold),
            ..params(metric, 8)
        };
        let got = check(
            &q,
            &r,
            dim,
            &p,
            &RowFilter::none(),
            &format!("{metric} threshold"),
        );
        assert!(got.iter().flatten().all(|h| h.distance <= threshold));
        let counts: Vec<usize> = got.iter().map(Vec::len).collect();
        assert!(
            counts.iter().any(|&c| c < 8),
            "{metric}: threshold never bit: {counts:?}"
        );
        assert!(
            counts.iter().any(|&c| c > 0),
            "{metric}: threshold removed everything"
        );
    }
    // A negative threshold keeps nothing.
    let p = SearchParams {
        threshold: Some(-1.0),
        ..params(Metric::Cosine, 3)
    };
    let got = check(&q, &r, dim, &p, &RowFilter::none(), "negative threshold");
    assert!(got.iter().all(Vec::is_empty));
}

#[test]
fn exact_ties_from_duplicate_reference_rows() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (nr, dim) = (3000, 32);
    let mut r = random_matrix(&mut rng, nr, dim);
    // Row 5 is duplicated at 100, 1500 (another reference block) and 2999 (the last row).
    let row5 = r[5 * dim..6 * dim].to_vec();
    for dup in [100, 1500, 2999] {
        r[dup * dim..(dup + 1) * dim].copy_from_slice(&row5);
    }
    // Queries: perturbed copies of row 5, so the four duplicates are the nearest (at ~0.65,
    // other rows at ~4.6). Not closer: the euclidean expansion's rounding error grows as the
    // distance shrinks (see the accuracy notes of homolog-search) and would exceed the
    // comparison's tolerance for near-identical rows.
    let nq = 6;
    let mut q = Vec::new();
    for _ in 0..nq {
        q.extend(row5.iter().map(|&x| x + 0.2 * rng.random_range(-1.0..1.0)));
    }
    for metric in [Metric::Cosine, Metric::Euclidean] {
        let plain = check(
            &q,
            &r,
            dim,
            &params(metric, 2),
            &RowFilter::none(),
            &format!("{metric} ties off"),
        );
        for hits in &plain {
            let idx: Vec<u32> = hits.iter().map(|h| h.reference).collect();
            assert_eq!(idx, vec![5, 100], "{metric}: ties broken by lower index");
            assert_eq!(hits[0].distance, hits[1].distance);
        }
        let tied = check(
            &q,
            &r,
            dim,
            &SearchParams {
                keep_ties: true,
                ..params(metric, 2)
            },
            &RowFilter::none(),
            &format!("{metric} ties on"),
        );
        for hits in &tied {
            let idx: Vec<u32> = hits.iter().map(|h| h.reference).collect();
            assert_eq!(
                idx,
                vec![5, 100, 1500, 2999],
                "{metric}: all tied copies kept"
            );
        }
        // k = 5: the tie group is inside the top 5, the 5th hit is a different row, no extension.
        let five = check(
            &q,
            &r,
            dim,
            &SearchParams {
                keep_ties: true,
                ..params(metric, 5)
            },
            &RowFilter::none(),
            &format!("{metric} ties inside k"),
        );
        assert!(five.iter().all(|hits| hits.len() == 5));
    }
}

#[test]
fn zero_vectors_have_cosine_distance_one() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let (nr, dim) = (2100, 12);
    let mut r = random_matrix(&mut rng, nr, dim);
    for zero in [0, 7, 1500] {
        r[zero * dim..(zero + 1) * dim].fill(0.0);
    }
    let mut q = random_matrix(&mut rng, 3, dim);
    q[dim..2 * dim].fill(0.0); // query 1 is the zero vector
    let p = SearchParams {
        k: 3,
        ..SearchParams::default()
    };
    let got = check(&q, &r, dim, &p, &RowFilter::none(), "zero cosine");
    let zero_q: Vec<(u32, f32)> = got[1].iter().map(|h| (h.reference, h.distance)).collect();
    assert_eq!(zero_q, vec![(0, 1.0), (1, 1.0), (2, 1.0)]);
    // With ties kept, a zero query ties with every reference row.
    let p = SearchParams {
        k: 3,
        keep_ties: true,
        ..SearchParams::default()
    };
    let got = check(&q, &r, dim, &p, &RowFilter::none(), "zero cosine ties");
    assert_eq!(got[1].len(), nr);
    assert!(got[1].iter().all(|h| h.distance == 1.0));
    // Euclidean distance of a zero query is the reference norm; of a zero reference, the query's.
    let got = check(
        &q,
        &r,
        dim,
        &params(Metric::Euclidean, nr),
        &RowFilter::none(),
        "zero euclidean",
    );
    let norm0: f32 = q[..dim].iter().map(|x| x * x).sum::<f32>().sqrt();
    let d_to_zero_ref = got[0].iter().find(|h| h.reference == 7).unwrap().distance;
    assert!((d_to_zero_ref - norm0).abs() < 1e-5);
    assert_eq!(got[1][0].distance, 0.0, "zero query vs zero reference");
}

#[test]
fn k_larger_than_reference_returns_everything_sorted() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (nq, nr, dim) = (4, 30, 5);
    let q = random_matrix(&mut rng, nq, dim);
    let r = random_matrix(&mut rng, nr, dim);
    for metric in [Metric::Cosine, Metric::Euclidean] {
        let got = check(
            &q,
            &r,
            dim,
            &params(metric, 1000),
            &RowFilter::none(),
            "k > R",
        );
        for hits in &got {
            let mut idx: Vec<u32> = hits.iter().map(|h| h.reference).collect();
            idx.sort_unstable();
            assert_eq!(idx, (0..nr as u32).collect::<Vec<_>>());
        }
    }
}

#[test]
fn empty_inputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let dim = 8;
    let r = random_matrix(&mut rng, 10, dim);
    let p = params(Metric::Cosine, 3);
    assert!(search(&[], &r, dim, &p, &RowFilter::none())
        .unwrap()
        .is_empty());
    assert!(naive_search(&[], &r, dim, &p, &RowFilter::none())
        .unwrap()
        .is_empty());
    let q = random_matrix(&mut rng, 2, dim);
    assert_eq!(
        search(&q, &[], dim, &p, &RowFilter::none()).unwrap(),
        vec![Vec::<Hit>::new(); 2]
    );
    let nothing_allowed = RowFilter {
        allowed: Some(vec![false; 10]),
        excluded_per_query: None,
    };
    assert_eq!(
        check(&q, &r, dim, &p, &nothing_allowed, "empty mask"),
        vec![Vec::<Hit>::new(); 2]
    );
}

#[test]
fn filters_mask_and_per_query_exclusions() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (nq, nr, dim) = (40, 4000, 20);
    let q = random_matrix(&mut rng, nq, dim);
    let r = random_matrix(&mut rng, nr, dim);
    for metric in [Metric::Cosine, Metric::Euclidean] {
        let unfiltered = search(&q, &r, dim, &params(metric, 4), &RowFilter::none()).unwrap();
        // Scattered mask (gathered blocks) and a mask of long runs (contiguous blocks).
        let scattered: Vec<bool> = (0..nr).map(|_| rng.random_range(0..10) < 3).collect();
        let runs: Vec<bool> = (0..nr).map(|i| (i / 1500) % 2 == 0).collect();
        for (name, mask) in [("scattered", scattered), ("runs", runs)] {
            // Exclude each query's unfiltered nearest neighbour plus a few random rows.
            let excluded: Vec<Vec<u32>> = unfiltered
                .iter()
                .map(|hits| {
                    let mut ex = vec![hits[0].reference, hits[0].reference];
                    ex.extend((0..5).map(|_| rng.random_range(0..nr) as u32));
                    ex
                })
                .collect();
            let filter = RowFilter {
                allowed: Some(mask.clone()),
                excluded_per_query: Some(excluded.clone()),
            };
            let got = check(
                &q,
                &r,
                dim,
                &params(metric, 4),
                &filter,
                &format!("{metric} {name} mask+exclusions"),
            );
            for (qi, hits) in got.iter().enumerate() {
                assert_eq!(hits.len(), 4);
                for h in hits {
                    assert!(mask[h.reference as usize], "masked row returned");
                    assert!(
                        !excluded[qi].contains(&h.reference),
                        "excluded row returned"
                    );
                }
            }
            let only_ex = RowFilter {
                allowed: None,
                excluded_per_query: Some(excluded.clone()),
            };
            let got = check(
                &q,
                &r,
                dim,
                &params(metric, 4),
                &only_ex,
                &format!("{metric} exclusions only"),
            );
            for (qi, hits) in got.iter().enumerate() {
                assert_ne!(hits[0].reference, unfiltered[qi][0].reference);
            }
        }
    }
}

#[test]
fn dimension_one_gives_exact_ties() {
    // Powers of two make every product exact, so distances are exact and ties are genuine.
    let values = [1.0f32, -1.0, 2.0, -2.0, 0.5, 0.0, 4.0, -0.5];
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let r: Vec<f32> = (0..1500)
        .map(|_| values[rng.random_range(0..values.len())])
        .collect();
    let q = vec![1.0f32, -2.0, 0.0, 0.5];
    for metric in [Metric::Cosine, Metric::Euclidean] {
        for keep_ties in [false, true] {
            let p = SearchParams {
                keep_ties,
                ..params(metric, 3)
            };
            let got = check(
                &q,
                &r,
                1,
                &p,
                &RowFilter::none(),
                &format!("{metric} dim 1 ties={keep_ties}"),
            );
            if metric == Metric::Cosine {
                // Query 1.0: every positive reference has distance exactly 0.
                let positives = r.iter().filter(|&&x| x > 0.0).count();
                let want = if keep_ties { positives } else { 3 };
                assert_eq!(got[0].len(), want);
                assert!(got[0].iter().all(|h| h.distance == 0.0));
            }
        }
    }
}
