#!/usr/bin/env bash
# Checks the AWS deployment (deploy/aws/, docs/aws.md) where nothing can be deployed: no AWS
# account, no network to AWS. Run by scripts/test.sh (so CI runs it) with the binary the tests
# built; installs nothing (scripts/setup.d/95-deploy.sh does, into $HOMOLOG_DEPLOY_VENV).
#
#  1. storage.yaml: cfn-lint (the CloudFormation resource specifications and best-practice rules),
#     and its outputs are the ones render-cluster.sh reads.
#  2. cluster.yaml: rendered by render-cluster.sh with well-formed placeholder values, then
#     ParallelCluster's own schema and every validator that needs no AWS call
#     (deploy/aws/validate_cluster.py says which ran and which need AWS); two broken copies (a
#     misspelt key, an FSx size that PERSISTENT_2 does not offer) must be rejected.
#  3. shellcheck on the scripts; the paths the pieces share agree (the install script's S3 key,
#     the FSx link /fsx/runs <-> s3://<bucket>/runs, the job scripts it installs).
#  4. on-node-configured.sh against S3 (moto on 127.0.0.1:${HOMOLOG_S3_PORT:-5055}, started by
#     scripts/services.d/50-s3-moto.sh) with the AWS CLI: installs the binary and the job scripts
#     uploaded as docs/aws.md says into a temporary prefix and runs the binary; a binary that does
#     not match its .sha256 is refused.
#  5. The job scripts on real reads ($HOMOLOG_DATA/genomes/lambda_simulated_reads, two files) with
#     the binary ($HOMOLOG_BIN, else target/release or target/debug): each array task as Slurm
#     runs it, a rerun of a finished task, the merge, phase 2; the clusters must equal those of
#     one process over both files. annotate-array.sbatch on two query files against the reference
#     and configuration that `homolog demo` writes. With a Slurm answering `sinfo`
#     (scripts/services.d/51-slurm.sh), the read pipeline again through submit-reads.sh and sbatch
#     (a job array and two dependent jobs).
#  6. Only with HOMOLOG_DEPLOY_AWS=1 and AWS credentials (never in CI): `aws cloudformation
#     validate-template` and `pcluster create-cluster --dryrun true` with the values given in
#     HOMOLOG_DEPLOY_RENDER_ARGS (render-cluster.sh options).
# A missing tool, service, data folder or binary skips its part with a message, and fails the
# check under HOMOLOG_REQUIRE_SERVICES=1 / HOMOLOG_REQUIRE_DATA=1 (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
venv="${HOMOLOG_DEPLOY_VENV:-$HOME/.local/share/homolog/deploy-venv}"
data="${HOMOLOG_DATA:-$(cd .. && pwd)/shared/data}"

