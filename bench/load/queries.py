"""Queries per request of the endpoints the load benchmark drives, counted in the process.

Builds a small demo world in a throwaway SQLite file (or in the empty database DATABASE_URL
names), gives one person in the demo clinician's places a record of every kind on the
timeline, and sends each request the load benchmark sends (locustfile.py) through Django's
test client with an API token, counting the statements each one makes
(``CaptureQueriesContext``; BEGIN, COMMIT and savepoints left out) and timing them.

Usage: python bench/load/queries.py [--size tiny|small] [--repeat N] [--sql]

The times are indicative only: one process, no network, no concurrency, and whatever else the
machine is doing. The counts are exact for the world built.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.IGNORECASE
)


def _settings(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
    os.environ.setdefault("MHIS_VAR_DIR", str(var_dir))
    os.environ.setdefault("MHIS_SECRET_KEY", "bench-queries-secret-key-not-for-production-0123")
    os.environ.setdefault("MHIS_FIELD_KEYS", "q0Y2J8c7t3Wk2oQ7w2o8bF3w5q2m8Wc3ZlYwq1u7oQ8=")
    os.environ.setdefault("MHIS_HASH_KEY", "bench-queries-hash-key-not-for-production")
    os.environ.setdefault("MHIS_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("MHIS_TASKS_INLINE", "1")


def _world(size: str) -> dict:
    """The demo world, the clinician's token, people to search for and one person with a record
    of every kind on the timeline."""
    import random
    from datetime import timedelta

    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from mhis.access.models import User
    from mhis.access.services import create_token, scope_site_ids
    from mhis.demo import services
    from mhis.places.models import Place
    from mhis.protection.services import create_scheme
    from mhis.registry.search import visible_people

    call_command("migrate", verbosity=0, interactive=False)
    sites = services.build_places()
    services.build_users()
    services.build_people(sites, services.SIZES[size], 2026, Path(tempfile.mkdtemp()) / "gt.csv")
    user = User.objects.get(username="clinician")
    people = list(
        visible_people(user)
        .filter(merged_into__isnull=True)
        .order_by("pk")
        .values_list("uuid", "display_name", "display_latin")
    )
    rng = random.Random(2026)  # noqa: S311 (a sample, not a secret)
    chosen = rng.sample(people, min(200, len(people)))
    queries = []
    for _, name, latin in chosen:
        words = (latin or name).split()
        queries.append(" ".join(words if len(queries) % 2 else words[:2]))
    site = Place.objects.filter(pk__in=scope_site_ids(user)).order_by("code").first()
    other = Place.objects.filter(pk__in=scope_site_ids(user)).exclude(pk=site.pk).first() or site
    _, token = create_token(user, name="query count")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    # One person with records of every kind, several of each.
    full = str(chosen[0][0])
    admin = User.objects.get(username="admin")
    day = (timezone.localdate() - timedelta(days=30)).isoformat()
    for i in range(3):
        scheme = create_scheme(
            admin, {"code": f"QC{i}", "name": f"Scheme {i}", "country": "TH", "type": "migrant"}
        )
        for path, body in [
            ("encounters", {"site": site.code, "kind": "consultation", "date": day,
                            "reason": f"visit {i}", "diagnoses": [{"code": "J06.9"}]}),
            ("referrals", {"site": site.code, "kind": "medical", "reason": f"referral {i}",
                           "urgency": "urgent", "sent_on": day, "to_site": other.code}),
            ("assessments", {"site": site.code, "type": "pre_departure", "date": day,
                             "programme": "US", "destination_country": "US"}),
            ("immunisations", {"site": site.code, "vaccine": "TD", "dose_number": 1,
                               "date": day}),
            ("lab-results", {"site": site.code, "test": "Haemoglobin", "value": "12",
                             "unit": "g/dL", "collected_on": day}),
            ("enrolments", {"scheme": scheme.code, "site": site.code, "start_date": day}),
        ]:  # fmt: skip
            response = client.post(f"/api/persons/{full}/{path}", body, "application/json")
            assert response.status_code == 201, (path, response.content)
    return {
        "client": client,
        "queries": queries,
        "people": [str(uuid) for uuid, _, _ in chosen],
        "full": full,
        "site": site.code,
        "in_scope": len(people),
    }


def _requests(world: dict, repeat: int):
    """(endpoint, send) for each request, as the load benchmark sends them."""
    from django.utils import timezone

    client = world["client"]
    rng = __import__("random").Random(7)
    body = {
        "site": world["site"],
        "kind": "consultation",
        "date": timezone.localdate().isoformat(),
        "reason": "Cough and fever for three days",
        "diagnoses": [{"code": "J06.9"}],
    }
    for n in range(repeat):
        query = world["queries"][n % len(world["queries"])]
        yield "person search", 200, lambda q=query: client.get("/api/persons", {"q": q})
        person = rng.choice(world["people"])
        yield "timeline read", 200, lambda p=person: client.get(f"/api/persons/{p}/timeline")
        yield (
            "timeline read (every kind)",
            200,
            lambda: client.get(f"/api/persons/{world['full']}/timeline"),
        )
        yield (
            "encounter create",
            201,
            lambda p=person: client.post(f"/api/persons/{p}/encounters", body, "application/json"),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["tiny", "small"], default="small")
    parser.add_argument("--repeat", type=int, default=100, help="requests per endpoint")
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    args = parser.parse_args(argv)

    var_dir = Path(tempfile.mkdtemp(prefix="mhis-queries-"))
    _settings(var_dir)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    import warnings

    import django

    warnings.filterwarnings("ignore", "No directory at")
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.monotonic()
    world = _world(args.size)
    print(
        f"world: {args.size}, {connection.vendor}, {world['in_scope']:,} people in the "
        f"clinician's places (built in {time.monotonic() - started:.0f} s)"
    )
    counts: dict[str, list[int]] = {}
    times: dict[str, list[float]] = {}
    waits: dict[str, list[float]] = {}
    shown: set[str] = set()
    waited = [0.0]

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited[0] += time.perf_counter() - began

    # One of each first, unmeasured: the caches of a worker that has served a while.
    for _, status, send in list(_requests(world, 1)):
        assert send().status_code == status
    for name, status, send in _requests(world, args.repeat):
        waited[0] = 0.0
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
            began = time.perf_counter()
            response = send()
            took = time.perf_counter() - began
        assert response.status_code == status, (name, response.status_code, response.content)
        statements = [
            q["sql"] for q in captured.captured_queries if not TRANSACTION_CONTROL.match(q["sql"])
        ]
        counts.setdefault(name, []).append(len(statements))
        times.setdefault(name, []).append(took * 1000)
        # Time spent in the cursors' execute (binding, sending, PostgreSQL's work, receiving the
        # rows; savepoints included, COMMIT not); the rest of the request is Python's alone.
        waits.setdefault(name, []).append(waited[0] * 1000)
        if args.sql and name not in shown:
            shown.add(name)
            print(f"\n-- {name}")
            for sql in statements:
                print("  ", sql[:300])
    print()
    print("| endpoint | queries (min–max, mean) | median ms | p90 ms | median ms in execute |")
    print("|---|---|---|---|---|")
    for name, values in counts.items():
        spent = sorted(times[name])
        print(
            f"| {name} | {min(values)}–{max(values)}, {statistics.mean(values):.1f} | "
            f"{statistics.median(spent):.1f} | {spent[int(len(spent) * 0.9)]:.1f} | "
            f"{statistics.median(waits[name]):.1f} |"
        )
    if connection.vendor == "postgresql":  # MHIS_DB_PREPARE_THRESHOLD (ADR 0037)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce(sum(generic_plans), 0),"
                " coalesce(sum(custom_plans), 0) FROM pg_prepared_statements"
            )
            prepared, generic, custom = cursor.fetchone()
        print(
            f"\nprepared statements on the connection: {prepared} (runs with a generic plan: "
            f"{generic}, with a custom plan: {custom})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
