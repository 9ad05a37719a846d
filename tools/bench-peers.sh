#!/usr/bin/env bash
# Roost side by side with pycrdt (Yrs), loro and plain sqlite3 on one workload, in one run (issue 12, point 3).
# Installs pycrdt and loro with pip into a virtual environment (kept in $ROOST_PEERS_VENV, default
# ~/.cache/roost-bench-peers), builds roost-bench in release mode and runs tools/bench-peers.py, which prints
# updates/s, database bytes per update and peak RSS per engine and phase, and Roost's ratio to each.
# Usage: tools/bench-peers.sh [--updates N] [--tickets N] [--seed S]   (default 200,000 updates to 10,000 tickets)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ROOST_PEERS_VENV:-$HOME/.cache/roost-bench-peers}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2 || { echo "bench-peers: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "pycrdt==0.14.*" "loro==1.*" >&2
(cd "$root/Benchmarks" && swift build -c release --product roost-bench >&2)
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/bench-peers.sh $*"
"$venv/bin/python" "$root/tools/bench-peers.py" --roost-bench "$root/Benchmarks/.build/release/roost-bench" "$@"
