#!/usr/bin/env bash
# Two builds of the gateway side by side at a fixed rate, in one run: the
# paced load generator of suite 1b (tools/paced-load, open loop over 64
# keep-alive connections) sends the same chat request to each build in
# turn, ROUNDS rounds of 5 s after 1 s of warm-up. Prints, per round and
# build, the p50 and p99 through the gateway (the whole time, not minus a
# direct run: an upper bound of what the gateway adds) and its CPU per
# request. What a latency change should be judged by on these noisy
# machines, as bench/compare.sh for CPU.
#
# Usage: bench/compare-latency.sh OLD_LMRELAY NEW_LMRELAY RATE [plain|stream] [ROUNDS]
#   (paths to two `lmrelay` binaries; the rate in requests a second;
#   plain by default; 3 rounds by default)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ $# -lt 3 ]; then
    echo "usage: bench/compare-latency.sh OLD_LMRELAY NEW_LMRELAY RATE [plain|stream] [ROUNDS]" >&2
    exit 2
fi
rate=$3
mode=${4:-plain}
rounds=${5:-3}
case $mode in
    plain) stream=false ;;
    stream) stream=true ;;
    *) echo "bench/compare-latency.sh: mode '$mode' is neither plain nor stream" >&2; exit 2 ;;
esac
if ! [[ $rate =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]]; then
    echo "bench/compare-latency.sh: RATE and ROUNDS must be positive whole numbers (got '$rate' and '$rounds')" >&2
    exit 2
fi
start_two_gateways bench/compare-latency.sh "$1" "$2"
cargo build --release --locked -q -p paced-load
echo "{\"model\": \"mock\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}], \"stream\": $stream}" > "$work/body.json"
echo "| round | build | p50 ms | p99 ms | CPU µs/req |"
echo "|---|---|---|---|---|"
for round in $(seq "$rounds"); do
    for target in old new; do
        case $target in
            old) pid=$old_pid port=$old_port ;;
            new) pid=$new_pid port=$new_port ;;
        esac
        before=$(cpu_ticks "$pid")
        read -r _ _ _ _ p50 _ p99 _ _ < <(taskset -c 0 "$release/paced-load" \
            "http://127.0.0.1:$port/v1/chat/completions" --body "$work/body.json" \
            --rate "$rate" --conns 64 --seconds 5 --warmup 1)
        after=$(cpu_ticks "$pid")
        # CPU over warm-up and measurement, per request sent in both.
        cpu=$(python3 -c "print(round(($after - $before) / $tick * 1e6 / ($rate * 6), 1))")
        echo "| $round | $target | $p50 | $p99 | $cpu |"
    done
done
