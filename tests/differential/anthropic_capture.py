#!/usr/bin/env python3
"""Capture what LiteLLM sends to / makes of Anthropic's Messages API.

Runs inside the pinned LiteLLM venv (scripts/litellm-env.sh). Offline: a
local http.server on 127.0.0.1 (random port) plays Anthropic; every other
outbound connection is refused (socket-level), and LiteLLM is told to use its
bundled model-cost map and beta-header table (LITELLM_LOCAL_MODEL_COST_MAP,
LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS), so results do not depend on the net.

    PY="$(scripts/litellm-env.sh | tail -n1)"
    "$PY" tests/differential/anthropic_capture.py [--normalize] \
        < tests/differential/anthropic_scenarios.json > out.json

stdin : [{"name": str,
          "request": {litellm.completion kwargs except model/api_base/api_key},
          "model"?: str          (default "anthropic/claude-sonnet-4-5"),
          "async"?: bool          (use litellm.acompletion),
          "api_key"?: str         (default "sk-ant-test"),
          "routes"?: {path: reply} (other paths the fake server answers,
                                  e.g. an image for an http:// image_url),
          "api_base_suffix"?: str (appended to "http://127.0.0.1:PORT"),
          "env"?: {VAR: value}    (set for this scenario only),
          "litellm_settings"?: {"modify_params": bool, "drop_params": bool},
          "reply": {"status": int (default 200),
                    "headers"?: {name: value},
                    "body"?: JSON value | "raw"?: str | "raw_base64"?: str,
                    "sse"?: [{"event": str, "data": JSON value} | str]}}, ...]
        "sse" makes a text/event-stream reply: each dict becomes
        "event: <event>\\ndata: <json>\\n\\n", each str is written verbatim.
        "{BASE}" anywhere in "request" is replaced by http://127.0.0.1:PORT.
stdout: [{"name",
          "attempts": number of POST requests LiteLLM made,
          "other_requests"?: ["GET /path", ...] (e.g. image fetches),
          "sent": {"method", "path", "headers", "header_names", "body"} | null
                   (the first POST; headers are lowercase and limited to
                   anthropic-version, anthropic-beta, content-type, accept,
                   plus "x-api-key"/"authorization" as "<present>"),
          "result": ModelResponse.model_dump() | [chunk.model_dump(), ...] | null,
          "hidden_additional_headers": _hidden_params["additional_headers"] | null,
          "error": {"class", "status_code", "message", "llm_provider", "mro",
                    "retry_after", "litellm_response_headers",
                    "chunks_before_error"} | null}, ...]

Volatile fields (normalise before comparing): result.id ("chatcmpl-" +
uuid4, not Anthropic's msg_ id), result.created (int(time.time())),
chunk ids/created (one id per stream), and in hidden_additional_headers /
litellm_response_headers the date / server headers that http.server adds
(content-length is dropped too). --normalize replaces ids/created by "<id>"/"<created>" and drops
those headers; two normalised runs are then identical. LiteLLM proxy's
x-litellm-* response headers are not produced by litellm.completion at all.
"sent.path" is taken from the raw request line (http.server's self.path
would collapse a leading "//").
"""

import asyncio
import base64
import contextlib
import json
import os
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS"] = "True"

from litellm_oracle import case_env, import_litellm  # noqa: E402

DEFAULT_MODEL = "anthropic/claude-sonnet-4-5"
API_KEY = "sk-ant-test"
KEPT_HEADERS = ("anthropic-version", "anthropic-beta", "content-type", "accept",
                "anthropic-dangerous-direct-browser-access")
PRESENCE_HEADERS = ("x-api-key", "authorization")


# --------------------------------------------------------------------------
# network: loopback only
# --------------------------------------------------------------------------

def _is_loopback(host):
    return host in (None, "localhost", "::1") or (
        isinstance(host, str) and host.startswith("127.")
    )


