#!/usr/bin/env python3
"""Integration test: 4 epara-nodes on loopback ports.
  1. load beyond one node's capacity at edge-0: requests are offloaded, and served;
  2. SIGKILL edge-1 under load: every request gets a result or an explicit error, the ring
     heals, the placement is recomputed for 3 nodes, and goodput recovers within seconds;
  3. SIGTERM drains the others, which exit cleanly.
Bounded: every wait has a limit; loopback only.
    test_cluster.py BIN_DIR
Machines differ in speed, so phase 1 ramps the load (3 s per step) until edge-0 offloads, and
checks that at that rate the requests are still served; phase 2 runs at 3/4 of it.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from make_cloud import cloud  # noqa: E402

BIN = sys.argv[1]


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def load(target, rate, duration, out, timeline=False):
    args = [f"{BIN}/epara-load", "--target", target, "--model", "classify", "--rate", str(rate),
            "--duration", str(duration), "--wait-ready", "20", "--timeout", "5", "--json", out]
    return subprocess.Popen(args + (["--timeline"] if timeline else []))


def wait_for_log(path, pattern, limit_s):
    """The first match of `pattern` in the log, waiting up to `limit_s`; fails otherwise."""
    until = time.time() + limit_s
    while time.time() < until:
        match = re.search(pattern, open(path).read())
        if match:
            return match
        time.sleep(0.1)
    raise SystemExit(f"FAILED: no '{pattern}' in {path} within {limit_s} s:\n{open(path).read()}")


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")
    print(f"ok: {message}")


def main():
    work = tempfile.mkdtemp(prefix="epara-cluster-")
    ports = free_ports(4)
    path = os.path.join(work, "cloud.json")
    json.dump(cloud(ports), open(path, "w"))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")  # gRPC's process-lifetime allocations
    logs = [open(os.path.join(work, f"edge-{i}.log"), "w") for i in range(4)]
    nodes = [subprocess.Popen([f"{BIN}/epara-node", path, "--server", f"edge-{i}"],
                              stdout=logs[i], stderr=subprocess.STDOUT, env=env) for i in range(4)]
    target = f"127.0.0.1:{ports[0]}"
    log0 = os.path.join(work, "edge-0.log")
    try:
        wait_for_log(log0, r"for 4 live nodes", 30)
        print("ok: the ring formed: 4 live nodes")

        # 1. Load edge-0 alone, more and more, until it offloads.
        out1 = os.path.join(work, "phase1.json")
        for rate in (1000, 2000, 3000, 4000, 6000, 8000, 12000):
            check(load(target, rate, 3, out1).wait(timeout=60) == 0,
                  f"phase 1 at {rate}/s: every request answered")
            r = json.load(open(out1))
            if r["offloaded"] > 0:
                break
        check(r["offloaded"] > 0,
              f"phase 1: {r['offloaded']} of {r['sent']} requests offloaded at {rate}/s")
        check(r["in_slo"] >= 0.5 * r["sent"], f"phase 1: {r['in_slo']} of {r['sent']} in SLO")
        rate = rate * 3 // 4

        # 2. Kill edge-1 (it hosts an instance) 3 s into a 10 s load.
        out2 = os.path.join(work, "phase2.json")
        loader = load(target, rate, 10, out2, timeline=True)
        time.sleep(3 + 0.5)  # the loader's readiness wait is immediate now
        nodes[1].send_signal(signal.SIGKILL)
        nodes[1].wait(timeout=10)
        check(loader.wait(timeout=60) == 0, "phase 2: every request answered or failed explicitly")
        r = json.load(open(out2))
        errors = sum(r["errors"].values())
        check(r["in_slo"] + r["late"] + errors == r["sent"],
              f"phase 2: {r['sent']} sent = {r['in_slo']} in SLO + {r['late']} late + {errors} errors")
        good = r["in_slo_by_second"]
        before, after = sum(good[0:3]) / 3, sum(good[7:10]) / 3
        check(after >= 0.8 * before, f"phase 2: goodput {before:.0f}/s before the kill, "
                                     f"{after:.0f}/s 4-7 s after it")
        check(re.search(r"for 3 live nodes \(edge-0, edge-2, edge-3\)", open(log0).read()),
              "phase 2: placement recomputed for the 3 live nodes")

        # 3. Graceful shutdown.
        for i in (0, 2, 3):
            nodes[i].send_signal(signal.SIGTERM)
        for i in (0, 2, 3):
            check(nodes[i].wait(timeout=15) == 0, f"edge-{i} drained and exited cleanly")
    finally:
        for n in nodes:
            if n.poll() is None:
                n.kill()
        for i in range(4):
            logs[i].close()
            print(f"--- edge-{i} log (last lines)")
            print("".join(open(os.path.join(work, f"edge-{i}.log")).readlines()[-5:]))


if __name__ == "__main__":
    main()
