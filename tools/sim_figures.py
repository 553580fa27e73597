#!/usr/bin/env python3
"""The simulator's figures on shipped scenarios, recorded and checked: a change meant to keep
behaviour (a refactor, a renamed parameter) must leave every figure identical.

  tools/sim_figures.py record build/release    # after an intended change; say why in the commit
  tools/sim_figures.py check build/release     # what the ctest "figures: ..." runs

Each run is one line of RUNS: a name, a scenario of examples/scenarios/, epara-sim's options.
The figures are epara-sim's --json output, kept in tests/sim/figures/<name>.json. They hold for
the Release build on x86-64 with GCC (other optimizations may round differently).
"""
import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIGURES = ROOT / "tests" / "sim" / "figures"
RUNS = {
    "testbed-sweep": ("testbed", ["--sweep", "1,4", "--seeds", "2"]),
    "video": ("video", []),
    "edge-memory": ("edge-memory", []),
    "llm-trace": ("llm-trace", []),
    "measured-cpu": ("measured-cpu", []),
}


def simulate(build: pathlib.Path, name: str) -> list:
    scenario, options = RUNS[name]
    sim = build / "src" / "cli" / "epara-sim"
    command = [str(sim), str(ROOT / "examples" / "scenarios" / f"{scenario}.json"), *options,
               "--json", "-"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"sim_figures: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    runs = json.loads(done.stdout)
    # Each service's latency CDF (102 points) would make the files 7x larger; it is read from
    # the same histogram as the p50/p95/p99 kept here (test_metrics checks the two agree).
    for run in runs:
        for service in run["services"]:
            service.pop("latency_cdf", None)
    return runs


def first_difference(expected, actual, path="") -> str | None:
    """Where two JSON values first differ, as a JSON path with both values."""
    if type(expected) is not type(actual):
        return f"{path or '.'}: recorded {expected!r}, now {actual!r}"
    if isinstance(expected, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in expected or key not in actual:
                return f"{path}.{key}: in one output only"
            if (why := first_difference(expected[key], actual[key], f"{path}.{key}")):
                return why
        return None
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} entries recorded, {len(actual)} now"
        for i, (e, a) in enumerate(zip(expected, actual)):
            if (why := first_difference(e, a, f"{path}[{i}]")):
                return why
        return None
    return None if expected == actual else f"{path}: recorded {expected!r}, now {actual!r}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["record", "check"])
    parser.add_argument("build", type=pathlib.Path, help="a build directory (build/release)")
    parser.add_argument("--run", choices=sorted(RUNS), help="one run only (default: all)")
    args = parser.parse_args()
    names = [args.run] if args.run else sorted(RUNS)
    failed = False
    for name in names:
        figures = simulate(args.build, name)
        path = FIGURES / f"{name}.json"
        if args.mode == "record":
            FIGURES.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
            print(f"recorded {path.relative_to(ROOT)}")
            continue
        if not path.exists():
            sys.exit(f"sim_figures: {path} is missing: run 'tools/sim_figures.py record'")
        why = first_difference(json.loads(path.read_text()), figures)
        print(f"{name}: {'identical' if why is None else 'CHANGED at ' + why}")
        failed |= why is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
