#!/usr/bin/env bash
# The demo: a fresh node with sample data (the public TWCS sample when ../shared is present, else the
# X API example payload), triaged by examples/rules.toml, then one ticket worked end to end.
# Usage: ROOST=path/to/roost DEMO_HOME=/tmp/roost-demo bash examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOST=${ROOST:-roost}
DEMO_HOME=${DEMO_HOME:-$PWD/.roost-demo}
export ROOST_HOME="$DEMO_HOME"
SAMPLE=../shared/data/twcs-sample.csv
rm -rf "$DEMO_HOME"

step() { printf '\n\033[1m$ roost %s\033[0m\n' "$*"; "$ROOST" "$@"; }

step init --name "Ana Lopez" --initials AL
cp examples/rules.toml "$DEMO_HOME/rules.toml"
if [ -f "$SAMPLE" ]; then
    step import-twcs --file "$SAMPLE"
else
    echo "($SAMPLE not found: using the X API example payload instead)"
    step ingest --file examples/x-sample.jsonl --brand-handles AcmeCare
fi
step inbox --limit 10
# Work the ticket at the top of the inbox.
TICKET=$("$ROOST" inbox --limit 1 --json | grep -m1 '"key"' | sed 's/.*"key" : "\(.*\)".*/\1/')
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
