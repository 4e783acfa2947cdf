"""Surveillance: weekly reports, the weekly series of each site and condition, alert
evaluation and the alert workflow. Views, API and commands call these."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import downloads, uploads
from mhis.access.policy import Can, require
from mhis.access.services import in_scope, place_scope_q, scope_site_ids
from mhis.care.models import Diagnosis, Encounter
from mhis.input import Errors, begin, clean_choice, clean_date, clean_text, open_workbook, own_site
from mhis.places.models import Place, PlaceKind

from . import detection, owners
from .conditions import BY_CODE, CONDITIONS, THRESHOLD
from .models import (
    OPEN_STATES,
    TRANSITIONS,
    AgeGroup,
    Alert,
    AlertEvent,
    AlertState,
    ReportCount,
    ReportSource,
    Sex,
    SitePopulation,
    WeeklyReport,
)

# A report is on time when it arrives by the end of this many days after the week's Sunday.
DUE_DAYS = 3
HISTORY_WEEKS = detection.FarringtonSettings().history_needed() + 1

WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")


# Weeks ------------------------------------------------------------------------------------


def parse_week(value: Any, field: str, errors: Errors, today: dt.date | None = None):
    """An ISO week written "2026-W47": (year, week), or None with an error on `field`. A week
    that has not begun yet is refused."""
    match = WEEK.match(value.strip().upper()) if isinstance(value, str) else None
    if not match:
        errors.add(field, _("Enter an ISO week such as 2026-W07."))
        return None
    year, week = int(match[1]), int(match[2])
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        errors.add(field, _("%(year)s has no week %(week)s.") % {"year": year, "week": week})
        return None
    if monday > (today or timezone.localdate()):
        errors.add(field, _("This week has not begun yet."))
        return None
    return year, week


def require_week(value: Any, field: str = "week") -> tuple[int, int]:
    """:func:`parse_week` for one field on its own: the week, or ValidationError naming
    `field`."""
    errors = Errors()
    parsed = parse_week(value, field, errors)
    errors.check()
    return parsed


def week_label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


def monday(year: int, week: int) -> dt.date:
    return dt.date.fromisocalendar(year, week, 1)


def week_of(day: dt.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def last_full_week(today: dt.date | None = None) -> tuple[int, int]:
    return week_of((today or timezone.localdate()) - dt.timedelta(days=7))


# Reports ----------------------------------------------------------------------------------

REPORT_FIELDS = ("site", "week", "counts", "note", "confirm")
COUNT_FIELDS = ("condition", "sex", "age_group", "count")

# Defaults of the bounds on what a report may say (settings of the same names override them).
# Weeks: no older than the history the detection method reads (5 years and 3 weeks), so a
# typed 2016 for 2026 cannot fill a site's series with made-up weeks.
HORIZON_WEEKS = HISTORY_WEEKS
# Counts of one condition at one site in one week: above the site's population (where it is
# recorded) or this number (where it is not) a count is refused; above the larger of this
# number and twice the site's largest earlier week it must be confirmed.
MAX_COUNT = 100_000
CONFIRM_COUNT = 200


def horizon_weeks() -> int:
    return int(getattr(django_settings, "MHIS_SURVEILLANCE_HORIZON_WEEKS", None) or HORIZON_WEEKS)


def _clean_counts(value: Any, errors: Errors):
    """The cells of a report's counts, and the position in `value` of each condition's first
    row (where its errors are shown)."""
    cells: dict[tuple[str, str, str], int] = {}
    rows: dict[str, int] = {}
    if not isinstance(value, list):
        errors.add("counts", _("Expected a list of counts."))
        return cells, rows
    for n, row in enumerate(value):
        field = f"counts.{n}"
        if not isinstance(row, dict):
            errors.add(field, _("Expected an object."))
            continue
        for extra in sorted(set(row) - set(COUNT_FIELDS)):
            errors.add(f"{field}.{extra}", _("Unknown field."))
        condition = row.get("condition")
        if condition not in BY_CODE:
            errors.add(
                f"{field}.condition", _("Unknown condition: %(value)s.") % {"value": condition}
            )
        sex = clean_choice(row.get("sex"), f"{field}.sex", errors, Sex, default=Sex.UNKNOWN)
        age = clean_choice(
            row.get("age_group"), f"{field}.age_group", errors, AgeGroup, default=AgeGroup.UNKNOWN
        )
        count = row.get("count")
        if isinstance(count, str) and count.strip().lstrip("-").isdigit():
            count = int(count)
        if isinstance(count, bool) or not isinstance(count, int):
            errors.add(f"{field}.count", _("Enter a whole number of cases."))
            continue
        if count < 0:
            errors.add(f"{field}.count", _("A count of cases cannot be negative."))
            continue
        key = (condition, sex, age)
        if key in cells:
            errors.add(field, _("This condition, sex and age group is already counted above."))
            continue
        cells[key] = count
        rows.setdefault(condition, n)
    return cells, rows


def _clean_confirm(value: Any, errors: Errors) -> bool:
    if value in (None, "", False, 0):
        return False
    if value is True or value == 1:
        return True
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    errors.add("confirm", _("Enter true or false."))
    return False


def check_week(site: Place, year: int, week: int, today: dt.date, confirm: bool, errors: Errors):
    """A report's week must be over (never the current, unfinished week), no older than the
    horizon (`MHIS_SURVEILLANCE_HORIZON_WEEKS`), and not before the site's first report
    unless confirmed (a typed year one off would otherwise add a year of made-up weeks)."""
    label = week_label(year, week)
    first_day = monday(year, week)
    if first_day + dt.timedelta(days=7) > today:
        errors.add(
            "week",
            _("Week %(week)s is not over yet: send its report from Monday %(date)s.")
            % {"week": label, "date": (first_day + dt.timedelta(days=7)).isoformat()},
        )
        return
    weeks = horizon_weeks()
    oldest = monday(*week_of(today)) - dt.timedelta(weeks=weeks)
    if first_day < oldest:
        errors.add(
            "week",
            _(
                "Week %(week)s is more than %(weeks)s weeks ago; reports are taken from "
                "%(oldest)s on. Check the year."
            )
            % {"week": label, "weeks": weeks, "oldest": week_label(*week_of(oldest))},
        )
        return
    first = (
        WeeklyReport.objects.filter(site=site)
        .order_by("year", "week")
        .values_list("year", "week")
        .first()
    )
    if first is not None and (year, week) < first and not confirm:
        errors.add(
            "week",
            _(
                "Week %(week)s is before this site's first report (%(first)s). Check the "
                "year; to send an earlier week, confirm it."
            )
            % {"week": label, "first": week_label(*first)},
        )
        errors.add("confirm", _("Check the week and the counts, then confirm to send them."))


def population_on(site: Place, day: dt.date) -> int | None:
    """The site's population in force on `day` (the earliest record before any), or None."""
    rows = list(
        SitePopulation.objects.filter(site=site)
        .order_by("since")
        .values_list("since", "population")
    )
    if not rows:
        return None
    return next((n for since, n in reversed(rows) if since <= day), rows[0][1])


