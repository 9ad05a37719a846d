#!/usr/bin/env bash
# A three-node team on one machine, built with the CLI, then inspected with roost-inspect: the walk-through
# behind README.md's "Inspecting a team". Ben and Cy claim the same ticket while Cy is offline; then Cy goes
# offline again and misses Ana's and Ben's later work.
# Usage: ROOST=.build/debug/roost INSPECT=.build/debug/roost-inspect TEAM_DIR=/tmp/roost-team bash examples/inspect-team.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOST=${ROOST:-roost}
INSPECT=${INSPECT:-roost-inspect}
D=${TEAM_DIR:-/tmp/roost-team}
PORT=${PORT:-7271}  # Ana PORT, Ben PORT+1, Cy PORT+2, Ana's admin API PORT+8
rm -rf "$D"
mkdir -p "$D"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

node() { # NAME INITIALS OFFSET: a node listening on 127.0.0.1:PORT+OFFSET
    "$ROOST" init --home "$D/$1" --name "$2" --initials "$3" >/dev/null
    python3 - "$D/$1/config.json" "127.0.0.1:$((PORT + $4))" "${5:-}" <<'PY'
import json, sys
path, listen, admin = sys.argv[1], sys.argv[2], sys.argv[3]
config = json.load(open(path))
config["listen"] = listen
config["api"] = "127.0.0.1:" + str(int(listen.rsplit(":", 1)[1]) + 20)  # each node's web app on its own port
if admin:
    config["admin"] = admin
json.dump(config, open(path, "w"), indent=2, sort_keys=True)
PY
}
run() { "$ROOST" run --home "$D/$1" --log-level error & PIDS+=($!); eval "PID_$1=$!"; }
stop() { local var="PID_$1"; kill "${!var}"; wait "${!var}" 2>/dev/null || true; }
show() { printf '\n$ roost-inspect %s\n' "$*"; "$INSPECT" "$@" || printf '(exit %d)\n' $?; }

node ana "Ana Lopez" AL 0 "127.0.0.1:$((PORT + 8))"
node ben "Ben Okafor" BO 1
node cy "Cy Park" CP 2
"$ROOST" team create --home "$D/ana" --name "Acme Care" >/dev/null
for member in "ben:Ben Okafor" "cy:Cy Park"; do
    invite=$("$ROOST" team invite --home "$D/ana" --name "${member#*:}" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["invite"])')
    "$ROOST" team join --home "$D/${member%%:*}" "$invite" >/dev/null
done
"$ROOST" ingest --home "$D/ana" --file examples/x-sample.jsonl --brand-handles AcmeCare >/dev/null
TICKET=$("$ROOST" inbox --home "$D/ana" --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["key"])')
run ana; run ben; run cy
sleep 3
# Cy goes offline; Ben and Cy both claim the ticket (neither sees the other's claim).
stop cy
"$ROOST" claim --home "$D/ben" "$TICKET" >/dev/null
"$ROOST" claim --home "$D/cy" "$TICKET" >/dev/null
"$ROOST" tag --home "$D/cy" "$TICKET" refund >/dev/null
run cy
sleep 3
# Cy goes offline again and misses Ben's and Ana's next changes.
stop cy
"$ROOST" priority --home "$D/ben" "$TICKET" urgent >/dev/null
"$ROOST" untag --home "$D/ana" "$TICKET" refund >/dev/null
sleep 2
echo "ticket: $TICKET"
show status --home "$D/ana"
show peers --home "$D/ana"
show vectors --home "$D/ana"
show diff "$D/ana" "$D/cy"
show explain "$TICKET" --home "$D/ana"
show conflicts --home "$D/ana"
show log --home "$D/ana" --kind claim
show events --home "$D/ana"
show verify --home "$D/cy"
printf '\n$ curl -s -H "Authorization: Bearer $(cat ana/admin.token)" http://127.0.0.1:%d/metrics | grep -v "^#"\n' $((PORT + 8))
python3 - $((PORT + 8)) "$D/ana/admin.token" <<'PY'
import sys, urllib.request
token = open(sys.argv[2]).read().strip()
request = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/metrics", headers={"Authorization": f"Bearer {token}"})
text = urllib.request.urlopen(request).read().decode()
print("\n".join(line for line in text.splitlines() if not line.startswith("#")))
PY
