"""Incremental matching benchmark: one registration scored against the registry, and a run of
new records (`score_new`) beside a full run, on a built demo world.

    MHIS_DEBUG=1 MHIS_VAR_DIR=/tmp/w .venv/bin/mhis migrate
    MHIS_DEBUG=1 MHIS_VAR_DIR=/tmp/w .venv/bin/mhis demo --size medium     # 100,000 people
    MHIS_DEBUG=1 MHIS_VAR_DIR=/tmp/w .venv/bin/python bench/linkage/incremental.py

Trains the model with a full run (`run_linkage`) unless one is there, then:

- times 200 registrations (half second registrations of someone in the registry under
  another spelling, half new people) through what the registration page does before saving:
  the check of the input, candidates in the user's places, scoring, the listing logged
  (`registry.duplicates.likely_duplicates`), and the scoring alone
  (`linkage.duplicates.likely_for_registration`); p50 and p95;
- registers 100 new people (60 of them someone already there) and times `score_new` on
  them, beside the full run's time.

Everything written is rolled back at the end, so the world can be measured again.
"""

import argparse
import contextlib
import logging
import os
import random
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
django.setup()
logging.disable(logging.WARNING)

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from mhis.access.models import User  # noqa: E402
from mhis.demo import people as gen  # noqa: E402
from mhis.linkage.duplicates import likely_for_registration  # noqa: E402
from mhis.linkage.incremental import score_new, trained  # noqa: E402
from mhis.linkage.models import LinkRun  # noqa: E402
from mhis.linkage.services import run_linkage  # noqa: E402
from mhis.registry.duplicates import likely_duplicates, threshold  # noqa: E402
from mhis.registry.models import Person  # noqa: E402
from mhis.registry.services import person_fields, register_person  # noqa: E402

CULTURES = {"MM": "burmese", "KH": "khmer", "LA": "lao", "TH": "thai", "VN": "vietnamese",
            "HN": "spanish", "LK": "sinhala", "NP": "nepali"}  # fmt: skip


LEVELS = (0.3, 0.5, 0.8, 0.95)  # thresholds the warnings are counted at


class Rollback(Exception):
    pass


def _registrations(rng, user, sites, n):
    """`n` registrations as a page would send them, each with the person it is again: half
    someone in the user's places written another way (name spelt or ordered otherwise, the
    date maybe year only), half new people (None)."""
    known = Person.objects.filter(registration_site__in=sites, merged_into=None).exclude(
        birth_date=None
    )
    chosen = rng.sample(sorted(known.values_list("pk", flat=True)), n // 2)
    people = list(
        known.filter(pk__in=chosen)
        .order_by("pk")
        .values("pk", "display_name", "display_latin", "sex", "birth_date", "nationality")
    )
    out = []
    for p in people:
        culture = CULTURES.get(p["nationality"], "burmese")
        name = gen.DemoName(p["display_name"], p["display_latin"] or p["display_name"])
        with contextlib.suppress(ValueError):  # a name it cannot vary stays as written
            name = gen.variant_of(rng, culture, name)
        born = p["birth_date"].isoformat() if rng.random() < 0.6 else str(p["birth_date"].year)
        out.append((p["pk"], _data(sites, name, p["sex"], born, p["nationality"])))
    while len(out) < n:
        nationality = rng.choice(list(CULTURES))
        sex = rng.choice(("female", "male"))
        name = gen.make_name(rng, CULTURES[nationality], sex)
        born = f"{rng.randint(1960, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        out.append((None, _data(sites, name, sex, born, nationality)))
    rng.shuffle(out)
    return out


def _data(sites, name, sex, born, nationality):
    return {
        "registration_site": sites[0].code,
        "names": [{"text": name.text, "latin": name.latin if name.latin != name.text else ""}],
        "sex": sex if sex in ("female", "male") else "unknown",
        "birth_date": born,
        "nationality": nationality,
    }


def _ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def _quantiles(times):
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--registrations", type=int, default=200)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--user", default=None, help="a clinician (default: the first)")
    parser.add_argument(
        "--retrain", action="store_true", help="time a full run even if one is there"
    )
    args = parser.parse_args()

    people = Person.objects.count()
    print(f"registry: {people:,} people")
    if people < 2:
        sys.exit("Build a demo world first (mhis demo --size medium).")
    full = None
    if args.retrain or not LinkRun.objects.filter(status=LinkRun.Status.DONE).exists():
        start = time.perf_counter()
        run = run_linkage()
        full = time.perf_counter() - start
        print(f"full run: {full:.1f} s ({run.records:,} records, {run.pairs:,} pairs)")
    model = trained()
    print(f"model: run {model.run_id} ({model.records:,} records)")

    user = (
        User.objects.get(username=args.user)
        if args.user
        else User.objects.filter(role="clinician").order_by("pk").first()
    )
    from mhis.access.services import scope_sites

    sites = list(scope_sites(user))
    rng = random.Random(2026)  # noqa: S311 (a sample, not a secret)
    registrations = _registrations(rng, user, sites, args.registrations)

    try:
        with transaction.atomic():
            page, core = [], []
            warn = threshold()
            # Listed from the lowest threshold, counted at each.
            settings.MHIS_LIKELY_DUPLICATE = min(LEVELS)
            right = dict.fromkeys(LEVELS, 0)
            false = dict.fromkeys(LEVELS, 0)
            likely_duplicates(user, registrations[0][1], view="bench")  # warm the caches
            for again, data in registrations:
                start = time.perf_counter()
                likely = likely_duplicates(user, data, view="bench")
                page.append(time.perf_counter() - start)
                for level in LEVELS:
                    named = {item.person.pk for item in likely if item.probability >= level}
                    if again is None:
                        false[level] += bool(named)
                    else:
                        right[level] += again in named
                cleaned = person_fields(user, data)
                start = time.perf_counter()
                likely_for_registration(user, cleaned, warn)
                core.append(time.perf_counter() - start)
            settings.MHIS_LIKELY_DUPLICATE = warn
            p50, p95 = _quantiles(page)
            c50, c95 = _quantiles(core)
            print(
                f"one registration, as the page checks it ({len(page)}): "
                f"p50 {_ms(p50)}, p95 {_ms(p95)}, max {_ms(max(page))}"
            )
            print(f"  scoring alone: p50 {_ms(c50)}, p95 {_ms(c95)}, max {_ms(max(core))}")
            again = sum(1 for person, _ in registrations if person is not None)
            for level in LEVELS:
                print(
                    f"  at {level}{' (the setting)' if level == warn else ''}: {right[level]}/"
                    f"{again} second registrations warned of the right person, {false[level]}/"
                    f"{len(registrations) - again} new people warned of someone"
                )

            ids = [register_person(user, data).pk for _, data in registrations[: args.new]]
            start = time.perf_counter()
            pairs = score_new(ids, threshold=0.5)
            new = time.perf_counter() - start
            print(f"score_new for {len(ids)} new people: {new:.2f} s, {len(pairs)} pairs")
            if full is not None:
                print(f"  a full run: {full:.1f} s ({full / new:.0f}× the time)")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
