import json
import os
import sys

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


def test_a_python_strategy_serves_a_cluster_without_gpus_from_its_cpus(small_text):
    """The small scenario with b's GPU declared as b's CPU: a strategy sees the CPU, deploys on
    it as "cpu", and serves there; the built-ins serve alike from it."""
    d = json.loads(small_text)
    d["device_classes"][0]["kind"] = "cpu"
    d["servers"] = [{"name": v, "kind": "edge_server", "cpu": "gpu"} for v in ("a", "b")]
    s = epara.parse_scenario(json.dumps(d))
    assert (s.gpu_count, s.cpu_count) == (0, 2)
    seen = {}

    class OnCpus:
        name = "on-cpus"

        def deploy(self, sim):
            seen["devices"] = {v: (sim.gpus(v), sim.cpu(v)) for v in sim.servers}
            return [("s", v, "cpu") for v in sim.servers]

        def route(self, sim, request):
            return ("local", sim.local_instances("s")[0])

    rows = epara.simulate(s, [OnCpus(), LeastQueued(), "epara", "nexus"], duration_s=6,
                          warmup_s=1)
    assert seen["devices"] == {"a": ([], "gpu"), "b": ([], "gpu")}
    for row in rows:
        assert row["balanced"] and (row["gpus"], row["cpus"]) == (0, 2), row["strategy"]
        assert row["devices_used"] > 0 and row["attainment"] > 0.9, row["strategy"]
    assert rows[0]["devices_used"] == 2


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


class Follower(Scripted):
    """Deploys s on a; re-places it on every up server whose requests it measured (or, after
    a failure, on every GPU-0 still up), and records what the placement callbacks saw."""
    name = "follower"
    replan_period_s = 1.0

    def __init__(self, replan=True, on_failure=True):
        super().__init__(self.local_or_offload)
        self.seen = []
        if not replan:
            self.replan = None
        if not on_failure:
            self.on_failure = None

    @staticmethod
    def local_or_offload(sim, request):
        here = sim.local_instances("s")
        if here:
            return ("local", here[0])
        if request["hops"] >= sim.hop_limit:
            return ("reject", "hop-limit")
        return ("offload", "a" if request["at"] == "b" else "b")

    def replan(self, sim):
        demand = sim.measured_demand()
        self.seen.append((sim.now_s, demand, sim.placed(), sim.devices_down()))
        origins = sorted({origin for _, origin, rate in demand if rate > 0})
        return [("s", o, [0]) for o in origins if sim.server_up(o)] or None

    def on_failure(self, sim):
        self.seen.append((sim.now_s, "failure", sim.placed(), sim.devices_down()))
        return [("s", server, [0]) for server in sim.servers if sim.server_up(server)]


def test_a_python_strategy_re_places_from_measured_demand(small_text):
    s = epara.parse_scenario(small_text)
    moving = Follower()
    row = epara.simulate(s, [moving], duration_s=6, warmup_s=1)[0]
    fixed = epara.simulate(s, [Follower(replan=False)], duration_s=6, warmup_s=1)[0]
    assert row["balanced"] and fixed["balanced"]
    assert row["placements"] >= 4 and fixed["placements"] == 0
    now, demand, placed, down = moving.seen[0]
    assert now == pytest.approx(1.0)
    rates = {origin: rate for service, origin, rate in demand}
    assert rates["a"] == pytest.approx(100, rel=0.3) and rates["b"] == pytest.approx(50, rel=0.4)
    assert placed == [("s", "a", [0])] and down == []
    assert moving.seen[1][2] == [("s", "a", [0]), ("s", "b", [0])]
    # b's requests run at b once it hosts s: fewer offloads than with s on a alone.
    (mine,), (theirs,) = row["services"], fixed["services"]
    assert mine["offloads"] < theirs["offloads"] / 2


def test_a_python_strategy_answers_a_failure(small_text):
    text = small_text.rstrip().rstrip("}") + """,
      "simulation": {"faults": [{"at_s": 2, "kind": "server_down", "server": "a"}]}}"""
    s = epara.parse_scenario(text)
    answering = Follower(replan=False)
    row = epara.simulate(s, [answering], duration_s=6, warmup_s=1)[0]
    silent = epara.simulate(s, [Follower(replan=False, on_failure=False)], duration_s=6,
                            warmup_s=1)[0]
    (now, what, placed, down), = answering.seen
    assert what == "failure" and now > 2 and placed == [] and ("a", 0) in down
    (mine,), (theirs,) = row["services"], silent["services"]
    # b's requests (50/s for the 4 s after the failure) are served only where b gets s.
    assert mine["served"] > theirs["served"] + 100


