"""Completeness and timeliness of the weekly reports, and reminders for the missing ones
(docs/decisions/0033).

For each reporting site in the user's places and each of the last N full weeks: did the
report come, on time or late. A site reports from the week of its first report on: weeks
before are not expected of it (a site that has never reported is named apart, not counted).
A week counts once however often it was corrected; it is on time when its first version
came on time (as `services.completeness`, the API's figures, counts it), so a late correction
does not make a punctual report late. Completeness is weeks received over weeks expected,
timeliness weeks on time over weeks expected, per site and per area above the sites (their
sums).

A reminder goes to the reporters of each reporting site whose last full week has not come:
the clinicians and community health workers whose places cover the site (else, where there
are none, anyone there who sends reports). One reminder per site and week, whoever asks and
however often — the button and the weekly schedule alike — recorded as a `ReportReminder`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import downloads
from mhis.access.policy import Can, require, roles_with
from mhis.access.services import place_scope_q, scope_sites
from mhis.notifications.models import Kind
from mhis.notifications.services import notify
from mhis.places.models import Place, PlaceKind

from .models import ReportReminder, WeeklyReport
from .services import last_full_week, monday, week_label, week_of

DEFAULT_WEEKS = 8
MAX_WEEKS = 52
ON_TIME, LATE, MISSING, NOT_EXPECTED = "on_time", "late", "missing", "not_expected"


@dataclass
class Counts:
    expected: int = 0
    received: int = 0
    on_time: int = 0

    @property
    def completeness(self) -> float | None:
        return self.received / self.expected if self.expected else None

    @property
    def timeliness(self) -> float | None:
        return self.on_time / self.expected if self.expected else None

    def add(self, other: Counts) -> None:
        self.expected += other.expected
        self.received += other.received
        self.on_time += other.on_time


@dataclass
class SiteRow:
    site: Place
    cells: list[str]
    counts: Counts
    missing_last: bool
    reminded: ReportReminder | None = None


@dataclass
class AreaRow:
    place: Place
    counts: Counts = field(default_factory=Counts)
    sites: int = 0
    missing_last: int = 0


@dataclass
class Table:
    weeks: list[tuple[int, int]]
    sites: list[SiteRow]
    areas: list[AreaRow]
    never: list[Place]  # sites in the places that have never sent a report

    @property
    def last(self) -> tuple[int, int]:
        return self.weeks[-1]

    @property
    def labels(self) -> list[str]:
        return [week_label(*w) for w in self.weeks]

    @property
    def missing(self) -> list[SiteRow]:
        return [r for r in self.sites if r.missing_last]


def clean_weeks(value: Any) -> int:
    """How many weeks the page shows: 1 to 52 (default 8); ValidationError naming `weeks`."""
    text = str(value if value is not None else "").strip()
    if not text:
        return DEFAULT_WEEKS
    # "²" is a digit to `isdigit` but not a number to `int`.
    number = int(text) if text.isdecimal() else 0
    if not 1 <= number <= MAX_WEEKS:
        raise ValidationError(
            {"weeks": [_("Choose from 1 to %(most)s weeks.") % {"most": MAX_WEEKS}]}
        )
    return number


def _weeks(n: int, today: dt.date | None) -> list[tuple[int, int]]:
    last = monday(*last_full_week(today))
    return [week_of(last - dt.timedelta(weeks=k)) for k in range(n - 1, -1, -1)]


def _key(year: int, week: int) -> int:
    return year * 100 + week


def _first_weeks(site_ids: list[int]) -> dict[int, int]:
    """Each site's first reported week, as year * 100 + week."""
    return dict(
        WeeklyReport.objects.filter(site_id__in=site_ids)
        .values("site_id")
        .annotate(first=Min(F("year") * 100 + F("week")))
        .values_list("site_id", "first")
    )


def _sites(user, place_code: str = ""):
    sites = scope_sites(user)
    code = (place_code or "").strip()
    if "\x00" in code:
        raise ValidationError(
            {"place": [_("%(field)s: text cannot contain the NUL character.") % {"field": "place"}]}
        )
    if code:
        place = Place.objects.filter(place_scope_q(user, "self"), code=code).first()
        if place is None:
            raise ValidationError(
                {"place": [_("No place %(code)s in your places.") % {"code": code}]}
            )
        sites = sites.filter(path__startswith=place.path)
    return list(sites.order_by("name"))


def table(user, weeks: int = DEFAULT_WEEKS, place_code: str = "", today=None) -> Table:
    """The completeness and timeliness of the user's reporting sites (under `place_code`)
    over the last `weeks` full weeks, per site and per area."""
    require(user, Can.READ_REPORTS)
    span = _weeks(weeks, today)
    sites = _sites(user, place_code)
    ids = [s.pk for s in sites]
    first = _first_weeks(ids)
    received: dict[tuple[int, int, int], bool] = {}  # (site, year, week) -> on time
    rows = WeeklyReport.objects.filter(
        site_id__in=ids, year__gte=span[0][0], year__lte=span[-1][0]
    ).values_list("site_id", "year", "week", "version", "on_time")
    wanted = set(span)
    for site_id, year, week, version, timely in rows:
        if (year, week) in wanted:
            key = (site_id, year, week)
            received[key] = received.get(key, False) or (version == 1 and timely)
    reminded = {
        r.site_id: r
        for r in ReportReminder.objects.filter(site_id__in=ids, year=span[-1][0], week=span[-1][1])
    }
    out, never = [], []
    for site in sites:
        start = first.get(site.pk)
        if start is None or start > _key(*span[-1]):
            never.append(site)
            continue
        counts, cells = Counts(), []
        for year, week in span:
            if _key(year, week) < start:
                cells.append(NOT_EXPECTED)
                continue
            counts.expected += 1
            key = (site.pk, year, week)
            if key not in received:
                cells.append(MISSING)
            else:
                counts.received += 1
                counts.on_time += received[key]
                cells.append(ON_TIME if received[key] else LATE)
        out.append(SiteRow(site, cells, counts, cells[-1] == MISSING, reminded.get(site.pk)))
    return Table(span, out, _areas(user, out), never)


