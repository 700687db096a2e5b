#!/usr/bin/env python3
"""LiteLLM oracle for lmrelay's differential tests.

Runs inside the venv made by scripts/litellm-env.sh (pinned litellm). Each
subcommand reads JSON from stdin and writes JSON to stdout; diagnostics go to
stderr. Nothing here hard-codes an expected answer: the answers are whatever
the installed LiteLLM does.

    PY="$(scripts/litellm-env.sh | tail -n1)"
    "$PY" tests/differential/litellm_oracle.py resolve < tests/differential/resolve_cases.json
    "$PY" tests/differential/litellm_oracle.py models [--all-providers] > cases.json
    "$PY" tests/differential/litellm_oracle.py errors < error_cases.json
    "$PY" tests/differential/litellm_oracle.py version

resolve
    in : [{"model": str, "api_base": null|str, "api_key": null|str,
           "env": {VAR: value}?, "id": str?, "note": str?}, ...]
    out: [{"id", "in_model", "in_api_base", "model", "provider", "api_base",
           "api_key_source", "error", "error_message"}, ...]   (same order)
    Calls litellm.get_llm_provider(model=, api_base=, api_key=). Provider
    environment variables (*_API_KEY, *_API_BASE, tokens, ...) are removed
    before and after importing litellm; a case's "env" is applied for that
    case only, then removed. API keys are never printed: api_key_source is
    null | "input" | "env:<VAR>" | "placeholder:<literal>" | "other".

errors
    in : [{"name": str, "model": "openai/x"|"llamafile/x"|..., "api_base": str,
           "messages": [...]?, "timeout": number?}, ...]
    out: [{"name", "model", "exception", "status_code", "llm_provider",
           "mro", "attempts", "message"}, ...]
    Calls litellm.completion(model, messages, api_base=, api_key="sk-test",
    max_retries=0, num_retries=0, timeout=5). "attempts" counts HTTP requests
    the OpenAI SDK sent (httpx.Client.send), so retries would show up there.

models
    Prints the curated cases of resolve_cases.json (next to this file); with
    --all-providers also one "<prefix>/test-model" case per entry of the live
    litellm.provider_list not already covered (except chatgpt and
    github_copilot, whose resolution starts an OAuth login).
"""

import contextlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_FILE = os.path.join(HERE, "resolve_cases.json")

# Environment variables that can steer provider resolution or requests.
_ENV_SUFFIXES = (
    "_API_KEY",
    "_API_BASE",
    "_API_TOKEN",
    "_TOKEN",
    "_BASE_URL",
    "_API_URL",
    "_ENDPOINT",
    "_KEY",
    "_SECRET",
    "_ORGANIZATION",
)
_ENV_PREFIXES = ("AZURE_", "OPENAI_", "ANTHROPIC_", "AWS_", "VERTEX", "GOOGLE_", "LITELLM_PROXY")
_ENV_EXACT = {"USE_LITELLM_PROXY", "LITELLM_API_BASE", "LITELLM_API_KEY", "HF_TOKEN"}
_KEEP = {"LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_MODE"}


def _is_provider_var(name: str) -> bool:
    if name in _KEEP:
        return False
    return (
        name in _ENV_EXACT
        or name.endswith(_ENV_SUFFIXES)
        or name.startswith(_ENV_PREFIXES)
    )


def clean_env() -> list:
    removed = [k for k in list(os.environ) if _is_provider_var(k)]
    for k in removed:
        del os.environ[k]
    return removed


def import_litellm():
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    removed = clean_env()
    # litellm prints banners/debug hints to stdout; keep stdout pure JSON.
    with contextlib.redirect_stdout(sys.stderr):
        import litellm  # noqa: E402
    removed += clean_env()  # litellm loads .env (python-dotenv) at import
    if removed:
        print(f"oracle: removed env vars: {sorted(set(removed))}", file=sys.stderr)
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    litellm.num_retries = None
    return litellm


@contextlib.contextmanager
def case_env(env):
    env = env or {}
    saved = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = str(v)
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


# Literal default keys LiteLLM fills in when none is configured (not secrets).
_PLACEHOLDER_KEYS = {"fake-api-key", "dummy-key", "lemonade", "EMPTY", "sk-1234", "none", "None", "dummy"}


def key_source(key, case):
    if key is None:
        return None
    if case.get("api_key") is not None and key == case["api_key"]:
        return "input"
    for k, v in (case.get("env") or {}).items():
        if v is not None and key == str(v):
            return f"env:{k}"
    if key in _PLACEHOLDER_KEYS:
        return f"placeholder:{key}"
    return "other"


def _provider_str(p):
    if p is None:
        return None
    # LlmProviders is a str-Enum: str() of it gives "LlmProviders.X", so use .value
    return str(getattr(p, "value", p))


