#!/usr/bin/env bash
# Benchmark suite 5 (streaming): time to the first chunk and chunks per second,
# straight from an instant upstream (tools/mock-provider), through nginx, through
# lmrelay's gateway and through LiteLLM's proxy. One client
# (bench/py/stream_probe.py) sends streamed requests one after another; the
# difference to direct is what the proxy adds. Replies of 10 chunks time the
# first chunk; replies of 10,000 chunks measure throughput.
#
# Usage: bench/streaming.sh [REQUESTS] [ROUNDS] [--no-litellm]   (default 200 requests, 3 rounds)
# Output: Markdown on stdout, saved to bench/results/streaming.md; raw rows in
# bench/results/streaming.csv.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
requests=${1:-200}
rounds=${2:-3}
with_litellm=1
[ "${3:-}" = --no-litellm ] && with_litellm=0
need_tools nginx
build_release
start_mock 0
start_nginx 1 ""
cat > "$work/config.yaml" <<EOF
model_list:
  - model_name: short
    litellm_params: {model: openai/mock-model, api_base: "http://127.0.0.1:$mock_port/fault/chunks=10/v1", api_key: sk-bench}
  - model_name: long
    litellm_params: {model: openai/mock-model, api_base: "http://127.0.0.1:$mock_port/fault/chunks=10000/v1", api_key: sk-bench}
router_settings:
  num_retries: 0
EOF
start_lmrelay 1 "$work/config.yaml"
targets=(direct nginx lmrelay)
if [ "$with_litellm" = 1 ]; then
    start_litellm 1 "$work/config.yaml"
    targets+=(litellm)
fi

csv=$work/streaming.csv
echo "round,chunks,target,requests,ttft_ms,total_ms,chunks_per_s" > "$csv"
for round in $(seq "$rounds"); do
    for chunks in 10 10000; do
        model=$([ "$chunks" = 10 ] && echo short || echo long)
        n=$([ "$chunks" = 10 ] && echo "$requests" || echo $(( requests / 20 + 1 )))
        for target in "${targets[@]}"; do
            case $target in
                direct) url="http://127.0.0.1:$mock_port/fault/chunks=$chunks/v1/chat/completions" ;;
                nginx) url="http://127.0.0.1:$nginx_port/fault/chunks=$chunks/v1/chat/completions" ;;
                lmrelay) url="http://127.0.0.1:$gw_port/v1/chat/completions" ;;
                litellm) url="http://127.0.0.1:$lp_port/v1/chat/completions" ;;
            esac
            step "round $round: $chunks chunks, $target ($n requests)"
            # The proxy's first requests warm its connection pool: one untimed.
            taskset -c 0 python3 bench/py/stream_probe.py "$url" "$model" 1 60 > /dev/null
            taskset -c 0 python3 bench/py/stream_probe.py "$url" "$model" "$n" 30 > "$work/probe.out"
            python3 - "$work/probe.out" "$round" "$chunks" "$target" >> "$csv" <<'PY'
import statistics, sys
path, round_, chunks, target = sys.argv[1:]
rows = [tuple(map(float, line.split())) for line in open(path) if line.strip()]
ttft = statistics.median(r[0] for r in rows)
total = statistics.median(r[1] for r in rows)
got = statistics.median(r[2] for r in rows)
print(f"{round_},{chunks},{target},{len(rows)},{ttft:.3f},{total:.3f},{got / total * 1000:.0f}")
PY
        done
    done
done

mkdir -p bench/results
cp "$csv" bench/results/streaming.csv
{
    echo "Machine: $(nproc) cores, $(uname -r). Upstream and the client on core 0, the proxy on core 1."
    echo "Per round: the median over ${requests} requests (10-chunk replies) or $(( requests / 20 + 1 )) requests (10,000-chunk replies, at most 30 s), one at a time; ${rounds} round(s), median (min-max)."
    echo "chunks/s: chunks of a reply divided by the time to its end, as one client sees it (Python's http.client: the same client cost for every target)."
    echo
    python3 bench/py/tables.py streaming bench/results/streaming.csv
} | tee bench/results/streaming.md
