#!/usr/bin/env python3
"""What an offload hop costs a request in a real epara-node cloud (docs/results.md, "Offload
hop cost"). Runs the 4-node loopback gateway cloud of tests/node/make_cloud.py (edge-0 has no
accelerator, so every request entering it is offloaded once; edge-1..3 run `classify`) and
sends a light load alternately through the gateway and straight to edge-1, `rounds` times, so
that both routes see the same machine. The hop cost is the difference of the latency medians.
With --tls the peers talk on ports of their own over mutual TLS (a CA made with openssl).
    tools/node_hop_cost.py BIN_DIR [--rate 20] [--seconds 3] [--rounds 3] [--tls]
"""
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "node"))
from cluster_util import Cloud, finish, free_ports, load, peer_certificates, wait_for_log  # noqa: E402
from make_cloud import cloud  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bin_dir")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="epara-hop-")
    free = free_ports(8)
    config = cloud(free[:4], gateway=True)
    if args.tls:
        for node, port in zip(config["deployment"]["nodes"], free[4:]):
            node["peer_address"] = f"127.0.0.1:{port}"
        config["deployment"]["peer_tls"] = peer_certificates(work)
    c = Cloud(args.bin_dir, work, config)
    routes = {"through the gateway (1 hop)": f"127.0.0.1:{free[0]}",
              "straight to edge-1 (0 hops)": f"127.0.0.1:{free[1]}"}
    medians = {route: [] for route in routes}
    try:
        wait_for_log(c.log_paths[0], r"for 4 live nodes", 30)
        for r in range(args.rounds):
            for route, target in routes.items():
                out = os.path.join(work, "load.json")
                report = finish(load(args.bin_dir, target, "classify", args.rate, args.seconds,
                                     out), args.seconds, out, route)
                hops = report["offloaded"] / max(report["answered"], 1)
                print(f"round {r + 1}, {route}: p50 {report['p50_ms']:.3f} ms, "
                      f"p99 {report['p99_ms']:.3f} ms, {report['in_slo']} of {report['sent']} "
                      f"in SLO, {hops:.0%} offloaded")
                medians[route].append(report["p50_ms"])
    finally:
        c.close()
    gateway, direct = (statistics.median(m) for m in medians.values())
    print(f"{'mutual TLS' if args.tls else 'plaintext'} peers: median of the rounds' p50: "
          f"{gateway:.3f} ms through the gateway, {direct:.3f} ms straight: "
          f"a hop costs {gateway - direct:.3f} ms")


if __name__ == "__main__":
    main()
