#!/usr/bin/env bash
# Shared set-up for a fresh machine: pnpm, dependencies, and a RabbitMQ answering on 127.0.0.1:5672.
# Sourced by scripts/demo and scripts/test; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm 10"
  npm i -g pnpm@10 >/dev/null
fi

pnpm install --frozen-lockfile

broker_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

ensure_broker() {
  broker_up && return 0
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "setup: installing rabbitmq-server (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  broker_up && return 0
  echo "setup: starting RabbitMQ"
  rabbitmq-server -detached || true
  for _ in $(seq 1 90); do broker_up && return 0; sleep 1; done
  echo "setup: RabbitMQ did not answer on 127.0.0.1:5672 within 90 s" >&2
  return 1
}

if [ "${VNFKIT_NEED_BROKER:-1}" = "1" ]; then ensure_broker; fi
