#!/usr/bin/env bash
# One entry point for the benchmark suites. Each suite installs what it needs
# (nginx, wrk, hyperfine from Debian; LiteLLM 1.82.6 with its proxy extras and
# matplotlib in cached venvs), prints Markdown and saves its tables and raw
# CSV under bench/results/. Then the charts are drawn (bench/charts.sh) and,
# after a full run of every suite, BENCHMARKS.md is written from
# bench/BENCHMARKS.in.md with the new tables.
#
# Usage: bench/run.sh [--quick] [SUITE...]
#   suites: gateway, latency, floor, scaling, streams, streaming, sdk, commit-polish (default: all)
#   --quick: short cells, one round, the scaling suite one step short: a few
#            minutes, to check the harness. It overwrites bench/results/ but
#            not BENCHMARKS.md; do not commit its numbers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
all=(gateway latency floor scaling streams streaming sdk commit-polish)
quick=0
suites=()
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        gateway|latency|floor|scaling|streams|streaming|sdk|commit-polish) suites+=("$arg") ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "bench/run.sh: unknown suite '$arg': use one of ${all[*]} (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#suites[@]} -gt 0 ] || suites=("${all[@]}")
commands=()
for suite in "${suites[@]}"; do
    case $suite in
        gateway) if [ "$quick" = 1 ]; then cmd=(bench/gateway.sh 1 1); else cmd=(bench/gateway.sh 5 3); fi ;;
        latency) if [ "$quick" = 1 ]; then cmd=(bench/latency.sh 1 1); else cmd=(bench/latency.sh 5 3); fi ;;
        floor) if [ "$quick" = 1 ]; then cmd=(bench/floor.sh 1 1); else cmd=(bench/floor.sh 5 3); fi ;;
        scaling) if [ "$quick" = 1 ]; then cmd=(bench/scaling.sh 1 1 --quick); else cmd=(bench/scaling.sh 4 3); fi ;;
        streams) if [ "$quick" = 1 ]; then cmd=(bench/streams.sh 1 100); else cmd=(bench/streams.sh 1 100 1000 5000); fi ;;
        streaming) if [ "$quick" = 1 ]; then cmd=(bench/streaming.sh 20 1); else cmd=(bench/streaming.sh 200 3); fi ;;
        sdk) if [ "$quick" = 1 ]; then cmd=(bench/sdk.sh 1); else cmd=(bench/sdk.sh 3); fi ;;
        commit-polish) if [ "$quick" = 1 ]; then cmd=(bench/commit-polish.sh 5); else cmd=(bench/commit-polish.sh 30); fi ;;
    esac
    commands+=("${cmd[*]}")
    echo "## $suite (\`${cmd[*]}\`)"
    echo
    bash "${cmd[@]}"
    echo
done
bash bench/charts.sh
if [ "$quick" = 0 ] && [ ${#suites[@]} = ${#all[@]} ]; then
    python3 bench/py/compose.py bench/BENCHMARKS.in.md bench/results BENCHMARKS.md \
        "$(date -u +%Y-%m-%d)" "$(git rev-parse --short HEAD)" "${commands[@]}"
    echo "wrote BENCHMARKS.md" >&2
fi
