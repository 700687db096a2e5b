#!/usr/bin/env bash
# Create (once, cached) a Python venv holding a pinned LiteLLM release, used as
# the oracle for lmrelay's differential tests (tests/differential/).
#
# Usage:
#   PY="$(scripts/litellm-env.sh | tail -n1)"
#   LITELLM_LOCAL_MODEL_COST_MAP=True "$PY" tests/differential/litellm_oracle.py resolve \
#       < tests/differential/resolve_cases.json
#
# Environment:
#   LITELLM_VERSION  release to install (default 1.82.6). 1.82.7 and 1.82.8 are
#                    refused: those PyPI releases were compromised.
#   LMRELAY_CACHE    cache root (default $HOME/.cache/lmrelay); the venv is
#                    $LMRELAY_CACHE/litellm-venv-<VERSION>.
#   LMRELAY_PYTHON   interpreter used to create the venv (default python3.11,
#                    else python3).
#
# Progress goes to stderr; the last stdout line is the venv's python path.
# A second run with the same version only checks a marker file and prints.
set -euo pipefail

VERSION="${LITELLM_VERSION:-1.82.6}"
# sha256 of the PyPI wheel litellm-1.82.6-py3-none-any.whl (checked before install).
SHA256_1_82_6="164a3ef3e19f309e3cabc199bef3d2045212712fefdfa25fc7f75884a5b5b205"

log() { printf 'litellm-env: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

case "$VERSION" in
  1.82.7|1.82.8)
    die "litellm $VERSION is a compromised release (malicious upload); refusing. Use 1.82.6." ;;
