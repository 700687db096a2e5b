#!/usr/bin/env bash
# Benchmark: the gateway's resident memory idle and with many open streams.
# The upstream (tools/mock-provider) answers every stream with 100 chunks
# 100 ms apart (10 s), so each client connection holds one open stream; wrk
# keeps N connections busy and the gateway's RSS is read from /proc in the
# middle of the run. nginx (proxy_buffering off) is measured the same way.
#
# Usage: bench/streams.sh [N ...]   (default: 1 100 1000)
# Output: Markdown on stdout, also saved to bench/results/streams.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 100 1000)
step() { printf '==> %s\n' "$*" >&2; }
for tool in nginx wrk; do
    command -v "$tool" >/dev/null || apt-get install -y -qq "$([ "$tool" = nginx ] && echo nginx-light || echo wrk)" >/dev/null \
        || { echo "bench: install $tool (apt-get install nginx-light wrk)" >&2; exit 1; }
done
step "building release binaries"
cargo build --release --locked -q -p lmrelay-cli -p mock-provider
bin=$PWD/target/release
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || true
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

spec="chunks=100,chunk_ms=100"
mock_port=$(free_port)
"$bin/mock-provider" --port "$mock_port" > "$work/mock.out" 2>&1 &
pids+=($!)
wait_port "$mock_port"

cat > "$work/config.yaml" <<EOF
model_list:
  - model_name: slow
    litellm_params:
      model: openai/mock-model
      api_base: http://127.0.0.1:$mock_port/fault/$spec/v1
      api_key: sk-bench
router_settings:
  num_retries: 0
EOF
gw_port=$(free_port)
"$bin/lmrelay" serve --config "$work/config.yaml" --port "$gw_port" > "$work/gw.out" 2>&1 &
gw_pid=$!
pids+=("$gw_pid")
wait_port "$gw_port"

nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
    access_log off;
    upstream mock { server 127.0.0.1:$mock_port; keepalive 512; }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://mock/fault/$spec/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
wait_port "$nginx_port"
nginx_pid=$(pgrep -f "nginx: worker" | head -n 1)

cat > "$work/stream.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "slow", "messages": [{"role": "user", "content": "Hello"}], "stream": true}'
EOF

idle_gw=$(rss_mib "$gw_pid")
idle_nginx=$(rss_mib "$nginx_pid")
echo "| open streams | lmrelay RSS MiB | nginx RSS MiB |" > "$work/table.md"
echo "|---|---|---|" >> "$work/table.md"
echo "| 0 (idle) | $idle_gw | $idle_nginx |" >> "$work/table.md"
for n in "${counts[@]}"; do
    row="| $n"
    for target in lmrelay nginx; do
        case $target in
            lmrelay) url="http://127.0.0.1:$gw_port/v1/chat/completions"; pid=$gw_pid ;;
            nginx) url="http://127.0.0.1:$nginx_port/v1/chat/completions"; pid=$nginx_pid ;;
        esac
        step "$n open streams through $target"
        threads=$(( n < 2 ? 1 : 2 ))
        wrk -t"$threads" -c"$n" -d8s --timeout 20s -s "$work/stream.lua" "$url" > "$work/wrk.out" 2>&1 &
        wrk_pid=$!
        sleep 6
        peak=$(rss_mib "$pid")
        wait "$wrk_pid" || true
        row="$row | $peak"
    done
    echo "$row |" >> "$work/table.md"
done
mkdir -p bench/results
{
    echo "Machine: $(nproc) cores, $(uname -r). Each stream: 100 chunks, 100 ms apart, from tools/mock-provider."
    echo "RSS read from /proc 6 s into an 8 s wrk run holding N connections (one open stream each)."
    echo
    cat "$work/table.md"
} | tee bench/results/streams.md