def cmd_resolve(cases):
    litellm = import_litellm()
    out = []
    for i, case in enumerate(cases):
        model = case.get("model")
        api_base = case.get("api_base")
        res = {
            "id": case.get("id", str(i)),
            "in_model": model,
            "in_api_base": api_base,
            "model": None,
            "provider": None,
            "api_base": None,
            "api_key_source": None,
            "error": None,
            "error_message": None,
        }
        with case_env(case.get("env")), contextlib.redirect_stdout(sys.stderr):
            try:
                m, prov, key, base = litellm.get_llm_provider(
                    model=model, api_base=api_base, api_key=case.get("api_key")
                )
                res.update(
                    model=m,
                    provider=_provider_str(prov),
                    api_base=base,
                    api_key_source=key_source(key, case),
                )
            except Exception as e:  # noqa: BLE001 - the class name is the datum
                res["error"] = type(e).__name__
                res["error_message"] = _first_line(str(e))
        out.append(res)
    return out


def _first_line(s, limit=300):
    s = (s or "").strip().splitlines()[0] if (s or "").strip() else ""
    return s[:limit]


def _install_send_counter():
    import httpx

    counter = {"n": 0}
    orig = httpx.Client.send

    def send(self, request, *a, **kw):
        counter["n"] += 1
        return orig(self, request, *a, **kw)

    httpx.Client.send = send
    aorig = httpx.AsyncClient.send

    async def asend(self, request, *a, **kw):
        counter["n"] += 1
        return await aorig(self, request, *a, **kw)

    httpx.AsyncClient.send = asend
    return counter


_KEY_RE = re.compile(r"sk-[A-Za-z0-9_-]+")


def cmd_errors(cases):
    litellm = import_litellm()
    counter = _install_send_counter()
    out = []
    for case in cases:
        messages = case.get("messages") or [{"role": "user", "content": "hi"}]
        counter["n"] = 0
        res = {
            "name": case.get("name"),
            "model": case.get("model"),
            "exception": None,
            "status_code": None,
            "llm_provider": None,
            "mro": [],
            "attempts": None,
            "message": None,
        }
        with case_env(case.get("env")), contextlib.redirect_stdout(sys.stderr):
            try:
                resp = litellm.completion(
                    model=case["model"],
                    messages=messages,
                    api_base=case.get("api_base"),
                    api_key=case.get("api_key", "sk-test"),
                    max_retries=0,
                    num_retries=0,
                    timeout=case.get("timeout", 5),
                )
                res["message"] = "ok: " + _first_line(str(getattr(resp, "model", "")))
            except Exception as e:  # noqa: BLE001
                res["exception"] = type(e).__name__
                res["status_code"] = getattr(e, "status_code", None)
                res["llm_provider"] = getattr(e, "llm_provider", None)
                res["mro"] = [
                    f"{c.__module__.split('.')[0]}.{c.__name__}"
                    for c in type(e).__mro__
                    if c.__module__.split(".")[0] in ("litellm", "openai")
                ]
                res["message"] = _KEY_RE.sub("sk-***", _first_line(str(e), 400))
        res["attempts"] = counter["n"]
        out.append(res)
    return out


# get_llm_provider() for these starts an OAuth device-code login (network,
# token files under ~/.config/litellm): never generate them.
_INTERACTIVE_AUTH = {"chatgpt", "github_copilot"}


def cmd_models(args):
    with open(CASES_FILE) as f:
        cases = json.load(f)
    if "--all-providers" in args:
        litellm = import_litellm()
        have = {c["model"].split("/", 1)[0] for c in cases if "/" in (c.get("model") or "")}
        for p in sorted(_provider_str(p) for p in litellm.provider_list):
            if p not in have and p not in _INTERACTIVE_AUTH:
                cases.append(
                    {
                        "id": f"provider-list:{p}",
                        "model": f"{p}/test-model",
                        "api_base": None,
                        "api_key": None,
                    }
                )
    return cases


def cmd_version():
    litellm = import_litellm()
    import importlib.metadata as md

    return {
        "litellm": md.version("litellm"),
        "openai": md.version("openai"),
        "httpx": md.version("httpx"),
        "python": sys.version.split()[0],
        "provider_list_len": len(litellm.provider_list),
    }


def main(argv):
    if len(argv) < 2 or argv[1] not in ("resolve", "errors", "models", "version"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "resolve":
        result = cmd_resolve(json.load(sys.stdin))
    elif cmd == "errors":
        result = cmd_errors(json.load(sys.stdin))
    elif cmd == "models":
        result = cmd_models(argv[2:])
    else:
        result = cmd_version()
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
