#!/usr/bin/env bash
# Creates (once, cached) a venv with LiteLLM 1.82.6 and its proxy extras, for
# the gateway benchmarks. Never 1.82.7 or 1.82.8 (compromised releases): the
# version is fixed here, the wheel's sha256 is checked, and every dependency is
# pinned by bench/litellm-proxy-constraints.txt (resolved with
# `pip install --uploaded-prior-to 2026-03-22T07:00:00Z "litellm[proxy]==1.82.6"`,
# i.e. what a user got on the release day).
#
# Usage: PY=$(bench/litellm-proxy-env.sh | tail -n 1); "$(dirname "$PY")/litellm" --config ...
# The venv is ${LMRELAY_CACHE:-~/.cache/lmrelay}/litellm-proxy-venv-1.82.6.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERSION=1.82.6
SHA256=164a3ef3e19f309e3cabc199bef3d2045212712fefdfa25fc7f75884a5b5b205
CACHE=${LMRELAY_CACHE:-$HOME/.cache/lmrelay}
VENV=$CACHE/litellm-proxy-venv-$VERSION
PY=$VENV/bin/python
MARKER=$VENV/.lmrelay-ok
RECIPE="litellm[proxy]==$VERSION $(cksum < bench/litellm-proxy-constraints.txt | cut -d' ' -f1)"
log() { printf 'litellm-proxy-env: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -x "$PY" ] && [ "$(cat "$MARKER" 2>/dev/null)" = "$RECIPE" ]; then
    echo "$PY"
    exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.litellm-proxy-venv.lock"
flock 9
rm -rf "$VENV"
log "creating $VENV (about a minute)"
python3 -m venv "$VENV" >&2
export PIP_DISABLE_PIP_VERSION_CHECK=1
dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
"$PY" -m pip download --quiet --no-deps --only-binary=:all: -d "$dl" "litellm==$VERSION" >&2
wheel=$dl/litellm-$VERSION-py3-none-any.whl
[ -f "$wheel" ] || die "PyPI did not give litellm-$VERSION-py3-none-any.whl"
[ "$(sha256sum "$wheel" | cut -d' ' -f1)" = "$SHA256" ] || die "sha256 of $(basename "$wheel") differs from the pinned one"
"$PY" -m pip install --quiet -c bench/litellm-proxy-constraints.txt "$wheel[proxy]" >&2
installed=$("$PY" -c 'import importlib.metadata as m; print(m.version("litellm"))')
[ "$installed" = "$VERSION" ] || die "installed litellm is $installed, expected $VERSION"
printf '%s' "$RECIPE" > "$MARKER"
log "ready: litellm $installed with proxy extras"
echo "$PY"
