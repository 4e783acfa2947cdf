"""The registry's "is this someone already registered?": a registration not yet saved scored
against the people the writer may see, with the trained model (see
:mod:`mhis.linkage.incremental`). Added to `mhis.registry.duplicates.FINDERS` at start."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from mhis.crypto import keyed_hash
from mhis.registry.duplicates import Found
from mhis.registry.search import known_in_places

from .candidates import candidates_of, held_counts
from .features import features
from .incremental import RegistryShares, probability, trained
from .records import registry_records
from .services import LABELS, withheld_comparisons

NEW = "new registration"


def record_of(cleaned: dict[str, Any]) -> dict[str, Any]:
    """A registration as checked (`registry.services.person_fields`) as the record
    `records.registry_records` would read once it is saved."""
    names = cleaned.get("names") or []
    first = names[0] if names else {"text": "", "latin": "", "script": ""}
    latin = first["latin"] or (first["text"] if first["script"] == "Latn" else "")
    written = [first["text"], latin]
    for name in names:
        written += [name["text"], name["latin"]]
    episodes = sorted(
        enumerate(cleaned.get("episodes") or []),
        key=lambda e: (e[1].get("start_date") is None, e[1].get("start_date") or date.min, e[0]),
    )
    journey = episodes[0][1] if episodes else {}
    sector = journey.get("occupation_sector")
    return {
        "unique_id": NEW,
        "names": list(dict.fromkeys(n for n in written if n)),
        "sex": cleaned.get("sex"),
        "birth_date": cleaned.get("birth_date"),
        "birth_precision": cleaned.get("birth_date_precision"),
        "nationality": cleaned.get("nationality"),
        "origin": journey.get("origin_country") or None,
        "destination": journey.get("destination_country") or None,
        "sector": sector if sector not in ("", "unknown", None) else None,
        "arrival": journey.get("start_date"),
        "identifiers": [
            (i["type"], i["issuing_country"], keyed_hash(i["normal"], purpose="identifier"))
            for i in cleaned.get("identifiers") or []
        ],
        "identifiers_hashed": True,
    }


def likely_for_registration(user, cleaned: dict[str, Any], threshold: float) -> list[Found]:
    """People the user may see whom the registration `cleaned` likely is, at `threshold` or
    above. For a role not shown some comparisons (`services.withheld_comparisons`), the
    probability is that of the comparisons it is shown, as on the review pages: whether a
    warning is given tells it nothing they would not."""
    row = features(record_of(cleaned))
    model = trained()
    ids = candidates_of(row, scope=lambda field: known_in_places(user, field))
    if not ids:
        return []
    withheld = withheld_comparisons(user)
    shares = RegistryShares(model.records, extra=1)  # the registration counts as a record
    found = []
    for record in registry_records(person_ids=ids):
        evidence = model.scorer.evidence(row, features(record), shares, shares.rare)
        shown = {name: w for name, w in evidence.items() if name not in withheld}
        p = probability(model.scorer.prior + sum(shown.values()))
        if p >= threshold:
            agreed = tuple(name for name, w in shown.items() if w > 0)
            labels = tuple(str(LABELS.get(name, name)) for name in agreed)
            found.append(Found(record["person"], p, agreed, labels))
    return found


def likely_for_people(user, person_ids: Iterable[int], threshold: float) -> dict[int, list[Found]]:
    """People already registered whom each of `person_ids` (people just registered, by an
    import) likely is, at `threshold` or above, among those `user` may see, strongest first:
    each new person scored against their candidates alone, with the trained model, as a
    registration is (`likely_for_registration`), so the work grows with the new rows, not with
    the registry. The new people are not candidates of one another."""
    new = sorted(set(person_ids))
    if not new:
        return {}
    model = trained()
    shares = RegistryShares(model.records)
    withheld = withheld_comparisons(user)
    rows = [(r["person"], features(r)) for r in registry_records(person_ids=new)]
    fresh = set(new)
    # The batch's names counted at once, not a query a name for each row.
    held = held_counts(row for _pk, row in rows)
    shares.prime(w for _pk, row in rows for w in (*row["name_tokens"], row.get("name_main")))
    wanted = {
        pk: [
            other
            for other in candidates_of(
                row, scope=lambda field: known_in_places(user, field), held=held
            )
            if other not in fresh
        ]
        for pk, row in rows
    }
    ids = sorted({other for found in wanted.values() for other in found})
    others: dict[int, dict] = {}
    for start in range(0, len(ids), 5_000):
        for record in registry_records(person_ids=ids[start : start + 5_000]):
            others[record["person"]] = features(record)
    shares.prime(other.get("name_main") for other in others.values())
    out: dict[int, list[Found]] = {}
    for pk, row in rows:
        found = []
        for other in wanted[pk]:
            if other not in others:
                continue
            evidence = model.scorer.evidence(row, others[other], shares, shares.rare)
            shown = {name: w for name, w in evidence.items() if name not in withheld}
            p = probability(model.scorer.prior + sum(shown.values()))
            if p >= threshold:
                agreed = tuple(name for name, w in shown.items() if w > 0)
                labels = tuple(str(LABELS.get(name, name)) for name in agreed)
                found.append(Found(other, p, agreed, labels))
        if found:
            found.sort(key=lambda one: (-one.probability, one.person_id))
            out[pk] = found
    return out
