#!/usr/bin/env python3
"""Per-expression libpcap / lean-JIT ratio from bombus-bench-net JSON output.

Usage: bombus-bench-net --benchmark_filter='Filter/[04]/' --benchmark_repetitions=5 \\
         --benchmark_enable_random_interleaving=true --benchmark_format=json > out.json
       filter_ratio.py out.json [more.json ...]

Takes each benchmark's median CPU time per packet (ns/pkt counter) over all repetitions in all
files given and prints, per expression, libpcap (engine 0) ns/packet, lean batch JIT (engine 4)
ns/packet and their ratio, plus the lowest and highest per-run ratio when several files are
given; with engine 5 (the branch-free body, --benchmark_filter='Filter/[045]/') also its ns/packet
and ratio.
"""
import json
import statistics
import sys


def load(path):
    """{(engine, expr): [ns/pkt per repetition]} and {expr: label} from one JSON file."""
    with open(path) as f:
        data = json.load(f)
    runs, labels = {}, {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration" or not b["name"].startswith("BM_Filter/"):
            continue
        parts = b["name"].split("/")
        engine, expr, order = parts[1], parts[2], parts[3] if len(parts) > 3 else "0"
        key = (int(engine), int(expr) + 100 * int(order))
        runs.setdefault(key, []).append(b["ns/pkt"] * 1e9 if b["ns/pkt"] < 1e-3 else b["ns/pkt"])
        labels[key[1]] = ("(shuffled) " if order != "0" else "") + b.get("label", "").split(": ", 1)[-1]
    return runs, labels


def main():
    all_runs, labels, per_file = {}, {}, []
    for path in sys.argv[1:]:
        runs, lab = load(path)
        labels.update(lab)
        per_file.append(runs)
        for k, v in runs.items():
            all_runs.setdefault(k, []).extend(v)
    flat = any(k[0] == 5 for k in all_runs)
    print(f"{'expression':<66} {'libpcap':>8} {'lean':>6} {'ratio':>6}  per-run" +
          (f"  {'flat':>6} {'ratio':>6}" if flat else ""))
    for expr in sorted(labels):
        a, b = all_runs.get((0, expr)), all_runs.get((4, expr))
        if not a or not b:
            continue
        la, lb = statistics.median(a), statistics.median(b)
        spread = [statistics.median(r[(0, expr)]) / statistics.median(r[(4, expr)])
                  for r in per_file if (0, expr) in r and (4, expr) in r]
        rng = f"{min(spread):.1f}-{max(spread):.1f}" if len(spread) > 1 else ""
        name = labels[expr] or '"" (accept all)'
        line = f"{name:<66} {la:8.2f} {lb:6.2f} {la / lb:5.1f}x  {rng:<9}"
        if flat and all_runs.get((5, expr)):
            lf = statistics.median(all_runs[(5, expr)])
            line += f" {lf:6.2f} {la / lf:5.1f}x"
        print(line)


if __name__ == "__main__":
    main()