def count_limits(site: Place, year: int, week: int, conditions: Iterable[str]) -> dict:
    """Per condition: (most, usual). A count above `most` is refused: the site's population
    where it is recorded, else `MHIS_SURVEILLANCE_MAX_COUNT`. A count above `usual` needs a
    confirmation: the larger of `MHIS_SURVEILLANCE_CONFIRM_COUNT` and twice the site's largest
    week of the condition so far."""
    population = population_on(site, monday(year, week))
    most = population or int(getattr(django_settings, "MHIS_SURVEILLANCE_MAX_COUNT", MAX_COUNT))
    floor = int(getattr(django_settings, "MHIS_SURVEILLANCE_CONFIRM_COUNT", CONFIRM_COUNT))
    largest: dict[str, int] = defaultdict(int)
    totals = (
        ReportCount.objects.filter(
            report__site=site, report__current=True, condition__in=list(conditions)
        )
        .exclude(report__year=year, report__week=week)
        .values("report_id", "condition")
        .annotate(n=Sum("count"))
    )
    for row in totals:
        largest[row["condition"]] = max(largest[row["condition"]], row["n"] or 0)
    return {
        code: (most, min(most, max(floor, 2 * largest[code])), population is not None)
        for code in conditions
    }


def check_counts(site, year, week, cells, rows, before, confirm, errors: Errors) -> None:
    """Each condition's total for the week against :func:`count_limits`; a total that has not
    changed since the current version needs no new confirmation."""
    totals: dict[str, int] = defaultdict(int)
    for (code, _sex, _age), n in cells.items():
        totals[code] += n
    earlier: dict[str, int] = defaultdict(int)
    for (code, _sex, _age), n in before.items():
        earlier[code] += n
    limits = count_limits(site, year, week, [c for c in totals if c in rows])
    unusual = False
    for code, (most, usual, by_population) in limits.items():
        total, field = totals[code], f"counts.{rows[code]}.count"
        name = BY_CODE[code].name
        if total > most:
            message = (
                _(
                    "%(count)s cases of %(condition)s in one week is more than the site's "
                    "population (%(most)s). Check the number."
                )
                if by_population
                else _(
                    "%(count)s cases of %(condition)s in one week is more than any site "
                    "could report (at most %(most)s). Check the number."
                )
            )
            errors.add(field, message % {"count": total, "condition": name, "most": most})
        elif total > usual and total != earlier.get(code) and not confirm:
            unusual = True
            errors.add(
                field,
                _(
                    "%(count)s cases of %(condition)s is more than usual at this site (more "
                    "than %(usual)s): check the number and confirm it."
                )
                % {"count": total, "condition": name, "usual": usual},
            )
    if unusual and "confirm" not in errors:
        errors.add("confirm", _("Check the week and the counts, then confirm to send them."))


