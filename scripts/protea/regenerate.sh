#!/usr/bin/env bash
# Regenerates the PROTEA parity fixtures in tests/fixtures/protea/:
#   taxonomy_pairs.json  PROTEA's own compute_taxonomy (protea/core/feature_engineering.py),
#                        run on ete3 databases built offline from the data folder's taxdump
#                        (homolog-taxonomy's tests/protea_pairs.rs replays it);
#   embedding_pca.json   scikit-learn's PCA on real SeqVec embeddings
#                        (homolog-features' tests/protea_pca.rs compares with it).
# Nothing is downloaded except the pinned Python packages (requirements.txt) into a venv.
#
# Usage: scripts/protea/regenerate.sh PROTEA_SRC [DATA_DIR]
#   PROTEA_SRC  a checkout of github.com/frapercan/PROTEA (the fixtures were made at commit
#               cd433b854d097f933a6d480849159cf946756965; compute_taxonomy is unchanged in
#               later versions), or its files exported with `git archive`
#   DATA_DIR    default: $HOMOLOG_DATA, else ../shared/data next to the repository
#   PROTEA_VENV where the venv goes (default /tmp/homolog-protea-venv)
#   PROTEA_COMMIT the commit to record when PROTEA_SRC is not a git checkout
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src="${1:?usage: $0 PROTEA_SRC [DATA_DIR]}"
data="${2:-${HOMOLOG_DATA:-$root/../shared/data}}"
venv="${PROTEA_VENV:-/tmp/homolog-protea-venv}"
if [[ ! -f "$src/protea/core/feature_engineering.py" ]]; then
    echo "error: $src/protea/core/feature_engineering.py not found; give a PROTEA checkout" >&2
    exit 1
fi
if [[ ! -d "$data/taxonomy" || ! -d "$data/embeddings" ]]; then
    echo "error: $data has no taxonomy/ or embeddings/; pass the data folder" >&2
    exit 1
fi
commit="${PROTEA_COMMIT:-$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)}"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$here/requirements.txt"
out="$root/tests/fixtures/protea"
mkdir -p "$out"
"$venv/bin/python" "$here/taxonomy_fixture.py" "$src" "$data" "$out/taxonomy_pairs.json" "$commit"
"$venv/bin/python" "$here/pca_fixture.py" "$data" "$out/embedding_pca.json"
ls -l "$out"
