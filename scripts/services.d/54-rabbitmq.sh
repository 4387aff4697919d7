#!/usr/bin/env bash
# RabbitMQ for the work-queue tests (homolog-queue, `homolog worker`): Debian's rabbitmq-server
# on 127.0.0.1:5672 (override with HOMOLOG_AMQP_PORT), node rabbit@localhost, AMQP and Erlang
# distribution (epmd) on loopback only, started in the background without systemd. Left alone
# when already listening. Tests reach it as HOMOLOG_AMQP_URL
# (default amqp://guest:guest@127.0.0.1:5672/%2f; guest may log in from loopback only).
set -euo pipefail
port="${HOMOLOG_AMQP_PORT:-5672}"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  exit 0
fi
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || {
  echo "services.d/54-rabbitmq: rabbitmq-server not installed (scripts/setup.d/56-rabbitmq.sh installs it)"
  exit 0
}
export PATH="/usr/sbin:$PATH"
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$port"
export RABBITMQ_DIST_PORT="$((port + 20000))"
export ERL_EPMD_ADDRESS=127.0.0.1
# Debian's postinst may have started a node on every interface; this one is loopback only.
nohup rabbitmq-server >/tmp/homolog-rabbitmq.log 2>&1 &
for _ in $(seq 1 150); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "services.d/54-rabbitmq: RabbitMQ on 127.0.0.1:$port"
    exit 0
  fi
  sleep 0.4
done
echo "services.d/54-rabbitmq: RabbitMQ did not start; see /tmp/homolog-rabbitmq.log" >&2
exit 1
