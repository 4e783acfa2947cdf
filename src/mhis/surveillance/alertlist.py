"""The alert list: alerts in the user's places filtered by place, condition, state, owner,
week and lateness, sorted, paged on the page and whole in the CSV download. Unknown values
are refused with the field named, never silently ignored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import downloads
from mhis.access.services import place_scope_q
from mhis.places.models import Place

from . import owners, services
from .conditions import BY_CODE
from .models import OPEN_STATES

# Sort keys offered on the page: key -> ordering (descending with a leading "-").
SORTS = {
    "week": ["year", "week", "site__name", "condition"],
    "site": ["site__name", "-year", "-week", "condition"],
    "condition": ["condition", "-year", "-week", "site__name"],
    "cases": ["observed", "-year", "-week"],
    "state": ["state", "-year", "-week"],
    "due": [F("due_at").asc(nulls_last=True), "-year", "-week"],
}
DEFAULT_SORT = "-week"
PAGE_SIZE = 50
FIELDS = ("place", "condition", "state", "owner", "week", "overdue", "sort", "all")


def _reverse(order):
    out = []
    for key in order:
        if isinstance(key, str):
            out.append(key[1:] if key.startswith("-") else "-" + key)
        else:
            out.append(F("due_at").desc(nulls_last=True))
    return out


def filtered(user, query: Any, now: dt.datetime | None = None):
    """(alerts, the filters applied) for the query's values; ValidationError naming each
    refused field."""
    errors: dict[str, list[str]] = {}
    show_all = query.get("all") == "1"
    typed = [s for s in query.getlist("state") if s.strip()] if hasattr(query, "getlist") else []
    states = typed or (None if show_all else OPEN_STATES)
    alerts = services.visible_alerts(user, states)  # refuses an unknown state
    alerts = alerts.select_related("owner")
    code = (query.get("place") or "").strip()
    if code:
        place = Place.objects.filter(place_scope_q(user, "self"), code=code).first()
        if place is None:
            errors["place"] = [_("No place %(code)s in your places.") % {"code": code}]
        else:
            alerts = alerts.filter(site__path__startswith=place.path)
    condition = (query.get("condition") or "").strip()
    if condition:
        if condition not in BY_CODE:
            errors["condition"] = [_("Unknown condition: %(code)s.") % {"code": condition}]
        else:
            alerts = alerts.filter(condition=condition)
    owner = (query.get("owner") or "").strip()
    if owner == "me":
        alerts = alerts.filter(owner=user)
    elif owner == "none":
        alerts = alerts.filter(owner__isnull=True)
    elif owner:
        if not get_user_model().objects.filter(username=owner).exists():
            errors["owner"] = [
                _("No user %(name)s: give a user name, “me” or “none”.") % {"name": owner}
            ]
        alerts = alerts.filter(owner__username=owner)
    week = (query.get("week") or "").strip()
    if week:
        match = services.WEEK.match(week.upper())
        if not match:
            errors["week"] = [_("Enter an ISO week such as 2026-W07.")]
        else:
            alerts = alerts.filter(year=int(match[1]), week=int(match[2]))
    if query.get("overdue") == "1":
        alerts = alerts.filter(owners.overdue_q(now))
    sort = (query.get("sort") or DEFAULT_SORT).strip()
    key = sort.removeprefix("-")
    if key not in SORTS:
        names = ", ".join(SORTS)
        errors["sort"] = [
            _("Unknown sort: %(value)s. Sort by: %(keys)s.") % {"value": sort, "keys": names}
        ]
    else:
        order = SORTS[key]
        alerts = alerts.order_by(*(_reverse(order) if sort.startswith("-") else order), "pk")
    if errors:
        raise ValidationError(errors)
    return alerts


CSV_HEADER = (
    "week",
    "site_code",
    "site",
    "condition",
    "cases",
    "expected",
    "threshold",
    "method",
    "state",
    "owner",
    "verify_by",
    "escalated",
)


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def to_csv(alerts) -> str:
    """The alerts as CSV: aggregate numbers only (no person is in an alert)."""
    rows: list[list[Any]] = [list(CSV_HEADER)]
    for a in alerts:
        rows.append(
            [
                services.week_label(a.year, a.week),
                a.site.code,
                a.site.name,
                a.condition,
                a.observed,
                "" if a.expected is None else round(a.expected, 2),
                a.threshold,
                a.method,
                a.state,
                a.owner.get_username() if a.owner else "",
                _when(a.due_at),
                _when(a.escalated_at),
            ]
        )
    return downloads.to_csv(rows)
