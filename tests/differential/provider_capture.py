#!/usr/bin/env python3
"""Capture what LiteLLM sends to a native provider API, and what it makes of
the reply. Generic over providers (written for gemini/, ollama/,
ollama_chat/, cohere/, cohere_chat/, azure/, bedrock/ and vertex_ai/); a
companion of anthropic_capture.py.

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
     "env": {NAME: str | null},         # environment for this scenario only
     "litellm_settings": {attr: value}, # litellm.<attr> for this scenario only
     "keep_clients": bool,              # keep LiteLLM's cached SDK/http clients
                                        #   from earlier scenarios (default: flushed)
     "files": {name: text},             # written to a temp dir for this scenario;
                                        #   "{{FILES}}" in "request"/"env" is its path
     "freeze_time": "2026-03-22T06:35:00Z",  # botocore SigV4 signs at this time
     "token_reply": REPLY | [REPLY, ...],  # answers to OAuth token requests
                                        #   (default: the fixed token below)
     "error_details": bool,             # error also gets "body",
                                        #   "provider_specific_fields", "num_retries",
                                        #   "max_retries" (when set on the exception)
                                        #   and "response_headers" (the
                                        #   exception's litellm_response_headers)
     "note": str}
stdout: a JSON list, same order
    {"name", "model",
     "sent": REQUEST | null,            # the first request LiteLLM sent
     "extra_requests": [REQUEST, ...],  # any further ones (retries ...)
     "result": response.model_dump() | [chunk.model_dump(), ...] (stream=True)
               | null,
     "error": {"class", "status_code", "message", "llm_provider",
               "key_in_message", "phase"} | null,
     "token_requests": [TOKEN_REQUEST, ...]}   # only when there were any
    phase: "call" if completion()/acompletion() raised, "iteration" if
    iterating the stream did (stream=True only; always "call" otherwise).
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
     "body_base64": str,                 # raw bytes (e.g. an AWS event stream),
     "content_type": str,                #   with this content type, or
     "body": str, "content_type": str}   # anything else, verbatim
    (REPLY "delay": seconds sleeps before answering.)

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

Environment: at start every variable whose name ends in one of
_ENV_SUFFIXES or starts with one of _ENV_PREFIXES (GEMINI, ..., AZURE, AWS)
is removed, so no real credential or region leaks in; a scenario's "env"
sets (str) or removes (null) variables for that scenario and the previous
values are restored afterwards. "litellm_settings" likewise sets module
attributes (e.g. {"api_version": "2024-06-01"}) for one scenario.

Bedrock: LiteLLM signs with botocore and builds credentials with boto3,
neither of which is a litellm dependency (nor in the pinned venv): run with
PYTHONPATH pointing at an install of boto3, botocore, s3transfer, jmespath,
python-dateutil and six (make_bedrock_scenarios.py says how). Bedrock
scenarios set "api_key": null, since LiteLLM sends api_key as a Bedrock API
key (Authorization: Bearer) instead of signing. SigV4 headers (authorization,
x-amz-date) are kept as sent: they depend on the clock and, with a capture
api_base, on the port in the signed Host header, so they are volatile unless
the scenario has "freeze_time" and no api_base (default AWS URL, rerouted).
Azure: the openai SDK adds x-stainless-* headers (os, arch, runtime and
package versions, retry count, read timeout): machine-dependent.
Requests whose body is not JSON (e.g. form posts) are recorded as
{"_raw": text}.

Vertex AI (vertex_ai/, service-account credentials): LiteLLM hands the
"vertex_credentials" JSON to google-auth (not a litellm dependency; the
pinned venv installs google-auth 2.49.1), which signs an RS256 JWT and
exchanges it at the JSON's token_uri (https://oauth2.googleapis.com/token)
through the `requests` library. `requests` is rerouted like httpx (its
HTTPAdapter.send), so with "api_base": null both the token exchange and
https://{location}-aiplatform.googleapis.com/... reach the capture server.
An OAuth token request -- a POST whose body is application/x-www-form-urlencoded
and has a grant_type field, on any path -- is answered from "token_reply"
(default {"access_token": "ya29.test-token", "expires_in": 3599,
"token_type": "Bearer"}, status 200) and listed in "token_requests", never in
"sent"/"extra_requests":
    TOKEN_REQUEST = {"method": "POST", "path": original URL,
        "headers": {...},                 # as for REQUEST (x-goog-api-client
                                          #   names python/google-auth versions)
        "form": {name: value},            # form fields in order; the
                                          #   assertion's value becomes "<jwt>"
        "assertion_present": bool,
        "jwt": {"header": {...},          # decoded (alg, kid, typ)
                "claims": {...},          # decoded, minus iat and exp
                "exp_minus_iat": int,
                "iat_is_now": bool,       # |iat - now| <= 300 s
                "signature": "valid" | "invalid" | "unchecked"} | null}
    "signature" is checked (RS256, with cryptography) against the
    private_key of the scenario's request "vertex_credentials" (a JSON string,
    a dict or a file path) or of its env VERTEXAI_CREDENTIALS /
    GOOGLE_APPLICATION_CREDENTIALS; "unchecked" when there is none.
LiteLLM caches google-auth credentials (and so the token) per (credentials,
vertex_project) on its module-level VertexLLM objects: that cache is cleared
before each scenario unless it says "keep_clients": true, so each scenario
shows its own token exchange. An error also gets "token_in_message" (whether
a served access_token occurs in the message) when a token was served.
Vertex scenarios set "api_key": null. Async vertex scenarios need
"litellm_settings": {"disable_aiohttp_transport": true} to be rerouted
(google-auth's token request is sync `requests` even then).

Volatile fields to normalise before comparing: result.id (when the provider
reply carries no id: "chatcmpl-<uuid4>"; cohere never uses its reply id),
"created" everywhere, chunk ids (ollama_chat: a bare uuid4 per chunk),
tool-call ids LiteLLM generates ("call_<28 hex>" for gemini, optionally
followed by "__thought__<signature>"; "call_<uuid4>" for ollama/ JSON-mode
calls; a bare uuid4 for ollama_chat), audio expires_at, the capture port in
URLs, and tracebacks LiteLLM appends to some error messages (paths of the
venv). `provider_capture.py --normalise [names...]` applies exactly these
replacements (ids -> "<chatcmpl-id>", "<call-hex28>", "<call-uuid>", "<uuid>";
created/expires_at -> 0; "http://127.0.0.1:PORT" -> "{{CAPTURE}}"; message
text cut at "\nTraceback (most recent call last)"). Usage LiteLLM computes
itself (ollama replies without counts, cohere streams) comes from its
tokenizer, is deterministic, and is left as is. Everything else is
deterministic for a given reply.
"""

