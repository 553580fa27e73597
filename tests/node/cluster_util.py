"""Helpers of the loopback cluster tests: ports, nodes, load generators, checks. Every wait has
a limit."""
import json
import os
import re
import socket
import subprocess
import time
import urllib.request


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")
    print(f"ok: {message}")


def wait_for_log(path, pattern, limit_s):
    """The first match of `pattern` in the log, waiting up to `limit_s`; fails otherwise."""
    until = time.time() + limit_s
    while time.time() < until:
        match = re.search(pattern, open(path).read())
        if match:
            return match
        time.sleep(0.1)
    raise SystemExit(f"FAILED: no '{pattern}' in {path} within {limit_s} s:\n{open(path).read()}")


def load(bin_dir, target, model, rate, duration, out, timeline=False, batch=1, trace=None,
         requests_csv=None):
    """Starts epara-load (`batch` rows a request; arrivals Poisson at `rate`, or the `trace`
    CSV's); it writes its report to `out`, and a row per request to `requests_csv` if given."""
    args = [f"{bin_dir}/epara-load", "--target", target, "--model", model, "--rate", str(rate),
            "--duration", str(duration), "--wait-ready", "20", "--timeout", "5", "--json", out,
            "--batch", str(batch)] + (["--trace", trace] if trace else [])
    args += ["--requests-csv", requests_csv] if requests_csv else []
    return subprocess.Popen(args + (["--timeline"] if timeline else []),
                            stdout=subprocess.DEVNULL)


def finish(loader, duration, out, what):
    """Waits for a loader; its report, after checking that every request was answered."""
    check(loader.wait(timeout=60 + duration) == 0, f"{what}: every request answered")
    return json.load(open(out))


class Cloud:
    """Runs one epara-node per server of `config` (a scenario with a deployment) in `work`;
    kill() or stop() them; close() kills what is left and prints the logs' last lines."""

    def __init__(self, bin_dir, work, config, extra_args=None):
        """`extra_args`: per node, more arguments for epara-node (e.g. a metrics port)."""
        self.path = os.path.join(work, "cloud.json")
        json.dump(config, open(self.path, "w"))
        self.names = [n["server"] for n in config["deployment"]["nodes"]]
        self.log_paths = [os.path.join(work, f"{name}.log") for name in self.names]
        self.logs = [open(p, "w") for p in self.log_paths]
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")  # gRPC's process-lifetime allocations
        extra_args = extra_args or [[] for _ in self.names]
        self.nodes = [subprocess.Popen([f"{bin_dir}/epara-node", self.path, "--server", name] + extra,
                                       stdout=log, stderr=subprocess.STDOUT, env=env)
                      for name, log, extra in zip(self.names, self.logs, extra_args)]

    def log(self, i):
        return open(self.log_paths[i]).read()

    def close(self):
        for n in self.nodes:
            if n.poll() is None:
                n.kill()
            n.wait()  # reaped, so its CPU time is counted in this process's children's
        for i, log in enumerate(self.logs):
            log.close()
            print(f"--- {self.names[i]} log (last lines)")
            print("".join(open(self.log_paths[i]).readlines()[-6:]))


def scrape(port):
    """The samples of a node's /metrics, by name and labels as written."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            samples[key] = float(value)
    return samples


def peer_certificates(work):
    """A CA and one certificate it signed for 127.0.0.1, made in `work` with the openssl tool:
    the deployment's `peer_tls` (every node presents and checks the same)."""
    subprocess.run(["sh", "-ec", """
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
          -subj /CN=test-ca -keyout ca.key -out ca.pem
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
          -subj /CN=epara-node -keyout node.key -out node.csr
        openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
          -extfile san.ext -out node.pem"""], cwd=work, check=True, capture_output=True)
    return {"ca_file": os.path.join(work, "ca.pem"), "cert_file": os.path.join(work, "node.pem"),
            "key_file": os.path.join(work, "node.key")}


def cpu_cloud(ports, description, profile, services, demand, deployment, peer_ports=None):
    """A loopback cloud: one server per port (edge-0, edge-1, ...), each without GPUs, serving
    from its host CPU (a "cpu" class of 8 GiB; the nodes run the models on the CPU), 0.1 ms
    apart. `profile`: the curve's (max batch,
    [(batch, latency_ms), ...]), as the planner sees the services; `deployment`: its fields
    besides the nodes; `peer_ports`: the nodes' peer ports, if peers talk on their own."""
    servers = [f"edge-{i}" for i in range(len(ports))]
    max_batch, points = profile
    return {
        "description": description,
        "device_classes": [{"name": "host-cpu", "kind": "cpu", "memory_gib": 8,
                            "relative_speed": 1}],
        "servers": [{"name": s, "kind": "edge_server", "cpu": "host-cpu"} for s in servers],
        "network": {"links": [{"between": [a, b], "latency_ms": 0.1, "bandwidth_gbps": 10}
                              for i, a in enumerate(servers) for b in servers[i + 1:]]},
        "profiles": [{"name": "profile", "source": "illustrative (tests/node)",
                      "curves": [{"device_class": "host-cpu", "gpus": 1, "max_batch": max_batch,
                                  "points": [{"batch": b, "latency_ms": ms}
                                             for b, ms in points]}]}],
        "services": [dict(profile="profile", **s) for s in services],
        "demand": demand,
        "deployment": dict(nodes=[dict(server=s, address=f"127.0.0.1:{p}",
                                       **({"peer_address": f"127.0.0.1:{peer_ports[i]}"}
                                          if peer_ports else {}))
                                  for i, (s, p) in enumerate(zip(servers, ports))], **deployment),
    }


def sustained_rate(run, start):
    """Ramps the load x1.25 a step from `start` (run(rate) -> report) until fewer than 98% of a
    step's requests end in SLO twice in a row at one rate; the last rate where at least 98%
    did (None if none did)."""
    rate, sustained, retried = start, None, False
    while rate <= 20000:
        r = run(rate)
        print(f"calibration: {rate}/s: {r['in_slo']} of {r['sent']} in SLO, "
              f"goodput {r['goodput_per_s']:.0f}/s, {r['offloaded']} offloaded")
        if r["in_slo"] < 0.98 * r["sent"]:
            if retried:
                break
            retried = True  # once more: a step can be unlucky (a pause of the machine)
            continue
        retried = False
        sustained = rate
        rate = int(rate * 1.25)
    return sustained