@pytest.mark.parametrize("placing, message", [
    (lambda sim: 7, "replan: returned int; expected a list"),
    (lambda sim: [("s", "a")], "replan: an entry is not \\(service, server, \\[GPU slots\\] or"),
    (lambda sim: [("s", "a", "cpu")], "server 'a' has no device 'cpu'"),
    (lambda sim: [("s", "a", [1, 1])], "GPU 1 listed twice"),
    (lambda sim: [("s", "a", [9])], "server 'a' has no GPU 9"),
])
def test_a_wrong_placement_is_an_error_naming_it(small_text, placing, message):
    strategy = Follower()
    strategy.replan = placing
    with pytest.raises(ValueError, match=message):
        epara.simulate(epara.parse_scenario(small_text), [strategy], duration_s=3, warmup_s=1)


def test_route_sees_no_cluster_wide_state(small_text):
    def peek(sim, request):
        sim.measured_demand()

    with pytest.raises(ValueError, match="route\\(\\) decides for one server"):
        epara.simulate(epara.parse_scenario(small_text), [Scripted(peek)], duration_s=2,
                       warmup_s=1)
    strategy = Follower()
    strategy.replan_period_s = 0
    with pytest.raises(ValueError, match="replan_period_s = 0"):
        epara.simulate(epara.parse_scenario(small_text), [strategy], duration_s=2, warmup_s=1)


def test_sweep_runs_python_strategies_alike_in_processes(small_text):
    small = epara.parse_scenario(small_text, "small.json")
    run = dict(strategies=["offload", LeastQueued(), Follower()], loads=[1, 2], seeds=2,
               duration_s=4, warmup_s=1)
    sequential = epara.sweep(small, processes=1, **run)
    assert epara.sweep(small, processes=3, **run) == sequential
    assert [r["strategy"] for r in sequential] == (
        ["offload"] * 4 + ["least-queued (Python)"] * 4 + ["follower"] * 4)
    # Each run has its own copy of a strategy that keeps state: the first run's again.
    follower = [r for r in sequential if r["strategy"] == "follower"]
    alone = epara.simulate(small, [Follower()], load=1, seed=1, duration_s=4, warmup_s=1)[0]
    assert follower[0]["services"] == alone["services"] and follower[0]["placements"] > 0

    class Local(Scripted):  # not importable by a worker: pickling it fails
        pass

    with pytest.raises(ValueError, match="strategy 'scripted' cannot be sent to worker"):
        epara.sweep(small, [Local(None)], loads=[1, 2], processes=2, duration_s=2, warmup_s=1)


def test_sweep_on_ray_equals_the_table_in_processes(small_text):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install ray)")
    from ray.cluster_utils import Cluster
    small = epara.parse_scenario(small_text, "small.json")
    run = dict(strategies=["offload", "nexus", LeastQueued(), Follower()], loads=[1, 2], seeds=2,
               duration_s=4, warmup_s=1)
    # A cluster of two nodes (a head and a worker raylet, each with its own object store and one
    # CPU), joined by address as a cluster of machines is. Its workers import the strategies'
    # modules (this one, the example's) from this process's path, made absolute.
    path = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1,
                                                            "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": path}})
        assert sum(node["Alive"] for node in ray.nodes()) == 2
        on_ray = epara.sweep(small, on="ray", **run)
    finally:
        ray.shutdown()
        cluster.shutdown()
    assert on_ray == epara.sweep(small, processes=2, **run)
    with pytest.raises(ValueError, match="on='cloud'"):
        epara.sweep(small, on="cloud", **run)


STREAMS = """{
  "device_classes": [{"name": "gpu", "kind": "gpu", "memory_gib": 16, "relative_speed": 1}],
  "servers": [{"name": "a", "kind": "edge_server", "gpus": [{"device_class": "gpu", "count": 1}]},
              {"name": "b", "kind": "edge_server", "gpus": [{"device_class": "gpu", "count": 1}]}],
  "network": {"links": [{"between": ["a", "b"], "latency_ms": 1, "bandwidth_gbps": 10}]},
  "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "gpu", "gpus": 1,
    "points": [{"batch": 1, "latency_ms": 5}, {"batch": 8, "latency_ms": 20}]}]}],
  "services": [{"name": "v", "profile": "p", "model_memory_gib": 2, "input_kib": 10,
                "slo": {"type": "frequency", "rate_per_s": 30, "deadline_ms": 100}}],
  "demand": [{"service": "v", "origin": "b", "streams": 2}]
}"""


