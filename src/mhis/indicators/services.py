"""What the pages, the API and the commands ask of indicators.

`table` computes (or reads from the cache) an indicator for a place and a list of periods;
`published` is the only way a result leaves: suppressed, checked against the user's scope.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import in_scope, scope_paths
from mhis.care.codes import DESTINATION_PROGRAMMES
from mhis.places.models import Place, PlaceKind
from mhis.registry.models import Person

from . import periods as P
from .definitions import STATUS_COLUMNS, VALUE_UNITS, DefinitionError, Indicator, load
from .disclosure import Shown, protect
from .engine import Cell, Request, Table, broadcast, compute_rows, missing_dimensions
from .models import CachedResult
from .sources import SOURCES, Scope, extract

# Disaggregations asked at once: the cross-table of three and all its margins at most.
MAX_BY = 3
# Periods asked at once: two years of weeks (a trend), or ten years of months.
MAX_PERIODS = 120
# The deepest place a protected table breaks down by migration status: admin level 1, the
# first areas below a country.
STATUS_MAX_LEVEL = 1


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


# The layout of a cached cell: [dimensions, numerator, denominator, value, key, denominator key].
CACHE_FORMAT = 2


def fingerprint(indicator: Indicator) -> str:
    text = repr(
        (
            CACHE_FORMAT,
            indicator.unit,
            indicator.count,
            indicator.value,
            indicator.numerator,
            indicator.denominator,
        )
    )
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
    if len(periods) > MAX_PERIODS:
        raise ValidationError({"periods": _("At most %(n)s periods at once.") % {"n": MAX_PERIODS}})
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
        [list(key[1:]), c.numerator, c.denominator, c.value, c.key, c.den_key]
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
            indicator=indicator.code,
            definition=version,
            place=place,
            by=by_text,
            period__in=list(wanted),
        ):
            for dims, n, d, v, k, dk in row.cells:
                result.cells[(row.period, *dims)] = Cell(n, d, v, k, dk)
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
                        indicator=indicator.code,
                        definition=version,
                        period=period.key,
                        place=place,
                        by=by_text,
                        defaults={
                            "sources": "," + ",".join(indicator.sources) + ",",
                            "cells": _store_cells(fresh, period.key),
                        },
                    )
            except IntegrityError:  # computed at the same moment by another request
                pass
    return result


@dataclass
class Published:
    indicator: Indicator
    place: Place | None
    by: tuple[str, ...]
    cells: list[Shown]
    exact: bool = False  # the true numbers (a role that sees every person counted)


def check_place(user, place: Place | None) -> None:
    """Aggregates are shown for places inside the user's scopes only."""
    require(user, Can.READ_INDICATORS)
    if place is None:
        if "/" not in scope_paths(user) and not user.is_superuser:
            raise PermissionDenied(_("Choose a place inside your scope."))
    elif not in_scope(user, place):
        raise PermissionDenied(_("This place is outside your scope."))


def check_disaggregation(user, indicator: Indicator, place: Place | None, by: tuple[str, ...]):
    """The firewall over aggregates: migration status, or an indicator whose population
    depends on it, only for roles granted `indicators_by_status`; in a protected table only for
    countries and first-level areas (`STATUS_MAX_LEVEL`), so that the highest-sensitivity
    statuses are never shown below admin level 1."""
    if len(by) > MAX_BY:
        raise ValidationError({"by": _("At most %(n)s disaggregations at once.") % {"n": MAX_BY}})
    by_status = bool(STATUS_COLUMNS & set(by)) or indicator.counts_by_status
    if by_status:
        require(user, Can.INDICATORS_BY_STATUS)
    if by_status and not allowed(user, Can.EXACT_INDICATORS):
        deepest = (place.level if place else -1) + ("place" in by)
        # A site may sit directly under a country, at level 1: broken down by place, its row
        # would be one site's people by migration status.
        site_below = (
            "place" in by
            and place is not None
            and place.children.filter(kind=PlaceKind.SITE).exists()
        )
        if (
            (place is not None and place.kind == PlaceKind.SITE)
            or deepest > STATUS_MAX_LEVEL
            or site_below
        ):
            raise ValidationError(
                {
                    "by": _(
                        "Migration status, and what is counted by it, is shown for countries "
                        "and first-level areas only: choose a wider place, or leave out the "
                        "place breakdown."
                    )
                }
            )


