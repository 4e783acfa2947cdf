"""Surveillance API: conditions, weekly reports, evaluation and the alert workflow. Handlers
only translate HTTP; the rules live in services."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import Field

from mhis.access.auth import api_auth
from mhis.input import Errors
from mhis.places.models import Place
from mhis.schemas import Input

from . import services
from .conditions import CONDITIONS
from .models import ReportSource

router = Router(tags=["surveillance"], auth=api_auth)


class ConditionOut(Schema):
    code: str
    name: str
    icd10: list[str]
    case_definition: str
    method: str = Field(description='"threshold" (a fixed count) or "statistical"')
    threshold: int | None


class CountIn(Input):
    condition: str
    sex: str = "unknown"
    age_group: str = "unknown"
    count: int


class ReportIn(Input):
    site: str = Field(description="site code")
    week: str = Field(description='ISO week, "2026-W47"')
    counts: list[CountIn] = Field(
        [],
        description="on a correction, only the conditions named here change: a condition "
        "not named keeps its counts; send a count of 0 to correct a condition to zero",
    )
    note: str = ""
    confirm: bool = Field(
        False,
        description="true to send counts above what is usual at the site, or a week before "
        "its first report, after checking them (else refused, naming the field)",
    )


class ReportOut(Schema):
    id: int
    site: str
    week: str
    version: int
    current: bool
    on_time: bool
    submitted_at: datetime
    counts: list[CountIn]
    created: bool = Field(description="false when the same counts were already the current ones")


class EvaluateIn(Input):
    week: str


class EvaluateOut(Schema):
    series: int
    alarms: int
    new_alerts: int


class EventOut(Schema):
    from_state: str
    to_state: str
    by: str | None
    at: datetime
    note: str


class AlertOut(Schema):
    id: int
    site: str
    condition: str
    week: str
    method: str
    observed: int
    expected: float | None
    threshold: float
    state: str
    owner: str | None = Field(None, description="the user name of who verifies it")
    due_at: datetime | None = Field(None, description="when it is to be verified by")
    escalated_at: datetime | None = Field(None, description="when it was escalated, late")
    events: list[EventOut]


class AlertParams(Schema):
    state: list[str] | None = None
    limit: int = Field(100, ge=1, le=1000)


class CompletenessOut(Schema):
    site: str
    name: str
    expected: int = Field(description="weeks from `start` to `end`")
    received: int = Field(description="weeks with a report (a corrected week counts once)")
    on_time: int = Field(description="weeks whose first report came by the Wednesday after")
    completeness: float | None
    timeliness: float | None


class CompletenessParams(Schema):
    start: str = Field(description='first ISO week, "2026-W01"')
    end: str = Field(description="last ISO week, inclusive")


class PopulationIn(Input):
    site: str
    since: str = Field(description="date from which the number holds, YYYY-MM-DD")
    population: int
    note: str = ""


class PopulationOut(Schema):
    site: str
    since: str
    population: int
    note: str


class TransitionIn(Input):
    state: str = Field(description="the state to move to")
    note: str = ""


def _report(report, created=True) -> dict:
    return {
        "id": report.pk,
        "site": report.site.code,
        "week": services.week_label(report.year, report.week),
        "version": report.version,
        "current": report.current,
        "on_time": report.on_time,
        "submitted_at": report.submitted_at,
        "counts": [
            {"condition": c.condition, "sex": c.sex, "age_group": c.age_group, "count": c.count}
            for c in report.counts.all()
        ],
        "created": created,
    }


def _alert(alert) -> dict:
    return {
        "id": alert.pk,
        "site": alert.site.code,
        "condition": alert.condition,
        "week": services.week_label(alert.year, alert.week),
        "method": alert.method,
        "observed": alert.observed,
        "expected": alert.expected,
        "threshold": alert.threshold,
        "state": alert.state,
        "owner": alert.owner.get_username() if alert.owner_id else None,
        "due_at": alert.due_at,
        "escalated_at": alert.escalated_at,
        "events": [
            {
                "from_state": e.from_state,
                "to_state": e.to_state,
                "by": e.by.username if e.by else None,
                "at": e.at,
                "note": e.note,
            }
            for e in alert.events.all()  # with their users (`services.visible_alerts`)
        ],
    }


def _denied(exc: PermissionDenied):
    raise HttpError(403, str(exc)) from None


@router.get("/surveillance/conditions", response=list[ConditionOut], summary="Conditions")
def conditions(request):
    return [
        {
            "code": c.code,
            "name": str(c.name),
            "icd10": list(c.icd10),
            "case_definition": str(c.case_definition),
            "method": c.method,
            "threshold": c.threshold,
        }
        for c in CONDITIONS
    ]


@router.post(
    "/surveillance/reports",
    response={200: ReportOut, 201: ReportOut},
    summary="Send a site's weekly report (a second one for the week is a correction)",
)
def submit(request, payload: ReportIn):
    try:
        report, created = services.submit_report(
            request.auth, payload.model_dump(exclude_unset=True), source=ReportSource.API
        )
    except PermissionDenied as exc:
        _denied(exc)
    return Status(201 if created else 200, _report(report, created))


@router.get(
    "/surveillance/reports/{site}/{week}",
    response=list[ReportOut],
    summary="Every version of a site's weekly report, latest first",
)
def history(request, site: str, week: str):
    parsed = services.require_week(week)
    place = get_object_or_404(Place, code=site)
    try:
        reports = services.report_history(request.auth, place, *parsed)
    except PermissionDenied:
        raise HttpError(404, "Not Found") from None
    return [_report(r) for r in reports]


@router.get(
    "/surveillance/completeness",
    response=list[CompletenessOut],
    summary="Reports received and on time, per site in your places",
)
def completeness(request, params: Query[CompletenessParams]):
    errors = Errors()
    start = services.parse_week(params.start, "start", errors)
    end = services.parse_week(params.end, "end", errors)
    if start and end and start > end:
        errors.add("end", _("The last week comes before the first."))
    errors.check()
    try:
        rows = services.completeness(request.auth, start, end)
    except PermissionDenied as exc:
        _denied(exc)
    return [dict(row, site=row["site"].code, name=row["site"].name) for row in rows]


@router.post(
    "/surveillance/populations",
    response=PopulationOut,
    summary="A site's population from a date on (a camp's influx)",
)
def population(request, payload: PopulationIn):
    try:
        row = services.record_population(request.auth, payload.model_dump())
    except PermissionDenied as exc:
        _denied(exc)
    return {
        "site": row.site.code,
        "since": row.since.isoformat(),
        "population": row.population,
        "note": row.note,
    }


@router.post("/surveillance/evaluate", response=EvaluateOut, summary="Evaluate a week")
def evaluate(request, payload: EvaluateIn):
    try:
        return services.evaluate_week(*services.require_week(payload.week), user=request.auth)
    except PermissionDenied as exc:
        _denied(exc)


@router.get("/surveillance/alerts", response=list[AlertOut], summary="Alerts in your places")
def alerts(request, params: Query[AlertParams]):
    try:
        rows = services.visible_alerts(request.auth, params.state)[: params.limit]
    except PermissionDenied as exc:
        _denied(exc)
    return [_alert(a) for a in rows]


def _visible(request, alert_id: int):
    try:
        return get_object_or_404(services.visible_alerts(request.auth), pk=alert_id)
    except PermissionDenied as exc:
        _denied(exc)


@router.get("/surveillance/alerts/{alert_id}", response=AlertOut, summary="One alert")
def alert(request, alert_id: int):
    return _alert(_visible(request, alert_id))


@router.post(
    "/surveillance/alerts/{alert_id}/transition",
    response=AlertOut,
    summary="Move an alert: verifying, confirmed, discarded, responded, closed",
)
def move(request, alert_id: int, payload: TransitionIn):
    found = _visible(request, alert_id)
    try:
        moved = services.transition(request.auth, found, payload.state, payload.note)
    except PermissionDenied as exc:
        _denied(exc)
    return _alert(moved)
