#!/usr/bin/env python3
"""What a strategy written in Python costs per simulated event, side by side in one run: the
built-in `offload` strategy (C++: local first, else the least-queued peer of the synced view)
against examples/python/least_queued_strategy.py (Python: the same routing rule over whole-GPU
instances), each the best of 3 runs of the same arrivals.

    PYTHONPATH=build/release/python python3 benchmarks/python/strategy_overhead.py [scenario.json] [seconds]
"""
import os
import sys
import time

import epara

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
from least_queued_strategy import LeastQueued  # noqa: E402


def best_of(fn, repeats=3):
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        row = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, row


def main():
    here = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "scenarios")
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "testbed.json")
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    scenario = epara.load_scenario(path)
    run = dict(duration_s=seconds, warmup_s=min(5.0, seconds / 2))
    print(f"{'strategy':<24} {'events':>9} {'offered':>8} {'s':>8} {'events/s':>10} {'us/event':>9}")
    per_event = {}
    for name, strategy in (("offload (C++)", "offload"), ("least-queued (Python)", LeastQueued())):
        elapsed, row = best_of(lambda: epara.simulate(scenario, [strategy], **run)[0])
        per_event[name] = 1e6 * elapsed / row["events"]
        print(f"{name:<24} {row['events']:>9} {row['offered']:>8} {elapsed:>8.3f} "
              f"{row['events'] / elapsed:>10.0f} {per_event[name]:>9.2f}")
    print(f"Python / C++ cost per event: {per_event['least-queued (Python)'] / per_event['offload (C++)']:.1f}x")


if __name__ == "__main__":
    main()
