"""Person import throughput: N generated people from a CSV file through the whole pipeline
(every row checked by the registration rules, upserted by key, linked by identifier, checked
for duplicates, reported), then the same file again (every row unchanged), against the floor
of loading the same rows with no checks at all (PostgreSQL COPY, or one SQLite executemany).

Usage:
  .venv/bin/python bench/import/run.py --rows 100000                   # SQLite, in a temp dir
  scripts/with-postgres.sh .venv/bin/python bench/import/run.py --rows 100000   # PostgreSQL
Prints one table row for RESULTS.md. The database is created empty in a temp dir (SQLite) or
as the database named in DATABASE_URL (created if missing, dropped and re-created).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

TMP = Path(tempfile.mkdtemp(prefix="mhis-import-bench-"))
os.environ.setdefault("MHIS_VAR_DIR", str(TMP))
# Production settings (DEBUG off, so no query log grows), with throwaway keys of its own.
os.environ.setdefault("MHIS_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("MHIS_FIELD_KEYS", "q0Y2J8c7t3Wk2oQ7w2o8bF3w5q2m8Wc3ZlYwq1u7oQ8=")
os.environ.setdefault("MHIS_HASH_KEY", "bench-hash-key-not-for-production")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")

COLUMNS = ["source_key", "name", "latin_name", "registration_site", "sex", "birth_date",
           "nationality", "languages", "identifier_type", "identifier_country", "identifier_value",
           "migration_status", "origin_country", "destination_country"]  # fmt: skip
CULTURES = [("burmese", "MM", "my"), ("karen", "MM", "ksw"), ("khmer", "KH", "km"),
            ("lao", "LA", "lo"), ("thai", "TH", "th"), ("spanish", "HN", "es")]  # fmt: skip


def fresh_postgres(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    from mhis.demo.people import make_name

    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        for i in range(rows):
            culture, country, language = CULTURES[i % len(CULTURES)]
            sex = rng.choice(("female", "male"))
            name = make_name(rng, culture, sex)
            passport = f"P{rng.randrange(10**7, 10**8)}" if rng.random() < 0.3 else ""
            out.writerow([f"B-{i:07d}", name.text, name.latin, "BENCH-SITE", sex,
                          f"{rng.randrange(1950, 2010)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                          country, language, "passport" if passport else "", country if passport else "",
                          passport, "REG_LAB", country, "TH"])  # fmt: skip


def floor(path: Path, vendor: str) -> float:
    """Seconds to load the same rows into a plain table with no checks."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute("CREATE TABLE bench_floor (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
    start = time.perf_counter()
    if vendor == "postgresql":
        with connection.cursor() as cursor, path.open("rb") as f:
            with cursor.copy("COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
    else:
        with path.open(encoding="utf-8", newline="") as f, connection.cursor() as cursor:
            reader = csv.reader(f)
            next(reader)
            marks = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(f"INSERT INTO bench_floor VALUES ({marks})", list(reader))  # noqa: S608
    connection.commit() if not connection.get_autocommit() else None
    return time.perf_counter() - start


def _cpu() -> tuple[float, float]:
    """CPU seconds used so far by this process and by its children (the import's checker)."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        fresh_postgres(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from mhis.access.services import create_user
    from mhis.intake import services
    from mhis.places.services import create_place

    call_command("migrate", verbosity=0)
    country = create_place(code="TH", name="Thailand", kind="country")
    create_place(code="BENCH-SITE", name="Bench clinic", kind="site", parent=country, site_type="clinic")  # fmt: skip
    user = create_user(username="bench", password=None, role="clinician", places=[country])
    path = TMP / "people.csv"
    generate(path, args.rows)
    vendor = connection.vendor

    load = os.getloadavg()[0]
    cpu = _cpu()
    start = time.perf_counter()
    job = services.run_import(user, path, source="bench")
    first = time.perf_counter() - start
    cpu_first = [b - a for a, b in zip(cpu, _cpu(), strict=True)]
    counts = services.summary(job)
    rss_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    start = time.perf_counter()
    again = services.run_import(user, path, source="bench")
    second = time.perf_counter() - start
    assert services.summary(again) == {"unchanged": args.rows}, services.summary(again)
    bare = floor(path, vendor)
    print(f"rows {args.rows:,} on {vendor}; outcomes {counts}", file=sys.stderr)
    print(f"first import CPU: {cpu_first[0]:.1f} s importer, {cpu_first[1]:.1f} s checker; "
          f"load average before: {load:.1f} on {os.cpu_count()} cores", file=sys.stderr)  # fmt: skip
    print("| rows | database | first import | rows/s | second import (unchanged) | floor (no checks) | peak RSS |")  # fmt: skip
    print(f"| {args.rows:,} | {vendor} | {first:.1f} s | {args.rows / first:,.0f} | {second:.1f} s | {bare:.1f} s | {rss_first} MB |")  # fmt: skip


if __name__ == "__main__":
    main()
