# Shared helpers for the benchmark suites (sourced by bench/*.sh, not run).
#
# After `source bench/lib.sh`: the working directory is the repository root,
# $work is a scratch folder removed on exit with every process started here,
# and these are defined:
#   step MSG                      progress on stderr
#   need_tools TOOL...            installs nginx / wrk / hyperfine from Debian when missing
#   build_release                 release builds of lmrelay and the mock provider ($bin)
#   free_port, wait_port PORT [TRIES]
#   start_mock CPUS               instant upstream on $mock_port
#   start_nginx CPUS PREFIX       nginx proxy_pass to $mock_port$PREFIX on $nginx_port
#                                 (worker $nginx_pid, master $nginx_master)
#   mock_config FILE              a LiteLLM config.yaml with one deployment, `mock`, on $mock_port
#   start_lmrelay CPUS CONFIG [ARGS...]   gateway on $gw_port ($gw_pid)
#   start_litellm CPUS CONFIG     LiteLLM's proxy (pinned, one worker) on $lp_port ($lp_pid)
#   cpu_ticks PID, rss_kib PID    CPU (user+system, clock ticks) and RSS of PID and its children
#   run_wrk CPUS THREADS CONNS SECONDS LUA URL  -> prints "rps p50 p90 p99 requests errors" (ms)
#   wrk_post_script FILE OUT [HEADER...]  a wrk script POSTing the JSON in FILE
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '==> %s\n' "$*" >&2; }
work=$(mktemp -d)
pids=()
bench_cleanup() {
    for p in "${pids[@]}"; do
        pkill -TERM -P "$p" 2>/dev/null || true
        kill "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap bench_cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || true
tick=$(getconf CLK_TCK)

need_tools() {
    local tool pkg sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd=sudo
    for tool in "$@"; do
        command -v "$tool" >/dev/null && continue
        case $tool in nginx) pkg=nginx-light ;; *) pkg=$tool ;; esac
        step "installing $tool (Debian package $pkg)"
        $sudo_cmd apt-get install -y -qq "$pkg" >/dev/null 2>&1 \
            || { $sudo_cmd apt-get update -qq >/dev/null 2>&1 && $sudo_cmd apt-get install -y -qq "$pkg" >/dev/null; } \
            || { echo "bench: could not install $tool: run apt-get install $pkg" >&2; exit 1; }
    done
}

build_release() {
    step "building release binaries"
    cargo build --release --locked -q -p lmrelay-cli -p mock-provider
    bin=$PWD/target/release
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    local tries=${2:-100}
    for _ in $(seq "$tries"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench: port $1 never opened" >&2
    exit 1
}

start_mock() {
    mock_port=$(free_port)
    taskset -c "$1" "$bin/mock-provider" --port "$mock_port" > "$work/mock.out" 2>&1 &
    mock_pid=$!
    pids+=("$mock_pid")
    wait_port "$mock_port"
}

# nginx with one worker; PREFIX is added to the upstream path (a fault spec).
start_nginx() {
    nginx_port=$(free_port)
    local dir=$work/nginx-$nginx_port
    mkdir -p "$dir"
    cat > "$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
    access_log off;
    client_max_body_size 8m;
    upstream mock { server 127.0.0.1:$mock_port; keepalive 512; }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://mock${2:-}/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
        }
    }
}
EOF
    taskset -c "$1" nginx -c "$dir/nginx.conf" -p "$dir" &
    nginx_master=$!
    pids+=("$nginx_master")
    wait_port "$nginx_port"
    nginx_pid=$(pgrep -P "$nginx_master" -f "nginx: worker" | head -n 1)
}

mock_config() {
    cat > "$1" <<EOF
model_list:
  - model_name: mock
    litellm_params:
      model: openai/mock-model
      api_base: http://127.0.0.1:$mock_port/v1
      api_key: sk-bench
router_settings:
  num_retries: 0
EOF
}

