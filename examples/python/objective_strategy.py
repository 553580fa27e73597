"""A Python placement objective driving a simulation: a strategy whose every placement is
epara.place() with that objective — at the start on the declared demand, then every period on
the demand it measured, keeping what is loaded — and whose routing is LeastQueued's.

    PYTHONPATH=build/release/python python3 examples/python/objective_strategy.py [scenario.json]

The objective is any that epara.place() takes: "flow", "surrogate", or a callable making one
per ground set, such as PySurrogate (surrogate_objective.py) — the scheduler's tiers, local
search and constraints run as for the built-in ones, the objective in Python.
"""

import json
import sys

import epara
from least_queued_strategy import LeastQueued, print_rows
from surrogate_objective import PySurrogate


class PlacedBy(LeastQueued):
    synchronizes = True

    def __init__(self, scenario, objective, name=None):
        self.scenario = scenario
        self.objective = objective
        self.name = name or f"placed by {getattr(objective, '__name__', objective)}"

    def _place(self, demand, current=None):
        text = self.scenario.to_dict()
        text["demand"] = demand
        scenario = epara.parse_scenario(json.dumps(text), self.scenario.source)
        placement = epara.place(scenario, objective=self.objective, current=current)
        return [(i["service"], i["server"], i["devices"]) for i in placement["instances"]]

    def deploy(self, sim):
        demand = [{"service": s, "origin": o, **({"streams": n} if n else {"rate_per_s": r})}
                  for s, o, r, n in sim.declared_demand()]
        return self._place(demand)

    def replan(self, sim):
        measured = [{"service": s, "origin": o, "rate_per_s": r}
                    for s, o, r in sim.measured_demand() if r > 0]
        if not measured:
            return None
        current = {"instances": [{"service": s, "server": v, "devices": d}
                                 for s, v, d in sim.placed()]}
        return self._place(measured, current)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "examples/scenarios/testbed.json"
    scenario = epara.load_scenario(path)
    strategies = ["epara", PlacedBy(scenario, "surrogate"), PlacedBy(scenario, PySurrogate)]
    print_rows(epara.simulate(scenario, strategies, duration_s=40, warmup_s=5))


if __name__ == "__main__":
    main()
