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


def load(bin_dir, target, model, rate, duration, out, timeline=False, batch=1):
    """Starts epara-load (`batch` rows a request); it writes its report to `out`."""
    args = [f"{bin_dir}/epara-load", "--target", target, "--model", model, "--rate", str(rate),
            "--duration", str(duration), "--wait-ready", "20", "--timeout", "5", "--json", out,
            "--batch", str(batch)]
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
