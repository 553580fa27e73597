"""Simulation sweeps: every (scenario, strategy, load, seed) as its own run, in parallel
processes on this machine, returned as one tidy table (a list of flat dicts)."""

import concurrent.futures
import copy
import os
import pickle

from . import _core

def _name(strategy):
    return getattr(strategy, "name", type(strategy).__name__)


def _run(task):
    scenario, strategy, load, seed, options = task
    # A Python strategy may keep state: each run gets a fresh copy, as a worker process would.
    if not isinstance(strategy, str):
        strategy = copy.deepcopy(strategy)
    (row,) = _core.simulate(scenario, [strategy], load=load, seed=seed, **options)
    return {"scenario": scenario.source, **row}


def sweep(scenarios, strategies=None, loads=None, seeds=1, first_seed=1, processes=None,
          on="processes", **options):
    """Simulates every scenario under every strategy at every load (None: each scenario's
    own `simulation.load_scale`) with `seeds` seeds
    (first_seed, first_seed + 1, ...), each run in a worker process (`processes`: how many;
    None: one per CPU; 1: in this process, in order). Runs are independent and deterministic
    per seed, so the table is the same however many processes run it.

    A strategy is a built-in's name or a Python strategy object (as simulate() takes); each run
    gets its own copy of an object, which worker processes receive pickled.

    `on="ray"` runs each run as a Ray task instead, on the cluster `ray.init(address=...)`
    connected this process to (or, when Ray is not initialized yet, on a local one that
    `ray.init()` starts); the table is the same. Ray's workers need epara importable (the
    same package installed on every node); `processes` does not apply.

    `options` go to every simulate() call (duration_s, warmup_s, burstiness, scale). Returns one
    dict per run, ordered by scenario, strategy, load and seed: scenario (its source) and
    simulate()'s row (strategy, load_scale, seed, burstiness, gpus, cpus, the run's figures and its
    per-service rows) — pandas.DataFrame(rows) works as is.
    """
    if isinstance(scenarios, _core.Scenario):
        scenarios = [scenarios]
    if not scenarios:
        raise ValueError("sweep: no scenarios")
    if strategies is None:
        strategies = [name for name, _ in _core.strategies()]
    if not strategies:
        raise ValueError("sweep: strategies is empty (None runs every built-in)")
    known = {name for name, _ in _core.strategies()}
    unknown = [a for a in strategies if isinstance(a, str) and a not in known]
    if unknown:
        raise ValueError(f"sweep: unknown strategy '{unknown[0]}' (known: {', '.join(sorted(known))})")
    if loads is None:
        loads = [None]
    elif not loads or any(not load > 0 for load in loads):
        raise ValueError("sweep: loads must be None or a non-empty list of numbers > 0")
    if seeds < 1:
        raise ValueError("sweep: seeds must be >= 1")
    if processes is not None and processes < 1:
        raise ValueError("sweep: processes must be >= 1")
    if on not in ("processes", "ray"):
        raise ValueError(f"sweep: on='{on}' (expected 'processes' or 'ray')")
    tasks = [(s, a, load, first_seed + k, options) for s in scenarios for a in strategies
             for load in loads for k in range(seeds)]
    if on == "ray":
        return _on_ray(tasks)
    workers = processes or os.cpu_count() or 1
    if workers == 1 or len(tasks) == 1:
        return [_run(t) for t in tasks]
    for strategy in strategies:
        if not isinstance(strategy, str):
            try:
                pickle.dumps(strategy)
            except Exception as e:
                raise ValueError(
                    f"sweep: strategy {_name(strategy)!r} cannot be sent to worker processes "
                    f"({e}); define its class at a module's top level, or pass processes=1"
                ) from e
    # Scenarios travel to the workers pickled (as their text); results come back in task order.
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        return list(pool.map(_run, tasks))


def _on_ray(tasks):
    try:
        import ray
    except ImportError as e:
        raise ImportError("sweep(on='ray') needs Ray: pip install ray") from e
    if not ray.is_initialized():
        ray.init()  # a local cluster; ray.init(address=...) beforehand to use another
    run = ray.remote(_run)
    # Scenarios and strategies travel pickled, as to worker processes; ray.get keeps task order.
    return ray.get([run.remote(t) for t in tasks])
