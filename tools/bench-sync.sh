#!/usr/bin/env bash
# The sync benchmarks (issue 4) over loopback TCP, release build: initial sync of 1,000,000 ops against
# the receiver's local apply rate, bytes on the wire per op, push latency, claim convergence on 30 nodes.
# Usage: tools/bench-sync.sh [--ops N] [--only initial,latency,mesh,members] [--mesh-nodes N] [--mesh-dials D]
#        [--mesh-claims K] [--relay-ms R] [--hold-relays]   (issue 18: tools/bench-sync.sh --only mesh --mesh-nodes 120 --mesh-dials 3 --mesh-claims 1000)
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
swift build -c release --product roost-bench-sync >&2
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/bench-sync.sh $*"
echo
.build/release/roost-bench-sync "$@"
