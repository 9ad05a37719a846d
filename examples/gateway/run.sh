#!/usr/bin/env bash
# The X gateway walk-through: three nodes on one machine (a gateway in Lisbon and two city advocates, Ana in
# Lisbon and Kenji in Tokyo) synced over encrypted TCP, against roost-fake-x (a local fake of the X API v2)
# that generates a stream of customer tweets. A mention arrives, is claimed on one node, answered there,
# and posted exactly once by the gateway.
#
# Usage: bash examples/gateway/run.sh            (builds roost and roost-fake-x first)
#        ROOST=... FAKEX=... bash examples/gateway/run.sh
# Leaves the homes in $WORK (default .roost-gateway-demo/) and stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${ROOST:-}" ] || [ -z "${FAKEX:-}" ]; then
    swift build --product roost >/dev/null
    swift build --product roost-fake-x >/dev/null
    BIN=$(swift build --show-bin-path)
    ROOST=${ROOST:-$BIN/roost}
    FAKEX=${FAKEX:-$BIN/roost-fake-x}
fi
WORK=${WORK:-$PWD/.roost-gateway-demo}
XPORT=${XPORT:-8471}
BASE_PORT=${BASE_PORT:-7271}
rm -rf "$WORK" && mkdir -p "$WORK"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
on() { local who=$1; shift; printf '\033[1m%s$ roost %s\033[0m\n' "$who" "$*"; "$ROOST" "$@" --home "$WORK/$who"; }
r() { local who=$1; shift; "$ROOST" "$@" --home "$WORK/$who"; }
# Waits until a command's output matches a pattern (up to 60 s).
wait_for() {
    local pattern=$1; shift
    for _ in $(seq 1 120); do
        if "$@" 2>/dev/null | grep -q -- "$pattern"; then return 0; fi
        sleep 0.5
    done
    echo "timed out waiting for: $pattern" >&2
    return 1
}

say "The fake X API: brand @acmecare, a customer tweet every 20 s"
"$FAKEX" --port "$XPORT" --every 20 --token fake-x-token >"$WORK/fake-x.log" 2>&1 &
PIDS+=($!)
wait_for "fake X API on" cat "$WORK/fake-x.log"
cat "$WORK/fake-x.log"

say "Three nodes: the gateway, Ana (Lisbon), Kenji (Tokyo)"
r gw init --name "Gateway Lisbon" --initials GW >/dev/null
r ana init --name "Ana Lopez" --initials AL >/dev/null
r kenji init --name "Kenji Sato" --initials KS >/dev/null
i=0
for who in gw ana kenji; do
    sed -i "s/\"listen\" *: *\"[^\"]*\"/\"listen\" : \"127.0.0.1:$((BASE_PORT + i))\"/" "$WORK/$who/config.json"
    sed -i "s/\"api\" *: *\"[^\"]*\"/\"api\" : \"127.0.0.1:$((BASE_PORT + 10 + i))\"/" "$WORK/$who/config.json"
    i=$((i + 1))
done
r gw team create --name "Acme Care" >/dev/null
for who in "ana:Ana Lopez" "kenji:Kenji Sato"; do
    INVITE=$(r gw team invite --name "${who#*:}" --json | sed -n 's/.*"invite" : "\(.*\)".*/\1/p')
    r "${who%%:*}" team join "$INVITE"
done

say "The admin connects @acmecare and makes the Lisbon node its gateway"
on gw gateway assign acmecare --x-user-id 1000000001 --member "Gateway Lisbon"
install -m 600 /dev/null "$WORK/x-token" && echo fake-x-token >"$WORK/x-token"
on gw gateway configure --base-url "http://127.0.0.1:$XPORT" --token-file "$WORK/x-token" --poll-seconds 2 --drain-seconds 1

say "Every node runs: the gateway polls X and drains the outbox; all three sync"
for who in gw ana kenji; do
    "$ROOST" run --home "$WORK/$who" --log-level notice >"$WORK/$who.log" 2>&1 &
    PIDS+=($!)
done
wait_for "connected" r ana peers
wait_for "connected" r kenji peers

say "A customer tweets at the brand"
curl -s -X POST "http://127.0.0.1:$XPORT/fake/tweet" -H 'Content-Type: application/json' \
    -d '{"username":"marta_lx","name":"Marta Silva","user_id":"2000000101","text":"@acmecare no signal in Lisbon since 7am, is there an outage?"}' \
    >"$WORK/tweet.json"
TWEET=$(sed -n 's/.*"id":"\([0-9]*\)".*/\1/p' "$WORK/tweet.json")
TICKET="p$TWEET"
echo "tweet $TWEET -> ticket $TICKET"

say "It reaches both advocates through the gateway"
wait_for "$TICKET" r ana inbox
wait_for "$TICKET" r kenji inbox
on ana inbox --limit 5

say "Ana claims it; Kenji cannot"
on ana claim "$TICKET"
wait_for "Ana Lopez" r kenji show "$TICKET"
on kenji claim "$TICKET" || echo "(refused, as it should be: Ana holds it)"

say "Ana answers; the gateway posts it exactly once"
on ana reply "$TICKET" "Sorry Marta! There is a cell outage in Lisbon; engineers expect it fixed by noon."
wait_for "\[posted\]" r ana show "$TICKET"
on ana show "$TICKET"
on gw gateway status

say "What the brand posted on (fake) X"
curl -s "http://127.0.0.1:$XPORT/fake/posted"; echo
POSTS=$(curl -s "http://127.0.0.1:$XPORT/fake/posted" | grep -o "\"in_reply_to\":\"$TWEET\"" | wc -l)
echo "replies to $TWEET on X: $POSTS"
[ "$POSTS" -eq 1 ] || { echo "expected exactly one reply" >&2; exit 1; }
printf '\nDone. Homes, logs and the token file are in %s.\n' "$WORK"