def submit_report(
    user,
    data: Any,
    source: str = ReportSource.API,
    now: dt.datetime | None = None,
    evaluate: bool = True,
) -> tuple[WeeklyReport, bool]:
    """Record a site's weekly report: ``{"site": code, "week": "2026-W47", "counts":
    [{"condition", "sex", "age_group", "count"}], "note", "confirm"}``.

    A second submission for the same site and week is a correction: it becomes the current
    version and the earlier one is kept. A correction changes only the conditions it names:
    the counts of a named condition replace that condition's counts, every other condition
    keeps its counts (a condition goes to zero only when sent with a count of 0), and the
    note is kept unless one is sent. Submitting the same counts again changes nothing.

    The week must be over and within the horizon (:func:`check_week`), each condition's
    count within the site's limits (:func:`check_counts`); what is unusual rather than
    impossible is taken only with ``"confirm": true``. The report's `evaluation` holds what
    re-evaluating its week did to alerts (:func:`evaluate_week`). Returns the current report
    and whether a new version was written."""
    require(user, Can.SUBMIT_REPORTS)
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors = begin(data, REPORT_FIELDS)
    site = own_site(user, data.get("site"), "site", errors)
    week = parse_week(data.get("week"), "week", errors, today=today)
    cells, rows = _clean_counts(data.get("counts", []), errors)
    note = clean_text(data.get("note"), "note", errors)
    confirm = _clean_confirm(data.get("confirm"), errors)
    if site is not None and week is not None:
        check_week(site, *week, today, confirm, errors)
    errors.check()
    year, number = week
    due = monday(year, number) + dt.timedelta(days=6 + DUE_DAYS)
    with transaction.atomic():
        latest = (
            WeeklyReport.objects.select_for_update()
            .filter(site=site, year=year, week=number, current=True)
            .first()
        )
        before = {}
        if latest is not None:
            before = {(c.condition, c.sex, c.age_group): c.count for c in latest.counts.all()}
            named = {code for code, _sex, _age in cells}
            cells = {k: n for k, n in before.items() if k[0] not in named} | cells
            if "note" not in data:  # a correction without a note keeps the current one
                note = latest.note
        check_counts(site, year, number, cells, rows, before, confirm, errors)
        errors.check()
        if latest is not None:
            if _nonzero(before) == _nonzero(cells) and latest.note == note:
                latest.evaluation = None
                return latest, False
            latest.current = False
            latest.save(update_fields=["current"])
        report = WeeklyReport.objects.create(
            site=site,
            year=year,
            week=number,
            version=(latest.version + 1) if latest else 1,
            source=source,
            on_time=today <= due,
            note=note,
            submitted_by=user,
        )
        ReportCount.objects.bulk_create(
            ReportCount(report=report, condition=c, sex=s, age_group=a, count=n)
            for (c, s, a), n in sorted(cells.items())
        )
    report.evaluation = evaluate_week(year, number, [site.pk], reason=report) if evaluate else None
    return report, True


def _nonzero(cells: dict) -> dict:
    return {k: n for k, n in cells.items() if n}


def current_report(site: Place | None, year: int, week: int) -> WeeklyReport | None:
    """The current version of a site's report for a week, with its counts."""
    if site is None:
        return None
    return (
        WeeklyReport.objects.filter(site=site, year=year, week=week, current=True)
        .select_related("site")
        .prefetch_related("counts")
        .first()
    )


def open_alerts_for(report: WeeklyReport):
    """The open alerts of a report's site and week."""
    return alerts_of(report).filter(state__in=OPEN_STATES)


def alerts_of(report: WeeklyReport):
    """Every alert of a report's site and week, whatever its state."""
    return Alert.objects.filter(
        site_id=report.site_id, year=report.year, week=report.week
    ).order_by("condition")


def report_history(user, site: Place, year: int, week: int) -> list[WeeklyReport]:
    """Every version of a site's report for a week, latest first."""
    require(user, Can.READ_REPORTS)
    if not in_scope(user, site):
        raise PermissionDenied(_("This site is not in your places."))
    return list(
        WeeklyReport.objects.filter(site=site, year=year, week=week)
        .select_related("site")
        .prefetch_related("counts")
        .order_by("-version")
    )


