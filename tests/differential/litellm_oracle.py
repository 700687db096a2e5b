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
    "$PY" tests/differential/litellm_oracle.py cost < tests/differential/cost_cases.json
    "$PY" tests/differential/litellm_oracle.py model_info < tests/differential/model_info_models.json
    "$PY" tests/differential/litellm_oracle.py tokens < tests/differential/token_cases.json

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

cost, model_info and tokens run with the network blocked (socket connect and
getaddrinfo raise OSError; attempts are counted on stderr), so a local ollama
server or a reachable CDN cannot change the answer. Numbers that are floats in
LiteLLM are printed as repr(float) strings (shortest round-trip form); the
"*_decimal" fields are format(decimal.Decimal(repr(x)), "f"), i.e. the same
value in plain fixed-point notation (no exponent), for Rust Decimal parsing.

cost            (cases: cost_cases.json, made by make_cost_cases.py)
    in : [{"id": str, "model": str, "custom_llm_provider": null|str,
           "usage": {"prompt_tokens": int, "completion_tokens": int,
                     "cache_read_input_tokens"?: int,
                     "cache_creation_input_tokens"?: int,
                     "reasoning_tokens"?: int, "prompt_audio_tokens"?: int,
                     "completion_audio_tokens"?: int},
           "call_type"?: str, "tags"?: [str], "note"?: str}, ...]
    out: [{"id", "model", "custom_llm_provider", "prompt_cost",
           "completion_cost", "prompt_cost_decimal", "completion_cost_decimal",
           "error", "error_message"}, ...]   (same order; costs null on error)
    The call made is exactly
        litellm.cost_per_token(model=model,
                               custom_llm_provider=custom_llm_provider,
                               prompt_tokens=P, completion_tokens=C,
                               cache_read_input_tokens=CR (0 if absent),
                               cache_creation_input_tokens=CC (0 if absent),
                               [call_type=call_type,] [usage_object=U])
    with everything else at its default (response_time_ms=0.0, no region,
    no service_tier, no custom pricing). U is passed only when the usage has
    reasoning_tokens, prompt_audio_tokens or completion_audio_tokens (when U
    is given cost_per_token reads only U; otherwise it builds the same Usage
    from the keyword arguments itself):
        U = litellm.Usage(prompt_tokens=P, completion_tokens=C,
                          total_tokens=P + C,
                          prompt_tokens_details={"cached_tokens": CR,
                                                 ["audio_tokens": PA]},
                          completion_tokens_details={["reasoning_tokens": R,]
                                                     ["audio_tokens": CA]},
                          cache_read_input_tokens=CR,
                          cache_creation_input_tokens=CC)
    i.e. OpenAI conventions: P includes CR, CC and PA; C includes R and CA.
    "error" is the exception class name (e.g. a model LiteLLM cannot map).

model_info      (cases: model_info_models.json, made by make_cost_cases.py)
    in : [{"model": str, "custom_llm_provider": null|str}, ...]
    out: [{"model", "custom_llm_provider", "info": {...}|null,
           "supports": {...}, "error", "error_message"}, ...]
    info = litellm.get_model_info(model=, custom_llm_provider=) restricted to
    MODEL_INFO_KEYS (cost fields as repr strings, the rest as LiteLLM returns
    them). supports = {name: bool | {"error": class}} for
    litellm.utils.supports_<name>(model=, custom_llm_provider=) with name in
    response_schema, function_calling, vision, reasoning, prompt_caching
    (the same functions litellm.supports_* re-exports, except
    supports_prompt_caching, which only litellm.utils has). They run even
    when get_model_info raised.

tokens          (cases: token_cases.json, made by make_token_cases.py)
    in : [{"id": str, "model": str, "text"?: str, "messages"?: [...],
           "tools"?: [...], "tool_choice"?: ..., "note"?: str}, ...]
    out: [{"id", "model", "count", "encodings", "error", "error_message"}, ...]
    count = litellm.token_counter(model=model, text=text) when "text" is
    present, else litellm.token_counter(model=model, messages=messages,
    tools=tools, tool_choice=tool_choice) (absent -> None). "encodings" lists
    the tiktoken encodings (Encoding.name) whose encode() ran for the case:
    the tokenizer LiteLLM really used ([] when nothing was encoded or a
    HuggingFace tokenizer was used). tiktoken loads its BPE files from
    TIKTOKEN_CACHE_DIR, which litellm.litellm_core_utils.default_encoding
    sets, at import, to LiteLLM's bundled litellm_core_utils/tokenizers/
    (cl100k_base, o200k_base, p50k_base; CUSTOM_TIKTOKEN_CACHE_DIR overrides
    it), so OpenAI-model counting needs no network.
