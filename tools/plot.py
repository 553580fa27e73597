#!/usr/bin/env python3
"""Draws epara-sim results as PNG figures with matplotlib.

    epara-sim SCENARIO --sweep 1,2,4 --seeds 5 --json sweep.json
    tools/plot.py sweep.json --out figures/

Reads epara-sim's --json output (every figure) or its --csv output (the figures over load).
Over load, per strategy: goodput (items served within SLO per second) with the LP bound as a
reference line, SLO attainment, and the worst service's attainment — each the mean over the
seeds with its 95% confidence interval as a band. From JSON also, at the highest load: every
service's attainment and p99 latency per strategy (error bars over the seeds), each service's
latency CDF (a panel per service, a line per strategy), and, where the run searched it (--gpus-needed), the GPUs each strategy needs as a bracket. Every strategy
keeps one colour, marker and line style in every figure. Needs python3-matplotlib (Debian) or
matplotlib (PyPI).
"""

import argparse
import csv
import json
import math
import os
import sys
from collections import defaultdict

# Student's t at 97.5% for 1..30 degrees of freedom, as epara-sim's confidence intervals.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]

# One look per strategy in every figure; others take the next free look.
LOOKS = {
    "epara": ("tab:blue", "o", "-"),
    "nexus": ("tab:orange", "s", "--"),
    "alpaserve": ("tab:green", "^", "-."),
    "uncategorized": ("tab:red", "v", ":"),
    "offload": ("tab:purple", "D", (0, (5, 1))),
}
SPARE_LOOKS = [("tab:brown", "P", "-"), ("tab:pink", "X", "--"), ("tab:gray", "*", "-."),
               ("tab:olive", "h", ":"), ("tab:cyan", "<", (0, (3, 1, 1, 1)))]


