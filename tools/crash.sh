#!/usr/bin/env bash
# kill -9 campaign (issue 16): see tools/crash.py for what is killed and what is checked after every kill.
# Usage: tools/crash.sh [--cycles N] [--seed S] [--keep] [--release]
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
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/crash.sh ${args[*]:-} ($config build)"
exec python3 tools/crash.py --roost "$(swift build -c "$config" --show-bin-path)/roost" "${args[@]}"
