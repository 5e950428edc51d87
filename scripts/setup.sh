#!/usr/bin/env bash
# Shared set-up for a fresh machine: pnpm, dependencies, and a RabbitMQ answering on 127.0.0.1:5672
# (unless AMQP_URL points elsewhere). Sourced by scripts/demo and scripts/test; safe to run again.
# VNFKIT_BROKER_OPTIONAL=1 turns a broker that cannot be started into a warning (the demo then runs
# on the in-process transport).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm 10"
  npm i -g pnpm@10 >/dev/null
fi

pnpm install --frozen-lockfile

# scripts/cluster (the cluster tests) reads rabbitmqctl's JSON with jq.
if ! command -v jq >/dev/null 2>&1; then
  echo "setup: installing jq (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null || echo "setup: WARNING: jq missing; scripts/cluster needs it" >&2
fi

broker_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

ensure_broker() {
  broker_up && return 0
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "setup: installing rabbitmq-server (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null || return 1
  fi
  broker_up && return 0
  echo "setup: starting RabbitMQ"
  rabbitmq-server -detached || true
  for _ in $(seq 1 90); do broker_up && return 0; sleep 1; done
  echo "setup: RabbitMQ did not answer on 127.0.0.1:5672 within 90 s" >&2
  return 1
}

if [ -z "${AMQP_URL:-}" ]; then
  if ! ensure_broker; then
    if [ "${VNFKIT_BROKER_OPTIONAL:-0}" = "1" ]; then
      echo "setup: WARNING: no RabbitMQ on 127.0.0.1:5672; continuing without a broker" >&2
    else
      exit 1
    fi
  fi
fi
