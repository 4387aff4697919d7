#!/usr/bin/env bash
# Builds the `full` reference of the CAFA3 benchmark (bench/cafa3/run.sh full): every GO-annotated
# UniProtKB/Swiss-Prot protein of Metastudent's dataset_201401 (Swiss-Prot/GOA, January 2014, before
# the CAFA3 annotation window), as a FASTA file and an annotation TSV that `homolog initialize` reads.
#
# Usage: scripts/cafa3/build_full_reference.sh [OUT_DIR]
#   OUT_DIR (default $HOMOLOG_CACHE/cafa3/full, HOMOLOG_CACHE defaulting to ~/.cache/homolog) gets
#     reference.fasta     one record per accession (header: the bare accession)
#     reference_go.tsv    accession<TAB>go_id<TAB>aspect (P, F, C), with a header line; no
#                         evidence codes (GOA Swiss-Prot annotations of every evidence, as
#                         Metastudent ships them); duplicates within an accession removed
#     SOURCES.txt         the package version, the files used and the counts
# Source: Debian's metastudent-data package (225 MB download, 780 MB unpacked; fetched with
# `apt-get download metastudent-data` into $CAFA3_DEB_DIR, default $HOMOLOG_CACHE/cafa3/deb, once).
# Files used from /usr/share/metastudent-data/dataset_201401/ in the package:
#   {BPO,MFO,CCO}/goasp.fasta.{phr,pin,psq}  BLAST databases: the sequences, read with blastdbcmd
#                                            (ncbi-blast+); a protein annotated in several
#                                            aspects is in several databases and kept once
#   {BPO,MFO,CCO}/goasp_annot.dat            `accession<TAB>GO:...<TAB>GO:...` per protein: the
#                                            annotations (leaf and non-leaf terms as GOA has them)
# Needs dpkg, apt-get (only when the .deb is not cached) and blastdbcmd
# (scripts/setup.d/80-cafa3.sh installs ncbi-blast+). The unpacked package is removed at the end.
set -euo pipefail

cache="${HOMOLOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homolog}"
out="${1:-$cache/cafa3/full}"
debdir="${CAFA3_DEB_DIR:-$cache/cafa3/deb}"
command -v blastdbcmd >/dev/null || {
  echo "build_full_reference: blastdbcmd not found (install ncbi-blast+: scripts/setup.d/80-cafa3.sh)" >&2
  exit 1
}

mkdir -p "$debdir" "$out"
deb=$(ls "$debdir"/metastudent-data_*_all.deb 2>/dev/null | sort | tail -n 1 || true)
if [ -z "$deb" ]; then
  echo "build_full_reference: downloading metastudent-data with apt-get into $debdir"
  (cd "$debdir" && apt-get download metastudent-data)
  deb=$(ls "$debdir"/metastudent-data_*_all.deb | sort | tail -n 1)
fi
version=$(dpkg-deb -f "$deb" Version)
echo "build_full_reference: $deb (metastudent-data $version)"

tmp=$(mktemp -d "$out/.build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg -x "$deb" "$tmp/pkg"
ds="$tmp/pkg/usr/share/metastudent-data/dataset_201401"
[ -d "$ds" ] || { echo "build_full_reference: $deb has no dataset_201401" >&2; exit 1; }

# Sequences: title `ACCESSION|GO:...,GO:...` and sequence per line; the first record of an
# accession is kept and a later one with another sequence is counted (it should not happen).
for aspect in BPO MFO CCO; do
  blastdbcmd -db "$ds/$aspect/goasp.fasta" -entry all -outfmt '%t	%s'
done | awk -F'\t' -v report="$tmp/seq_report" '
  { split($1, id, "|"); acc = id[1]; records++
    if (acc in seq) { if (seq[acc] != $2) conflicts++; next }
    seq[acc] = $2; print ">" acc; print $2; unique++ }
  END { printf "%d records, %d accessions, %d with differing sequences\n", records, unique, conflicts + 0 > report }
' >"$tmp/reference.fasta"

# Annotations: one line per protein and aspect, terms repeated once per evidence; keep each once.
{
  printf 'accession\tgo_id\taspect\n'
  for aspect in BPO:P MFO:F CCO:C; do
    awk -F'\t' -v a="${aspect#*:}" '
      { delete seen; for (i = 2; i <= NF; i++) if ($i ~ /^GO:/ && !($i in seen)) { seen[$i] = 1; print $1 "\t" $i "\t" a } }
    ' "$ds/${aspect%%:*}/goasp_annot.dat"
  done
} >"$tmp/reference_go.tsv"

proteins=$(grep -c '^>' "$tmp/reference.fasta")
rows=$(($(wc -l <"$tmp/reference_go.tsv") - 1))
annotated=$(tail -n +2 "$tmp/reference_go.tsv" | cut -f1 | sort -u | wc -l)
per_aspect=$(for a in P F C; do printf '%s %s, ' "$a" "$(awk -F'\t' -v a="$a" '$3 == a { print $1 }' "$tmp/reference_go.tsv" | sort -u | wc -l)"; done)
{
  echo "metastudent-data $version ($(basename "$deb")), dataset_201401 ($(cat "$tmp/pkg/usr/share/metastudent-data/dataversion.txt"))"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/cafa3/build_full_reference.sh"
  echo "sequences from {BPO,MFO,CCO}/goasp.fasta (blastdbcmd -entry all): $(cat "$tmp/seq_report")"
  echo "annotations from {BPO,MFO,CCO}/goasp_annot.dat: $rows rows, $annotated proteins (${per_aspect%, })"
} >"$tmp/SOURCES.txt"
mv "$tmp/reference.fasta" "$tmp/reference_go.tsv" "$tmp/SOURCES.txt" "$out/"
cat "$out/SOURCES.txt"
echo "build_full_reference: $proteins proteins in $out/reference.fasta, $rows annotations in $out/reference_go.tsv"
