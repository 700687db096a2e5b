#!/usr/bin/env bash
# One entry point for the benchmark suites; each installs what it needs and
# prints Markdown (also saved under bench/results/).
#
# Usage: bench/run.sh [--quick] [SUITE...]
#   suites: sdk, commit-polish, gateway, streams (default: all of them)
#   --quick: fewer runs (a smoke test of the harness, not numbers to quote;
#            it still overwrites bench/results/, so do not commit those)
# Not yet: LiteLLM's proxy in the gateway suite, the rest of the scaling
# suite (prompt size, deployments, keys) and time to first token.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
quick=0
suites=()
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        sdk|commit-polish|gateway|streams) suites+=("$arg") ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "bench/run.sh: unknown suite '$arg': use sdk, commit-polish, gateway or streams (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#suites[@]} -gt 0 ] || suites=(sdk commit-polish gateway streams)
for suite in "${suites[@]}"; do
    echo "## $suite"
    echo
    case $suite in
        sdk) if [ "$quick" = 1 ]; then bench/sdk.sh 1; else bench/sdk.sh 3; fi ;;
        commit-polish) if [ "$quick" = 1 ]; then bench/commit-polish.sh 5; else bench/commit-polish.sh 30; fi ;;
        gateway) if [ "$quick" = 1 ]; then bench/gateway.sh 1; else bench/gateway.sh 5; fi ;;
        streams) if [ "$quick" = 1 ]; then bench/streams.sh 1 100; else bench/streams.sh 1 100 1000; fi ;;
    esac
    echo
done
