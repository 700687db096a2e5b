#!/usr/bin/env bash
# Draws the PNG charts in bench/results/ from the suites' CSVs, with
# matplotlib (pinned by bench/charts-requirements.txt) in a cached venv,
# ${LMRELAY_CACHE:-~/.cache/lmrelay}/bench-charts-venv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=${LMRELAY_CACHE:-$HOME/.cache/lmrelay}/bench-charts-venv
recipe=$(cksum < bench/charts-requirements.txt | cut -d' ' -f1)
if [ "$(cat "$venv/.lmrelay-ok" 2>/dev/null)" != "$recipe" ]; then
    printf '==> %s\n' "installing matplotlib (pinned) into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/charts-requirements.txt >&2
    printf '%s' "$recipe" > "$venv/.lmrelay-ok"
fi
"$venv/bin/python" bench/py/charts.py bench/results