def completeness(user, start: tuple[int, int], end: tuple[int, int]) -> list[dict]:
    """Per site in the user's places: weeks expected from `start` to `end` (ISO weeks,
    inclusive), reports received (a corrected week counts once) and received on time (the
    first version's arrival)."""
    require(user, Can.READ_REPORTS)
    first, last = monday(*start), monday(*end)
    expected = (last - first).days // 7 + 1
    weeks = {week_of(first + dt.timedelta(weeks=n)) for n in range(max(expected, 0))}
    received: dict[int, set] = defaultdict(set)
    on_time: dict[int, set] = defaultdict(set)
    rows = WeeklyReport.objects.filter(
        site_id__in=scope_site_ids(user), year__gte=start[0], year__lte=end[0]
    ).values_list("site_id", "year", "week", "version", "on_time")
    for site_id, year, week, version, timely in rows:
        if (year, week) in weeks:
            received[site_id].add((year, week))
            if version == 1 and timely:
                on_time[site_id].add((year, week))
    out = []
    for site in Place.objects.filter(pk__in=scope_site_ids(user)).order_by("name"):
        got, timely = len(received[site.pk]), len(on_time[site.pk])
        out.append(
            {
                "site": site,
                "expected": expected,
                "received": got,
                "on_time": timely,
                "completeness": got / expected if expected else None,
                "timeliness": timely / expected if expected else None,
            }
        )
    return out


# Series -----------------------------------------------------------------------------------


def weekly_series(
    site_ids: Iterable[int],
    year: int,
    week: int,
    weeks: int = HISTORY_WEEKS,
    conditions: Iterable[str] | None = None,
) -> dict[tuple[int, str], np.ndarray]:
    """The weekly counts of each site and condition for the `weeks` weeks ending at
    (`year`, `week`), oldest first, starting no earlier than the site's first data (its first
    report or first diagnosed encounter), so that a new site has a short series. A week with
    neither a report nor any encounter at the site is missing: NaN, not 0.

    A week the site reported counts its report's current version; a week without a report
    counts the encounters diagnosed with the condition there (case-based). Never both, so a
    site that reports and records cases is not counted twice."""

    site_ids = list(site_ids)
    codes = list(conditions) if conditions is not None else [c.code for c in CONDITIONS]
    end = monday(year, week)
    start = end - dt.timedelta(weeks=weeks - 1)
    index = {}  # (site, condition) -> {week offset: count}
    first: dict[int, int] = {}

    def offset(day: dt.date) -> int:
        return (day - start).days // 7

    reported_weeks: dict[int, set[int]] = defaultdict(set)
    reports = WeeklyReport.objects.filter(
        site_id__in=site_ids, current=True, year__gte=start.isocalendar().year, year__lte=year
    ).values_list("pk", "site_id", "year", "week")
    report_week = {}
    for pk, site_id, y, w in reports:
        o = offset(monday(y, w))
        if 0 <= o < weeks:
            reported_weeks[site_id].add(o)
            report_week[pk] = (site_id, o)
            first[site_id] = min(first.get(site_id, o), o)
    counts = (
        ReportCount.objects.filter(report_id__in=list(report_week), condition__in=codes)
        .values("report_id", "condition")
        .annotate(n=Sum("count"))
    )
    for row in counts:
        site_id, o = report_week[row["report_id"]]
        index.setdefault((site_id, row["condition"]), {})[o] = row["n"]

    prefixes = [(p, c.code) for c in CONDITIONS if c.code in codes for p in c.icd10]
    diagnosed = Diagnosis.objects.filter(
        encounter__site_id__in=site_ids,
        encounter__date__gte=start,
        encounter__date__lt=end + dt.timedelta(days=7),
    ).values_list("encounter_id", "encounter__site_id", "encounter__date", "code")
    seen = set()
    for encounter_id, site_id, day, code in diagnosed:
        condition = next((c for p, c in prefixes if code.startswith(p)), None)
        o = offset(day)
        first[site_id] = min(first.get(site_id, o), o)
        if condition is None or (encounter_id, condition) in seen:
            continue
        seen.add((encounter_id, condition))  # one encounter is one case of a condition
        if o in reported_weeks[site_id]:
            continue
        cell = index.setdefault((site_id, condition), {})
        cell[o] = cell.get(o, 0) + 1

    # Sites with data before the window: their series fill it.
    sy, sw = week_of(start)
    earlier = set(
        WeeklyReport.objects.filter(site_id__in=site_ids)
        .filter(Q(year__lt=sy) | Q(year=sy, week__lt=sw))
        .values_list("site_id", flat=True)
        .distinct()
    ) | set(
        Encounter.objects.filter(site_id__in=site_ids, date__lt=start)
        .values_list("site_id", flat=True)
        .distinct()
    )
    for site_id in earlier:
        first[site_id] = 0
    # A week the site neither reported nor recorded any encounter in is missing (NaN): left
    # out of the method's fit as R's `surveillance` leaves out NA, and a gap in the charts.
    worked: dict[int, set[int]] = defaultdict(set)
    for site_id, day in (
        Encounter.objects.filter(
            site_id__in=site_ids, date__gte=start, date__lt=end + dt.timedelta(days=7)
        )
        .annotate(monday=TruncWeek("date"))
        .values_list("site_id", "monday")
        .distinct()
    ):
        day = day.date() if isinstance(day, dt.datetime) else day
        worked[site_id].add(offset(day))
    out = {}
    for site_id in site_ids:
        if site_id not in first:
            continue
        known = reported_weeks[site_id] | worked[site_id]
        for code in codes:
            series = np.full(weeks - first[site_id], np.nan)
            for o in known:
                if o >= first[site_id]:
                    series[o - first[site_id]] = 0.0
            for o, n in index.get((site_id, code), {}).items():
                series[o - first[site_id]] = n
            out[(site_id, code)] = series
    return out


