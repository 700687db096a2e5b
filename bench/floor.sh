#!/usr/bin/env bash
# The floor of a Rust proxy, next to nginx and lmrelay: tools/proxy-floor (a
# bare hyper pass-through, with hyper's client or reqwest's) against the same
# instant upstream, wrk with 16 connections, ROUNDS rounds interleaved;
# CPU microseconds per request of each proxy (one core each, like suite 1).
#
# Usage: bench/floor.sh [SECONDS] [ROUNDS]   (default 5 s, 3 rounds)
# Output: the rounds on stdout; medians in bench/results/floor.md (BENCHMARKS.md
# includes it).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seconds=${1:-5}
rounds=${2:-3}
need_tools nginx wrk
build_release
cargo build --release --locked -q -p proxy-floor
start_mock 0
start_nginx 1 ""
floor_hyper_port=$(free_port)
taskset -c 1 "$bin/proxy-floor" hyper "$floor_hyper_port" "http://127.0.0.1:$mock_port/v1/chat/completions" &
floor_hyper_pid=$!
pids+=("$floor_hyper_pid")
floor_reqwest_port=$(free_port)
taskset -c 1 "$bin/proxy-floor" reqwest "$floor_reqwest_port" "http://127.0.0.1:$mock_port/v1/chat/completions" &
floor_reqwest_pid=$!
pids+=("$floor_reqwest_pid")
mock_config "$work/config.yaml"
start_lmrelay 1 "$work/config.yaml"
wait_port "$floor_hyper_port"
wait_port "$floor_reqwest_port"
echo '{"model": "mock", "messages": [{"role": "user", "content": "Hello"}]}' > "$work/plain.json"
wrk_post_script "$work/plain.json" "$work/plain.lua"
rows=$work/floor-rows.txt
: > "$rows"
echo "| round | target | req/s | CPU µs/req |"
echo "|---|---|---|---|"
for round in $(seq "$rounds"); do
    for target in nginx floor-hyper floor-reqwest lmrelay; do
        case $target in
            nginx) port=$nginx_port; pid=$nginx_pid ;;
            floor-hyper) port=$floor_hyper_port; pid=$floor_hyper_pid ;;
            floor-reqwest) port=$floor_reqwest_port; pid=$floor_reqwest_pid ;;
            lmrelay) port=$gw_port; pid=$gw_pid ;;
        esac
        before=$(cpu_ticks "$pid")
        read -r rps _ _ _ requests _ < <(run_wrk 0 2 16 "$seconds" "$work/plain.lua" "http://127.0.0.1:$port/v1/chat/completions")
        after=$(cpu_ticks "$pid")
        cpu=$(python3 -c "print(round(($after - $before) / $tick * 1e6 / max($requests, 1), 1))")
        echo "| $round | $target | $rps | $cpu |"
        echo "$target $cpu" >> "$rows"
    done
done
python3 - "$rows" "$seconds" "$rounds" > bench/results/floor.md <<'PY'
import statistics, sys
rows, seconds, rounds = sys.argv[1:]
cpu = {}
for line in open(rows):
    target, value = line.split()
    cpu.setdefault(target, []).append(float(value))
names = {
    "nginx": "nginx (`proxy_pass`, one worker)",
    "floor-hyper": "proxy-floor hyper (hyper server and client)",
    "floor-reqwest": "proxy-floor reqwest (hyper server, reqwest client)",
    "lmrelay": "lmrelay serve (the whole gateway)",
}
nginx = statistics.median(cpu["nginx"])
print("Machine: 2 cores. Upstream (tools/mock-provider) and wrk (2 threads, 16 connections) "
      "on core 0; each proxy alone on core 1. Each cell "
      f"{seconds} s, {rounds} rounds interleaved; CPU per request is the proxy's "
      "user+system time over the requests it served.")
print()
print("| target | CPU µs/req, median (min-max) | × nginx |")
print("|---|---|---|")
for target, name in names.items():
    values = cpu[target]
    median = statistics.median(values)
    print(f"| {name} | {median:.0f} ({min(values):.0f}-{max(values):.0f}) | {median / nginx:.2f} |")
PY
