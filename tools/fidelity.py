#!/usr/bin/env python3
"""The simulator checked against real runs: one scenario, simulated by epara-sim and served by
epara-nodes on loopback, at several loads; per load, attainment and p50/p99 latency side by side.

    tools/fidelity.py BUILD_DIR [--nodes N] [--loads 0.4,0.6] [--duration S] [--repeats R]
                                [--widths 2048,4096,4096,2048 | --repository DIR --model NAME]
                                [--max-batch B] [--deadline-ms D] [--wrong-by X] [--json OUT]
                                [--requests-dir DIR] [--check]
    tools/fidelity.py BUILD_DIR --replay JSON... [--check | --record]

BUILD_DIR holds src/cli (epara-profile, epara-sim) and src/node (epara-node, epara-load). The
model is the dense reference chain on this machine's CPU, or a TorchScript model of a model
repository (--repository, --model: the service its config names); its profile is measured here
first by epara-profile (every batch size up to --max-batch), so the simulator sees this machine.
A load is a share of what
one node carries within the deadline (the largest rate epara-allocate plans it for with that
profile: its knee), times the number of nodes; all requests enter at edge-0, which offloads
what it cannot serve.

The simulator's latency runs from a request's arrival at its node to its result; a client also
sees its RPC and the node's handling of it (the serving path), which the simulator leaves out.
That path is measured first — the p50 latency at 20 requests/s of a model with the same input
and output and one hidden unit (for a repository model: an identity model of its inputs), whose
pass takes microseconds — and added to the simulated
percentiles. Both see the same arrivals: the tool draws them (Poisson at the load's rate) into
a trace that epara-sim replays and epara-load sends, so that the comparison is not between two
samples of a queue (at 41 requests/s of 15 ms passes, the p50 of 10-s runs of one M/D/1 queue
spans 20-27 ms and the p99 65-140 ms over seeds). Each load runs --repeats times on the nodes
(this machine's runs vary); their median is compared. The real runs come first: edge-0's
/metrics give the passes it ran (count and compute time by batch size), and their speed against
the profile at those batches — on a shared machine it drifts (up to 14% within minutes on an
Intel Xeon, 32% on an AMD EPYC) — is the simulated passes' speed in a simulation of that run
(simulation.pass_time_scale; its allocator plans with the profile as measured, as the node's
did), so that the check is of the simulator's queueing, batching and serving model, not of the
profile's drift; each batch size the node ran MIN_PASSES times or more at its own speed there
(simulation.pass_time_scale_by_batch: near the rate batches of one sustain, a few percent of
their speed decide whether the node batches); and at the variation of the run's passes
(simulation.pass_time_cv: their coefficient of variation by batch size, from the squared times
edge-0 reports);
the median of those simulations is compared with the runs' median; the error with
the profile as measured is printed beside it. The simulator also runs with every pass
--wrong-by times slower than that (default 1.25): a latency model that wrong must fall outside
the tolerances.
--check exits 1 unless, in one of two attempts, every load is within the tolerances and the
wrong model is outside them at some load — the check itself would fail a simulator that wrong
(docs/results.md, "Issue 15"; why a second attempt: "The loads as shares of the knee").
The simulated cloud is idle but for its nodes: when other processes use more than 15% of the
machine's CPU before the check, the tool says so and exits 77 (skipped); when they do while the
profile or a load is measured, or the passes run so much slower than profiled that a load
is past the node's knee, it measures everything again once, and then skips.
--json keeps the real runs (each run's passes by batch size among them); --replay simulates
recorded runs again with the simulator as built and compares them the same way, without nodes
(tests/data/fidelity/ holds some; a ctest replays them)."""
import argparse
import datetime
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "node"))
from cluster_util import Cloud, cpu_cloud, free_ports, finish, load, scrape  # noqa: E402

