"""The lists of alerts, signals and outbreaks (docs/decisions/0033): one way to filter them by
place, condition, state, owner and week or dates, sort them, page them on the page and give
them whole as CSV or on a map. Unknown values are refused with the field named, never
silently ignored (an unknown state would otherwise show an empty list that looks like good
news).

A listing says, for one kind of item, which field is its place, who its "owner" is (an
alert's owner, a signal's reporter, who opened an outbreak), which sorts it offers and how
its weeks or dates are read. The CSV files hold aggregate fields only: never a person, never
a signal's free text (which may name one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, F, OrderBy, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import downloads
from mhis.access.services import place_scope_q, scope_paths
from mhis.places.models import Place, PlaceKind

from .conditions import BY_CODE

PAGE_SIZE = 50


@dataclass(frozen=True)
class Listing:
    """How one kind of item is filtered and sorted."""

    place_field: str  # the Place foreign key: "site", "place", "area"
    owner_param: str  # the query's name for the owner filter
    owner_field: str  # the user foreign key it filters
    sorts: dict[str, list]  # key -> ordering (a leading "-" on the query reverses it)
    default_sort: str
    # How a week or a date range selects items: ("year", "week") fields, or a date field.
    week_fields: tuple[str, str] | None = None
    date_field: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return ("place", "condition", "state", self.owner_param, "week", "from", "to", "sort")


def _reverse(order: list) -> list:
    out = []
    for key in order:
        if isinstance(key, str):
            out.append(key[1:] if key.startswith("-") else "-" + key)
        elif isinstance(key, OrderBy):
            # Reversed, items without a value stay where they were put (last).
            out.append(
                OrderBy(
                    key.expression,
                    descending=not key.descending,
                    nulls_first=key.nulls_first,
                    nulls_last=key.nulls_last,
                )
            )
        else:
            out.append(key)
    return out


def _date(value: str, name: str, errors: dict) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = [_("Enter a date such as 2026-02-16.")]
        return None


def _week_q(listing: Listing, start: dt.date | None, end: dt.date | None) -> Q:
    """Items from `start` to `end` (dates, inclusive; either may be open)."""
    q = Q()
    if listing.week_fields:
        year, week = listing.week_fields
        if start is not None:
            y, w = start.isocalendar()[:2]
            q &= Q(**{f"{year}__gt": y}) | Q(**{year: y, f"{week}__gte": w})
        if end is not None:
            y, w = end.isocalendar()[:2]
            q &= Q(**{f"{year}__lt": y}) | Q(**{year: y, f"{week}__lte": w})
    elif listing.date_field:
        if start is not None:
            q &= Q(**{f"{listing.date_field}__gte": start})
        if end is not None:
            q &= Q(**{f"{listing.date_field}__lte": end})
    return q


def _known_user(user, name: str) -> bool:
    """Whether `name` is the account of someone whose places meet the user's — inside them or
    above them — the only people who can own, report or open what the user sees. Anyone else's
    name is refused like a name that does not exist, so the filter tells nobody who holds an
    account elsewhere."""
    paths = scope_paths(user)
    above = {p[: i + 1] for p in paths for i, c in enumerate(p) if c == "/"}
    return (
        get_user_model()
        .objects.filter(username=name)
        .filter(place_scope_q(user, "scope_rows__place") | Q(scope_rows__place__path__in=above))
        .exists()
    )


def visible(find: Callable, user, states: list[str] | None):
    """`find(user, states)` (the user's items in those states), and the refusal of an unknown
    state as errors to show with the others' (the items of any state meanwhile)."""
    try:
        return find(user, states), {}
    except ValidationError as exc:
        return find(user, None), exc.message_dict


def apply(listing: Listing, user, rows, query: Any, errors: dict | None = None):
    """`rows` (already the user's, state filtered) narrowed by the query's place, condition,
    owner, week and dates, in the query's order; ValidationError naming each refused field
    (with the `errors` found before)."""
    from .services import WEEK  # the one spelling of an ISO week

    errors = dict(errors or {})
    # A value holding NUL is refused before it reaches the database (PostgreSQL refuses it).
    for name in listing.fields:
        if "\x00" in str(query.get(name) or ""):
            errors[name] = [
                _("%(field)s: text cannot contain the NUL character.") % {"field": name}
            ]
    if errors.keys() - {"state"}:
        raise ValidationError(errors)
    code = (query.get("place") or "").strip()
    if code:
        place = Place.objects.filter(place_scope_q(user, "self"), code=code).first()
        if place is None:
            errors["place"] = [_("No place %(code)s in your places.") % {"code": code}]
        else:
            rows = rows.filter(**{f"{listing.place_field}__path__startswith": place.path})
    condition = (query.get("condition") or "").strip()
    if condition:
        if condition not in BY_CODE:
            errors["condition"] = [_("Unknown condition: %(code)s.") % {"code": condition}]
        else:
            rows = rows.filter(condition=condition)
    owner = (query.get(listing.owner_param) or "").strip()
    if owner == "me":
        rows = rows.filter(**{listing.owner_field: user})
    elif owner == "none":
        rows = rows.filter(**{f"{listing.owner_field}__isnull": True})
    elif owner:
        if not _known_user(user, owner):
            errors[listing.owner_param] = [
                _("No user %(name)s: give a user name, “me” or “none”.") % {"name": owner}
            ]
        rows = rows.filter(**{f"{listing.owner_field}__username": owner})
    week = (query.get("week") or "").strip()
    if week:
        match = WEEK.match(week.upper())
        monday = None
        if match:
            try:
                monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
            except ValueError:
                monday = None
        if monday is None:
            errors["week"] = [_("Enter an ISO week such as 2026-W07.")]
        else:
            # The Sunday of 9999-W52 is past the last date there is: the week runs to its end.
            left = dt.date.max - monday
            sunday = monday + min(dt.timedelta(days=6), left)
            rows = rows.filter(_week_q(listing, monday, sunday))
    start = end = None
    if (query.get("from") or "").strip():
        start = _date(query.get("from").strip(), "from", errors)
    if (query.get("to") or "").strip():
        end = _date(query.get("to").strip(), "to", errors)
    if start and end and start > end:
        errors["to"] = [_("The end date is before the start date.")]
    elif start or end:
        rows = rows.filter(_week_q(listing, start, end))
    sort = (query.get("sort") or listing.default_sort).strip()
    key = sort.removeprefix("-")
    if key not in listing.sorts:
        names = ", ".join(listing.sorts)
        errors["sort"] = [
            _("Unknown sort: %(value)s. Sort by: %(keys)s.") % {"value": sort, "keys": names}
        ]
    else:
        order = listing.sorts[key]
        rows = rows.order_by(*(_reverse(order) if sort.startswith("-") else order), "pk")
    if errors:
        raise ValidationError(errors)
    return rows


def states_of(query: Any) -> list[str]:
    """The states the query names (any number of ?state=)."""
    if hasattr(query, "getlist"):
        return [s for s in query.getlist("state") if s.strip()]
    value = query.get("state")
    return [value] if value else []


def when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def csv_of(header: tuple[str, ...], rows, row: Callable[[Any], list]) -> str:
    return downloads.to_csv([list(header), *(row(item) for item in rows)])


# -- the map --------------------------------------------------------------------------------


def _coordinates(places: list[Place]) -> dict[int, tuple[float, float]]:
    """Where each place is drawn: its own coordinates, else the middle of its sites' (an area
    has none of its own)."""
    where = {
        p.pk: (float(p.latitude), float(p.longitude))
        for p in places
        if p.latitude is not None and p.longitude is not None
    }
    missing = [p for p in places if p.pk not in where]
    if missing:
        q = Q()
        for p in missing:
            q |= Q(path__startswith=p.path)
        sites = list(
            Place.objects.filter(q, kind=PlaceKind.SITE, latitude__isnull=False)
            .exclude(longitude__isnull=True)
            .values_list("path", "latitude", "longitude")
        )
        for p in missing:
            inside = [(lat, lon) for path, lat, lon in sites if path.startswith(p.path)]
            if inside:
                n = Decimal(len(inside))
                where[p.pk] = (
                    float(sum(lat for lat, _lon in inside) / n),
                    float(sum(lon for _lat, lon in inside) / n),
                )
    return where


def map_points(listing: Listing, rows) -> tuple[list[dict], list[dict]]:
    """The items counted by their place: (points with coordinates for the map, every place
    with its count for the table beside it, those without coordinates marked)."""
    counted = (
        rows.order_by()
        .values(listing.place_field)
        .annotate(n=Count("pk", distinct=True))
        .values_list(listing.place_field, "n")
    )
    counts = dict(counted)
    places = list(Place.objects.filter(pk__in=list(counts)).order_by("name"))
    where = _coordinates(places)
    table, points = [], []
    for p in places:
        located = where.get(p.pk)
        table.append({"place": p, "count": counts[p.pk], "located": located is not None})
        if located:
            points.append(
                {"site": p.name, "latitude": located[0], "longitude": located[1],
                 "count": counts[p.pk]}
            )  # fmt: skip
    return points, table


# -- signals and outbreaks ----------------------------------------------------------------

SIGNALS = Listing(
    place_field="place",
    owner_param="reported_by",
    owner_field="reported_by",
    sorts={
        "date": ["date", "place__name"],
        "place": ["place__name", "-date"],
        "condition": ["condition", "-date"],
        "state": ["state", "-date"],
        "source": ["source", "-date"],
    },
    default_sort="-date",
    date_field="date",
)

SIGNAL_CSV = ("date", "place_code", "place", "source", "condition", "state", "reported_by",
              "reported_at")  # fmt: skip


def signal_row(s) -> list:
    """A signal's aggregate fields: never its free text, which may name someone."""
    return [
        when(s.date),
        s.place.code,
        s.place.name,
        s.source,
        s.condition,
        s.state,
        s.reported_by.get_username() if s.reported_by else "",
        when(s.created_at),
    ]


OUTBREAKS = Listing(
    place_field="area",
    owner_param="opened_by",
    owner_field="created_by",
    sorts={
        "opened": ["created_at"],
        "area": ["area__name", "-created_at"],
        "condition": ["condition", "-created_at"],
        "state": ["state", "-created_at"],
        "declared": [F("declared_on").asc(nulls_last=True), "-created_at"],
    },
    default_sort="-opened",
    date_field="created_at__date",
)

OUTBREAK_CSV = ("opened", "condition", "area_code", "area", "state", "declared_on", "over_on",
                "alerts", "signals", "opened_by")  # fmt: skip


def outbreak_row(o) -> list:
    return [
        when(timezone.localtime(o.created_at).date()),
        o.condition,
        o.area.code,
        o.area.name,
        o.state,
        when(o.declared_on),
        when(o.over_on),
        len(o.alerts.all()),
        len(o.signals.all()),
        o.created_by.get_username() if o.created_by else "",
    ]


def filtered_signals(user, query: Any):
    from .outbreaks import visible_signals

    rows, errors = visible(visible_signals, user, states_of(query) or None)
    return apply(SIGNALS, user, rows, query, errors)


def filtered_outbreaks(user, query: Any):
    from .outbreaks import visible_outbreaks

    rows, errors = visible(visible_outbreaks, user, states_of(query) or None)
    return apply(OUTBREAKS, user, rows.select_related("created_by"), query, errors)
