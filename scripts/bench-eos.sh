#!/usr/bin/env bash
# Exactly-once against at-least-once throughput of `sluice run` on the same noida-db broker
# and records, in the same run (`sluice bench-eos`; noida-db because the embedded mock cluster
# cannot do transactions).
#
# Usage: scripts/bench-eos.sh [RECORDS] [ROUNDS]   (defaults: 1000000 records, 3 rounds; fewer finish too fast to measure)
# Environment: SLUICE (default .build/release/sluice), NOIDA (the noida-db binary; default: the
# one pip installed in .venv), PARTITIONS (input partitions, default 4), BENCH_ARGS (more
# `sluice bench-eos` options, e.g. --eos-commit-ms 1000).
set -euo pipefail

RECORDS=${1:-1000000}
ROUNDS=${2:-3}
SLUICE=${SLUICE:-.build/release/sluice}
PARTITIONS=${PARTITIONS:-4}
# The pip package's entry point is a Python wrapper: run the real binary so that stopping it works.
NOIDA=${NOIDA:-$(ls .venv/lib/python3*/site-packages/noida_db/noida-db 2>/dev/null | head -1)}

[[ -x $SLUICE ]] || { echo "bench-eos: $SLUICE is missing (run: make release)" >&2; exit 2; }
[[ -n $NOIDA && -x $NOIDA ]] || { echo "bench-eos: noida-db is missing (run: make test-deps)" >&2; exit 2; }

work=$(mktemp -d)
noida_pid=""
cleanup() {
  if [[ -n $noida_pid ]]; then kill "$noida_pid" 2>/dev/null || true; wait "$noida_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$NOIDA" start --only kafka --kafka-port "$port" --data-dir "$work/data" >/dev/null 2>"$work/noida.log" &
noida_pid=$!
for _ in $(seq 1 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.1
done

echo "noida-db on 127.0.0.1:$port; $RECORDS records, $ROUNDS rounds, $PARTITIONS input partitions"
"$SLUICE" bench-eos --brokers "127.0.0.1:$port" --records "$RECORDS" --rounds "$ROUNDS" --partitions "$PARTITIONS" ${BENCH_ARGS:-}
