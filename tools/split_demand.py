#!/usr/bin/env python3
"""Writes a demand file ({"demand": [...]}) of N entries that sum to a scenario's demand: its
entries repeated in turn, each rate divided by the times its entry repeats (stream entries are
whole: repeated, they add streams). For measuring placement against the number of entries.

  python3 tools/split_demand.py examples/scenarios/testbed.json 25000 > demand_25000.json
"""

import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    declared = json.load(open(sys.argv[1]))["demand"]
    n = int(sys.argv[2])
    out = []
    for i in range(n):
        entry = dict(declared[i % len(declared)])
        if "rate_per_s" in entry:
            repeats = n // len(declared) + (1 if i % len(declared) < n % len(declared) else 0)
            entry["rate_per_s"] /= repeats
        out.append(entry)
    json.dump({"demand": out}, sys.stdout)


if __name__ == "__main__":
    main()
