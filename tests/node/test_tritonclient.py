#!/usr/bin/env python3
"""A client nobody here wrote — NVIDIA's tritonclient (gRPC) — against an epara-node:
health, readiness, metadata, ModelInfer, the repository index, statistics, ModelConfig and
ModelStreamInfer. Skips (exit 77) when tritonclient cannot be
installed from PyPI here.
    test_tritonclient.py BIN_DIR DEPS_DIR
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

BIN, DEPS = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(__file__))
from make_cloud import cloud  # noqa: E402
from triton_deps import import_tritonclient, ready_client  # noqa: E402

triton = import_tritonclient(DEPS)
import numpy as np  # tritonclient's own dependency

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
work = tempfile.mkdtemp(prefix="epara-triton-")
path = os.path.join(work, "cloud.json")
config = cloud([port])
# What is checked here is the protocol, not timing: under ASan a pass of 15 items took 67 ms on
# an AMD EPYC, and the node rightly refused a streamed request that would finish past the
# cloud's 100-ms deadline (DEADLINE_EXCEEDED, would-be-late).
config["services"][0]["slo"]["deadline_ms"] = 10_000
json.dump(config, open(path, "w"))
node = subprocess.Popen([f"{BIN}/epara-node", path, "--server", "edge-0"])
try:
    client = ready_client(triton, port)
    assert client.is_server_live()
    assert client.is_model_ready("classify")
    meta = client.get_model_metadata("classify")
    assert meta.inputs[0].datatype == "FP32" and list(meta.inputs[0].shape) == [-1, 256]
    x = np.random.default_rng(1).uniform(-1, 1, size=(3, 256)).astype(np.float32)
    tensor = triton.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    result = client.infer("classify", [tensor], outputs=[triton.InferRequestedOutput("output")])
    y = result.as_numpy("output")
    assert y.shape == (3, 256) and np.isfinite(y).all() and np.abs(y).sum() > 0, y
    params = result.get_response().parameters
    assert params["served_by"].string_param == "edge-0"
    try:
        client.infer("nope", [tensor])
        raise AssertionError("an unknown model must fail")
    except triton.InferenceServerException as e:
        assert "unknown model 'nope'" in str(e), e
    index = client.get_model_repository_index(as_json=True)["models"]
    assert [(m["name"], m["state"]) for m in index] == [("classify", "READY")], index
    stats = client.get_inference_statistics("classify", as_json=True)["model_stats"][0]
    assert stats["name"] == "classify" and int(stats["inference_count"]) == 3, stats
    assert int(stats["inference_stats"]["success"]["count"]) == 1, stats
    config = client.get_model_config("classify", as_json=True)["config"]
    assert config["input"][0]["data_type"] == "TYPE_FP32", config
    assert [int(d) for d in config["input"][0]["dims"]] == [256], config
    assert config["max_batch_size"] >= 1 and config["instance_group"][0]["count"] >= 1, config
    answers = []
    client.start_stream(callback=lambda result, error: answers.append((result, error)))
    for i in range(8):
        client.async_stream_infer("classify", [tensor], request_id=f"frame-{i}")
    client.stop_stream()  # waits for the answers
    assert [r.get_response().id for r, e in answers] == [f"frame-{i}" for i in range(8)], answers
    assert all(e is None and r.as_numpy("output").shape == (3, 256) for r, e in answers), answers
    print("ok: tritonclient health, metadata, ModelInfer (3 x 256 -> 3 x 256), an error, "
          "the repository index, statistics, the model's config and a stream of 8 requests")
finally:
    node.terminate()
    node.wait(timeout=15)
