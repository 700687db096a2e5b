"""Creates N virtual keys through the gateway's POST /key/generate (8
keep-alive connections); prints the last key made.

Usage: python3 make_keys.py BASE_URL MASTER_KEY N
"""
import http.client
import json
import sys
import threading
import urllib.parse

base, master, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
url = urllib.parse.urlparse(base)
lock = threading.Lock()
state = {"left": total, "last": None, "error": None}


def worker() -> None:
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"Bearer {master}", "Content-Type": "application/json"}
    while True:
        with lock:
            if state["left"] <= 0 or state["error"]:
                return
            state["left"] -= 1
        conn.request("POST", "/key/generate", body=json.dumps({"models": ["mock"]}), headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            with lock:
                state["error"] = f"/key/generate answered {response.status}: {body[:200]!r}"
            return
        with lock:
            state["last"] = json.loads(body)["key"]


threads = [threading.Thread(target=worker) for _ in range(min(8, max(total, 1)))]
for t in threads:
    t.start()
for t in threads:
    t.join()
if state["error"]:
    sys.exit(f"make_keys: {state['error']}")
print(state["last"])
