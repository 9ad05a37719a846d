#!/usr/bin/env bash
# Builds and runs the Roost store benchmarks as one plain table (Benchmarks/Sources/roost-bench).
# The package-benchmark suite is the other way to run them:
#   cd Benchmarks && swift package --disable-sandbox benchmark
# The desk benchmarks (TWCS import, inbox on 100,000 tickets, `roost inbox`) are tools/bench-desk.sh.
#
# Usage: tools/bench.sh [roost-bench options], e.g.
#   tools/bench.sh                                   # all four benchmarks, full size (~1.5 min after the build)
#   tools/bench.sh --only append,latency,apply       # skip the 1M-op re-fold
#   tools/bench.sh --only sql-profile                # SQLite's own time per statement (profiling aid)
#   tools/bench.sh --only growth                     # issue 12 growth curve: 10k, 100k, 1M ops (~2 min)
#   ROOST_BENCH_CACHE_MIB=64 tools/bench.sh --only apply   # what-if: bigger SQLite page cache
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
swift build -c release --product roost-bench >&2
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/bench.sh $*"
echo
.build/release/roost-bench "$@"
