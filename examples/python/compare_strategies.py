#!/usr/bin/env python3
"""Places services on a cluster, then compares two strategies in the simulator.

    PYTHONPATH=build/release/python python3 examples/python/compare_strategies.py [scenario.json]
"""
import sys

import epara

path = sys.argv[1] if len(sys.argv) > 1 else "examples/scenarios/testbed.json"
scenario = epara.load_scenario(path)

placement = epara.place(scenario)
print(f"{scenario!r}\nplacement: {placement['summary']['served_per_s']:.1f} of "
      f"{placement['summary']['demand_per_s']:.1f} items/s served within SLO, "
      f"{len(placement['instances'])} instances")
for service in placement["services"]:
    print(f"  {service['service']:<16} {service['status']:<10} {service['served_per_s']:>8.1f}/s")

rows = epara.simulate(scenario, ["epara", "uncategorized"], duration_s=20)
print(f"\n{'strategy':<14} {'goodput/s':>10} {'attained':>9} {'rejected':>9}")
for r in rows:
    print(f"{r['strategy']:<14} {r['goodput_per_s']:>10.1f} {r['attainment']:>9.1%} "
          f"{r['rejected'] / max(1, r['offered']):>9.1%}")
print(f"EPARA / uncategorized: {rows[0]['goodput_per_s'] / rows[1]['goodput_per_s']:.2f}x")
