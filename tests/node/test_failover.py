#!/usr/bin/env python3
"""Integration test: a service whose origin node dies is served again from the survivors.
Placement follows the demand observed around the ring, so when clients turn to a live node,
the scheduling node places the service where they now enter. Two runs of a 3-node loopback
cloud (every server one host-CPU "accelerator"; two services, `classify` and `detect`):
  A. `detect`'s demand is declared at edge-1 and its clients send there (the first placement
     runs both services on edge-0, which offloads nothing back). SIGKILL edge-1 (the origin, not
     the scheduler); the clients turn to edge-2. A placement from the declared demand would drop
     `detect` with its origin (it did: UNAVAILABLE for good); placed from what edge-2 observes,
     it stays: its last seconds are in SLO.
  B. All declared demand enters at edge-0, which is also the scheduling node; clients of both
     services send to edge-0. SIGKILL edge-0; the clients turn to edge-1 and edge-2. The next
     scheduler (edge-1) places both services from what it observes; both are served again.
Peer calls carry a shared secret (deployment.peer_secret_file). Rates are low (a fifth of one
node's capacity), so the test asserts recovery, not capacity, and holds on a busy machine. Every wait has a limit.
    test_failover.py BIN_DIR
"""
import os
import secrets
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cluster_util import Cloud, check, cpu_cloud, finish, free_ports, load, wait_for_log  # noqa: E402

BIN = sys.argv[1]
RATES = {"classify": 150, "detect": 60}  # requests/s; one node serves ~1,000/s of classify
REDIRECTED_S = 10                        # how long the clients send to a survivor
SETTLED_S = 4                            # its last seconds, by which service must be back


def cloud(ports, origins, secret_file):
    """3 servers on `ports`; `origins`: service -> the server its declared demand enters at;
    peer calls authenticated with the secret in `secret_file`."""
    return cpu_cloud(
        ports, "3 CPU nodes on loopback (tests/node/test_failover.py)",
        (16, [(1, 2), (16, 12)]),  # close to epara-profile on a 2-core host
        [{"name": name, "model_memory_gib": 0.1, "input_kib": 1,
          "slo": {"type": "latency", "deadline_ms": 100}} for name in RATES],
        [{"service": name, "origin": origins[name], "rate_per_s": RATES[name]} for name in RATES],
        {"models": [{"service": "classify", "model": "dense", "widths": [256, 1024, 256],
                     "seed": 1, "max_batch": 16},
                    {"service": "detect", "model": "dense", "widths": [128, 512, 128],
                     "seed": 2, "max_batch": 16}],
         "sync_period_ms": 50, "entry_ttl_ms": 600, "placement_period_s": 2,
         "drain_timeout_s": 3, "peer_secret_file": secret_file})


def run(name, origins, clients_before, victim, clients_after):
    """One cloud: clients (service -> node) send for 4 s, `victim` is killed, the clients of
    every service turn to `clients_after` and send for REDIRECTED_S; returns per service the
    seconds after the kill until its requests were in SLO again."""
    work = tempfile.mkdtemp(prefix=f"epara-failover-{name}-")
    ports = free_ports(3)
    secret_file = os.path.join(work, "peer-secret")
    with open(secret_file, "w") as f:
        f.write(secrets.token_hex(16) + "\n")
    c = Cloud(BIN, work, cloud(ports, origins, secret_file))
    address = {f"edge-{i}": f"127.0.0.1:{p}" for i, p in enumerate(ports)}
    try:
        wait_for_log(c.log_paths[0], r"for 3 live nodes", 30)
        before = {s: load(BIN, address[n], s, RATES[s], 4, os.path.join(work, f"{s}-before.json"))
                  for s, n in clients_before.items()}
        for s, loader in before.items():
            r = finish(loader, 4, os.path.join(work, f"{s}-before.json"), f"{name}: {s} before")
            check(r["in_slo"] >= 0.95 * r["sent"],
                  f"{name}: before the kill, {r['in_slo']} of {r['sent']} {s} requests in SLO")
        v = c.names.index(victim)
        c.nodes[v].send_signal(signal.SIGKILL)
        c.nodes[v].wait(timeout=10)
        killed = time.time()
        after = {s: load(BIN, address[clients_after[s]], s, RATES[s], REDIRECTED_S,
                         os.path.join(work, f"{s}-after.json"), timeline=True) for s in RATES}
        recovery = {}
        for s, loader in after.items():
            r = finish(loader, REDIRECTED_S, os.path.join(work, f"{s}-after.json"),
                       f"{name}: {s} at {clients_after[s]}")
            errors = sum(r["errors"].values())
            check(r["in_slo"] + r["late"] + errors == r["sent"],
                  f"{name}: {s}: {r['sent']} sent = {r['in_slo']} in SLO + {r['late']} late + "
                  f"{errors} errors {r['errors']}")
            good, sent = r["in_slo_by_second"], r["sent_by_second"]
            settled = range(REDIRECTED_S - SETTLED_S, REDIRECTED_S)
            in_slo, offered = sum(good[i] for i in settled), sum(sent[i] for i in settled)
            check(in_slo >= 0.95 * offered,
                  f"{name}: {s} served again from the survivors: {in_slo} of {offered} in SLO "
                  f"in the last {SETTLED_S} s (in SLO per second: {good}, sent: {sent}, "
                  f"errors per second: {r['errors_by_second']})")
            back = next(i for i in range(REDIRECTED_S) if good[i] >= 0.95 * sent[i] > 0)
            recovery[s] = back + 1  # the end of the first second in SLO after the clients turned
        waited = time.time() - killed
        print(f"{name}: recovered within {recovery} s of the clients turning ({waited:.1f} s run)")
        survivor = next(i for i in range(3) if i != v)
        check("for 2 live nodes" in c.log(survivor) or any(
            "for 2 live nodes" in c.log(i) for i in range(3) if i != v),
            f"{name}: placement recomputed for the 2 live nodes")
        return recovery
    finally:
        c.close()


def main():
    # A: the origin of `detect`, not the scheduler, dies.
    run("A", {"classify": "edge-0", "detect": "edge-1"}, {"classify": "edge-0", "detect": "edge-1"},
        "edge-1", {"classify": "edge-0", "detect": "edge-2"})
    # B: the scheduler, origin of all declared demand, dies.
    run("B", {"classify": "edge-0", "detect": "edge-0"}, {"classify": "edge-0", "detect": "edge-0"},
        "edge-0", {"classify": "edge-1", "detect": "edge-2"})


if __name__ == "__main__":
    main()