import asyncio
import base64
import contextlib
import copy
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from litellm_oracle import arm_hang_report

DROP_HEADERS = {"host", "content-length", "connection", "accept-encoding", "user-agent"}
KEY_RE = re.compile(r"((?:^|[?&])key=)[^&]*")
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def redact_path(path: str) -> str:
    return KEY_RE.sub(lambda m: m.group(1) + "<redacted>", path)


DEFAULT_TOKEN_REPLY = {
    "status": 200,
    "json": {"access_token": "ya29.test-token", "expires_in": 3599, "token_type": "Bearer"},
}


def _b64url_decode(seg: str) -> bytes:
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


def verify_rs256(signing_input: bytes, signature: bytes, pem_keys) -> str:
    if not pem_keys:
        return "unchecked"
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:
        return "unchecked"
    for pem in pem_keys:
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
            key.public_key().verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
            return "valid"
        except Exception:  # noqa: BLE001
            continue
    return "invalid"


def decode_jwt(token: str, pem_keys) -> dict | None:
    """Header, claims (iat/exp summarised) and signature check of a JWT."""
    try:
        h, c, sig = token.split(".")
        header = json.loads(_b64url_decode(h))
        claims = json.loads(_b64url_decode(c))
    except Exception:  # noqa: BLE001
        return None
    iat, exp = claims.pop("iat", None), claims.pop("exp", None)
    out = {
        "header": header,
        "claims": claims,
        "exp_minus_iat": exp - iat if isinstance(iat, int) and isinstance(exp, int) else None,
        "iat_is_now": isinstance(iat, (int, float)) and abs(iat - time.time()) <= 300,
        "signature": "unchecked",
    }
    if header.get("alg") == "RS256":
        out["signature"] = verify_rs256(f"{h}.{c}".encode(), _b64url_decode(sig), pem_keys)
    return out


