#!/usr/bin/env python3
"""Integration test: a node offered twice what it can serve sheds the excess and keeps serving.
One node (a dense model 1024-4096-4096-1024, 300 ms SLO: heavy enough that the model's compute,
not gRPC and the load generator, is what saturates, so doubling the load does not take the
cores the model needs — with a model a quarter of the size, 1 run in 5 failed beside a busy
core); its capacity C is calibrated on this machine now: the load ramps x1.25 every 2 s from
10/s until fewer than 98% of a step's requests end in SLO twice at one rate, and C is the
last rate at which at least 98% did; requests carry 4 rows each. Then C and 2 x C, 3 s
each, alternately twice:
  - goodput at 2 x C stays at least 80% of goodput at C (admission control: what no node can finish by its
    deadline is refused at once, and executors leave out of a pass what it would finish late,
    so the capacity goes to requests that can still make it; without, goodput collapsed:
    docs/results.md, issue 14);
  - every request is answered: in SLO + late + errors = sent, and every error is
    RESOURCE_EXHAUSTED (refused on arrival) or DEADLINE_EXCEEDED (left out of a pass);
  - epara-load's row per request (--requests-csv) agrees with its report: one row a request,
    in arrival order, outcomes counted as the report counts them, a latency for every answer.
Every wait has a limit.
    test_overload.py BIN_DIR
"""
import collections
import csv
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cluster_util import (Cloud, check, finish, free_ports, load, sustained_rate,  # noqa: E402
                          wait_for_log)
from make_cloud import cloud  # noqa: E402

BIN = sys.argv[1]


ROWS = 4  # a request's items: fewer requests for the same work, so gRPC is a small share of it


def run_load(target, rate, duration, out, requests_csv=None):
    return finish(load(BIN, target, "classify", rate, duration, out, batch=ROWS,
                       requests_csv=requests_csv), duration, out, f"{rate}/s for {duration} s")


def check_rows(path, report):
    """epara-load's rows per request against its report."""
    rows = list(csv.DictReader(open(path)))
    check(len(rows) == report["sent"], f"{path}: {len(rows)} rows for {report['sent']} sent")
    due = [float(r["due_s"]) for r in rows]
    check(due == sorted(due), f"{path}: rows in arrival order")
    outcomes = collections.Counter(r["outcome"] for r in rows)
    expected = collections.Counter({"in_slo": report["in_slo"], "late": report["late"],
                                    **report["errors"]})
    check(+outcomes == +expected, f"{path}: outcomes {dict(outcomes)} as reported "
          f"{dict(+expected)}")
    answered = [r for r in rows if r["outcome"] in ("in_slo", "late")]
    check(all(float(r["latency_ms"]) > 0 and float(r["sent_s"]) >= float(r["due_s"])
              for r in answered), f"{path}: every answer has a latency, sent when due or after")


def main():
    work = tempfile.mkdtemp(prefix="epara-overload-")
    ports = free_ports(1)
    config = cloud(ports)
    config["deployment"]["models"][0]["widths"] = [1024, 4096, 4096, 1024]
    config["services"][0]["slo"]["deadline_ms"] = 300
    c = Cloud(BIN, work, config)
    target = f"127.0.0.1:{ports[0]}"
    try:
        wait_for_log(c.log_paths[0], r"placement epoch 1", 30)
        out = os.path.join(work, "step.json")
        # From well below any machine's capacity: on an AMD EPYC whose 16-item pass took 93 ms
        # (a 300-ms deadline, three passes), 25/s was already at the knee (61 of 64 in SLO, the
        # rest refused in bursts) and a ramp from there found no rate (2 of 3 idle runs).
        capacity = sustained_rate(lambda rate: run_load(target, rate, 2, out), 10)
        check(capacity is not None, f"calibration: the node sustains {capacity}/s here")
        time.sleep(1)  # queues of the failed step drain (deadline 300 ms)

        # C and 2 x C alternately, twice: the machine's state (a busy core, a pause) weighs on
        # both alike, and the comparison is between them.
        offered = 2 * capacity
        at = {capacity: [], offered: []}
        for i, rate in enumerate([capacity, offered, capacity, offered]):
            rows = os.path.join(work, f"phase{i}.csv")
            at[rate].append(run_load(target, rate, 3, os.path.join(work, f"phase{i}.json"), rows))
            check_rows(rows, at[rate][-1])
            time.sleep(0.5)
        for r in at[offered]:
            errors = sum(r["errors"].values())
            check(r["in_slo"] + r["late"] + errors == r["sent"],
                  f"at {offered}/s: {r['sent']} sent = {r['in_slo']} in SLO + {r['late']} late + "
                  f"{errors} errors {r['errors']}")
            check(set(r["errors"]) <= {"RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"},
                  f"every error says overloaded or too late: {r['errors']}")
        goodput = {rate: sum(r["goodput_per_s"] for r in runs) / len(runs)
                   for rate, runs in at.items()}
        check(goodput[offered] >= 0.8 * goodput[capacity],
              f"at 2 x capacity ({offered}/s) goodput {goodput[offered]:.1f}/s is at least 80% of "
              f"the {goodput[capacity]:.1f}/s at capacity ({capacity}/s), run alternately")
    finally:
        c.close()


if __name__ == "__main__":
    main()
