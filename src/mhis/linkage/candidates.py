"""Candidates for one record in the registry, found cheaply in the database.

The registry's own indexes stand in for a run's blocking (mhis.linkage.model.blocking_rules):

- people holding an identifier with the same keyed hash (any type or issuer: the scoring
  tells them apart);
- people with the record's joined name as a name key, born any year (a mistyped year);
- people sharing a word or joined form of the name (the words in any order) as a name key,
  born within a year of the record or of unknown birth, those sharing the most keys first.

A key held by more than `COMMON_KEY` people is passed over (as a run passes over a blocking
key held by too many records), unless every key is; each way stops at `cap` people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from itertools import permutations
from typing import Any

from django.db.models import Count, Q

from mhis.registry.models import Identifier, NameKey

MAX_CANDIDATES = 200
COMMON_KEY = 2_000
MAX_ORDERED = 4  # names of at most this many words are looked up in every order

Scope = Callable[[str], Any]  # field naming a person -> a condition on rows (their places)


def _birth_near(year: int | None, field: str = "person__birth_date") -> Q:
    if year is None:
        return Q()
    return Q(**{f"{field}__isnull": True}) | Q(
        **{f"{field}__gte": dt.date(year - 1, 1, 1), f"{field}__lte": dt.date(year + 1, 12, 31)}
    )


def _hashes(row: dict) -> list[str]:
    return sorted({key.rsplit("|", 1)[-1] for key in row.get("id_keys") or ()})


def _name_keys(row: dict) -> list[str]:
    """The name keys to look up: each word and joined form of the record's names, and the
    words joined in every order (a name kept as "Sok Dara" is found from "Dara Sok")."""
    tokens = list(row.get("name_tokens") or ())
    keys = {*tokens, *(row.get("name_forms") or ())}
    if 1 < len(tokens) <= MAX_ORDERED:
        keys |= {"".join(order) for order in permutations(tokens)}
    return sorted({k[:64] for k in keys if k})


def held_counts(rows: Iterable[dict]) -> dict[str, int]:
    """How many people hold each name key of `rows`, counted no further than COMMON_KEY as
    `candidates_of` counts them, in a few grouped queries for a batch of records instead of
    a query a key (pass the answer to `candidates_of` as `held`)."""
    keys = sorted({k for row in rows for k in _name_keys(row)})
    held = dict.fromkeys(keys, 0)
    for start in range(0, len(keys), 500):
        counted = (
            NameKey.objects.filter(key__in=keys[start : start + 500])
            .order_by()
            .values("key")
            .annotate(n=Count("pk"))
            .values_list("key", "n")
        )
        for key, n in counted:
            held[key] = min(n, COMMON_KEY + 1)
    return held


def candidates_of(
    row: dict,
    *,
    scope: Scope | None = None,
    cap: int = MAX_CANDIDATES,
    held: Mapping[str, int] | None = None,
) -> list[int]:
    """Ids of people (not merged) who may be the person of `row` (a record's features, its
    identifiers hashed as the registry keeps them), identifiers first. `scope`, given a
    field naming a person, the condition that person is one a user may see; `held`, the
    holders of the row's name keys counted beforehand (`held_counts`)."""
    found: dict[int, None] = {}

    def kept(rows, field: str = "person"):
        rows = rows.filter(**{f"{field}__merged_into__isnull": True})
        return rows.filter(scope(field)) if scope is not None else rows

    hashes = _hashes(row)
    if hashes:
        ids = kept(Identifier.objects.filter(value_hash__in=hashes))
        found.update(dict.fromkeys(ids.values_list("person_id", flat=True)[:cap]))
    keys = _name_keys(row)
    if keys:
        # How many people hold each key, counted no further than COMMON_KEY.
        if held is None:
            held = {k: NameKey.objects.filter(key=k)[: COMMON_KEY + 1].count() for k in keys}
        else:
            held = {k: held[k] if k in held else held_counts([row])[k] for k in keys}
        usable = sorted(k for k in keys if 0 < held[k] <= COMMON_KEY)
        if not usable and any(held.values()):  # every key common: the least common one
            usable = [min((k for k in keys if held[k]), key=lambda k: (held[k], k))]
        main = (row.get("name_main") or "")[:64]
        if main in usable and held[main] <= cap:  # the whole name, whatever the year
            ids = kept(NameKey.objects.filter(key=main))
            found.update(dict.fromkeys(ids.values_list("person_id", flat=True)[:cap]))
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
