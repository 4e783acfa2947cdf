"""An insider's systematic collection of aggregates: every indicator the role may ask for, at
every place of its scope (country, first-level areas, districts, sites), for every month,
quarter and the year, and the weeks of one quarter, alone and broken down by each category it
may use and by place — what the pages, the API and their CSV and XLSX downloads all serve
(`mhis.indicators.services.published`), recorded for the audit with the true table behind it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError

from mhis.access.policy import Can, allowed
from mhis.indicators import services
from mhis.indicators.audit import Attack
from mhis.indicators.cellkey import SPREAD
from mhis.places.models import Place


def periods_of(year: int) -> list[list[str]]:
    """The requests of a year: its months, its quarters, the year, the weeks of its Q2."""
    weeks = sorted({f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"
                    for d in (dt.date(year, 4, 1) + dt.timedelta(days=7 * i) for i in range(13))})  # fmt: skip
    return [
        [f"{year}-{m:02d}" for m in range(1, 13)],
        [f"{year}-Q{q}" for q in range(1, 5)],
        [str(year)],
        weeks,
    ]


def breakdowns(indicator) -> list[tuple[str, ...]]:
    dims = [d for d in indicator.disaggregations if d != "period"]
    out = [(), *((d,) for d in dims)]
    if "place" in dims:
        out += [(d, "place") for d in ("sex", "migration_status") if d in dims]
    if "sex" in dims and "age_group" in dims:
        out.append(("sex", "age_group"))
    return out


def plan(user, root: Place, year: int, codes: list[str] | None = None) -> list[tuple]:
    """The tables `user` may obtain under `root` for `year`: (indicator, place, breakdown,
    period keys), as the firewall decides for every route (`services.check_disaggregation`)."""
    out = []
    for indicator in services.visible_indicators(user):
        if codes is not None and indicator.code not in codes:
            continue
        for place in Place.objects.filter(path__startswith=root.path).order_by("path"):
            services.check_place(user, place)
            for by in breakdowns(indicator):
                try:
                    services.check_disaggregation(user, indicator, place, by)
                except (PermissionDenied, ValidationError):
                    continue  # the role may not ask for this one
                out += [(indicator, place, by, tuple(keys)) for keys in periods_of(year)]
    return out


def collect(
    user, root: Place, year: int, codes: list[str] | None = None, *, publish=None
) -> tuple[Attack, dict]:
    """Every table `user` may obtain under `root` (`plan`), as one attack, and the extracts it
    was computed from: each table from one extract of the whole registry, published as
    `services.published` publishes it (`tests/test_insider.py` checks the two agree).
    `publish(raw)` → (cells, exact) publishes another way (the table-by-table control)."""
    from mhis.indicators.disclosure import protect
    from mhis.indicators.engine import Request, compute_rows
    from mhis.indicators.periods import parse
    from mhis.indicators.sources import SOURCES, extract

    attack = Attack(spread=SPREAD)
    extracts = {name: extract(name) for name in SOURCES}
    exact = allowed(user, Can.EXACT_INDICATORS)
    publish = publish or (lambda raw: (protect(raw, exact=exact), exact))
    for indicator, place, by, keys in plan(user, root, year, codes):
        periods = sorted(parse(k) for k in keys)
        request = Request(periods[0].start, periods[-1].end, periods[0].type, place.path, by)
        raw = compute_rows(indicator, extracts, request)
        raw.cells = {k: c for k, c in raw.cells.items() if k[0] in keys}
        services.complete(raw, place, keys)
        cells, is_exact = publish(raw)
        attack.observe(raw, cells, exact=is_exact)
    return attack, extracts


# -- the control: each table protected on its own, as aggregates were before the cell key --------

COMPLEMENTARY = "complementary"


def table_by_table(raw):
    """Primary suppression of counts 1–4 and complementary suppression inside the one table
    (no total with exactly one withheld member), exact numbers otherwise."""
    from mhis.indicators.definitions import RATE_UNITS, VALUE_UNITS
    from mhis.indicators.disclosure import SMALL, Shown

    width = len(raw.request.by)
    cells = raw.cells
    order = sorted(cells, key=lambda k: tuple(("", "") if v is None else ("~", str(v)) for v in k))
    if raw.indicator.unit in VALUE_UNITS:
        return [Shown(k, None, None, None, SMALL) if cells[k].numerator < 5
                else Shown(k, int(cells[k].numerator), None, cells[k].value) for k in order], True  # fmt: skip
    num = {k: c.numerator for k, c in cells.items()}
    hidden = {k for k, n in num.items() if 0 < n < 5}
    small = set(hidden)
    _complement(num, hidden, width)
    if raw.indicator.unit in RATE_UNITS:
        den = {k: c.denominator for k, c in cells.items() if c.denominator is not None}
        hidden_den = {k for k, d in den.items() if 0 < d < 5}
        small |= hidden_den
        _complement(den, hidden_den, width)
        hidden |= hidden_den
    out = []
    for k in order:
        c = cells[k]
        if k in hidden:
            out.append(Shown(k, None, None, None, SMALL if k in small else COMPLEMENTARY))
        else:
            n, d = int(c.numerator), None if c.denominator is None else int(c.denominator)
            out.append(Shown(k, n, d, c.value))
    return out, True


def _complement(counts: dict, hidden: set, width: int) -> None:
    changed = True
    while changed:
        changed = False
        for j in range(1, width + 1):
            groups: dict = {}
            for key in counts:
                if key[j] is not None:
                    groups.setdefault((*key[:j], None, *key[j + 1 :]), []).append(key)
            for total, members in groups.items():
                family = [*members, total] if total in counts else members
                if sum(k in hidden for k in family) != 1:
                    continue
                candidates = sorted((k for k in members if k not in hidden and counts[k] > 0),
                                    key=lambda k: (counts[k], repr(k)))  # fmt: skip
                if candidates:
                    hidden.add(candidates[0])
                elif total in counts and total not in hidden:
                    hidden.add(total)
                else:
                    continue
                changed = True
