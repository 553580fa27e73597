#!/usr/bin/env python3
"""Integration test: placement follows demand that moves between services. Four loopback nodes,
one host-CPU "accelerator" each, room for one model per device (5 of 8 GiB); two services whose
declared profile serves ~200 items/s an instance (the planner's view: the real CPU model is
faster, so the machine is never the limit). Clients send 350/s of `classify` and 50/s of
`detect`, then the other way round. Each node's /metrics (`epara_instances`) says what runs on
it: while `classify` is in demand it runs on at least 2 nodes and `detect` on fewer; once the
demand has moved (the scheduler plans for the peak of the last 3 periods), `detect` runs on at
least 2 nodes and `classify` on fewer — instances moved to the demand. The peers talk on ports of
their own over mutual TLS (a CA made for the test), so the ring, the placement pushes and the
offloads all cross it. Every wait has a limit.
    test_moving_demand.py BIN_DIR
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cluster_util import (Cloud, check, cpu_cloud, finish, free_ports, load,  # noqa: E402
                          peer_certificates, scrape, wait_for_log)

BIN = sys.argv[1]
SERVICES = ("classify", "detect")


def cloud(ports, peer_ports, peer_tls):
    return cpu_cloud(
        ports, "4 CPU nodes on loopback, one model a device (tests/node/test_moving_demand.py)",
        (8, [(1, 10), (8, 40)]),  # ~200 items/s an instance, as the planner sees it
        [{"name": name, "model_memory_gib": 5, "input_kib": 1, "load_time_s": 0.5,
          "slo": {"type": "latency", "deadline_ms": 200}} for name in SERVICES],
        [{"service": "classify", "origin": "edge-0", "rate_per_s": 350},
         {"service": "detect", "origin": "edge-1", "rate_per_s": 50}],
        {"models": [{"service": name, "model": "dense", "widths": [64, 256, 64],
                     "seed": i + 1, "max_batch": 8} for i, name in enumerate(SERVICES)],
         "sync_period_ms": 50, "entry_ttl_ms": 600, "placement_period_s": 1,
         "drain_timeout_s": 3, "peer_tls": peer_tls}, peer_ports)


def hosts(metrics_ports):
    """Per service, how many nodes run an instance of it now."""
    count = dict.fromkeys(SERVICES, 0)
    for port in metrics_ports:
        samples = scrape(port)
        for s in SERVICES:
            if samples.get(f'epara_instances{{model="{s}"}}', 0) > 0:
                count[s] += 1
    return count


def phase(work, address, rates, seconds, metrics_ports, want, what):
    """Sends `rates` (service -> requests/s at edge-0 and edge-1 alternately) for `seconds`,
    polling the nodes' instances until `want(count)` holds; the count it settled at."""
    loaders = {s: load(BIN, address[i % 2], s, rate, seconds, os.path.join(work, f"{s}.json"))
               for i, (s, rate) in enumerate(rates.items())}
    until, count = time.time() + seconds, None
    while time.time() < until:
        count = hosts(metrics_ports)
        if want(count):
            break
        time.sleep(0.25)
    for s, loader in loaders.items():
        finish(loader, seconds, os.path.join(work, f"{s}.json"), f"{what}: {s} at {rates[s]}/s")
    check(want(count), f"{what}: nodes running each service {count}")
    return count


def main():
    work = tempfile.mkdtemp(prefix="epara-moving-")
    free = free_ports(12)  # at once: distinct
    ports, peer_ports, metrics_ports = free[:4], free[4:8], free[8:]
    c = Cloud(BIN, work, cloud(ports, peer_ports, peer_certificates(work)),
              [["--metrics-port", str(p)] for p in metrics_ports])
    address = [f"127.0.0.1:{p}" for p in ports]
    try:
        wait_for_log(c.log_paths[0], r"for 4 live nodes", 30)
        check(all("(mutual TLS)" in c.log(i) for i in range(4)), "peers talk over mutual TLS")
        phase(work, address, {"classify": 350, "detect": 50}, 8, metrics_ports,
              lambda n: n["classify"] >= 2 and n["detect"] < n["classify"],
              "classify in demand")
        phase(work, address, {"classify": 50, "detect": 350}, 20, metrics_ports,
              lambda n: n["detect"] >= 2 and n["classify"] < n["detect"],
              "the demand moved to detect")
        epochs = [int(scrape(p)["epara_placement_epoch"]) for p in metrics_ports]
        check(len(set(epochs)) == 1, f"every node applied the same placement (epochs {epochs})")
    finally:
        c.close()


if __name__ == "__main__":
    main()
