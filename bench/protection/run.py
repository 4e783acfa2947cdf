"""Disclosure-control benchmark: what the protection costs in information and in time.

    # information: cells withheld or adjusted per table, before (each table suppressed on its
    # own) and after (the cell-key method), on a built demo world
    MHIS_DEBUG=1 MHIS_VAR_DIR=<world> .venv/bin/python bench/protection/run.py loss --place TH --year 2025
    # the audit of every table a role may obtain under a place, for a year
    MHIS_DEBUG=1 MHIS_VAR_DIR=<world> .venv/bin/python bench/protection/run.py audit --place TH --year 2025 --role analyst
    # the dashboard, cold and warm, as each role (on a durable PostgreSQL: run.sh builds the world)
    bench/protection/run.sh --size large --place TH-63-MSOT --period 2026-Q3

`loss` publishes, for every indicator of the pack, its total, each breakdown alone and the
place drill-down, for each quarter of the year at the place: first as tables used to be
published (counts 1–4 hidden, then complementary cells inside the table), then as they are
(the cell key). `audit` runs `mhis.indicators.audit` over everything a role may obtain
(`tests/insider.py`), and the same tables suppressed one by one (the control).
`dashboard` times the overview page (every indicator the role may see, the quarter and the one
before) cold (computed from the records) and warm (from the result cache), for an analyst
(protected, by status allowed), an administrator (protected) and a clinician (exact).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import django
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
django.setup()

from tests.insider import breakdowns, collect, table_by_table  # noqa: E402

from mhis.indicators import services  # noqa: E402
from mhis.indicators.cellkey import noise  # noqa: E402
from mhis.indicators.disclosure import protect  # noqa: E402
from mhis.indicators.engine import Request, compute_rows  # noqa: E402
from mhis.indicators.periods import parse  # noqa: E402
from mhis.indicators.sources import SOURCES, extract  # noqa: E402
from mhis.places.models import Place  # noqa: E402


def loss(args):
    place = Place.objects.get(code=args.place)
    extracts = {name: extract(name) for name in SOURCES}
    keys = [f"{args.year}-Q{q}" for q in range(1, 5)]
    periods = sorted(parse(k) for k in keys)
    rows = []
    totals = {"cells": 0, "counted": 0, "before_small": 0, "before_complementary": 0,
              "after_withheld": 0, "after_adjusted": 0, "abs_error": 0}  # fmt: skip
    for indicator in services.catalogue().values():
        found = dict.fromkeys(totals, 0)
        for by in breakdowns(indicator):
            request = Request(periods[0].start, periods[-1].end, "quarter", place.path, by)
            raw = compute_rows(indicator, extracts, request)
            services.complete(raw, place, keys)
            before, _exact = table_by_table(raw)
            after = protect(raw)
            for old, new in zip(before, after, strict=True):
                cell = raw.cells[new.key]
                found["cells"] += 1
                found["counted"] += cell.numerator > 0
                found["before_small"] += old.flag == "small"
                found["before_complementary"] += old.flag == "complementary"
                found["after_withheld"] += new.hidden
                shift = noise(int(cell.numerator), cell.key)
                found["after_adjusted"] += shift != 0
                found["abs_error"] += abs(shift)
        rows.append((indicator.code, found))
        for k in totals:
            totals[k] += found[k]
    print(f"{place.name}, {args.year} by quarter: each indicator's total, each breakdown alone "
          "and the place drill-down")  # fmt: skip
    print("| indicator | cells | not 0 | before: small | before: complementary | after: withheld "
          "| after: adjusted | mean adjustment of a cell not 0 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for code, f in [*rows, ("all", totals)]:
        print(f"| {code} | {f['cells']:,} | {f['counted']:,} | {f['before_small']:,} | "
              f"{f['before_complementary']:,} | {f['after_withheld']:,} | {f['after_adjusted']:,} | "
              f"{f['abs_error'] / max(f['counted'], 1):.2f} |")  # fmt: skip


def audit(args):
    from mhis.access.services import create_user

    place = Place.objects.get(code=args.place)
    user = create_user(username=f"bench_{args.role}_{time.time_ns()}", password=None,
                       role=args.role, places=[place])  # fmt: skip
    for label, publish in (("cell key", None), ("table by table", table_by_table)):
        started = time.perf_counter()
        attack, extracts = collect(user, place, args.year, publish=publish)
        collected = time.perf_counter() - started
        targets = attack.targets(5)
        if publish is not None:
            targets = sorted(targets, key=repr)[:: args.sample]
        started = time.perf_counter()
        findings = attack.run(extracts, targets)
        took = time.perf_counter() - started
        pinned = sum(f.pinned for f in findings)
        witnessed = sum(f.how.startswith("a person") for f in findings)
        programme = sum(f.how == "linear programme" for f in findings)
        undecided = len(findings) - witnessed - programme
        print(f"| {label} | {args.role} | {len(attack.cells):,} | {len(findings):,} | "
              f"{witnessed:,} | {programme:,} | {undecided:,} | **{pinned:,}** | "
              f"{collected:.1f} s + {took:.1f} s |")  # fmt: skip
    user.delete()


def dashboard(args):
    from django.core.management import call_command
    from django.test import Client

    from mhis.access.services import create_user
    from mhis.indicators.models import CachedResult
    from mhis.registry.models import Person

    if os.environ.get("DATABASE_URL"):  # a fresh cluster has no database yet
        import importlib.util

        spec = importlib.util.spec_from_file_location("load_run", ROOT / "bench/load/run.py")
        load_run = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(load_run)
        load_run.ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    if not Person.objects.exists():
        started = time.perf_counter()
        call_command("demo", "--size", args.size, "--seed", "2026", verbosity=0)
        print(f"built the {args.size} world in {time.perf_counter() - started:.0f} s "
              f"({Person.objects.count():,} people)")  # fmt: skip
    place = Place.objects.get(code=args.place)
    query = {"place": place.code, "period": args.period, "every": "quarter"}
    print("| role | indicators | cold | warm, median of 20 | warm, worst |")
    print("|---|---|---|---|---|")
    for role in ("analyst", "administrator", "clinician"):
        user = create_user(username=f"bench_{role}", password=None, role=role, places=[place])
        user.is_verified = lambda: True  # the second factor is not what is measured
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        CachedResult.objects.all().delete()
        started = time.perf_counter()
        response = client.get("/indicators/", query)
        assert response.status_code == 200, response.status_code
        cold = time.perf_counter() - started
        warm = []
        for _ in range(20):
            started = time.perf_counter()
            assert client.get("/indicators/", query).status_code == 200
            warm.append(time.perf_counter() - started)
        warm.sort()
        shown = len(services.visible_indicators(user))
        print(f"| {role} | {shown} | {cold * 1000:,.0f} ms | {warm[10] * 1000:.0f} ms | "
              f"{warm[-1] * 1000:.0f} ms |")  # fmt: skip


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    year = timezone.localdate().year - 1
    p = sub.add_parser("loss")
    p.add_argument("--place", default="TH")
    p.add_argument("--year", type=int, default=year)
    a = sub.add_parser("audit")
    a.add_argument("--place", default="TH")
    a.add_argument("--year", type=int, default=year)
    a.add_argument("--role", default="analyst")
    a.add_argument("--sample", type=int, default=8, help="the control audits every n-th cell")
    d = sub.add_parser("dashboard")
    d.add_argument("--size", default="large")
    d.add_argument("--place", default="TH-63-MSOT")
    d.add_argument("--period", default=f"{timezone.localdate().year}-Q3")
    args = parser.parse_args()
    {"loss": loss, "audit": audit, "dashboard": dashboard}[args.what](args)


if __name__ == "__main__":
    main()
