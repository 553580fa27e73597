import pytest

import epara


def test_strategies_listed():
    names = [n for n, _ in epara.strategies()]
    assert names == ["epara", "uncategorized", "nexus", "alpaserve", "offload"]


def test_simulate_rows_are_plain_and_add_up(testbed):
    rows = epara.simulate(testbed, ["epara", "uncategorized"], duration_s=10, load=2)
    assert [r["strategy"] for r in rows] == ["epara", "uncategorized"]
    for r in rows:
        assert r["balanced"]
        assert r["offered"] == r["served"] + r["late"] + r["rejected"]
        assert r["load_scale"] == 2
        assert sum(s["offered"] for s in r["services"]) == r["offered"]
        for k in ("served", "late"):
            assert sum(s[k] for s in r["services"]) == r[k]
        assert sum(sum(s["rejected"].values()) for s in r["services"]) == r["rejected"]
        offered = [s for s in r["services"] if s["offered"] > 0]
        worst = min(offered, key=lambda s: s["attainment"])
        assert r["worst_attainment"] == worst["attainment"]
        assert r["worst_service"] == worst["service"]
        a = [s["attainment"] for s in offered]
        assert r["fairness"] == pytest.approx(sum(a) ** 2 / (len(a) * sum(x * x for x in a)))
        for s in offered:
            assert s["attainment"] == pytest.approx(s["served"] / s["offered"])
            assert sum(s["hops"]) == s["offered"]  # every outcome, by offloads taken
            if s["served"] + s["late"]:
                assert 0 < s["p50_latency_s"] <= s["p95_latency_s"] <= s["p99_latency_s"]
                cdf = dict((q, seconds) for seconds, q in s["latency_cdf"])
                assert (cdf[0.5], cdf[0.95], cdf[0.99]) == (
                    s["p50_latency_s"], s["p95_latency_s"], s["p99_latency_s"])
            else:
                assert s["latency_cdf"] == []
            assert sorted(s["modes"]) == sorted(
                ["model-parallel", "data-parallel", "batching", "multi-frame", "multi-task"])
            assert all(0 <= share <= 1 for share in s["modes"].values())
    # llm-70b runs on 4-GPU replicas only (model parallel) under every strategy that serves it.
    for r in rows:
        llm70b = next(s for s in r["services"] if s["service"] == "llm-70b")
        if llm70b["served"] + llm70b["late"]:
            assert llm70b["modes"]["model-parallel"] == 1.0
    assert rows[0]["goodput_per_s"] > rows[1]["goodput_per_s"]


def test_simulate_is_deterministic_per_seed(testbed):
    a = epara.simulate(testbed, ["offload"], duration_s=8, seed=4)
    b = epara.simulate(testbed, ["offload"], duration_s=8, seed=4)
    assert a == b


def test_simulate_errors(testbed):
    with pytest.raises(ValueError, match="unknown strategy 'fifo'"):
        epara.simulate(testbed, ["fifo"])
    with pytest.raises(ValueError, match="warm-up must be shorter"):
        epara.simulate(testbed, ["epara"], duration_s=1, warmup_s=2)


def test_simulate_seeds_burstiness_and_scale(testbed):
    two = epara.simulate(testbed, ["offload"], duration_s=6, seed=3, seeds=2)
    assert [r["seed"] for r in two] == [3, 4]
    for r in two:  # each seed's row is that seed's run alone
        assert [r] == epara.simulate(testbed, ["offload"], duration_s=6, seed=r["seed"])
    assert two[0]["offered"] != two[1]["offered"]
    poisson = two[0]
    assert poisson["burstiness"] == 1.0 and poisson["gpus"] == testbed.gpu_count
    bursty = epara.simulate(testbed, ["offload"], duration_s=6, seed=3, burstiness=3)[0]
    assert bursty["burstiness"] == 3 and bursty["offered"] != poisson["offered"]
    scaled = epara.simulate(testbed, ["offload"], duration_s=6, seed=3, scale=2)[0]
    assert scaled["gpus"] > testbed.gpu_count
    assert scaled["offered"] == poisson["offered"]  # the same arrivals on a larger cluster


