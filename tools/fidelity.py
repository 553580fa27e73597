#!/usr/bin/env python3
"""The simulator checked against real runs: one scenario, simulated by epara-sim and served by
epara-nodes on loopback, at several loads; per load, attainment and p50/p99 latency side by side.

    tools/fidelity.py BUILD_DIR [--nodes N] [--loads 0.3,0.5,0.7] [--duration S] [--repeats R]
                                [--json OUT] [--check] [--latency-scale X]

BUILD_DIR holds src/cli (epara-profile, epara-sim) and src/node (epara-node, epara-load). The
model is the dense reference chain on this machine's CPU; its profile is measured here first by
epara-profile, so the simulator sees this machine. A load is a share of the capacity that profile
gives one node (its largest batch's throughput), times the number of nodes; all requests enter at
edge-0, which offloads what it cannot serve. --latency-scale multiplies the profile the simulator
reads (the real nodes run unchanged): the check's own test that a wrong latency model fails.
--repeats runs each load R times on the nodes (this machine's runs vary) and compares the median.
--check exits 1 unless every load is within the tolerances (docs/results.md, "Fidelity")."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "node"))
from cluster_util import Cloud, cpu_cloud, free_ports, finish, load  # noqa: E402

WIDTHS = [1024, 2048, 2048, 1024]
BATCHES = list(range(1, 33))  # every size: passes are not linear between powers of two
DEADLINE_MS = 100
# Tolerances: latency percentiles within 10% of the measured (or 1 ms, a loopback round trip's
# order: tools/node_hop_cost.py), attainment within 5 points.
LATENCY_SHARE, LATENCY_FLOOR_MS, ATTAINMENT_POINTS = 0.10, 1.0, 5.0


def measured_profile(cli):
    out = subprocess.run([f"{cli}/epara-profile", "--model", "dense", "--widths",
                          *map(str, WIDTHS), "--batches", *map(str, BATCHES), "--repeats", "20"],
                         check=True, capture_output=True, text=True).stdout
    profile = json.loads(out[:out.rindex("}") + 1])
    return [(p["batch"], p["latency_ms"]) for p in profile["curves"][0]["points"]]


def scenario(ports, points, rate):
    return cpu_cloud(
        ports, "fidelity check (tools/fidelity.py)", (BATCHES[-1], points),
        [{"name": "classify", "model_memory_gib": 0.1, "input_kib": 4,
          "slo": {"type": "latency", "deadline_ms": DEADLINE_MS}}],
        [{"service": "classify", "origin": "edge-0", "rate_per_s": rate}],
        {"models": [{"service": "classify", "model": "dense", "widths": WIDTHS, "seed": 1,
                     "max_batch": BATCHES[-1]}],
         "sync_period_ms": 50, "entry_ttl_ms": 600, "placement_period_s": 2,
         "drain_timeout_s": 3})


def simulate(cli, config, duration, work):
    path, out = os.path.join(work, "sim.json"), os.path.join(work, "sim-out.json")
    json.dump(config, open(path, "w"))
    subprocess.run([f"{cli}/epara-sim", path, "--allocators", "epara", "--duration",
                    str(duration), "--warmup", "2", "--no-progress", "--json", out],
                   check=True, capture_output=True)
    s = json.load(open(out))[0]["services"][0]
    return {"attainment": 100 * s["attainment"], "p50_ms": 1e3 * s["p50_latency_s"],
            "p99_ms": 1e3 * s["p99_latency_s"]}


def serve(bins, config, rate, duration, work):
    cloud = Cloud(bins, work, config)
    try:
        out = os.path.join(work, "load.json")
        r = finish(load(bins, config["deployment"]["nodes"][0]["address"], "classify", rate,
                        duration, out), duration, out, f"{rate}/s")
    finally:
        cloud.close()
    return {"attainment": 100 * r["in_slo"] / r["sent"], "p50_ms": r["p50_ms"],
            "p99_ms": r["p99_ms"]}


def within(sim, real):
    lat = all(abs(sim[k] - real[k]) <= max(LATENCY_SHARE * real[k], LATENCY_FLOOR_MS)
              for k in ("p50_ms", "p99_ms"))
    return lat and abs(sim["attainment"] - real["attainment"]) <= ATTAINMENT_POINTS


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("build")
    a.add_argument("--nodes", type=int, default=1)
    a.add_argument("--loads", default="0.3,0.5,0.7")
    a.add_argument("--duration", type=float, default=10)
    a.add_argument("--repeats", type=int, default=1, help="real runs a load (median compared)")
    a.add_argument("--latency-scale", type=float, default=1.0)
    a.add_argument("--json")
    a.add_argument("--check", action="store_true")
    o = a.parse_args()
    cli, bins = os.path.join(o.build, "src", "cli"), os.path.join(o.build, "src", "node")
    points = measured_profile(cli)
    capacity = 1e3 * points[-1][0] / points[-1][1]  # items/s of one node at its largest batch
    print(f"measured profile (ms by batch): {points}; one node's capacity {capacity:.0f}/s")
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as work:
        # What the simulator leaves out: the serving path outside the model (the client's RPC,
        # the node's handling and wake-ups), seen at a rate where passes are of one item.
        quiet = serve(bins, scenario(free_ports(1), points, 20), 20, 5, work)
        overhead = quiet["p50_ms"] - points[0][1]
        print(f"serving path outside the model: {overhead:.2f} ms (p50 at 20/s, "
              f"{quiet['p50_ms']:.2f} ms, less the one-item pass)", flush=True)
        for share in map(float, o.loads.split(",")):
            rate = round(share * capacity * o.nodes)
            config = scenario(free_ports(o.nodes), points, rate)
            sim_config = json.loads(json.dumps(config))
            for p in sim_config["profiles"][0]["curves"][0]["points"]:
                p["latency_ms"] *= o.latency_scale
            sim = simulate(cli, sim_config, o.duration, work)
            runs = [serve(bins, config, rate, o.duration, work) for _ in range(o.repeats)]
            real = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            spread = {k: (min(r[k] for r in runs), max(r[k] for r in runs)) for k in runs[0]}
            good = within(sim, real)
            ok &= good
            rows.append({"load": share, "rate_per_s": rate, "sim": sim, "real": real,
                         "real_runs": runs, "within": good})
            shown = {k: f"{real[k]:.2f}" + (f" [{spread[k][0]:.2f}-{spread[k][1]:.2f}]"
                                            if o.repeats > 1 else "") for k in real}
            print(f"load {share:.2f} ({rate}/s): attainment sim {sim['attainment']:.1f}% real "
                  f"{shown['attainment']}%; p50 sim {sim['p50_ms']:.2f} real {shown['p50_ms']} "
                  f"ms; p99 sim {sim['p99_ms']:.2f} real {shown['p99_ms']} ms; "
                  f"{'within' if good else 'OUTSIDE'} tolerance", flush=True)
    if o.json:
        json.dump({"nodes": o.nodes, "profile": points, "latency_scale": o.latency_scale,
                   "serving_path_ms": overhead, "rows": rows}, open(o.json, "w"), indent=1)
    if o.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
