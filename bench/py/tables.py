"""Markdown tables from the benchmark CSVs: the median over rounds, with the
min-max spread when there are several.

Usage: python3 tables.py SUITE FILE.csv   (SUITE: gateway, latency, scaling, streaming)
"""
import csv
import statistics
import sys
from collections import defaultdict


def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def summary(values, digits=0):
    values = [v for v in values if v is not None and v == v]
    if not values:
        return "", None
    med = statistics.median(values)
    text = f"{med:.{digits}f}"
    if len(values) > 1 and min(values) != max(values):
        text += f" ({min(values):.{digits}f}-{max(values):.{digits}f})"
    return text, med


def grouped(rows, keys):
    groups = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in keys)].append(row)
    return groups


def gateway(rows):
    groups = grouped(rows, ["mode", "concurrency", "target"])
    order = ["direct", "nginx", "lmrelay", "litellm"]
    upstream_col = any(r.get("upstream_cpu_pct") for r in rows)
    print("| mode | concurrency | target | req/s | p50 ms | p90 ms | p99 ms | p50 added ms | p99 added ms | CPU µs/req | RSS MiB | errors |"
          + (" upstream CPU % |" if upstream_col else ""))
    print("|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if upstream_col else ""))
    medians = {}
    cells = sorted({(r["mode"], int(r["concurrency"])) for r in rows}, key=lambda c: (c[0] != "plain", c[1]))
    for mode, conc in cells:
        direct = groups.get((mode, str(conc), "direct"), [])
        d50 = summary([num(r["p50_ms"]) for r in direct], 3)[1]
        d99 = summary([num(r["p99_ms"]) for r in direct], 3)[1]
        for target in order:
            group = groups.get((mode, str(conc), target))
            if not group:
                continue
            rps = summary([num(r["rps"]) for r in group])[0]
            p50, m50 = summary([num(r["p50_ms"]) for r in group], 3)
            p90 = summary([num(r["p90_ms"]) for r in group], 3)[0]
            p99, m99 = summary([num(r["p99_ms"]) for r in group], 3)
            cpu, mcpu = summary([num(r["cpu_us_per_req"]) for r in group])
            rss = summary([num(r["rss_mib"]) for r in group], 1)[0]
            errors = sum(int(r["errors"] or 0) for r in group)
            add50 = f"{m50 - d50:.3f}" if target != "direct" and m50 is not None and d50 is not None else ""
            add99 = f"{m99 - d99:.3f}" if target != "direct" and m99 is not None and d99 is not None else ""
            medians[(mode, conc, target)] = (mcpu, m99 - d99 if add99 else None)
            upstream = f" {summary([num(r.get('upstream_cpu_pct')) for r in group])[0]} |" if upstream_col else ""
            print(f"| {mode} | {conc} | {target} | {rps} | {p50} | {p90} | {p99} | {add50} | {add99} | {cpu} | {rss} | {errors or ''} |{upstream}")
    print()
    print("Ratios and targets (medians; the targets are the benchmark issue's):")
    print()
    print("| mode | concurrency | lmrelay CPU / nginx CPU (target ≤ 1.5) | LiteLLM CPU / lmrelay CPU (target ≥ 300) | lmrelay p99 added ms (target < 1 at 64) |")
    print("|---|---|---|---|---|")
    for mode, conc in cells:
        ours = medians.get((mode, conc, "lmrelay"))
        nginx = medians.get((mode, conc, "nginx"))
        theirs = medians.get((mode, conc, "litellm"))
        if not ours or not ours[0]:
            continue
        r1 = f"{ours[0] / nginx[0]:.2f} ({'met' if ours[0] / nginx[0] <= 1.5 else 'missed'})" if nginx and nginx[0] else ""
        r2 = f"{theirs[0] / ours[0]:.0f} ({'met' if theirs[0] / ours[0] >= 300 else 'missed'})" if theirs and theirs[0] else ""
        p99 = ""
        if ours[1] is not None:
            p99 = f"{ours[1]:.3f}"
            if conc == 64:
                p99 += " (met)" if ours[1] < 1 else " (missed)"
        print(f"| {mode} | {conc} | {r1} | {r2} | {p99} |")


def latency(rows):
    groups = grouped(rows, ["mode", "rate", "target"])
    print("| mode | offered req/s | target | reached req/s | p50 ms | p99 ms | p99.9 ms | p99 added ms | CPU µs/req | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    added = {}
    cells = sorted({(r["mode"], int(r["rate"])) for r in rows}, key=lambda c: (c[0] != "plain", c[1]))
    for mode, rate in cells:
        d99 = summary([num(r["p99_ms"]) for r in groups.get((mode, str(rate), "direct"), [])], 3)[1]
        for target in ["direct", "nginx", "lmrelay"]:
            group = groups.get((mode, str(rate), target))
            if not group:
                continue
            reached = summary([num(r["achieved_rps"]) for r in group])[0]
            p50 = summary([num(r["p50_ms"]) for r in group], 3)[0]
            p99, m99 = summary([num(r["p99_ms"]) for r in group], 3)
            p999 = summary([num(r["p999_ms"]) for r in group], 3)[0]
            cpu = summary([num(r["cpu_us_per_req"]) for r in group])[0]
            errors = sum(int(r["errors"] or 0) for r in group)
            add99 = ""
            if target != "direct" and m99 is not None and d99 is not None:
                add99 = f"{m99 - d99:.3f}"
                added[(mode, rate, target)] = m99 - d99
            print(f"| {mode} | {rate} | {target} | {reached} | {p50} | {p99} | {p999} | {add99} | {cpu} | {errors or ''} |")
    print()
    clients = ", ".join(sorted({r["conns"] for r in rows}, key=int))
    print(f"p99 added over direct (medians; {clients} clients), against the target of under 1 ms at 64 clients:")
    print()
    print("| mode | offered req/s | nginx p99 added ms | lmrelay p99 added ms |")
    print("|---|---|---|---|")
    for mode, rate in cells:
        theirs = added.get((mode, rate, "nginx"))
        ours = added.get((mode, rate, "lmrelay"))
        if ours is None:
            continue
        verdict = "met" if ours < 1 else "missed"
        nginx = f"{theirs:.3f}" if theirs is not None else ""
        print(f"| {mode} | {rate} | {nginx} | {ours:.3f} ({verdict}) |")


def scaling(rows):
    groups = grouped(rows, ["dimension", "value", "target"])
    print("| dimension | value | target | req/s | p50 ms | p99 ms | CPU µs/req | RSS MiB | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    seen = []
    for row in rows:
        key = (row["dimension"], row["value"], row["target"])
        if key not in seen:
            seen.append(key)
    for key in seen:
        group = groups[key]
        rps = summary([num(r["rps"]) for r in group])[0]
        p50 = summary([num(r["p50_ms"]) for r in group], 3)[0]
        p99 = summary([num(r["p99_ms"]) for r in group], 3)[0]
        cpu = summary([num(r["cpu_us_per_req"]) for r in group])[0]
        rss = summary([num(r["rss_mib"]) for r in group], 1)[0]
        errors = sum(int(r["errors"] or 0) for r in group)
        print(f"| {key[0]} | {key[1]} | {key[2]} | {rps} | {p50} | {p99} | {cpu} | {rss} | {errors or ''} |")


def streaming(rows):
    groups = grouped(rows, ["chunks", "target"])
    print("| chunks per reply | target | time to first chunk ms (median of requests) | added ms | whole stream ms | chunks/s |")
    print("|---|---|---|---|---|---|")
    seen = []
    for row in rows:
        key = (row["chunks"], row["target"])
        if key not in seen:
            seen.append(key)
    for chunks, target in seen:
        group = groups[(chunks, target)]
        ttft, mt = summary([num(r["ttft_ms"]) for r in group], 3)
        direct = summary([num(r["ttft_ms"]) for r in groups.get((chunks, "direct"), [])], 3)[1]
        total = summary([num(r["total_ms"]) for r in group], 2)[0]
        rate = summary([num(r["chunks_per_s"]) for r in group])[0]
        added = f"{mt - direct:.3f}" if target != "direct" and mt is not None and direct is not None else ""
        print(f"| {chunks} | {target} | {ttft} | {added} | {total} | {rate} |")


if __name__ == "__main__":
    suite, path = sys.argv[1], sys.argv[2]
    with open(path, newline="") as f:
        data = list(csv.DictReader(f))
    {"gateway": gateway, "latency": latency, "scaling": scaling, "streaming": streaming}[suite](data)
