#!/usr/bin/env bash
# Benchmark suite 1 (gateway overhead), first part: the same chat request
# (non-streamed and streamed) sent with wrk straight to an instant upstream
# (tools/mock-provider), through nginx `proxy_pass`, and through lmrelay's
# gateway (`lmrelay serve`), at concurrency 1, 16, 64 and 256, side by side in
# one run. Reported: requests per second, p50/p99 latency, latency added over
# direct, the proxy's CPU microseconds per request (from /proc, user+system)
# and its resident memory. LiteLLM's proxy is not in this run yet.
#
# Usage: bench/gateway.sh [SECONDS]   (default 5 s per cell)
# Output: Markdown on stdout, also saved to bench/results/gateway.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-5}
step() { printf '==> %s\n' "$*" >&2; }
for tool in nginx wrk; do
    if ! command -v "$tool" >/dev/null; then
        step "installing $tool (Debian package)"
        apt-get install -y -qq "$([ "$tool" = nginx ] && echo nginx-light || echo wrk)" >/dev/null \
            || { echo "bench: install $tool (apt-get install nginx-light wrk)" >&2; exit 1; }
    fi
done
step "building release binaries"
cargo build --release --locked -q -p lmrelay-cli -p mock-provider
bin=$PWD/target/release
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }

step "instant upstream (mock provider, pinned to core 0 with the clients)"
mock_port=$(free_port)
taskset -c 0 "$bin/mock-provider" --port "$mock_port" > "$work/mock.out" 2>&1 &
pids+=($!)
wait_port "$mock_port"

step "nginx proxy_pass (one worker, core 1)"
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    upstream mock { server 127.0.0.1:$mock_port; keepalive 512; }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
taskset -c 1 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
wait_port "$nginx_port"
nginx_pid=$(pgrep -f "nginx: worker" | head -n 1)

step "lmrelay gateway (core 1)"
gw_port=$(free_port)
taskset -c 1 "$bin/lmrelay" serve --model openai/mock-model --model-name mock \
    --api-base "http://127.0.0.1:$mock_port/v1" --api-key sk-bench --num-retries 0 \
    --port "$gw_port" > "$work/gw.out" 2>&1 &
gw_pid=$!
pids+=("$gw_pid")
wait_port "$gw_port"

cat > "$work/plain.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "mock", "messages": [{"role": "user", "content": "Hello"}]}'
EOF
cat > "$work/stream.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "mock", "messages": [{"role": "user", "content": "Hello"}], "stream": true}'
EOF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
tick=$(getconf CLK_TCK)

echo "| mode | target | concurrency | req/s | p50 ms | p99 ms | p50 added ms | p99 added ms | proxy CPU µs/req | proxy RSS MiB |" > "$work/table.md"
echo "|---|---|---|---|---|---|---|---|---|---|" >> "$work/table.md"
for mode in plain stream; do
    for conc in 1 16 64 256; do
        threads=$(( conc < 2 ? 1 : 2 ))
        declare -A p50 p99
        for target in direct nginx lmrelay; do
            case $target in
                direct) url="http://127.0.0.1:$mock_port/v1/chat/completions"; pid="" ;;
                nginx) url="http://127.0.0.1:$nginx_port/v1/chat/completions"; pid=$nginx_pid ;;
                lmrelay) url="http://127.0.0.1:$gw_port/v1/chat/completions"; pid=$gw_pid ;;
            esac
            before=0; [ -n "$pid" ] && before=$(cpu_ticks "$pid")
            taskset -c 0 wrk -t"$threads" -c"$conc" -d"${seconds}s" --latency -s "$work/$mode.lua" "$url" > "$work/wrk.out" 2>&1
            after=0; [ -n "$pid" ] && after=$(cpu_ticks "$pid")
            python3 - "$work/wrk.out" "$mode" "$target" "$conc" "$before" "$after" "$tick" \
                "${pid:+$(rss_kib "$pid")}" "${p50[direct]:-}" "${p99[direct]:-}" >> "$work/table.md" <<'PY'
import re, sys
out, mode, target, conc, before, after, tick, rss, d50, d99 = sys.argv[1:]
text = open(out).read()
def ms(label):
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
reqs = re.search(r"^\s*(\d+) requests in", text, re.M)
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
n = int(reqs.group(1)) if reqs else 0
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
p50, p99 = ms("50"), ms("99")
cpu = (int(after) - int(before)) / int(tick) * 1e6 / n if n and target != "direct" else float("nan")
add50 = f"{p50 - float(d50):.3f}" if d50 and target != "direct" else ""
add99 = f"{p99 - float(d99):.3f}" if d99 and target != "direct" else ""
mem = f"{int(rss) / 1024:.1f}" if rss else ""
cpu_s = f"{cpu:.0f}" if cpu == cpu else ""
bad = f" ({errors.group(1)} errors)" if errors else ""
print(f"| {mode} | {target}{bad} | {conc} | {float(rps.group(1)) if rps else 0:.0f} | {p50:.3f} | {p99:.3f} | {add50} | {add99} | {cpu_s} | {mem} |")
print(f"{p50} {p99}", file=open(out + ".lat", "w"))
PY
            read -r l50 l99 < "$work/wrk.out.lat"
            p50[$target]=$l50; p99[$target]=$l99
        done
        unset p50 p99
    done
done
mkdir -p bench/results
{
    echo "Machine: $(nproc) cores, $(uname -r); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}')."
    echo "Upstream: tools/mock-provider (instant, release build) and wrk on core 0; the proxy under test on core 1."
    echo "Each cell: wrk for ${seconds} s. CPU per request is the proxy's user+system time over the cell divided by the requests it served."
    echo
    cat "$work/table.md"
} | tee bench/results/gateway.md
