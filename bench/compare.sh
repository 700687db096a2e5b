#!/usr/bin/env bash
# Two builds of the gateway side by side with nginx, in one run: the same
# chat request (plain and streamed) through each, rounds interleaved, CPU
# per request of each proxy. What a before/after of a change should be
# judged by on these noisy machines, where the absolute numbers of two
# separate runs can differ by a third.
#
# Usage: bench/compare.sh OLD_LMRELAY NEW_LMRELAY [SECONDS] [ROUNDS]
#   (paths to two `lmrelay` binaries; default 5 s per cell, 3 rounds;
#   CONNS="16 256" and MODES="plain stream" by default)
# Output: one line per cell, then the medians as a Markdown table.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ $# -lt 2 ]; then
    echo "usage: bench/compare.sh OLD_LMRELAY NEW_LMRELAY [SECONDS] [ROUNDS] (two lmrelay binaries)" >&2
    exit 2
fi
seconds=${3:-5}
rounds=${4:-3}
need_tools nginx wrk
start_two_gateways bench/compare.sh "$1" "$2"
start_nginx 1 ""
rows=$work/rows.txt
: > "$rows"
for mode in ${MODES:-plain stream}; do
    stream=false
    [ "$mode" = stream ] && stream=true
    echo "{\"model\": \"mock\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}], \"stream\": $stream}" > "$work/body.json"
    wrk_post_script "$work/body.json" "$work/post.lua"
    for conns in ${CONNS:-16 256}; do
        for round in $(seq "$rounds"); do
            for target in old new nginx; do
                case $target in
                    old) pid=$old_pid port=$old_port ;;
                    new) pid=$new_pid port=$new_port ;;
                    nginx) pid=$nginx_pid port=$nginx_port ;;
                esac
                before=$(cpu_ticks "$pid")
                read -r rps _ _ _ requests _ < <(run_wrk 0 "$(( conns < 2 ? 1 : 2 ))" "$conns" "$seconds" "$work/post.lua" "http://127.0.0.1:$port/v1/chat/completions")
                after=$(cpu_ticks "$pid")
                cpu=$(python3 -c "print(round(($after - $before) / $tick * 1e6 / max($requests, 1), 1))")
                echo "$mode $conns $round $target $rps $cpu"
                echo "$mode $conns $target $cpu" >> "$rows"
            done
        done
    done
done
echo
python3 - "$rows" <<'PY'
import statistics, sys
cells = {}
for line in open(sys.argv[1]):
    mode, conns, target, cpu = line.split()
    cells.setdefault((mode, int(conns)), {}).setdefault(target, []).append(float(cpu))
print("| mode | clients | old CPU µs/req | new CPU µs/req | nginx CPU µs/req | new / old | new / nginx |")
print("|---|---|---|---|---|---|---|")
for (mode, conns), by in cells.items():
    med = {t: statistics.median(v) for t, v in by.items()}
    span = {t: f"{min(v):.0f}-{max(v):.0f}" for t, v in by.items()}
    print(f"| {mode} | {conns} | {med['old']:.0f} ({span['old']}) | {med['new']:.0f} ({span['new']}) "
          f"| {med['nginx']:.0f} ({span['nginx']}) | {med['new'] / med['old']:.2f} | {med['new'] / med['nginx']:.2f} |")
PY
