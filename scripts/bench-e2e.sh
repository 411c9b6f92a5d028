#!/usr/bin/env bash
# End-to-end throughput of `sluice run pipelines/seed-processor.yaml` against a minimal C
# consume-transform-produce loop over librdkafka (bench/c-baseline/ctp.c), on the same broker,
# topics and records, in the same run.
#
# Usage: scripts/bench-e2e.sh [RECORDS] [ROUNDS]   (defaults: 1000000 records, 1 round)
# Each round starts a fresh embedded broker (`sluice broker`, pinned to BROKER_CPU), fills
# input-topic with RECORDS generated tutorial records (`sluice generate`, spread over all
# partitions), then runs the C baseline and `sluice run --max-records RECORDS`, one after the
# other (odd rounds the baseline first, even rounds sluice first), each pinned to CLIENT_CPU,
# each in a fresh consumer group writing to its own output topics. Throughput counts from the
# first partition assignment to the end of the final commit and leaving the group (both
# programs flush, commit and close); process wall time and CPU time are shown too.
# Environment: SLUICE (default .build/release/sluice), CTP (default .build-bench/ctp),
# SLUICE_RUN (the binary whose `sluice run` is measured; default SLUICE), CLIENT_CPU (0), BROKER_CPU (1), SLUICE_ARGS (extra `sluice run` arguments, e.g. -X linger.ms=5),
# CTP_PROPERTIES (extra librdkafka properties for the baseline, e.g. "linger.ms=5").
set -euo pipefail

RECORDS=${1:-1000000}
ROUNDS=${2:-1}
SLUICE=${SLUICE:-.build/release/sluice}
# The binary measured with `sluice run` (default: SLUICE), e.g. an older build to compare.
SLUICE_RUN=${SLUICE_RUN:-$SLUICE}
CTP=${CTP:-.build-bench/ctp}
CLIENT_CPU=${CLIENT_CPU:-0}
BROKER_CPU=${BROKER_CPU:-1}
PIPELINE=pipelines/seed-processor.yaml
# The mock broker keeps about 5 MiB per partition: about 40,000 tutorial records fit.
PARTITIONS=$(( (RECORDS + 39999) / 40000 ))
(( PARTITIONS < 4 )) && PARTITIONS=4

for tool in "$SLUICE" "$SLUICE_RUN" "$CTP"; do
  [[ -x $tool ]] || { echo "bench-e2e: $tool is missing (run: make bench-e2e)" >&2; exit 2; }
done
for tool in taskset python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-e2e: $tool is missing" >&2; exit 2; }
done
# CPU seconds (user + system) of a command, written to the file after -o.
TIME=(/usr/bin/time -f "%U %S")

work=$(mktemp -d)
broker_pid=""
cleanup() {
  if [[ -n $broker_pid ]]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }

# Seconds between the first "partitions assigned" log line and the "stopped" line of `sluice run`
# (text lines `TIME LEVEL MESSAGE ...` or logfmt `time=TIME level=LEVEL msg=MESSAGE ...`).
sluice_span() {
  python3 -c '
import sys, re, datetime
stamp_re = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z")
message_re = re.compile(r"^(?:\S+Z\s+\w+\s+|.*\bmsg=\"?)([a-z ]+)")
start = end = None
for line in open(sys.argv[1]):
    stamp, message = stamp_re.search(line), message_re.search(line)
    if not stamp or not message:
        continue
    when = datetime.datetime.strptime(stamp.group(1), "%Y-%m-%dT%H:%M:%S.%f")
    if message.group(1).startswith("partitions assigned") and start is None:
        start = when
    if message.group(1).split(" ")[0] == "stopped":
        end = when
if start is None or end is None:
    sys.exit("bench-e2e: no partitions assigned / stopped lines in the sluice log")
print(f"{(end - start).total_seconds():.3f}")
' "$1"
}

cpu_seconds() { python3 -c 'import sys; print(sum(map(float, open(sys.argv[1]).read().split()[-2:])))' "$1"; }

