"""The portfolio: who may see and change it, budgets in one currency, results linked to
MHIS indicators, and the compendium's search."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum, prefetch_related_objects
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mhis.access.models import Scope
from mhis.access.policy import Can, allowed, require
from mhis.codelists import normalise_country
from mhis.indicators import disclosure
from mhis.indicators import periods as indicator_periods
from mhis.indicators import services as indicators

from . import codes
from .models import (
    Attendance,
    Event,
    ExchangeRate,
    Organisation,
    Practice,
    Project,
    ResultPeriod,
    WorkplanActivity,
)
from .text import fold

CENT = Decimal("0.01")


def can_read(user) -> bool:
    return allowed(user, Can.READ_PROGRAMMES)


def can_write(user) -> bool:
    return allowed(user, Can.WRITE_PROGRAMMES)


def require_reader(user) -> None:
    require(user, Can.READ_PROGRAMMES)


def require_writer(user) -> None:
    require(user, Can.WRITE_PROGRAMMES)


def reporting_currency() -> str:
    return getattr(settings, "MHIS_REPORTING_CURRENCY", "USD")


# -- money ------------------------------------------------------------------------------------


class MissingRate(ValueError):
    pass


class Rates:
    """The stored exchange rates, read once: the rate of a currency on a day is the latest
    recorded on or before it (or, before the first, the first)."""

    def __init__(self):
        self.by_currency: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for row in ExchangeRate.objects.order_by("currency", "on"):
            self.by_currency[row.currency].append((row.on, row.rate))

    def convert(self, amount: Decimal, currency: str, on: dt.date) -> Decimal:
        if currency == reporting_currency():
            return Decimal(amount)
        rates = self.by_currency.get(currency)
        if not rates:
            raise MissingRate(currency)
        rate = rates[0][1]
        for day, value in rates:
            if day > on:
                break
            rate = value
        return (Decimal(amount) * rate).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Portfolio:
    currency: str
    projects: int = 0
    total: Decimal = Decimal(0)
    by: dict[str, dict[str, dict]] = field(
        default_factory=dict
    )  # dimension -> value -> {n, budget}
    missing_rates: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


def counted_budgets(lines) -> list:
    """The budget lines a total counts: per period, the latest revision (IATI budget type 2,
    latest value date) when the period was revised, else its original lines. A revision
    replaces the original; both never count."""
    by_period: dict[tuple, list] = defaultdict(list)
    for line in lines:
        by_period[(line.period_start, line.period_end)].append(line)
    counted = []
    for group in by_period.values():
        revised = [line for line in group if line.type == codes.BudgetType.REVISED]
        if revised:
            counted.append(max(revised, key=lambda line: (line.value_date, line.pk or 0)))
        else:
            counted.extend(group)
    return sorted(counted, key=lambda line: (line.period_start, line.pk or 0))


def portfolio(projects=None) -> Portfolio:
    """Counts and budgets of `projects` (our own by default) in the reporting currency, by type,
    region, country, status and budget year. A project's budget is the sum of its budget
    lines (the latest revision of a revised period: `counted_budgets`), each converted at the rate of its value date; a country's share of a multi-country
    project is not guessed, so by country a project counts whole in each of its countries."""
    if projects is None:
        projects = Project.objects.filter(reporting_org_ref="")
    projects = list(projects)
    prefetch_related_objects(projects, "budgets")
    rates = Rates()
    out = Portfolio(currency=reporting_currency(), projects=len(projects))
    missing = set()

    def add(dimension: str, value: str, budget: Decimal):
        cell = out.by.setdefault(dimension, {}).setdefault(value, {"n": 0, "budget": Decimal(0)})
        cell["n"] += 1
        cell["budget"] += budget

    for project in projects:
        total = Decimal(0)
        years: dict[str, Decimal] = defaultdict(Decimal)
        for line in counted_budgets(project.budgets.all()):
            try:
                value = rates.convert(line.amount, line.currency, line.value_date)
            except MissingRate:
                missing.add(line.currency)
                continue
            total += value
            years[str(line.period_start.year)] += value
        out.total += total
        add("type", project.type, total)
        add("region", project.region or "—", total)
        add("status", project.status, total)
        for country in project.countries or ["—"]:
            add("country", country, total)
        for year, value in years.items():
            add("year", year, value)
    out.missing_rates = sorted(missing)
    out.countries = sorted({c for p in projects for c in p.countries or []})
    for dimension in out.by.values():
        for cell in dimension.values():
            cell["budget"] = cell["budget"].quantize(CENT)
    out.total = out.total.quantize(CENT)
    return out


# -- results ----------------------------------------------------------------------------------


def indicator_period_key(start: dt.date, end: dt.date) -> str | None:
    """The MHIS reporting period (year, quarter or month) that is exactly [start, end]."""

    for kind in ("year", "quarter", "month"):
        try:
            period = indicator_periods.containing(start, kind)
            following = end + dt.timedelta(days=1)
        except (ValueError, OverflowError):  # a date at the end of the calendar
            return None
        if period.start == start and period.end == following:
            return period.key
    return None


@dataclass
class Actual:
    text: str  # as shown: a number (with "%" for a percentage), "<5", or why there is none
    value: float | None = None
    computed: bool = False
    suppressed: bool = False
    unit: str = ""  # an MHIS indicator unit: "count", "percentage", …


# The unit of a result indicator's targets (and typed actuals), by its IATI measure.
MEASURE_UNITS = {codes.Measure.UNIT: "count", codes.Measure.PERCENTAGE: "percentage"}


def target_unit(indicator) -> str:
    return MEASURE_UNITS.get(indicator.measure, "count")


def _with_unit(text: str, unit: str, value: float | None) -> str:
    return f"{text} %" if unit == "percentage" and value is not None else text


def actual(user, period: ResultPeriod) -> Actual:
    """The actual of a result period: computed from the records when the indicator is linked
    to an MHIS indicator (in the user's scope, suppressed like any aggregate), else typed."""

    indicator = period.indicator
    if not indicator.mhis_indicator:
        unit = target_unit(indicator)
        if period.actual is None:
            return Actual(period.actual_text, unit=unit)  # words, or a qualitative actual
        value = period.actual
        shown = int(value) if value == value.to_integral_value() else value
        text = number_format(shown, use_l10n=True, force_grouping=True)
        return Actual(_with_unit(text, unit, float(value)), float(value), unit=unit)
    key = indicator_period_key(period.start, period.end)
    if key is None:
        return Actual(_("not a year, quarter or month"), computed=True)
    try:
        published = indicators.published(user, indicator.mhis_indicator, [key], indicator.place)
    except PermissionDenied:
        return Actual(_("outside your places"), computed=True)
    except (KeyError, ValidationError, ValueError):
        return Actual(_("unknown indicator"), computed=True)
    unit = published.indicator.unit
    cell = next((c for c in published.cells if c.key == (key,)), None)
    if cell is None:
        if unit == "count":
            return Actual("0", 0.0, computed=True, unit=unit)
        return Actual(disclosure.no_data(), computed=True, unit=unit)
    value = cell.value if not cell.hidden else None
    return Actual(
        _with_unit(disclosure.text(cell, unit), unit, value),
        value,
        computed=True,
        suppressed=cell.hidden,
        unit=unit,
    )


def comparable(indicator, shown: Actual) -> bool:
    """Whether the actual is in the unit of the targets (a percentage is never set against a
    target counted in people)."""
    return not shown.unit or shown.unit == target_unit(indicator)


ACTUAL_LIMIT = Decimal("1e14")


def record_actual(user, period: ResultPeriod, value: str) -> ResultPeriod:
    """Type the actual of a result period that is not computed from the records. An empty
    value clears it. Errors name the field "actual". The project must lie in the user's places
    (`in_places`), as for its workplan."""
    require_editor(user, period.indicator.result.project)
    if period.indicator.result.project.is_partner:
        raise ValidationError(
            {"actual": _("This is a partner's activity: its publisher reports its actuals.")}
        )
    if period.indicator.mhis_indicator:
        raise ValidationError(
            {"actual": _("This actual is computed from the records and cannot be typed.")}
        )
    text = (value or "").strip().replace(" ", "").replace(",", "")
    if not text:
        number = None
    else:
        try:
            number = Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP)
        except (ArithmeticError, ValueError):
            raise ValidationError({"actual": _("Give a number, such as 1250 or 87.5.")}) from None
        if number < 0 or number >= ACTUAL_LIMIT:  # quantize has refused NaN and infinities
            raise ValidationError({"actual": _("Give a number from 0 to 99,999,999,999,999.99.")})
    period.actual = number
    period.save(update_fields=["actual"])
    return period