def token_request_record(path: str, headers: dict, raw: bytes) -> dict:
    from urllib.parse import parse_qsl

    fields = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    form = {}
    assertion = None
    for k, v in fields:
        if k == "assertion":
            assertion = v
            v = "<jwt>"
        form[k] = v
    with State.lock:
        keys = list(State.verify_keys)
    return {
        "method": "POST",
        "path": path,
        "headers": dict(sorted(headers.items())),
        "form": form,
        "assertion_present": assertion is not None,
        "jwt": decode_jwt(assertion, keys) if assertion else None,
    }


def is_token_request(headers: dict, raw: bytes) -> bool:
    ctype = headers.get("content-type", "")
    if not ctype.startswith("application/x-www-form-urlencoded"):
        return False
    return b"grant_type=" in raw


class State:
    lock = threading.Lock()
    replies: list = []
    served = 0
    requests: list = []
    fetches: list = []
    side_requests = 0
    reroute = True
    token_replies: list = []
    token_served = 0
    token_requests: list = []
    served_tokens: list = []
    verify_keys: list = []


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
    elif "body_base64" in reply:
        body = base64.b64decode(reply["body_base64"])
        ctype = reply.get("content_type", "application/octet-stream")
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
        if is_token_request(headers, raw):
            rec = token_request_record(redact_path(original or self.path), headers, raw)
            with State.lock:
                State.token_requests.append(rec)
                replies = State.token_replies or [DEFAULT_TOKEN_REPLY]
                reply = replies[min(State.token_served, len(replies) - 1)]
                State.token_served += 1
                tok = (reply.get("json") or {}).get("access_token")
                if tok:
                    State.served_tokens.append(tok)
            self._send(*render_reply(reply))
            return
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
        if reply.get("delay"):
            time.sleep(float(reply["delay"]))
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
    reroute_requests(base)


def reroute_requests(base: str):
    """Same for the `requests` library (google-auth's token exchange)."""
    try:
        import requests.adapters
    except ImportError:
        return
    target = urlsplit(base)
    real_send = requests.adapters.HTTPAdapter.send

    def send(self, request, *a, **k):
        url = urlsplit(request.url)
        same = url.hostname == target.hostname and url.port == target.port
        if not same and State.reroute:
            request.headers["x-capture-original-url"] = request.url
            request.url = base + (url.path or "/") + ("?" + url.query if url.query else "")
        return real_send(self, request, *a, **k)

    requests.adapters.HTTPAdapter.send = send


# --------------------------------------------------------------------------
# LiteLLM driver
# --------------------------------------------------------------------------

_ENV_SUFFIXES = ("_API_KEY", "_API_BASE", "_API_TOKEN", "_TOKEN", "_BASE_URL", "_KEY", "_SECRET")
_ENV_PREFIXES = (
    "GEMINI", "GOOGLE", "VERTEX", "OLLAMA", "COHERE", "CO_API", "PALM", "OPENAI_", "LITELLM_PROXY",
    "AZURE", "AWS_", "BEDROCK",
)


