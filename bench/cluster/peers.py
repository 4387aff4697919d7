"""Peers on the same points: scikit-learn KMeans (lloyd) and faiss-cpu k-means (if installed),
ITERS iterations from the same random initial centroids, all threads. Prints JSON."""
import json, sys, time
import numpy as np

path, k, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.load(path)
rng = np.random.default_rng(7)
init = x[rng.choice(x.shape[0], k, replace=False)].copy()
res = {}
from sklearn.cluster import KMeans
import sklearn
km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
t = time.perf_counter(); km.fit(x); s = time.perf_counter() - t
res["sklearn"] = {"version": sklearn.__version__, "seconds": s, "iterations": int(km.n_iter_),
                  "iter_seconds": s / max(km.n_iter_, 1)}
try:
    import faiss
    fk = faiss.Kmeans(x.shape[1], k, niter=iters, seed=7, max_points_per_centroid=x.shape[0])
    t = time.perf_counter(); fk.train(x, init_centroids=init); s = time.perf_counter() - t
    res["faiss"] = {"version": faiss.__version__, "seconds": s, "iterations": iters, "iter_seconds": s / iters}
except ImportError:
    res["faiss"] = None
print(json.dumps(res))
