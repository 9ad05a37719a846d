#!/usr/bin/env bash
# A demo node with sample data: creates a fresh node home, records a few help-desk changes as
# signed ops, shows the merged state, then re-folds and verifies the whole log.
# Usage: ROOST=path/to/roost DEMO_HOME=/tmp/roost-demo bash examples/demo.sh
set -euo pipefail
ROOST=${ROOST:-roost}
DEMO_HOME=${DEMO_HOME:-$PWD/.roost-demo}
export ROOST_HOME="$DEMO_HOME"
rm -rf "$DEMO_HOME"

step() { printf '\n\033[1m$ roost %s\033[0m\n' "$*"; "$ROOST" "$@"; }

step init --name "Ana Lopez" --initials AL
# Two customer tweets become tickets (grow-only: ingesting one twice is still one ticket).
step op insert ticket/1193 channel=twitter customer=@115712 subject="Internet down since this morning"
step op insert ticket/1194 channel=twitter customer=@115713 subject="Refund for a double charge"
step op insert ticket/1193 channel=twitter customer=@115712 subject="Internet down since this morning"
# Triage: status and priority are last-writer-wins registers, tags an add-wins set.
step op set ticket/1193 status open
step op set ticket/1193 priority urgent
step op tag ticket/1193 outage
step op tag ticket/1194 billing
step op tag ticket/1194 sentiment-negative
step op untag ticket/1194 sentiment-negative
# Claims carry a lease; a claim by someone else who had not seen this one would lose to it.
step op claim ticket/1193 --lease 30
step op show ticket/1193
step op show ticket/1194
step status
step verify
printf '\nThe demo node lives in %s; try: ROOST_HOME=%s %s op show ticket/1193\n' "$DEMO_HOME" "$DEMO_HOME" "$ROOST"
