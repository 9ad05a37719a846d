#!/usr/bin/env bash
# Gateway failover campaign (issue 16): see tools/failover.py for what is killed and what is checked after every kill.
# Usage: tools/failover.sh [--runs N] [--seed S] [--lease SECONDS] [--keep] [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
config=debug args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --release) config=release; shift ;;
        -h|--help) sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) args+=("$1"); shift ;;
    esac
done
swift build -c "$config" --product roost >&2
swift build -c "$config" --product roost-fake-x >&2
bin="$(swift build -c "$config" --show-bin-path)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/failover.sh ${args[*]:-} ($config build)"
exec python3 tools/failover.py --roost "$bin/roost" --fakex "$bin/roost-fake-x" "${args[@]}"
