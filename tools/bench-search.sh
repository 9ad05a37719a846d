#!/usr/bin/env bash
# Search benchmark (issue 13): ten representative queries against a node holding 1,000,000 messages, each the
# whole request to `roost run` (release) over loopback — HTTP, auth, parsing, the FTS5 query, ranking, snippets,
# JSON — timed by curl's time_total, `runs` times after 5 warm-ups; p50/p90/p99/max per query. Also the index
# build rate (`roost reindex`, documents per second) and index bytes per message.
#
# The corpus: the public TWCS sample (../shared/data/twcs-sample.csv when present, else the repository's own
# examples/data/twcs-demo.csv), replicated until it holds `messages` messages, each copy with its own tweet ids
# and author ids and shifted by a day, so threads, brands and texts are real and dates spread over years.
# The home is built once with `roost import-twcs` and cached in $TMPDIR/roost-search-bench-<messages>
# (or $ROOST_SEARCH_BENCH_HOME).
#
# Usage: tools/bench-search.sh [runs] [messages]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${1:-100}"
messages="${2:-1000000}"

swift build -c release --product roost >&2
roost="$root/.build/release/roost"
home="${ROOST_SEARCH_BENCH_HOME:-${TMPDIR:-/tmp}/roost-search-bench-$messages}"
sample="$root/../shared/data/twcs-sample.csv"
[[ -f "$sample" ]] || sample="$root/examples/data/twcs-demo.csv"

if [[ ! -f "$home/.complete" ]]; then
    rm -rf "$home"
    csv="$(mktemp "${TMPDIR:-/tmp}/roost-search-bench-XXXXXX.csv")"
    python3 - "$sample" "$csv" "$messages" <<'PY'
import csv, sys, datetime
source, path, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = list(csv.DictReader(open(source, newline="", encoding="utf-8")))
ids = [int(r["tweet_id"]) for r in rows]
span = max(ids) + 1
fmt = "%a %b %d %H:%M:%S +0000 %Y"
with open(path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id", "in_response_to_tweet_id"])
    written, copy = 0, 0
    while written < wanted:
        shift = datetime.timedelta(days=copy)
        def rid(text):
            return ",".join(str(int(float(x)) + copy * span) for x in text.split(",") if x.strip()) if text.strip() else ""
        for r in rows:
            if written >= wanted: break
            author = r["author_id"]
            if author.isdigit(): author = str(int(author) + copy * 1_000_000)
            t = datetime.datetime.strptime(r["created_at"], fmt) + shift
            w.writerow([int(r["tweet_id"]) + copy * span, author, r["inbound"], t.strftime(fmt), r["text"],
                        rid(r["response_tweet_id"]), rid(r["in_response_to_tweet_id"])])
            written += 1
        copy += 1
PY
    "$roost" init --home "$home" --name "Bench Agent" --initials BA >/dev/null
    echo "importing $messages messages into $home ..." >&2
    start=$(date +%s.%N)
    "$roost" import-twcs --home "$home" --file "$csv" >/dev/null
    end=$(date +%s.%N)
    echo "import (with indexing): $(python3 -c "print(f'{$messages/($end-$start):,.0f} messages/s, {($end-$start):.0f} s')")" >&2
    rm -f "$csv"
    touch "$home/.complete"
fi

echo "== index build (roost reindex) =="
start=$(date +%s.%N)
stats="$("$roost" reindex --home "$home" --json 2>/dev/null)"
end=$(date +%s.%N)
python3 - "$stats" "$start" "$end" <<'PY'
import json, sys
s, start, end = json.loads(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
secs = end - start
print(f"documents {s['documents']:,} (messages {s['messages']:,}); rebuilt in {secs:.1f} s = {s['documents']/secs:,.0f} documents/s")
print(f"index {s['indexBytes']/1e6:.1f} MB = {s['indexBytes']/s['messages']:.0f} bytes/message; "
      f"text {s['textBytes']/1e6:.1f} MB = {s['textBytes']/s['messages']:.0f} bytes/message")
PY
echo "database: $(du -h "$home/node.sqlite" | cut -f1)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$home/config.json" "$port" <<'PY'
import json, sys
path, port = sys.argv[1], sys.argv[2]
c = json.load(open(path)); c["api"] = f"127.0.0.1:{port}"; c["listen"] = "127.0.0.1:0"
json.dump(c, open(path, "w"), indent=2)
PY
"$roost" run --home "$home" --log-level warning >/dev/null 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
token="$(sed -n 2p "$home/api.token")"   # never printed
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/login" && break; sleep 0.2; done

queries=(
    'router'
    'refund*'
    '"double charged"'
    'internet -outage'
    'flight delayed status:resolved'
    'from:@AmazonHelp order'
    'to:@AppleSupport battery'
    'after:2017-11-01 help'
    'not working'
    'help'
)
echo "== queries ($runs runs each, release, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)) =="
printf "%-34s %8s %8s %8s %8s %8s\n" query results p50_ms p90_ms p99_ms max_ms
for q in "${queries[@]}"; do
    url="http://127.0.0.1:$port/api/v1/search?limit=20&q=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$q")"
    count=$(curl -s -H "Authorization: Bearer $token" "$url" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))')
    for _ in 1 2 3 4 5; do curl -s -o /dev/null -H "Authorization: Bearer $token" "$url"; done
    for _ in $(seq 1 "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url"; done |
        python3 -c '
import sys
q, n = sys.argv[1], sys.argv[2]
t = sorted(float(x) * 1000 for x in sys.stdin)
pick = lambda p: t[min(len(t) - 1, int(round(p * (len(t) - 1))))]
print(f"{q:<34} {n:>8} {pick(.5):8.1f} {pick(.9):8.1f} {pick(.99):8.1f} {t[-1]:8.1f}")' "$q" "$count"
done