# Populations ------------------------------------------------------------------------------

POPULATION_FIELDS = ("site", "since", "population", "note")


def record_population(user, data: Any) -> SitePopulation:
    """A site's population from a date on: ``{"site": code, "since": "2026-10-01",
    "population": 12000, "note": ""}``. Recording the same date again replaces the number."""

    require(user, Can.MANAGE_ALERTS)
    errors = begin(data, POPULATION_FIELDS)
    site = own_site(user, data.get("site"), "site", errors)
    since = clean_date(data.get("since"), "since", errors, required=True)
    population = data.get("population")
    if isinstance(population, bool) or not isinstance(population, int) or population <= 0:
        errors.add("population", _("Enter the number of people, more than 0."))
    note = clean_text(data.get("note"), "note", errors)
    errors.check()
    row, _created = SitePopulation.objects.update_or_create(
        site=site,
        since=since,
        defaults={"population": population, "note": note, "recorded_by": user},
    )
    return row


def population_series(site_ids: Iterable[int], year: int, week: int, weeks: int):
    """Per site with a population record: the population in each of the `weeks` weeks ending
    at (`year`, `week`), the one in force on each Monday; weeks before the first record take
    its number."""
    end = monday(year, week)
    mondays = [end - dt.timedelta(weeks=weeks - 1 - n) for n in range(weeks)]
    records: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for site_id, since, population in SitePopulation.objects.filter(
        site_id__in=list(site_ids)
    ).values_list("site_id", "since", "population"):
        records[site_id].append((since, population))
    out = {}
    for site_id, rows in records.items():
        rows.sort()
        values, i = [], 0
        for day in mondays:
            while i + 1 < len(rows) and rows[i + 1][0] <= day:
                i += 1
            values.append(rows[i][1])
        out[site_id] = np.array(values, dtype=float)
    return out


# Alerts -----------------------------------------------------------------------------------