def visible_indicators(user) -> list[Indicator]:
    """The indicators the user may ask for (those counted by migration status only for roles
    granted `indicators_by_status`)."""
    by_status = allowed(user, Can.INDICATORS_BY_STATUS)
    return [i for i in catalogue().values() if by_status or not i.counts_by_status]


def dimensions(user, indicator: Indicator, place: Place | None) -> list[str]:
    """The breakdowns of `indicator` the user may ask for at `place`, alone."""
    out = []
    for dim in indicator.disaggregations:
        if dim == "period":
            continue
        try:
            check_disaggregation(user, indicator, place, (dim,))
        except (PermissionDenied, ValidationError):
            continue
        out.append(dim)
    return out


def published(
    user,
    code: str,
    period_keys: list[str],
    place: Place | None,
    by: tuple[str, ...] = (),
    *,
    shared: dict | None = None,
) -> Published:
    """An indicator as it may leave the system: in the user's scope, through the firewall,
    every category of every breakdown present (an empty one too, so that presence tells
    nothing), exact for roles that see the people counted and protected for all others."""
    check_place(user, place)
    indicator = get(code)
    by = tuple(by)
    check_disaggregation(user, indicator, place, by)
    raw = table(indicator, period_keys, place.path if place else "/", by, shared=shared)
    complete(raw, place, period_keys)
    exact = allowed(user, Can.EXACT_INDICATORS)
    return Published(indicator, place, by, protect(raw, exact=exact), exact)


def categories(dim: str, place: Place | None) -> list:
    """Every value a breakdown by `dim` shows, whether or not anyone is in it."""
    if dim == "place":
        if place is not None and place.kind == PlaceKind.SITE:
            return [place.path]
        children = (
            Place.objects.filter(parent=place) if place else Place.objects.filter(parent=None)
        )
        return list(children.values_list("path", flat=True))
    if dim == "nationality":
        return nationalities()
    if dim == "programme":
        return list(DESTINATION_PROGRAMMES)
    for source in SOURCES.values():
        column = source.by_name.get(dim)
        if column is not None and column.choices:
            return list(column.choices)
    return []


def nationalities() -> list[str]:
    """The nationalities of everyone registered (the whole registry's, never a place's)."""
    found = cache.get("mhis:nationalities")
    if found is None:
        found = sorted(
            {
                n or "UNK"
                for n in Person.objects.order_by().values_list("nationality", flat=True).distinct()
            }
            | {"UNK"}
        )
        cache.set("mhis:nationalities", found, 600)
    return found


def complete(raw: Table, place: Place | None, period_keys: Iterable[str]) -> None:
    """Add an empty cell for every category of every breakdown, in every period asked for,
    that the table lacks (in place)."""
    by = raw.request.by
    if not by:
        return
    values = {dim: categories(dim, place) for dim in by}
    missing = missing_dimensions(raw.indicator, raw.request)
    for grouping in raw.request.groupings():
        axes = [values[d] if d in grouping else [None] for d in by]
        for period in period_keys:
            for combo in itertools.product(*axes):
                key = (period, *combo)
                if key in raw.cells:
                    continue
                cell = Cell(0, None, None)
                if raw.indicator.denominator is not None:
                    total = raw.cells.get(broadcast(key, missing))
                    cell.denominator = total.denominator if total else 0
                    cell.den_key = total.den_key if total else 0
                    if cell.denominator:
                        cell.value = 0.0
                elif raw.indicator.unit not in VALUE_UNITS:
                    cell.value = 0.0
                raw.cells[key] = cell


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