def results_against_targets(user, projects) -> list[dict]:
    """Each result indicator of `projects` with its latest period that has a target: the
    target, the actual (typed, or computed and suppressed) and the share reached."""
    rows = []
    periods = (
        ResultPeriod.objects.filter(indicator__result__project__in=projects, target__isnull=False)
        .select_related("indicator__result__project", "indicator__place")
        .order_by("indicator_id", "-start")
    )
    seen = set()
    for period in periods:
        if period.indicator_id in seen:
            continue
        seen.add(period.indicator_id)
        shown = actual(user, period)
        share = None
        same_unit = comparable(period.indicator, shown)
        if same_unit and shown.value is not None and period.target:
            share = round(100 * shown.value / float(period.target))
        rows.append(
            {
                "project": period.indicator.result.project,
                "indicator": period.indicator,
                "period": period,
                "actual": shown,
                "share": share,
                "mismatch": "" if same_unit else units_differ(period.indicator, shown),
            }
        )
    return rows


def units_differ(indicator, shown: Actual) -> str:
    """Why an actual is not set against its target: their units."""
    from mhis.indicators.views import UNIT_LABELS

    return _(
        "Not comparable: the target and the actual are in different units "
        "(target: %(target)s, actual: %(actual)s)."
    ) % {
        "target": UNIT_LABELS.get(target_unit(indicator), target_unit(indicator)),
        "actual": UNIT_LABELS.get(shown.unit, shown.unit),
    }