def evaluate_week(
    year: int, week: int, site_ids: Iterable[int] | None = None, user=None, reason=None
) -> dict[str, Any]:
    """Evaluate every site × condition for an ISO week and raise an alert where the count
    passes the condition's threshold: a fixed number of cases, or the improved Farrington
    method (EARS C2 for a history under 56 weeks) with the condition's options (by default at
    least 5 cases in the last 4 weeks); where the site's population is recorded, Farrington
    expects cases in proportion to it. A week the site did not report is missing, never an
    alarm.

    Evaluating a week again (after a correction) raises no second alert: every existing alert
    of the evaluated site-weeks whose numbers changed gets the new ones with a note in its
    history, and one that no longer alarms is closed when nobody has confirmed it yet (a
    confirmed or responded one keeps its state, with the note). `reason` (the correcting
    report) is named in the notes. Returns counts, and `changed`: the alerts raised, updated
    or closed, as (alert id, "raised" | "updated" | "closed")."""
    if user is not None:
        require(user, Can.MANAGE_ALERTS)
        site_ids = scope_site_ids(user) if site_ids is None else site_ids
    if site_ids is None:
        site_ids = Place.objects.filter(kind=PlaceKind.SITE).values_list("pk", flat=True)
    site_ids = list(site_ids)
    series = weekly_series(site_ids, year, week)
    populations = population_series(site_ids, year, week, HISTORY_WEEKS)
    keys = list(series)
    found: dict[tuple[int, str], dict] = {}
    verdicts: dict[tuple[int, str], dict] = {}  # every series' numbers, alarming or not
    statistical = [k for k in keys if BY_CODE[k[1]].method != THRESHOLD]
    offsets = [
        populations[k[0]][-len(series[k]) :] if k[0] in populations and len(series[k]) else None
        for k in statistical
    ]
    # Each condition's method options, its low-count rule (limit54) included: by default a
    # statistical alarm needs 5 cases in the last 4 weeks (Farrington et al. 1996), so that
    # one case after a quiet spell at a small site does not call out an officer. Fixed-count
    # conditions do not wait for it.
    results = detection.detect(
        [series[k] for k in statistical],
        [BY_CODE[k[1]].settings for k in statistical],
        populations=offsets,
    )
    for key, result in zip(statistical, results, strict=True):
        verdicts[key] = result
        if result["alarm"]:
            found[key] = result
    for key in keys:
        condition = BY_CODE[key[1]]
        if condition.method == THRESHOLD:
            observed = series[key][-1] if len(series[key]) else np.nan
            verdicts[key] = {
                "method": THRESHOLD,
                "observed": float(observed),
                "expected": None,
                "threshold": condition.threshold - 1,
            }
            if observed >= condition.threshold:
                found[key] = verdicts[key]
    raised = 0
    changed: list[tuple[int, str]] = []
    version = f" (v{reason.version})" if reason is not None else ""
    new_alerts: list[Alert] = []
    with transaction.atomic():
        for (site_id, code), result in found.items():
            alert, created = Alert.objects.get_or_create(
                site_id=site_id,
                condition=code,
                year=year,
                week=week,
                defaults={
                    "method": result["method"],
                    "observed": int(result["observed"]),
                    "expected": result["expected"],
                    "threshold": result["threshold"],
                },
            )
            if created:
                raised += 1
                changed.append((alert.pk, "raised"))
                AlertEvent.objects.create(alert=alert, to_state=AlertState.NEW, by=user)
                new_alerts.append(alert)
        existing = Alert.objects.select_for_update().filter(
            site_id__in=site_ids, year=year, week=week
        )
        for alert in existing.exclude(pk__in=[pk for pk, _what in changed]):
            result = verdicts.get((alert.site_id, alert.condition))
            observed = result and result["observed"]
            if result is None or observed is None or np.isnan(observed):
                # The week is no longer reported (or the condition no longer counted).
                observed, threshold, expected = 0, alert.threshold, alert.expected
            else:
                observed, threshold = int(observed), result["threshold"]
                expected = result["expected"]
                threshold = alert.threshold if threshold is None else threshold
            alarming = (alert.site_id, alert.condition) in found
            same = (alert.observed, alert.expected, alert.threshold) == (
                observed,
                expected,
                threshold,
            )
            if same and alarming:
                continue
            numbers = {
                "observed": observed,
                "threshold": f"{threshold:g}",
                "was": alert.observed,
                "version": version,
            }
            state, closing = alert.state, False
            if alarming:
                note = _(
                    "updated after correction%(version)s: observed %(was)s, now %(observed)s, "
                    "threshold %(threshold)s"
                )
            elif state in (AlertState.NEW, AlertState.VERIFYING):
                note = _(
                    "closed after correction%(version)s: observed now %(observed)s, "
                    "threshold %(threshold)s"
                )
                state, closing = AlertState.CLOSED, True
            elif same:
                continue  # already recorded as no longer alarming
            else:
                note = _(
                    "no longer above the threshold after correction%(version)s: observed "
                    "now %(observed)s, threshold %(threshold)s"
                )
            AlertEvent.objects.create(
                alert=alert, from_state=alert.state, to_state=state, by=user, note=note % numbers
            )
            alert.observed, alert.expected, alert.threshold = observed, expected, threshold
            alert.state = state
            alert.save(update_fields=["observed", "expected", "threshold", "state", "updated_at"])
            changed.append((alert.pk, "closed" if closing else "updated"))
        # Each new alert's deadline, and word to the site's officers (sent on commit).
        owners.on_raised(new_alerts)
    return {"series": len(keys), "alarms": len(found), "new_alerts": raised, "changed": changed}


def visible_alerts(user, states: Iterable[str] | None = None):
    require(user, Can.READ_ALERTS)
    if states is not None:
        states = list(states)
        unknown = sorted(set(states) - set(AlertState.values))
        if unknown:
            names = ", ".join(AlertState.values)
            raise ValidationError(
                {
                    "state": [
                        _("Unknown state: %(value)s. The states are: %(states)s.")
                        % {"value": ", ".join(unknown), "states": names}
                    ]
                }
            )
    events = Prefetch("events", queryset=AlertEvent.objects.select_related("by"))
    alerts = Alert.objects.filter(place_scope_q(user, "site")).select_related("site", "owner")
    alerts = alerts.prefetch_related(events)
    if states is not None:
        alerts = alerts.filter(state__in=list(states))
    return alerts


def transition(user, alert: Alert, to_state: Any, note: Any = "") -> Alert:
    """Move an alert to its next state, recording who, when and why. Discarding needs a
    note (why it is not an outbreak)."""
    require(user, Can.MANAGE_ALERTS)
    if not in_scope(user, alert.site):
        raise PermissionDenied(_("This site is not in your places."))
    errors = Errors()
    note = clean_text(note, "note", errors)
    allowed = TRANSITIONS[AlertState(alert.state)]
    if to_state not in allowed:
        names = ", ".join(str(AlertState(s).label) for s in allowed) or _("nowhere")
        errors.add(
            "state",
            _("An alert that is “%(state)s” can go to: %(allowed)s.")
            % {"state": AlertState(alert.state).label, "allowed": names},
        )
    elif to_state == AlertState.DISCARDED and not note:
        errors.add("note", _("Say why the alert is discarded."))
    errors.check()
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.state != alert.state:
            raise ValidationError({"state": [_("Someone else changed this alert; reload it.")]})
        AlertEvent.objects.create(
            alert=locked, from_state=locked.state, to_state=to_state, by=user, note=note
        )
        locked.state = to_state
        locked.save(update_fields=["state", "updated_at"])
    return locked


