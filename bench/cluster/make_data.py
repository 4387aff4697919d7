"""Writes N x D float32 points (K Gaussian blobs, seeded) as a homolog shard folder
(manifest.json + shard-*.parquet with the documented schema) and as points.npy for the peers."""
import json, os, sys
import numpy as np
import pyarrow as pa, pyarrow.parquet as pq

out, n, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows_per_shard = 125_000
rng = np.random.default_rng(2024)
centers = rng.normal(0, 4, size=(k, d)).astype(np.float32)
labels = rng.integers(0, k, size=n)
x = (centers[labels] + rng.normal(0, 1, size=(n, d))).astype(np.float32)
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, "points.npy"), x)
shards = []
for i, s in enumerate(range(0, n, rows_per_shard)):
    part = x[s:s + rows_per_shard]
    m = part.shape[0]
    emb = pa.FixedSizeListArray.from_arrays(pa.array(part.reshape(-1), pa.float32()), d)
    t = pa.table({
        "read_id": pa.array([f"p{j}" for j in range(s, s + m)]),
        "source": pa.array(["synthetic"] * m),
        "embedding": emb,
        "length": pa.array(np.full(m, 150, np.uint32)),
        "gc": pa.array(np.zeros(m, np.float32)),
    })
    f = f"shard-{i:05d}.parquet"
    pq.write_table(t, os.path.join(out, f))
    shards.append({"file": f, "rows": m})
json.dump({"format": "homolog-read-shards", "version": 1, "model": "synthetic", "params": {"k": k},
           "dim": d, "rows": n, "shards": shards, "inputs": [], "producer": "bench/cluster/make_data.py"},
          open(os.path.join(out, "manifest.json"), "w"), indent=1)