def trained(project: Project) -> dict[str, int]:
    """People trained by the project's trainings, by role (CHWs, volunteers, providers)."""
    rows = (
        Attendance.objects.filter(
            event__project=project,
            event__kind=codes.EventKind.TRAINING,
            role__in=codes.TRAINED_ROLES,
        )
        .values("role")
        .annotate(n=Sum("count"))
    )
    return {row["role"]: row["n"] for row in rows}


# -- compendium -------------------------------------------------------------------------------


def search_practices(
    query: str = "", *, theme: str = "", country: str = "", gcm: int | None = None
):
    """Practices whose text holds every word of `query`, in whatever language it is in."""
    found = Practice.objects.all()
    for word in fold(query).split()[:10]:
        found = found.filter(folded__contains=word)
    if theme:
        found = found.filter(theme=theme)
    if country:
        found = found.filter(country=country.upper())
    if gcm:
        found = found.filter(gcm_objective=gcm)
    return found


def projects_in(country: str = "", status: str = "", type: str = "", *, partners: bool = False):
    """Our projects (`partners`: other publishers' activities read from their IATI files)."""
    found = Project.objects.filter(reporting_org_ref="")
    if partners:
        found = Project.objects.exclude(reporting_org_ref="")
    if status:
        found = found.filter(status=status)
    if type:
        found = found.filter(type=type)
    projects = list(found)
    if country:
        projects = [p for p in projects if country.upper() in (p.countries or [])]
    return projects


# -- workplans and event attendance -----------------------------------------------------------


def _countries_of(subject: Project | Event) -> list[str]:
    if isinstance(subject, Event):
        if subject.country:
            return [subject.country]
        return list(subject.project.countries or []) if subject.project_id else []
    return list(subject.countries or [])


def in_places(user, subject: Project | Event) -> bool:
    """Whether a project or an event lies in the user's places: one of its countries (an
    event's own, else its project's benefiting countries) is the country of one of the user's
    place scopes. Regional or global work naming no country is in everyone's places who has
    one. Registered as the scope rule of projects and events (`mhis.access.policy`)."""
    if not getattr(user, "is_authenticated", False):
        return False
    held = set(Scope.objects.filter(user=user).values_list("place__country_code", flat=True))
    if not held:
        return False
    countries = _countries_of(subject)
    return not countries or bool(held & set(countries))


def require_editor(user, subject: Project | Event) -> None:
    """Refuse unless the user's role changes the programmes and `subject` is in their places."""
    require(user, Can.WRITE_PROGRAMMES, subject)


def _text(data: Mapping, name: str, limit: int, errors: dict, *, required: str = "") -> str:
    value = str(data.get(name) or "").strip()
    if not value and required:
        errors[name] = [required]
    elif len(value) > limit:
        errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
    return value


def _date(data: Mapping, name: str, errors: dict, *, required: str = "") -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            errors[name] = [required]
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            errors[name] = [_("Give a date, such as 2026-03-31.")]
            return None
    return value


