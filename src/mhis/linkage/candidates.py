"""Candidates for one record in the registry, found cheaply in the database.

The registry's own indexes stand in for a run's blocking (mhis.linkage.model.blocking_rules):

- people holding an identifier with the same keyed hash (any type or issuer: the scoring
  tells them apart);
- people with the record's joined name as a name key, born any year (a mistyped year);
- people sharing a word or joined form of the name as a name key, born within a year of the
  record or of unknown birth, those sharing the most keys first.

A key held by more than `COMMON_KEY` people is passed over (as a run passes over a blocking
key held by too many records); each way stops at `cap` people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q

from mhis.registry.models import Identifier, NameKey

MAX_CANDIDATES = 200
COMMON_KEY = 20_000

Scope = Callable[[str], Any]  # field naming a person -> a condition on rows (their places)


def _birth_near(year: int | None, field: str = "person__birth_date") -> Q:
    if year is None:
        return Q()
    return Q(**{f"{field}__isnull": True}) | Q(
        **{f"{field}__gte": dt.date(year - 1, 1, 1), f"{field}__lte": dt.date(year + 1, 12, 31)}
    )


def _hashes(row: dict) -> list[str]:
    return sorted({key.rsplit("|", 1)[-1] for key in row.get("id_keys") or ()})


def candidates_of(row: dict, *, scope: Scope | None = None, cap: int = MAX_CANDIDATES) -> list[int]:
    """Ids of people (not merged) who may be the person of `row` (a record's features, its
    identifiers hashed as the registry keeps them), identifiers first. `scope`, given a
    field naming a person, the condition that person is one a user may see."""
    found: dict[int, None] = {}

    def kept(rows, field: str = "person"):
        rows = rows.filter(**{f"{field}__merged_into__isnull": True})
        return rows.filter(scope(field)) if scope is not None else rows

    hashes = _hashes(row)
    if hashes:
        ids = kept(Identifier.objects.filter(value_hash__in=hashes))
        found.update(dict.fromkeys(ids.values_list("person_id", flat=True)[:cap]))
    main = (row.get("name_main") or "")[:64]
    if main:
        ids = kept(NameKey.objects.filter(key=main))
        found.update(dict.fromkeys(ids.values_list("person_id", flat=True)[:cap]))
    words = {k[:64] for k in (*(row.get("name_tokens") or ()), *(row.get("name_forms") or ()))}
    if words:
        held = dict(
            NameKey.objects.filter(key__in=sorted(words))
            .values_list("key")
            .annotate(n=Count("pk"))
            .values_list("key", "n")
        )
        usable = sorted(k for k in words if 0 < held.get(k, 0) <= COMMON_KEY)
        if usable:
            ids = (
                kept(NameKey.objects.filter(key__in=usable))
                .filter(_birth_near(row.get("birth_year")))
                .values("person_id")
                .annotate(shared=Count("pk"))
                .order_by("-shared", "-person_id")
                .values_list("person_id", flat=True)
            )
            found.update(dict.fromkeys(ids[:cap]))
    return list(found)[: cap * 3]