def test_simulate_rejects_what_epara_sim_rejects(testbed):
    for kwargs, message in [({"seeds": 0}, "seeds must be >= 1"),
                            ({"load": 0}, r"load must be in \[0.001, 1000\] \(got 0\)"),
                            ({"burstiness": -1}, r"burstiness must be in \[0.01, 100\]"),
                            ({"scale": 0}, r"scale must be in \(0, 100\]"),
                            ({"duration_s": 1e300}, r"duration_s must be in \(0, 1000000\]")]:
        with pytest.raises(ValueError, match=message):
            epara.simulate(testbed, ["epara"], **{"duration_s": 2, **kwargs})
    with pytest.raises(ValueError, match="strategies is empty"):
        epara.simulate(testbed, [])


def test_sweep_in_processes_equals_the_sequential_table(testbed, small_text):
    small = epara.parse_scenario(small_text, "small.json")
    strategies = [name for name, _ in epara.strategies()]
    run = dict(strategies=strategies, loads=[1, 2, 4], seeds=5, duration_s=6, warmup_s=1)
    sequential = epara.sweep([testbed, small], processes=1, **run)
    parallel = epara.sweep([testbed, small], processes=4, **run)
    assert len(sequential) == 2 * 5 * 3 * 5
    assert parallel == sequential
    # Ordered by scenario, strategy, load and seed; each row is that run alone.
    keys = [(r["scenario"], r["strategy"], r["load_scale"], r["seed"]) for r in sequential]
    assert keys == [(s.source, a, float(l), k) for s in (testbed, small) for a in strategies
                    for l in (1, 2, 4) for k in range(1, 6)]
    one = epara.simulate(small, ["nexus"], load=2, seed=3, duration_s=6, warmup_s=1)[0]
    row = next(r for r in sequential if r["scenario"] == "small.json" and r["strategy"] == "nexus"
               and r["load_scale"] == 2 and r["seed"] == 3)
    assert row["goodput_per_s"] == one["goodput_per_s"] and row["services"] == one["services"]


def test_sweep_defaults_and_errors(testbed):
    rows = epara.sweep(testbed, ["offload"], duration_s=6, processes=1)
    assert [(r["load_scale"], r["seed"]) for r in rows] == [(3.0, 1)]  # the scenario's own load
    for kwargs, message in [({"strategies": []}, "strategies is empty"),
                            ({"strategies": ["fifo"]}, "unknown strategy 'fifo'"),
                            ({"loads": [0]}, "loads must be"), ({"seeds": 0}, "seeds must be"),
                            ({"processes": 0}, "processes must be")]:
        with pytest.raises(ValueError, match=message):
            epara.sweep(testbed, **kwargs)
    with pytest.raises(ValueError, match="no scenarios"):
        epara.sweep([])


def test_bound_caps_every_strategy_and_bounds_the_gpus_needed(testbed):
    run = dict(duration_s=10, warmup_s=2)
    bound = epara.bound(testbed, target=0.99, **run)
    assert 0 < bound["fair_goodput_per_s"] <= bound["goodput_per_s"] <= bound["offered_per_s"]
    assert set(bound["alone"]) == set(testbed.services)
    for row in epara.simulate(testbed, **run):
        # Expected rates against one draw of the arrivals: a run may exceed by its noise.
        assert row["goodput_per_s"] <= 1.02 * bound["goodput_per_s"]
    lower = bound["gpus_needed"]
    assert lower["reached"] and lower["gpus_below"] < lower["gpus"]
    needed = epara.gpus_needed(testbed, "epara", target=0.99, **run)
    assert needed["strategy"] == "epara" and needed["reached"]
    assert lower["gpus"] <= needed["gpus"] and needed["gpus_below"] < needed["gpus"]
    # At the GPUs found, the target is reached.
    at = epara.simulate(testbed, ["epara"], scale=needed["factor"], **run)[0]
    assert at["gpus"] == needed["gpus"] and at["attainment"] >= 0.99


def test_gpus_needed_takes_a_python_strategy(testbed):
    from least_queued_strategy import LeastQueued

    needed = epara.gpus_needed(testbed, LeastQueued(), target=0.5, duration_s=6, warmup_s=1)
    assert needed["strategy"] == "least-queued (Python)" and needed["evaluations"] >= 1
    with pytest.raises(ValueError, match="target must be in"):
        epara.gpus_needed(testbed, "epara", target=0)
