import os
import pathlib
import sys

import pytest

import epara

# The examples' Python objective is imported by the tests.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))

SCENARIOS = os.environ.get("EPARA_SCENARIOS", os.path.join(os.path.dirname(__file__), "..", "..",
                                                           "examples", "scenarios"))


@pytest.fixture(scope="session")
def scenarios_dir():
    return pathlib.Path(SCENARIOS)


@pytest.fixture(scope="session")
def testbed():
    return epara.load_scenario(os.path.join(SCENARIOS, "testbed.json"))


@pytest.fixture
def small_text():
    """A two-server scenario as JSON text, small enough to reason about."""
    return """{
      "device_classes": [{"name": "gpu", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}],
      "servers": [{"name": "a", "kind": "edge_server", "gpus": [{"device_class": "gpu", "count": 2}]},
                  {"name": "b", "kind": "edge_server", "gpus": [{"device_class": "gpu", "count": 1}]}],
      "network": {"links": [{"between": ["a", "b"], "latency_ms": 1, "bandwidth_gbps": 10}]},
      "profiles": [{"name": "p", "source": "test", "curves": [
        {"device_class": "gpu", "gpus": 1, "max_batch": 16,
         "points": [{"batch": 1, "latency_ms": 10}, {"batch": 16, "latency_ms": 40}]}]}],
      "services": [{"name": "s", "profile": "p", "model_memory_gib": 2, "input_kib": 10,
                    "slo": {"type": "latency", "deadline_ms": 200}}],
      "demand": [{"service": "s", "origin": "a", "rate_per_s": 100},
                 {"service": "s", "origin": "b", "rate_per_s": 50}]
    }"""
