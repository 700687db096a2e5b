#!/usr/bin/env python3
"""Capture what LiteLLM sends to a native provider API, and what it makes of
the reply. Generic over providers (written for gemini/, ollama/,
ollama_chat/, cohere/ and cohere_chat/); a companion of anthropic_capture.py.

Runs inside the pinned LiteLLM venv (scripts/litellm-env.sh):

    PY="$(scripts/litellm-env.sh | tail -n1)"
    "$PY" tests/differential/provider_capture.py < tests/differential/gemini_scenarios.json

stdin : a JSON list of scenarios
    {"name": str,
     "model": "gemini/gemini-2.5-flash" | "ollama_chat/llama3.2" | ...,
     "request": {litellm.completion kwargs except model/api_base/api_key},
     "reply": REPLY | [REPLY, ...],     # one per HTTP request, last repeats
     "api_base": "capture" (default) | "capture+<suffix>" | null,
     "api_key": str | null,             # default "test-key"
     "async": bool,                     # litellm.acompletion instead
     "note": str}
stdout: a JSON list, same order
    {"name", "model",
     "sent": REQUEST | null,            # the first request LiteLLM sent
     "extra_requests": [REQUEST, ...],  # any further ones (retries ...)
     "result": response.model_dump() | [chunk.model_dump(), ...] (stream=True)
               | null,
     "error": {"class", "status_code", "message", "llm_provider",
               "key_in_message"} | null}
    REQUEST = {"method", "path", "headers": {lower-case name: value},
               "body": parsed JSON | {"_raw": text}}

REPLY:
    {"status": 200, "headers": {...},
     "json": {...}                       # application/json body, or
     "sse": [obj | str, ...]             # text/event-stream: "data: <json>\\n\\n"
                                         #   per item (a str item is sent raw
                                         #   after "data: "), or
     "sse_events": [[event, obj], ...]   # "event: <e>\\ndata: <json>\\n\\n", or
     "ndjson": [obj, ...]                # application/x-ndjson, one per line, or
     "body": str, "content_type": str}   # anything else, verbatim

api_base: "capture" passes api_base="http://127.0.0.1:PORT" (the server's
root) to LiteLLM; "capture+/v1beta" passes that root plus the suffix. null
passes no api_base at all, so LiteLLM builds its default URL (e.g.
https://generativelanguage.googleapis.com/v1beta/...:generateContent?key=..);
httpx transports are patched so every request to a non-local host is sent to
the capture server instead, and "path" then records the full original URL
(scheme://host/path?query). This rerouting applies to every request not
addressed to the capture server (also http://localhost:11434, Ollama's
default), unless the scenario says "reroute": false (used to test connection
errors with e.g. "api_base": "http://127.0.0.1:9"). Any other network access
is refused (socket connect/getaddrinfo to non-loopback raise OSError), so runs
are offline. Async scenarios use LiteLLM's default aiohttp transport, which is
not rerouted: use them only with the capture api_base.

POST .../api/show (LiteLLM's Ollama model-info lookup, made for cost
calculation from logging threads at nondeterministic times, with the api_base
or with http://localhost:11434) is answered 404 and not recorded.

Redaction: in "path" the value of any `key=` query parameter becomes
"<redacted>". Headers are kept as sent (the key is the fake "test-key"),
except the hop-by-hop/volatile ones in DROP_HEADERS. "key_in_message" says
whether the api_key string occurs in the exception message (must be false).

Assets: GET /__asset/pixel.png serves a 1x1 PNG; the string "{{CAPTURE}}"
anywhere in "request" is replaced by "http://127.0.0.1:PORT" so scenarios can
use image URLs LiteLLM downloads. GETs are listed in "fetches", not "sent".

Volatile fields to normalise before comparing: result.id (when the provider
reply carries no id: "chatcmpl-<uuid>"), result.created, chunk ids/created,
tool-call ids LiteLLM generates ("call_<28 hex>" for gemini, "call_<uuid4>"
or a bare uuid4 for ollama), audio expires_at, and for ollama usage computed
by token_counter when the reply lacks counts. Everything else is
deterministic for a given reply.
"""

import asyncio
import base64
import contextlib
import copy
import json
import os
import re
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

