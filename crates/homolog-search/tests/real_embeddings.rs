//! Search over real protein embeddings: 50 CATH domains embedded with SeqVec (1024-d), from
//! bio_embeddings' example data (see shared/data/SOURCES.md). Expected neighbours and distances
//! were computed independently with `scipy.spatial.distance.cdist` (leave-one-out, keys sorted).

use homolog_search::{naive_search, search, Metric, RowFilter, SearchParams};

/// Sorted keys and the row-major 50 x 1024 matrix, or `None` when the data is missing.
fn load() -> Option<(Vec<String>, Vec<f32>, usize)> {
    let path = homolog_testkit::data_file("embeddings/cath50_seqvec/cath-db.h5")?;
    let file = hdf5_metno::File::open(&path).expect("open cath-db.h5");
    let mut keys = file.member_names().expect("list datasets");
    keys.sort();
    let mut matrix = Vec::new();
    let mut dim = 0;
    for key in &keys {
        let row: Vec<f32> = file.dataset(key).unwrap().read_raw().unwrap();
        dim = row.len();
        matrix.extend(row);
    }
    Some((keys, matrix, dim))
}

/// (metric, query row, three (neighbour row, distance) pairs).
type Expected = (Metric, usize, [(u32, f32); 3]);

#[test]
fn leave_one_out_neighbours_match_scipy() {
    let Some((keys, x, dim)) = load() else {
        return;
    };
    assert_eq!((keys.len(), dim), (50, 1024));
    let n = keys.len();
    let leave_one_out = RowFilter {
        allowed: None,
        excluded_per_query: Some((0..n as u32).map(|i| vec![i]).collect()),
    };
    // (metric, query row, [(neighbour row, scipy distance)]) from cdist + argsort.
    let expected: [Expected; 8] = [
        (
            Metric::Cosine,
            0,
            [(49, 0.205015), (4, 0.309725), (11, 0.413419)],
        ),
        (
            Metric::Cosine,
            1,
            [(43, 0.218567), (16, 0.22257), (48, 0.246704)],
        ),
        (
            Metric::Cosine,
            17,
            [(0, 0.420229), (33, 0.477835), (7, 0.483448)],
        ),
        (
            Metric::Cosine,
            49,
            [(0, 0.205015), (4, 0.221538), (40, 0.274377)],
        ),
        (
            Metric::Euclidean,
            0,
            [(49, 0.795691), (4, 1.007877), (17, 1.116885)],
        ),
        (
            Metric::Euclidean,
            1,
            [(43, 0.769643), (48, 0.820282), (16, 0.840735)],
        ),
        (
            Metric::Euclidean,
            17,
            [(7, 1.110309), (0, 1.116885), (2, 1.119723)],
        ),
        (
            Metric::Euclidean,
            49,
            [(0, 0.795691), (4, 0.854024), (11, 0.991169)],
        ),
    ];
    for metric in [Metric::Cosine, Metric::Euclidean] {
        let p = SearchParams {
            metric,
            k: 3,
            ..SearchParams::default()
        };
        let got = search(&x, &x, dim, &p, &leave_one_out).unwrap();
        let naive = naive_search(&x, &x, dim, &p, &leave_one_out).unwrap();
        for (g, w) in got.iter().zip(&naive) {
            let gi: Vec<u32> = g.iter().map(|h| h.reference).collect();
            let wi: Vec<u32> = w.iter().map(|h| h.reference).collect();
            assert_eq!(gi, wi);
        }
        for (m, q, want) in expected.iter().filter(|e| e.0 == metric) {
            for (hit, (row, d)) in got[*q].iter().zip(want) {
                assert_eq!(hit.reference, *row, "{m} {}", keys[*q]);
                assert!((hit.distance - d).abs() < 1e-5, "{m} {}: {hit:?}", keys[*q]);
            }
        }
    }
    // Without the exclusion, every domain finds itself first at distance ~0.
    let got = search(&x, &x, dim, &SearchParams::default(), &RowFilter::none()).unwrap();
    for (i, hits) in got.iter().enumerate() {
        assert_eq!(hits[0].reference, i as u32);
        assert!(hits[0].distance < 1e-6, "{}: {:?}", keys[i], hits[0]);
    }
}
