import pytest

import epara
from least_queued_strategy import LeastQueued


def test_a_python_strategy_runs_beside_the_builtins(testbed):
    rows = epara.simulate(testbed, ["epara", LeastQueued(), "offload"], duration_s=8, warmup_s=2)
    assert [r["strategy"] for r in rows] == ["epara", "least-queued (Python)", "offload"]
    mine = rows[1]
    assert mine["balanced"] and mine["served"] > 0
    assert mine["offered"] == rows[0]["offered"]  # the same arrivals
    # It deploys whole GPUs per plan and never shares them: at most the cluster's GPUs.
    assert 0 < mine["devices_used"] <= testbed.gpu_count
    # Deterministic per seed, as the built-ins are.
    again = epara.simulate(testbed, [LeastQueued()], duration_s=8, warmup_s=2)[0]
    assert again == mine


class Scripted:
    """Routes every request as told; deploys one instance of s on a's GPU 0."""
    name = "scripted"

    def __init__(self, decision):
        self.decision = decision

    def deploy(self, sim):
        return [("s", "a", [0])]

    def route(self, sim, request):
        return self.decision(sim, request)


def test_what_a_strategy_sees_and_returns(small_text):
    s = epara.parse_scenario(small_text)
    seen = {}

    def local_or_offload(sim, request):
        seen.setdefault("request", request)
        seen.setdefault("servers", sim.servers)
        here = sim.local_instances("s")
        if here:
            seen.setdefault("instance", sim.instance(here[0]))
            return ("local", here[0])
        return ("offload", "a")

    row = epara.simulate(s, [Scripted(local_or_offload)], duration_s=4, warmup_s=1)[0]
    assert row["balanced"] and row["served"] == row["offered"]
    assert seen["servers"] == ["a", "b"]
    assert set(seen["request"]) == {"service", "origin", "at", "deadline_s", "hops", "visited"}
    assert seen["instance"]["service"] == "s" and seen["instance"]["max_batch"] >= 1
    # Requests entering at b were offloaded once.
    (service,) = row["services"]
    assert service["hops"][1] > 0


@pytest.mark.parametrize("decision, message", [
    (lambda sim, r: ("local", 99), "instance 99 does not serve 's'"),
    (lambda sim, r: ("offload", "nowhere"), "unknown server 'nowhere'"),
    (lambda sim, r: ("reject", "tired"), "unknown reject reason 'tired'"),
    (lambda sim, r: ("fly", None), "expected \\('local', id\\)"),
])
def test_a_wrong_decision_is_an_error_naming_it(small_text, decision, message):
    with pytest.raises(ValueError, match=message):
        epara.simulate(epara.parse_scenario(small_text), [Scripted(decision)], duration_s=2,
                       warmup_s=1)


def test_a_strategy_sees_no_other_server_exactly(small_text):
    def peek(sim, request):
        if request["at"] == "b":
            sim.instance(0)  # instance 0 is on a
        return ("offload", "a") if request["at"] == "b" else ("local", sim.local_instances("s")[0])

    with pytest.raises(ValueError, match="instance 0 is on another server"):
        epara.simulate(epara.parse_scenario(small_text), [Scripted(peek)], duration_s=2, warmup_s=1)


def test_an_exception_in_a_strategy_propagates(small_text):
    def broken(sim, request):
        raise KeyError("mine")

    with pytest.raises(KeyError, match="mine"):
        epara.simulate(epara.parse_scenario(small_text), [Scripted(broken)], duration_s=2,
                       warmup_s=1)


def test_deploy_errors_name_the_entry(small_text):
    class Bad(Scripted):
        def deploy(self, sim):
            return [("s", "a", [5])]

    with pytest.raises(ValueError, match="server 'a' has no GPU 5"):
        epara.simulate(epara.parse_scenario(small_text), [Bad(None)], duration_s=2, warmup_s=1)
    with pytest.raises(ValueError, match="strategy 'object' has no deploy\\(\\) method"):
        epara.simulate(epara.parse_scenario(small_text), [object()], duration_s=2, warmup_s=1)
