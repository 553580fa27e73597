#!/usr/bin/env python3
"""Writes a 4-node loopback edge cloud (scenario + deployment) for the node tests and
docs/deployment.md:
    make_cloud.py OUT.json BASE_PORT [--gateway]
Four servers without GPUs, each serving from its host CPU (a "cpu" class; the nodes run the
reference models on the CPU); one dense-chain service whose demand, all entering at edge-0, is
beyond one server's capacity, so edge-0 must offload. With `gateway`, edge-0 is a microcomputer
(a gateway in front of the edge servers) whose 48 MiB of memory hold no model: nothing is placed
there, and every request entering it is offloaded."""
import json
import sys


def cloud(ports, gateway=False):
    servers = [f"edge-{i}" for i in range(len(ports))]
    edge = {"kind": "edge_server", "cpu": "host-cpu"}
    gateway_cpu = {"kind": "microcomputer", "cpu": "gateway-cpu"}
    return {
    "description": "4 CPU nodes on loopback (tests/node)",
    "device_classes": [{"name": "host-cpu", "kind": "cpu", "memory_gib": 8, "relative_speed": 1}] +
                      ([{"name": "gateway-cpu", "kind": "cpu", "memory_gib": 0.046875,
                         "relative_speed": 1}] if gateway else []),
    "servers": [dict(name=s, **(gateway_cpu if gateway and i == 0 else edge))
                for i, s in enumerate(servers)],
    "network": {"links": [{"between": [a, b], "latency_ms": 0.1, "bandwidth_gbps": 10}
                          for i, a in enumerate(servers) for b in servers[i + 1:]]},
    "profiles": [{"name": "dense-ref", "source": "illustrative (close to epara-profile on a 2-core host)",
                  "curves": [{"device_class": "host-cpu", "gpus": 1, "max_batch": 16,
                              "points": [{"batch": 1, "latency_ms": 2}, {"batch": 16, "latency_ms": 12}]}]}],
    "services": [{"name": "classify", "profile": "dense-ref", "model_memory_gib": 0.1, "input_kib": 1,
                  "slo": {"type": "latency", "deadline_ms": 100}}],
    "demand": [{"service": "classify", "origin": "edge-0", "rate_per_s": 3000}],
    "deployment": {
        "nodes": [{"server": s, "address": f"127.0.0.1:{p}"} for s, p in zip(servers, ports)],
        "models": [{"service": "classify", "model": "dense", "widths": [256, 1024, 1024, 256],
                    "seed": 1, "max_batch": 16}],
        "sync_period_ms": 50, "entry_ttl_ms": 600, "placement_period_s": 2, "drain_timeout_s": 3,
    },
}


if __name__ == "__main__":
    base = int(sys.argv[2])
    json.dump(cloud([base + i for i in range(4)], "--gateway" in sys.argv[3:]),
              open(sys.argv[1], "w"), indent=1)