class Streamer:
    """Runs v on a only; sends b's streams to a whole (assign_stream), if a admits them."""
    name = "streamer"

    def __init__(self, admit):
        self.admit = admit
        self.calls = {"assign": [], "admit": [], "route at b": 0, "release": []}

    def deploy(self, sim):
        return [("v", "a", [0])]

    def route(self, sim, request):
        if request["at"] == "b":
            self.calls["route at b"] += 1
            return ("offload", "a")
        return ("local", sim.local_instances("v")[0])

    def assign_stream(self, sim, stream):
        self.calls["assign"].append((stream["service"], stream["origin"], sim.local_instances("v")))
        return ["a"]

    def admit_stream(self, sim, service, rate_per_s):
        self.calls["admit"].append((service, rate_per_s, len(sim.local_instances(service))))
        return self.admit

    def release_stream(self, service, targets):
        self.calls["release"].append((service, targets))


def test_a_python_strategy_assigns_streams():
    s = epara.parse_scenario(STREAMS)
    admitted, declined = Streamer(True), Streamer(False)
    rows = epara.simulate(s, [admitted, declined], duration_s=4, warmup_s=1)
    assert all(r["balanced"] for r in rows)
    assert admitted.calls["assign"][:2] == [("v", "b", [])] * 2  # b hosts nothing itself
    assert admitted.calls["admit"][:2] == [("v", 30.0, 1)] * 2   # asked at a, which hosts v
    # Admitted, the streams' frames go to a without route() at b (a frame or two before the
    # answer is back); declined, every frame is routed at b (2 streams x 30/s for the 3-4 s
    # after each stream's start).
    assert admitted.calls["route at b"] <= 4
    assert declined.calls["route at b"] >= 2 * 30 * 3
    assert len(declined.calls["assign"]) > 2  # a declined stream is proposed again later
    assert rows[0]["services"][0]["served"] >= 0.95 * rows[0]["services"][0]["offered"]


@pytest.mark.parametrize("assign, message", [
    (lambda sim, stream: [], "returned no targets"),
    (lambda sim, stream: "a", "expected a list of target server names"),
    (lambda sim, stream: ["nowhere"], "unknown server 'nowhere'"),
])
def test_a_wrong_stream_assignment_is_an_error_naming_it(assign, message):
    strategy = Streamer(True)
    strategy.assign_stream = assign
    with pytest.raises(ValueError, match=message):
        epara.simulate(epara.parse_scenario(STREAMS), [strategy], duration_s=2, warmup_s=1)
    strategy = Streamer(True)
    strategy.admit_stream = lambda sim, service, rate: "yes"
    with pytest.raises(ValueError, match="admit_stream: expected True or False"):
        epara.simulate(epara.parse_scenario(STREAMS), [strategy], duration_s=2, warmup_s=1)


def test_a_stream_whose_target_unloads_is_released_and_assigned_again():
    class Moving(Streamer):
        replan_period_s = 2.0

        def replan(self, sim):
            return [("v", "b", [0])]  # a's instance goes: its streams' shares with it

        def assign_stream(self, sim, stream):
            super().assign_stream(sim, stream)
            return ["b"] if sim.local_instances("v") else ["a"]

        def route(self, sim, request):
            here = sim.local_instances("v")
            if here:
                return ("local", here[0])
            other = "a" if request["at"] == "b" else "b"
            return ("offload", other) if other not in request["visited"] else ("reject", "no-instance")

    moving = Moving(True)
    row = epara.simulate(epara.parse_scenario(STREAMS), [moving], duration_s=4, warmup_s=1)[0]
    assert row["balanced"]
    assert moving.calls["release"] == [("v", ["a"])] * 2
    assert [origin for _, origin, local in moving.calls["assign"][-2:]] == ["b", "b"]
    assert moving.calls["assign"][-1][2] != []  # b hosts v now: assigned to itself


def test_a_python_objective_drives_a_simulation(testbed):
    """examples/python/objective_strategy.py: every placement is epara.place() with the
    objective, on the measured demand each period; PySurrogate (Python) places as the C++
    surrogate, so the runs are the same, CPU instances included."""
    from objective_strategy import PlacedBy
    from surrogate_objective import PySurrogate

    strategies = [PlacedBy(testbed, "surrogate"), PlacedBy(testbed, PySurrogate)]
    for s in strategies:
        s.replan_period_s = 4.0
    cpp, mine = epara.simulate(testbed, strategies, duration_s=12, warmup_s=2)
    assert cpp["balanced"] and cpp["served"] > 0 and cpp["placements"] >= 2
    assert {k: v for k, v in mine.items() if k != "strategy"} == \
        {k: v for k, v in cpp.items() if k != "strategy"}
    # Its placements use the testbed's Raspberry Pi CPUs too, which deploy() takes as "cpu".
    assert any(i["devices"] == "cpu" for i in epara.place(testbed, objective=PySurrogate)["instances"])
