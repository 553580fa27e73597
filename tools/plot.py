#!/usr/bin/env python3
"""Draws epara-sim results (its --csv output) as PNG figures with matplotlib.

    epara-sim SCENARIO --sweep 1,2,3,4 --csv sweep.csv
    tools/plot.py sweep.csv --out figures/

writes goodput-vs-load.png (items served within SLO per second, per allocator, against the
load factor) and attainment-vs-load.png (SLO attainment against the load factor). With a
single load factor in the file, it draws bar charts of the same two figures instead.
Needs python3-matplotlib (Debian) or matplotlib (PyPI).
"""

import argparse
import csv
import os
import sys
from collections import defaultdict


def read_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    need = {"allocator", "load_scale", "goodput_per_s", "attainment"}
    if not rows:
        sys.exit(f"{path}: no rows (expected epara-sim --csv output)")
    missing = need - set(rows[0])
    if missing:
        sys.exit(f"{path}: missing columns {', '.join(sorted(missing))} (expected epara-sim --csv output)")
    for line, row in enumerate(rows, start=2):
        try:
            row["load_scale"] = float(row["load_scale"])
            row["goodput_per_s"] = float(row["goodput_per_s"])
            row["attainment"] = float(row["attainment"])
        except ValueError as e:
            sys.exit(f"{path}:{line}: {e}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", help="epara-sim --csv output")
    parser.add_argument("--out", default=".", help="folder for the PNG files (default: .)")
    parser.add_argument("--title", default="", help="a title above each figure")
    args = parser.parse_args()

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("tools/plot.py needs matplotlib: apt-get install python3-matplotlib")

    rows = read_rows(args.csv)
    by_allocator = defaultdict(list)
    for row in rows:
        by_allocator[row["allocator"]].append(row)
    loads = sorted({row["load_scale"] for row in rows})
    os.makedirs(args.out, exist_ok=True)

    figures = [
        ("goodput_per_s", "goodput (items within SLO / s)", "goodput-vs-load.png"),
        ("attainment", "SLO attainment", "attainment-vs-load.png"),
    ]
    for field, label, name in figures:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        if len(loads) > 1:
            for allocator, points in by_allocator.items():
                points.sort(key=lambda r: r["load_scale"])
                ax.plot([r["load_scale"] for r in points], [r[field] for r in points],
                        marker="o", label=allocator)
            if field == "goodput_per_s" and rows[0].get("bound_goodput_per_s"):
                bound = sorted({(r["load_scale"], float(r["bound_goodput_per_s"])) for r in rows})
                ax.plot([x for x, _ in bound], [y for _, y in bound], linestyle="--",
                        color="black", label="bound (LP)")
            ax.set_xlabel("load (x the scenario's demand)")
            ax.legend()
        else:
            names = list(by_allocator)
            ax.bar(names, [by_allocator[n][0][field] for n in names])
            ax.set_xlabel(f"allocator (load x{loads[0]:g})")
        if field == "attainment":
            ax.set_ylim(0, 1.02)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if args.title:
            ax.set_title(args.title)
        fig.tight_layout()
        path = os.path.join(args.out, name)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        print(path)


if __name__ == "__main__":
    main()
