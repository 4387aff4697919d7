#!/usr/bin/env bash
# S3-compatible server for the read-input tests: moto in server mode on 127.0.0.1:5055
# (override with HOMOLOG_S3_PORT). Left alone when already listening.
set -euo pipefail
port="${HOMOLOG_S3_PORT:-5055}"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  exit 0
fi
command -v moto_server >/dev/null 2>&1 || { echo "services.d/50-s3-moto: moto_server not installed (scripts/setup.d/50-cluster.sh installs it)"; exit 0; }
nohup moto_server -H 127.0.0.1 -p "$port" >/tmp/homolog-moto.log 2>&1 &
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "services.d/50-s3-moto: moto S3 on 127.0.0.1:$port"; exit 0; }
  sleep 0.2
done
echo "services.d/50-s3-moto: moto did not start; see /tmp/homolog-moto.log" >&2
exit 1
