#!/usr/bin/env bash
# Binning throughput (issue 16): reads/s of `homolog reads embed` (dna-kmer) + `homolog reads
# cluster --method M --k auto` for each M in $METHODS (default `abcb markov`: k-mer counting
# over the reads, abundance classes and composition k-means; the Markov-chain mixture) on N
# simulated 150 bp pair reads from the shipped genomes at uneven abundances
# (S. aureus x1, H. pylori x4, Klebsiella x0.5, lambda x20 by coverage weight), at 1 and 2
# threads, with the peak resident memory of each step (GNU time) and ARI against the truth.
#
#   bench/cluster/binning_throughput.sh [HOMOLOG_BINARY] [N=1000000]
#
# Needs $HOMOLOG_DATA (default ../shared/data), python3 and /usr/bin/time.
set -euo pipefail
H=${1:-target/release/homolog}
N=${2:-1000000}
G=${HOMOLOG_DATA:-../shared/data}/genomes
W=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %T UTC'); $("$H" --version | head -2 | tr '\n' ' ')"
python3 "$(dirname "$0")/simulate_reads.py" "$W/reads.fastq.gz" "$N" \
  "$G/staphylococcus_aureus_NCTC8325_NC_007795.1.fa.gz:1" \
  "$G/helicobacter_pylori_F32_Gambia94-24.fa.gz:4" \
  "$G/klebsiella_draft_assembly_kaptive_exact_match.fa.gz:0.5" \
  "$G/lambda_phage_NC_001416.1.fa.gz:20"
reads=$(( $(zcat "$W/reads.fastq.gz" | wc -l) / 4 ))
echo "| threads | step | seconds | reads/s | peak RSS (MiB) | result |"
echo "|---|---|---|---|---|---|"
for t in 1 2; do
  rm -rf "$W/shards" "$W/out"
  /usr/bin/time -f '%e %M' -o "$W/time" "$H" reads embed --threads "$t" --model dna-kmer \
    --input "$W/reads.fastq.gz" --out "$W/shards" >/dev/null 2>&1
  read -r secs kib <"$W/time"
  echo "| $t | embed (dna-kmer) | $secs | $(awk -v n="$reads" -v s="$secs" 'BEGIN{printf "%.0f", n/s}') | $(( kib / 1024 )) | |"
  for m in ${METHODS:-abcb markov}; do
    rm -rf "$W/out"
    /usr/bin/time -f '%e %M' -o "$W/time" "$H" reads cluster --threads "$t" --input "$W/shards" \
      --reads "$W/reads.fastq.gz" --truth "$W/reads.truth.tsv" --method "$m" --k auto --seed 42 \
      --out "$W/out" >"$W/log" 2>&1
    read -r secs kib <"$W/time"
    ari=$(grep -o 'ARI -\?[0-9.]*  NMI [0-9.]*' "$W/log" || true)
    bins=$(grep -o 'into [0-9]* clusters' "$W/log" || true)
    echo "| $t | cluster ($m, k auto) | $secs | $(awk -v n="$reads" -v s="$secs" 'BEGIN{printf "%.0f", n/s}') | $(( kib / 1024 )) | $bins, $ari |"
  done
done
