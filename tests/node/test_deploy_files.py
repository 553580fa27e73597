#!/usr/bin/env python3
"""Checks the deployment files of deploy/ against each other and against epara-node:
  - every Kubernetes manifest parses, and the StatefulSet runs one pod per node of the cloud's
    deployment, each pod's DNS name and port being that node's address, its ordinal its server;
  - the cloud in the ConfigMap is one epara-node accepts (its own parser reads it);
  - the mounts, ports and grace period agree with the cloud (peer TLS files, drain timeout);
  - the Dockerfile builds the programs the manifests run and exposes their ports.
    test_deploy_files.py BIN_DIR REPO_ROOT
Exits 77 (skipped) when PyYAML is missing (Debian: python3-yaml)."""
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIPPED: PyYAML is not installed for this interpreter (Debian: python3-yaml)")
    sys.exit(77)

BIN, ROOT = sys.argv[1], sys.argv[2]
K8S = os.path.join(ROOT, "deploy", "kubernetes")


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")
    print(f"ok: {message}")


def main():
    docs = {}
    for name in sorted(os.listdir(K8S)):
        if name.endswith(".yaml"):
            for doc in yaml.safe_load_all(open(os.path.join(K8S, name))):
                docs[(doc["kind"], doc["metadata"]["name"])] = doc
    check({k for k, _ in docs} >= {"ConfigMap", "Service", "StatefulSet"},
          f"the manifests parse: {sorted(docs)}")
    config = next(d for (k, _), d in docs.items() if k == "ConfigMap")
    cloud = json.loads(config["data"]["cloud.json"])
    nodes = cloud["deployment"]["nodes"]
    sts = next(d for (k, _), d in docs.items() if k == "StatefulSet")
    service = docs[("Service", sts["spec"]["serviceName"])]
    check(service["spec"].get("clusterIP") == "None", "the StatefulSet's Service is headless")
    pod = sts["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    name = sts["metadata"]["name"]
    check(sts["spec"]["replicas"] == len(nodes),
          f"{sts['spec']['replicas']} pods for the {len(nodes)} nodes of the deployment")
    for i, n in enumerate(nodes):
        host = f"{name}-{i}.{service['metadata']['name']}"
        check(n == {"server": f"edge-{i}", "address": f"{host}:{ports['grpc']}",
                    "peer_address": f"{host}:{ports['peer']}"},
              f"node {i}: {n['server']} at {n['address']}, peers at {n['peer_address']}, "
              f"is pod {name}-{i}")
    service_ports = {p["name"]: p["targetPort"] for p in service["spec"]["ports"]}
    check(service_ports == ports, f"the Service routes to the container's ports {service_ports}")
    args = " ".join(container["args"])
    check('--server "edge-${HOSTNAME##*-}"' in args, "a pod's ordinal is its server")
    check(f"--port {ports['grpc']}" in args and f"--peer-port {ports['peer']}" in args and
          f"--metrics-port {ports['metrics']}" in args,
          f"the node listens on the container's ports {ports}")
    mounts = {v["name"]: v["mountPath"] for v in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    cloud_mount = next(m for v, m in mounts.items() if "configMap" in volumes[v])
    check(f"{cloud_mount}/cloud.json" in args, f"the node reads the ConfigMap at {cloud_mount}")
    secret_mount = next(m for v, m in mounts.items() if "secret" in volumes[v])
    tls = cloud["deployment"]["peer_tls"]
    check(all(os.path.dirname(f) == secret_mount for f in tls.values()),
          f"the peer TLS files are in the Secret's mount {secret_mount}")
    check(pod["terminationGracePeriodSeconds"] > cloud["deployment"]["drain_timeout_s"],
          "Kubernetes waits longer than the node drains")

    # epara-node's own parser reads the cloud (the TLS files replaced by local PEM-shaped ones):
    # it gets as far as the server name, which is wrong on purpose so that it does not start.
    work = tempfile.mkdtemp(prefix="epara-deploy-")
    for field in tls:
        tls[field] = os.path.join(work, os.path.basename(tls[field]))
        open(tls[field], "w").write("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    path = os.path.join(work, "cloud.json")
    json.dump(cloud, open(path, "w"))
    run = subprocess.run([f"{BIN}/epara-node", path, "--server", "edge-99"],
                         capture_output=True, text=True, timeout=30)
    check(run.returncode == 1 and "unknown server 'edge-99'" in run.stderr,
          f"epara-node reads the ConfigMap's cloud: {run.stderr.strip()}")

    lines = re.sub(r"\\\n", " ", open(os.path.join(ROOT, "deploy", "Dockerfile")).read())
    instructions = [l.split(None, 1) for l in lines.splitlines() if l.strip() and l[0] != "#"]
    known = {"FROM", "WORKDIR", "COPY", "RUN", "USER", "EXPOSE", "ENTRYPOINT", "CMD", "ENV"}
    check(all(i[0] in known for i in instructions),
          f"the Dockerfile's instructions are {sorted({i[0] for i in instructions})}")
    build = " ".join(i[1] for i in instructions if i[0] == "RUN")
    for program in ("epara-node", "epara-load"):
        check(f"--target {' '.join(['epara-node', 'epara-load'])}" in build and
              f"/usr/local/bin/{program}" in " ".join(i[1] for i in instructions),
              f"the image builds and installs {program}")
    exposed = {int(p) for i in instructions if i[0] == "EXPOSE" for p in i[1].split()}
    check(exposed == set(ports.values()), f"the image exposes the pod's ports {sorted(exposed)}")
    check(["ENTRYPOINT", '["epara-node"]'] in instructions, "the image runs epara-node")
    for i in instructions:
        if i[0] == "RUN" and "scripts/" in i[1]:
            for script in re.findall(r"scripts/[\w/.-]+", i[1]):
                check(os.path.exists(os.path.join(ROOT, script)), f"the build uses {script}")


if __name__ == "__main__":
    main()