# A model heavy enough that a request's handling (RPC, copies, wake-ups: CPU the simulator does
# not model) is small beside its compute on this machine's CPU; with 1024-2048-2048-1024 it is
# not, and the simulator is optimistic from 0.6 of capacity on (docs/results.md, "Fidelity").
WIDTHS = [2048, 4096, 4096, 2048]
MAX_BATCH = 32  # profiled at every size up to it: passes are not linear between powers of two
# The deadline, in passes of the largest batch as measured here: a fixed 100 ms was 1.8 of them
# on the machine the tolerances were set on (AMD EPYC, 56 ms) but 0.83 on an Intel Xeon where
# the chain's batches of 2 and more take 56-120 ms; there a load of 0.7 of the batch-32
# throughput was past the SLO's knee (p50 91 ms, 62% attained) and attainment, steep there,
# differed by 9 points for a p50 5% off (CI, 2026-12-06). Relative to the pass, every machine
# checks the same point of the curve.
DEADLINE_PASSES = 2.0
# Tolerances (docs/results.md, "Issue 15", gives the runs behind them): p50 within 20% of the
# measured, p99 within 25%, attainment within 5 points. They were set on an AMD EPYC with the
# profile as measured (10 idle runs: p50 -17.6% to +1.5%, a 25%-slow model +23.5% or more; the
# measured p99 varies by 25% between runs). With the profile at the node's measured speed, 10
# idle runs on an Intel Xeon: p50 -6.5% to +0.1%, p99 -13.1% to +10.1%, the slow model +24.5%
# or more. Those runs had their loads as shares of the largest batch's throughput; with the
# loads as shares of the knee, docs/results.md ("The loads as shares of the knee") has the runs.
P50_SHARE, P99_SHARE, ATTAINMENT_POINTS = 0.20, 0.25, 5.0
# The check stands only if the machine stays as the profile saw it: idle but for the nodes (the
# share of the CPU that other processes take, BUSY_LIMIT, is measured before the check, while
# the profile is measured and while each load runs) and at a speed at which every load stays
# below the node's knee (slo_capacity with the profile at the passes' speed): past it attainment
# is steep in the speed, and past saturation a run's figures depend on its length (in one CI run
# the passes ran x1.76 and x1.81 the profile's time, so a load of 0.7 of the largest batch's
# throughput was 1.26 of it: docs/results.md, "When the machine changes under the check").
# Otherwise the profile is measured again and the loads rerun; if that happens every time, the
# check is skipped.
ATTEMPTS = 2
BUSY_LIMIT = 0.15  # of all cores' time, taken by other processes
SKIPPED = 77  # ctest's SKIP_RETURN_CODE
TRACE_SEED = 1  # of every load's arrivals
# A batch size the node ran at least this often is simulated at its own speed there (its mean
# pass against the profile's); rarer ones at the run's speed over all its passes.
MIN_PASSES = 5


class CpuWatch:
    """What other processes take of the machine's CPU (all cores) from now on: the machine's busy
    time less this process's and its reaped children's (nodes, loaders, simulations)."""

    def __init__(self):
        self.start = self.totals()

    @staticmethod
    def totals():
        # user, nice, system, idle, iowait, irq, softirq, steal (a hypervisor's other guests)
        ticks = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
        ours = sum(getattr(resource.getrusage(who), field)
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                   for field in ("ru_utime", "ru_stime"))
        return sum(ticks), ticks[3] + ticks[4], ours

    def others_share(self):
        (all0, idle0, ours0), (all1, idle1, ours1) = self.start, self.totals()
        per_s = os.sysconf("SC_CLK_TCK")
        busy = (all1 - all0 - (idle1 - idle0)) / per_s
        return max(0.0, busy - (ours1 - ours0)) / max(1e-9, (all1 - all0) / per_s)


class Dense:
    """The dense reference chain of `widths`, serving "classify"."""
    service = "classify"

    def __init__(self, widths, max_batch):
        self.widths, self.max_batch = widths, max_batch

    def profile_args(self):
        return ["--model", "dense", "--widths", *map(str, self.widths)]

    def deployment(self):
        return {"models": [{"service": self.service, "model": "dense", "widths": self.widths,
                            "seed": 1, "max_batch": self.max_batch}]}

    def hollow(self):
        """Same input and output, one hidden unit: a pass of microseconds."""
        return {"models": [{"service": self.service, "model": "dense",
                            "widths": [self.widths[0], 1, self.widths[-1]],
                            "max_batch": self.max_batch}]}


