"""The cell-key method: the same people always get the same noise (ADR 0014).

Every person has a fixed random *record key*, a 32-bit number drawn from a keyed hash of
their id (the same `MHIS_HASH_KEY` that makes identifiers searchable, so it never changes
while the data lives). A cell's *cell key* is the sum of the record keys of what it counts,
modulo 2**32: a person once for a count of people, once per event for a count of events.
The noise added to a cell is read from the perturbation table `PTABLE` at (the cell's count,
its cell key). A cell holding the same records in another table, another period or another
indicator has the same count and the same cell key, so it gets the same noise: differencing
two tables never cancels it, and asking again never averages it away. A cell of no records
has no key and stays 0.

The table is public (docs/security.md prints it): noise is at most `SPREAD` either way,
unbiased, and rarely far from 0. A count is never made negative.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from functools import lru_cache

from django.conf import settings

MODULUS = 1 << 32
SPREAD = 5  # the largest noise either way
# The noise for counts of SPREAD and more: probability of each value from -SPREAD to +SPREAD.
# Mostly 0 or ±1 (variance about 1.06); ±3 to ±5 are rare, so that bounding a cell by its
# neighbours needs several rare draws at once (see `mhis.indicators.audit`).
BASE = {0: 0.48, 1: 0.2, 2: 0.05, 3: 0.006, 4: 0.0025, 5: 0.0015}


def person_key(person_id: int) -> int:
    """The record key of a person: 32 bits of HMAC-SHA256 under MHIS_HASH_KEY."""
    return record_key("person", person_id)


def record_key(kind: str, pk: int) -> int:
    """The record key of any counted thing that is not a person (a session, a worker)."""
    return _record_key(settings.MHIS_HASH_KEY, kind, int(pk))


@lru_cache(maxsize=262_144)
def _record_key(secret: str, kind: str, pk: int) -> int:
    digest = hmac.new(secret.encode(), f"cell-key\x1f{kind}\x1f{pk}".encode(), hashlib.sha256)
    return int.from_bytes(digest.digest()[:4], "big")


def _tilted(count: int) -> list[tuple[int, float]]:
    """(noise, probability) for a true `count` >= 1: the base distribution on the noises that
    keep the count at 0 or above (and a small count at SPREAD or below), tilted (exp(t·noise), t found by bisection) so that its mean
    is 0 — the least change to the base distribution that keeps it unbiased."""
    # A small count (below SPREAD) is never published above SPREAD: a published value more
    # than SPREAD would tell that the cell holds someone.
    support = [
        e
        for e in range(-SPREAD, SPREAD + 1)
        if e >= -count and (count >= SPREAD or count + e <= SPREAD)
    ]
    weights = [BASE[abs(e)] for e in support]

    def mean(t: float) -> float:
        w = [p * math.exp(t * e) for p, e in zip(weights, support, strict=True)]
        return sum(p * e for p, e in zip(w, support, strict=True)) / sum(w)

    lo, hi = -20.0, 20.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if mean(mid) > 0:
            hi = mid
        else:
            lo = mid
    t = (lo + hi) / 2
    w = [p * math.exp(t * e) for p, e in zip(weights, support, strict=True)]
    total = sum(w)
    return [(e, p / total) for e, p in zip(support, w, strict=True)]


def _cumulative(count: int) -> list[tuple[float, int]]:
    out, running = [], 0.0
    for noise, p in _tilted(count):
        running += p
        out.append((running, noise))
    out[-1] = (1.0, out[-1][1])
    return out


# (upper edge of the cell-key interval, noise) for counts 1 … SPREAD; larger counts use the last.
PTABLE: dict[int, list[tuple[float, int]]] = {n: _cumulative(n) for n in range(1, SPREAD + 1)}


def noise(count: int, cell_key: int) -> int:
    """The noise of a cell holding `count` records whose cell key is `cell_key`."""
    if count <= 0:
        return 0
    u = (cell_key % MODULUS) / MODULUS
    for edge, value in PTABLE[min(count, SPREAD)]:
        if u < edge:
            return value
    return PTABLE[min(count, SPREAD)][-1][1]


def perturb(count: int | float | None, cell_key: int) -> int | None:
    """The published count: the true count plus its noise (never below 0)."""
    if count is None:
        return None
    n = int(count)
    return max(0, n + noise(n, cell_key))
