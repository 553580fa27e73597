import json

import pytest

import epara
from surrogate_objective import PySurrogate


@pytest.mark.parametrize("variant", ["plain", "lazy"])
def test_python_objective_places_as_the_cpp_one(testbed, variant):
    gs = epara.GroundSet(testbed)
    assert len(gs) > 0
    cpp = epara.greedy(gs, "surrogate", variant=variant)
    mine = PySurrogate(gs)
    py = epara.greedy(gs, mine, variant=variant)
    assert py["chosen"] == cpp["chosen"]
    assert py["value"] == cpp["value"]
    assert mine.calls == py["evaluations"] > 0


def test_lazy_greedy_needs_fewer_evaluations(testbed):
    gs = epara.GroundSet(testbed)
    plain = epara.greedy(gs, "flow", variant="plain")
    lazy = epara.greedy(gs, "flow", variant="lazy")
    assert lazy["chosen"] == plain["chosen"]
    assert lazy["evaluations"] < plain["evaluations"]


def test_ground_set_describes_its_candidates(testbed):
    gs = epara.GroundSet(testbed)
    c = gs.candidates[0]
    assert c["service"] in testbed.services and c["server"] in testbed.servers
    assert c["capacity"] > 0 and c["devices"] >= 1
    nodes = gs.demand_nodes
    assert sum(n["demand"] for n in nodes) > 0
    assert all(gs.reaches(i, cand["group"]) in (True, False) for i in range(len(nodes))
               for cand in gs.candidates[:3])
    with pytest.raises(ValueError, match="out of range"):
        gs.reaches(len(nodes), 0)


def test_place_and_keep(small_text):
    s = epara.parse_scenario(small_text)
    first = epara.place(s)
    assert first["summary"]["served_per_s"] == pytest.approx(150)
    assert first["instances"]
    again = epara.place(s, current=first, load_budget_s=0)
    assert all(i["kept"] for i in again["instances"])
    assert again["summary"]["served_per_s"] == pytest.approx(150)


def test_place_serves_every_service(testbed):
    def status(placement, name):
        return next(s["status"] for s in placement["services"] if s["service"] == name)

    every = epara.place(testbed)
    items = epara.place(testbed, serve_every_service=False)
    assert status(items, "llm-70b") == "unserved"  # a 4-GPU server serves more frames
    assert status(every, "llm-70b") == "served"
    assert items["summary"]["served_per_s"] > every["summary"]["served_per_s"]
    shares = epara.place(testbed, weighting="demand-share", serve_every_service=False)
    assert shares["summary"]["served_per_s"] > 0
    with pytest.raises(ValueError, match="weighting: unknown 'votes'"):
        epara.place(testbed, weighting="votes")


def test_place_spare_replicas(testbed):
    spared = epara.place(testbed)
    bare = epara.place(testbed, spare_replicas=False)
    spares = [i for i in spared["instances"] if i["spare"]]
    assert spares and not any(i["spare"] for i in bare["instances"])
    assert len(spared["instances"]) == len(bare["instances"]) + len(spares)
    assert all(i["share"] == 1.0 for i in spares)  # whole idle devices only
    assert spared["summary"]["served_per_s"] == pytest.approx(bare["summary"]["served_per_s"])


def test_placement_errors(testbed):
    with pytest.raises(ValueError, match="variant: unknown 'greedy' .known: plain, lazy, stochastic"):
        epara.place(testbed, variant="greedy")
    with pytest.raises(ValueError, match="objective: give 'flow', 'surrogate', or an object"):
        epara.greedy(epara.GroundSet(testbed), object())

    class Broken:
        def gain(self, c):
            raise KeyError("boom")

        def commit(self, c):
            pass

        def value(self):
            return 0.0

    with pytest.raises(KeyError, match="boom"):
        epara.greedy(epara.GroundSet(testbed), Broken())


