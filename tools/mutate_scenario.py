#!/usr/bin/env python3
"""Runs the programs on schema-valid mutants of a scenario and sorts every outcome.

Each mutant sets one numeric field of the scenario (every number in the file, found by walking
the JSON) to one extreme value: 0, negative, tiny, huge, the largest double, an integer beyond
int64, and the ends of the documented ranges. Each program runs under a timeout and its outcome is one of

  accepted      exit 0
  named error   exit 1 with an error that names the file and the mutated field's JSON path
  work limit    exit 1: the run would offer more items than --max-items (a bound across fields)
  other field   exit 1 naming the file and another field (a check across fields)
  unnamed       exit 1 with an error that names no field of the file
  internal      an internal invariant reached the user ("accounting mismatch", "::")
  sanitizer     a sanitizer report ("runtime error:", "AddressSanitizer")
  crash         killed by a signal
  hang          still running at the timeout

The run fails (exit 1) on any unnamed, internal, sanitizer, crash or hang outcome.
Deterministic: the mutants are listed in file order; --sample N takes N of them spread evenly.

  python3 tools/mutate_scenario.py build/release examples/scenarios/testbed.json
  python3 tools/mutate_scenario.py build/release examples/scenarios/testbed.json --sample 60
"""

import argparse
import collections
import concurrent.futures
import copy
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

# Beyond every range, and the ends of the documented ranges (include/epara/model/limits.hpp),
# where an accepted value must still give a bounded run.
EXTREMES = [0, -1, 1e-300, 1e-9, 1e-6, 1e-3, 0.5, 1e3, 1e4, 1e6, 1e7, 1e9, 1e300,
            1.7976931348623157e308, 2**63 + 1]
BAD = ("unnamed", "internal", "sanitizer", "crash", "hang")
# Messages of internal invariants: a function name ("World::finish: ...") or the accounting check.
INTERNAL = re.compile(r"accounting mismatch|\b[A-Za-z_]+::[A-Za-z_]+: |invariant", re.I)


def numeric_paths(value, path=""):
    """Every numeric leaf of a JSON document as (path, value), path in the loaders' notation."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from numeric_paths(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from numeric_paths(child, f"{path}[{i}]")


def set_at(doc, path, new):
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node = doc
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = new
    else:
        node[last] = new


def classify(rc, err, path, source):
    if rc is None:
        return "hang"
    if "runtime error:" in err or "Sanitizer" in err:
        return "sanitizer"
    if rc < 0:
        return "crash"
    if rc == 0:
        return "accepted"
    if "max_items" in err:
        return "work limit"
    if INTERNAL.search(err):
        return "internal"
    if f"{source}: {path}:" in err or f"{source}: {path}" in err:
        return "named error"
    if f"{source}: " in err or f"{source}:" in err:
        return "other field"
    return "unnamed"


def run_one(program_args, scenario_path, timeout):
    try:
        done = subprocess.run(program_args + [scenario_path], capture_output=True, text=True,
                              timeout=timeout)
        return done.returncode, done.stderr
    except subprocess.TimeoutExpired:
        return None, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", help="build directory (holds src/cli/epara-*)")
    parser.add_argument("scenario", help="scenario to mutate")
    parser.add_argument("--sample", type=int, default=0,
                        help="take this many mutants, spread evenly (0: all)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds a run may take")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--programs", default="sim,allocate,place",
                        help="comma-separated: sim, allocate, place")
    args = parser.parse_args()

    cli = pathlib.Path(args.build) / "src" / "cli"
    # Short runs: the mutants test the inputs, not the workload; --max-items bounds the work.
    commands = {
        "sim": [str(cli / "epara-sim"), "--duration", "3", "--warmup", "0", "--no-progress",
                "--max-items", "2000000"],
        "allocate": [str(cli / "epara-allocate")],
        "place": [str(cli / "epara-place")],
    }
    programs = [p for p in args.programs.split(",") if p]
    for p in programs:
        if p not in commands:
            parser.error(f"--programs: unknown program '{p}'")

    original = json.loads(pathlib.Path(args.scenario).read_text())
    mutants = [(path, v) for path, old in numeric_paths(original) for v in EXTREMES if v != old]
    if args.sample and args.sample < len(mutants):
        step = len(mutants) / args.sample
        mutants = [mutants[int(i * step)] for i in range(args.sample)]

    outcomes = collections.Counter()
    failures = []
    across = []  # errors from a check across fields: not failures, listed for a reader
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for i, (path, value) in enumerate(mutants):
            doc = copy.deepcopy(original)
            set_at(doc, path, value)
            # The file keeps the scenario's name so that errors are comparable; one folder each.
            folder = pathlib.Path(tmp) / str(i)
            folder.mkdir()
            target = folder / pathlib.Path(args.scenario).name
            # A trace named relative to the scenario must still be found: name it absolutely.
            trace = doc.get("simulation", {}).get("trace", {})
            if isinstance(trace, dict) and isinstance(trace.get("file"), str):
                trace["file"] = str((pathlib.Path(args.scenario).parent / trace["file"]).resolve())
            target.write_text(json.dumps(doc))
            for program in programs:
                jobs.append((program, path, value, str(target)))
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = pool.map(
                lambda job: (job, run_one(commands[job[0]], job[3], args.timeout)), jobs)
            for (program, path, value, target), (rc, err) in results:
                outcome = classify(rc, err, path, target)
                outcomes[(program, outcome)] += 1
                last = err.strip().splitlines()[-1] if err.strip() else ""
                line = f"{program} {path}={value!r}: {outcome}: {last[:300]}"
                if outcome in BAD:
                    failures.append(line)
                elif outcome == "other field":
                    across.append(line)

    names = ["accepted", "named error", "other field", "work limit"] + list(BAD)
    print(f"{len(mutants)} mutants of {args.scenario} "
          f"({len(list(numeric_paths(original)))} numeric fields x {len(EXTREMES)} values)")
    print("| program | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for program in programs:
        print(f"| epara-{program} | " +
              " | ".join(str(outcomes[(program, n)]) for n in names) + " |")
    for line in across + failures:
        print(line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
