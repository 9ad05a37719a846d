#!/usr/bin/env bash
# Web app benchmark: how long `roost run` (release build) takes to serve the first inbox page, and the
# dashboard (default 7-day window, 30 days, all time: issue 17 asks <= 50 ms), of a node holding 100,000 open tickets: the whole request over loopback (HTTP, auth, the inbox query, the queue counts,
# rendering the HTML), measured by curl's time_total, 50 runs after 5 warm-ups, per view.
# The 100,000-ticket home is built once with `roost import-twcs` from a generated TWCS CSV (100,000 customer
# tweets, each its own thread) and cached in $TMPDIR/roost-web-bench-100000 (or $ROOST_WEB_BENCH_HOME).
#
# Usage: tools/bench-web.sh [runs]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${1:-50}"
tickets=100000

swift build -c release --product roost >&2
roost="$root/.build/release/roost"
home="${ROOST_WEB_BENCH_HOME:-${TMPDIR:-/tmp}/roost-web-bench-$tickets}"

if [[ ! -f "$home/.complete" ]]; then
    rm -rf "$home"
    csv="$(mktemp "${TMPDIR:-/tmp}/roost-web-bench-XXXXXX.csv")"
    python3 - "$csv" "$tickets" <<'PY'
import csv, sys, datetime
path, count = sys.argv[1], int(sys.argv[2])
start = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id", "in_response_to_tweet_id"])
    for i in range(1, count + 1):
        t = start + datetime.timedelta(seconds=17 * i)
        w.writerow([i, 100000 + i % 20000, "True", t.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                    f"@AcmeCare my order {i} has not arrived, can you help?", "", ""])
PY
    "$roost" init --home "$home" --name "Bench Agent" --initials BA >/dev/null
    echo "importing $tickets tweets into $home ..." >&2
    "$roost" import-twcs --home "$home" --file "$csv" >/dev/null
    rm -f "$csv"
    touch "$home/.complete"
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 - "$home/config.json" "$port" <<'PY'
import json, sys
path, port = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config["api"] = f"127.0.0.1:{port}"
json.dump(config, open(path, "w"), indent=2, sort_keys=True)
PY
"$roost" run --home "$home" --log-level warning &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login" || true)" == "401" ]] && break
    sleep 0.1
done
token="$(sed -n 2p "$home/api.token")"   # never printed

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "node: $("$roost" status --home "$home" --json | grep -m1 '"ops"' | tr -d ' ,') ($tickets open tickets); $runs runs per URL after 5 warm-ups"
echo
printf '%-32s %8s %8s %8s %8s %10s\n' "URL" "p50 ms" "p90 ms" "max ms" "rows" "bytes"
for path in "/inbox" "/inbox?view=unassigned" "/inbox?view=breaching" "/api/v1/inbox" "/tickets/p1" \
            "/api/v1/dashboard" "/api/v1/dashboard?window=30d" "/api/v1/dashboard?window=all" "/dashboard?window=all"; do
    url="http://127.0.0.1:$port$path"
    for _ in 1 2 3 4 5; do curl -s -o /dev/null -H "Authorization: Bearer $token" "$url"; done
    times="$(for _ in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url"; done | sort -n)"
    body="$(curl -s -H "Authorization: Bearer $token" "$url")"
    rows="$( (grep -o 'class="row"' <<<"$body" || true) | wc -l)"
    [[ "$path" == /api/* ]] && rows="$( (grep -o '"ticket":{' <<<"$body" || true) | wc -l)"
    p50="$(sed -n "$(((runs + 1) / 2))p" <<<"$times")"
    p90="$(sed -n "$(((runs * 9 + 9) / 10))p" <<<"$times")"
    max="$(tail -n 1 <<<"$times")"
    ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
    printf '%-32s %8s %8s %8s %8s %10s\n' "$path" "$(ms "$p50")" "$(ms "$p90")" "$(ms "$max")" "$rows" "${#body}"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
