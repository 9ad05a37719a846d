#!/usr/bin/env bash
# Bytes per op of format 1 and format 2 (Protocol/SPEC-format-2.md) on issue 12's workload: what sync sends and what
# the op table stores, each format in its own layout (roost-bench-sync --only format2). Makes the workload with
# tools/bench-peers.py's generator (200,000 updates to 10,000 tickets, seed 20261203 unless told), builds
# roost-bench-sync in release mode. Bytes only: nothing is timed.
# Usage: tools/bench-format2.sh [--updates N] [--tickets N] [--seed S]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
updates=200000 tickets=10000 seed=20261203
while [ $# -gt 0 ]; do
    case "$1" in
        --updates) updates=$2; shift 2 ;;
        --tickets) tickets=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-format2: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for v in "$updates" "$tickets" "$seed"; do
    case "$v" in ''|*[!0-9]*) echo "bench-format2: --updates, --tickets and --seed take whole numbers" >&2; exit 2 ;; esac
done
(cd "$root/Benchmarks" && swift build -c release --product roost-bench-sync >&2)
workload=$(mktemp "${TMPDIR:-/tmp}/roost-format2.XXXXXX")
trap 'rm -f "$workload"' EXIT
python3 - "$root/tools/bench-peers.py" "$workload" "$updates" "$tickets" "$seed" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("bench_peers", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.make_workload(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
PY
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '?')"
echo "command: tools/bench-format2.sh --updates $updates --tickets $tickets --seed $seed"
"$root/Benchmarks/.build/release/roost-bench-sync" --only format2 --workload "$workload"