esac
[[ "$VERSION" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "LITELLM_VERSION must be an exact version, got '$VERSION'"

CACHE="${LMRELAY_CACHE:-$HOME/.cache/lmrelay}"
VENV="$CACHE/litellm-venv-$VERSION"
PY="$VENV/bin/python"
MARKER="$VENV/.lmrelay-ok"

# Dependencies as resolved on 1.82.6's release day (wheel uploaded
# 2026-03-22T06:35Z; `pip install --uploaded-prior-to` that instant, which
# needs pip >= 26 -- a throwaway venv with `pip install -U pip` will do). litellm
# only sets lower bounds (e.g. openai>=2.8.0); later openai majors change the
# transport, so the oracle pins what users of 1.82.6 actually got.
CONSTRAINTS_1_82_6="aiohappyeyeballs==2.6.1 aiohttp==3.13.3 aiosignal==1.4.0
annotated-doc==0.0.4 annotated-types==0.7.0 anyio==4.12.1 attrs==26.1.0
certifi==2026.2.25 charset-normalizer==3.4.6 click==8.3.1 distro==1.9.0
fastuuid==0.14.0 filelock==3.25.2 frozenlist==1.8.0 fsspec==2026.2.0 h11==0.16.0
hf-xet==1.4.2 httpcore==1.0.9 httpx==0.28.1 huggingface_hub==1.7.2 idna==3.11
importlib_metadata==9.0.0 Jinja2==3.1.6 jiter==0.13.0 jsonschema==4.26.0
jsonschema-specifications==2025.9.1 markdown-it-py==4.0.0 MarkupSafe==3.0.3
mdurl==0.1.2 multidict==6.7.1 openai==2.29.0 packaging==26.0 propcache==0.4.1
pydantic==2.12.5 pydantic_core==2.41.5 Pygments==2.19.2 python-dotenv==1.2.2
PyYAML==6.0.3 referencing==0.37.0 regex==2026.2.28 requests==2.32.5 rich==14.3.3
rpds-py==0.30.0 shellingham==1.5.4 sniffio==1.3.1 tiktoken==0.12.0
tokenizers==0.22.2 tqdm==4.67.3 typer==0.24.1 typing-inspection==0.4.2
typing_extensions==4.15.0 urllib3==2.6.3 yarl==1.23.0 zipp==3.23.0
boto3==1.42.73 botocore==1.42.73 s3transfer==0.16.0 jmespath==1.1.0
python-dateutil==2.9.0.post0 six==1.17.0
google-auth==2.49.1 pyasn1-modules==0.4.2 pyasn1==0.6.3 cryptography==46.0.5
cffi==2.0.0 pycparser==3.0 docstring_parser==0.18.0"
# LiteLLM signs Bedrock calls with botocore and reads AWS credentials through
# boto3, which it does not depend on: the oracle installs them (release-day
# versions) so the Bedrock differential tests can run. Likewise vertex_ai/
# turns a service-account JSON (vertex_credentials) into an OAuth token with
# google-auth (google.oauth2.service_account + google.auth.transport.requests),
# also not a litellm dependency: release-day google-auth 2.49.1 needs only
# pyasn1-modules and cryptography (no longer rsa or cachetools).
# The gateway's client tests use the official anthropic SDK against
# /v1/messages: 0.86.0 is the release of the same week (2026-03-18).
EXTRA_1_82_6="boto3==1.42.73 google-auth==2.49.1 anthropic==0.86.0"
# Changing the recipe (pins or extras) invalidates a cached venv of the same
# version.
RECIPE="litellm==$VERSION recipe-1 $(printf '%s\n%s' "$CONSTRAINTS_1_82_6" "$EXTRA_1_82_6" | cksum | cut -d' ' -f1)"

ready() { [[ -x "$PY" && -f "$MARKER" && "$(cat "$MARKER" 2>/dev/null)" == "$RECIPE" ]]; }

# Fast path: already built and verified.
if ready; then
  echo "$PY"
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.litellm-venv-$VERSION.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
# Another process may have finished while we waited for the lock.
if ready; then
  echo "$PY"
  exit 0
fi

BASE_PY="${LMRELAY_PYTHON:-}"
if [[ -z "$BASE_PY" ]]; then
  if command -v python3.11 >/dev/null 2>&1; then BASE_PY=python3.11; else BASE_PY=python3; fi
fi
command -v "$BASE_PY" >/dev/null 2>&1 || die "no python interpreter '$BASE_PY'"

start=$(date +%s)
if [[ -d "$VENV" ]]; then
  log "removing incomplete venv $VENV"
  rm -rf "$VENV"
fi
log "creating venv $VENV with $("$BASE_PY" --version 2>&1)"
"$BASE_PY" -m venv "$VENV" >&2

export PIP_DISABLE_PIP_VERSION_CHECK=1
DL="$(mktemp -d)"
trap 'rm -rf "$DL"' EXIT

log "downloading litellm==$VERSION wheel"
"$PY" -m pip download --quiet --no-deps --only-binary=:all: -d "$DL" "litellm==$VERSION" >&2
WHEEL="$(ls "$DL"/litellm-"$VERSION"-*.whl 2>/dev/null | head -n1)"
[[ -n "$WHEEL" ]] || die "no wheel downloaded for litellm==$VERSION"
if [[ "$VERSION" == "1.82.6" ]]; then
  got="$(sha256sum "$WHEEL" | cut -d' ' -f1)"
  [[ "$got" == "$SHA256_1_82_6" ]] || die "sha256 mismatch for $(basename "$WHEEL"): $got"
  log "wheel sha256 verified"
else
  log "warning: no pinned sha256 for litellm $VERSION; not verified"
fi

log "installing $(basename "$WHEEL") and dependencies"
if [[ "$VERSION" == "1.82.6" ]]; then
  printf '%s\n' $CONSTRAINTS_1_82_6 > "$VENV/constraints.txt"
  "$PY" -m pip install --quiet -c "$VENV/constraints.txt" "$WHEEL" $EXTRA_1_82_6 >&2
else
  log "warning: no dependency pins for litellm $VERSION; taking the newest allowed"
  "$PY" -m pip install --quiet "$WHEEL" >&2
fi

# Belt and braces: the resolver must not have swapped the version, and the
# .pth start-up hook of the compromised releases must not be present.
installed="$("$PY" -c 'import importlib.metadata as m; print(m.version("litellm"))')"
[[ "$installed" == "$VERSION" ]] || die "installed litellm is $installed, expected $VERSION"
case "$installed" in 1.82.7|1.82.8) die "compromised litellm $installed installed";; esac
site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if ls "$site"/*.pth 2>/dev/null | xargs -r grep -l -i -E 'litellm|base64|exec\(' 2>/dev/null | grep -q .; then
  die "suspicious .pth file in $site"
fi

log "smoke-testing import (LITELLM_LOCAL_MODEL_COST_MAP=True)"
LITELLM_LOCAL_MODEL_COST_MAP=True "$PY" -c 'import litellm; litellm.get_llm_provider("gpt-4o-mini")' >&2
if [[ "$VERSION" == "1.82.6" ]]; then
  "$PY" -c 'import boto3, google.oauth2.service_account, google.auth.transport.requests' >&2
fi

printf '%s' "$RECIPE" > "$MARKER"
openai_v="$("$PY" -c 'import importlib.metadata as m; print(m.version("openai"))')"
log "ready in $(( $(date +%s) - start ))s: litellm $installed, openai $openai_v"
echo "$PY"
