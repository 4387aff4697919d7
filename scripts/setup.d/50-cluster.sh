#!/usr/bin/env bash
# Read clustering (issue 5): MPI (OpenMPI + libclang for the `mpi` crate's bindings), a
# single-node Slurm with munge, and the Python peers/services of the tests and benchmarks
# (scikit-learn for metrics and k-means, moto's S3 server, pyarrow; faiss-cpu where installable).
set -euo pipefail
debs=(libopenmpi-dev openmpi-bin libclang-dev clang slurm-wlm munge)
# --list: the Debian packages this area asks for (scripts/setup.sh --test --list).
if [ "${1:-}" = --list ]; then printf '%s\n' "${debs[@]}"; exit 0; fi
missing=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.d/50-cluster: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
pipi() {
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}
python3 -c "import sklearn" >/dev/null 2>&1 || pipi scikit-learn
python3 -c "import moto.server" >/dev/null 2>&1 || pipi "moto[server]"
python3 -c "import pyarrow" >/dev/null 2>&1 || pipi pyarrow
# faiss-cpu is only a benchmark peer: failure to install is not an error.
python3 -c "import faiss" >/dev/null 2>&1 || pipi faiss-cpu || echo "setup.d/50-cluster: faiss-cpu not installable; the benchmark skips it"
