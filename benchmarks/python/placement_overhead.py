#!/usr/bin/env python3
"""Placement through Python against C++ on the same instance, side by side in one run:
  - epara.place(): the C++ scheduler, called once from Python (binding + JSON result cost);
  - greedy with the C++ surrogate objective, called from Python;
  - greedy with the same objective written in Python (examples/python/surrogate_objective.py).

    PYTHONPATH=build/release/python python3 benchmarks/python/placement_overhead.py [scenario.json ...]
"""
import os
import sys
import time

import epara

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
from surrogate_objective import PySurrogate  # noqa: E402


def best_of(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    here = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "scenarios")
    paths = sys.argv[1:] or [os.path.join(here, "testbed.json"), os.path.join(here, "large.json")]
    print(f"{'scenario':<14} {'candidates':>10} {'place()':>10} {'greedy C++':>11} "
          f"{'greedy Py':>10} {'Py/C++':>7} {'same':>5}")
    for path in paths:
        scenario = epara.load_scenario(path)
        gs = epara.GroundSet(scenario)
        t_place, _ = best_of(lambda: epara.place(scenario, objective="surrogate"))
        t_cpp, cpp = best_of(lambda: epara.greedy(gs, "surrogate"))
        t_py, py = best_of(lambda: epara.greedy(gs, PySurrogate(gs)), repeats=3)
        print(f"{os.path.basename(path):<14} {len(gs):>10} {t_place * 1e6:>8.0f}us "
              f"{t_cpp * 1e6:>9.1f}us {t_py * 1e6:>8.0f}us {t_py / t_cpp:>6.0f}x "
              f"{str(py['chosen'] == cpp['chosen']):>5}")


if __name__ == "__main__":
    main()