def mean_and_half_width(values):
    """The mean and the half-width of its 95% confidence interval (0 for one value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    t = T975[n - 2] if n - 1 <= len(T975) else 1.96
    return mean, t * sd / math.sqrt(n)


def fail(path, message):
    sys.exit(f"{path}: {message}")


def read_json(path):
    with open(path) as f:
        try:
            runs = json.load(f)
        except json.JSONDecodeError as e:
            fail(path, f"line {e.lineno}: {e.msg} (expected epara-sim --json output)")
    if not isinstance(runs, list) or not runs:
        fail(path, "expected a non-empty list of runs (epara-sim --json output)")
    for i, run in enumerate(runs):
        for key in ("strategy", "load_scale", "goodput_per_s", "attainment", "worst_attainment",
                    "services"):
            if key not in run:
                fail(path, f"[{i}]: no '{key}' (expected epara-sim --json output)")
        run["bound_goodput_per_s"] = run.get("bound", {}).get("goodput_per_s")
    return runs


def read_csv(path):
    with open(path, newline="") as f:
        runs = list(csv.DictReader(f))
    if not runs:
        fail(path, "no rows (expected epara-sim --csv output)")
    need = {"strategy", "load_scale", "goodput_per_s", "attainment", "worst_attainment"}
    missing = need - set(runs[0])
    if missing:
        fail(path, f"missing columns {', '.join(sorted(missing))} (expected epara-sim --csv output)")
    for line, run in enumerate(runs, start=2):
        try:
            for key in ("load_scale", "goodput_per_s", "attainment", "worst_attainment"):
                run[key] = float(run[key])
            bound = run.get("bound_goodput_per_s")
            run["bound_goodput_per_s"] = float(bound) if bound else None
            needed = run.get("gpus_needed")
            run["gpus_needed"] = int(needed) if needed else None
            below = run.get("gpus_needed_below")
            run["gpus_needed_below"] = int(below) if below else None
        except ValueError as e:
            fail(f"{path}:{line}", str(e))
    return runs


def service_rows(runs, strategy, service):
    """The service's row in each of the strategy's runs (one per seed)."""
    return [next(s for s in r["services"] if s["service"] == service)
            for r in runs if r["strategy"] == strategy]


class Figures:
    def __init__(self, plt, out, title):
        self.plt, self.out, self.title = plt, out, title
        self.looks = {}

    def look(self, strategy):
        if strategy not in self.looks:
            used = set(self.looks.values())
            free = [l for l in SPARE_LOOKS if l not in used]
            self.looks[strategy] = LOOKS.get(strategy) or (free[0] if free else SPARE_LOOKS[0])
        return self.looks[strategy]

    def save(self, fig, ax, name):
        if self.title:
            fig.suptitle(self.title)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        path = os.path.join(self.out, name)
        fig.savefig(path, dpi=120)
        self.plt.close(fig)
        print(path)

    def over_load(self, runs, strategies, field, label, name, bound=False, unit_range=False):
        fig, ax = self.plt.subplots(figsize=(6.4, 4.0))
        loads = sorted({r["load_scale"] for r in runs})
        for strategy in strategies:
            xs, means, lows, highs = [], [], [], []
            for load in loads:
                values = [r[field] for r in runs
                          if r["strategy"] == strategy and r["load_scale"] == load]
                if not values:
                    continue
                mean, half = mean_and_half_width(values)
                xs.append(load)
                means.append(mean)
                # An attainment's interval stops at 0 and 1, where the figure does.
                lows.append(max(0.0, mean - half) if unit_range else mean - half)
                highs.append(min(1.0, mean + half) if unit_range else mean + half)
            colour, marker, style = self.look(strategy)
            if len(loads) > 1:
                ax.plot(xs, means, color=colour, marker=marker, linestyle=style, label=strategy)
                ax.fill_between(xs, lows, highs, color=colour, alpha=0.15, linewidth=0)
            else:
                ax.bar(strategy, means[0], color=colour, yerr=highs[0] - means[0], capsize=4)
        if bound:
            points = sorted({(r["load_scale"], r["bound_goodput_per_s"]) for r in runs
                             if r.get("bound_goodput_per_s") is not None})
            if points and len(loads) > 1:
                ax.plot([x for x, _ in points], [y for _, y in points], color="black",
                        linestyle="--", linewidth=1, label="bound (LP)")
            elif points:
                ax.axhline(points[0][1], color="black", linestyle="--", linewidth=1,
                           label="bound (LP)")
        if unit_range:
            ax.set_ylim(0, 1.02)
        if len(loads) > 1:
            ax.set_xlabel("load (x the scenario's demand)")
        else:
            ax.set_xlabel(f"strategy (load x{loads[0]:g})")
        ax.set_ylabel(label)
        if len(loads) > 1 or bound:
            ax.legend(fontsize="small")
        self.save(fig, ax, name)

    def by_service(self, runs, strategies, field, label, name, log=False):
        """Grouped bars: one group per service, one bar per strategy (mean ± 95% CI)."""
        services = [s["service"] for s in runs[0]["services"] if s["offered"] > 0]
        width = 0.8 / len(strategies)
        fig, ax = self.plt.subplots(figsize=(max(6.4, 1.1 * len(services) + 2), 4.2))
        for k, strategy in enumerate(strategies):
            means, errors = [], []
            for service in services:
                values = [row[field] for row in service_rows(runs, strategy, service)
                          if field == "attainment" or row["served"] + row["late"] > 0]
                mean, half = mean_and_half_width(values) if values else (float("nan"), 0.0)
                means.append(mean)
                errors.append(half)
            colour, _, _ = self.look(strategy)
            xs = [i + (k - (len(strategies) - 1) / 2) * width for i in range(len(services))]
            ax.bar(xs, means, width, yerr=errors, capsize=2, color=colour, label=strategy)
        ax.set_xticks(range(len(services)))
        ax.set_xticklabels(services, rotation=30, ha="right")
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        else:
            ax.set_ylim(0, 1.02)
        # Above the bars, which fill the axes from 0 to 1.
        ax.legend(fontsize="small", ncol=min(len(strategies), 5), loc="lower center",
                  bbox_to_anchor=(0.5, 1.0), frameon=False)
        self.save(fig, ax, name)

    def latency_cdfs(self, runs, strategies, name):
        """One panel per service: the CDF of its answered requests' latency (served or late;
        rejected ones have none), a line per strategy. Over seeds, the latency at each quantile
        is the mean of the seeds' (the quantile average of their distributions)."""
        services = [s["service"] for s in runs[0]["services"] if s["offered"] > 0]
        columns = min(3, len(services))
        rows = -(-len(services) // columns)
        fig, axes = self.plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows),
                                      squeeze=False)
        for panel, service in zip(axes.flat, services):
            for strategy in strategies:
                curves = [row["latency_cdf"] for row in service_rows(runs, strategy, service)
                          if row.get("latency_cdf")]
                if not curves:
                    continue
                qs = [q for _, q in curves[0]]
                seconds = [sum(c[k][0] for c in curves) / len(curves) for k in range(len(qs))]
                colour, _, style = self.look(strategy)
                panel.plot(seconds, qs, color=colour, linestyle=style, label=strategy)
            low, high = panel.get_xlim()
            wide = low > 0 and high / low >= 10  # a log axis under a decade has no clear ticks
            if wide:
                panel.set_xscale("log")
            panel.set_ylim(0, 1.02)
            panel.set_title(service, fontsize="medium")
            panel.set_xlabel("latency, s (log scale)" if wide else "latency, s")
            panel.set_ylabel("fraction answered")
            panel.grid(True, alpha=0.3)
        for panel in list(axes.flat)[len(services):]:
            panel.set_visible(False)
        axes.flat[0].legend(fontsize="small")
        self.save(fig, axes.flat[0], name)

    def gpus_needed(self, runs, strategies, name):
        """Bars at the GPUs each strategy needs, with the bracket's lower end (the largest
        cluster found short of the target) as a line down the bar."""
        fig, ax = self.plt.subplots(figsize=(6.4, 4.0))
        for strategy in strategies:
            row = next(r for r in runs if r["strategy"] == strategy)
            colour, _, _ = self.look(strategy)
            if row.get("gpus_needed") is None:
                ax.bar(strategy, 0, color=colour)
                ax.annotate("not reached", (strategy, 0), ha="center", va="bottom")
                continue
            ax.bar(strategy, row["gpus_needed"], color=colour)
            ax.plot([strategy, strategy], [row.get("gpus_needed_below") or 0, row["gpus_needed"]],
                    color="black")
        ax.set_ylabel("GPUs needed (line: from the largest cluster short)")
        self.save(fig, ax, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="epara-sim --json (or --csv) output")
    parser.add_argument("--out", default=".", help="folder for the PNG files (default: .)")
    parser.add_argument("--title", default="", help="a title above each figure")
    args = parser.parse_args()

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("tools/plot.py needs matplotlib: apt-get install python3-matplotlib")

    if not os.path.isfile(args.results):
        sys.exit(f"{args.results}: no such file")
    with open(args.results) as f:
        is_json = f.read(1) in "[{"
    runs = read_json(args.results) if is_json else read_csv(args.results)
    strategies = list(dict.fromkeys(r["strategy"] for r in runs))
    os.makedirs(args.out, exist_ok=True)
    figures = Figures(plt, args.out, args.title)
    figures.over_load(runs, strategies, "goodput_per_s", "goodput (items within SLO / s)",
                      "goodput-vs-load.png", bound=True)
    figures.over_load(runs, strategies, "attainment", "SLO attainment",
                      "attainment-vs-load.png", unit_range=True)
    figures.over_load(runs, strategies, "worst_attainment", "worst service's SLO attainment",
                      "worst-service-vs-load.png", unit_range=True)
    if is_json:
        top = max(r["load_scale"] for r in runs)
        at_top = [r for r in runs if r["load_scale"] == top]
        figures.by_service(at_top, strategies, "attainment", f"SLO attainment (load x{top:g})",
                           "attainment-by-service.png")
        figures.by_service(at_top, strategies, "p99_latency_s",
                           f"p99 latency, s (load x{top:g}; log scale)",
                           "p99-latency-by-service.png", log=True)
        if any(s.get("latency_cdf") for r in at_top for s in r["services"]):
            figures.latency_cdfs(at_top, strategies, "latency-cdf.png")
    if any(r.get("gpus_needed_below") is not None for r in runs):  # --gpus-needed was run
        figures.gpus_needed(runs, strategies, "gpus-needed.png")


if __name__ == "__main__":
    main()
