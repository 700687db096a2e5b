"""Sends streamed chat requests one after another over one keep-alive
connection and times each: to the first content chunk, and to the end.

Usage: python3 stream_probe.py URL MODEL REQUESTS MAX_SECONDS
Prints one line per request: "ttft_ms total_ms chunks" (chunks: SSE data
lines with choices; the first of them is the first chunk timed).
"""
import http.client
import json
import sys
import time
import urllib.parse

url, model, requests, max_seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
parts = urllib.parse.urlparse(url)
body = json.dumps({"model": model, "stream": True, "messages": [{"role": "user", "content": "Hello"}]})
headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
deadline = time.perf_counter() + max_seconds
for _ in range(requests):
    start = time.perf_counter()
    conn.request("POST", parts.path, body=body, headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        sys.exit(f"stream_probe: {url} answered {response.status}: {response.read()[:300]!r}")
    first = None
    chunks = 0
    pending = b""
    while True:
        data = response.read1(65536)
        if not data:
            break
        lines = (pending + data).split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.startswith(b"data:") and b'"choices"' in line:
                chunks += 1
                if first is None:
                    first = time.perf_counter()
    end = time.perf_counter()
    print(f"{((first or end) - start) * 1000:.3f} {(end - start) * 1000:.3f} {chunks}", flush=True)
    if time.perf_counter() > deadline:
        break
