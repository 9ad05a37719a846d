#!/usr/bin/env bash
# Soak (issue 16): in-process nodes with file stores on real loopback sockets (one process: 50 processes of the
# full node would each carry their own runtime; the sessions, frames and stores are the real ones), writing ops
# for a long time. Reports RSS every 10 s (flat within ±10% after warm-up), errors, and the propagation lag of one
# probe op per second (p50/p99). Release build (Benchmarks/, product roost-bench-sync).
# Usage: tools/soak.sh [--minutes M] [--nodes N] [--rate OPS_PER_S]   (defaults 60, 50, 1000)
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
args=(--only soak)
given="$*"
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) args+=(--soak-minutes "$2"); shift 2 ;;
        --nodes) args+=(--soak-nodes "$2"); shift 2 ;;
        --rate) args+=(--soak-rate "$2"); shift 2 ;;
        -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
swift build -c release --product roost-bench-sync >&2
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/soak.sh $given"
.build/release/roost-bench-sync "${args[@]}"
