#!/usr/bin/env python3
"""Real architectures served end to end: tools/export_models.py exports MobileNetV3-small and
the tiny decoder (random weights) into a model repository, an epara-node serves it, and
NVIDIA's tritonclient sends them images (FP32) and token ids (INT64, two lengths); every
answer must equal a direct libtorch call on the same input. Skips (exit 77) without
python3-torch/python3-torchvision for this interpreter or where tritonclient cannot be
installed.
    test_torchscript_node.py BIN_DIR DEPS_DIR SOURCE_DIR
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

BIN, DEPS, SOURCE = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    import torch
    import torchvision  # noqa: F401 (the export needs it)
except ImportError as e:
    print(f"SKIPPED: {e} (Debian: python3-torch python3-torchvision)")
    sys.exit(77)
sys.path.insert(0, os.path.dirname(__file__))
from triton_deps import import_tritonclient, ready_client  # noqa: E402

triton = import_tritonclient(DEPS)
import numpy as np  # noqa: E402 (tritonclient's own dependency)

work = tempfile.mkdtemp(prefix="epara-torchscript-")
repository = os.path.join(work, "repository")
subprocess.run([sys.executable, f"{SOURCE}/tools/export_models.py", repository,
                "--models", "mobilenet_v3_small,tiny_decoder", "--max-batch", "8"],
               check=True, capture_output=True, text=True)

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
illustrative = {"device_class": "host-cpu", "gpus": 1, "max_batch": 8,
                "points": [{"batch": 1, "latency_ms": 20}, {"batch": 8, "latency_ms": 120}]}
scenario = {
    "device_classes": [{"name": "host-cpu", "kind": "cpu", "memory_gib": 8, "relative_speed": 1}],
    "servers": [{"name": "edge-0", "kind": "edge_server", "cpu": "host-cpu"}],
    "network": {"links": []},
    "profiles": [{"name": "p", "source": "illustrative (tests/node)", "curves": [illustrative]}],
    "services": [{"name": name, "profile": "p", "model_memory_gib": 0.1, "input_kib": 600,
                  "slo": {"type": "latency", "deadline_ms": 5000}} for name in ("classify", "tokens")],
    "demand": [{"service": "classify", "origin": "edge-0", "rate_per_s": 2},
               {"service": "tokens", "origin": "edge-0", "rate_per_s": 2}],
    "deployment": {"nodes": [{"server": "edge-0", "address": f"127.0.0.1:{port}"}], "models": [],
                   "model_repository": repository},
}
path = os.path.join(work, "cloud.json")
json.dump(scenario, open(path, "w"))
node = subprocess.Popen([f"{BIN}/epara-node", path, "--server", "edge-0"])
try:
    client = ready_client(triton, port)
    assert client.is_model_ready("classify") and client.is_model_ready("tokens")
    meta = client.get_model_metadata("tokens")
    assert meta.platform == "pytorch_libtorch", meta
    assert meta.inputs[0].datatype == "INT64" and list(meta.inputs[0].shape) == [-1, -1], meta

    def direct(name, x):
        module = torch.jit.load(os.path.join(repository, name, "1", "model.pt"))
        with torch.no_grad():
            return module(torch.from_numpy(x)).numpy()

    x = np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32)
    image = triton.InferInput("image", list(x.shape), "FP32")
    image.set_data_from_numpy(x)
    got = client.infer("classify", [image]).as_numpy("logits")
    want = direct("mobilenet_v3_small", x)
    assert got.shape == (2, 1000) and np.allclose(got, want, rtol=1e-4, atol=1e-5), \
        np.abs(got - want).max()
    checked = ["classify: 2 images 3x224x224 -> 2 x 1000 logits"]
    for length in (1, 7):
        ids = np.random.default_rng(length).integers(0, 1000, size=(1, length), dtype=np.int64)
        tokens = triton.InferInput("ids", list(ids.shape), "INT64")
        tokens.set_data_from_numpy(ids)
        got = client.infer("tokens", [tokens]).as_numpy("logits")
        want = direct("tiny_decoder", ids)
        assert got.shape == (1, 1000) and np.allclose(got, want, rtol=1e-4, atol=1e-5), \
            np.abs(got - want).max()
        checked.append(f"tokens: {length} ids -> 1000 logits")
    print("ok, equal to libtorch: " + "; ".join(checked))
finally:
    node.terminate()
    node.wait(timeout=15)