start_lmrelay() {
    local cpus=$1 config=$2
    shift 2
    gw_port=$(free_port)
    taskset -c "$cpus" "$bin/lmrelay" serve --config "$config" --port "$gw_port" "$@" > "$work/gw-$gw_port.out" 2>&1 &
    gw_pid=$!
    pids+=("$gw_pid")
    wait_port "$gw_port"
}

# Two builds of the gateway on core 1, for the side-by-side scripts:
# checks that both are executables (naming the calling script), then starts
# the mock provider and both gateways on one config. Sets old_pid old_port
# new_pid new_port, and release (the directory of this tree's binaries).
start_two_gateways() {
    local script=$1 old=$2 new=$3 binary
    for binary in "$old" "$new"; do
        if [ ! -x "$binary" ]; then
            echo "$script: $binary is not an executable lmrelay binary: build one (cargo build --release -p lmrelay-cli) and copy target/release/lmrelay aside" >&2
            exit 2
        fi
    done
    old=$(realpath "$old")
    new=$(realpath "$new")
    build_release
    release=$bin
    start_mock 0
    mock_config "$work/config.yaml"
    mkdir -p "$work/old" "$work/new"
    ln -s "$old" "$work/old/lmrelay"
    ln -s "$new" "$work/new/lmrelay"
    bin=$work/old
    start_lmrelay 1 "$work/config.yaml"
    old_pid=$gw_pid old_port=$gw_port
    bin=$work/new
    start_lmrelay 1 "$work/config.yaml"
    new_pid=$gw_pid new_port=$gw_port
    bin=$release
}

# LiteLLM's proxy as its CLI starts it (one uvicorn worker), pinned release.
start_litellm() {
    local py
    py=$(bench/litellm-proxy-env.sh | tail -n 1)
    lp_port=$(free_port)
    step "starting LiteLLM's proxy (takes 10-30 s to import)"
    LITELLM_LOG=ERROR LITELLM_LOCAL_MODEL_COST_MAP=True \
        taskset -c "$1" "$(dirname "$py")/litellm" --config "$2" --host 127.0.0.1 --port "$lp_port" \
        --num_workers 1 > "$work/litellm-$lp_port.out" 2>&1 &
    lp_pid=$!
    pids+=("$lp_pid")
    wait_port "$lp_port" 900
}

# The process and its descendants (LiteLLM's proxy may fork a worker).
tree_pids() {
    local p=$1 c
    echo "$p"
    for c in $(pgrep -P "$p" 2>/dev/null); do tree_pids "$c"; done
}
cpu_ticks() {
    local sum=0 p
    for p in $(tree_pids "$1"); do
        [ -r "/proc/$p/stat" ] && sum=$(( sum + $(awk '{print $14 + $15}' "/proc/$p/stat") ))
    done
    echo "$sum"
}
rss_kib() {
    local sum=0 p
    for p in $(tree_pids "$1"); do
        [ -r "/proc/$p/status" ] && sum=$(( sum + $(awk '/VmRSS/ {print $2}' "/proc/$p/status") ))
    done
    echo "$sum"
}

run_wrk() {
    local cpus=$1 threads=$2 conns=$3 seconds=$4 lua=$5 url=$6
    taskset -c "$cpus" wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 10s --latency -s "$lua" "$url" \
        > "$work/wrk.out" 2>&1 || true
    python3 bench/py/wrk_parse.py "$work/wrk.out"
}

# A wrk script that POSTs the JSON in FILE with optional extra headers.
wrk_post_script() {
    local file=$1 out=$2
    shift 2
    {
        echo 'wrk.method = "POST"'
        echo 'wrk.headers["Content-Type"] = "application/json"'
        for h in "$@"; do echo "wrk.headers[\"${h%%:*}\"] = \"${h#*: }\""; done
        echo "local f = io.open(\"$file\", \"rb\"); wrk.body = f:read(\"*a\"); f:close()"
    } > "$out"
}
