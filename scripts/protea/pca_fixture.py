#!/usr/bin/env python3
"""Write tests/fixtures/protea/embedding_pca.json: scikit-learn's PCA on real embeddings.

PROTEA's research export summarises each query embedding by its projection on the first 16
principal components of the reference pool (`emb_pca_query_0..15`). homolog-features'
parity test fits its own PCA on the same rows and compares with the values written here.

Data: the 50 per-protein SeqVec embeddings (1024-d float32) of
embeddings/cath50_seqvec/cath-db.h5 in the data folder. Datasets are taken in sorted key
order; the first 40 are the reference pool, the last 10 the queries. Two cases:

* `seqvec1024`: all 1024 dimensions (fewer rows than dimensions);
* `seqvec_first32`: the first 32 dimensions only (more rows than dimensions).

The reference is `sklearn.decomposition.PCA(n_components=16, svd_solver="full")` fitted on
the pool converted to float64 (the exact answer; "auto" would pick a randomized solver
here). Also recorded, to size the test's tolerance: how far the same fit on the float32
rows lands, and how far PROTEA's own recipe (numpy SVD of the float32 centred pool, no sign
rule, float32 projection) lands, both compared up to the sign of each component.

Usage: pca_fixture.py DATA_DIR OUT_JSON
"""
import json
import os
import sys

import h5py
import numpy as np
import sklearn
from sklearn.decomposition import PCA

DATA_DIR, OUT_JSON = sys.argv[1:3]
H5 = "embeddings/cath50_seqvec/cath-db.h5"
N_COMPONENTS = 16
N_POOL = 40


def max_diff_up_to_sign(a, b):
    """Largest |a - s*b| over all entries, s = +-1 chosen per column (component)."""
    worst = 0.0
    for c in range(a.shape[1]):
        worst = max(worst, min(np.abs(a[:, c] - b[:, c]).max(), np.abs(a[:, c] + b[:, c]).max()))
    return float(worst)


def case(name, x, keys, dims):
    pool64 = x[:N_POOL].astype(np.float64)
    queries64 = x[N_POOL:].astype(np.float64)
    pca = PCA(n_components=N_COMPONENTS, svd_solver="full").fit(pool64)
    pool_proj = pca.transform(pool64)
    query_proj = pca.transform(queries64)

    # The same fit on float32 rows (sklearn keeps float32 throughout).
    pca32 = PCA(n_components=N_COMPONENTS, svd_solver="full").fit(x[:N_POOL])
    q32 = pca32.transform(x[N_POOL:]).astype(np.float64)

    # PROTEA's recipe: float32 mean and SVD, components taken as they come, float32 projection.
    pool32 = x[:N_POOL].astype(np.float32)
    mean32 = pool32.mean(axis=0)
    _, _, vh = np.linalg.svd(pool32 - mean32, full_matrices=False)
    comps32 = vh[:N_COMPONENTS].astype(np.float32)
    qp = ((x[N_POOL:].astype(np.float32) - mean32) @ comps32.T).astype(np.float64)

    scale = np.abs(query_proj).max(axis=0)
    out = {
        "dims": dims,
        "pool": keys[:N_POOL],
        "queries": keys[N_POOL:],
        "mean": pca.mean_.tolist(),
        "explained_variance": pca.explained_variance_.tolist(),
        "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        "pool_projection": pool_proj.tolist(),
        "query_projection": query_proj.tolist(),
        "float32_fit_max_abs_diff": max_diff_up_to_sign(query_proj, q32),
        "protea_recipe_max_abs_diff": max_diff_up_to_sign(query_proj, qp),
        "query_projection_max_abs": scale.tolist(),
    }
    if dims <= 64:
        out["components"] = pca.components_.tolist()
    print(f"{name}: pool {pool64.shape}, float32 fit max diff {out['float32_fit_max_abs_diff']:.3g}, "
          f"PROTEA recipe max diff {out['protea_recipe_max_abs_diff']:.3g}, "
          f"projection scale {scale.min():.3g}..{scale.max():.3g}", file=sys.stderr)
    return out


def main():
    with h5py.File(os.path.join(DATA_DIR, H5), "r") as f:
        keys = sorted(f.keys())
        x = np.stack([np.asarray(f[k][()], dtype=np.float32) for k in keys])
    out = {
        "about": "scikit-learn PCA reference for homolog-features' EmbeddingPca; written by "
                 "scripts/protea/pca_fixture.py (see scripts/protea/regenerate.sh)",
        "data": H5,
        "n_components": N_COMPONENTS,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "solver": "full, float64 input; signs by sklearn's svd_flip on the components "
                  "(largest |loading| of each component positive)",
        "cases": {
            "seqvec1024": case("seqvec1024", x, keys, x.shape[1]),
            "seqvec_first32": case("seqvec_first32", np.ascontiguousarray(x[:, :32]), keys, 32),
        },
    }
    with open(OUT_JSON, "w") as f:
        json.dump(out, f)
        f.write("\n")


main()
