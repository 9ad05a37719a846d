#!/usr/bin/env bash
# A node serving the inbox on a home of about 1,000,000 ops (issue 12's last row), release build:
#   S1  cold start: `roost inbox --limit 50` as a new process on the home (wall time and peak RSS, --runs runs);
#   S2  `roost run` on the home: its RSS once it serves (after the first request), and after serving the inbox
#       (`/api/v1/inbox` and the `/inbox` page, --runs requests each) — VmRSS and the peak VmHWM from /proc.
# The home is the synthetic desk of tools/bench-desk.sh at --desk-tickets tickets (121,000 give ~1,000,000 ops; built
# once, about 2 minutes, and cached); a copy is used, so the cache is not changed.
# Usage: tools/bench-serve.sh [--desk-tickets N] [--runs N]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tickets=121000
runs=20
while [[ $# -gt 0 ]]; do
    case "$1" in
        --desk-tickets) tickets="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        *) echo "usage: tools/bench-serve.sh [--desk-tickets N] [--runs N]" >&2; exit 2 ;;
    esac
done
[[ -x /usr/bin/time ]] || { echo "GNU time is needed: sudo apt-get install -y time" >&2; exit 2; }

(cd "$root" && swift build -c release --product roost >&2)
(cd "$root/Benchmarks" && swift build -c release --product roost-bench >&2)
roost="$root/.build/release/roost"
cache="$(cd "$root/Benchmarks" && .build/release/roost-bench --only desk-home --desk-tickets "$tickets" 2>/dev/null | sed -n 's/^DESK_HOME=//p')"
[[ -d "$cache" ]] || { echo "no desk home was built" >&2; exit 1; }
work="$(mktemp -d /tmp/roost-bench-serve.XXXXXX)"
home="$work/home"
cp -r "$cache" "$home"
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/bench-serve.sh --desk-tickets $tickets --runs $runs"
echo "home: $("$roost" status --home "$home" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["ops"], "ops")'), $tickets tickets, $(du -sh "$home" | cut -f1)"
echo

# S1: each run a new process; the OS file cache is warm after the first (a laptop's usual case).
for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -a -o "$work/cold.txt" "$roost" inbox --home "$home" --limit 50 > /dev/null
done
python3 - "$work/cold.txt" <<'EOF'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
walls = sorted(float(r[0]) for r in rows); rss = sorted(int(r[1]) for r in rows)
print(f"S1 `roost inbox --limit 50`, new process, {len(rows)} runs: wall p50 {walls[len(walls) // 2] * 1000:.0f} ms, "
      f"max {walls[-1] * 1000:.0f} ms; peak RSS p50 {rss[len(rss) // 2] / 1024:.0f} MB, max {rss[-1] / 1024:.0f} MB "
      f"(target: 0.5 s)")
EOF

# S2: the node.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 - "$home/config.json" "$port" <<'EOF'
import json, sys
path, port = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config["api"] = f"127.0.0.1:{port}"
config["listen"] = "127.0.0.1:0"
json.dump(config, open(path, "w"), indent=2, sort_keys=True)
EOF
"$roost" run --home "$home" --log-level warning > "$work/run.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login" || true)" == "401" ]] && break
    sleep 0.1
done
token="$(sed -n 2p "$home/api.token")"   # never printed
rss() { awk '/^VmRSS|^VmHWM/ { printf "%s %.0f MB  ", $1, $2 / 1024 }' "/proc/$pid/status"; }
echo "S2 \`roost run\` listening: $(rss)"
for path in /api/v1/inbox /inbox; do
    for _ in $(seq "$runs"); do
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path" >> "$work/serve-${path//\//_}.txt"
    done
    python3 - "$work/serve-${path//\//_}.txt" "$path" <<'EOF'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
codes = {r[0] for r in rows}; times = sorted(float(r[1]) for r in rows)
print(f"S2 {sys.argv[2]}: {len(rows)} requests, HTTP {','.join(sorted(codes))}, p50 {times[len(times) // 2] * 1000:.1f} ms, "
      f"max {times[-1] * 1000:.1f} ms")
EOF
done
echo "S2 \`roost run\` after serving the inbox: $(rss)(target: 150 MB)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