class Repository:
    """Model `name` of a model repository, alone in a repository of its own (a deployment serves
    every model of one), serving the service its config names."""

    def __init__(self, repository, name, max_batch, work):
        config = json.load(open(os.path.join(repository, name, "config.json")))
        self.service, self.inputs = config["service"], config["inputs"]
        self.max_batch = min(max_batch, config["max_batch"])
        self.repository, self.name = os.path.join(work, "repository"), name
        os.makedirs(self.repository)
        os.symlink(os.path.abspath(os.path.join(repository, name)),
                   os.path.join(self.repository, name))

    def profile_args(self):
        return ["--repository", self.repository, "--model", self.name]

    def deployment(self):
        return {"models": [], "model_repository": self.repository}

    def hollow(self):
        """An identity model of the same inputs: the request's payload, no compute."""
        return {"models": [{"service": self.service, "model": "identity",
                            "tensors": self.inputs, "max_batch": self.max_batch}]}


def measured_profile(cli, model, repeats):
    """The profile's (batch, median ms) points, and the spread of its repetitions: by batch, the
    p90 over the median (from epara-profile's table)."""
    batches = range(1, model.max_batch + 1)
    run = subprocess.run([f"{cli}/epara-profile", *model.profile_args(), "--batches",
                          *map(str, batches), "--repeats", str(repeats)],
                         check=True, capture_output=True, text=True)
    profile = json.loads(run.stdout[:run.stdout.rindex("}") + 1])
    table = [line.split() for line in run.stderr.splitlines()]
    p90_over_median = {int(row[1]): float(row[3]) / float(row[2]) for row in table
                       if len(row) == 5 and row[0] == "1" and row[1].isdigit()}
    return [(p["batch"], p["latency_ms"]) for p in profile["curves"][0]["points"]], p90_over_median


def profile_at(points, batch):
    """The profiled pass at a (mean, fractional) batch, linear between the sizes measured."""
    for (b0, ms0), (b1, ms1) in zip(points, points[1:]):
        if batch <= b1:
            return ms0 + (ms1 - ms0) * max(0.0, batch - b0) / (b1 - b0)
    return points[-1][1]


def slo_capacity(cli, points, model, deadline_ms, work):
    """The largest request rate that epara-allocate plans one node for within the deadline
    (bisected to 1/s): the node's knee. Its largest batch's throughput is more, but the deadline
    caps the batch a plan may gather: a load of 0.7 of that throughput was past what the
    allocator plans for in 7 of 14 runs (docs/results.md, "The loads as shares of the knee")."""
    def feasible(rate):
        path = os.path.join(work, "allocate.json")
        json.dump(scenario([1], points, rate, model, deadline_ms), open(path, "w"))  # no node runs
        out = subprocess.run([f"{cli}/epara-allocate", path, "--json"], check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out)["services"][0]["status"] == "feasible"
    low, high = 1, int(1e3 * points[-1][0] / points[-1][1]) + 1
    if not feasible(low):
        raise SystemExit(f"epara-allocate plans no load within the {deadline_ms} ms deadline")
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if feasible(middle) else (low, middle)
    return low


def poisson_trace(path, rate, duration, seed):
    """Poisson arrivals at `rate` over `duration` seconds, as an Azure-trace CSV (the format
    epara-sim and epara-load replay); every request alike (equal token counts)."""
    rng, t = random.Random(seed), 0.0
    base = datetime.datetime(2026, 1, 1)
    with open(path, "w") as f:
        f.write("TIMESTAMP,ContextTokens,GeneratedTokens\n")
        while True:
            t += rng.expovariate(rate)
            if t >= duration:
                return
            stamp = base + datetime.timedelta(seconds=t)
            f.write(f"{stamp.strftime('%Y-%m-%d %H:%M:%S.%f')},100,1\n")


def scenario(ports, points, rate, model, deadline_ms, deployment=None):
    return cpu_cloud(
        ports, "fidelity check (tools/fidelity.py)", (model.max_batch, points),
        [{"name": model.service, "model_memory_gib": 0.1, "input_kib": 4,
          "slo": {"type": "latency", "deadline_ms": deadline_ms}}],
        [{"service": model.service, "origin": "edge-0", "rate_per_s": rate}],
        dict(deployment or model.deployment(), sync_period_ms=50, entry_ttl_ms=600,
             placement_period_s=2, drain_timeout_s=3))


