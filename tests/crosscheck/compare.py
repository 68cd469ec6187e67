#!/usr/bin/env python3
"""Run kpi and the Python reference on the same input and options; report every difference.

    compare.py [--kpi PATH] [--show N] COMMAND FILE [OPTIONS...]   one comparison
    compare.py [--kpi PATH] --suite [--big FILE]                    the whole suite (see SUITE)

COMMAND is compute, funnel or retention; FILE and OPTIONS are passed unchanged to both
`kpi COMMAND FILE OPTIONS -f json` and `events_reference.py COMMAND FILE OPTIONS`.
A result is identified by (metric, period, dims); it differs when it is missing on one side,
when one value is null and the other not, when the units differ, or when the values differ by
more than 1e-9 relative. Differences are printed grouped by metric. Exit status 1 when any
comparison differed.
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REF = os.path.join(HERE, "events_reference.py")
DATA = os.path.join(HERE, "data")
EX = os.path.join(ROOT, "examples", "events.csv")

# (name, command, file, options)
SUITE = [
    ("example day", "compute", EX, ["--period", "day"]),
    ("example week", "compute", EX, ["--period", "week"]),
    ("example month", "compute", EX, ["--period", "month"]),
    ("example quarter", "compute", EX, ["--period", "quarter"]),
    ("example year", "compute", EX, ["--period", "year"]),
    ("example all", "compute", EX, ["--period", "all"]),
    ("example month by plan", "compute", EX, ["--period", "month", "--by", "plan"]),
    ("example week by plan", "compute", EX, ["--period", "week", "--by", "plan"]),
    ("example month Paris", "compute", EX, ["--period", "month", "--tz", "Europe/Paris"]),
    ("example day Paris", "compute", EX, ["--period", "day", "--tz", "Europe/Paris"]),
    ("example week Paris", "compute", EX, ["--period", "week", "--tz", "Europe/Paris"]),
    ("example month from/to", "compute", EX,
     ["--period", "month", "--from", "2025-01-15", "--to", "2025-03-10"]),
    ("example week from/to", "compute", EX,
     ["--period", "week", "--from", "2025-01-10", "--to", "2025-02-20"]),
    ("example quarter from/to", "compute", EX,
     ["--period", "quarter", "--from", "2025-02-03", "--to", "2025-03-04"]),
    ("example all from/to", "compute", EX,
     ["--period", "all", "--from", "2025-02-01", "--to", "2025-02-28"]),
    ("example time-to", "compute", EX,
     ["--period", "month", "--time-to", "activation", "--time-to", "trial_start"]),
    ("example active-event", "compute", EX,
     ["--period", "month", "--active-event", "feature_used"]),
    ("example roles", "compute", EX,
     ["--period", "month", "--event", "trial=signup", "--event", "purchase=activation",
      "--session-timeout", "10m", "--activation-window", "7d", "--early-churn-days", "3"]),
    ("funnel ordered", "funnel", EX, ["--steps", "signup,activation,trial_start,purchase"]),
    ("funnel ordered month", "funnel", EX,
     ["--steps", "signup,onboarding_start,onboarding_complete", "--period", "month"]),
    ("funnel strict", "funnel", EX,
     ["--steps", "signup,click,page_view", "--order", "strict", "--period", "month"]),
    ("funnel any", "funnel", EX,
     ["--steps", "signup,purchase,trial_start", "--order", "any", "--window", "30d"]),
    ("funnel by plan", "funnel", EX,
     ["--steps", "signup,trial_start,purchase", "--by", "plan", "--period", "quarter"]),
    ("funnel from/to", "funnel", EX,
     ["--steps", "signup,activation", "--from", "2025-02-01", "--to", "2025-02-20",
      "--window", "3d"]),
    ("retention week", "retention", EX, []),
    ("retention month on_or_after", "retention", EX,
     ["--period", "month", "--horizon", "4", "--mode", "on_or_after"]),
    ("retention recurring", "retention", EX, ["--cohort", "recurring", "--horizon", "5"]),
    ("retention start/return", "retention", EX,
     ["--start-event", "trial_start", "--return-event", "purchase", "--period", "month",
      "--horizon", "3"]),
    ("retention recurring start/return", "retention", EX,
     ["--cohort", "recurring", "--start-event", "feature_used", "--return-event", "purchase",
      "--period", "month", "--horizon", "2"]),
    ("retention by plan from", "retention", EX,
     ["--by", "plan", "--from", "2025-01-20", "--to", "2025-03-15", "--horizon", "3"]),
    ("retention day", "retention", EX, ["--period", "day", "--horizon", "3",
                                        "--from", "2025-03-20"]),
]


def adv(name):
    return os.path.join(DATA, name)


SUITE += [
    ("isoweek week", "compute", adv("isoweek.csv"), ["--period", "week"]),
    ("isoweek month", "compute", adv("isoweek.csv"), ["--period", "month"]),
    ("isoweek year", "compute", adv("isoweek.csv"), ["--period", "year"]),
    ("isoweek quarter", "compute", adv("isoweek.csv"), ["--period", "quarter"]),
    ("isoweek all", "compute", adv("isoweek.csv"), ["--period", "all"]),
    ("isoweek day", "compute", adv("isoweek.csv"), ["--period", "day"]),
    ("isoweek month from", "compute", adv("isoweek.csv"),
     ["--period", "month", "--from", "2025-01-03"]),
    ("isoweek year from", "compute", adv("isoweek.csv"),
     ["--period", "year", "--from", "2024-12-31", "--to", "2025-01-02"]),
    ("isoweek retention week", "retention", adv("isoweek.csv"), ["--horizon", "3"]),
    ("dst day Paris", "compute", adv("dst.csv"), ["--period", "day", "--tz", "Europe/Paris"]),
    ("dst week Paris", "compute", adv("dst.csv"), ["--period", "week", "--tz", "Europe/Paris"]),
    ("dst month Paris", "compute", adv("dst.csv"), ["--period", "month", "--tz", "Europe/Paris"]),
    ("dst day +02:00", "compute", adv("dst.csv"), ["--period", "day", "--tz", "+02:00"]),
    ("dst retention day Paris", "retention", adv("dst.csv"),
     ["--period", "day", "--tz", "Europe/Paris", "--horizon", "2"]),
    ("sessions day", "compute", adv("sessions.csv"), ["--period", "day"]),
    ("sessions all", "compute", adv("sessions.csv"), ["--period", "all"]),
    ("sessions 10m", "compute", adv("sessions.csv"), ["--period", "day", "--session-timeout", "10m"]),
    ("history from", "compute", adv("history.csv"), ["--period", "month", "--from", "2025-02-01"]),
    ("history day from/to", "compute", adv("history.csv"),
     ["--period", "day", "--from", "2025-02-01", "--to", "2025-02-05"]),
    ("history retention from", "retention", adv("history.csv"),
     ["--period", "month", "--from", "2025-02-01", "--horizon", "2"]),
    ("history retention start from", "retention", adv("history.csv"),
     ["--period", "month", "--from", "2025-02-01", "--horizon", "2", "--start-event", "trial_start"]),
    ("purchases month", "compute", adv("purchases.csv"), ["--period", "month"]),
    ("purchases all", "compute", adv("purchases.csv"), ["--period", "all"]),
    ("activation all", "compute", adv("activation.csv"), ["--period", "all"]),
    ("activation day", "compute", adv("activation.csv"), ["--period", "day"]),
    ("activation to", "compute", adv("activation.csv"), ["--period", "all", "--to", "2025-01-14"]),
    ("activation to15", "compute", adv("activation.csv"), ["--period", "all", "--to", "2025-01-15"]),
    ("funnel edge ordered", "funnel", adv("funnel.csv"), ["--steps", "a,b,c", "--window", "1d"]),
    ("funnel edge strict", "funnel", adv("funnel.csv"),
     ["--steps", "a,b,c", "--window", "1d", "--order", "strict"]),
    ("funnel edge any", "funnel", adv("funnel.csv"),
     ["--steps", "a,b,c", "--window", "1d", "--order", "any"]),
    ("funnel edge repeat", "funnel", adv("funnel.csv"), ["--steps", "a,a,b", "--window", "1d"]),
    ("funnel edge repeat any", "funnel", adv("funnel.csv"),
     ["--steps", "a,b,a", "--window", "1d", "--order", "any"]),
    ("funnel edge day", "funnel", adv("funnel.csv"),
     ["--steps", "a,b", "--window", "1d", "--period", "day", "--by", "seg"]),
    ("funnel edge to", "funnel", adv("funnel.csv"),
     ["--steps", "a,b,c", "--window", "2d", "--to", "2025-01-01"]),
    ("retention beyond week", "retention", adv("retention.csv"), ["--horizon", "4"]),
    ("retention beyond month", "retention", adv("retention.csv"),
     ["--period", "month", "--horizon", "3", "--mode", "on_or_after"]),
    ("retention beyond recurring", "retention", adv("retention.csv"),
     ["--period", "week", "--horizon", "3", "--cohort", "recurring", "--mode", "on_or_after"]),
    ("retention beyond return", "retention", adv("retention.csv"),
     ["--period", "week", "--horizon", "2", "--return-event", "buy"]),
    ("retention beyond to", "retention", adv("retention.csv"),
     ["--period", "week", "--horizon", "2", "--to", "2025-01-15"]),
]

SUITE += [
    ("segments month by plan from", "compute", adv("segments.csv"),
     ["--period", "month", "--by", "plan", "--from", "2025-01-01"]),
    ("segments month by plan,country", "compute", adv("segments.csv"),
     ["--period", "month", "--by", "plan", "--by", "country"]),
    ("segments week Paris", "compute", adv("segments.csv"),
     ["--period", "week", "--tz", "Europe/Paris", "--from", "2025-01-01"]),
    ("segments quarter by country", "compute", adv("segments.csv"),
     ["--period", "quarter", "--by", "country"]),
    ("segments retention by plan", "retention", adv("segments.csv"),
     ["--period", "month", "--by", "plan", "--horizon", "3", "--from", "2025-01-01"]),
    ("segments retention quarter", "retention", adv("segments.csv"),
     ["--period", "quarter", "--horizon", "2", "--mode", "on_or_after"]),
    ("segments funnel by plan", "funnel", adv("segments.csv"),
     ["--steps", "trial_start,purchase", "--by", "plan", "--period", "month", "--window", "60d"]),
    ("activation to14 early churn", "compute", adv("activation.csv"),
     ["--period", "day", "--to", "2025-01-14", "--early-churn-days", "2"]),
    ("segments funnel by plan from", "funnel", adv("segments.csv"),
     ["--steps", "trial_start,purchase", "--by", "plan", "--from", "2025-01-01"]),
    ("timeparse day", "compute", adv("timeparse.csv"), ["--period", "day"]),
    ("timeparse day -05:00", "compute", adv("timeparse.csv"), ["--period", "day", "--tz=-05:00"]),
    ("santiago day from", "compute", adv("santiago.csv"),
     ["--period", "day", "--tz", "America/Santiago", "--from", "2025-09-07",
      "--activation-window", "1d", "--early-churn-days", "1"]),
    ("santiago month", "compute", adv("santiago.csv"), ["--period", "month", "--tz", "America/Santiago"]),
    ("santiago retention day", "retention", adv("santiago.csv"),
     ["--period", "day", "--tz", "America/Santiago", "--horizon", "2", "--from", "2025-09-07"]),
    ("funnel edge a,b,a", "funnel", adv("funnel.csv"), ["--steps", "a,b,a", "--window", "1d"]),
    ("funnel edge b,a strict", "funnel", adv("funnel.csv"),
     ["--steps", "b,a", "--window", "1d", "--order", "strict", "--period", "day"]),
    ("funnel edge a,b,a any", "funnel", adv("funnel.csv"),
     ["--steps", "a,a,a", "--window", "2d", "--order", "any"]),
]

# Comparisons whose differences are a known spec ambiguity, not a bug (see README.md).
KNOWN = {
    "segments retention by plan": "A11: kpi's retention/funnel drop a --by segment with no "
                                  "in-range row (here 'legacy', history only); compute keeps it",
    "segments funnel by plan from": "A11: same, for the funnel",
}

BIG = [
    ("gen month", "compute", ["--period", "month"]),
    ("gen week", "compute", ["--period", "week"]),
]


def find_kpi():
    for p in ("build/xcheck/apps/kpi/kpi", "build/lead/apps/kpi/kpi"):
        full = os.path.join(ROOT, p)
        if os.path.exists(full):
            return full
    sys.exit("no kpi binary: build one (see README.md)")


def key(r):
    return (r["metric"], r["period"], tuple(sorted((r.get("dims") or {}).items())))


def run_pair(kpi, command, path, opts):
    k = subprocess.run([kpi, command, path, *opts, "-f", "json"], capture_output=True, text=True)
    if k.returncode != 0:
        return None, f"kpi failed ({k.returncode}): {k.stderr.strip()[:500]}"
    r = subprocess.run([sys.executable, REF, command, path, *opts], capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"reference failed: {r.stderr.strip()[-800:]}"
    return (json.loads(k.stdout)["results"], json.loads(r.stdout)["results"]), None


def differs(a, b):
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b))


def compare(kres, rres):
    km = {key(r): r for r in kres}
    rm = {key(r): r for r in rres}
    diffs = defaultdict(list)
    for k in sorted(set(km) | set(rm), key=str):
        a, b = km.get(k), rm.get(k)
        label = f"{k[1]} {dict(k[2]) if k[2] else ''}".strip()
        if a is None:
            diffs[k[0]].append(f"{label}: missing in kpi (reference {b['value']!r})")
        elif b is None:
            diffs[k[0]].append(f"{label}: missing in reference (kpi {a['value']!r})")
        elif a["unit"] != b["unit"]:
            diffs[k[0]].append(f"{label}: unit kpi {a['unit']} vs reference {b['unit']}")
        elif differs(a["value"], b["value"]):
            diffs[k[0]].append(f"{label}: kpi {a['value']!r} vs reference {b['value']!r}")
    return diffs, len(set(km) | set(rm))


def report(name, kpi, command, path, opts, show):
    pair, err = run_pair(kpi, command, path, opts)
    title = f"== {name}: {command} {os.path.relpath(path, ROOT)} {' '.join(opts)}"
    if err:
        print(f"{title}\n   ERROR {err}")
        return 0, 0, True
    diffs, n = compare(*pair)
    nd = sum(len(v) for v in diffs.values())
    print(f"{title}\n   {n} results, {n - nd} equal, {nd} differ")
    if nd and name in KNOWN:
        print(f"   (known, not a bug: {KNOWN[name]})")
    for metric in sorted(diffs):
        lines = diffs[metric]
        print(f"   {metric}: {len(lines)} difference(s)")
        for line in lines[:show]:
            print(f"      {line}")
        if len(lines) > show:
            print(f"      ... {len(lines) - show} more")
    return n, n - nd, nd > 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kpi")
    ap.add_argument("--suite", action="store_true")
    ap.add_argument("--big", help="a generated events file for the BIG comparisons")
    ap.add_argument("--show", type=int, default=8)
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    kpi = a.kpi or find_kpi()
    runs = []
    if a.suite:
        runs = [(n, c, p, o) for n, c, p, o in SUITE]
    if a.big:
        runs += [(n, c, a.big, o) for n, c, o in BIG]
    if a.rest:
        rest = a.rest[1:] if a.rest[0] == "--" else a.rest
        runs.append(("adhoc", rest[0], os.path.abspath(rest[1]), rest[2:]))
    if not runs:
        ap.error("nothing to compare")
    total = equal = bad = 0
    for run in runs:
        n, e, b = report(run[0], kpi, *run[1:], a.show)
        total += n
        equal += e
        bad += b
    print(f"\nTOTAL: {len(runs)} comparisons, {total} results, {equal} equal, "
          f"{total - equal} differ; {bad} comparison(s) with differences")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
