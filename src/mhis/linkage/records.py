"""The registry as records for matching (the only part of the linkage core that reads Django).

Identifiers are matched by their keyed hash (`Identifier.value_hash`), never decrypted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import F

from mhis.registry.models import Identifier, MigrationEpisode, Person, PersonName

CHUNK = 20_000


def registry_records(
    person_ids: list[int] | None = None, *, merged: bool = False
) -> Iterator[dict]:
    """Each person of the registry (or of `person_ids`) as a record for
    :func:`mhis.linkage.features.features`, read in primary-key chunks. Records merged into
    another are settled and left out, unless `merged` (they still teach the model how one
    person's records differ: their identifiers are the pairs it trains on)."""

    people = Person.objects.order_by("pk")
    if not merged:
        people = people.filter(merged_into__isnull=True)
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    last = 0
    fields = (
        "pk",
        "uuid",
        "display_name",
        "display_latin",
        "sex",
        "birth_date",
        "birth_date_precision",
        "nationality",
        "merged_into",
    )
    while True:
        chunk = list(people.filter(pk__gt=last).values_list(*fields)[:CHUNK])
        if not chunk:
            return
        last = chunk[-1][0]
        # The whole registry: a key range rather than a list of keys, cheaper to build and to
        # run (rows of people left out, the merged, are read and ignored).
        span = (
            {"person_id__gte": chunk[0][0], "person_id__lte": last}
            if person_ids is None
            else {"person_id__in": [row[0] for row in chunk]}
        )
        names = defaultdict(list)
        for person, text, latin in PersonName.objects.filter(**span).values_list(
            "person_id", "text", "latin"
        ):
            names[person] += [text, latin]
        identifiers = defaultdict(list)
        for person, kind, issuer, value in Identifier.objects.filter(**span).values_list(
            "person_id", "type", "issuing_country", "value_hash"
        ):
            identifiers[person].append((kind, issuer, value))
        journeys = {}  # the first migration episode: where from, where to, work, since when
        for person, *journey in (
            MigrationEpisode.objects.filter(**span)
            .order_by(F("start_date").asc(nulls_last=True), "pk")
            .values_list(
                "person_id",
                "origin_country",
                "destination_country",
                "occupation_sector",
                "start_date",
            )
        ):
            journeys.setdefault(person, journey)
        for pk, uuid, display, latin, sex, birth, precision, nationality, into in chunk:
            written = [n for n in (display, latin, *names[pk]) if n]
            origin, destination, sector, arrival = journeys.get(pk) or (None,) * 4
            yield {
                "unique_id": str(uuid),
                "person": pk,
                "names": list(dict.fromkeys(written)),
                "sex": sex,
                "birth_date": birth,
                "birth_precision": precision,
                "nationality": nationality,
                "origin": origin or None,
                "destination": destination or None,
                "sector": sector if sector not in ("", "unknown") else None,
                "arrival": arrival,
                "identifiers": identifiers[pk],
                "identifiers_hashed": True,
                "merged": into is not None,
            }