def simulate(cli, config, duration, work, serving_path_ms, trace, pass_time_scale=1.0,
             pass_time_cv=0.0, by_batch=()):
    """epara-sim on `config`, its passes `pass_time_scale` times as long as the profile says
    (`by_batch[i]` times for passes of i + 1 items) and varying by `pass_time_cv` (the allocator
    plans with the profile, as the node did)."""
    config = json.loads(json.dumps(config))
    config["simulation"] = {"trace": {"file": os.path.relpath(trace, work),
                                      "service": config["services"][0]["name"],
                                      "origins": ["edge-0"], "speedup": 1},
                            "pass_time_scale": pass_time_scale, "pass_time_cv": pass_time_cv,
                            "pass_time_scale_by_batch": list(by_batch)}
    path, out = os.path.join(work, "sim.json"), os.path.join(work, "sim-out.json")
    json.dump(config, open(path, "w"))
    subprocess.run([f"{cli}/epara-sim", path, "--strategies", "epara", "--duration",
                    str(duration), "--warmup", "0", "--no-progress", "--json", out],
                   check=True, capture_output=True)
    s = json.load(open(out))[0]["services"][0]
    return {"attainment": 100 * s["attainment"],
            "p50_ms": 1e3 * s["p50_latency_s"] + serving_path_ms,
            "p99_ms": 1e3 * s["p99_latency_s"] + serving_path_ms}


def serve(bins, config, rate, duration, work, trace=None, requests_csv=None):
    """A real run: attainment and latency as epara-load saw them, and the passes edge-0 ran
    (its /metrics: their number, mean batch, mean compute time, and by batch size)."""
    service = config["services"][0]["name"]
    metrics_port = free_ports(1)[0]
    extra = [["--metrics-port", str(metrics_port)]] + [[] for _ in config["deployment"]["nodes"][1:]]
    cloud = Cloud(bins, work, config, extra)
    try:
        out = os.path.join(work, "load.json")
        r = finish(load(bins, config["deployment"]["nodes"][0]["address"], service, rate,
                        duration, out, trace=trace, requests_csv=requests_csv),
                   duration, out, f"{rate}/s")
        m = scrape(metrics_port)
    finally:
        cloud.close()
    label = f'{{model="{service}"}}'
    passes = m.get(f"epara_pass_seconds_count{label}", 0)
    by_batch = f'epara_passes_by_batch_total{{model="{service}",batch="'
    pass_mix = {int(key[len(by_batch):-2]):
                (count, m[key.replace("passes_", "pass_seconds_")],
                 m[key.replace("passes_", "pass_seconds_squared_")])
                for key, count in m.items() if key.startswith(by_batch)}
    return {"attainment": 100 * r["in_slo"] / r["sent"], "p50_ms": r["p50_ms"],
            "p99_ms": r["p99_ms"], "passes": passes,
            "mean_batch": m.get(f"epara_batch_size_sum{label}", 0) / max(1, passes),
            "mean_pass_ms": 1e3 * m.get(f"epara_pass_seconds_sum{label}", 0) / max(1, passes),
            "pass_mix": pass_mix, "pass_cv": pass_cv(pass_mix)}


def pass_speed(run, points):
    """The passes a real run made against the profile at their batch sizes: their summed time
    over the summed profiled time of the same batches. (At the mean batch it was biased: a pass
    of 2 items took 3.5 times one item's on the dense chain on an AMD EPYC, and of 4 items no
    longer than of 2, so a run mixing batches of 1 and 3 seemed a third faster than profiled.)"""
    ran = sum(passes[1] for passes in run["pass_mix"].values())
    profiled = sum(passes[0] * profile_at(points, batch) / 1e3
                   for batch, passes in run["pass_mix"].items())
    return ran / profiled


def speed_by_batch(run, points, speed):
    """The run's speed at each batch size up to the largest it ran MIN_PASSES times or more: its
    mean pass there against the profile's, and the run's `speed` at sizes it ran fewer times."""
    mix, profiled = run["pass_mix"], dict(points)
    often = {b for b, passes in mix.items() if passes[0] >= MIN_PASSES and b in profiled}
    return [min(10.0, max(0.1, 1e3 * mix[b][1] / mix[b][0] / profiled[b])) if b in often else speed
            for b in range(1, max(often, default=0) + 1)]


