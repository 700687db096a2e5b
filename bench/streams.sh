#!/usr/bin/env bash
# Benchmark (suite 2, open streams): the gateway's resident memory idle and
# with N open streams, and its CPU per stream. The upstream
# (tools/mock-provider) answers every stream with 50 chunks 100 ms apart
# (5 s), so each client connection holds one open stream; wrk keeps N
# connections busy for 12 s and the RSS is read from /proc 6 s in. nginx
# (proxy_buffering off) is measured the same way.
#
# Usage: bench/streams.sh [N ...]   (default: 1 100 1000 5000)
# Output: Markdown on stdout, saved to bench/results/streams.md; raw rows in
# bench/results/streams.csv.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 100 1000 5000)
need_tools nginx wrk
build_release
spec="chunks=50,chunk_ms=100"
start_mock 0
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
start_lmrelay 1 "$work/config.yaml"
start_nginx 1 "/fault/$spec"
echo '{"model": "slow", "messages": [{"role": "user", "content": "Hello"}], "stream": true}' > "$work/stream.json"
wrk_post_script "$work/stream.json" "$work/stream.lua"

csv=$work/streams.csv
echo "open_streams,target,rss_mib,cpu_us_per_stream,streams_done,errors" > "$csv"
for target in lmrelay nginx; do
    pid=$([ "$target" = lmrelay ] && echo "$gw_pid" || echo "$nginx_pid")
    echo "0,$target,$(python3 -c "print(round($(rss_kib "$pid") / 1024, 1))"),,," >> "$csv"
done
for n in "${counts[@]}"; do
    for target in lmrelay nginx; do
        case $target in
            lmrelay) port=$gw_port; pid=$gw_pid ;;
            nginx) port=$nginx_port; pid=$nginx_pid ;;
        esac
        step "$n open streams through $target"
        before=$(cpu_ticks "$pid")
        taskset -c 0 wrk -t"$(( n < 2 ? 1 : 2 ))" -c"$n" -d12s --timeout 30s -s "$work/stream.lua" \
            "http://127.0.0.1:$port/v1/chat/completions" > "$work/wrk.out" 2>&1 &
        wrk_pid=$!
        sleep 6
        peak=$(python3 -c "print(round($(rss_kib "$pid") / 1024, 1))")
        wait "$wrk_pid" || true
        after=$(cpu_ticks "$pid")
        read -r _ _ _ _ done errors < <(python3 bench/py/wrk_parse.py "$work/wrk.out")
        cpu=""; [ "$done" -gt 0 ] && cpu=$(python3 -c "print(round(($after - $before) / $tick * 1e6 / $done))")
        echo "$n,$target,$peak,$cpu,$done,$errors" >> "$csv"
        sleep 1
    done
done

mkdir -p bench/results
cp "$csv" bench/results/streams.csv
{
    echo "Machine: $(nproc) cores, $(uname -r). Each stream: 50 chunks, 100 ms apart, from tools/mock-provider."
    echo "RSS read from /proc 6 s into a 12 s wrk run holding N connections (one open stream each); CPU per stream over the whole run."
    echo
    python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| open streams | lmrelay RSS MiB | nginx RSS MiB | lmrelay CPU µs/stream | nginx CPU µs/stream | streams completed (lmrelay / nginx) |")
print("|---|---|---|---|---|---|")
by = {(r["open_streams"], r["target"]): r for r in rows}
for n in dict.fromkeys(r["open_streams"] for r in rows):
    a, b = by[(n, "lmrelay")], by[(n, "nginx")]
    label = "0 (idle)" if n == "0" else n
    done = f"{a['streams_done']} / {b['streams_done']}" if n != "0" else ""
    errors = "".join(f" ({r['errors']} errors via {t})" for t, r in (("lmrelay", a), ("nginx", b)) if r["errors"] not in ("", "0"))
    print(f"| {label} | {a['rss_mib']} | {b['rss_mib']} | {a['cpu_us_per_stream']} | {b['cpu_us_per_stream']} | {done}{errors} |")
PY
} | tee bench/results/streams.md
