#!/usr/bin/env python3
"""Per-expression libpcap / bombus ratios from bombus-bench-net JSON output.

Usage: bombus-bench-net --benchmark_filter='Filter/[0456]/' --benchmark_repetitions=5 \\
         --benchmark_enable_random_interleaving=true --benchmark_format=json > out.json
       filter_ratio.py out.json [more.json ...]

Takes each benchmark's median ns/packet (the ns/pkt counter) over all repetitions in all files
given and prints, per expression and packet order (BM_Filter fixed and shuffled, BM_FilterFresh),
libpcap's bpf_filter (engine 0) and each batch body that ran: 4 the lean JIT's branchy body,
5 its branch-free body, 6 the vector JIT; each with libpcap / engine. "best" is libpcap over
the fastest of 4, 5 and 6: the body `bombus filter` keeps after timing them on its first
batches.
"""
import json
import statistics
import sys

NAMES = {4: "branchy", 5: "flat", 6: "vector", 7: "vec-eager"}


def load(path, runs, labels):
    """Adds {(kind, expr, engine): [ns/pkt per repetition]} and {(kind, expr): label}."""
    with open(path) as f:
        data = json.load(f)
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration" or "ns/pkt" not in b:
            continue
        parts = b["name"].split("/")
        if parts[0] == "BM_Filter":
            kind = "shuffled" if len(parts) > 3 and parts[3] == "1" else "fixed"
        elif parts[0] == "BM_FilterFresh":
            kind = "fresh"
        else:
            continue
        engine, expr = int(parts[1]), int(parts[2])
        ns = b["ns/pkt"] * 1e9 if b["ns/pkt"] < 1e-3 else b["ns/pkt"]
        runs.setdefault((kind, expr, engine), []).append(ns)
        label = b.get("label", "").split(": ", 1)[-1]
        labels[(kind, expr)] = label or '"" (accept all)'


def main():
    runs, labels = {}, {}
    for path in sys.argv[1:]:
        load(path, runs, labels)
    for kind, expr in sorted(labels, key=lambda k: (["fixed", "shuffled", "fresh"].index(k[0]), k[1])):
        base = runs.get((kind, expr, 0))
        if not base:
            continue
        lib = statistics.median(base)
        cells, best = [], None
        for e, name in NAMES.items():
            v = runs.get((kind, expr, e))
            if not v:
                continue
            m = statistics.median(v)
            best = m if best is None else min(best, m)
            cells.append(f"{name} {m:6.2f} {lib / m:5.1f}x")
        line = f"{kind:<8} {labels[(kind, expr)]:<66} libpcap {lib:7.2f}  " + "  ".join(cells)
        if best:
            line += f"  best {lib / best:5.1f}x"
        print(line)


if __name__ == "__main__":
    main()
