"""A simulation strategy written in Python, run beside the built-in strategies.

    PYTHONPATH=build/release/python python3 examples/python/least_queued_strategy.py [scenario.json]

LeastQueued gives every service with demand the devices of the allocator's plan for its declared
load (whole GPUs of the plan's class, or a CPU where the plan's class is a CPU's; no sharing),
server by server while there are free ones,
and routes a request to the local instance that finishes first,
else to the peer its ring-synced view shows least queued (reserving that item there), else
rejects it. A strategy sees what a real server could: its own instances and the others through
the synced view (`synchronizes = True`).
"""

import sys

import epara


class LeastQueued:
    name = "least-queued (Python)"
    synchronizes = True

    def deploy(self, sim):
        # Per server, its free devices as (slot, class): GPU slots, and "cpu" for its CPU.
        free = {server: list(enumerate(sim.gpus(server))) +
                ([("cpu", sim.cpu(server))] if sim.cpu(server) else []) for server in sim.servers}
        wanted = []
        for service in dict.fromkeys(d[0] for d in sim.declared_demand()):
            plan = sim.plan(service)
            k = plan["gpus_per_replica"]
            for _ in range(plan["replicas"]):
                for server, devices in free.items():
                    slots = [slot for slot, cls in devices if cls == plan["device_class"]][:k]
                    if len(slots) == k:
                        devices[:] = [(slot, cls) for slot, cls in devices if slot not in slots]
                        wanted.append((service, server, "cpu" if slots == ["cpu"] else slots))
                        break
        return wanted

    def route(self, sim, request):
        service = request["service"]
        local = sim.local_instances(service)
        if local:
            return ("local", min(local, key=lambda i: sim.instance(i)["predicted_finish_s"]))
        peers = [p for p in sim.peers(service) if p["server"] not in request["visited"]]
        if not peers or request["hops"] >= sim.hop_limit:
            return ("reject", "no-instance" if not peers else "hop-limit")
        best = min(peers, key=lambda p: p["queue_s"])
        sim.reserve(best["server"], service)
        return ("offload", best["server"])


def print_rows(rows):
    """A line per strategy: goodput, attainment, the worst service, placements made."""
    print(f"{'strategy':<28} {'goodput/s':>10} {'attained':>9} {'placements':>10}  worst service")
    for r in rows:
        print(f"{r['strategy']:<28} {r['goodput_per_s']:>10.1f} {100 * r['attainment']:>8.1f}%"
              f" {r['placements']:>10}  {r['worst_service']} {100 * r['worst_attainment']:.1f}%")
        assert r["balanced"], "an offered item has no outcome"


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "examples/scenarios/testbed.json"
    scenario = epara.load_scenario(path)
    print_rows(epara.simulate(scenario, ["epara", "nexus", "offload", LeastQueued()], duration_s=20))


if __name__ == "__main__":
    main()
