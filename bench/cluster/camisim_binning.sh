#!/usr/bin/env bash
# The binning table of docs/clustering.md ("Binning by abundance and composition"): every
# method on the CAMISIM toy metagenome, seed 42, as one markdown row each
# (command | bins | ARI | NMI | purity | completeness).
#
#   bench/cluster/camisim_binning.sh [HOMOLOG_BINARY]
#
# Needs $HOMOLOG_DATA (default ../shared/data) with genomes/camisim_toy_metagenome.
set -euo pipefail
H=${1:-target/debug/homolog}
D=${HOMOLOG_DATA:-../shared/data}/genomes/camisim_toy_metagenome
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$H" reads embed --model dna-kmer --input "$D/reads.metagenome.fasta.gz" --out "$W/shards" >/dev/null
row() {
    rm -rf "$W/out"
    local r
    r=$("$H" reads cluster --input "$W/shards" --reads "$D/reads.metagenome.fasta.gz" \
        --truth "$D/reads_mapping.tsv.gz" --seed 42 --out "$W/out" "$@" 2>&1)
    local bins scores
    bins=$(grep -o 'into [0-9]* clusters' <<<"$r" | grep -o '[0-9]*')
    scores=$(grep '^against the truth' <<<"$r" | grep -o 'ARI.*' | awk '{print $2" | "$4" | "$6" | "$8}')
    echo "| \`$*\` | $bins | $scores |"
}
echo "| options | bins | ARI | NMI | purity | completeness |"
echo "|---|---|---|---|---|---|"
row --method markov --k auto
row --method markov --k 2
row --method markov --k 3
row --method markov --k 4
row --method markov --k 5
row --method markov --k 10
row --method markov --k auto --no-mates
row --method markov --k auto --markov-order 4
row --method markov --k auto --markov-order 6
row --method markov --k auto --markov-temperature 0.3
row --method ab
row --method ab --no-mates
row --method ab --ab-classes 3
row --method ab --ab-kmer 11
row --method ab --ab-kmer 12 --ab-classes 2
row --method abcb --k auto
row --method abcb --k 4
row --method abcb --k 10
row --method kmeans --k 2 --abundance-weight 1
row --method kmeans --k 10 --abundance-weight 1
row --method lsh --k 10 --abundance-weight 1
row --method kmeans --k auto
row --method lsh --k auto
row --method kmeans --k 2
row --method kmeans --k 10
row --method kmeans --k 10 --pool-mates
row --method kmeans --k 2 --pool-mates
row --method kmeans --k 2 --pool-mates --abundance-weight 1
