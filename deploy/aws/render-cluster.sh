#!/usr/bin/env bash
# Fills the ${...} placeholders of deploy/aws/cluster.yaml and prints the result (docs/aws.md).
#
#   deploy/aws/render-cluster.sh --stack homolog-storage --subnet subnet-0abc... --key-name my-key \
#       [--compute-subnet subnet-...] [--region eu-west-1] [--template FILE] > cluster.rendered.yaml
#
# --stack reads BucketName, DataAccessPolicyArn and ComputeInstanceProfileArn from the outputs of
# the CloudFormation stack made from deploy/aws/storage.yaml (needs the AWS CLI and credentials).
# Without --stack, give them as --bucket, --data-policy-arn and --compute-profile-arn (what
# scripts/check-deploy.sh does, offline). --subnet is the head node's subnet, and the compute
# queues' too unless --compute-subnet is given. The region defaults to the AWS CLI's.
# Fails, naming it, when a placeholder is left without a value.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

template="$here/cluster.yaml"
stack="" region="" bucket="" policy="" profile="" head_subnet="" compute_subnet="" key=""
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
need_value() {
  if [ $# -lt 2 ] || [ -z "$2" ]; then echo "render-cluster: $1 needs a value" >&2; exit 2; fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) need_value "$@"; stack="$2"; shift 2 ;;
    --region) need_value "$@"; region="$2"; shift 2 ;;
    --bucket) need_value "$@"; bucket="$2"; shift 2 ;;
    --data-policy-arn) need_value "$@"; policy="$2"; shift 2 ;;
    --compute-profile-arn) need_value "$@"; profile="$2"; shift 2 ;;
    --subnet) need_value "$@"; head_subnet="$2"; shift 2 ;;
    --compute-subnet) need_value "$@"; compute_subnet="$2"; shift 2 ;;
    --key-name) need_value "$@"; key="$2"; shift 2 ;;
    --template) need_value "$@"; template="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "render-cluster: unknown option $1 (--help lists them)" >&2; exit 2 ;;
  esac
done

if [ -z "$region" ]; then
  region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
  if [ -z "$region" ] && command -v aws >/dev/null 2>&1; then region="$(aws configure get region || true)"; fi
fi
if [ -n "$stack" ]; then
  command -v aws >/dev/null 2>&1 || { echo "render-cluster: --stack needs the AWS CLI (aws)" >&2; exit 1; }
  output() {
    aws cloudformation describe-stacks ${region:+--region "$region"} --stack-name "$stack" \
      --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
  }
  [ -n "$bucket" ] || bucket="$(output BucketName)"
  [ -n "$policy" ] || policy="$(output DataAccessPolicyArn)"
  [ -n "$profile" ] || profile="$(output ComputeInstanceProfileArn)"
fi
[ -n "$compute_subnet" ] || compute_subnet="$head_subnet"

text="$(cat "$template")"
for kv in "REGION=$region" "BUCKET=$bucket" "DATA_ACCESS_POLICY_ARN=$policy" \
          "COMPUTE_INSTANCE_PROFILE_ARN=$profile" "HEAD_SUBNET_ID=$head_subnet" \
          "COMPUTE_SUBNET_ID=$compute_subnet" "KEY_NAME=$key"; do
  name="${kv%%=*}" value="${kv#*=}"
  case "$value" in
    "" | None) continue ;;
    *[[:space:]\$\'\"]*) echo "render-cluster: $name has an unexpected character: '$value'" >&2; exit 2 ;;
  esac
  text="${text//"\${$name}"/$value}"
done
# shellcheck disable=SC2016 # a literal ${NAME}
left="$(grep -o '\${[A-Z_]*}' <<<"$text" | sort -u | tr '\n' ' ' || true)"
if [ -n "$left" ]; then
  echo "render-cluster: no value for $left(give --stack, --region, --subnet, --key-name; --help)" >&2
  exit 1
fi
printf '%s\n' "$text"