run_ctp() {
  local started; started=$(now)
  "${TIME[@]}" -o "$work/ctp.time" taskset -c "$CLIENT_CPU" "$CTP" "$brokers" "bench-ctp-$round" "$RECORDS" \
    input-topic ctp-output ctp-aggregated ctp-dead-letter >"$work/ctp.out" 2>"$work/ctp.err" \
    || { cat "$work/ctp.out" "$work/ctp.err" >&2; exit 1; }
  ctp_wall=$(python3 -c "print($(now) - $started)")
  ctp_seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$work/ctp.out")
}

run_sluice() {
  local started; started=$(now)
  # shellcheck disable=SC2086
  "${TIME[@]}" -o "$work/sluice.time" taskset -c "$CLIENT_CPU" "$SLUICE_RUN" run "$PIPELINE" --brokers "$brokers" \
    --group "bench-sluice-$round" --max-records "$RECORDS" --status none ${SLUICE_ARGS:-} 2>"$work/sluice.log" \
    || { cat "$work/sluice.log" >&2; exit 1; }
  sluice_wall=$(python3 -c "print($(now) - $started)")
  sluice_seconds=$(sluice_span "$work/sluice.log")
  if ! grep -q "^records in: $RECORDS\$" "$work/sluice.log"; then
    echo "bench-e2e: sluice run did not process $RECORDS records:" >&2; cat "$work/sluice.log" >&2; exit 1
  fi
}

for round in $(seq 1 "$ROUNDS"); do
  topics="input-topic:$PARTITIONS,output-topic:$PARTITIONS,aggregated-topic:1,dead-letter-topic:1"
  topics+=",seed-processor-2-aggregate-changelog:$PARTITIONS"
  topics+=",ctp-output:$PARTITIONS,ctp-aggregated:1,ctp-dead-letter:1"
  rm -f "$work/address"
  taskset -c "$BROKER_CPU" "$SLUICE" broker --topics "$topics" --address-file "$work/address" \
    >/dev/null 2>"$work/broker.log" &
  broker_pid=$!
  for _ in $(seq 1 100); do [[ -s $work/address ]] && break; sleep 0.1; done
  [[ -s $work/address ]] || { echo "bench-e2e: the broker did not start" >&2; cat "$work/broker.log" >&2; exit 1; }
  brokers=$(head -1 "$work/address")

  echo "round $round: $RECORDS records in input-topic ($PARTITIONS partitions), broker $brokers on cpu $BROKER_CPU, clients on cpu $CLIENT_CPU"
  taskset -c "$CLIENT_CPU" "$SLUICE" generate --brokers "$brokers" --records "$RECORDS" --topic input-topic \
    --partitioner random 2>"$work/generate.log" || { cat "$work/generate.log" >&2; exit 1; }

  # Alternate which goes first, so that drift in a busy machine's load hits both alike.
  if (( round % 2 == 1 )); then run_ctp; run_sluice; else run_sluice; run_ctp; fi

  python3 -c '
import sys
n = int(sys.argv[1])
c, cw, ccpu, s, sw, scpu = map(float, sys.argv[2:8])
print(f"  c baseline (ctp):  {n / c:9.0f} records/s  ({c:.2f} s from assignment; process {cw:.2f} s, {ccpu:.2f} s cpu)")
print(f"  sluice run:        {n / s:9.0f} records/s  ({s:.2f} s from assignment; process {sw:.2f} s, {scpu:.2f} s cpu)")
print(f"  ratio sluice/c:    {c / s:9.2f}  (target: at least 0.80; sluice used {scpu / ccpu:.2f}x the cpu time)")
with open(sys.argv[8], "a") as f:
    f.write(f"{c / s}\n")
' "$RECORDS" "$ctp_seconds" "$ctp_wall" "$(cpu_seconds "$work/ctp.time")" \
    "$sluice_seconds" "$sluice_wall" "$(cpu_seconds "$work/sluice.time")" "$work/ratios"
  grep -E "^(records out|errors|outputs not)" "$work/sluice.log" | sed 's/^/  sluice: /'
  sed 's/^/  /' "$work/ctp.out"

  kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true; broker_pid=""
done

if (( ROUNDS > 1 )); then
  python3 -c '
import sys, statistics
ratios = [float(line) for line in open(sys.argv[1])]
print(f"ratio sluice/c over {len(ratios)} rounds: median {statistics.median(ratios):.2f}, "
      f"min {min(ratios):.2f}, max {max(ratios):.2f}")
' "$work/ratios"
fi
