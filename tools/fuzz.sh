#!/usr/bin/env bash
# libFuzzer campaign over Roost's decoders and parsers (issue 16): op header/body/seal/value, sync messages,
# frames and their reassembly, handshake messages, offline bundles, the TWCS CSV reader, X API JSONL, search
# queries, the rules file and the desk policy file. Targets live in Fuzz/ (a package of its own, built with --sanitize=fuzzer); seed corpora come from
# Protocol/vectors and examples/ (tools/fuzz-seeds.py). A crash, trap or hang leaves its input in
# OUT/crashes/ and fails the run; replay one with `Fuzz/.build-fuzz/release/FuzzX OUT/crashes/FILE`.
#
# Usage: tools/fuzz.sh [--seconds N] [--runs N --seed S] [--targets core,sync,text] [--out DIR] [--asan]
#   --seconds N   time per target (default 60)
#   --runs N      stop each target after N inputs; with --seed S the run is reproducible (what CI runs:
#                 the same inputs every time, so a red CI is a real regression, not a new finding's luck)
#   --asan        also AddressSanitizer (and LeakSanitizer for leaks): slower, separate build folder
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60 runs=-1 seed=0 targets=core,sync,text out=.fuzz sanitize=(--sanitize=fuzzer) scratch=Fuzz/.build-fuzz
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --targets) targets=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        # One combined flag: swiftc takes the last -sanitize= it is given, so SwiftPM's `--sanitize=fuzzer
        # --sanitize=address` built ASan without the fuzzer's coverage (libFuzzer then ran blind: "no interesting
        # inputs", corpus 0, found on 2026-12-04). The last -sanitize= on the command line wins.
        --asan) sanitize+=(-Xswiftc -sanitize=fuzzer,address); scratch=Fuzz/.build-fuzz-asan; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$seconds" "$seed" "${runs#-}"; do
    case "$value" in ''|*[!0-9]*) echo "fuzz.sh: --seconds, --runs and --seed take whole numbers" >&2; exit 2 ;; esac
done

echo "fuzz: building the targets (release, ${sanitize[*]})" >&2
swift build --package-path Fuzz --scratch-path "$scratch" -c release "${sanitize[@]}" >&2
bin="$scratch/release"
mkdir -p "$out/crashes"
python3 tools/fuzz-seeds.py "$out/seeds" >&2
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory"
echo "command: tools/fuzz.sh --seconds $seconds --runs $runs --seed $seed --targets $targets"
total=0 failed=0
for target in ${targets//,/ }; do
    case "$target" in core) exe=FuzzCore ;; sync) exe=FuzzSync ;; text) exe=FuzzText ;;
        *) echo "fuzz.sh: unknown target $target (core, sync, text)" >&2; exit 2 ;; esac
    mkdir -p "$out/corpus/$target"
    log="$out/$target.log"
    set +e
    started=$SECONDS
    # Swift's own backtracer would take the crash signal from libFuzzer, which then writes no crash input.
    SWIFT_BACKTRACE=enable=no "$bin/$exe" "$out/corpus/$target" "$out/seeds/$target" -max_total_time="$seconds" -runs="$runs" -seed="$seed" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/crashes/$target-" >"$log" 2>&1
    status=$?
    set -e
    executed=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log" | tail -1)
    units=$(ls "$out/corpus/$target" | wc -l)
    # A build without coverage runs blind and would pass: treat it as a failure.
    if grep -q "Is the code instrumented for coverage" "$log"; then
        echo "$target: libFuzzer saw no coverage (is the build instrumented?); log $log" >&2
        status=1
    fi
    echo "$target: ${executed:-0} executions in $((SECONDS - started)) s, corpus $units inputs, exit $status"
    total=$((total + ${executed:-0}))
    if [ "$status" -ne 0 ]; then
        failed=1
        grep -m5 -E "Fatal error|ERROR|deadly signal|timeout|SUMMARY" "$log" >&2 || true
        echo "$target: FAILED; input(s) in $out/crashes/, log $log" >&2
    fi
done
echo "total: $total executions, $(ls "$out/crashes" | wc -l) crash/hang inputs"
exit $failed