def clean_env():
    for k in list(os.environ):
        if k in ("LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_MODE"):
            continue
        if k.endswith(_ENV_SUFFIXES) or k.startswith(_ENV_PREFIXES):
            del os.environ[k]


def import_litellm():
    arm_hang_report()
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


def freeze_time(stamp: str):
    """Make botocore's SigV4 signer see a fixed time (ISO 8601, UTC);
    returns the function that undoes it."""
    import datetime

    import botocore.auth

    fixed = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *a, **k: fixed

    def undo():
        botocore.auth.get_current_datetime = real

    return undo


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
        treplies = sc.get("token_reply") or []
        State.token_replies = treplies if isinstance(treplies, list) else [treplies]
        State.token_served = 0
        State.token_requests = []
        State.served_tokens = []
        State.verify_keys = credential_keys(sc)
    # LiteLLM mutates module globals on some paths (ollama + tools sets
    # litellm.add_function_to_prompt = True); reset so scenarios are independent.
    litellm.add_function_to_prompt = False
    # LiteLLM caches SDK clients (azure/openai) keyed without some auth
    # inputs (e.g. azure_ad_token), so a client built for one scenario would
    # be reused by the next: start each scenario with an empty cache unless
    # it says "keep_clients": true.
    if not sc.get("keep_clients"):
        litellm.in_memory_llm_clients_cache.flush_cache()
        flush_vertex_credentials()
    files_dir = None
    if sc.get("files"):
        files_dir = tempfile.mkdtemp(prefix="capture-files-")
        for fname, content in sc["files"].items():
            with open(os.path.join(files_dir, fname), "w") as f:
                f.write(content)
        kwargs = json.loads(json.dumps(kwargs).replace("{{FILES}}", files_dir))
    saved_env = {}
    for k, v in (sc.get("env") or {}).items():
        saved_env[k] = os.environ.get(k)
        if v is None:
            os.environ.pop(k, None)
        else:
            v = substitute(str(v), base)
            os.environ[k] = v.replace("{{FILES}}", files_dir) if files_dir else v
    unfreeze = freeze_time(sc["freeze_time"]) if sc.get("freeze_time") else None
    missing = object()
    saved_settings = {}
    for k, v in (sc.get("litellm_settings") or {}).items():
        saved_settings[k] = getattr(litellm, k, missing)
        setattr(litellm, k, v)

    result = None
    error = None
    chunks = []
    phase = ["call"]
    try:
        with contextlib.redirect_stdout(sys.stderr):
            if sc.get("async"):

                async def go():
                    resp = await litellm.acompletion(**kwargs)
                    phase[0] = "iteration"
                    if stream:
                        async for ch in resp:
                            chunks.append(dump(ch))
                        return None
                    return resp

                resp = asyncio.run(go())
            else:
                resp = litellm.completion(**kwargs)
                phase[0] = "iteration"
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
            "phase": phase[0] if stream else "call",
        }
        with State.lock:
            served_tokens = list(State.served_tokens)
        if served_tokens:
            error["token_in_message"] = any(t in msg for t in served_tokens)
        if sc.get("error_details"):
            for attr in ("body", "provider_specific_fields", "num_retries", "max_retries"):
                val = getattr(e, attr, None)
                if val is not None:
                    error[attr] = json.loads(json.dumps(val, default=str))
            hdrs = getattr(e, "litellm_response_headers", None)
            if not hdrs:
                hdrs = getattr(getattr(e, "response", None), "headers", None)
            if hdrs:
                error["response_headers"] = {k.lower(): v for k, v in hdrs.items()
                                             if k.lower() not in DROP_HEADERS | {"date", "server"}}
        if stream:
            result = chunks
        if os.environ.get("CAPTURE_TRACEBACK"):
            traceback.print_exc(file=sys.stderr)
    finally:
        if unfreeze:
            unfreeze()
        if files_dir:
            shutil.rmtree(files_dir, ignore_errors=True)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for k, v in saved_settings.items():
            if v is missing:
                delattr(litellm, k)
            else:
                setattr(litellm, k, v)
    with State.lock:
        reqs = list(State.requests)
        fetches = list(State.fetches)
        token_reqs = list(State.token_requests)
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
    if token_reqs:
        out["token_requests"] = token_reqs
    return out


