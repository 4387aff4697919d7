"""Validates a rendered ParallelCluster configuration offline, with ParallelCluster's own code.

    python validate_cluster.py CLUSTER_YAML [--cluster-name NAME]

Run with the Python of the environment that has aws-parallelcluster (scripts/setup.d/95-deploy.sh);
scripts/check-deploy.sh calls it. Two stages, both from the `pcluster` package:

1. ``ClusterSchema(cluster_name=...).load(config)``: what `pcluster create-cluster` does first.
   Rejects unknown or misspelt keys, wrong types, values outside their enumerations, ranges and
   patterns, and the schema's cross-field rules (e.g. InstanceProfile with S3Access).
2. Every validator that the loaded configuration registers, run one by one with AWS credentials
   switched off. Those that pass or fail on the configuration alone are reported as such; those
   that need AWS (they call EC2, IAM, S3, FSx...) end in a credentials error and are listed as not
   run, as are the resources whose validators cannot even be registered without AWS (queues and
   compute resources look up instance types and subnets first). `pcluster create-cluster
   --dryrun true` runs those with credentials.

Exit status 1 when the schema rejects the file or an offline validator reports an error.
"""

import argparse
import asyncio
import logging
import os
import sys
from collections import Counter


def _offline_environment():
    """No credentials, no instance metadata: a validator that needs AWS fails fast, not slowly."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(key, None)
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def _needs_aws(message):
    text = message.lower()
    return "credentials" in text or "could not connect to the endpoint" in text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--cluster-name", default="homolog")
    args = parser.parse_args()
    _offline_environment()

    import yaml  # noqa: F401  (a dependency of aws-parallelcluster)
    from marshmallow import ValidationError
    from pcluster.schemas.cluster_schema import ClusterSchema
    from pcluster.utils import load_yaml_dict
    from pcluster.validators.common import AsyncValidator, FailureLevel, ValidatorContext

    logging.disable(logging.CRITICAL)  # pcluster logs every failed boto3 call
    data = load_yaml_dict(args.config)
    os.environ.setdefault("AWS_DEFAULT_REGION", str(data.get("Region", "us-east-1")))
    try:
        config = ClusterSchema(cluster_name=args.cluster_name).load(data)
    except ValidationError as e:
        print(f"validate_cluster: {args.config}: ParallelCluster's schema rejects it: {e.messages}")
        return 1
    queues = [(q.name, [cr.name for cr in q.compute_resources]) for q in config.scheduling.queues]
    print(f"validate_cluster: schema ok: scheduler {config.scheduling.scheduler}, os {config.image.os}, queues {queues}")

    context = ValidatorContext()
    counts = Counter()
    not_run, errors, warnings, seen = set(), [], [], set()

    def run(validator_class, kwargs):
        validator = validator_class()
        try:
            if issubclass(validator_class, AsyncValidator):
                loop = asyncio.new_event_loop()
                try:
                    return loop.run_until_complete(validator.execute_async(**kwargs))
                finally:
                    loop.close()
            return validator.execute(**kwargs)
        except Exception as e:  # noqa: BLE001  (a validator that calls AWS raises here)
            return [type("Failure", (), {"level": FailureLevel.ERROR, "message": str(e)})()]

    def walk(resource, path):
        if id(resource) in seen:
            return
        seen.add(id(resource))
        for nested in resource._nested_resources():
            name = getattr(nested, "name", None)
            walk(nested, f"{path}/{type(nested).__name__}" + (f"[{name}]" if isinstance(name, str) else ""))
        resource._validators.clear()
        try:
            resource._register_validators(context)
        except Exception as e:  # noqa: BLE001
            if not _needs_aws(str(e)):
                raise
            not_run.add(f"{path} (all its validators: they look up AWS first)")
            counts["resources not validated offline"] += 1
            return
        for validator_class, kwargs in resource._validators:
            failures = run(validator_class, kwargs) or []
            name = validator_class.__name__
            if any(_needs_aws(f.message) for f in failures):
                not_run.add(name)
                counts["need AWS"] += 1
                continue
            bad = [f for f in failures if f.level == FailureLevel.ERROR]
            warnings.extend(f"{name}: {f.message}" for f in failures if f.level == FailureLevel.WARNING)
            if bad:
                counts["failed"] += 1
                errors.extend(f"{path}: {name}: {f.message}" for f in bad)
            else:
                counts["passed"] += 1

    walk(config, "Cluster")
    print(f"validate_cluster: offline validators: {dict(counts)}")
    for w in warnings:
        print(f"validate_cluster: warning: {w}")
    print("validate_cluster: not run here (need AWS): " + ", ".join(sorted(not_run)))
    if errors:
        for e in errors:
            print(f"validate_cluster: error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