def block_non_loopback():
    refused = []
    orig_gai = socket.getaddrinfo
    orig_connect = socket.socket.connect
    orig_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *a, **kw):
        if _is_loopback(host):
            return orig_gai(host, *a, **kw)
        refused.append(f"getaddrinfo:{host}")
        raise OSError(f"capture: network disabled (getaddrinfo {host})")

    def _ok(self, address):
        if self.family == getattr(socket, "AF_UNIX", None):
            return True
        return isinstance(address, tuple) and _is_loopback(address[0])

    def connect(self, address):
        if _ok(self, address):
            return orig_connect(self, address)
        refused.append(f"connect:{address}")
        raise OSError(f"capture: network disabled (connect {address})")

    def connect_ex(self, address):
        if _ok(self, address):
            return orig_connect_ex(self, address)
        refused.append(f"connect:{address}")
        raise OSError(f"capture: network disabled (connect {address})")

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    return refused


# --------------------------------------------------------------------------
# fake Anthropic
# --------------------------------------------------------------------------

class State:
    lock = threading.Lock()
    reply = None
    routes = {}
    requests = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # keep stderr quiet
        pass

    def _handle(self):
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        with State.lock:
            State.requests.append(
                {
                    "method": self.command,
                    # http.server collapses a leading "//" in self.path
                    # (open-redirect guard); keep the path as actually sent.
                    "path": (self.requestline.split(" ") + ["", ""])[1],
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
            path = (self.requestline.split(" ") + ["", ""])[1]
            reply = State.routes.get(path) or State.reply or {
                "status": 500, "body": {"error": "no reply set"}}
        status = int(reply.get("status", 200))
        headers = dict(reply.get("headers") or {})
        if "sse" in reply:
            parts = []
            for ev in reply["sse"]:
                if isinstance(ev, str):
                    parts.append(ev)
                else:
                    parts.append(
                        "event: {}\ndata: {}\n\n".format(ev["event"], json.dumps(ev["data"]))
                    )
            payload = "".join(parts).encode()
            headers.setdefault("content-type", "text/event-stream; charset=utf-8")
        elif "raw_base64" in reply:
            payload = base64.b64decode(reply["raw_base64"])
            headers.setdefault("content-type", "application/octet-stream")
        elif "raw" in reply:
            payload = reply["raw"].encode()
            headers.setdefault("content-type", "text/plain")
        else:
            payload = json.dumps(reply.get("body")).encode()
            headers.setdefault("content-type", "application/json")
        headers.setdefault("request-id", "req_capture_0001")
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _handle
    do_GET = _handle


def start_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------

def summarize_sent(req):
    if req is None:
        return None
    h = req["headers"]
    headers = {k: h[k] for k in KEPT_HEADERS if k in h}
    for k in PRESENCE_HEADERS:
        if k in h:
            headers[k] = "<present>"
    return {
        "method": req["method"],
        "path": req["path"],
        "headers": headers,
        "header_names": sorted(h),
        "body": req["body"],
    }


def _jsonable(x):
    return json.loads(json.dumps(x, default=repr))


def error_info(e, chunks_before=None):
    mro = [
        f"{c.__module__.split('.')[0]}.{c.__name__}"
        for c in type(e).__mro__
        if c.__module__.split(".")[0] in ("litellm", "openai")
    ]
    hdrs = getattr(e, "litellm_response_headers", None)
    hdrs_d = dict(hdrs) if hdrs is not None else None
    retry_after = None
    if hdrs_d:
        retry_after = {k: v for k, v in hdrs_d.items() if "retry-after" in k.lower()} or None
    msg = str(getattr(e, "message", None) or e)
    return {
        "class": type(e).__name__,
        "status_code": getattr(e, "status_code", None),
        "message": msg,
        "llm_provider": getattr(e, "llm_provider", None),
        "mro": mro,
        "retry_after": retry_after,
        "litellm_response_headers": _jsonable(hdrs_d) if hdrs_d is not None else None,
        "chunks_before_error": chunks_before,
    }


@contextlib.contextmanager
def litellm_settings(litellm, settings):
    saved = {k: getattr(litellm, k) for k in (settings or {})}
    try:
        for k, v in (settings or {}).items():
            setattr(litellm, k, v)
        yield
    finally:
        for k, v in saved.items():
            setattr(litellm, k, v)


def _subst(x, base):
    if isinstance(x, str):
        return x.replace("{BASE}", base)
    if isinstance(x, list):
        return [_subst(v, base) for v in x]
    if isinstance(x, dict):
        return {k: _subst(v, base) for k, v in x.items()}
    return x


def run_scenario(litellm, port, sc):
    base = f"http://127.0.0.1:{port}"
    State.reply = sc.get("reply") or {}
    State.routes = sc.get("routes") or {}
    State.requests = []
    kwargs = _subst(dict(sc.get("request") or {}), base)
    model = sc.get("model", DEFAULT_MODEL)
    api_key = sc.get("api_key", API_KEY)
    api_base = base + sc.get("api_base_suffix", "")
    use_async = bool(sc.get("async"))
    out = {
        "name": sc.get("name"),
        "attempts": 0,
        "sent": None,
        "result": None,
        "hidden_additional_headers": None,
        "error": None,
    }
    chunks = []

    def call():
        return litellm.completion(model=model, api_base=api_base, api_key=api_key, **kwargs)

    async def acall():
        resp = await litellm.acompletion(model=model, api_base=api_base, api_key=api_key, **kwargs)
        if kwargs.get("stream"):
            async for c in resp:
                chunks.append(c.model_dump())
            return None
        return resp

    with case_env(sc.get("env")), litellm_settings(litellm, sc.get("litellm_settings")), \
            contextlib.redirect_stdout(sys.stderr):
        try:
            if use_async:
                resp = asyncio.run(acall())
            else:
                resp = call()
                if kwargs.get("stream"):
                    for c in resp:
                        chunks.append(c.model_dump())
                    resp = None
            if kwargs.get("stream"):
                out["result"] = _jsonable(chunks)
            else:
                out["result"] = _jsonable(resp.model_dump())
                hp = getattr(resp, "_hidden_params", {}) or {}
                out["hidden_additional_headers"] = _jsonable(hp.get("additional_headers"))
        except Exception as e:  # noqa: BLE001 - the exception is the datum
            out["error"] = error_info(e, _jsonable(chunks) if kwargs.get("stream") else None)
            if os.environ.get("CAPTURE_TRACEBACK"):
                traceback.print_exc(file=sys.stderr)
    posts = [r for r in State.requests if r["method"] == "POST"]
    out["attempts"] = len(posts)
    out["sent"] = summarize_sent(posts[0] if posts else None)
    others = [f'{r["method"]} {r["path"]}' for r in State.requests if r["method"] != "POST"]
    if others:
        out["other_requests"] = others
    return out


_VOLATILE_HEADERS = ("date", "server", "llm_provider-date", "llm_provider-server",
                     "content-length", "llm_provider-content-length")


def normalize(results):
    """Replace the volatile values (see module doc) by placeholders, in place."""
    def norm_resp(r):
        if isinstance(r, dict):
            if "id" in r:
                r["id"] = "<id>"
            if "created" in r:
                r["created"] = "<created>"

    def drop_headers(h):
        if isinstance(h, dict):
            for k in _VOLATILE_HEADERS:
                h.pop(k, None)

    for out in results:
        res = out.get("result")
        if isinstance(res, list):
            for c in res:
                norm_resp(c)
        else:
            norm_resp(res)
        drop_headers(out.get("hidden_additional_headers"))
        err = out.get("error")
        if err:
            drop_headers(err.get("litellm_response_headers"))
            for c in err.get("chunks_before_error") or []:
                norm_resp(c)
    return results


def main():
    scenarios = json.load(sys.stdin)
    litellm = import_litellm()
    refused = block_non_loopback()
    srv = start_server()
    port = srv.server_address[1]
    try:
        results = []
        for sc in scenarios:
            print(f"anthropic_capture: {sc.get('name')}", file=sys.stderr, flush=True)
            results.append(run_scenario(litellm, port, sc))
    finally:
        srv.shutdown()
    if refused:
        print(f"capture: refused {len(refused)} non-loopback connection(s): {refused[:20]}",
              file=sys.stderr)
    if "--normalize" in sys.argv[1:]:
        normalize(results)
    json.dump(results, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
