#!/usr/bin/env bash
# Benchmark suite 3 (SDK): time from process start to a mocked completion
# (the lmrelay CLI vs LiteLLM's completion(mock_response=...) vs a bare
# `import litellm`), and 1,000 concurrent completions to an instant upstream
# (tools/mock-provider) through the Rust SDK, litellm.acompletion and the
# official openai AsyncOpenAI client, side by side in one run.
#
# Usage: bench/sdk.sh [ROUNDS]   (default 3 rounds of the load test; medians reported)
# Output: Markdown on stdout, also saved to bench/results/sdk.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-3}
step() { printf '==> %s\n' "$*" >&2; }
if ! command -v hyperfine >/dev/null; then
    step "installing hyperfine (Debian package)"
    apt-get install -y -qq hyperfine >/dev/null || { echo "bench: install hyperfine" >&2; exit 1; }
fi

step "building release binaries"
cargo build --release --locked -q -p lmrelay-cli -p mock-provider -p sdk-load
bin=$PWD/target/release
step "LiteLLM (pinned) and openai for the comparison"
py=$(scripts/litellm-env.sh | tail -n 1)
export LITELLM_LOCAL_MODEL_COST_MAP=True
work=$(mktemp -d)
cleanup() { [ -n "${mock_pid:-}" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

step "startup to a mocked completion (hyperfine)"
hyperfine --style basic --time-unit millisecond --warmup 3 --export-markdown "$work/startup.md" \
    --runs 50 -n "lmrelay chat --mock-response (Rust CLI)" \
    "$bin/lmrelay chat -m openai/gpt-4o-mini --mock-response hi Hello" >&2
hyperfine --style basic --time-unit millisecond --warmup 1 --export-markdown "$work/startup-py.md" --runs 5 \
    -n "python -c pass (interpreter floor)" "$py -c pass" \
    -n "python: import litellm" "$py -c 'import litellm'" \
    -n "python: litellm.completion(mock_response=...)" \
    "$py -c \"import litellm; litellm.completion(model='gpt-4o-mini', messages=[{'role': 'user', 'content': 'Hello'}], mock_response='hi')\"" >&2

step "instant upstream"
ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true
"$bin/mock-provider" --port 0 > "$work/mock.out" &
mock_pid=$!
for _ in $(seq 50); do grep -q listening "$work/mock.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$work/mock.out")/v1

run() { # name command...
    local name=$1; shift
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out"
    read -r elapsed user sys rss < "$work/time"
    python3 - "$name" "$work/out" "$elapsed" "$user" "$sys" "$rss" >> "$work/load.tsv" <<'PY'
import json, sys
name, out, elapsed, user, sys_, rss = sys.argv[1:]
r = json.load(open(out))
cpu_us = (float(user) + float(sys_)) * 1e6 / r["requests"]
print(f"{name}\t{r['ok']}/{r['requests']}\t{r['wall_ms']}\t{float(elapsed) * 1000:.0f}\t{cpu_us:.0f}\t{int(rss) // 1024}")
PY
}
step "1,000 concurrent completions x $rounds rounds"
for round in $(seq "$rounds"); do
    run "Rust SDK (lmrelay, one thread)" "$bin/sdk-load" --base "$base" --requests 1000 --concurrency 1000
    run "litellm.acompletion" "$py" bench/py/litellm_load.py "$base" 1000
    run "openai AsyncOpenAI" "$py" bench/py/openai_load.py "$base" 1000
done

mkdir -p bench/results
{
    echo "Machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
    echo
    echo "### Time to a mocked completion, from process start"
    echo
    cat "$work/startup.md"
    tail -n 3 "$work/startup-py.md"
    echo
    echo "### 1,000 concurrent completions to an instant upstream (median of $rounds rounds)"
    echo
    python3 - "$work/load.tsv" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, ok, wall, total, cpu, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((ok, float(wall), float(total), float(cpu), float(rss)))
print("| client | ok | in-loop wall [ms] | process wall [ms] | CPU per call [µs] | max RSS [MiB] |")
print("|:---|---:|---:|---:|---:|---:|")
for name, runs in rows.items():
    med = lambda i: statistics.median(r[i] for r in runs)
    print(f"| {name} | {runs[-1][0]} | {med(1):.0f} | {med(2):.0f} | {med(3):.0f} | {med(4):.0f} |")
PY
} | tee bench/results/sdk.md