"""

import contextlib
import decimal
import faulthandler
import json
import os
import re
import socket
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


def arm_hang_report():
    """Dump every thread's stack to stderr if this process is still running
    after LMRELAY_TEST_CHILD_TIMEOUT_SECS minus 60 s (the Rust side kills it
    at the deadline and shows the stderr), so a hang names its line."""
    deadline = int(os.environ.get("LMRELAY_TEST_CHILD_TIMEOUT_SECS") or 300)
    faulthandler.enable()
    faulthandler.dump_traceback_later(max(deadline - 60, 5), exit=False)


def import_litellm():
    arm_hang_report()
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


# --------------------------------------------------------------------------
# cost / model_info / tokens
# --------------------------------------------------------------------------


def block_network():
    """Make every outbound connection fail fast with OSError; count attempts."""
    attempts = {"n": 0, "targets": []}

    def _refuse(what, target):
        attempts["n"] += 1
        if len(attempts["targets"]) < 20:
            attempts["targets"].append(f"{what}:{target}")
        raise OSError(f"oracle: network disabled ({what} {target})")

    orig_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *a, **kw):
        if host in (None, "localhost") or (isinstance(host, str) and host.startswith(("127.", "::1"))):
            return orig_getaddrinfo(host, *a, **kw)
        _refuse("getaddrinfo", host)

    def connect(self, address):
        if self.family == getattr(socket, "AF_UNIX", None):
            return _orig_connect(self, address)
        _refuse("connect", address)

    def connect_ex(self, address):
        connect(self, address)

    _orig_connect = socket.socket.connect
    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    return attempts


def report_network(attempts, cmd):
    if attempts["n"]:
        print(
            f"oracle {cmd}: {attempts['n']} blocked network attempt(s): {attempts['targets']}",
            file=sys.stderr,
        )


def _num_str(x):
    """repr() of a float (shortest round-trip); ints become floats first."""
    if x is None:
        return None
    if isinstance(x, bool):
        raise TypeError(f"expected a number, got bool {x!r}")
    if isinstance(x, (int, float)):
        return repr(float(x))
    return str(x)


def _dec_str(x):
    """The same value as _num_str(x), as a fixed-point decimal string."""
    r = _num_str(x)
    if r is None:
        return None
    d = decimal.Decimal(r)
    if not d.is_finite():
        return r
    return format(d, "f")


_USAGE_KEYS = {
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "reasoning_tokens",
    "prompt_audio_tokens",
    "completion_audio_tokens",
}
_USAGE_OBJECT_KEYS = ("reasoning_tokens", "prompt_audio_tokens", "completion_audio_tokens")


def cost_call_kwargs(litellm, case):
    """The keyword arguments cmd_cost passes to litellm.cost_per_token."""
    usage = case.get("usage") or {}
    unknown = set(usage) - _USAGE_KEYS
    if unknown:
        raise ValueError(f"case {case.get('id')}: unknown usage keys {sorted(unknown)}")
    p = int(usage.get("prompt_tokens", 0))
    c = int(usage.get("completion_tokens", 0))
    cr = int(usage.get("cache_read_input_tokens", 0))
    cc = int(usage.get("cache_creation_input_tokens", 0))
    kwargs = dict(
        model=case["model"],
        custom_llm_provider=case.get("custom_llm_provider"),
        prompt_tokens=p,
        completion_tokens=c,
        cache_read_input_tokens=cr,
        cache_creation_input_tokens=cc,
    )
    if case.get("call_type"):
        kwargs["call_type"] = case["call_type"]
    if any(k in usage for k in _USAGE_OBJECT_KEYS):
        ptd = {"cached_tokens": cr}
        if "prompt_audio_tokens" in usage:
            ptd["audio_tokens"] = int(usage["prompt_audio_tokens"])
        ctd = {}
        if "reasoning_tokens" in usage:
            ctd["reasoning_tokens"] = int(usage["reasoning_tokens"])
        if "completion_audio_tokens" in usage:
            ctd["audio_tokens"] = int(usage["completion_audio_tokens"])
        kwargs["usage_object"] = litellm.Usage(
            prompt_tokens=p,
            completion_tokens=c,
            total_tokens=p + c,
            prompt_tokens_details=ptd,
            completion_tokens_details=ctd or None,
            cache_read_input_tokens=cr,
            cache_creation_input_tokens=cc,
        )
    return kwargs


def cmd_cost(cases):
    litellm = import_litellm()
    attempts = block_network()
    out = []
    for i, case in enumerate(cases):
        res = {
            "id": case.get("id", str(i)),
            "model": case.get("model"),
            "custom_llm_provider": case.get("custom_llm_provider"),
            "prompt_cost": None,
            "completion_cost": None,
            "prompt_cost_decimal": None,
            "completion_cost_decimal": None,
            "error": None,
            "error_message": None,
        }
        kwargs = cost_call_kwargs(litellm, case)
        with contextlib.redirect_stdout(sys.stderr):
            try:
                pc, cc = litellm.cost_per_token(**kwargs)
                res.update(
                    prompt_cost=_num_str(pc),
                    completion_cost=_num_str(cc),
                    prompt_cost_decimal=_dec_str(pc),
                    completion_cost_decimal=_dec_str(cc),
                )
            except Exception as e:  # noqa: BLE001
                res["error"] = type(e).__name__
                res["error_message"] = _first_line(str(e))
        out.append(res)
    report_network(attempts, "cost")
    return out


# Kept from litellm.get_model_info(); the *cost* ones are printed as repr strings.
MODEL_INFO_KEYS = (
    "key",
    "max_tokens",
    "max_input_tokens",
    "max_output_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "mode",
    "litellm_provider",
    "supports_function_calling",
    "supports_vision",
    "supports_response_schema",
    "supports_reasoning",
    "supports_prompt_caching",
    "supports_system_messages",
    "supports_tool_choice",
)
SUPPORTS_FNS = ("response_schema", "function_calling", "vision", "reasoning", "prompt_caching")


def _info_value(key, v):
    if "cost" in key and isinstance(v, (int, float)) and not isinstance(v, bool):
        return _num_str(v)
    return v


def cmd_model_info(cases):
    litellm = import_litellm()
    import litellm.utils as litellm_utils  # supports_prompt_caching is not re-exported

    attempts = block_network()
    out = []
    for case in cases:
        if isinstance(case, str):
            case = {"model": case, "custom_llm_provider": None}
        model = case.get("model")
        prov = case.get("custom_llm_provider")
        res = {
            "model": model,
            "custom_llm_provider": prov,
            "info": None,
            "supports": {},
            "error": None,
            "error_message": None,
        }
        with contextlib.redirect_stdout(sys.stderr):
            try:
                info = litellm.get_model_info(model=model, custom_llm_provider=prov)
                res["info"] = {k: _info_value(k, info.get(k)) for k in MODEL_INFO_KEYS}
            except Exception as e:  # noqa: BLE001
                res["error"] = type(e).__name__
                res["error_message"] = _first_line(str(e))
            for name in SUPPORTS_FNS:
                fn = getattr(litellm_utils, f"supports_{name}")
                try:
                    res["supports"][name] = bool(fn(model=model, custom_llm_provider=prov))
                except Exception as e:  # noqa: BLE001
                    res["supports"][name] = {"error": type(e).__name__}
        out.append(res)
    report_network(attempts, "model_info")
    return out


def _install_encoding_recorder():
    import tiktoken

    used = set()
    orig = tiktoken.Encoding.encode

    def encode(self, text, *a, **kw):
        used.add(self.name)
        return orig(self, text, *a, **kw)

    tiktoken.Encoding.encode = encode
    return used


def cmd_tokens(cases):
    litellm = import_litellm()
    attempts = block_network()
    used = _install_encoding_recorder()
    out = []
    for i, case in enumerate(cases):
        res = {
            "id": case.get("id", str(i)),
            "model": case.get("model"),
            "count": None,
            "encodings": [],
            "error": None,
            "error_message": None,
        }
        used.clear()
        with contextlib.redirect_stdout(sys.stderr):
            try:
                if "text" in case:
                    n = litellm.token_counter(model=case["model"], text=case["text"])
                else:
                    n = litellm.token_counter(
                        model=case["model"],
                        messages=case.get("messages"),
                        tools=case.get("tools"),
                        tool_choice=case.get("tool_choice"),
                    )
                res["count"] = n
            except Exception as e:  # noqa: BLE001
                res["error"] = type(e).__name__
                res["error_message"] = _first_line(str(e))
        res["encodings"] = sorted(used)
        out.append(res)
    report_network(attempts, "tokens")
    return out


def main(argv):
    stdin_cmds = {
        "resolve": cmd_resolve,
        "errors": cmd_errors,
        "cost": cmd_cost,
        "model_info": cmd_model_info,
        "tokens": cmd_tokens,
    }
    if len(argv) < 2 or argv[1] not in (*stdin_cmds, "models", "version"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd in stdin_cmds:
        result = stdin_cmds[cmd](json.load(sys.stdin))
    elif cmd == "models":
        result = cmd_models(argv[2:])
    else:
        result = cmd_version()
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
