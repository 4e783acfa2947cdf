"""Write the load plan: an API token for the demo clinician, people in their places (some to
read, others to write for), the name queries a clinic types, and a site to record encounters
at.

Usage (with the settings of the world to load): python bench/load/prepare.py PLAN.json
"""

import json
import os
import random
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
import django

django.setup()

from mhis.access.models import User  # noqa: E402
from mhis.access.services import create_token, scope_site_ids  # noqa: E402
from mhis.places.models import Place  # noqa: E402
from mhis.registry.search import visible_people  # noqa: E402

USERNAME = os.environ.get("LOAD_USER", "clinician")
SAMPLE = 2000


def main(out: str) -> int:
    user = User.objects.get(username=USERNAME)
    people = list(
        visible_people(user)
        .filter(merged_into__isnull=True)
        .order_by("pk")
        .values_list("uuid", "display_name", "display_latin")
    )
    if not people:
        print(f"{USERNAME} sees nobody: build the demo world first", file=sys.stderr)
        return 1
    # Two apart: people whose records are read, and people encounters are written for, so
    # the writes of one run do not lengthen the timelines the next run reads.
    sampled = random.Random(2026).sample(people, min(2 * SAMPLE, len(people)))
    chosen, written = sampled[: len(sampled) // 2], sampled[len(sampled) // 2 :]
    # What a clinic types: the whole name as the person gives it, in Latin letters when the
    # record has them, or only its first two words.
    queries = []
    for _, name, latin in chosen:
        words = (latin or name).split()
        queries.append(" ".join(words if len(queries) % 2 else words[:2]))
    site = Place.objects.filter(pk__in=scope_site_ids(user)).order_by("code").first()
    _, token = create_token(user, name="load benchmark")
    plan = {
        "user": USERNAME,
        "people_in_scope": len(people),
        "token": token,
        "people": [str(uuid) for uuid, _, _ in chosen],
        "written": [str(uuid) for uuid, _, _ in written],
        "queries": queries,
        "site": site.code,
    }
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(plan, fh, ensure_ascii=False)
    print(f"{USERNAME}: {len(people):,} people in scope, {len(chosen):,} sampled, site {site.code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
