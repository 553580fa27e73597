import copy
import json
import math
import os
import pickle

import pytest

import epara
from conftest import SCENARIOS


def test_load_and_inspect(testbed):
    assert testbed.services[0] == "chat-llm"
    assert "edge-1" in testbed.servers
    assert testbed.gpu_count == 12
    d = testbed.to_dict()
    assert [s["name"] for s in d["services"]] == testbed.services
    assert "testbed.json" in repr(testbed)


def test_profile_prediction_interpolates_the_fit(small_text):
    s = epara.parse_scenario(small_text)
    [profile] = s.profiles
    assert profile["name"] == "p"
    assert [(p["batch"], p["latency_ms"]) for p in profile["curves"][0]["points"]] == [(1, 10), (16, 40)]
    assert s.predict_latency_ms("p", "gpu", 1, 1) == pytest.approx(10)
    assert s.predict_latency_ms("p", "gpu", 1, 16) == pytest.approx(40)
    # between the points: the least-squares line through (1, 10) and (16, 40) -> 2 ms per item
    assert s.predict_latency_ms("p", "gpu", 1, 6) == pytest.approx(20, rel=1e-6)


def test_bad_input_raises_with_the_library_message(small_text, tmp_path):
    with pytest.raises(epara.InvalidArgument, match=r"services\[0\]\.slo\.deadline_ms: must be in \(0, "):
        epara.parse_scenario(small_text.replace('"deadline_ms": 200', '"deadline_ms": -1'), "x.json")
    with pytest.raises(FileNotFoundError) as missing:
        epara.load_scenario(str(tmp_path / "missing.json"))
    assert missing.value.filename == str(tmp_path / "missing.json")
    with pytest.raises(IsADirectoryError):
        epara.load_scenario(str(tmp_path))
    s = epara.parse_scenario(small_text)
    with pytest.raises(ValueError, match="unknown profile 'q'"):
        s.predict_latency_ms("q", "gpu", 1, 1)


def test_categorize(testbed):
    rows = {r["service"]: r for r in epara.categorize(testbed)}
    assert rows["llm-70b"]["category"] == "LS-N"
    assert rows["video-seg-heavy"]["category"] == "FS-N"
    assert rows["video-detect"]["category"] == "FS-1"
    assert rows["chat-llm"]["category"] == "LS-1"
    assert all(r["reason"] for r in rows.values())


def test_allocate_plans_meet_their_slo(testbed):
    plans = epara.allocate(testbed)
    assert len(plans) == len(testbed.services)
    deadlines = {s["name"]: s["slo"]["deadline_ms"] for s in testbed.to_dict()["services"]}
    for p in plans:
        assert p.feasible, p.reason
        assert p.worst_latency_ms <= deadlines[p.service] + 1e-6
        assert p.capacity_per_s >= p.demand_per_s - 1e-6
        assert p.explanation
    heavy = next(p for p in plans if p.service == "video-seg-heavy")
    assert "data-parallel" in heavy.modes and heavy.replicas > 1
    big = next(p for p in plans if p.service == "llm-70b")
    assert big.gpus_per_replica > 1 and "model-parallel" in big.modes


def test_to_dict_round_trips_the_whole_scenario(testbed):
    d = testbed.to_dict()
    assert d["simulation"]["load_scale"] == 3  # the default run's busy hour, kept
    again = epara.parse_scenario(json.dumps(d))
    assert again.to_dict() == d
    run = dict(strategies=["epara", "nexus"], duration_s=6)
    assert epara.simulate(again, **run) == epara.simulate(testbed, **run)
    # Modified through the dict: the same run without video detection's demand.
    d["demand"] = [x for x in d["demand"] if x["service"] != "video-detect"]
    without = epara.simulate(epara.parse_scenario(json.dumps(d)), ["offload"], duration_s=6)[0]
    offered = {x["service"]: x["offered"] for x in without["services"]}
    assert offered["video-detect"] == 0 and offered["stream-llm"] > 0


def test_to_dict_keeps_a_trace_reachable(tmp_path, monkeypatch):
    original = epara.load_scenario(os.path.join(SCENARIOS, "llm-trace.json"))
    d = original.to_dict()
    assert os.path.isabs(d["simulation"]["trace"]["file"])
    monkeypatch.chdir(tmp_path)  # the trace's path no longer relative to anything here
    again = epara.parse_scenario(json.dumps(d))
    run = dict(strategies=["epara"], duration_s=5, warmup_s=1)
    assert epara.simulate(again, **run) == epara.simulate(original, **run)


def test_scenarios_pickle_and_copy(testbed):
    for copied in (pickle.loads(pickle.dumps(testbed)), copy.deepcopy(testbed), copy.copy(testbed)):
        assert copied.to_dict() == testbed.to_dict()
        assert copied.source == testbed.source
        run = dict(strategies=["offload"], duration_s=4, warmup_s=1)
        assert epara.simulate(copied, **run) == epara.simulate(testbed, **run)


def test_plans_convert_to_dicts(testbed):
    plans = epara.allocate(testbed)
    rows = [p.to_dict() for p in plans]
    assert [r["service"] for r in rows] == [p.service for p in plans]
    for p, r in zip(plans, rows):
        assert r["max_batch"] == p.max_batch and r["explanation"] == p.explanation
        assert set(r) == {name for name in dir(p) if not name.startswith("_")} - {"to_dict"}