def pass_cv(pass_mix):
    """How much a run's passes of one batch size varied: their coefficient of variation, by batch
    size (of two passes or more), averaged over the passes: the run's simulation.pass_time_cv.
    0 for runs recorded before the node reported squared pass times."""
    weighted = [(count, (max(0.0, squares / count - (seconds / count) ** 2) ** 0.5) /
                 (seconds / count))
                for count, seconds, *rest in pass_mix.values() if count >= 2
                for squares in rest]  # none where recorded before the node reported squares
    return weighted_mean(weighted)


def weighted_mean(pairs):
    """The mean of (weight, value) pairs by weight; 0 for none."""
    return sum(n * x for n, x in pairs) / sum(n for n, _ in pairs) if pairs else 0.0


def profile_cv(p90_over_median, pass_mix):
    """The spread of the profile's repetitions in the same terms, weighted by the run's passes:
    the coefficient of variation of a normal spread with that p90 over its median (1.2816
    standard deviations apart)."""
    weighted = [(passes[0], (p90_over_median[batch] - 1) / 1.2816)
                for batch, passes in pass_mix.items() if batch in p90_over_median]
    return weighted_mean(weighted)


def scaled(points, factor):
    return [(b, ms * factor) for b, ms in points]


def median_of(results):
    """Figure by figure, the median of several runs' results."""
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def errors(sim, real):
    """The simulator's error: relative for the latencies, in points for attainment."""
    return {"p50": sim["p50_ms"] / real["p50_ms"] - 1, "p99": sim["p99_ms"] / real["p99_ms"] - 1,
            "attainment": sim["attainment"] - real["attainment"]}


def within(e):
    return (abs(e["p50"]) <= P50_SHARE and abs(e["p99"]) <= P99_SHARE and
            abs(e["attainment"]) <= ATTAINMENT_POINTS)


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("build")
    a.add_argument("--nodes", type=int, default=1)
    a.add_argument("--loads", default="0.4,0.6")
    a.add_argument("--duration", type=float, default=10)
    a.add_argument("--repeats", type=int, default=3, help="real runs a load (median compared)")
    a.add_argument("--wrong-by", type=float, default=1.25)
    a.add_argument("--widths", default=",".join(map(str, WIDTHS)),
                   help="the dense chain's layer widths, input first")
    a.add_argument("--repository", help="a model repository (tools/export_models.py makes one)")
    a.add_argument("--model", help="with --repository: the model of it to check")
    a.add_argument("--max-batch", type=int, default=MAX_BATCH,
                   help="the largest batch profiled and planned (a repository model's config "
                        "may lower it)")
    a.add_argument("--profile-repeats", type=int, default=15, help="timed passes a batch size")
    a.add_argument("--deadline-ms", type=float,
                   help=f"the SLO (default: {DEADLINE_PASSES:g} passes of the largest batch as "
                        "profiled here)")
    a.add_argument("--json")
    a.add_argument("--check", action="store_true")
    a.add_argument("--requests-dir", metavar="DIR",
                   help="keep each real run's requests here, a row each (epara-load "
                        "--requests-csv): load-SHARE-run-K.csv")
    a.add_argument("--replay", nargs="+", metavar="JSON",
                   help="no nodes: simulate again the real runs that earlier checks recorded "
                        "(their --json) and compare them as the check does")
    a.add_argument("--record", action="store_true",
                   help="with --replay: write this build's simulated figures into the files "
                        "(after an intended change of the simulator)")
    o = a.parse_args()
    if bool(o.repository) != bool(o.model):
        a.error("--repository and --model go together")
    cli, bins = os.path.join(o.build, "src", "cli"), os.path.join(o.build, "src", "node")
    if o.replay:
        sys.exit(replay(cli, o.replay, o.check, o.record))
    if o.requests_dir:
        os.makedirs(o.requests_dir, exist_ok=True)
    # The simulator models these cores as idle but for the nodes; another process holding a core
    # slows their request handling (with a core kept busy, 10 runs were 2-26% slower than with
    # the machine idle: docs/results.md), so the comparison means nothing then.
    watch = CpuWatch()
    time.sleep(2)
    busy = watch.others_share()
    if busy > BUSY_LIMIT:
        print(f"SKIPPED: other processes use {100 * busy:.0f}% of this machine's CPU (more than "
              f"{100 * BUSY_LIMIT:.0f}%); the check compares real nodes on an otherwise idle "
              "machine with the simulator")
        sys.exit(SKIPPED)
    # An attempt is void (the machine changed under it), outside the tolerances, or passed; the
    # check passes on a passed attempt, is skipped when every attempt was void, and otherwise
    # fails. A second attempt after one outside: a real run's p99 over 10 s moves by a third
    # between runs, and one run in eight was outside on it alone (docs/results.md, "The loads as
    # shares of the knee"); the 25%-slow model was outside in every attempt, so a second try
    # does not let it pass.
    outcomes = []
    for attempt in range(1, ATTEMPTS + 1):
        result = check_once(o, cli, bins)
        if "void" in result:
            outcomes.append("void")
            print(f"{result['void']}: void", flush=True)
        else:
            passed = result["ok"] and result["wrong_caught"]
            outcomes.append("passed" if passed else "outside")
            if o.json:
                json.dump({"nodes": o.nodes, "service": result["service"],
                           "max_batch": result["max_batch"], "profile": result["profile"],
                           "deadline_ms": result["deadline_ms"], "duration_s": o.duration,
                           "trace_seed": TRACE_SEED, "serving_path_ms": result["serving_path_ms"],
                           "wrong_by": o.wrong_by, "attempts": outcomes, "rows": result["rows"]},
                          open(o.json, "w"), indent=1)
            if passed or not o.check:
                return
            print("outside the tolerances at some load, or the wrong model within them at every "
                  "load", flush=True)
        if attempt < ATTEMPTS:
            print(f"measured again, with a new profile (attempt {attempt + 1} of {ATTEMPTS})",
                  flush=True)
    if "outside" not in outcomes:
        print("SKIPPED: this machine was not idle, or its speed did not hold, while the check "
              "ran; it compares the simulator with a node below its knee on an otherwise "
              "idle machine")
        sys.exit(SKIPPED)
    print(f"FAILED: no attempt passed ({', '.join(outcomes)})")
    sys.exit(1)


