"""PNG charts from the benchmark CSVs in bench/results/ (those present):
gateway-latency.png, gateway-cpu.png, streams-memory.png, scaling.png,
streaming.png. Medians over rounds, as in the tables.

Usage: python3 charts.py RESULTS_DIR   (needs matplotlib: bench/charts.sh)
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"direct": "#888888", "nginx": "#2a9d8f", "lmrelay": "#e76f51", "litellm": "#264653"}
LABELS = {"direct": "direct (floor)", "nginx": "nginx proxy_pass", "lmrelay": "lmrelay", "litellm": "LiteLLM proxy"}


def rows(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def median(values):
    values = [float(v) for v in values if v not in ("", None) and float(v) == float(v)]
    return statistics.median(values) if values else None


def medians(data, keys, field):
    groups = defaultdict(list)
    for row in data:
        groups[tuple(row[k] for k in keys)].append(row[field])
    return {k: median(v) for k, v in groups.items()}


def gateway(directory, data):
    targets = [t for t in COLORS if any(r["target"] == t for r in data)]
    concs = sorted({int(r["concurrency"]) for r in data})
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, mode in zip(axes, ["plain", "stream"]):
        for field, style in (("p50_ms", "-"), ("p99_ms", "--")):
            m = medians(data, ["mode", "target", "concurrency"], field)
            for t in targets:
                ys = [m.get((mode, t, str(c))) for c in concs]
                ax.plot(concs, ys, style, marker="o", color=COLORS[t],
                        label=f"{LABELS[t]} {field[:3]}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(concs, [str(c) for c in concs])
        ax.set_xlabel("concurrent clients")
        ax.set_title(f"latency, {'non-streamed' if mode == 'plain' else 'streamed'} chat (solid p50, dashed p99)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms (log scale)")
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(os.path.join(directory, "gateway-latency.png"), dpi=110)
    plt.close(fig)

    proxies = [t for t in targets if t != "direct"]
    m = medians(data, ["mode", "target", "concurrency"], "cpu_us_per_req")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    width = 0.8 / max(len(proxies), 1)
    for ax, mode in zip(axes, ["plain", "stream"]):
        for i, t in enumerate(proxies):
            xs = [j + i * width for j in range(len(concs))]
            ys = [m.get((mode, t, str(c))) or 0 for c in concs]
            bars = ax.bar(xs, ys, width, color=COLORS[t], label=LABELS[t])
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
        ax.set_xticks([j + width * (len(proxies) - 1) / 2 for j in range(len(concs))], [str(c) for c in concs])
        ax.set_yscale("log")
        ax.set_xlabel("concurrent clients")
        ax.set_title(f"proxy CPU per request, {'non-streamed' if mode == 'plain' else 'streamed'}")
        ax.grid(True, axis="y", which="both", alpha=0.3)
    axes[0].set_ylabel("µs of CPU per request (log scale)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(directory, "gateway-cpu.png"), dpi=110)
    plt.close(fig)


def streams(directory, data):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for t in ["lmrelay", "nginx"]:
        points = sorted((int(r["open_streams"]), float(r["rss_mib"])) for r in data if r["target"] == t)
        ax.plot([max(p[0], 0.5) for p in points], [p[1] for p in points], marker="o", color=COLORS[t], label=LABELS[t])
    ax.axhline(100, color="#999999", linestyle=":", label="target at 1,000 streams: 100 MiB")
    ax.set_xscale("log")
    ax.set_xlabel("open streams (0 plotted at 0.5)")
    ax.set_ylabel("resident memory, MiB")
    ax.set_title("memory against open streams")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(directory, "streams-memory.png"), dpi=110)
    plt.close(fig)


def scaling(directory, data):
    dims = list(dict.fromkeys(r["dimension"] for r in data))
    fig, axes = plt.subplots(1, len(dims), figsize=(4 * len(dims), 4.2))
    axes = axes if len(dims) > 1 else [axes]
    m = medians(data, ["dimension", "value", "target"], "cpu_us_per_req")
    titles = {"prompt": "prompt size", "chunks": "streamed chunks per reply",
              "deployments": "deployments in the group", "keys": "virtual keys"}
    for ax, dim in zip(axes, dims):
        values = list(dict.fromkeys(r["value"] for r in data if r["dimension"] == dim))
        for t in ["lmrelay", "nginx"]:
            ys = [m.get((dim, v, t)) for v in values]
            if any(y is not None for y in ys):
                ax.plot(range(len(values)), ys, marker="o", color=COLORS[t], label=LABELS[t])
        ax.set_xticks(range(len(values)), values, fontsize=8)
        ax.set_yscale("log")
        ax.set_title(titles.get(dim, dim))
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("proxy CPU µs per request (log)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(directory, "scaling.png"), dpi=110)
    plt.close(fig)


def streaming(directory, data):
    targets = [t for t in COLORS if any(r["target"] == t for r in data)]
    ttft = medians(data, ["chunks", "target"], "ttft_ms")
    rate = medians(data, ["chunks", "target"], "chunks_per_s")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    bars = axes[0].bar([LABELS[t] for t in targets], [ttft.get(("10", t)) or 0 for t in targets],
                       color=[COLORS[t] for t in targets])
    axes[0].bar_label(bars, fmt="%.2f", fontsize=8)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("ms (log)")
    axes[0].set_title("time to first chunk (10-chunk replies)")
    bars = axes[1].bar([LABELS[t] for t in targets], [rate.get(("10000", t)) or 0 for t in targets],
                       color=[COLORS[t] for t in targets])
    axes[1].bar_label(bars, fmt="%.0f", fontsize=8)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("chunks per second (log)")
    axes[1].set_title("throughput (10,000-chunk replies)")
    for ax in axes:
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(True, axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(directory, "streaming.png"), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    directory = sys.argv[1]
    for name, draw in (("gateway.csv", gateway), ("streams.csv", streams),
                       ("scaling.csv", scaling), ("streaming.csv", streaming)):
        data = rows(directory, name)
        if data:
            draw(directory, data)
            print(f"charts: drew {name}", file=sys.stderr)