def save_activity(
    user, project: Project, data: Mapping, activity: WorkplanActivity | None = None
) -> WorkplanActivity:
    """Add an activity to a project's workplan, or change one of its activities. `data`:
    title, owner, planned_start, planned_end, actual_start, actual_end, status. Errors name
    the field; nothing is written unless every field is right."""
    require_editor(user, project)
    if activity is not None and activity.project_id != project.pk:
        raise PermissionDenied(_("This activity belongs to another project."))
    errors: dict[str, list] = {}
    title = _text(data, "title", 300, errors, required=_("Give the activity a title."))
    owner = _text(data, "owner", 200, errors)
    planned_start = _date(data, "planned_start", errors, required=_("Give the planned start."))
    planned_end = _date(data, "planned_end", errors, required=_("Give the planned end."))
    actual_start = _date(data, "actual_start", errors)
    actual_end = _date(data, "actual_end", errors)
    status = str(data.get("status") or codes.WorkStatus.PLANNED)
    today = timezone.localdate()
    if status not in codes.WorkStatus.values:
        errors["status"] = [_("Choose a status from the list.")]
    if planned_start and planned_end and planned_end < planned_start:
        errors.setdefault("planned_end", []).append(
            _("The planned end cannot be before the planned start.")
        )
    for name, value in (("actual_start", actual_start), ("actual_end", actual_end)):
        if value and value > today:
            errors.setdefault(name, []).append(
                _("An actual date cannot be in the future: give a planned date instead.")
            )
    if actual_end and not actual_start:
        errors.setdefault("actual_start", []).append(
            _("An activity that has ended has started: give its actual start.")
        )
    if actual_start and actual_end and actual_end < actual_start:
        errors.setdefault("actual_end", []).append(
            _("The actual end cannot be before the actual start.")
        )
    if status == codes.WorkStatus.DONE and not actual_end:
        errors.setdefault("actual_end", []).append(_("A done activity needs its actual end."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        activity = activity or WorkplanActivity(project=project)
        activity.title, activity.owner, activity.status = title, owner, status
        activity.planned_start, activity.planned_end = planned_start, planned_end
        activity.actual_start, activity.actual_end = actual_start, actual_end
        activity.save()
    return activity


MAX_ATTENDANCE = 1_000_000


def save_attendance(user, event: Event, data: Mapping, row: Attendance | None = None) -> Attendance:
    """Record how many came to an event from one country, organisation, sex and role, or
    correct such a row. `data`: country (ISO code or empty), organisation (an Organisation,
    its id, or empty), sex, role, count. One row per country, organisation, sex and role:
    a second is refused (correct the first). Errors name the field."""
    require_editor(user, event)
    if row is not None and row.event_id != event.pk:
        raise PermissionDenied(_("This row belongs to another event."))
    errors: dict[str, list] = {}
    country = str(data.get("country") or "").strip()
    if country:
        try:
            country = normalise_country(country)
        except ValueError as exc:
            errors["country"] = [str(exc)]
    organisation = data.get("organisation") or None
    if organisation is not None and not isinstance(organisation, Organisation):
        given = str(organisation).strip()
        organisation = Organisation.objects.filter(pk=given).first() if given.isdigit() else None
        if organisation is None:
            errors["organisation"] = [_("Choose an organisation from the list.")]
    sex = str(data.get("sex") or codes.Sex.UNKNOWN)
    if sex not in codes.Sex.values:
        errors["sex"] = [_("Choose a sex from the list.")]
    role = str(data.get("role") or codes.ParticipantRole.OTHER)
    if role not in codes.ParticipantRole.values:
        errors["role"] = [_("Choose a role from the list.")]
    count = data.get("count")
    try:
        count = int(str(count).strip())
    except (TypeError, ValueError):
        errors["count"] = [_("Give the number of people, such as 12.")]
    else:
        if not 1 <= count <= MAX_ATTENDANCE:
            errors["count"] = [
                _("Give a number of people from 1 to %(n)s.")
                % {"n": number_format(MAX_ATTENDANCE, force_grouping=True)}
            ]
    if not errors:
        same = Attendance.objects.filter(
            event=event, country=country, organisation=organisation, sex=sex, role=role
        )
        if row is not None:
            same = same.exclude(pk=row.pk)
        if same.exists():
            errors["__all__"] = [
                _(
                    "This event already has a row for this country, organisation, sex and "
                    "role: change its number instead."
                )
            ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = row or Attendance(event=event)
        row.country, row.organisation, row.sex, row.role = country, organisation, sex, role
        row.count = count
        row.save()
    return row


def attendance_totals(event: Event) -> dict:
    """An event's attendance: everyone, and by sex and by role."""
    rows = list(event.attendance.all())
    by_sex: dict[str, int] = defaultdict(int)
    by_role: dict[str, int] = defaultdict(int)
    for row in rows:
        by_sex[row.get_sex_display()] += row.count
        by_role[row.get_role_display()] += row.count
    return {"total": sum(r.count for r in rows), "sex": dict(by_sex), "role": dict(by_role)}
