"""Indicator engine benchmark: the standard pack over one year of events.

    MHIS_DEBUG=1 MHIS_VAR_DIR=$(mktemp -d) .venv/bin/python bench/indicators/run.py synthetic --events 10000000
    MHIS_DEBUG=1 MHIS_VAR_DIR=/tmp/w .venv/bin/python bench/indicators/run.py live --place TH-63

`synthetic` builds N events in DuckDB with the sources' exact columns (deterministic hashes,
one year, 200 sites) and times: the whole pack with every single disaggregation, monthly
(DuckDB, the batch engine); the floor (one GROUP BY scan of every source); and the baseline
(the Python engine, a per-record loop, on a tenth of the events).
`live` times, on a built demo world in the configured database, one district and quarter:
the dashboard overview cold (computed from the records) and warm (from the result cache).
"""

import argparse
import datetime as dt
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
django.setup()

import duckdb  # noqa: E402

from mhis.indicators import services  # noqa: E402
from mhis.indicators.engine import DuckEngine, Request, compute_rows  # noqa: E402
from mhis.indicators.sources import BOOL, DATE, INT, SOURCES, Extract  # noqa: E402

SHARE = {"encounter": 0.5, "assessment": 0.2, "immunisation": 0.15, "referral": 0.05,
         "registration": 0.1}  # fmt: skip
YEAR = (dt.date(2025, 1, 1), dt.date(2026, 1, 1))
DIMS = ("sex", "age_group", "nationality", "migration_status", "place")


def _column_sql(name, column, seed):
    h = f"hash(i, {seed})"
    if name == "person":
        return f"(hash(i, 1) % 1000000)::BIGINT AS person"
    if name == "date":
        return f"(DATE '2025-01-01' + ({h} % 365)::INTEGER) AS date"
    if name == "site":
        return f"'/1/' || ({h} % 4) || '/' || ({h} % 20) || '/' || ({h} % 200) || '/' AS site"
    if name in ("week", "month", "quarter", "year"):
        return None  # derived from date below
    if column.type == BOOL:
        return f"({h} % 3 = 0) AS {name}"
    if column.type == INT:
        return f"CASE WHEN {h} % 4 = 0 THEN NULL ELSE ({h} % 90)::BIGINT END AS {name}"
    if column.type == DATE:
        return f"DATE '2025-01-01' AS {name}"
    choices = column.choices or ("MM", "KH", "LA", "TH", "HN", "GT", "UNK")
    values = ", ".join("'" + c.replace("'", "''") + "'" for c in choices)
    return f"([{values}])[1 + ({h} % {len(choices)})::INTEGER] AS {name}"


def build(con, events):
    for name, source in SOURCES.items():
        n = int(events * SHARE[name])
        parts = [s for i, c in enumerate(source.all_columns)
                 if (s := _column_sql(c.name, c, i + 7))]  # fmt: skip
        con.execute(f"CREATE TABLE raw_{name} AS SELECT {', '.join(parts)} FROM range({n}) t(i)")
        cols = ", ".join(
            {"week": "strftime(date, '%G-W%V') AS week", "month": "strftime(date, '%Y-%m') AS month",
             "quarter": "year(date) || '-Q' || quarter(date) AS quarter",
             "year": "year(date)::VARCHAR AS year"}.get(c.name, c.name)
            for c in source.all_columns
        )  # fmt: skip
        con.execute(f"CREATE TABLE {name} AS SELECT {cols} FROM raw_{name}")
        con.execute(f"DROP TABLE raw_{name}")


def requests(indicator):
    """The total and every disaggregation on its own, in one request (margins)."""
    dims = tuple(d for d in DIMS if d in indicator.disaggregations)
    yield Request(*YEAR, "month", "/", dims, cross=False)


def pack_duck(engine):
    cells = 0
    for indicator in services.catalogue().values():
        for request in requests(indicator):
            cells += len(engine.compute(indicator, request).cells)
    return cells


def floor(con):
    for name in SOURCES:
        con.execute(f"SELECT month, sex, count(*) FROM {name} GROUP BY ALL").fetchall()


def pack_python(con, fraction):
    extracts = {}
    for name, source in SOURCES.items():
        e = Extract(source)
        total = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        e.rows = con.execute(f"SELECT * FROM {name} LIMIT {int(total * fraction)}").fetchall()
        extracts[name] = e
    started = time.perf_counter()
    cells = 0
    for indicator in services.catalogue().values():
        for request in requests(indicator):
            cells += len(compute_rows(indicator, extracts, request).cells)
    return cells, time.perf_counter() - started


def synthetic(args):
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    started = time.perf_counter()
    build(con, args.events)
    print(f"built {args.events:,} events in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    engine = DuckEngine(con)
    pack_duck(engine)  # warm
    runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        cells = pack_duck(engine)
        runs.append(time.perf_counter() - started)
    floors = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        floor(con)
        floors.append(time.perf_counter() - started)
    best, best_floor = min(runs), min(floors)
    print(f"| DuckDB pack (engine) | {args.events:,} | {best:.2f} s | {cells:,} cells |")
    print(
        f"| DuckDB floor (one GROUP BY scan per source) | {args.events:,} | {best_floor:.2f} s | |"
    )
    print(f"| engine / floor | | {best / best_floor:.1f}× | |")
    if args.baseline:
        py_cells, took = pack_python(con, args.baseline)
        n = int(args.events * args.baseline)
        print(
            f"| Python per-record loop (baseline) | {n:,} | {took:.2f} s | {py_cells:,} cells; ≈{took / args.baseline:.0f} s at {args.events:,} |"
        )


def live(args):
    from django.test import Client

    from mhis.access.models import User
    from mhis.indicators.models import CachedResult
    from mhis.places.models import Place

    place = Place.objects.get(code=args.place)
    user = User.objects.filter(role="administrator").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    CachedResult.objects.all().delete()
    query = {"place": place.code, "period": args.period, "every": "quarter"}
    started = time.perf_counter()
    assert client.get("/indicators/", query).status_code == 200
    cold = time.perf_counter() - started
    warm = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        assert client.get("/indicators/", query).status_code == 200
        warm.append(time.perf_counter() - started)
    warm.sort()
    from django.db import connection

    engine = connection.vendor
    print(f"| {engine} overview, {place.name}, {args.period}, cold | {cold * 1000:.0f} ms |")
    print(
        f"| {engine} overview, warm, median of {args.repeat} | {warm[len(warm) // 2] * 1000:.0f} ms |"
    )
    print(f"| {engine} overview, warm, worst | {warm[-1] * 1000:.0f} ms |")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("synthetic")
    s.add_argument("--events", type=int, default=10_000_000)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--repeat", type=int, default=3)
    s.add_argument("--baseline", type=float, default=0.1, help="fraction for the Python loop")
    l_ = sub.add_parser("live")
    l_.add_argument("--place", default="TH-63")
    l_.add_argument("--period", default="2026-Q3")
    l_.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    (synthetic if args.what == "synthetic" else live)(args)


if __name__ == "__main__":
    main()
