"""Outbreak detection benchmark: the Noufaily et al. (2013) simulation, and speed.

    .venv/bin/python bench/surveillance/run.py simulation [--replicates 100]
        [--methods farrington,farrington+norule,farrington+trend1,ears_c2]
        [--rule on|off] [--trend-level 0.05] [--limit54 none|5,4]
    .venv/bin/python bench/surveillance/run.py speed [--series 5000]

`simulation` generates the 42 scenarios (mhis.surveillance.simulation), runs the improved
Farrington method and EARS C1, C2, C3 on each of the 49 evaluated weeks of every replicate,
and prints per scenario and method: false-positive rate (alarms in evaluated weeks without
outbreak cases), probability of detection (current outbreaks with at least one alarm in a
week with its cases, among those with at least one case), sensitivity (alarmed weeks among
the current outbreak's weeks), specificity (1 − FPR) and timeliness (mean weeks from the
outbreak's start to its first alarm, among those detected).

The improved Farrington method's options: `--rule` (Farrington et al.'s no-extrapolation
rule, on by default), `--trend-level` (R's `pThresholdTrend`, 0.05 by default) and
`--limit54` (no alarm unless `cases` cases in the last `weeks` weeks; none by default, the
method as published) set the plain `farrington` method. Variants run side by side on the same
simulated series by suffixes: `farrington+norule` (rule off), `farrington+rule`,
`farrington+trend1` (any level: `+trend0.2`), `farrington+limit54` (5 in 4 weeks), combined as
in `farrington+norule+trend1`.

`speed` times one week's evaluation of many site × condition series (5 years and 1 week of
history each) by the improved Farrington method, and the floor: the same number of series
through EARS C2, whose work is a mean and a standard deviation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import replace

import numpy as np

from mhis.surveillance import detection, simulation

METHODS = {
    "ears_c1": lambda history, settings: detection.ears_c1(history).alarm,
    "ears_c2": lambda history, settings: detection.ears_c2(history).alarm,
    "ears_c3": lambda history, settings: detection.ears_c3(history).alarm,
}


def farrington_variant(name: str, settings: detection.FarringtonSettings):
    """`farrington` with `settings`, changed by each `+` suffix of `name`: norule, rule,
    trend<level>, limit54. Returns the settings, or None when `name` is not a variant."""
    head, *suffixes = name.split("+")
    if head != "farrington":
        return None
    for suffix in suffixes:
        if suffix == "norule":
            settings = replace(settings, no_extrapolation=False)
        elif suffix == "rule":
            settings = replace(settings, no_extrapolation=True)
        elif suffix == "limit54":
            settings = replace(settings, limit54=(5, 4))
        elif suffix.startswith("trend"):
            settings = replace(settings, trend_level=float(suffix[5:]))
        else:
            raise SystemExit(f"--methods: unknown variant {suffix!r} in {name!r}")
    return settings


def run_method(name: str, history, settings: detection.FarringtonSettings):
    chosen = farrington_variant(name, settings)
    if chosen is None:
        return METHODS[name](history, settings)
    alarm = detection.farrington(history, chosen).alarm
    return alarm & detection.enough_cases(history, chosen.limit54)


def evaluate(replicates: int, seed: int, methods: list[str], settings):
    runs = [
        simulation.simulate(s, replicates, seed=seed + s.number) for s in simulation.scenarios()
    ]
    counts = np.concatenate([r.counts for r in runs])
    outbreak = np.concatenate([r.outbreak for r in runs])
    current = np.concatenate([r.current_cases for r in runs])
    first, last = simulation.EVALUATED
    weeks = range(first - 1, last)  # 0-based columns of the evaluated weeks
    alarms = {m: np.zeros((counts.shape[0], len(weeks)), dtype=bool) for m in methods}
    took = dict.fromkeys(methods, 0.0)
    for i, week in enumerate(weeks):
        history = counts[:, : week + 1]
        for method in methods:
            started = time.perf_counter()
            alarms[method][:, i] = run_method(method, history, settings)
            took[method] += time.perf_counter() - started
        if i % 7 == 0:
            print(f"  week {week + 1} of {last}", file=sys.stderr, flush=True)
    quiet = outbreak[:, first - 1 : last] == 0
    hit = current[:, first - 1 : last] > 0
    rows = []
    for n, run in enumerate(runs):
        block = slice(n * replicates, (n + 1) * replicates)
        for method in methods:
            a = alarms[method][block]
            q, h = quiet[block], hit[block]
            fpr = (a & q).sum() / max(q.sum(), 1)
            has_cases = h.any(axis=1)
            detected = (a & h).any(axis=1)
            pod = detected[has_cases].mean() if has_cases.any() else float("nan")
            sensitivity = (a & h).sum() / max(h.sum(), 1)
            starts = run.current_start - first  # column of each start week
            delays = []
            for r in np.flatnonzero(detected):
                first_alarm = np.flatnonzero(a[r] & (np.arange(a.shape[1]) >= starts[r]))[0]
                delays.append(first_alarm - starts[r])
            timeliness = float(np.mean(delays)) if delays else float("nan")
            rows.append((run.scenario, method, fpr, pod, sensitivity, 1 - fpr, timeliness,
                         int((~has_cases).sum())))  # fmt: skip
    return rows, took


def simulation_command(args):
    methods = args.methods.split(",")
    for method in methods:
        if (
            method not in METHODS
            and farrington_variant(method, detection.FarringtonSettings()) is None
        ):
            raise SystemExit(f"--methods: unknown method {method!r}")
    limit54 = None if args.limit54 == "none" else tuple(int(n) for n in args.limit54.split(","))
    settings = detection.FarringtonSettings(
        alpha=args.alpha,
        trend_level=args.trend_level,
        no_extrapolation=args.rule == "on",
        limit54=limit54,
    )
    started = time.perf_counter()
    rows, took = evaluate(args.replicates, args.seed, methods, settings)
    total = time.perf_counter() - started
    print(f"42 scenarios × {args.replicates} replicates × 49 weeks, α = {args.alpha}, "
          f"farrington: no-extrapolation rule {args.rule}, trend level {args.trend_level}, "
          f"limit54 {args.limit54}; {total:.0f} s in all; "
          + ", ".join(f"{m} {t:.1f} s" for m, t in took.items()))  # fmt: skip
    print("\n| method | scenarios | mean FPR | worst FPR | mean POD | worst POD | sensitivity | specificity | timeliness (weeks) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for method in methods:
        mine = [r for r in rows if r[1] == method]
        fpr = [r[2] for r in mine]
        pod = [r[3] for r in mine]
        print(f"| {method} | {len(mine)} | {np.mean(fpr):.2%} | {max(fpr):.2%} | "
              f"{np.nanmean(pod):.3f} | {np.nanmin(pod):.3f} | {np.mean([r[4] for r in mine]):.3f} | "
              f"{np.mean([r[5] for r in mine]):.4f} | {np.nanmean([r[6] for r in mine]):.2f} |")  # fmt: skip
    print("\n| scenario | method | FPR | POD | sensitivity | specificity | timeliness | outbreaks without a case |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for scenario, method, fpr, pod, sens, spec, timely, empty in rows:
        print(f"| {scenario.label()} | {method} | {fpr:.2%} | {pod:.3f} | {sens:.3f} | {spec:.4f} | "
              f"{timely:.2f} | {empty} |")  # fmt: skip


def speed_command(args):
    rng = np.random.default_rng(args.seed)
    weeks = detection.FarringtonSettings().history_needed() + 1
    t = np.arange(weeks)
    level = rng.uniform(-1.0, 3.0, size=(args.series, 1))
    mu = np.exp(level + 0.5 * np.sin(2 * np.pi * t / 52))
    counts = rng.poisson(mu)
    for label, run in (("improved Farrington", detection.farrington),
                       ("floor: EARS C2", detection.ears_c2)):  # fmt: skip
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = run(counts)
            best = min(best, time.perf_counter() - started)
        print(f"{label}: {args.series:,} series × {weeks} weeks, one week evaluated, best of "
              f"{args.repeat}: {best:.2f} s ({result.alarm.sum()} alarms)")  # fmt: skip


def database_command(args):
    """A week's evaluation through the application: reports in the database (one per site and
    week, 14 conditions each), series read back, every method chosen per series, alerts
    written. Needs an empty, migrated database (`MHIS_VAR_DIR=$(mktemp -d) mhis migrate`)."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
    django.setup()
    from mhis.places.services import create_place
    from mhis.surveillance import services
    from mhis.surveillance.conditions import CONDITIONS
    from mhis.surveillance.models import ReportCount, ReportSource, WeeklyReport

    rng = np.random.default_rng(args.seed)
    weeks = detection.FarringtonSettings().history_needed() + 1
    last = (2026, 47)
    end = services.monday(*last)
    started = time.perf_counter()
    country = create_place(code="XX-BENCH", name="Bench", kind="country", country_code="TH")
    sites = [create_place(code=f"B{n:04d}", name=f"Site {n}", kind="site", parent=country,
                          site_type="health_corner") for n in range(args.sites)]  # fmt: skip
    t = np.arange(weeks)
    for site in sites:
        reports = []
        for n in range(weeks):
            year, week = services.week_of(end - dt.timedelta(weeks=weeks - 1 - n))
            reports.append(WeeklyReport(site=site, year=year, week=week,
                                        source=ReportSource.IMPORT, on_time=True))  # fmt: skip
        WeeklyReport.objects.bulk_create(reports)
        level = rng.uniform(-1.0, 3.0, size=len(CONDITIONS))
        level[[c.method == "threshold" for c in CONDITIONS]] = -30  # no cholera, measles…
        counts = rng.poisson(np.exp(level[:, None] + 0.5 * np.sin(2 * np.pi * t / 52)))
        ReportCount.objects.bulk_create(
            ReportCount(report=r, condition=c.code, count=int(counts[i, n]))
            for i, c in enumerate(CONDITIONS) for n, r in enumerate(reports) if counts[i, n]
        )  # fmt: skip
    print(f"wrote {args.sites} sites × {weeks} weeks in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)  # fmt: skip
    started = time.perf_counter()
    result = services.evaluate_week(*last)
    took = time.perf_counter() - started
    print(f"evaluate_week {services.week_label(*last)}: {result['series']:,} series, "
          f"{result['alarms']} alarms, {took:.2f} s (reading the series included)")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("simulation")
    s.add_argument("--replicates", type=int, default=100)
    s.add_argument("--seed", type=int, default=2013)
    s.add_argument("--alpha", type=float, default=0.005)
    s.add_argument("--methods", default="farrington,ears_c1,ears_c2,ears_c3")
    s.add_argument("--rule", choices=("on", "off"), default="on")
    s.add_argument("--trend-level", type=float, default=0.05)
    s.add_argument("--limit54", default="none", help="none, or cases,weeks (5,4)")
    p = sub.add_parser("speed")
    p.add_argument("--series", type=int, default=5000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=2026)
    d = sub.add_parser("database")
    d.add_argument("--sites", type=int, default=360)
    d.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    commands = {"simulation": simulation_command, "speed": speed_command,
                "database": database_command}  # fmt: skip
    commands[args.what](args)


if __name__ == "__main__":
    main()