DROP_HEADERS = {"host", "content-length", "connection", "accept-encoding", "user-agent"}
KEY_RE = re.compile(r"((?:^|[?&])key=)[^&]*")
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def redact_path(path: str) -> str:
    return KEY_RE.sub(lambda m: m.group(1) + "<redacted>", path)


class State:
    lock = threading.Lock()
    replies: list = []
    served = 0
    requests: list = []
    fetches: list = []
    side_requests = 0
    reroute = True


def render_reply(reply: dict):
    status = int(reply.get("status", 200))
    headers = dict(reply.get("headers") or {})
    if "json" in reply:
        body = json.dumps(reply["json"]).encode()
        ctype = "application/json"
    elif "sse" in reply:
        parts = []
        for item in reply["sse"]:
            data = item if isinstance(item, str) else json.dumps(item)
            parts.append(f"data: {data}\r\n\r\n")
        body = "".join(parts).encode()
        ctype = "text/event-stream"
    elif "sse_events" in reply:
        parts = []
        for ev, item in reply["sse_events"]:
            data = item if isinstance(item, str) else json.dumps(item)
            parts.append(f"event: {ev}\ndata: {data}\n\n")
        body = "".join(parts).encode()
        ctype = "text/event-stream"
    elif "ndjson" in reply:
        body = "".join(json.dumps(x) + "\n" for x in reply["ndjson"]).encode()
        ctype = "application/x-ndjson"
    else:
        body = str(reply.get("body", "")).encode()
        ctype = reply.get("content_type", "text/plain")
    headers.setdefault("Content-Type", ctype)
    return status, headers, body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # keep stderr quiet
        pass

    def _send(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with State.lock:
            State.fetches.append(redact_path(self.path))
        if self.path.startswith("/__asset/pixel.png"):
            self._send(200, {"Content-Type": "image/png"}, PIXEL_PNG)
        else:
            self._send(404, {"Content-Type": "application/json"}, b'{"error":"not found"}')

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.path.rstrip("/").endswith("/api/show"):
            # LiteLLM's ollama model-info lookup (cost calculation/logging),
            # sent from background threads at nondeterministic times: not
            # part of the translation, so answered and not recorded.
            with State.lock:
                State.side_requests += 1
            self._send(404, {"Content-Type": "application/json"}, b'{"error":"capture: no model info"}')
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        headers = {}
        original = None
        for k, v in self.headers.items():
            lk = k.lower()
            if lk == "x-capture-original-url":
                original = v
            elif lk not in DROP_HEADERS:
                headers[lk] = v
        with State.lock:
            State.requests.append(
                {
                    "method": "POST",
                    "path": redact_path(original or self.path),
                    "headers": dict(sorted(headers.items())),
                    "body": body,
                }
            )
            replies = State.replies or [{"status": 500, "json": {"error": "no reply"}}]
            reply = replies[min(State.served, len(replies) - 1)]
            State.served += 1
        self._send(*render_reply(reply))


def start_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


# --------------------------------------------------------------------------
# Offline guarantees and default-URL rerouting
# --------------------------------------------------------------------------

_LOCAL = {"127.0.0.1", "localhost", "::1"}


def block_network():
    real_connect = socket.socket.connect
    real_gai = socket.getaddrinfo

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in _LOCAL and not str(host).startswith("/"):
            raise OSError(f"provider_capture: network blocked ({host})")
        return real_connect(self, address)

    def gai(host, *a, **k):
        if host not in _LOCAL and host is not None:
            raise OSError(f"provider_capture: DNS blocked ({host})")
        return real_gai(host, *a, **k)

    socket.socket.connect = connect
    socket.getaddrinfo = gai


def reroute_httpx(base: str):
    import httpx

    target = urlsplit(base)

    def rewrite(request):
        same = request.url.host == target.hostname and request.url.port == target.port
        if not same and State.reroute:
            request.headers["x-capture-original-url"] = str(request.url)
            request.url = request.url.copy_with(
                scheme=target.scheme, host=target.hostname, port=target.port
            )
        return request

    real_sync = httpx.HTTPTransport.handle_request
    real_async = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self, request):
        return real_sync(self, rewrite(request))

    async def handle_async_request(self, request):
        return await real_async(self, rewrite(request))

    httpx.HTTPTransport.handle_request = handle_request
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request


