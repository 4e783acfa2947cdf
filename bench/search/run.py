"""Person search latency on a built demo world.

Usage: MHIS_DEBUG=1 MHIS_VAR_DIR=<folder with a demo world> .venv/bin/python bench/search/run.py
Times registry.search.search_people (first page of 20 and the count, as the API does) for
queries in Burmese script, Latin spellings, abbreviations and an identifier, as the demo
clinician (scope: Mae Sot) and the administrator (scope: every country).
"""

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
import django

django.setup()

from mhis.access.models import User  # noqa: E402
from mhis.registry.models import Identifier, Person  # noqa: E402
from mhis.registry.search import search_people  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "20"))


def timed(user, query):
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        qs = search_people(user, query)
        rows = list(qs[:20])
        count = qs.count()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return count, len(rows), statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    people = Person.objects.count()
    identifier = Identifier.objects.filter(type="work_permit").first()
    queries = [
        "မောင်မောင်",
        "Maung Maung",
        "Mg Mg",
        "Kyaw Win",
        "Thi Da",
        "Sok Dara",
        "Hernandez",
        "Nguyen Van Minh",
        identifier.value if identifier else "WP-00000000",
        "zz no such name",
    ]
    print(f"people: {people:,}; repeats: {REPEAT}")
    print("| user | query | matches | median ms | p95 ms |\n|---|---|---|---|---|")
    for username in ("clinician", "admin"):
        user = User.objects.get(username=username)
        for q in queries:
            count, _, median, p95 = timed(user, q)
            shown = (
                q if q != (identifier.value if identifier else None) else "(a work permit number)"
            )
            print(f"| {username} | {shown} | {count:,} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
