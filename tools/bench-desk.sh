#!/usr/bin/env bash
# Desk benchmarks (Benchmarks/README.md, "Desk benchmarks"):
#   D1  `importTWCS` of ../shared/data/twcs-sample.csv into a fresh file node home (tweets/s, median of 5),
#   D1' the same on the sample replicated 20x with renamed ids (100,000 rows, steady state),
#   D2  `DeskService.inbox` on a node home with 100,000 tickets (p50/p99 of 200 runs per variant),
#   D3  `roost inbox --home HOME` end to end with the release binary (hyperfine, else a date +%s%N loop).
# The 100,000-ticket home is built once (about 1.5 minutes) and cached in $TMPDIR/roost-desk-bench
# (or $ROOST_DESK_CACHE), keyed by a hash of the store, core and ingest sources.
#
# Usage: tools/bench-desk.sh [roost-bench options], e.g.
#   tools/bench-desk.sh                                  # everything (about 4 minutes after the builds)
#   tools/bench-desk.sh --only inbox                     # only D2 (and D3)
#   tools/bench-desk.sh --only twcs --twcs-runs 9        # only D1
#   ROOST_BENCH_DESK_INDEXES=old tools/bench-desk.sh --only inbox   # what-if: the inbox indexes before 23a83c7
#   ROOST_BENCH_SKIP_CLI=1 tools/bench-desk.sh           # without D3 (no `roost` release build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/Benchmarks"

args=("$@")
only="twcs,twcs-large,inbox"
for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ "${args[$i]}" == "--only" && $((i + 1)) -lt ${#args[@]} ]]; then only="${args[$((i + 1))]}"; fi
done
if [[ " ${args[*]} " != *" --only "* ]]; then args=(--only "$only" "${args[@]}"); fi

swift build -c release --product roost-bench >&2
run_cli=0
if [[ -z "${ROOST_BENCH_SKIP_CLI:-}" && ",$only," == *",inbox,"* ]]; then
    run_cli=1
    (cd "$root" && swift build -c release --product roost >&2)
fi

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/bench-desk.sh $*"
echo
.build/release/roost-bench "${args[@]}"
echo "load average after roost-bench: $(cut -d' ' -f1-3 /proc/loadavg)"

[[ $run_cli == 1 ]] || exit 0

# D3. The CLI end to end: process start, opening the node (config, key, migrations check), the inbox
# query, member names for the HOLDER column and printing the table.
home="$(.build/release/roost-bench --only desk-home 2>/dev/null | sed -n 's/^DESK_HOME=//p')"
[[ -n "$home" ]] || { echo "could not get the desk home from roost-bench" >&2; exit 1; }
roost="$root/.build/release/roost"
whatif=""
case "${ROOST_BENCH_DESK_INDEXES:-}" in old) sqlname=oldIndexSQL ;; *) sqlname="" ;; esac
if [[ -n "$sqlname" ]]; then
    command -v sqlite3 >/dev/null || { echo "the what-if CLI run needs sqlite3" >&2; exit 1; }
    whatif="$(mktemp -d "${TMPDIR:-/tmp}/roost-desk-whatif-XXXXXX")"
    trap 'rm -rf "$whatif"' EXIT
    cp -r "$home/." "$whatif/"
    sqlite3 "$whatif/node.sqlite" "$(sed -n "/$sqlname = \"\"\"/,/\"\"\"\$/p" Sources/RoostDeskBenchSupport/InboxBench.swift | sed '1d;$d')"
    home="$whatif"
    echo
    echo "What-if CLI run: a copy of the home with ROOST_BENCH_DESK_INDEXES=$ROOST_BENCH_DESK_INDEXES, not the shipped schema."
fi
echo
echo "D3. roost inbox end to end on $home (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
variants=("" "--queue billing" "--unassigned" "--breaching" "--all")
if command -v hyperfine >/dev/null; then
    commands=("$roost --help")
    for v in "${variants[@]}"; do commands+=("$roost inbox --home $home${v:+ $v}"); done
    table="$(mktemp "${TMPDIR:-/tmp}/roost-desk-hyperfine-XXXXXX")"
    hyperfine -N --warmup 3 --runs "${ROOST_BENCH_CLI_RUNS:-30}" --style basic --export-markdown "$table" "${commands[@]}" >&2
    echo "(HOME = $home, roost = $roost; times in ms, ${ROOST_BENCH_CLI_RUNS:-30} runs each after 3 warm-ups)"
    sed -e "s|$home|HOME|g" -e "s|$roost|roost|g" "$table"
    rm -f "$table"
else
    for v in "${variants[@]}"; do
        cmd="$roost inbox --home $home${v:+ $v}"
        for _ in 1 2 3; do $cmd >/dev/null; done
        samples=()
        for _ in $(seq "${ROOST_BENCH_CLI_RUNS:-30}"); do
            start=$(date +%s%N); $cmd >/dev/null; end=$(date +%s%N)
            samples+=($(((end - start) / 1000)))
        done
        printf '%s\n' "${samples[@]}" | sort -n | awk -v cmd="$cmd" '{ a[NR] = $1; s += $1 }
            END { printf "%s: median %.1f ms, mean %.1f ms, min %.1f ms, max %.1f ms (%d runs)\n", cmd, a[int((NR + 1) / 2)] / 1000, s / NR / 1000, a[1] / 1000, a[NR] / 1000, NR }'
    done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