def alert_series(alert: Alert, weeks: int = 52) -> list[dict]:
    """The alert's site and condition, week by week up to the alert's week, for its chart."""
    series = weekly_series([alert.site_id], alert.year, alert.week, weeks, [alert.condition])
    values = series.get((alert.site_id, alert.condition), np.zeros(1))
    end = monday(alert.year, alert.week)
    return [
        {
            "week": week_label(*week_of(end - dt.timedelta(weeks=len(values) - 1 - n))),
            "cases": None if np.isnan(v) else int(v),
        }
        for n, v in enumerate(values)
    ]


# Import -----------------------------------------------------------------------------------

IMPORT_COLUMNS = ("site", "week", "condition", "sex", "age_group", "count")
# Optional: "confirm" (yes on a row of a site-week sends its unusual counts), "note".


def read_table(path) -> Iterable[tuple[int, dict]]:
    """Rows of a CSV or XLSX file as (row number, {column: value}), the header being row 1.
    Streamed: the file is never held whole."""
    from pathlib import Path

    path = Path(path)
    uploads.check(path, uploads.held())  # the reports are gathered whole before they are written
    if path.suffix.lower() == ".xlsx":
        book = open_workbook(path)
        sheet = book.active
        if sheet not in book.worksheets:  # a chart sheet: the first sheet of rows
            if not book.worksheets:
                book.close()
                raise ValidationError({"file": _("The workbook holds no sheet of rows.")})
            sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip().lower() for h in next(rows, ())]
        for n, values in enumerate(rows, 2):
            if any(v not in (None, "") for v in values):
                yield n, dict(zip(header, values, strict=False))
        book.close()
        return
    with path.open("rb") as handle:  # its encoding and delimiter found as for any import
        records = uploads.csv_records(handle, path.name)
        header = [h.strip().lower() for h in next(records, [])]
        for n, values in enumerate(records, 2):
            if values:
                yield n, dict(zip(header, values, strict=False))