def check_once(o, cli, bins):
    """A profile measured here, then every load served and simulated: the rows, and whether every
    load is within the tolerances and the wrong model outside them at some load. Stops at the
    first sign that the runs did not see the machine the profile saw ("void": why): other
    processes took more than BUSY_LIMIT of the CPU while the profile or a load's runs were
    measured, or the passes ran so much slower than profiled that a load was past the node's
    knee."""
    rows, ok, wrong_caught = [], True, False
    with tempfile.TemporaryDirectory() as work:
        model = (Repository(o.repository, o.model, o.max_batch, work) if o.repository else
                 Dense([int(w) for w in o.widths.split(",")], o.max_batch))
        watch = CpuWatch()
        points, p90_over_median = measured_profile(cli, model, o.profile_repeats)
        busy = watch.others_share()
        if busy > BUSY_LIMIT:
            return {"void": f"other processes took {100 * busy:.0f}% of the CPU while the "
                            "profile was measured"}
        deadline_ms = o.deadline_ms or round(DEADLINE_PASSES * points[-1][1])
        capacity = slo_capacity(cli, points, model, deadline_ms, work)
        print(f"measured profile (ms by batch): {points}; deadline {deadline_ms} ms; one node's "
              f"capacity within it {capacity}/s (at its largest batch "
              f"{1e3 * points[-1][0] / points[-1][1]:.0f}/s)")
        # The serving path: a model of the same input (and output) whose pass takes
        # microseconds, at 20 requests/s: its p50 latency is the path alone.
        quiet = serve(bins, scenario(free_ports(1), points, 20, model, deadline_ms,
                                     model.hollow()), 20, 5, work)
        serving_path = quiet["p50_ms"]
        print(f"serving path outside the model: {serving_path:.2f} ms (p50 at 20/s of a "
              "hollow model)", flush=True)
        print_header(o.wrong_by)
        for share in map(float, o.loads.split(",")):
            rate = round(share * capacity * o.nodes)
            config = scenario(free_ports(o.nodes), points, rate, model, deadline_ms)
            trace = os.path.join(work, f"arrivals-{share}.csv")
            poisson_trace(trace, rate, o.duration, TRACE_SEED)
            watch = CpuWatch()
            runs = [serve(bins, config, rate, o.duration, work, trace,
                          o.requests_dir and os.path.join(o.requests_dir,
                                                          f"load-{share:g}-run-{k + 1}.csv"))
                    for k in range(o.repeats)]
            busy = watch.others_share()
            if busy > BUSY_LIMIT:
                return {"void": f"other processes took {100 * busy:.0f}% of the CPU while the "
                                f"load of {share:g} ran"}
            slower = statistics.median(pass_speed(r, points) for r in runs)
            knee = slo_capacity(cli, scaled(points, slower), model, deadline_ms, work)
            if rate >= knee * o.nodes:
                return {"void": f"the node's passes ran x{slower:.3f} the profile's time, at which "
                                f"it carries {knee}/s within the deadline, so the load meant as "
                                f"{share:g} of that was past its knee, where the check's "
                                "tolerances were never set"}
            cvs = "/".join(f"{r['pass_cv']:.3f}" for r in runs)
            print(f"(other processes: {100 * busy:.1f}% of the CPU during the runs; a pass's "
                  f"time at its batch size varied by a coefficient of variation of {cvs} by "
                  "run, the profile's repetitions "
                  f"{profile_cv(p90_over_median, runs[0]['pass_mix']):.3f})")
            row = compare(cli, config, share, o.duration, work, serving_path, trace, points,
                          runs, o.wrong_by)
            rows.append({"load": share, "rate_per_s": rate, "others_cpu_share": busy, **row})
            ok &= row["within"]
            wrong_caught |= not row["wrong_within"]
    return {"service": model.service, "max_batch": model.max_batch, "profile": points,
            "profile_p90_over_median": p90_over_median,
            "deadline_ms": deadline_ms, "serving_path_ms": serving_path, "rows": rows, "ok": ok,
            "wrong_caught": wrong_caught}


