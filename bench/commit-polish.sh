#!/usr/bin/env bash
# Benchmark: commit-polish's own time per hook run, with an instant mock
# model (tools/mock-provider), on a small and a 2,000-line staged diff, next
# to the process-start floor and `python -c "import litellm"` (LiteLLM 1.82.6,
# what the Python ancestor pays on every commit), in one hyperfine run.
#
# Usage: bench/commit-polish.sh [RUNS]     (default 30; LiteLLM gets 5)
# Output: a Markdown table on stdout (also saved to bench/results/commit-polish.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-30}

step() { printf '==> %s\n' "$*" >&2; }
if ! command -v hyperfine >/dev/null; then
    step "installing hyperfine (Debian package)"
    apt-get install -y -qq hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
fi

step "building release binaries"
cargo build --release --locked -q -p commit-polish -p mock-provider
bin=$PWD/target/release

step "LiteLLM (pinned) for the comparison"
litellm_py=$(scripts/litellm-env.sh | tail -n 1)

work=$(mktemp -d)
cleanup() { [ -n "${mock_pid:-}" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin/mock-provider" --port 0 > "$work/mock.out" &
mock_pid=$!
for _ in $(seq 50); do grep -q listening "$work/mock.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$work/mock.out")/v1

export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config GIT_CONFIG_NOSYSTEM=1
mkdir -p "$XDG_CONFIG_HOME/commit-polish"
printf '[ai]\nmodel = "llamafile/mock"\napi_base = "%s"\n' "$base" > "$XDG_CONFIG_HOME/commit-polish/config.toml"

make_repo() { # name lines
    local dir=$work/$1
    git init -q -b main "$dir"
    git -C "$dir" -c user.name=b -c user.email=b@b commit -q --allow-empty -m "chore: start"
    awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "value_%d = compute(%d)  # generated line\n", i, i }' > "$dir/data.py"
    git -C "$dir" add data.py
}
make_repo small 5
make_repo big 2000

hook="$bin/commit-polish hook .git/COMMIT_EDITMSG"
reset=": > .git/COMMIT_EDITMSG"
step "hyperfine ($runs runs each)"
hyperfine --style basic --time-unit millisecond --warmup 3 --runs "$runs" --export-markdown "$work/hooks.md" \
    -n "hook skipped (COMMIT_POLISH_SKIP=1: process start)" --prepare "cd $work/small && $reset" "cd $work/small && COMMIT_POLISH_SKIP=1 $hook" \
    -n "hook, 5-line diff, instant model" --prepare "cd $work/small && $reset" "cd $work/small && $hook" \
    -n "hook, 2,000-line diff, instant model" --prepare "cd $work/big && $reset" "cd $work/big && $hook" \
    >&2
grep -q "feat(mock-reply)" "$work/big/.git/COMMIT_EDITMSG" || { echo "bench: the hook did not write a message" >&2; exit 1; }
hyperfine --style basic --time-unit millisecond --warmup 1 --runs 5 --export-markdown "$work/litellm.md" \
    -n 'python -c "import litellm" (1.82.6)' "LITELLM_LOCAL_MODEL_COST_MAP=True $litellm_py -c 'import litellm'" >&2

mkdir -p bench/results
{
    echo "Machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
    echo
    cat "$work/hooks.md"
    tail -n 1 "$work/litellm.md"
} | tee bench/results/commit-polish.md