def _note(value: Any) -> Any:
    """A note cell as the export wrote it: the apostrophe `mhis.downloads` puts before text a
    spreadsheet would run as a formula taken off again, so that a note comes back as it was."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("'") and downloads.risky(value[1:]):
        return value[1:].strip()
    return value.strip() if isinstance(value, str) else value


def import_reports(user, rows: Iterable[tuple[int, dict]]) -> list[dict]:
    """Weekly reports from a table with one row per site, week, condition, sex and age
    group (`IMPORT_COLUMNS`). Each site-week is one report written in its own transaction,
    so a bad row stops only its own site-week; importing the same file again changes
    nothing, and a changed count becomes a correction of the conditions the file names for
    that site-week (the others keep their counts). A `confirm` column set to yes on any row
    of a site-week sends its unusual counts. Returns one line per site-week:
    site, week, rows, status ("new", "corrected", "unchanged", "rejected") and the errors by
    row number and field."""
    groups: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    for n, row in rows:
        key = (str(row.get("site") or "").strip(), str(row.get("week") or "").strip())
        groups.setdefault(key, []).append((n, row))
    out = []
    written: dict[tuple[int, int], set[int]] = {}

    # Each site's weeks are written oldest first, so that a history loads in any order (see
    # `check_week`); the lines come back in the file's order.
    position = {key: n for n, key in enumerate(groups)}

    def oldest_first(key):
        match = WEEK.match(key[1].upper())
        return (0, int(match[1]), int(match[2])) if match else (1, 0, 0)

    for (site, week), members in sorted(groups.items(), key=lambda g: oldest_first(g[0])):
        counts, numbers = [], []
        # Any row of the site-week with "confirm" set (yes, true, 1) confirms its counts.
        confirm = next((r.get("confirm") for _n, r in members if r.get("confirm")), None)
        for n, row in members:
            if not any(row.get(c) not in (None, "") for c in ("condition", "count")):
                continue  # a site-week reported with no case at all
            numbers.append(n)
            counts.append(
                {
                    "condition": row.get("condition"),
                    "sex": row.get("sex") or None,
                    "age_group": row.get("age_group") or None,
                    "count": row.get("count"),
                }
            )
        line = {"site": site, "week": week, "rows": [n for n, _ in members], "errors": []}
        report_data = {"site": site, "week": week, "counts": counts, "confirm": confirm}
        if any("note" in row for _n, row in members):  # a file with the report's note
            # On every row of the site-week (as downloaded) or on some of them: one note.
            written_notes = [(n, _note(row.get("note"))) for n, row in members]
            written_notes = [(n, note) for n, note in written_notes if note != ""]
            notes = {note for _n, note in written_notes}
            if len(notes) > 1:
                other = next(n for n, note in written_notes if note != written_notes[0][1])
                line["status"] = "rejected"
                line["errors"] = [
                    {
                        "row": other,
                        "field": "note",
                        "message": _("The rows of one site and week have different notes."),
                    }
                ]
                out.append(line)
                continue
            report_data["note"] = notes.pop() if notes else ""
        try:
            report, created = submit_report(
                user,
                report_data,
                source=ReportSource.IMPORT,
                evaluate=False,
            )
        except ValidationError as exc:
            line["status"] = "rejected"
            for field, messages in exc.message_dict.items():
                parts = field.split(".")
                in_counts = parts[0] == "counts" and len(parts) > 1
                row_no = numbers[int(parts[1])] if in_counts else members[0][0]
                column = parts[-1] if parts[0] == "counts" and len(parts) > 2 else parts[0]
                line["errors"] += [{"row": row_no, "field": column, "message": m} for m in messages]
        else:
            line["status"] = (
                ("new" if report.version == 1 else "corrected") if created else "unchanged"
            )
            if created:
                written.setdefault((report.year, report.week), set()).add(report.site_id)
        out.append(line)
    out.sort(key=lambda line: position[(line["site"], line["week"])])
    for (year, week), site_ids in sorted(written.items()):  # alerts once per week, not per row
        evaluate_week(year, week, site_ids)
    return out


# Export -----------------------------------------------------------------------------------

# The import's columns and the report's note: a download imports back as it is.
EXPORT_COLUMNS = (*IMPORT_COLUMNS, "note")
EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_FIELDS = ("place", "from", "to", "format")


def _week_q(start: tuple[int, int], end: tuple[int, int]) -> Q:
    (sy, sw), (ey, ew) = start, end
    after = Q(year__gt=sy) | Q(year=sy, week__gte=sw)
    before = Q(year__lt=ey) | Q(year=ey, week__lte=ew)
    return after & before


def report_table(user, data: Any) -> tuple[str, list[list[Any]]]:
    """The current version of each weekly report of the sites under a place, from one ISO week
    to another, as the rows of a table the import reads (`EXPORT_COLUMNS`, header first): one
    row per condition, sex and age group counted, or one row with no condition for a week
    reported with no case. ``{"place": code, "from": "2026-W01", "to": "2026-W10"}``. Only the
    sites in the user's places: a place outside them is refused, and a place above them gives
    their sites only. Returns a name for the file (place and weeks) and the rows."""
    require(user, Can.READ_REPORTS)
    errors = begin(data, EXPORT_FIELDS)
    code = data.get("place")
    place = Place.objects.filter(code=code).first() if isinstance(code, str) and code else None
    sites = (
        Place.objects.filter(
            path__startswith=place.path, kind=PlaceKind.SITE, pk__in=scope_site_ids(user)
        )
        if place is not None
        else Place.objects.none()
    )
    if not code:
        errors.add("place", _("This field is required."))
    elif place is None or not (in_scope(user, place) or sites.exists()):
        errors.add("place", _("No place with this code in your places."))
        place = None
    start = parse_week(data.get("from"), "from", errors)
    end = parse_week(data.get("to"), "to", errors)
    if start and end and start > end:
        errors.add("to", _("The last week comes before the first."))
    fmt = data.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        errors.add("format", _("Choose CSV or XLSX."))
    errors.check()
    order = ReportCount.objects.order_by("condition", "sex", "age_group")
    counts = Prefetch("counts", queryset=order)
    reports = (
        WeeklyReport.objects.filter(_week_q(start, end), site__in=sites, current=True)
        .select_related("site")
        .prefetch_related(counts)
        .order_by("site__code", "year", "week")
    )
    rows: list[list[Any]] = [list(EXPORT_COLUMNS)]
    for report in reports:
        week = week_label(report.year, report.week)
        cells = list(report.counts.all())
        note = report.note or None  # an empty cell: blank in XLSX, "" in CSV
        if not cells:
            rows.append([report.site.code, week, None, None, None, None, note])
        for c in cells:
            rows.append([report.site.code, week, c.condition, c.sex, c.age_group, c.count, note])
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", place.code)
    return f"weekly-reports-{safe}-{week_label(*start)}-{week_label(*end)}", rows


def export_reports(user, data: Any) -> tuple[str, str, bytes]:
    """`report_table` written as a file in ``data["format"]`` ("csv", the default, or
    "xlsx"), through `mhis.downloads` so that no cell runs as a formula: its name, its media
    type and its bytes. CSV is UTF-8 without a byte order mark, comma-separated."""
    stem, rows = report_table(user, data)
    fmt = data.get("format", "csv")
    if fmt == "xlsx":
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return f"{stem}.xlsx", media, downloads.to_xlsx(rows, title=_("Weekly reports"))
    return f"{stem}.csv", "text/csv; charset=utf-8", downloads.to_csv(rows).encode("utf-8")
