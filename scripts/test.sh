#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script).
#
# Installs what it needs (cargo-deny; the local model and llama.cpp server;
# LiteLLM for the differential tests; redis-server from Debian), caching heavy artefacts under
# ${LMRELAY_CACHE:-~/.cache/lmrelay}, then runs: rustfmt, clippy (-D warnings),
# cargo-deny (licences, bans, sources), every test (unit, mock provider,
# differential against LiteLLM, end-to-end against the real local model) and
# the doctests. Any failure stops the run with a non-zero exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs), then rerun"
command -v python3 >/dev/null || die "python3 not found: install it (apt-get install python3 python3-venv), then rerun"

printf 'disk: %s free where the build goes\n' "$(df -h --output=avail . | tail -n 1 | tr -d ' ')" >&2

step "rustfmt"
cargo fmt --all -- --check || die "formatting differs: run 'cargo fmt --all' and commit"

step "clippy (all targets, all features, -D warnings)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo-deny (licences, banned crates, sources)"
if ! command -v cargo-deny >/dev/null; then
    step "installing cargo-deny (once; a few minutes)"
    cargo install --locked cargo-deny --version 0.20.2
fi
cargo deny --log-level error check bans licenses sources

step "local model (llama.cpp server + SmolLM2-135M-Instruct)"
started_model=0
if ! scripts/local-model.sh status >/dev/null 2>&1; then
    started_model=1
fi
MODEL_URL=$(scripts/local-model.sh start | tail -n 1) \
    || die "the local model server could not be started (see above); the end-to-end tests need it"
cleanup() { if [ "$started_model" = 1 ]; then scripts/local-model.sh stop >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

step "LiteLLM (pinned) for the differential tests"
LITELLM_PYTHON=$(scripts/litellm-env.sh | tail -n 1) \
    || die "LiteLLM could not be installed (see above); the differential tests need it"

step "redis-server (Debian's package) for the shared-cache tests"
if ! command -v redis-server >/dev/null; then
    sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get install -y -qq redis-server >/dev/null 2>&1 \
        || { $sudo_cmd apt-get update -qq >/dev/null 2>&1 && $sudo_cmd apt-get install -y -qq redis-server >/dev/null; } \
        || die "redis-server could not be installed (apt-get install redis-server); the cache tests need it"
fi
# The package may start a system service; the tests start their own server.

step "pre-commit (pinned) for commit-polish's framework test"
PRE_COMMIT_VERSION=4.7.0
pre_commit_venv=${LMRELAY_CACHE:-$HOME/.cache/lmrelay}/pre-commit-$PRE_COMMIT_VERSION
if [ ! -x "$pre_commit_venv/bin/pre-commit" ]; then
    python3 -m venv "$pre_commit_venv" \
        && "$pre_commit_venv/bin/pip" install --quiet "pre-commit==$PRE_COMMIT_VERSION" \
        || die "pre-commit could not be installed from PyPI into $pre_commit_venv"
fi
export LMRELAY_PRE_COMMIT=$pre_commit_venv/bin/pre-commit

export LMRELAY_TEST_LOCAL_MODEL_URL=$MODEL_URL
export LMRELAY_LITELLM_PYTHON=$LITELLM_PYTHON

log_dir=$(mktemp -d)
step "tests (unit, mock provider, differential vs LiteLLM, end-to-end vs $MODEL_URL)"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --all-features --locked --no-fail-fast 2>&1 | tee "$log_dir/tests.log"
    passed=$(sed -n 's/.* tests run: \([0-9]*\) passed.*/\1/p' "$log_dir/tests.log" | tail -n 1)
else
    cargo test --workspace --all-features --locked --no-fail-fast --lib --bins --tests 2>&1 | tee "$log_dir/tests.log"
    passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log_dir/tests.log" | awk '{s+=$1} END {print s+0}')
fi

step "doctests"
cargo test --workspace --all-features --locked --doc 2>&1 | tee "$log_dir/doc.log"
doc_passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log_dir/doc.log" | awk '{s+=$1} END {print s+0}')

step "fuzz: the SSE decoder target builds and runs 20 s over its corpus"
if ! command -v cargo-fuzz >/dev/null; then
    step "installing cargo-fuzz (once; about a minute)"
    cargo install --locked cargo-fuzz --version 0.13.2
fi
fuzz_new=$(mktemp -d)
fuzz_log="$log_dir/fuzz.log"
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the pinned stable toolchain accept them.
# RUST_BACKTRACE=0: on failure cargo-fuzz's own stack trace would hide the cause.
if ! (cd fuzz && RUST_BACKTRACE=0 RUSTC_BOOTSTRAP=1 cargo fuzz run sse_decoder "$fuzz_new" corpus/sse_decoder -- \
    -max_total_time=20 -max_len=4096) >"$fuzz_log" 2>&1; then
    # Show the cause: a build error, the panic message, or libFuzzer's crash report
    # (its Base64 line is the failing input), without the cargo/libFuzzer noise.
    grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED|DONE)|^[[:space:]]+[0-9]+: |^[[:space:]]+at ' \
        "$fuzz_log" | tail -n 80 >&2 || true
    df -h . >&2 || true
    die "the fuzz run failed; the failing input, if any, is in fuzz/artifacts/sse_decoder/"
fi
tail -n 3 "$fuzz_log"

step "all checks passed"
echo "summary: $(( ${passed:-0} + doc_passed )) passed, 0 failed"
