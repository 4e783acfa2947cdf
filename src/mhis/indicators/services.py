"""What the pages, the API and the commands ask of indicators.

`table` computes (or reads from the cache) an indicator for a place and a list of periods;
`published` is the only way a result leaves: suppressed, checked against the user's scope.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mhis.access.services import in_scope, scope_paths
from mhis.places.models import Place

from . import periods as P
from .definitions import DefinitionError, Indicator, load
from .engine import Cell, Request, Table, compute_rows
from .models import CachedResult
from .sources import Scope, extract
from .suppression import Shown, suppress


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Indicator]:
    """The indicators in force: the standard pack and any in MHIS_INDICATOR_DIRS."""
    try:
        return load([Path(d) for d in getattr(settings, "MHIS_INDICATOR_DIRS", [])])
    except DefinitionError as exc:
        raise ImproperlyConfigured(f"Indicator definitions: {exc}") from None


def get(code: str) -> Indicator:
    try:
        return catalogue()[code]
    except KeyError:
        raise ValidationError(
            {"indicator": _("Unknown indicator: %(code)s") % {"code": code}}
        ) from None


def fingerprint(indicator: Indicator) -> str:
    text = repr((indicator.unit, indicator.count, indicator.value, indicator.numerator,
                 indicator.denominator))  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def clean_request(
    indicator: Indicator, period_keys: list[str], place: str, by: tuple[str, ...]
) -> list[P.Period]:
    """Check a request and return its periods; ValidationError names the field at fault."""
    if not period_keys:
        raise ValidationError({"periods": _("Choose at least one period.")})
    try:
        periods = sorted({P.parse(k) for k in period_keys})
    except ValueError as exc:
        raise ValidationError({"periods": str(exc)}) from None
    if len({p.type for p in periods}) > 1:
        raise ValidationError({"periods": _("Use periods of one kind (weeks, months, …).")})
    for dim in by:
        if dim not in indicator.disaggregations or dim == "period":
            raise ValidationError(
                {"by": _("%(dim)s is not a disaggregation of this indicator.") % {"dim": dim}}
            )
    if len(set(by)) != len(by):
        raise ValidationError({"by": _("A disaggregation is listed twice.")})
    if not place.startswith("/") or not place.endswith("/"):
        raise ValidationError({"place": _("Not a place.")})
    return periods


def _store_cells(table: Table, period: str) -> list:
    return [
        [list(key[1:]), c.numerator, c.denominator, c.value]
        for key, c in table.cells.items()
        if key[0] == period
    ]


def table(
    indicator: Indicator,
    period_keys: list[str],
    place: str = "/",
    by: tuple[str, ...] = (),
    *,
    use_cache: bool = True,
    shared: dict | None = None,
) -> Table:
    """The raw (unsuppressed) table of `indicator` for the periods under `place`.

    Periods already computed are read from the cache; the others are computed in one pass
    over the records and cached. A change to a record removes the periods it falls in.
    `shared` (a dict) lets several indicators of one page read each source once.
    """
    periods = clean_request(indicator, period_keys, place, by)
    request = Request(periods[0].start, periods[-1].end, periods[0].type, place, tuple(by))
    result = Table(indicator, request)
    version = fingerprint(indicator)
    by_text = ",".join(by)
    wanted = {p.key: p for p in periods}
    if use_cache:
        for row in CachedResult.objects.filter(
            indicator=indicator.code, definition=version, place=place, by=by_text,
            period__in=list(wanted),
        ):  # fmt: skip
            for dims, n, d, v in row.cells:
                result.cells[(row.period, *dims)] = Cell(n, d, v)
            wanted.pop(row.period)
    if not wanted:
        return result
    todo = sorted(wanted.values())
    live = Request(todo[0].start, todo[-1].end, todo[0].type, place, tuple(by))
    scope = Scope(live.start, live.end, None if place == "/" else place)
    memo = shared if shared is not None else {}
    extracts = {}
    for source in indicator.sources:
        key = (source, scope.start, scope.end, scope.path)
        if key not in memo:
            memo[key] = extract(source, scope)
        extracts[source] = memo[key]
    fresh = compute_rows(indicator, extracts, live)
    for key, cell in fresh.cells.items():
        if key[0] in wanted:
            result.cells[key] = cell
    if use_cache:
        for period in wanted.values():
            try:
                with transaction.atomic():
                    CachedResult.objects.update_or_create(
                        indicator=indicator.code, definition=version, period=period.key,
                        place=place, by=by_text,
                        defaults={
                            "sources": "," + ",".join(indicator.sources) + ",",
                            "cells": _store_cells(fresh, period.key),
                        },
                    )  # fmt: skip
            except IntegrityError:  # computed at the same moment by another request
                pass
    return result


@dataclass
class Published:
    indicator: Indicator
    place: Place | None
    by: tuple[str, ...]
    cells: list[Shown]


def check_place(user, place: Place | None) -> None:
    """Aggregates are shown for places inside the user's scopes only."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in to see indicators."))
    if place is None:
        if "/" not in scope_paths(user) and not user.is_superuser:
            raise PermissionDenied(_("Choose a place inside your scope."))
    elif not in_scope(user, place):
        raise PermissionDenied(_("This place is outside your scope."))


def published(
    user,
    code: str,
    period_keys: list[str],
    place: Place | None,
    by: tuple[str, ...] = (),
    *,
    shared: dict | None = None,
) -> Published:
    """An indicator as it may leave the system: in the user's scope, suppressed."""
    check_place(user, place)
    indicator = get(code)
    raw = table(indicator, period_keys, place.path if place else "/", tuple(by), shared=shared)
    return Published(indicator, place, tuple(by), suppress(raw))


def home_place(user) -> Place | None:
    """The widest place in the user's scopes (where a dashboard opens)."""
    paths = sorted(scope_paths(user), key=len)
    return Place.objects.filter(path=paths[0]).first() if paths else None


# -- invalidation --------------------------------------------------------------------------------


def forget(source: str, days) -> int:
    """Remove cached results of `source` for every period containing one of `days`."""
    keys = {k for day in days if day for k in P.keys_of(day)}
    if not keys:
        return 0
    deleted, _detail = CachedResult.objects.filter(
        sources__contains=f",{source},", period__in=sorted(keys)
    ).delete()
    return deleted
