#!/usr/bin/env bash
# Old and new nodes in one team, as real processes on loopback (issue 16): builds `roost` at an older commit in a
# git worktree (by default bc06407, the last commit whose nodes speak only sync protocol version 1), builds this
# checkout's `roost`, and runs tools/compat.py: three nodes (new founder, old agent, new agent) must hold the same
# ops and state hash after each phase, the new founder must have run a version 1 session with the old node, and
# no log may name a protocol violation. Needs the repository's history (a clone, not an archive). Run on demand.
# Usage: tools/compat.sh [--old-rev REV] [--old-version V] [--c-format 2] [--keep]   (a version 2 node: --old-rev 1c10ffe
# --old-version 2; a format 2 writer beside a version 3 node: --old-rev 7060e9d --old-version 3 --c-format 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old_rev=bc06407
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --old-rev) old_rev=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
cd "$root"
old_dir=${ROOST_COMPAT_DIR:-$HOME/.cache/roost-compat}/$(git rev-parse --short "$old_rev")
if [ ! -d "$old_dir" ]; then
    mkdir -p "$(dirname "$old_dir")"
    git worktree add --detach "$old_dir" "$old_rev" >&2
fi
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory"
echo "command: tools/compat.sh --old-rev $old_rev ${args[*]:-}"
(cd "$old_dir" && swift build --product roost >&2)
swift build --product roost >&2
exec python3 tools/compat.py --new "$(swift build --show-bin-path)/roost" \
    --old "$(cd "$old_dir" && swift build --show-bin-path)/roost" --old-rev "$old_rev" \
    --csv "$root/examples/data/twcs-demo.csv" "${args[@]}"
