"""What the comparisons read: each record reduced to keys that survive scripts and habits.

A record is a mapping with ``unique_id``, ``names`` (every name as written or spelt, any
script), ``sex``, ``birth_date`` with ``birth_precision`` (exact, month, year, estimated),
``nationality``, ``origin``, the first migration's ``destination``, ``sector`` (of
work) and ``arrival`` (its start date), and ``identifiers`` (``(type, issuer, value)`` triples; when the
values are keyed hashes the record says ``identifiers_hashed``). :func:`features` turns it into one flat row of the columns in
:data:`COLUMNS`; nothing here knows about Django or Splink.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import lru_cache

import jellyfish

from mhis.names import name_tokens

IMPRECISE = frozenset({"year", "estimated"})

COLUMNS = (
    "unique_id",
    "name_main",  # the first name's words joined: "thida", "nguyenthilan"
    "name_sorted",  # the first name's words sorted and joined: respelt in another order
    "name_forms",  # every name joined in order and sorted: order-free exact matches
    "name_tokens",  # every word of every name
    "name_initials",  # "~k" for each word's first letter: K. Perera ~ Kamal Perera
    "name_sounds",  # phonetic keys of the joined forms
    "name_block",  # blocking keys: each word and each joined form
    "name_word_sounds",  # phonetic key of each word of three letters or more (blocking)
    "name_pairs",  # two words of the names, or a word and another's initial (blocking)
    "sex",
    "birth_date",
    "birth_year",
    "birth_month",
    "birth_fuzzy",  # year-only, estimated or a 1 January placeholder
    "nationality",
    "origin",
    "destination",  # country of destination of the first migration
    "sector",  # occupation sector
    "arrival_month",  # when that migration began, in months (year × 12 + month − 1)
    "id_keys",  # "type|issuer|value", and "type|value" whatever the issuer
    "id_kinds",  # "type|issuer": a conflict needs the same kind on both sides
    "id_types",  # "type" of every identifier
    "id_open",  # "type" of the identifiers recorded without their issuer
    "id_first",  # the first key, for training on pairs that share an identifier
    "id_near",  # the keys with one character left out: a number mistyped once
)

# Comparisons whose weights tell what a role without `see_migration_status` may not learn;
# `mhis.linkage.services.shown_evidence` leaves them out for it. Those of the record fields
# read from the person's first migration episode (an occupation sector is recorded for people
# who migrated for work, so "sector agrees" says both records are labour migrants):
FROM_MIGRATION_EPISODES = frozenset({"origin", "destination", "sector", "arrival"})
# and the comparison of identifiers, which weighs only documents of one type and issuer: its
# weight tells that two documents shown as "identity document" are of the same type.
OF_IDENTIFIER_TYPES = frozenset({"identifiers"})

# Numbers shorter than this are too easily near one another by chance.
NEAR_MIN_LENGTH = 6


def _sound(tokens) -> str:
    return "".join(jellyfish.metaphone(t) for t in tokens if t)


@lru_cache(maxsize=1_000_000)
def _one_name(name: str) -> tuple:
    """What one name gives (cached: names repeat across a registry): its words without
    initials, its joined forms, their sounds, and the initials written as such."""
    words = [t for t in name_tokens(name) if t]
    if not words:
        return (), (), (), ()
    # An initial ("k" from "K.") is kept only as an initial.
    full = [w for w in words if len(w) > 1] or words
    forms = tuple(dict.fromkeys(("".join(full), "".join(sorted(full)))))
    sounds = tuple(k for k in dict.fromkeys((_sound(full), _sound(sorted(full)))) if k)
    initials = tuple("~" + w for w in words if len(w) == 1)
    return tuple(full), forms, sounds, initials


def name_features(names: Iterable[str]) -> dict:
    forms: list[str] = []
    first: tuple = ()
    tokens: list[str] = []
    sounds: list[str] = []
    written_initials: list[str] = []
    for name in names:
        full, name_forms, name_sounds, initials = _one_name(name)
        first = first or full
        forms += [f for f in name_forms if f not in forms]
        sounds += [k for k in name_sounds if k not in sounds]
        tokens += [w for w in full if w not in tokens]
        written_initials += initials
    return {
        "name_main": forms[0] if forms else None,
        "name_sorted": "".join(sorted(first)) or None,
        "name_forms": forms,
        "name_tokens": tokens,
        "name_initials": sorted({"~" + t[0] for t in tokens} | set(written_initials)),
        "name_sounds": sounds,
        "name_block": sorted(set(tokens) | set(forms)),
        "name_word_sounds": sorted({_sound([t]) for t in tokens if len(t) >= 3} - {""}),
        "name_pairs": _pairs(tokens, written_initials),
    }


def _pairs(tokens: list[str], written_initials: list[str], most: int = 6) -> list[str]:
    """Two words of a name ("minh+nguyen"), whatever their order and the words between, and
    a word with the initial of another ("bandara+~n"): common words together are much rarer
    than alone, and "H.M.N. Bandara" meets "Nimal Bandara"."""
    words = sorted(set(tokens[:most]))
    initials = {"~" + w[0] for w in words} | set(written_initials)
    pairs = {f"{a}+{b}" for i, a in enumerate(words) for b in words[i + 1 :]}
    pairs |= {f"{w}+{i}" for w in words for i in initials if i != "~" + w[0]}
    return sorted(pairs)


def birth_features(birth: dt.date | None, precision: str | None) -> dict:
    if birth is None:
        return {"birth_date": None, "birth_year": None, "birth_month": None, "birth_fuzzy": None}
    fuzzy = precision in IMPRECISE or (birth.month == 1 and birth.day == 1)
    month = None if fuzzy else birth.month
    exact = birth if precision in (None, "exact") and not fuzzy else None
    return {
        "birth_date": exact,
        "birth_year": birth.year,
        "birth_month": month,
        "birth_fuzzy": fuzzy,
    }


def near_values(value: str) -> set[str]:
    """The value with each character left out in turn, and the value itself. Two numbers
    one typing error apart (a character changed, dropped, added, or two neighbours
    swapped) share at least one of these."""
    if len(value) < NEAR_MIN_LENGTH:
        return set()
    return {value} | {value[:i] + value[i + 1 :] for i in range(len(value))}


def identifier_features(identifiers: Iterable, hashed: bool = False) -> dict:
    """Keys of the identifiers. `hashed`: the values are keyed hashes (the registry's), so
    no near keys: a hash says nothing about how close two numbers were.

    An identifier recorded without its issuing country (``passport||123``) still meets the
    same number recorded with it (``passport|MM|123``): every identifier also gives a key
    of its type and value alone (``passport|123``), and its type is listed in ``id_open``
    so that the comparison weighs it against the other side's documents of that type."""
    keys, loose, kinds, types, open_, near = set(), set(), set(), set(), set(), set()
    for kind, issuer, value in identifiers:
        if not value:
            continue
        prefix = f"{kind}|{issuer or ''}"
        keys.add(f"{prefix}|{value}")
        loose.add(f"{kind}|{value}")
        kinds.add(prefix)
        types.add(kind)
        if not issuer:
            open_.add(kind)
        if not hashed:
            near |= {f"{kind}|{v}" for v in near_values(str(value))}
    ordered = sorted(keys)
    return {
        "id_keys": ordered + sorted(loose),
        "id_kinds": sorted(kinds),
        "id_types": sorted(types),
        "id_open": sorted(open_),
        "id_first": ordered[0] if ordered else None,
        "id_near": sorted(near),
    }


def features(record: Mapping) -> dict:
    """One record as the flat row the comparisons read (see :data:`COLUMNS`)."""
    row = {"unique_id": str(record["unique_id"])}
    row |= name_features(record.get("names") or ())
    sex = record.get("sex")
    row["sex"] = sex if sex in ("female", "male") else None
    row |= birth_features(record.get("birth_date"), record.get("birth_precision"))
    row["nationality"] = record.get("nationality") or None
    row["origin"] = record.get("origin") or None
    row["destination"] = record.get("destination") or None
    row["sector"] = record.get("sector") or None
    arrival = record.get("arrival")
    row["arrival_month"] = arrival.year * 12 + arrival.month - 1 if arrival else None
    row |= identifier_features(
        record.get("identifiers") or (), hashed=bool(record.get("identifiers_hashed"))
    )
    return row