fail() { echo "check-deploy: FAIL: $*" >&2; exit 1; }
unavailable() {
  if [ "${HOMOLOG_REQUIRE_SERVICES:-0}" != 0 ] || [ "${HOMOLOG_REQUIRE_DATA:-0}" != 0 ]; then
    fail "$* (required: HOMOLOG_REQUIRE_SERVICES/HOMOLOG_REQUIRE_DATA is set)"
  fi
  echo "check-deploy: SKIPPED: $*"
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- 3a. shellcheck (needs nothing but shellcheck, from scripts/setup.d/30-containers.sh)
if command -v shellcheck >/dev/null 2>&1; then
  shellcheck scripts/check-deploy.sh scripts/setup.d/95-deploy.sh deploy/aws/*.sh \
    deploy/aws/jobs/*.sh deploy/aws/jobs/*.sbatch
  echo "check-deploy: shellcheck clean"
else
  unavailable "shellcheck not installed (scripts/setup.d/30-containers.sh)"
fi

# --- 3b. the pieces agree on their shared paths
# shellcheck disable=SC2016 # literal ${BUCKET} placeholders
install_line='Script: s3://${BUCKET}/bin/on-node-configured.sh'
[ "$(grep -cF "$install_line" deploy/aws/cluster.yaml)" = 3 ] \
  || fail "cluster.yaml: the head node and both queues must run $install_line"
# shellcheck disable=SC2016
for line in 'MountDir: /fsx' 'FileSystemPath: /runs' 'DataRepositoryPath: s3://${BUCKET}/runs'; do
  sed 's/^ *\(- \)\{0,1\}//' deploy/aws/cluster.yaml | grep -qxF "$line" \
    || fail "cluster.yaml: expected '$line' (FSx at /fsx with /runs linked to s3://<bucket>/runs)"
done
for f in bin/on-node-configured.sh bin/jobs/ bin/homolog.sha256 /fsx/runs/; do
  grep -qF "$f" docs/aws.md || fail "docs/aws.md does not mention $f"
done
for f in embed.sbatch cluster.sbatch; do [ -f "scripts/slurm/$f" ] || fail "scripts/slurm/$f is gone"; done
echo "check-deploy: cluster.yaml, the install script, the jobs and docs/aws.md agree on paths"

if [ ! -x "$venv/bin/pcluster" ] || [ ! -x "$venv/bin/cfn-lint" ] || [ ! -x "$venv/bin/aws" ]; then
  unavailable "no cfn-lint/pcluster/aws in $venv (scripts/setup.d/95-deploy.sh installs them)"
  venv=""
fi

# --- 1. the CloudFormation template
if [ -n "$venv" ]; then
  "$venv/bin/cfn-lint" --version
  "$venv/bin/cfn-lint" deploy/aws/storage.yaml || fail "cfn-lint: deploy/aws/storage.yaml (above)"
  outputs="$("$venv/bin/python" - deploy/aws/storage.yaml <<'PY'
import sys
from cfnlint.decode import decode
template, matches = decode(sys.argv[1])
if matches:
    sys.exit(f"cannot parse: {matches}")
print(" ".join(sorted(template["Outputs"])))
PY
)"
  for o in BucketName DataAccessPolicyArn ComputeInstanceProfileArn; do
    case " $outputs " in *" $o "*) ;; *) fail "storage.yaml has no output $o (render-cluster.sh reads it)" ;; esac
    grep -q "output $o" deploy/aws/render-cluster.sh || fail "render-cluster.sh does not read the output $o"
  done
  echo "check-deploy: storage.yaml: cfn-lint clean; outputs $outputs"
fi

# --- 2. the ParallelCluster configuration
render_args=(--region eu-west-1 --bucket homolog-data-example
  --data-policy-arn arn:aws:iam::123456789012:policy/parallelcluster/homolog-DataAccessPolicy-EXAMPLE
  --compute-profile-arn arn:aws:iam::123456789012:instance-profile/parallelcluster/homolog-ComputeNodeInstanceProfile-EXAMPLE
  --subnet subnet-0123456789abcdef0 --key-name homolog)
deploy/aws/render-cluster.sh "${render_args[@]}" >"$work/cluster.yaml"
if deploy/aws/render-cluster.sh --region eu-west-1 >/dev/null 2>"$work/err"; then
  fail "render-cluster.sh accepted missing values"
fi
grep -q 'no value for' "$work/err" || fail "render-cluster.sh: unclear message for missing values: $(cat "$work/err")"
if [ -n "$venv" ]; then
  "$venv/bin/pcluster" version | tr -d '\n ' | sed 's/^/check-deploy: pcluster /; s/$/\n/'
  "$venv/bin/python" deploy/aws/validate_cluster.py "$work/cluster.yaml" \
    || fail "ParallelCluster rejects deploy/aws/cluster.yaml (above)"
  # The check must be able to fail: a misspelt key (schema) and an FSx size (a validator).
  sed 's/ScaledownIdletime:/ScaledownIdleTime:/' "$work/cluster.yaml" >"$work/bad-key.yaml"
  sed 's/StorageCapacity: 1200/StorageCapacity: 1000/' "$work/cluster.yaml" >"$work/bad-fsx.yaml"
  for bad in bad-key bad-fsx; do
    ! cmp -s "$work/cluster.yaml" "$work/$bad.yaml" || fail "self-test $bad: the substitution matched nothing"
    if "$venv/bin/python" deploy/aws/validate_cluster.py "$work/$bad.yaml" >"$work/$bad.out" 2>&1; then
      cat "$work/$bad.out" >&2
      fail "self-test: validate_cluster.py accepted $bad"
    fi
  done
  echo "check-deploy: cluster.yaml: ParallelCluster's schema and offline validators pass; broken copies are rejected"
fi

# --- 5 (needs a binary, 4 too)
bin="${HOMOLOG_BIN:-}"
if [ -z "$bin" ]; then
  for b in target/release/homolog target/debug/homolog; do
    if [ -x "$b" ]; then bin="$repo/$b"; break; fi
  done
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  unavailable "no homolog binary (HOMOLOG_BIN, or cargo build -p homolog-cli): the install script and the jobs were not run"
  bin=""
fi

# The bucket's bin/ as docs/aws.md step 3 uploads it, here as a folder.
stage="$work/bucket-bin"
if [ -n "$bin" ]; then
  mkdir -p "$stage/jobs"
  cp "$bin" "$stage/homolog"
  (cd "$stage" && sha256sum homolog >homolog.sha256)
  cp scripts/slurm/*.sbatch scripts/slurm/submit.sh deploy/aws/jobs/* "$stage/jobs/"
  cp deploy/aws/on-node-configured.sh "$stage/"
fi

# --- 4. the install script against S3 (moto)
port="${HOMOLOG_S3_PORT:-5055}"
if [ -n "$bin" ] && [ -n "$venv" ]; then
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    unavailable "no S3 server on 127.0.0.1:$port (scripts/services.d/50-s3-moto.sh)"
  else
    bucket="homolog-deploy-check-$$"
    (
      export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing \
        AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 PATH="$venv/bin:$PATH"
      aws s3 mb "s3://$bucket" >/dev/null
      aws s3 cp --only-show-errors --recursive "$stage/" "s3://$bucket/bin/"
      prefix="$work/opt-homolog"
      HOMOLOG_PREFIX="$prefix" HOMOLOG_PROFILE_D="$work/profile.d" \
        bash deploy/aws/on-node-configured.sh "$bucket" >"$work/install.out" 2>&1 \
        || { cat "$work/install.out" >&2; fail "on-node-configured.sh failed (above)"; }
      grep -q "homolog-install: installed homolog: homolog " "$work/install.out" \
        || { cat "$work/install.out" >&2; fail "on-node-configured.sh did not run the binary"; }
      cmp -s "$prefix/bin/homolog" "$bin" || fail "the installed binary differs from the uploaded one"
      for f in embed.sbatch cluster.sbatch embed-array.sbatch merge-shards.sh submit-reads.sh; do
        [ -x "$prefix/jobs/$f" ] || fail "on-node-configured.sh did not install jobs/$f"
      done
      # shellcheck disable=SC1091 # written by the install script
      (. "$work/profile.d/homolog.sh" && [ "$(command -v homolog)" = "$prefix/bin/homolog" ] \
        && [ "$HOMOLOG_JOBS" = "$prefix/jobs" ] && [ "$HOMOLOG_BUCKET" = "$bucket" ]) \
        || fail "the profile.d file does not put the binary on PATH / set HOMOLOG_JOBS, HOMOLOG_BUCKET"
      # A binary that is not the one its checksum names must not be installed.
      echo "0000000000000000000000000000000000000000000000000000000000000000  homolog" \
        | aws s3 cp --only-show-errors - "s3://$bucket/bin/homolog.sha256"
      if HOMOLOG_PREFIX="$work/opt-bad" HOMOLOG_PROFILE_D="$work/profile-bad.d" \
        bash deploy/aws/on-node-configured.sh "$bucket" >"$work/install-bad.out" 2>&1; then
        fail "on-node-configured.sh installed a binary whose sha256 does not match"
      fi
      [ ! -e "$work/opt-bad/bin/homolog" ] || fail "a binary with a wrong sha256 was installed"
      aws s3 rb --force "s3://$bucket" >/dev/null
    )
    echo "check-deploy: on-node-configured.sh installed the binary and the jobs from S3 (moto) and ran it; a wrong checksum is refused"
  fi
fi

# --- 5. the job scripts on real reads
reads="$data/genomes/lambda_simulated_reads"
if [ -n "$bin" ] && ! command -v jq >/dev/null 2>&1; then
  unavailable "jq not installed (scripts/setup.d/95-deploy.sh): the jobs were not run"
elif [ -n "$bin" ] && [ ! -d "$reads" ]; then
  unavailable "no $reads (HOMOLOG_DATA): the jobs were not run"
elif [ -n "$bin" ]; then
  run="$work/run"
  export HOMOLOG_JOBS="$stage/jobs" HOMOLOG="$bin" READS="$reads" PARTS="$run/parts"
  mapfile -t files < <(bash "$HOMOLOG_JOBS/list-reads.sh" "$reads")
  [ ${#files[@]} = 2 ] || fail "list-reads.sh found ${#files[@]} read files in $reads, expected 2"
  for ((i = 0; i < ${#files[@]}; i++)); do
    SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=2 bash "$HOMOLOG_JOBS/embed-array.sbatch" >"$work/embed-$i.out" 2>&1 \
      || { cat "$work/embed-$i.out" >&2; fail "embed-array.sbatch task $i failed"; }
  done
  SLURM_ARRAY_TASK_ID=0 bash "$HOMOLOG_JOBS/embed-array.sbatch" | grep -q "is complete; nothing to do" \
    || fail "embed-array.sbatch redid a finished task"
  if SLURM_ARRAY_TASK_ID=2 bash "$HOMOLOG_JOBS/embed-array.sbatch" >/dev/null 2>&1; then
    fail "embed-array.sbatch accepted a task id beyond the read files"
  fi
  bash "$HOMOLOG_JOBS/merge-shards.sh" "$run/parts" "$run/shards" >/dev/null
  [ "$(jq .rows "$run/shards/manifest.json")" = "$(jq -s 'map(.rows) | add' "$run"/parts/part-*/manifest.json)" ] \
    || fail "the merged manifest's rows are not the parts' sum"
  if bash "$HOMOLOG_JOBS/merge-shards.sh" "$run/parts" "$run/shards" >/dev/null 2>&1; then
    fail "merge-shards.sh overwrote a finished shard folder"
  fi
  SHARDS="$run/shards" CLUSTERS="$run/clusters" K=3 SLURM_NTASKS=2 bash "$HOMOLOG_JOBS/cluster.sbatch" >/dev/null
  # The reference: one process over both files.
  "$bin" reads embed --input "$reads" --out "$work/one/shards" --threads 2 >/dev/null
  "$bin" reads cluster --input "$work/one/shards" --out "$work/one/clusters" --k 3 --threads 2 >/dev/null
  cmp -s "$run/clusters/clusters.tsv" "$work/one/clusters/clusters.tsv" \
    || fail "the array + merge clustering differs from one process (clusters.tsv)"
  same="same cluster sizes"
  if python3 -c "import pyarrow" 2>/dev/null; then
    python3 - "$run/clusters/assignments.parquet" "$work/one/clusters/assignments.parquet" <<'PY' \
      || fail "the array + merge assignments differ from one process"
