import pytest

import epara


def test_allocators_listed():
    names = [n for n, _ in epara.allocators()]
    assert names == ["epara", "uncategorized", "nexus", "alpaserve", "offload"]


def test_simulate_rows_are_plain_and_add_up(testbed):
    rows = epara.simulate(testbed, ["epara", "uncategorized"], duration_s=10, load=2)
    assert [r["allocator"] for r in rows] == ["epara", "uncategorized"]
    for r in rows:
        assert r["balanced"]
        assert r["offered"] == r["served"] + r["late"] + r["rejected"]
        assert r["load_scale"] == 2
        assert sum(s["offered"] for s in r["services"]) == r["offered"]
    assert rows[0]["goodput_per_s"] > rows[1]["goodput_per_s"]


def test_simulate_is_deterministic_per_seed(testbed):
    a = epara.simulate(testbed, ["offload"], duration_s=8, seed=4)
    b = epara.simulate(testbed, ["offload"], duration_s=8, seed=4)
    assert a == b


def test_simulate_errors(testbed):
    with pytest.raises(ValueError, match="unknown allocator 'fifo'"):
        epara.simulate(testbed, ["fifo"])
    with pytest.raises(ValueError, match="warm-up must be shorter"):
        epara.simulate(testbed, ["epara"], duration_s=1, warmup_s=2)
