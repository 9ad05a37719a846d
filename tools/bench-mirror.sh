#!/usr/bin/env bash
# The warehouse mirror at scale (issue 18; README "Warehouse mirror"): `roost mirror --once` (release) on the
# 100,000-ticket desk home of tools/bench-desk.sh (built once and cached, about 1.5 minutes; a copy is used, the
# cache is not changed), into a PostgreSQL cluster of its own (Debian's postgresql, a temporary directory,
# fsync off like the tests' servers):
#   M1  the first pass (a full one): wall time, peak RSS of `roost`, rows in the warehouse;
#   M2  a pass with nothing new;
#   M3  an incremental pass after desk work on --changes tickets made with the CLI (a status and a tag each);
#   M4  every figure of `roost report --json` (all tickets, SLA judged at --until) against examples/mirror/report.sql
#       on the warehouse: they must be equal, or the script exits 1.
# Usage: tools/bench-mirror.sh [--changes N]        (default 200)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
changes=200
while [[ $# -gt 0 ]]; do
    case "$1" in
        --changes) changes="$2"; shift 2 ;;
        *) echo "usage: tools/bench-mirror.sh [--changes N]" >&2; exit 2 ;;
    esac
done

pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [[ -z "$pgbin" || ! -x "$pgbin/pg_ctl" ]]; then
    echo "PostgreSQL's server programs are missing: sudo apt-get install -y postgresql" >&2
    exit 2
fi

(cd "$root" && swift build -c release --product roost >&2)
(cd "$root/Benchmarks" && swift build -c release --product roost-bench >&2)
roost="$root/.build/release/roost"
cache="$(cd "$root/Benchmarks" && .build/release/roost-bench --only desk-home 2>/dev/null | sed -n 's/^DESK_HOME=//p')"
[[ -d "$cache" ]] || { echo "no desk home was built" >&2; exit 1; }

work="$(mktemp -d /tmp/roost-bench-mirror.XXXXXX)"
run_as=()
if [[ "$(id -u)" == 0 ]]; then run_as=(/usr/sbin/runuser -u postgres --); chown postgres "$work"; fi
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cleanup() {
    "${run_as[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
"${run_as[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U roost -E UTF8 --locale=C --no-sync >/dev/null
"${run_as[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -t 60 \
    -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
url="postgres://roost@127.0.0.1:$port/postgres?sslmode=disable"
psql=(psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U roost -d postgres)

home="$work/home"
cp -r "$cache" "$home"
export ROOST_HOME="$home"

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "PostgreSQL: $("$pgbin/postgres" --version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: tools/bench-mirror.sh --changes $changes"
echo "home: $("$roost" status --json | python3 -c 'import json, sys; s = json.load(sys.stdin); print(s.get("ops", "?"), "ops")')"
echo

# One pass, timed by GNU time when present (wall and peak RSS), else by date.
pass() {
    local label="$1" out="$work/pass.json" stats="$work/time.txt"
    local start end
    start=$(date +%s%N)
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f '%M' -o "$stats" "$roost" mirror --postgres "$url" --once --json > "$out"
    else
        "$roost" mirror --postgres "$url" --once --json > "$out"
        echo "?" > "$stats"
    fi
    end=$(date +%s%N)
    python3 - "$label" "$out" "$stats" "$start" "$end" <<'EOF'
import json, sys
label, out, stats, start, end = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
report = json.load(open(out))
rss = open(stats).read().strip().splitlines()[-1]
rss = f"{int(rss) / 1024:.0f} MB" if rss.isdigit() else "not measured (no /usr/bin/time)"
print(f"| {label} | {(end - start) / 1e9:.2f} s | peak RSS {rss} | {json.dumps(report, sort_keys=True)} |")
EOF
}

echo "| pass | wall | roost | what the pass reported |"
echo "| --- | --- | --- | --- |"
pass "M1 first pass (full)"
pass "M2 nothing new"
keys=$("$roost" inbox --all --limit "$changes" --json | python3 -c 'import json, sys; print(" ".join(r["key"] for r in json.load(sys.stdin)))')
for key in $keys; do
    "$roost" mark "$key" pending >/dev/null
    "$roost" tag "$key" mirror-bench >/dev/null
done
pass "M3 after $changes tickets changed (status + tag)"
echo
echo "warehouse rows: $("${psql[@]}" -c "SELECT 'tickets ' || (SELECT count(*) FROM roost_tickets) || ', messages ' || (SELECT count(*) FROM roost_messages) || ', events ' || (SELECT count(*) FROM roost_events) || ', tags ' || (SELECT count(*) FROM roost_ticket_tags)")"
echo "warehouse size: $("${psql[@]}" -c "SELECT pg_size_pretty(pg_database_size('postgres'))")"

# M4: the report on the node and on the warehouse, SLA judged at the same instant.
until_date=2099-01-01
until_ms=$(python3 -c 'import datetime; print(int(datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000))')
"$roost" report --json --until "$until_date" > "$work/node-report.json"
"${psql[@]}" -F $'\t' -v since=NULL -v until="$until_ms" -v queue= -v agent= -v now="$until_ms" \
    -f "$root/examples/mirror/report.sql" > "$work/warehouse-report.tsv"
python3 - "$work/node-report.json" "$work/warehouse-report.tsv" <<'EOF'
import json, re, sys
node = json.load(open(sys.argv[1]))
node = node.get("report", node)
figures, agents = {}, []
for line in open(sys.argv[2]):
    row = line.rstrip("\n").split("\t")
    if row[0] == "agent":
        agents.append({"agent": row[1], "replies": int(row[2]), "resolutions": int(row[3])})
    elif row[0]:
        figures[row[0]] = row[1]
def camel(name): return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name).replace("Dm", "DM")
mismatches = []
for name, text in figures.items():
    key = camel(name)
    if key not in node:
        mismatches.append(f"{name}: not in the node's report")
        continue
    mine = node[key]
    theirs = None if text == "" else float(text)
    if (mine is None) != (theirs is None) or (mine is not None and abs(float(mine) - theirs) > 1e-9 * max(1, abs(theirs))):
        mismatches.append(f"{name}: node {mine}, warehouse {text}")
if agents != node.get("agents", []):
    mismatches.append(f"agents differ: node {len(node.get('agents', []))} rows, warehouse {len(agents)}")
print(f"M4 report: {len(figures)} figures and {len(agents)} agent rows compared, tickets {node.get('tickets')}: "
      + ("all equal" if not mismatches else "MISMATCH\n  " + "\n  ".join(mismatches)))
sys.exit(1 if mismatches else 0)
EOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
