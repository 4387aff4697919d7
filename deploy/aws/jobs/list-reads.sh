#!/usr/bin/env bash
# Prints the read files of a folder or an s3://bucket/prefix/, one a line, in name order: the files
# `homolog reads embed --input` reads (.fa .fasta .fna .fq .fastq, each also .gz). Array task i of
# embed-array.sbatch takes line i + 1; submit-reads.sh sizes the array from the count.
#   list-reads.sh /fsx/runs/<run>/reads | s3://bucket/runs/<run>/reads/
set -euo pipefail
src="${1:?usage: list-reads.sh FOLDER|s3://bucket/prefix/}"
pattern='\.(fa|fasta|fna|fq|fastq)(\.gz)?$'
case "$src" in
  s3://*)
    src="${src%/}/"
    # `aws s3 ls --recursive` prints date, time, size, key; keys are relative to the bucket.
    bucket="${src#s3://}" bucket="${bucket%%/*}"
    aws s3 ls --recursive "$src" | awk '{ $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' \
      | grep -E "$pattern" | LC_ALL=C sort | sed "s|^|s3://$bucket/|"
    ;;
  *)
    [ -d "$src" ] || { echo "list-reads: $src is not a folder (give a folder or s3://bucket/prefix/)" >&2; exit 1; }
    find "$src" -maxdepth 1 \( -type f -o -type l \) | grep -E "$pattern" | LC_ALL=C sort
    ;;
esac