def _areas(user, rows: list[SiteRow]) -> list[AreaRow]:
    """The places above the sites, in the user's places, each with its sites' sums."""
    ids = {int(i) for r in rows for i in r.site.path.strip("/").split("/")[:-1]}
    areas = {
        p.pk: AreaRow(p)
        for p in Place.objects.filter(place_scope_q(user, "self"), pk__in=ids).exclude(
            kind=PlaceKind.SITE
        )
    }
    for r in rows:
        for i in r.site.path.strip("/").split("/")[:-1]:
            area = areas.get(int(i))
            if area is not None:
                area.counts.add(r.counts)
                area.sites += 1
                area.missing_last += r.missing_last
    return sorted(areas.values(), key=lambda a: a.place.path)


CSV_CELLS = {ON_TIME: "on_time", LATE: "late", MISSING: "missing", NOT_EXPECTED: ""}


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def to_csv(found: Table) -> str:
    """The table as CSV: a line per site (its weeks' status) then per area (sums only)."""
    header = ["kind", "code", "name", *found.labels, "expected", "received", "on_time",
              "completeness_pct", "timeliness_pct"]  # fmt: skip
    lines: list[list[Any]] = [header]
    blank = [""] * len(found.weeks)
    for r in found.sites:
        c = r.counts
        lines.append(["site", r.site.code, r.site.name, *(CSV_CELLS[x] for x in r.cells),
                      c.expected, c.received, c.on_time, _percent(c.completeness),
                      _percent(c.timeliness)])  # fmt: skip
    for a in found.areas:
        c = a.counts
        lines.append(["area", a.place.code, a.place.name, *blank, c.expected, c.received,
                      c.on_time, _percent(c.completeness), _percent(c.timeliness)])  # fmt: skip
    return downloads.to_csv(lines)


# -- reminders --------------------------------------------------------------------------------


def reporters_of(site: Place):
    """Who is reminded of a site's report: active clinicians and community health workers
    (those who send reports and do not handle alerts) whose places cover the site; where there
    are none, every active user whose places cover it and who may send reports."""
    User = get_user_model()
    prefixes = [site.path[: i + 1] for i, c in enumerate(site.path) if c == "/"]
    senders = User.objects.filter(
        is_active=True,
        role__in=roles_with(Can.SUBMIT_REPORTS),
        scope_rows__place__path__in=prefixes,
    ).distinct()
    near = senders.exclude(role__in=roles_with(Can.MANAGE_ALERTS))
    return list((near if near.exists() else senders).order_by("username"))


def _missing_sites(sites: list[Place], year: int, week: int) -> list[Place]:
    """The reporting sites (a first report at or before the week) without that week's."""
    ids = [s.pk for s in sites]
    first = _first_weeks(ids)
    came = set(
        WeeklyReport.objects.filter(site_id__in=ids, year=year, week=week).values_list(
            "site_id", flat=True
        )
    )
    return [s for s in sites if s.pk in first and first[s.pk] <= _key(year, week)
            and s.pk not in came]  # fmt: skip


def _subject(site: str, week: str) -> str:
    return _(
        "Weekly report missing: %(site)s has not sent its report for %(week)s. Please send it."
    ) % {"site": site, "week": week}


def remind(user=None, today: dt.date | None = None, place_code: str = "") -> list[ReportReminder]:
    """Remind the reporters of every reporting site whose last full week has not come — the
    user's sites (those who handle alerts), or every site for the schedule (`user` None).
    A site and week already reminded is skipped: returns the reminders sent now."""
    if user is not None:
        require(user, Can.MANAGE_ALERTS)
        sites = _sites(user, place_code)
    else:
        sites = list(Place.objects.filter(kind=PlaceKind.SITE).order_by("name"))
    year, week = last_full_week(today)
    label = week_label(year, week)
    sent = []
    with transaction.atomic():
        for site in _missing_sites(sites, year, week):
            reminder, created = ReportReminder.objects.get_or_create(
                site=site, year=year, week=week, defaults={"sent_by": user}
            )
            if not created:
                continue
            # Built for each recipient, in their own language.
            subject = partial(_subject, site.name, label)
            query = urlencode({"site": site.code, "week": label})  # a code may hold "&" or "#"
            link = reverse("surveillance:report") + f"?{query}"
            rows = notify(reporters_of(site), Kind.REPORT_MISSING, subject, link)
            reminder.recipients = len(rows)
            reminder.save(update_fields=["recipients"])
            sent.append(reminder)
    return sent


def scheduled_remind(today: dt.date | None = None) -> int:
    """The weekly schedule's run (the week before `today`, the slot's date): how many sites
    were reminded."""
    return len(remind(None, today or timezone.localdate()))
