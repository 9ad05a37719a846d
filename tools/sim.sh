#!/usr/bin/env bash
# Simulation campaign (issue 16): the deterministic 20-node simulation of Tests/RoostSyncTests/SimulationWorld.swift
# (message loss, lost acks so batches arrive twice, reordering across connections, failed applies, partitions,
# restarts, concurrent claims) over many seeds, in batches. Every seed must converge (same vectors and state
# hashes on every node, no lost op, one claim holder equal to an independent resolver, verify passes).
# A failing seed prints the one command that replays it.
#
# Usage: tools/sim.sh [--seeds N] [--from SEED] [--batch B] [--skew-ms S] [--release]
#   --seeds N     number of seeds (default 1000)       --from SEED   first seed (default 0x5119 = 20761)
#   --batch B     seeds per test process (default 500) --skew-ms S   node clock skew in -S..S ms (default 149999:
#                 two nodes differ by up to 5 minutes, inside the drift bound)
#   --release     build and run the tests optimized (-c release -enable-testing): several times faster
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=1000 from=20761 batch=500 skew=149999 config=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seeds) seeds=$2; shift 2 ;;
        --from) from=$2; shift 2 ;;
        --batch) batch=$2; shift 2 ;;
        --skew-ms) skew=$2; shift 2 ;;
        --release) config=(-c release -Xswiftc -enable-testing); shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "sim.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for v in "$seeds" "$from" "$batch" "$skew"; do
    case "$v" in ''|*[!0-9]*) echo "sim.sh: --seeds, --from, --batch and --skew-ms take whole numbers" >&2; exit 2 ;; esac
done
swift build --build-tests "${config[@]}" >&2
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/sim.sh --seeds $seeds --from $from --batch $batch --skew-ms $skew ${config[*]:+--release}"
log=$(mktemp "${TMPDIR:-/tmp}/roost-sim.XXXXXX")
trap 'rm -f "$log"' EXIT
start=$(date +%s) done=0 ops=0 conflicts=0 drops=0 partitions=0 restarts=0
while [ "$done" -lt "$seeds" ]; do
    n=$(( seeds - done < batch ? seeds - done : batch ))
    first=$(( from + done ))
    set +e
    ROOST_SIM_SEED=$first ROOST_SIM_SEEDS=$n ROOST_SIM_SKEW_MS=$skew \
        swift test --skip-build "${config[@]}" --filter SimulationTests >"$log" 2>&1
    status=$?
    set -e
    if [ "$status" -ne 0 ] || ! grep -q "SimulationTests chunk" "$log"; then
        grep -E "seed [0-9]+ \(replay|error|failed" "$log" | head -20 >&2 || tail -30 "$log" >&2
        replay=$(grep -oE "seed [0-9]+ \(replay" "$log" | head -1 | grep -oE "[0-9]+" || true)
        echo "sim: FAILED in seeds $first...$(( first + n - 1 ))" >&2
        [ -n "$replay" ] && echo "sim: replay: tools/sim.sh --from $replay --seeds 1 --skew-ms $skew" >&2
        exit 1
    fi
    for field in "ops made" "concurrent claims lost" "drops" "partitions" "restarts"; do
        sum=$(grep -oE "[0-9]+ $field" "$log" | awk '{s += $1} END {print s + 0}')
        case "$field" in
            "ops made") ops=$((ops + sum)) ;; "concurrent claims lost") conflicts=$((conflicts + sum)) ;;
            drops) drops=$((drops + sum)) ;; partitions) partitions=$((partitions + sum)) ;; restarts) restarts=$((restarts + sum)) ;;
        esac
    done
    done=$(( done + n ))
    echo "sim: $done/$seeds seeds passed ($(( $(date +%s) - start )) s)"
done
echo "total: $seeds seeds from $from, 0 failures, $ops ops, $conflicts lost concurrent claims, $drops drops, $partitions partitions, $restarts restarts, $(( $(date +%s) - start )) s"
