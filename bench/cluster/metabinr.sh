#!/usr/bin/env bash
# homolog's read binning against metabinR (the published Java binner behind the Bioconductor
# package), side by side in one run at equal threads, interleaved (metabinR, homolog, ...):
#  1. quality on the CAMISIM toy metagenome (10 genomes, 26,664 reads): metabinR AB and ABxCB
#     with its vignette's parameters (kMerSizeAB 10, kMerSizeCB 4, genomeSize 3e6, 3 AB
#     classes) and with 2 AB classes and homolog's `markov --k auto`, `ab`, `abcb --k auto`, all scored by the same ARI/NMI code
#     (scikit-learn);
#  2. throughput: wall seconds, reads/s and peak RSS of both on N simulated pair reads
#     (simulate_reads.py), 1 and 2 threads, ROUNDS rounds.
#
#   METABINR_JAR=.../MetaTarget-1.3.1-jar-with-dependencies.jar bench/cluster/metabinr.sh [HOMOLOG] [N]
#
# The jar ships in the metabinR package (Bioconductor, inst/java/; also in the GitHub repository
# gkanogiannis/metabinR); it needs Java >= 17. Needs $HOMOLOG_DATA (default ../shared/data),
# python3 with scikit-learn, and GNU time.
set -euo pipefail
H=${1:-target/release/homolog}
N=${2:-1000000}
ROUNDS=${ROUNDS:-1}
JAR=${METABINR_JAR:?set METABINR_JAR to metabinR MetaTarget-*-jar-with-dependencies.jar}
DATA=${HOMOLOG_DATA:-../shared/data}
C=$DATA/genomes/camisim_toy_metagenome
G=$DATA/genomes
W=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
here=$(dirname "$0")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %T UTC'); $("$H" --version | head -2 | tr '\n' ' '); $(java -version 2>&1 | head -1)"

# Scores `read_id<TAB>bin` (with a header line) against the truth table with scikit-learn.
score() {
  python3 - "$1" "$2" <<'PY'
import gzip, sys
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
pred_path, truth_path = sys.argv[1], sys.argv[2]
op = gzip.open if truth_path.endswith(".gz") else open
truth = {}
with op(truth_path, "rt") as fh:
    for line in fh:
        f = line.rstrip("\n").split("\t")
        if f[0] in ("anonymous_read_id", "read_id") or line.startswith("#"):
            continue
        truth[f[0]] = f[1]
t, p = [], []
with open(pred_path) as fh:
    next(fh)
    for line in fh:
        f = line.rstrip("\n").split("\t")
        if f[0] in truth:
            t.append(truth[f[0]]); p.append(f[1])
print(f"ARI {adjusted_rand_score(t, p):.4f} NMI {normalized_mutual_info_score(t, p):.4f} ({len(p)} reads, {len(set(p))} bins)")
PY
}

metabinr() { # threads tool input out_prefix [AB classes, default 3]
  local t=$1 tool=$2 in=$3 out=$4 classes=${5:-3}
  local args=(-oC "$out" -kAB 10 -kCB 4 -g 3000000 -nAB "$classes")
  [ "$tool" = MTxAB ] && args=(-oAB "$out" -kAB 10 -nAB "$classes")
  /usr/bin/time -f '%e %M' -o "$W/time" java -cp "$JAR" "fr.cea.ig.metatarget.$tool" -i "$in" \
    "${args[@]}" -t "$t" >"$W/mlog" 2>&1 || { tail -n 20 "$W/mlog" >&2; return 1; }
}
homolog_bin() { # threads reads out method...
  local t=$1 reads=$2 out=$3; shift 3
  rm -rf "$W/shards" "$out"
  /usr/bin/time -f '%e %M' -o "$W/time.e" "$H" reads embed --threads "$t" --model dna-kmer \
    --input "$reads" --out "$W/shards" >/dev/null 2>&1
  /usr/bin/time -f '%e %M' -o "$W/time" "$H" reads cluster --threads "$t" --input "$W/shards" \
    --reads "$reads" --seed 42 --out "$out" "$@" >"$W/hlog" 2>&1
}
# homolog's assignments.parquet as read_id<TAB>cluster.
assignments_tsv() {
  python3 -c "import pyarrow.parquet as pq, sys; t = pq.read_table(sys.argv[1]).to_pydict(); print('read_id\tbin'); [print(f'{r}\t{c}') for r, c in zip(t['read_id'], t['cluster'])]" "$1" >"$2"
}

