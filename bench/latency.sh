#!/usr/bin/env bash
# Benchmark suite 1b (added latency at a fixed rate): 64 clients send the same
# chat request, plain and streamed, at a fixed total rate (open loop, with
# tools/paced-load) straight to the instant upstream, through nginx and
# through lmrelay's gateway, side by side, ROUNDS times with the targets
# interleaved. Suite 1 (wrk) is closed-loop: at 64 clients it keeps the proxy's
# core saturated, so its p99 is mostly the queue of 64 requests in front of
# one core. Here the load is what the rate says, and a request's latency runs
# from the moment it was due (see tools/paced-load), so the p99 added over
# direct is what a proxy adds at that load. Reported per cell: the rate
# reached, p50/p99/p99.9 latency, p99 added over direct, and the proxy's CPU
# per request (user+system from /proc).
#
# Usage: bench/latency.sh [SECONDS] [ROUNDS]   (default 5 s per cell after 1 s
#   of warm-up, 3 rounds; PLAIN_RATES="1000 2000 4000 8000",
#   STREAM_RATES="1000 2000 4000" and CONNS=64 by default: at 8,000 streams a
#   second the upstream and the load generator saturate their own core, and
#   the direct row is no longer a baseline)
# Output: Markdown on stdout, saved to bench/results/latency.md, raw rows in
# bench/results/latency.csv.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seconds=${1:-5}
rounds=${2:-3}
conns=${CONNS:-64}
need_tools nginx
build_release
cargo build --release --locked -q -p paced-load

step "instant upstream (mock provider) and the load generator on core 0; each proxy on core 1"
start_mock 0
start_nginx 1 ""
mock_config "$work/config.yaml"
start_lmrelay 1 "$work/config.yaml"
echo '{"model": "mock", "messages": [{"role": "user", "content": "Hello"}]}' > "$work/plain.json"
echo '{"model": "mock", "messages": [{"role": "user", "content": "Hello"}], "stream": true}' > "$work/stream.json"

csv=$work/latency.csv
echo "round,mode,rate,target,conns,achieved_rps,ok,errors,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,cpu_us_per_req" > "$csv"
for round in $(seq "$rounds"); do
    for mode in plain stream; do
        rates=${PLAIN_RATES:-1000 2000 4000 8000}
        [ "$mode" = stream ] && rates=${STREAM_RATES:-1000 2000 4000}
        for rate in $rates; do
            for target in direct nginx lmrelay; do
                case $target in
                    direct) port=$mock_port; pid="" ;;
                    nginx) port=$nginx_port; pid=$nginx_pid ;;
                    lmrelay) port=$gw_port; pid=$gw_pid ;;
                esac
                step "round $round: $mode, $rate req/s over $conns clients, $target"
                before=0; [ -n "$pid" ] && before=$(cpu_ticks "$pid")
                read -r _ achieved ok errors p50 p90 p99 p999 max < <(taskset -c 0 "$bin/paced-load" \
                    "http://127.0.0.1:$port/v1/chat/completions" --body "$work/$mode.json" \
                    --rate "$rate" --conns "$conns" --seconds "$seconds" --warmup 1)
                cpu=""
                if [ -n "$pid" ]; then
                    after=$(cpu_ticks "$pid")
                    # CPU over warm-up and measurement, per request sent in both.
                    cpu=$(python3 -c "print(round(($after - $before) / $tick * 1e6 / max(1, $rate * ($seconds + 1)), 1))")
                fi
                echo "$round,$mode,$rate,$target,$conns,$achieved,$ok,$errors,$p50,$p90,$p99,$p999,$max,$cpu" >> "$csv"
            done
        done
    done
done

mkdir -p bench/results
cp "$csv" bench/results/latency.csv
{
    echo "Machine: $(nproc) cores, $(uname -r); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'); load generator tools/paced-load (open loop, $conns keep-alive connections)."
    echo "Upstream: tools/mock-provider (instant, release build) and the load generator on core 0; the proxy under test alone on core 1."
    echo "Each cell: 1 s of warm-up, then ${seconds} s measured, ${rounds} round(s) with the targets interleaved; the median is shown, (min-max) when there are several rounds."
    echo "Latency: from the moment a request was due (or sent, if its client was idle then) to the end of the answer's body."
    echo
    python3 bench/py/tables.py latency bench/results/latency.csv
} | tee bench/results/latency.md
