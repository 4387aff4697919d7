"""Reference k-means for homolog-cluster's parity test (crates/homolog-cluster/tests/sklearn.rs).

Usage: python3 sklearn_kmeans.py OUT.json

Builds seeded float32 data (overlapping Gaussian blobs, so Lloyd needs many iterations), picks
initial centroids among the rows, runs scikit-learn KMeans(init=those, n_init=1,
algorithm="lloyd", tol=0) and writes the data, the initial centroids and sklearn's labels,
centres, inertia and iteration count as JSON.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.cluster import KMeans

out = sys.argv[1]
rng = np.random.default_rng(20261128)
n, d, k, blobs = 4000, 12, 8, 6
centres = rng.normal(0.0, 2.0, size=(blobs, d))
x = (centres[rng.integers(0, blobs, n)] + rng.normal(0.0, 1.5, size=(n, d))).astype(np.float32)
init = x[rng.choice(n, k, replace=False)].copy()
km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=300, tol=0.0, algorithm="lloyd")
km.fit(x)
json.dump(
    {
        "sklearn": sklearn.__version__,
        "n": n,
        "dim": d,
        "k": k,
        "x": x.ravel().tolist(),
        "init": init.ravel().tolist(),
        "labels": km.labels_.tolist(),
        "centers": km.cluster_centers_.ravel().tolist(),
        "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_),
    },
    open(out, "w"),
)