def test_place_headroom_and_floor(testbed):
    plain = epara.place(testbed)
    tiered = epara.place(testbed, headroom=1.2, attainment_floor=0.25)
    # Figures are for the demand given; the headroom only sizes plans and adds capacity.
    assert tiered["summary"]["demand_per_s"] == pytest.approx(plain["summary"]["demand_per_s"])
    assert tiered["summary"]["served_per_s"] <= tiered["summary"]["demand_per_s"] + 1e-6
    with pytest.raises(ValueError, match="attainment floor"):
        epara.place(testbed, attainment_floor=1.5)
    with pytest.raises(ValueError, match="headroom"):
        epara.place(testbed, headroom=0.5)


def test_place_chooses_its_floor(testbed):
    plain = epara.place(testbed, headroom=1.2)
    chosen = epara.place(testbed, headroom=1.2, attainment_floor="auto")
    assert chosen["summary"]["attainment_floor"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert plain["summary"]["attainment_floor"] == 0.0
    # A chosen floor gives up at most 1% of the items planned without one.
    assert chosen["summary"]["served_per_s"] >= 0.99 * plain["summary"]["served_per_s"] - 1e-6
    with pytest.raises(ValueError, match="auto"):
        epara.place(testbed, attainment_floor="fair")


@pytest.mark.parametrize("options", [{}, {"headroom": 1.2, "attainment_floor": 0.25},
                                     {"variant": "plain", "spare_replicas": False}])
def test_a_python_objective_drives_place(testbed, options):
    """PySurrogate, made by the scheduler for each ground set it searches (every tier of its
    objective, every re-evaluation of local search), places exactly as the C++ surrogate."""
    made = []

    def make(gs):
        made.append(gs)
        return PySurrogate(gs)

    cpp = epara.place(testbed, objective="surrogate", **options)
    mine = epara.place(testbed, objective=make, **options)
    assert mine["instances"] == cpp["instances"] and mine["summary"] == cpp["summary"]
    assert len(made) > 1 and all(len(gs) == len(made[0]) for gs in made)
    # The ground sets outlive the call (each keeps its scenario).
    assert made[-1].candidates[0]["service"] in testbed.services
    # The class itself is such a callable.
    assert epara.place(testbed, objective=PySurrogate, **options)["instances"] == cpp["instances"]


def test_a_python_objective_that_differs_places_otherwise(testbed):
    class OnlyChat(PySurrogate):  # values chat-llm's demand alone
        def gain(self, c):
            return super().gain(c) if self.cands[c]["service"] == "chat-llm" else 0.0

        def commit(self, c):
            if self.cands[c]["service"] == "chat-llm":
                super().commit(c)

    p = epara.place(testbed, objective=OnlyChat, serve_every_service=False, spare_replicas=False)
    assert {i["service"] for i in p["instances"]} == {"chat-llm"}


def test_a_python_objective_errors(testbed):
    with pytest.raises(ValueError, match="objective: give 'flow', 'surrogate', or a callable"):
        epara.place(testbed, objective=5)
    with pytest.raises(ValueError, match="must return an object with gain"):
        epara.place(testbed, objective=lambda gs: object())
    with pytest.raises(TypeError, match="scenario must be an epara.Scenario"):
        epara.place("testbed.json")


def test_local_search_removes_pairs(scenarios_dir):
    # edge-memory after site 2's server fails, at 4× its demand: single removals stop where
    # detection holds the L4s and segmentation the boards; pairs reach the ILP optimum
    # (docs/placement.md, "The algorithms").
    s = json.load(open(scenarios_dir / "edge-memory.json"))
    gone = {"m2-edge", "m2-board", "m2-pi"}
    s["servers"] = [v for v in s["servers"] if v["name"] not in gone]
    s["network"]["links"] = [l for l in s["network"]["links"] if not set(l["between"]) & gone]
    s["demand"] = [d for d in s["demand"] if d["origin"] not in gone]
    for d in s["demand"]:
        for key in ("rate_per_s", "streams"):
            if key in d:
                d[key] *= 4
    after = epara.parse_scenario(json.dumps(s), "edge-memory after its failure")
    single = epara.place(after, serve_every_service=False, local_search_pairs=False)
    paired = epara.place(after, serve_every_service=False)
    assert paired["summary"]["served_per_s"] > single["summary"]["served_per_s"] * 1.1
