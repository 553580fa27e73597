#!/usr/bin/env python3
"""The placement ILP's optimum over a scenario whose servers fail: the most items per second that
any placement of the allocator's instance types plans for the mean demand, averaged over the
measured window. A reference for plans, not a bound on a run: devices serve beyond their planned
load (plans keep a utilization cap; spare replicas; work-conserving dispatch), so a simulated
goodput may exceed it.

The LP bound (epara-sim's `bound` row) relaxes memory and shares devices fractionally; on a
memory-tight cluster it can sit far above anything a placement reaches. This tool cuts the
measured window at every server fault, and for each phase writes the scenario as the phase sees
it (failed servers, their links and the demand that starts there removed; a part of the network
cut off from the rest becomes a scenario of its own), runs `epara-place --optimal` on each, and
weights the optima by the phases' lengths. Each phase is placed from scratch with loads free —
no re-placement delay, no model loading — so the figure is optimistic in time as well.

  python3 tools/placement_optimum_through_faults.py build/release \\
      examples/scenarios/edge-memory.json --load 4 [--keep DIR] [-- --serve-every-service false]

Arguments after `--` go to epara-place (default: --serve-every-service false, the items
optimum). Device faults and load profiles are refused: the phases would not be whole servers
or constant demand.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

OPTIMUM = re.compile(r"^Optimum \(ILP[^)]*\): ([0-9.e+]+) items/s, (proven|not proven[^\n]*)",
                     re.MULTILINE)


def fail(message):
    sys.exit(f"placement_optimum_through_faults: {message}")


def phases(scenario):
    """[(start, end, down servers)] over the measured window, cut at every server fault."""
    sim = scenario.get("simulation", {})
    if sim.get("load_profile"):
        fail("simulation.load_profile: demand that changes over the run is not supported")
    start, end = float(sim.get("warmup_s", 0)), float(sim.get("duration_s", 60))
    down, cuts = set(), []
    for i, fault in enumerate(sorted(sim.get("faults", []), key=lambda f: f["at_s"])):
        kind = fault.get("kind")
        if kind not in ("server_down", "server_up"):
            fail(f"simulation.faults[{i}].kind: '{kind}' is not supported (server faults only)")
        cuts.append((float(fault["at_s"]), kind, fault["server"]))
    out, t = [], start
    for at, kind, server in cuts:
        if at > t and at < end:
            out.append((t, at, frozenset(down)))
            t = at
        (down.add if kind == "server_down" else down.discard)(server)
    out.append((t, end, frozenset(down)))
    return [p for p in out if p[1] > p[0]]


def components(scenario, down):
    """The scenario without the servers in `down`, split where the network falls apart."""
    names = [s["name"] for s in scenario["servers"] if s["name"] not in down]
    links = [l for l in scenario["network"]["links"] if not set(l["between"]) & down]
    group = {n: n for n in names}

    def root(n):
        while group[n] != n:
            n = group[n]
        return n

    for l in links:
        a, b = (root(n) for n in l["between"])
        group[a] = b
    parts = {}
    for n in names:
        parts.setdefault(root(n), []).append(n)
    for members in parts.values():
        part = dict(scenario)
        keep = set(members)
        part["servers"] = [s for s in scenario["servers"] if s["name"] in keep]
        part["network"] = dict(scenario["network"],
                               links=[l for l in links if set(l["between"]) <= keep])
        part["demand"] = [d for d in scenario["demand"] if d["origin"] in keep]
        part["simulation"] = {k: v for k, v in scenario.get("simulation", {}).items()
                              if k != "faults"}
        if part["demand"]:
            yield sorted(members), part


def optimum(place, path, load, seconds, extra):
    done = subprocess.run([place, path, "--load", str(load), "--optimal", str(seconds), *extra],
                          capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"epara-place on {path} failed: {done.stderr.strip()}")
    found = OPTIMUM.search(done.stdout)
    if not found:
        fail(f"epara-place on {path} printed no ILP optimum")
    return float(found.group(1)), found.group(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", help="a build directory (build/release)")
    parser.add_argument("scenario")
    parser.add_argument("--load", type=float, default=1.0)
    parser.add_argument("--optimal", type=float, default=60.0,
                        help="seconds the ILP may take per part (default 60)")
    parser.add_argument("--keep", metavar="DIR",
                        help="write each phase's scenario files here (else a temporary folder)")
    parser.add_argument("place_args", nargs="*", help="after --: options for epara-place")
    args = parser.parse_args()
    place = os.path.join(args.build, "src", "cli", "epara-place")
    if not os.access(place, os.X_OK):
        fail(f"{place}: not found (build the epara-place target)")
    try:
        with open(args.scenario) as f:
            scenario = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{args.scenario}: {e}")
    extra = args.place_args or ["--serve-every-service", "false"]
    total = weighted = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        os.makedirs(tmp, exist_ok=True)
        for start, end, down in phases(scenario):
            served = 0.0
            for members, part in components(scenario, down):
                path = os.path.join(tmp, f"{start:g}-{members[0]}.json")
                with open(path, "w") as f:
                    json.dump(part, f)
                value, proof = optimum(place, path, args.load, args.optimal, extra)
                print(f"  {start:g}-{end:g} s, {len(members)} servers from {members[0]}: "
                      f"{value:g} items/s ({proof})")
                served += value
            down_text = ", ".join(sorted(down)) or "none"
            print(f"{start:g}-{end:g} s (down: {down_text}): {served:g} items/s")
            weighted += served * (end - start)
            total += end - start
    print(f"time-weighted placement optimum: {weighted / total:.1f} items/s")


if __name__ == "__main__":
    main()