import sys
import pyarrow.parquet as pq
a, b = (pq.read_table(p) for p in sys.argv[1:3])
sys.exit(0 if a.num_rows == b.num_rows and a.select(["read_id", "cluster"]).equals(b.select(["read_id", "cluster"])) else 1)
PY
    same="same assignments, read by read"
  fi
  echo "check-deploy: jobs: $(jq .rows "$run/shards/manifest.json") reads in ${#files[@]} array tasks, merged and clustered: $same as one process"

  # Annotation at scale: the demo's reference and configuration, its first 20 queries split into
  # two files (one plain, one gzip), one array task each.
  "$bin" demo --out "$work/demo" --model kmer >/dev/null 2>&1 || fail "homolog demo failed"
  mkdir -p "$work/queries"
  zcat "$work/demo/data/queries.fasta.gz" | awk '/^>/ { n++ } n <= 10' >"$work/queries/part-a.fasta"
  zcat "$work/demo/data/queries.fasta.gz" | awk '/^>/ { n++ } n > 10 && n <= 20' | gzip >"$work/queries/part-b.fa.gz"
  for ((i = 0; i < 2; i++)); do
    QUERIES="$work/queries" REFERENCE="$work/demo/reference" CONFIG="$work/demo/config.yaml" \
      OUT="$work/annotations" SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=2 \
      bash "$HOMOLOG_JOBS/annotate-array.sbatch" >"$work/annotate-$i.out" 2>&1 \
      || { cat "$work/annotate-$i.out" >&2; fail "annotate-array.sbatch task $i failed"; }
  done
  for name in part-a part-b; do
    summary="$(compgen -G "$work/annotations/$name/${name}_*/summary.csv" | head -1)"
    [ -n "$summary" ] || fail "annotate-array.sbatch wrote no $name/${name}_<timestamp>/summary.csv"
    want="$(zcat -f "$work/queries/$name".* | sed -n 's/^>\([^ ]*\).*/\1/p' | sort -u)"
    got="$(tail -n +2 "$summary" | cut -d, -f1 | sort -u)"
    extra="$(comm -13 <(echo "$want") <(echo "$got"))"
    if [ -n "$extra" ] || [ -z "$got" ]; then fail "$summary annotates other proteins than $name's: $extra"; fi
  done
  QUERIES="$work/queries" REFERENCE="$work/demo/reference" CONFIG="$work/demo/config.yaml" \
    OUT="$work/annotations" SLURM_ARRAY_TASK_ID=1 bash "$HOMOLOG_JOBS/annotate-array.sbatch" \
    | grep -q "is complete; nothing to do" || fail "annotate-array.sbatch redid a finished file"
  echo "check-deploy: annotate-array.sbatch: 2 query files annotated against the demo reference, each with only its own proteins; a finished file is skipped"

  # Through Slurm, when one answers.
  if timeout 10 sinfo -h >/dev/null 2>&1 && [ -n "$(timeout 10 sinfo -h -o %P 2>/dev/null)" ]; then
    partition="$(sinfo -h -o %P | head -1 | tr -d '*')"
    srun_dir="$(mktemp -d "${TMPDIR:-/tmp}/homolog-deploy-slurm-XXXXXX")"
    ids="$(RUN="$srun_dir" CPU_PARTITION="$partition" EMBED_CPUS=1 K=3 bash "$HOMOLOG_JOBS/submit-reads.sh")"
    read -r -a jobs <<<"$ids"
    [ ${#jobs[@]} = 3 ] || fail "submit-reads.sh printed '$ids', expected three job ids"
    for _ in $(seq 1 300); do
      [ -z "$(squeue -h -j "$(IFS=,; echo "${jobs[*]}")" 2>/dev/null)" ] && break
      sleep 1
    done
    cmp -s "$srun_dir/clusters/clusters.tsv" "$work/one/clusters/clusters.tsv" \
      || { tail -n 5 "$srun_dir"/logs/* >&2 || true; rm -rf "$srun_dir"; fail "the jobs submitted through Slurm did not produce the expected clusters (logs above)"; }
    rm -rf "$srun_dir"
    echo "check-deploy: submit-reads.sh through Slurm (partition $partition): array ${jobs[0]}, merge ${jobs[1]}, cluster ${jobs[2]}: same clusters"
  else
    unavailable "no Slurm answering sinfo (scripts/services.d/51-slurm.sh): submit-reads.sh was not run through sbatch"
  fi
fi

# --- 6. against AWS, only when asked
if [ "${HOMOLOG_DEPLOY_AWS:-0}" = 1 ]; then
  [ -n "$venv" ] || fail "HOMOLOG_DEPLOY_AWS=1 needs $venv"
  read -r -a aws_args <<<"${HOMOLOG_DEPLOY_RENDER_ARGS:?set HOMOLOG_DEPLOY_RENDER_ARGS to render-cluster.sh options for your account}"
  "$venv/bin/aws" cloudformation validate-template --template-body "file://$repo/deploy/aws/storage.yaml" >/dev/null
  deploy/aws/render-cluster.sh "${aws_args[@]}" >"$work/cluster-aws.yaml"
  "$venv/bin/pcluster" create-cluster --dryrun true --cluster-name "${HOMOLOG_DEPLOY_CLUSTER:-homolog}" \
    --cluster-configuration "$work/cluster-aws.yaml"
  echo "check-deploy: AWS accepted storage.yaml and the dry run of create-cluster"
fi
echo "check-deploy: ok"
