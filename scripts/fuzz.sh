#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]        # default 60 seconds per target, one target at a time
#
# Environment:
#   FUZZ_TARGETS   targets to run (default: "pipeline expression recording")
#   SANITIZE       swiftc sanitizers (default: fuzzer,address; "fuzzer" alone runs 2 to 5 times faster)
#   FUZZ_JOBS      parallel libFuzzer workers per target (default 1)
#   SWIFT          the swift driver (default: swift)
#
# Seeds come from Fuzz/Corpus/<target>/ and from the repository (pipelines, fixtures, recordings).
# What libFuzzer learns is kept in Fuzz/Work/<target>/corpus between runs; crashers, timeouts and
# out-of-memory inputs land in Fuzz/Findings/<target>/ (both git-ignored). Replay one with
# `Fuzz/.build/fuzzer-address/release/Fuzz<Target> <file>`. Exits 1 when any target found something.
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/Fuzz"
targets="${FUZZ_TARGETS:-pipeline expression recording}"
sanitize="${SANITIZE:-fuzzer,address}"
jobs="${FUZZ_JOBS:-1}"
swift="${SWIFT:-swift}"

# One build directory per sanitizer set, so switching between them does not rebuild everything.
build=(--package-path "$fuzz" --scratch-path "$fuzz/.build/${sanitize//,/-}" -c release -Xswiftc "-sanitize=$sanitize")
echo "building fuzz targets (-sanitize=$sanitize)..."
"$swift" build "${build[@]}"
bin="$("$swift" build "${build[@]}" --show-bin-path)"

# Swift's runtime keeps caches for the life of the process: not leaks worth reporting per input.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"
# Swift's crash backtracer would race libFuzzer's own handler (and trips ASan); leave crashes to libFuzzer.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"

# seeds TARGET DIR: fills DIR with the seed inputs of TARGET.
seeds() {
    local target="$1" dir="$2"
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$fuzz/Corpus/$target/"* "$dir/" 2>/dev/null || true
    local pattern
    case "$target" in
        pipeline) pattern='*.yaml' ;;
        recording) pattern='*.jsonl' ;;
        *) return 0 ;;
    esac
    local n=0 file
    while IFS= read -r -d '' file; do
        n=$((n + 1))
        cp "$file" "$dir/repo-$n-$(basename "$file")"
    done < <(find "$root/pipelines" "$root/testdata" "$root/Tests/SluiceCoreTests/Fixtures" \
                  -type f -name "$pattern" -size -64k -print0 2>/dev/null)
}

# stat_sum NAME WORKDIR: the libFuzzer final statistic NAME summed over the run's logs (one per job).
stat_sum() {
    { cat "$2/last.log" "$2"/fuzz-*.log 2>/dev/null || true; } | awk -v key="stat::$1:" '$1 == key {s += $2} END {print s + 0}'
}

status=0
summary=""
for target in $targets; do
    case "$target" in
        pipeline) exe=FuzzPipeline; max_len=8192 ;;
        expression) exe=FuzzExpression; max_len=2048 ;;
        recording) exe=FuzzRecording; max_len=8192 ;;
        *) echo "unknown fuzz target '$target'" >&2; exit 2 ;;
    esac
    work="$fuzz/Work/$target"
    findings="$fuzz/Findings/$target"
    mkdir -p "$work/corpus" "$findings"
    seeds "$target" "$work/seeds"
    log="$work/last.log"
    echo "fuzzing $target for ${seconds}s (log: ${log#"$root"/})..."
    parallel=()
    # With several jobs libFuzzer writes fuzz-<n>.log into the current directory: run inside $work.
    [ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
    rm -f "$work"/fuzz-*.log
    result=ok
    if ! (cd "$work" && "$bin/$exe" "$work/corpus" "$work/seeds" \
            -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
            -timeout=5 -dict="$fuzz/Dictionaries/$target.dict" -artifact_prefix="$findings/" \
            -print_final_stats=1 "${parallel[@]}" >"$log" 2>&1); then
        result="FOUND SOMETHING: see $log and ${findings#"$root"/}/"
        status=1
    fi
    runs="$(stat_sum number_of_executed_units "$work")"
    rate="$(stat_sum average_exec_per_sec "$work")"
    corpus="$(find "$work/corpus" -type f | wc -l)"
    summary+="$(printf '%-11s %5ss %10s runs %7s exec/s %6s corpus  %s' "$target" "$seconds" "$runs" "$rate" "$corpus" "$result")"$'\n'
done

echo
printf '%s' "$summary"
exit "$status"
