"""API for risk assessment, response actions and 7-1-7 (ADR 0031). Handlers only translate
HTTP; the rules live in `services`. Nothing here names a person."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import ConfigDict, Field, StrictInt

from mhis.access.auth import api_auth
from mhis.schemas import Input
from mhis.surveillance.outbreaks import visible_outbreaks

from . import services as svc

router = Router(tags=["response"], auth=api_auth)


class _Body(Input):
    """A body whose unknown fields are refused (a misspelt field is not silently lost)."""

    model_config = ConfigDict(extra="forbid")


class RiskAssessmentIn(_Body):
    hazard: str = Field(description="the hazard assessment; aggregate, never a person")
    exposure: str = Field(description="the exposure assessment; aggregate, never a person")
    context: str = Field(description="the context assessment; aggregate, never a person")
    likelihood: str = Field(
        description="almost_certain, highly_likely, likely, unlikely or very_unlikely"
    )
    consequence: str = Field(description="minimal, minor, moderate, major or severe")
    confidence: str = Field(description="low, moderate or high")
    level: str = Field("", description="overall risk if not the matrix's: low … very_high")
    justification: str = Field("", description="why the overall risk departs from the matrix")
    actions: str = Field("", description="recommended actions")


class RiskAssessmentOut(Schema):
    id: int
    at: dt.datetime
    likelihood: str
    consequence: str
    matrix_level: str
    level: str
    justification: str
    confidence: str
    hazard: str
    exposure: str
    context: str
    actions: str


class ResponseActionIn(_Body):
    title: str
    due_on: str = Field(description="YYYY-MM-DD, today or later")
    # Ids as JSON numbers (as documented) or as text; never a boolean taken for user 1.
    owner: StrictInt | str = Field("", description="a user id; yourself when empty")
    early: bool = Field(False, description="an early response action (the last 7 of 7-1-7)")
    assessment: StrictInt | str = Field(
        "", description="the id of the assessment that recommended it"
    )


class ResponseActionOut(Schema):
    id: int
    title: str
    owner: str
    due_on: dt.date
    early: bool
    state: str
    done_on: dt.date | None
    escalated_at: dt.datetime | None


class TimelinessIn(_Body):
    emerged_on: str = ""
    detected_on: str = ""
    notified_on: str = ""
    responded_on: str = ""
    responded_note: str = ""
    detect_bottleneck: str = ""
    detect_note: str = ""
    notify_bottleneck: str = ""
    notify_note: str = ""
    respond_bottleneck: str = ""
    respond_note: str = ""


class SevenStepOut(Schema):
    step: str
    target: int
    days: int | None
    met: bool | None
    bottleneck: str
    note: str


class SevenOut(Schema):
    emerged_on: dt.date | None
    detected_on: dt.date | None
    notified_on: dt.date | None
    responded_on: dt.date | None
    responded_from_actions: bool
    steps: list[SevenStepOut]


class OutbreakResponseOut(Schema):
    outbreak: int
    assessments: list[RiskAssessmentOut] = Field(description="newest first; the first stands")
    actions: list[ResponseActionOut]
    seven: SevenOut


class SevenLineOut(Schema):
    place: str
    quarter: str
    outbreak: int
    condition: str
    seven: SevenOut


class SevenTableParams(Schema):
    level: str = Field("country", description="country or area (the region under it)")
    place: str = Field("", description="a place code in your places")
    quarter: str = Field("", description="YYYY-Qn, of the detection date")


def _seven(result) -> dict:
    return {
        **result.dates,
        "responded_from_actions": result.derived,
        "steps": [
            {k: r[k] for k in ("step", "target", "days", "met", "bottleneck", "note")}
            for r in result.rows
        ],
    }


def _outbreak(request, outbreak_id):
    try:
        return get_object_or_404(visible_outbreaks(request.auth), pk=outbreak_id)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None


ACTION_OUT = ("id", "title", "due_on", "early", "state", "done_on", "escalated_at")


def _action(action) -> dict:
    return {**{f: getattr(action, f) for f in ACTION_OUT}, "owner": action.owner.get_username()}


def _response(user, outbreak) -> dict:
    return {
        "outbreak": outbreak.pk,
        "assessments": list(svc.assessments(user, outbreak)),
        "actions": [_action(a) for a in outbreak.actions.select_related("owner")],
        "seven": _seven(svc.seven(outbreak)),
    }


@router.get(
    "/surveillance/outbreaks/{outbreak_id}/response",
    response=OutbreakResponseOut,
    summary="An outbreak's risk assessments, actions and 7-1-7",
)
def response(request, outbreak_id: int):
    outbreak = _outbreak(request, outbreak_id)
    try:
        return _response(request.auth, outbreak)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None


def _write(request, outbreak_id, do):
    outbreak = _outbreak(request, outbreak_id)
    try:
        do(outbreak)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    return Status(201, _response(request.auth, outbreak))


@router.post(
    "/surveillance/outbreaks/{outbreak_id}/assessments",
    response={201: OutbreakResponseOut},
    summary="Assess an outbreak's risk (a new assessment supersedes the last)",
)
def assess(request, outbreak_id: int, payload: RiskAssessmentIn):
    return _write(request, outbreak_id, lambda o: svc.assess(request.auth, o, payload.dict()))


@router.post(
    "/surveillance/outbreaks/{outbreak_id}/actions",
    response={201: OutbreakResponseOut},
    summary="Assign a response action (its owner is notified)",
)
def add_action(request, outbreak_id: int, payload: ResponseActionIn):
    return _write(request, outbreak_id, lambda o: svc.add_action(request.auth, o, payload.dict()))


@router.post(
    "/surveillance/outbreaks/{outbreak_id}/717",
    response={201: OutbreakResponseOut},
    summary="Record an outbreak's 7-1-7 dates and the bottlenecks of missed targets",
)
def timeliness(request, outbreak_id: int, payload: TimelinessIn):
    return _write(
        request, outbreak_id, lambda o: svc.record_timeliness(request.auth, o, payload.dict())
    )


@router.get(
    "/surveillance/response/717",
    response=list[SevenLineOut],
    summary="7-1-7 by place and quarter, the outbreaks of your places",
)
def table(request, params: Query[SevenTableParams]):
    try:
        groups, _undated, _chosen = svc.performance(request.auth, params.dict())
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValidationError:
        raise
    return [
        {
            "place": g.place,
            "quarter": g.quarter,
            "outbreak": line.outbreak.pk,
            "condition": line.outbreak.condition,
            "seven": _seven(line.seven),
        }
        for g in groups
        for line in g.lines
    ]
