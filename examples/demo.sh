#!/usr/bin/env bash
# The demo: a fresh node with the repository's own synthetic sample (examples/data/twcs-demo.csv, or
# DEMO_CSV=path for another TWCS-format file) and the X API example payload, triaged by
# examples/rules.toml, then one ticket worked end to end. Every step must succeed.
# Usage: ROOST=path/to/roost DEMO_HOME=/tmp/roost-demo [DEMO_CSV=file.csv] bash examples/demo.sh
set -euo pipefail
# A DEMO_CSV given relative to where the user stands, resolved before moving to the repository root.
if [ -n "${DEMO_CSV:-}" ]; then DEMO_CSV=$(cd "$(dirname "$DEMO_CSV")" && pwd)/$(basename "$DEMO_CSV"); fi
cd "$(dirname "$0")/.."
ROOST=${ROOST:-roost}
DEMO_HOME=${DEMO_HOME:-$PWD/.roost-demo}
export ROOST_HOME="$DEMO_HOME"
SAMPLE=${DEMO_CSV:-examples/data/twcs-demo.csv}
rm -rf "$DEMO_HOME"

step() { printf '\n\033[1m$ roost %s\033[0m\n' "$*"; "$ROOST" "$@"; }

step init --name "Ana Lopez" --initials AL
cp examples/rules.toml "$DEMO_HOME/rules.toml"
if [ ! -f "$SAMPLE" ]; then echo "demo: $SAMPLE not found" >&2; exit 1; fi
step import-twcs --file "$SAMPLE"
step ingest --file examples/x-sample.jsonl --brand-handles AcmeCare
step inbox --limit 10
# Work the first unclaimed ticket of the inbox that is not already at the top tier (it gets escalated).
# (The JSON is read whole first: awk stopping early must not break the pipe of a still-writing roost.)
INBOX_JSON=$("$ROOST" inbox --unassigned --limit 200 --json)
TICKET=$(awk -F'"' '
    $2 == "key" { key = $4 }
    $2 == "tier" && $4 != "escalation" && key != "" && picked == "" { picked = key }
    END { print picked }' <<<"$INBOX_JSON")
if [ -z "$TICKET" ]; then echo "demo: no open ticket below the escalation tier to work" >&2; exit 1; fi
step show "$TICKET"
step claim "$TICKET"
step canned add sorry "Sorry about this! {agent} here: could you DM us your account number so we can look into it?"
step reply "$TICKET" "$(printf 'x%.0s' $(seq 1 300))" || echo "(refused, as it should be: over 280 characters)"
step reply "$TICKET" --canned sorry
step tag "$TICKET" demo
step escalate "$TICKET" --reason "needs a billing specialist"
step resolve "$TICKET" --as taken-to-dm
step show "$TICKET"
step report
step status
step verify
printf '\nThe web app: start the node with `ROOST_HOME=%s %s run`, then open the URL that `roost open` prints:\n' "$DEMO_HOME" "$ROOST"
"$ROOST" open | tail -n 1
printf '\nThe demo node lives in %s. Try: ROOST_HOME=%s %s inbox --breaching\n' "$DEMO_HOME" "$DEMO_HOME" "$ROOST"