# --------------------------------------------------------------------------
# LiteLLM driver
# --------------------------------------------------------------------------

_ENV_SUFFIXES = ("_API_KEY", "_API_BASE", "_API_TOKEN", "_TOKEN", "_BASE_URL", "_KEY", "_SECRET")
_ENV_PREFIXES = ("GEMINI", "GOOGLE", "VERTEX", "OLLAMA", "COHERE", "CO_API", "PALM", "OPENAI_", "LITELLM_PROXY")


def clean_env():
    for k in list(os.environ):
        if k in ("LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_MODE"):
            continue
        if k.endswith(_ENV_SUFFIXES) or k.startswith(_ENV_PREFIXES):
            del os.environ[k]


def import_litellm():
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    clean_env()
    with contextlib.redirect_stdout(sys.stderr):
        import litellm
    clean_env()  # litellm loads .env at import
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    litellm.num_retries = None
    litellm.drop_params = False
    return litellm


def substitute(obj, base):
    if isinstance(obj, str):
        return obj.replace("{{CAPTURE}}", base)
    if isinstance(obj, list):
        return [substitute(x, base) for x in obj]
    if isinstance(obj, dict):
        return {k: substitute(v, base) for k, v in obj.items()}
    return obj


def dump(obj):
    try:
        return json.loads(json.dumps(obj.model_dump(), default=str))
    except Exception:
        return json.loads(json.dumps(obj, default=str))


def run_scenario(litellm, base, sc):
    kwargs = substitute(copy.deepcopy(sc.get("request") or {}), base)
    kwargs["model"] = sc["model"]
    api_base = sc.get("api_base", "capture")
    if api_base is not None:
        if api_base == "capture":
            kwargs["api_base"] = base
        elif api_base.startswith("capture+"):
            kwargs["api_base"] = base + api_base[len("capture+"):]
        else:
            kwargs["api_base"] = api_base
    api_key = sc.get("api_key", "test-key")
    if api_key is not None:
        kwargs["api_key"] = api_key
    kwargs.setdefault("timeout", 20)
    stream = bool(kwargs.get("stream"))

    replies = sc.get("reply") or {}
    with State.lock:
        State.replies = replies if isinstance(replies, list) else [replies]
        State.served = 0
        State.requests = []
        State.fetches = []
        State.reroute = sc.get("reroute", True)
    # LiteLLM mutates module globals on some paths (ollama + tools sets
    # litellm.add_function_to_prompt = True); reset so scenarios are independent.
    litellm.add_function_to_prompt = False

    result = None
    error = None
    chunks = []
    try:
        with contextlib.redirect_stdout(sys.stderr):
            if sc.get("async"):

                async def go():
                    resp = await litellm.acompletion(**kwargs)
                    if stream:
                        async for ch in resp:
                            chunks.append(dump(ch))
                        return None
                    return resp

                resp = asyncio.run(go())
            else:
                resp = litellm.completion(**kwargs)
                if stream:
                    for ch in resp:
                        chunks.append(dump(ch))
        result = chunks if stream else dump(resp)
    except Exception as e:  # noqa: BLE001
        msg = str(e)
        error = {
            "class": type(e).__name__,
            "status_code": getattr(e, "status_code", None),
            "message": msg,
            "llm_provider": getattr(e, "llm_provider", None),
            "key_in_message": bool(api_key) and api_key in msg,
        }
        if stream:
            result = chunks
        if os.environ.get("CAPTURE_TRACEBACK"):
            traceback.print_exc(file=sys.stderr)
    with State.lock:
        reqs = list(State.requests)
        fetches = list(State.fetches)
    out = {
        "name": sc["name"],
        "model": sc["model"],
        "sent": reqs[0] if reqs else None,
        "extra_requests": reqs[1:],
        "result": result,
        "error": error,
    }
    if fetches:
        out["fetches"] = fetches
    return out


def main():
    scenarios = json.load(sys.stdin)
    only = set(sys.argv[1:])
    srv, base = start_server()
    block_network()
    reroute_httpx(base)
    litellm = import_litellm()
    out = []
    for sc in scenarios:
        if only and sc["name"] not in only:
            continue
        out.append(run_scenario(litellm, base, sc))
    srv.shutdown()
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
