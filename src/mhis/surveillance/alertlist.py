"""The alert list: alerts in the user's places filtered by place, condition, state, owner,
week and lateness, sorted, paged on the page and whole in the CSV download, through the
lists' shared machinery (`lists`). Unknown values are refused with the field named, never
silently ignored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F

from . import lists, owners, services
from .models import OPEN_STATES

LISTING = lists.Listing(
    place_field="site",
    owner_param="owner",
    owner_field="owner",
    sorts={
        "week": ["year", "week", "site__name", "condition"],
        "site": ["site__name", "-year", "-week", "condition"],
        "condition": ["condition", "-year", "-week", "site__name"],
        "cases": ["observed", "-year", "-week"],
        "state": ["state", "-year", "-week"],
        "due": [F("due_at").asc(nulls_last=True), "-year", "-week"],
    },
    default_sort="-week",
    week_fields=("year", "week"),
)
# Sort keys offered on the page: key -> ordering (descending with a leading "-").
SORTS = LISTING.sorts
DEFAULT_SORT = LISTING.default_sort
PAGE_SIZE = lists.PAGE_SIZE
FIELDS = (*LISTING.fields, "overdue", "all")


def filtered(user, query: Any, now: dt.datetime | None = None):
    """The alerts the query selects (open ones unless ?all=1 or a state is named);
    ValidationError naming each refused field."""
    typed = lists.states_of(query)
    states = typed or (None if query.get("all") == "1" else OPEN_STATES)
    alerts, errors = lists.visible(services.visible_alerts, user, states)
    alerts = alerts.select_related("owner")
    if query.get("overdue") == "1":
        alerts = alerts.filter(owners.overdue_q(now))
    return lists.apply(LISTING, user, alerts, query, errors)


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


def row(a) -> list:
    """An alert's fields: aggregate numbers only (no person is in an alert)."""
    return [
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
        lists.when(a.due_at),
        lists.when(a.escalated_at),
    ]


def to_csv(alerts) -> str:
    return lists.csv_of(CSV_HEADER, alerts, row)