def credential_keys(sc: dict) -> list:
    """private_key PEMs of the scenario's vertex_credentials (request kwarg
    vertex_credentials / vertex_ai_credentials, else env VERTEXAI_CREDENTIALS
    or GOOGLE_APPLICATION_CREDENTIALS;
    a JSON string, a dict, or a file: a "{{FILES}}/name" path is looked up in
    "files")."""
    request = sc.get("request") or {}
    files = sc.get("files") or {}
    creds = (request.get("vertex_credentials") or request.get("vertex_ai_credentials")
             or (sc.get("env") or {}).get("VERTEXAI_CREDENTIALS")
             or (sc.get("env") or {}).get("GOOGLE_APPLICATION_CREDENTIALS"))
    obj = None
    if isinstance(creds, dict):
        obj = creds
    elif isinstance(creds, str):
        text = creds
        if creds.startswith("{{FILES}}/"):
            text = files.get(creds[len("{{FILES}}/"):], "")
        elif os.path.exists(creds):
            with open(creds) as f:
                text = f.read()
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
    if isinstance(obj, dict) and isinstance(obj.get("private_key"), str):
        return [obj["private_key"]]
    return []


def flush_vertex_credentials():
    """Forget google-auth credentials (and tokens) LiteLLM cached on its
    VertexBase objects (vertex_chat_completion and friends)."""
    mod = sys.modules.get("litellm.llms.vertex_ai.vertex_llm_base")
    if mod is None:
        return
    base_cls = getattr(mod, "VertexBase", None)
    if base_cls is None:
        return
    import gc

    for o in gc.get_objects():
        try:
            if not isinstance(o, base_cls):
                continue
        except Exception:  # noqa: BLE001
            continue
        mapping = getattr(o, "_credentials_project_mapping", None)
        if isinstance(mapping, dict):
            mapping.clear()
        for attr in ("access_token", "_credentials", "project_id"):
            if hasattr(o, attr):
                setattr(o, attr, None)


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_VOLATILE = [
    (re.compile(r"^chatcmpl-" + _UUID + r"$"), "<chatcmpl-id>"),
    (re.compile(r"^call_" + _UUID + r"$"), "<call-uuid>"),
    (re.compile(r"^call_[0-9a-f]{28}(?=$|__thought__)"), "<call-hex28>"),
    (re.compile(r"^" + _UUID + r"$"), "<uuid>"),
]


def normalise(obj, base, key=None):
    """Replace the volatile values listed in the module docstring."""
    if isinstance(obj, dict):
        return {k: normalise(v, base, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [normalise(v, base) for v in obj]
    if isinstance(obj, str):
        obj = obj.replace(base, "{{CAPTURE}}")
        if key == "message":
            obj = obj.split("\nTraceback (most recent call last)")[0]
        if key == "id":
            for rx, rep in _VOLATILE:
                obj = rx.sub(rep, obj)
        return obj
    if key in ("created", "expires_at") and isinstance(obj, int):
        return 0
    return obj


def main():
    scenarios = json.load(sys.stdin)
    args = sys.argv[1:]
    norm = "--normalise" in args
    only = {a for a in args if not a.startswith("--")}
    srv, base = start_server()
    block_network()
    reroute_httpx(base)
    litellm = import_litellm()
    out = []
    for sc in scenarios:
        if only and sc["name"] not in only:
            continue
        print(f"provider_capture: {sc['name']}", file=sys.stderr, flush=True)
        out.append(run_scenario(litellm, base, sc))
    srv.shutdown()
    if norm:
        out = normalise(out, base)
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