def replay(cli, paths, check, record=False):
    """Real runs recorded by earlier checks (their --json), compared again with this build's
    simulator — no nodes, so a change of the simulator is measured against real runs at once
    and the same way every time. With `check`: 1 if a load that was within the tolerances when
    recorded is outside them now, or if in some file the wrong model is within them at every
    load (a load recorded outside may stay outside: the runs are what they were). With `record`,
    the files' simulated figures become this build's (after an intended change of the
    simulator; the real runs are kept as they were)."""
    within_now = outside_as_recorded = loads = 0
    regressed, wrong_missed = [], []
    for path in paths:
        try:
            d = json.load(open(path))
            need = ["nodes", "service", "max_batch", "profile", "deadline_ms", "duration_s",
                    "trace_seed", "serving_path_ms", "wrong_by", "rows"]
            missing = [k for k in need if k not in d]
            if missing:
                raise ValueError(f"no field {', '.join(missing)} (recorded by an older tool?)")
            points = [(int(b), float(ms)) for b, ms in d["profile"]]
            model = Dense(WIDTHS, int(d["max_batch"]))  # for the simulator, only its profile
            model.service = d["service"]
            print(f"{path}: {len(d['rows'])} loads, deadline {d['deadline_ms']} ms", flush=True)
            print_header(d["wrong_by"])
            wrong_caught = False
            with tempfile.TemporaryDirectory() as work:
                for row in d["rows"]:
                    runs = [dict(r, pass_mix={int(b): tuple(v) for b, v in r["pass_mix"].items()})
                            for r in row["real_runs"]]
                    config = scenario(list(range(1, d["nodes"] + 1)), points, row["rate_per_s"],
                                      model, d["deadline_ms"])
                    trace = os.path.join(work, "arrivals.csv")
                    poisson_trace(trace, row["rate_per_s"], d["duration_s"], d["trace_seed"])
                    r = compare(cli, config, row["load"], d["duration_s"], work,
                                d["serving_path_ms"], trace, points, runs, d["wrong_by"])
                    loads += 1
                    within_now += r["within"]
                    if not r["within"]:
                        if row["within"]:
                            regressed.append(f"{path} at {row['load']:g}")
                        else:
                            outside_as_recorded += 1
                    wrong_caught |= not r["wrong_within"]
                    if record:
                        row.update({k: v for k, v in r.items() if k not in ("real", "real_runs")})
            if record:
                json.dump(d, open(path, "w"), indent=1)
            if not wrong_caught:
                wrong_missed.append(path)
        except (OSError, ValueError, KeyError, TypeError) as e:
            detail = f"no field {e}" if isinstance(e, KeyError) else str(e)
            print(f"fidelity.py: error: {path}: {detail}", file=sys.stderr)
            return 1
    print(f"{within_now} of {loads} recorded loads within the tolerances; "
          f"{outside_as_recorded} outside, as when recorded; the wrong model outside them in "
          f"{len(paths) - len(wrong_missed)} of {len(paths)} files")
    if record:
        print(f"recorded this build's simulated figures in {len(paths)} files")
        return 0
    for what in regressed:
        print(f"FAILED: {what}: within the tolerances when recorded, outside them now")
    for path in wrong_missed:
        print(f"FAILED: {path}: the wrong model within the tolerances at every load")
    return 1 if check and (regressed or wrong_missed) else 0