echo
echo "## Quality on CAMISIM (2 threads)"
zcat "$C/reads.metagenome.fasta.gz" >"$W/camisim.fa"
echo "| tool | options | seconds | peak RSS (MiB) | score |"
echo "|---|---|---|---|---|"
for classes in 3 2; do
  metabinr 2 MTxAB "$W/camisim.fa" "$W/m_ab" "$classes"
  read -r s k <"$W/time"
  cut -f1,2 "$W/m_ab__AB.assignments.tsv" >"$W/m_ab.tsv"
  echo "| metabinR | AB (kAB 10, $classes classes) | $s | $((k / 1024)) | $(score "$W/m_ab.tsv" "$C/reads_mapping.tsv.gz") |"
  metabinr 2 MTxABxCB "$W/camisim.fa" "$W/m_abxcb" "$classes"
  read -r s k <"$W/time"
  cut -f1,2 "$W/m_abxcb__ABxCB.assignments.tsv" >"$W/m_abxcb.tsv"
  echo "| metabinR | ABxCB (kAB 10, kCB 4, genome 3e6, $classes classes) | $s | $((k / 1024)) | $(score "$W/m_abxcb.tsv" "$C/reads_mapping.tsv.gz") |"
  rm -f "$W"/m_ab__* "$W"/m_abxcb__*
done
for opts in "--method markov --k auto" "--method ab" "--method abcb --k auto"; do
  # shellcheck disable=SC2086
  homolog_bin 2 "$C/reads.metagenome.fasta.gz" "$W/h" $opts
  read -r se _ <"$W/time.e"; read -r s k <"$W/time"
  assignments_tsv "$W/h/assignments.parquet" "$W/h.tsv"
  echo "| homolog | \`$opts\` | $(awk -v a="$se" -v b="$s" 'BEGIN{print a+b}') | $((k / 1024)) | $(score "$W/h.tsv" "$C/reads_mapping.tsv.gz") |"
done

echo
echo "## Throughput on $N simulated reads"
python3 "$here/simulate_reads.py" "$W/sim.fastq.gz" "$N" \
  "$G/staphylococcus_aureus_NCTC8325_NC_007795.1.fa.gz:1" \
  "$G/helicobacter_pylori_F32_Gambia94-24.fa.gz:4" \
  "$G/klebsiella_draft_assembly_kaptive_exact_match.fa.gz:0.5" \
  "$G/lambda_phage_NC_001416.1.fa.gz:20" 2>/dev/null
zcat "$W/sim.fastq.gz" >"$W/sim.fastq"
reads=$(( $(wc -l <"$W/sim.fastq") / 4 ))
echo "| round | threads | tool | seconds | reads/s | peak RSS (MiB) | ratio metabinR/homolog | score |"
echo "|---|---|---|---|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
  for t in 1 2; do
    metabinr "$t" MTxABxCB "$W/sim.fastq" "$W/ms"
    read -r ms mk <"$W/time"
    cut -f1,2 "$W/ms__ABxCB.assignments.tsv" >"$W/ms.tsv"
    msc=$(score "$W/ms.tsv" "$W/sim.truth.tsv")
    rm -f "$W"/ms__*
    echo "| $r | $t | metabinR ABxCB | $ms | $(awk -v n="$reads" -v s="$ms" 'BEGIN{printf "%.0f", n/s}') | $((mk / 1024)) | | $msc |"
    for m in abcb markov; do
      homolog_bin "$t" "$W/sim.fastq.gz" "$W/hs" --method "$m" --k auto
      read -r se ke <"$W/time.e"; read -r s k <"$W/time"
      hs=$(awk -v a="$se" -v b="$s" 'BEGIN{print a+b}')
      hk=$(( (ke > k ? ke : k) / 1024 ))
      assignments_tsv "$W/hs/assignments.parquet" "$W/hs.tsv"
      hsc=$(score "$W/hs.tsv" "$W/sim.truth.tsv")
      ratio=$(awk -v m="$ms" -v h="$hs" 'BEGIN{printf "%.1fx", m/h}')
      echo "| $r | $t | homolog embed + $m | $hs | $(awk -v n="$reads" -v s="$hs" 'BEGIN{printf "%.0f", n/s}') | $hk | $ratio | $hsc |"
    done
  done
done
