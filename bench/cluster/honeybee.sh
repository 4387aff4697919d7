#!/usr/bin/env bash
# Sanity check of read binning on real sequencing data (issue 16): the 100,000 honeybee reads of
# SRR059298 (no per-read labels) are labelled `virus`/`other` by an exact 21-mer screen against
# the 4 bee-virus genomes (honeybee_screen.py), then binned; prints, per method, how many reads
# land in bins dominated by virus reads and how the non-virus reads are split.
#
#   bench/cluster/honeybee.sh [HOMOLOG_BINARY]
#
# Needs $HOMOLOG_DATA (default ../shared/data) with genomes/bee_viruses, and python3.
set -euo pipefail
H=${1:-target/debug/homolog}
D=${HOMOLOG_DATA:-../shared/data}/genomes/bee_viruses
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$(dirname "$0")/honeybee_screen.py" "$D/SRR059298_subset.fastq.gz" "$D"/*.fa.gz >"$W/labels.tsv"
"$H" reads embed --model dna-kmer --input "$D/SRR059298_subset.fastq.gz" --out "$W/shards" >/dev/null
echo "| options | bins | reads in virus-dominated bins (purity) | non-virus reads in non-virus-dominated bins (purity) | ARI |"
echo "|---|---|---|---|---|"
for opts in "--method markov --k auto" "--method markov --k 2" "--method markov --k 4" "--method abcb --k auto" "--method ab" "--method ab --no-mates" "--method kmeans --k 2" "--method kmeans --k auto"; do
  rm -rf "$W/out"
  # shellcheck disable=SC2086
  r=$("$H" reads cluster --input "$W/shards" --reads "$D/SRR059298_subset.fastq.gz" \
      --truth "$W/labels.tsv" --seed 42 --out "$W/out" $opts 2>&1)
  ari=$(grep '^against the truth' <<<"$r" | grep -o 'ARI -\?[0-9.]*' | awk '{print $2}')
  # clusters.tsv: cluster size dominant_label purity completeness
  awk -F'\t' -v opts="$opts" -v ari="$ari" 'NR > 1 {
      bins++
      if ($3 == "virus") { v += $2; vp += $2 * $4 } else { o += $2; op += $2 * $4 }
    } END {
      printf "| `%s` | %d | %d (%.3f) | %d of %d (%.3f) | %s |\n", opts, bins, v, (v ? vp / v : 0),
        op, o, (o ? op / o : 0), ari
    }' "$W/out/clusters.tsv"
done
