#!/usr/bin/env bash
# Benchmark suite 1 (gateway overhead): the same chat request, non-streamed and
# streamed, sent with wrk straight to an instant upstream (tools/mock-provider),
# through nginx `proxy_pass`, through lmrelay's gateway and through LiteLLM's
# proxy (1.82.6, one worker), at concurrency 1, 16, 64 and 256, side by side in
# one run, ROUNDS times with the targets interleaved. Reported per cell: the
# median (and min-max) of requests per second, p50/p90/p99 latency, latency
# added over direct, the proxy's CPU microseconds per request (user+system from
# /proc, its child processes included) and its resident memory.
#
# Usage: bench/gateway.sh [SECONDS] [ROUNDS] [--no-litellm]   (default 5 s, 3 rounds)
# Output: Markdown on stdout, saved to bench/results/gateway.md, raw rows in
# bench/results/gateway.csv (the charts are drawn from it).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seconds=${1:-5}
rounds=${2:-3}
with_litellm=1
[ "${3:-}" = --no-litellm ] && with_litellm=0
need_tools nginx wrk
build_release

step "instant upstream (mock provider) and wrk on core 0; each proxy on core 1"
start_mock 0
start_nginx 1 ""
mock_config "$work/config.yaml"
start_lmrelay 1 "$work/config.yaml"
targets=(direct nginx lmrelay)
if [ "$with_litellm" = 1 ]; then
    start_litellm 1 "$work/config.yaml"
    targets+=(litellm)
fi

echo '{"model": "mock", "messages": [{"role": "user", "content": "Hello"}]}' > "$work/plain.json"
echo '{"model": "mock", "messages": [{"role": "user", "content": "Hello"}], "stream": true}' > "$work/stream.json"
wrk_post_script "$work/plain.json" "$work/plain.lua"
wrk_post_script "$work/stream.json" "$work/stream.lua"

csv=$work/gateway.csv
echo "round,mode,target,concurrency,rps,p50_ms,p90_ms,p99_ms,requests,errors,cpu_us_per_req,rss_mib,upstream_cpu_pct" > "$csv"
for round in $(seq "$rounds"); do
    for mode in plain stream; do
        for conc in 1 16 64 256; do
            threads=$(( conc < 2 ? 1 : 2 ))
            for target in "${targets[@]}"; do
                case $target in
                    direct) port=$mock_port; pid="" ;;
                    nginx) port=$nginx_port; pid=$nginx_pid ;;
                    lmrelay) port=$gw_port; pid=$gw_pid ;;
                    litellm) port=$lp_port; pid=$lp_pid ;;
                esac
                step "round $round: $mode, $conc clients, $target"
                before=0; [ -n "$pid" ] && before=$(cpu_ticks "$pid")
                mock_before=$(cpu_ticks "$mock_pid")
                read -r rps p50 p90 p99 n errors < <(run_wrk 0 "$threads" "$conc" "$seconds" "$work/$mode.lua" \
                    "http://127.0.0.1:$port/v1/chat/completions")
                cpu=""; rss=""
                if [ -n "$pid" ]; then
                    after=$(cpu_ticks "$pid")
                    [ "$n" -gt 0 ] && cpu=$(python3 -c "print(round(($after - $before) / $tick * 1e6 / $n, 1))")
                    rss=$(python3 -c "print(round($(rss_kib "$pid") / 1024, 1))")
                fi
                # The upstream's share of its core over the cell: well under 100% means
                # it was never the bottleneck.
                upstream=$(python3 -c "print(round(($(cpu_ticks "$mock_pid") - $mock_before) / $tick / $seconds * 100))")
                echo "$round,$mode,$target,$conc,$rps,$p50,$p90,$p99,$n,$errors,$cpu,$rss,$upstream" >> "$csv"
            done
        done
    done
done

mkdir -p bench/results
cp "$csv" bench/results/gateway.csv
litellm_note=""
[ "$with_litellm" = 1 ] && litellm_note=", LiteLLM $("$(dirname "$(bench/litellm-proxy-env.sh | tail -n 1)")/python" -c 'import importlib.metadata as m; print(m.version("litellm"))') proxy (one uvicorn worker, default logging)"
{
    echo "Machine: $(nproc) cores, $(uname -r); nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')$litellm_note; wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}')."
    echo "Upstream: tools/mock-provider (instant, release build) and wrk on core 0; the proxy under test alone on core 1."
    echo "Each cell: wrk for ${seconds} s, ${rounds} round(s) with the targets interleaved; the median is shown, (min-max) when there are several rounds."
    echo "CPU per request: the proxy's user+system time over the cell divided by the requests it served."
    echo "Upstream CPU %: the mock provider's share of its core during the cell (below 100: it was not the bottleneck; it shares core 0 with wrk)."
    echo
    python3 bench/py/tables.py gateway bench/results/gateway.csv
} | tee bench/results/gateway.md
