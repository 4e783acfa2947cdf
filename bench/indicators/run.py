"""Indicator engine benchmark: the standard pack over one year of events.

    MHIS_DEBUG=1 MHIS_VAR_DIR=$(mktemp -d) .venv/bin/python bench/indicators/run.py synthetic --events 10000000
    MHIS_DEBUG=1 MHIS_VAR_DIR=/tmp/w .venv/bin/python bench/indicators/run.py live --place TH-63

`synthetic` builds N events in DuckDB with the sources' exact columns (deterministic hashes,
one year, 200 sites, 1,000,000 people) and times: the whole pack with every single
disaggregation, monthly (DuckDB, the batch engine); the floor (one GROUP BY scan of every
source); the distinct floor (one distinct-person count per month of every source, the least
any exact count of people costs); and the baseline (the Python engine, a per-record loop, on
a fraction of the events). As in the records, sex and nationality belong to the person, and
age group, migration status and site to the person but not always: 1 event in 50 falls in
another age group or status, 1 in 10 at another site.
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


PEOPLE = 1_000_000
OWN = {"sex": 1, "nationality": 1, "age_group": 50, "migration_status": 50}  # 1 in N differ


def _column_sql(name, column, seed):
    h = f"hash(i, {seed})"
    if name == "person":
        return f"(hash(i, 1) % {PEOPLE})::BIGINT AS person"
    if name == "date":
        return f"(DATE '2025-01-01' + ({h} % 365)::INTEGER) AS date"
    if name == "site":
        # The person's own site, or 1 time in 10 another one.
        s = f"(CASE WHEN {h} % 10 = 0 THEN {h} ELSE hash(hash(i, 1) % {PEOPLE}, 3) END % 200)"
        return f"'/1/' || ({s} % 4) || '/' || ({s} % 20) || '/' || {s} || '/' AS site"
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
    if name in OWN:  # the person's own value, or 1 time in N another
        own = f"hash(hash(i, 1) % {PEOPLE}, {seed})"
        h = own if OWN[name] == 1 else f"(CASE WHEN {h} % {OWN[name]} = 0 THEN {h} ELSE {own} END)"
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
    jobs = [(i, r) for i in services.catalogue().values() for r in requests(i)]
    return sum(len(table.cells) for table in engine.compute_many(jobs))


def floor(con):
    for name in SOURCES:
        con.execute(f"SELECT month, sex, count(*) FROM {name} GROUP BY ALL").fetchall()


def distinct_floor(con):
    for name in SOURCES:
        con.execute(f"SELECT month, count(DISTINCT person) FROM {name} GROUP BY ALL").fetchall()


def best_of(repeat, fn, *args):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - started)
    return min(times)


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
    tables = {name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in SOURCES}
    engine = DuckEngine(tables, args.threads)
    con = engine.con
    started = time.perf_counter()
    cells = pack_duck(engine)  # the first run also codes the text columns it groups by
    first = time.perf_counter() - started
    best = best_of(args.repeat, pack_duck, engine)
    best_floor = best_of(args.repeat, floor, con)
    best_distinct = best_of(args.repeat, distinct_floor, con)
    print(
        f"| DuckDB pack, first run (codes the text columns) | {args.events:,} | {first:.2f} s | |"
    )
    print(f"| DuckDB pack (engine) | {args.events:,} | {best:.2f} s | {cells:,} cells |")
    print(f"| floor: one GROUP BY scan per source | {args.events:,} | {best_floor:.2f} s | |")
    print(f"| distinct floor: people per month, per source | {args.events:,} | "
          f"{best_distinct:.2f} s | |")  # fmt: skip
    print(f"| engine ÷ floor | | {best / best_floor:.1f}× | |")
    print(f"| engine ÷ distinct floor | | {best / best_distinct:.1f}× | |")
    if args.baseline:
        py_cells, took = pack_python(con, args.baseline)
        n = int(args.events * args.baseline)
        print(
            f"| Python per-record loop (baseline) | {n:,} | {took:.2f} s | {py_cells:,} cells; ≈{took / args.baseline:.0f} s at {args.events:,} |"
        )


def world(args):
    """The pack for one year over a built demo world: the live engine reading the configured
    database, and DuckDB over the encrypted extract of the same records."""
    import tempfile
    from pathlib import Path

    from django.db import connection

    from mhis.indicators import batch
    from mhis.indicators.engine import same
    from mhis.indicators.sources import Scope, extract

    year = dt.date(args.year, 1, 1), dt.date(args.year + 1, 1, 1)
    jobs = []
    for indicator in services.catalogue().values():
        dims = tuple(d for d in DIMS if d in indicator.disaggregations)
        jobs.append((indicator, Request(*year, "month", "/", dims, cross=False)))
    vendor = connection.vendor
    started = time.perf_counter()
    extracts = {name: extract(name, Scope(*year, None)) for name in SOURCES}
    read = time.perf_counter() - started
    events = sum(len(e.rows) for e in extracts.values())
    started = time.perf_counter()
    live_tables = [compute_rows(i, extracts, r) for i, r in jobs]
    python = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        batch.write_extract(Path(folder))
        written = time.perf_counter() - started
        started = time.perf_counter()
        engine = batch.open_extract(Path(folder), args.threads)
        opened = time.perf_counter() - started
        duck_tables = engine.compute_many(jobs)  # warm
        duck = best_of(args.repeat, engine.compute_many, jobs)
        duck_tables = engine.compute_many(jobs)
        best_floor = best_of(args.repeat, floor, engine.con)
    differ = sum(bool(same(a, b)) for a, b in zip(live_tables, duck_tables, strict=True))
    cells = sum(len(t.cells) for t in duck_tables)
    print(f"| {vendor} | read {args.year}'s rows from the database | {events:,} | {read:.2f} s | |")
    print(
        f"| {vendor} | Python engine over those rows (baseline) | {events:,} | {python:.2f} s | |"
    )
    print(f"| {vendor} | write the encrypted extract (all years) | | {written:.2f} s | |")
    print(f"| DuckDB | open the extract (decrypt, load) | | {opened:.2f} s | |")
    print(f"| DuckDB | pack (engine) | {events:,} | {duck:.2f} s | {cells:,} cells; "
          f"{differ} of {len(jobs)} indicators differ from the Python engine |")  # fmt: skip
    print(f"| DuckDB | floor | | {best_floor:.2f} s | |")


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
    w = sub.add_parser("world")
    w.add_argument("--year", type=int, default=2025)
    w.add_argument("--threads", type=int, default=2)
    w.add_argument("--repeat", type=int, default=3)
    l_ = sub.add_parser("live")
    l_.add_argument("--place", default="TH-63")
    l_.add_argument("--period", default="2026-Q3")
    l_.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    {"synthetic": synthetic, "world": world, "live": live}[args.what](args)


if __name__ == "__main__":
    main()
