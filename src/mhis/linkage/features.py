"""What the comparisons read: each record reduced to keys that survive scripts and habits.

A record is a mapping with ``unique_id``, ``names`` (every name as written or spelt, any
script), ``sex``, ``birth_date`` with ``birth_precision`` (exact, month, year, estimated),
``nationality``, ``origin`` and ``identifiers`` (``(type, issuer, value)`` triples; the value
may be a hash). :func:`features` turns it into one flat row of the columns in
:data:`COLUMNS`; nothing here knows about Django or Splink.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import jellyfish

from mhis.names import name_tokens

IMPRECISE = frozenset({"year", "estimated"})

COLUMNS = (
    "unique_id",
    "name_main",  # the first name's words joined: "thida", "nguyenthilan"
    "name_forms",  # every name joined in order and sorted: order-free exact matches
    "name_tokens",  # every word of every name
    "name_initials",  # "~k" for each word's first letter: K. Perera ~ Kamal Perera
    "name_sounds",  # phonetic keys of the joined forms
    "name_block",  # blocking keys: each word and each joined form
    "sex",
    "birth_date",
    "birth_year",
    "birth_month",
    "birth_fuzzy",  # year-only, estimated or a 1 January placeholder
    "nationality",
    "origin",
    "id_keys",  # "type|issuer|value"
    "id_kinds",  # "type|issuer": a conflict needs the same kind on both sides
    "id_first",  # the first key, for training on pairs that share an identifier
)


def _joined(tokens: list[str]) -> str:
    return "".join(tokens)


def _sound(tokens: list[str]) -> str:
    return "".join(jellyfish.metaphone(t) for t in tokens if t)


def name_features(names: Iterable[str]) -> dict:
    forms: list[str] = []
    tokens: list[str] = []
    sounds: list[str] = []
    main = None
    for name in names:
        words = [t for t in name_tokens(name) if t]
        if not words:
            continue
        # An initial ("k" from "K.") is kept only as an initial.
        full = [w for w in words if len(w) > 1] or words
        if main is None:
            main = _joined(full)
        for form in (_joined(full), _joined(sorted(full))):
            if form not in forms:
                forms.append(form)
        for key in (_sound(full), _sound(sorted(full))):
            if key and key not in sounds:
                sounds.append(key)
        tokens += [w for w in full if w not in tokens]
    initials = sorted({"~" + t[0] for t in tokens})
    for name in names:
        for w in name_tokens(name):
            if len(w) == 1 and "~" + w not in initials:
                initials.append("~" + w)
    return {
        "name_main": main,
        "name_forms": forms,
        "name_tokens": tokens,
        "name_initials": sorted(initials),
        "name_sounds": sounds,
        "name_block": sorted(set(tokens) | set(forms)),
    }


def birth_features(birth: dt.date | None, precision: str | None) -> dict:
    if birth is None:
        return {"birth_date": None, "birth_year": None, "birth_month": None, "birth_fuzzy": None}
    fuzzy = precision in IMPRECISE or (birth.month == 1 and birth.day == 1)
    month = None if fuzzy else birth.month
    exact = birth if precision in (None, "exact") and not fuzzy else None
    return {"birth_date": exact, "birth_year": birth.year, "birth_month": month,
            "birth_fuzzy": fuzzy}  # fmt: skip


def identifier_features(identifiers: Iterable) -> dict:
    keys, kinds = set(), set()
    for kind, issuer, value in identifiers:
        if not value:
            continue
        keys.add(f"{kind}|{issuer or ''}|{value}")
        kinds.add(f"{kind}|{issuer or ''}")
    ordered = sorted(keys)
    return {
        "id_keys": ordered,
        "id_kinds": sorted(kinds),
        "id_first": ordered[0] if ordered else None,
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
    row |= identifier_features(record.get("identifiers") or ())
    return row
