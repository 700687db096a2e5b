#!/usr/bin/env bash
# Benchmark suite 2 (how cost grows): lmrelay's CPU per request and resident
# memory as the work grows, nginx beside it where nginx can do the same job:
#   prompt       request body of 1 KB .. 1 MB (one user message)
#   chunks       streamed reply of 10 .. 10,000 chunks
#   deployments  1 .. 1,000 deployments in the model group
#   keys         1 .. 100,000 virtual keys in the gateway (requests use one of them)
# (Open streams, 1 .. 5,000, are bench/streams.sh.) Upstream: tools/mock-provider
# and wrk on core 0, the proxy alone on core 1, as in bench/gateway.sh.
#
# Usage: bench/scaling.sh [SECONDS] [ROUNDS] [--quick]   (default 4 s, 3 rounds)
#   --quick stops each dimension one step short (100 KB, 1,000 chunks,
#   100 deployments, 10,000 keys).
# Output: Markdown on stdout, saved to bench/results/scaling.md; raw rows in
# bench/results/scaling.csv.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seconds=${1:-4}
rounds=${2:-3}
quick=0
[ "${3:-}" = --quick ] && quick=1
need_tools nginx wrk
build_release
start_mock 0
csv=$work/scaling.csv
echo "round,dimension,value,target,rps,p50_ms,p90_ms,p99_ms,requests,errors,cpu_us_per_req,rss_mib" > "$csv"

# measure DIMENSION VALUE TARGET PID PORT CONNS LUA
measure() {
    local dim=$1 value=$2 target=$3 pid=$4 port=$5 conns=$6 lua=$7 round before after cpu rss
    for round in $(seq "$rounds"); do
        step "$dim=$value through $target (round $round)"
        before=$(cpu_ticks "$pid")
        read -r rps p50 p90 p99 n errors < <(run_wrk 0 "$(( conns < 2 ? 1 : 2 ))" "$conns" "$seconds" "$lua" \
            "http://127.0.0.1:$port/v1/chat/completions")
        after=$(cpu_ticks "$pid")
        cpu=""; [ "$n" -gt 0 ] && cpu=$(python3 -c "print(round(($after - $before) / $tick * 1e6 / $n, 1))")
        rss=$(python3 -c "print(round($(rss_kib "$pid") / 1024, 1))")
        echo "$round,$dim,$value,$target,$rps,$p50,$p90,$p99,$n,$errors,$cpu,$rss" >> "$csv"
    done
}

# config FILE DEPLOYMENTS SPEC [general_settings lines]
config() {
    local file=$1 count=$2 spec=$3 i
    {
        echo "model_list:"
        for i in $(seq "$count"); do
            echo "  - model_name: mock"
            echo "    litellm_params: {model: openai/mock-model, api_base: \"http://127.0.0.1:$mock_port${spec}/v1\", api_key: sk-bench}"
            echo "    model_info: {id: deployment-$i}"
        done
        echo "router_settings: {num_retries: 0}"
        [ -z "${4:-}" ] || printf 'general_settings:\n%s\n' "$4"
    } > "$file"
}

chat_body() { python3 -c "
import json, sys
print(json.dumps({'model': 'mock', 'stream': sys.argv[2] == 'stream',
                  'messages': [{'role': 'user', 'content': 'x' * int(sys.argv[1])}]}))" "$1" "$2"; }

step "prompt size"
sizes=(1024 10240 102400 1048576)
[ "$quick" = 1 ] && sizes=(1024 10240 102400)
config "$work/plain.yaml" 1 ""
start_lmrelay 1 "$work/plain.yaml"
start_nginx 1 ""
for size in "${sizes[@]}"; do
    chat_body "$size" plain > "$work/prompt.json"
    wrk_post_script "$work/prompt.json" "$work/prompt.lua"
    label="$(( size / 1024 )) KB"
    measure prompt "$label" lmrelay "$gw_pid" "$gw_port" 8 "$work/prompt.lua"
    measure prompt "$label" nginx "$nginx_pid" "$nginx_port" 8 "$work/prompt.lua"
done

step "streamed reply length"
counts=(10 100 1000 10000)
[ "$quick" = 1 ] && counts=(10 100 1000)
chat_body 5 stream > "$work/stream.json"
wrk_post_script "$work/stream.json" "$work/stream.lua"
for chunks in "${counts[@]}"; do
    config "$work/chunks.yaml" 1 "/fault/chunks=$chunks"
    start_lmrelay 1 "$work/chunks.yaml"
    start_nginx 1 "/fault/chunks=$chunks"
    measure chunks "$chunks" lmrelay "$gw_pid" "$gw_port" 8 "$work/stream.lua"
    measure chunks "$chunks" nginx "$nginx_pid" "$nginx_port" 8 "$work/stream.lua"
    kill "$gw_pid" "$nginx_master" 2>/dev/null || true
done

step "deployments in the model group"
counts=(1 10 100 1000)
[ "$quick" = 1 ] && counts=(1 10 100)
chat_body 5 plain > "$work/small.json"
wrk_post_script "$work/small.json" "$work/small.lua"
for count in "${counts[@]}"; do
    config "$work/deployments.yaml" "$count" ""
    start_lmrelay 1 "$work/deployments.yaml"
    measure deployments "$count" lmrelay "$gw_pid" "$gw_port" 16 "$work/small.lua"
    kill "$gw_pid" 2>/dev/null || true
done

step "virtual keys"
counts=(1 100 10000 100000)
[ "$quick" = 1 ] && counts=(1 100 10000)
master=sk-bench-master-$RANDOM$RANDOM
config "$work/keys.yaml" 1 "" "  master_key: $master"
XDG_DATA_HOME=$work/data start_lmrelay 1 "$work/keys.yaml"
have=0
for count in "${counts[@]}"; do
    step "generating keys up to $count (POST /key/generate)"
    key=$(python3 bench/py/make_keys.py "http://127.0.0.1:$gw_port" "$master" $(( count - have )))
    have=$count
    wrk_post_script "$work/small.json" "$work/keyed.lua" "Authorization: Bearer $key"
    measure keys "$count" lmrelay "$gw_pid" "$gw_port" 16 "$work/keyed.lua"
done

mkdir -p bench/results
cp "$csv" bench/results/scaling.csv
{
    echo "Machine: $(nproc) cores, $(uname -r); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'). Upstream and wrk on core 0, the proxy on core 1."
    echo "Each cell: wrk for ${seconds} s, ${rounds} round(s); median (min-max). Connections: 8 (prompt, chunks), 16 (deployments, keys)."
    echo "Streams from tools/mock-provider's fault spec \`chunks=N\` (no delay between chunks)."
    echo
    python3 bench/py/tables.py scaling bench/results/scaling.csv
} | tee bench/results/scaling.md
