"""Reads wrk's --latency output; prints "rps p50 p90 p99 requests errors"
(latencies in ms; nan when wrk printed nothing usable)."""
import re
import sys

text = open(sys.argv[1]).read()


def ms(label: str) -> float:
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


requests = re.search(r"^\s*(\d+) requests in", text, re.M)
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(g) for g in socket.groups()) if socket else 0)
print(
    f"{float(rps.group(1)) if rps else 0:.1f} {ms('50'):.3f} {ms('90'):.3f} {ms('99'):.3f} "
    f"{int(requests.group(1)) if requests else 0} {errors}"
)