def print_header(wrong_by):
    print(f"{'load':>5} {'rate/s':>7} | {'passes, by run':>14} | {'attained sim/real':>17} | "
          f"{'p50 ms sim/real':>16} {'err':>6} | {'p99 ms sim/real':>16} {'err':>6} | "
          f"within | p50 err as profiled | x{wrong_by} model: p50 err, within", flush=True)


def compare(cli, config, share, duration, work, serving_path, trace, points, runs, wrong_by):
    """The simulator against the real runs (serve's results) of the load `share` of `config`,
    on `trace`'s arrivals: the row of the table, printed and returned."""
    real = median_of([{k: v for k, v in r.items() if k != "pass_mix"} for r in runs])
    # Each run simulated at its own speed (the docstring says why); near the knee attainment is
    # steep in the speed, so one simulation at the runs' median speed is not the runs' median.
    # The simulated allocator plans with the profile as measured, as the node did: with the
    # profile scaled, its plan's largest batch differed from the node's in 17 of 22 recorded
    # loads, twice 1 where the node had 10 or 12 (docs/results.md, "The node's plan,
    # simulated"). As profiled, it is only reported.
    # Each at its passes' variation too (0 in runs recorded before the node reported it), and
    # each batch size the node ran often at its own speed there (docs/results.md, "Batch sizes
    # at their own speed").
    speeds = [pass_speed(r, points) for r in runs]
    cvs = [pass_cv(r["pass_mix"]) for r in runs]
    by_batch = [speed_by_batch(r, points, x) for r, x in zip(runs, speeds)]
    sim = median_of([simulate(cli, config, duration, work, serving_path, trace, x, cv, b)
                     for x, cv, b in zip(speeds, cvs, by_batch)])
    wrong = median_of([simulate(cli, config, duration, work, serving_path, trace, x * wrong_by,
                                cv, [s * wrong_by for s in b])
                       for x, cv, b in zip(speeds, cvs, by_batch)])
    profiled = simulate(cli, config, duration, work, serving_path, trace)
    e, e_wrong, e_profiled = errors(sim, real), errors(wrong, real), errors(profiled, real)
    rate = config["demand"][0]["rate_per_s"]
    by_run = "/".join(f"{x:.3f}" for x in speeds)
    print(f"{share:5.2f} {rate:7d} | x{by_run:>13} | "
          f"{sim['attainment']:7.1f}/{real['attainment']:5.1f}%    | "
          f"{sim['p50_ms']:7.2f}/{real['p50_ms']:7.2f} {100 * e['p50']:+5.1f}% | "
          f"{sim['p99_ms']:7.2f}/{real['p99_ms']:7.2f} {100 * e['p99']:+5.1f}% | "
          f"{'yes' if within(e) else 'NO':>6} | {100 * e_profiled['p50']:+18.1f}% | "
          f"{100 * e_wrong['p50']:+5.1f}%, {'YES' if within(e_wrong) else 'no'}", flush=True)
    return {"pass_speed_by_run": speeds, "pass_cv_by_run": cvs, "sim": sim, "real": real, "real_runs": runs,
            "error": e, "within": within(e), "as_profiled": profiled,
            "as_profiled_error": e_profiled, "wrong_model": wrong, "wrong_error": e_wrong,
            "wrong_within": within(e_wrong)}


if __name__ == "__main__":
    main()
