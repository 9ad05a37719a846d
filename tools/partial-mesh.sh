#!/usr/bin/env bash
# Partial replication at issue 18's full size (Protocol/SPEC-partial.md): 40 queues, 120 partial nodes each subscribed
# to 1–3 queues, 6 full hubs, 100,000 tickets imported, claimed, answered and moved, customers erased, subscriptions
# changed (offline too), the hubs partitioned for the middle third. Every node must hold exactly its subscriptions' ops (checked against a model) and
# the partial nodes ≤ 10% of the log's bytes on average. CI runs the same test at 2,000 tickets.
#
# Usage: tools/partial-mesh.sh [--tickets N] [--seeds N] [--from SEED]
#   --tickets N   tickets imported (default 100000)   --seeds N   seeds to run (default 1)
#   --from SEED   first seed (default 1572930)
set -euo pipefail
cd "$(dirname "$0")/.."
tickets=100000 seeds=1 from=1572930
while [ $# -gt 0 ]; do
    case "$1" in
        --tickets) tickets=$2; shift 2 ;;
        --seeds) seeds=$2; shift 2 ;;
        --from) from=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "partial-mesh.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for v in "$tickets" "$seeds" "$from"; do
    case "$v" in ''|*[!0-9]*) echo "partial-mesh.sh: --tickets, --seeds and --from take whole numbers" >&2; exit 2 ;; esac
done
swift build --build-tests -c release -Xswiftc -enable-testing >&2
status=0 log=$(mktemp)
trap 'rm -f "$log"' EXIT
for ((seed = from; seed < from + seeds; seed++)); do
    ROOST_PARTIAL_TICKETS=$tickets ROOST_PARTIAL_SEED=$seed /usr/bin/time -f "peak RSS %M KB, %e s" \
        swift test --skip-build -c release -Xswiftc -enable-testing --filter PartialMeshTests >"$log" 2>&1 || status=1
    grep -E "partial mesh|peak RSS|✘|passed after|failed after" "$log" || true
    if grep -q "✘" "$log" || ! grep -q "partial mesh: [0-9]" "$log"; then
        status=1
        grep -E "Fatal error|error:" "$log" | head -5
    fi
done
exit $status
