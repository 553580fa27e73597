#!/usr/bin/env python3
"""Writes examples/scenarios/measured-cpu.json: a small edge cloud whose every profile was
measured on this machine's CPU by epara-profile (every batch size, `measured` recording the
machine, libraries and date), with a deployment, so that both epara-sim and epara-node run it.

    python3 tools/make_measured_scenario.py BUILD_DIR [OUT]
    python3 tools/make_measured_scenario.py BUILD_DIR OUT --repository REPOSITORY

With --repository (made by tools/export_models.py), the services run real architectures of that
model repository instead (TorchScript through libtorch): MobileNetV3-small (classify), SSDlite
(detect) and the tiny decoder (tokens), at batch sizes 1-8, and the deployment serves the
repository.

Two edge servers without GPUs, each serving from the host CPU (a "cpu" class: on a cluster
without GPUs the categorizer, the allocators and the baselines place on its CPUs), 0.2 ms apart, and three services on the reference models: image
classification and detection-sized dense chains, and an attention block over 32 tokens. Demand
enters at both servers. Deadlines are a fixed multiple of each model's measured one-item pass,
so the scenario means the same on a faster or slower machine."""
import json
import subprocess
import sys

MODELS = [  # service, epara-profile model arguments, deadline in one-item passes, share of load
    ("classify", ["--model", "dense", "--widths", "1024,2048,2048,1024"], 25, 0.5),
    ("detect", ["--model", "dense", "--widths", "2048,4096,4096,2048"], 12, 0.3),
    ("tokens", ["--model", "attention", "--tokens", "32", "--dim", "256"], 25, 0.2),
]
REPOSITORY_MODELS = [  # service, repository model, deadline in one-item passes, share of load
    ("classify", "mobilenet_v3_small", 25, 0.5),
    ("detect", "ssdlite", 12, 0.2),
    ("tokens", "tiny_decoder", 25, 0.3),
]
MAX_BATCH = 32
LOAD = 0.5  # of the two servers' throughput at their largest batch, split over the services


def profile(build, name, args, max_batch=MAX_BATCH, repeats=15):
    out = subprocess.run(
        [f"{build}/src/cli/epara-profile", "--backend", "cpu", *args, "--name", name,
         "--batches", ",".join(map(str, range(1, max_batch + 1))), "--repeats", str(repeats)],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    build = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "examples/scenarios/measured-cpu.json"
    repository = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--repository" else None
    servers = ["edge-0", "edge-1"]
    profiles, services, demand, models = [], [], [], []
    chosen = [(name, ["--repository", repository, "--model", model], passes, share)
              for name, model, passes, share in REPOSITORY_MODELS] if repository else MODELS
    for name, args, passes, share in chosen:
        # Repository models on two CPU cores take 15-160 ms an item: batches to 8, 5 repeats.
        p = profile(build, name, args, 8, 5) if repository else profile(build, name, args)
        profiles.append(p)
        points = p["curves"][0]["points"]
        one, full = points[0]["latency_ms"], points[-1]
        throughput = 1e3 * full["batch"] / full["latency_ms"]  # items/s of one server
        services.append({"name": name, "profile": name, "model_memory_gib": 0.25, "input_kib": 8,
                         "slo": {"type": "latency", "deadline_ms": round(passes * one, 1)}})
        for s in servers:
            demand.append({"service": name, "origin": s,
                           "rate_per_s": round(LOAD * share * throughput, 1)})
        model = {"service": name, "seed": 1, "max_batch": MAX_BATCH}
        if repository:
            continue  # the deployment serves the repository
        if args[1] == "dense":
            model.update(model="dense", widths=[int(w) for w in args[3].split(",")])
        else:
            model.update(model="attention", tokens=int(args[3]), dim=int(args[5]))
        models.append(model)
    scenario = {
        "description": "2 edge servers serving from this machine's CPU; every profile "
                       "measured here by epara-profile (tools/make_measured_scenario.py)" +
                       (f"; real architectures of {repository} (TorchScript)" if repository else ""),
        "device_classes": [{"name": "host-cpu", "kind": "cpu", "memory_gib": 8,
                            "relative_speed": 1}],
        "servers": [{"name": s, "kind": "edge_server", "cpu": "host-cpu"} for s in servers],
        "network": {"links": [{"between": servers, "latency_ms": 0.2, "bandwidth_gbps": 10}]},
        "profiles": profiles,
        "services": services,
        "demand": demand,
        "deployment": {
            "nodes": [{"server": s, "address": f"127.0.0.1:{50051 + i}"}
                      for i, s in enumerate(servers)],
            "models": models,
            **({"model_repository": repository} if repository else {}),
        },
    }
    with open(out, "w") as f:
        json.dump(scenario, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
