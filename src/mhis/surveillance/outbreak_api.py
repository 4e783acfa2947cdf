"""API for signals and outbreaks (ADR 0029). Handlers only translate HTTP; the rules live in
`outbreaks`. An outbreak's cases are given as counts (total, by week, by site): the API does
not list people."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import Field

from mhis.access.auth import api_auth
from mhis.schemas import Input

from . import outbreaks as svc
from .services import visible_alerts

router = Router(tags=["surveillance"], auth=api_auth)


class SignalIn(Input):
    text: str = Field(description="what was seen or heard; no one's name")
    source: str = Field(description="community, media, health_worker, hotline or other")
    place: str = Field(description="code of a place in your places (a site or an area)")
    date: str = Field(description="YYYY-MM-DD")
    condition: str = Field("", description="condition code, if known")


class HistoryOut(Schema):
    from_state: str
    to_state: str
    by: str | None
    at: dt.datetime
    note: str


class SignalOut(Schema):
    id: int
    text: str
    source: str
    place: str
    date: dt.date
    condition: str
    state: str
    events: list[HistoryOut]


class SignalMoveIn(Input):
    state: str = Field(description="triaged, verified or discarded (with a note)")
    note: str = ""
    condition: str = Field("", description="the condition, when verifying a signal without one")


class StateParams(Schema):
    state: list[str] | None = None
    limit: int = Field(100, ge=1, le=1000)


class OutbreakIn(Input):
    alert: int | None = Field(None, description="the alert it starts from")
    signal: int | None = Field(None, description="or the verified signal it starts from")


class LinkIn(Input):
    action: str = Field("add", description="add or remove")
    alert: int | None = None
    signal: int | None = None


class OutbreakMoveIn(Input):
    state: str = Field(description="declared or over")
    note: str = ""


class WeekOut(Schema):
    week: str
    cases: int


class SiteOut(Schema):
    site: str
    latitude: float
    longitude: float
    cases: int


class OutbreakEventOut(Schema):
    what: str
    to_state: str
    by: str | None
    at: dt.datetime
    note: str


class OutbreakOut(Schema):
    id: int
    condition: str
    area: str
    state: str
    declared_on: dt.date | None
    over_on: dt.date | None
    alerts: list[int]
    signals: list[int]
    start: dt.date
    end: dt.date
    cases: int = Field(description="encounters with the condition's ICD-10 codes at its sites")
    curve: list[WeekOut]
    sites: list[SiteOut] = Field(description="its sites with coordinates, and their cases")
    events: list[OutbreakEventOut]


def _signal(s) -> dict:
    return {
        "id": s.pk,
        "text": s.text,
        "source": s.source,
        "place": s.place.code,
        "date": s.date,
        "condition": s.condition,
        "state": s.state,
        "events": [
            {
                "from_state": e.from_state,
                "to_state": e.to_state,
                "by": e.by.username if e.by else None,
                "at": e.at,
                "note": e.note,
            }
            for e in s.events.select_related("by")
        ],
    }


def _outbreak(user, o) -> dict:
    start, end = svc.period(o)
    points = svc.map_points(o)
    return {
        "id": o.pk,
        "condition": o.condition,
        "area": o.area.code,
        "state": o.state,
        "declared_on": o.declared_on,
        "over_on": o.over_on,
        "alerts": [a.pk for a in o.alerts.all()],
        "signals": [s.pk for s in o.signals.all()],
        "start": start,
        "end": end,
        "cases": svc.case_count(user, o),
        "curve": svc.curve(o),
        "sites": points,
        "events": [
            {
                "what": e.what,
                "to_state": e.to_state,
                "by": e.by.username if e.by else None,
                "at": e.at,
                "note": e.note,
            }
            for e in o.events.all()
        ],
    }


def _denied(exc: PermissionDenied):
    raise HttpError(403, str(exc)) from None


@router.post("/surveillance/signals", response={201: SignalOut}, summary="Report a signal")
def report(request, payload: SignalIn):
    try:
        signal = svc.report_signal(request.auth, payload.model_dump())
    except PermissionDenied as exc:
        _denied(exc)
    return Status(201, _signal(signal))


@router.get("/surveillance/signals", response=list[SignalOut], summary="Signals in your places")
def signals(request, params: Query[StateParams]):
    try:
        rows = svc.visible_signals(request.auth, params.state)[: params.limit]
    except PermissionDenied as exc:
        _denied(exc)
    return [_signal(s) for s in rows]


def _visible_signal(request, signal_id):
    try:
        return get_object_or_404(svc.visible_signals(request.auth), pk=signal_id)
    except PermissionDenied as exc:
        _denied(exc)


@router.get("/surveillance/signals/{signal_id}", response=SignalOut, summary="One signal")
def signal(request, signal_id: int):
    return _signal(_visible_signal(request, signal_id))


@router.post(
    "/surveillance/signals/{signal_id}/transition",
    response=SignalOut,
    summary="Triage, verify or discard a signal",
)
def move_signal(request, signal_id: int, payload: SignalMoveIn):
    found = _visible_signal(request, signal_id)
    try:
        moved = svc.move_signal(request.auth, found, payload.state, payload.note, payload.condition)
    except PermissionDenied as exc:
        _denied(exc)
    return _signal(moved)


@router.get(
    "/surveillance/outbreaks", response=list[OutbreakOut], summary="Outbreaks in your places"
)
def outbreak_list(request, params: Query[StateParams]):
    try:
        rows = svc.visible_outbreaks(request.auth, params.state)[: params.limit]
    except PermissionDenied as exc:
        _denied(exc)
    return [_outbreak(request.auth, o) for o in rows]


@router.post(
    "/surveillance/outbreaks",
    response={201: OutbreakOut},
    summary="Open an outbreak from an alert or a verified signal",
)
def open_outbreak(request, payload: OutbreakIn):
    try:
        if payload.alert is not None:
            found = visible_alerts(request.auth).filter(pk=payload.alert).first()
            if found is None:
                raise ValidationError({"alert": [_("No alert with this number in your places.")]})
            outbreak = svc.open_outbreak(request.auth, alert=found)
        elif payload.signal is not None:
            sig = svc.visible_signals(request.auth).filter(pk=payload.signal).first()
            if sig is None:
                raise ValidationError({"signal": [_("No signal with this number in your places.")]})
            outbreak = svc.open_outbreak(request.auth, signal=sig)
        else:
            raise ValidationError({"alert": [_("Open an outbreak from an alert or a signal.")]})
    except PermissionDenied as exc:
        _denied(exc)
    return Status(201, _outbreak(request.auth, _visible_outbreak(request, outbreak.pk)))


def _visible_outbreak(request, outbreak_id):
    try:
        return get_object_or_404(svc.visible_outbreaks(request.auth), pk=outbreak_id)
    except PermissionDenied as exc:
        _denied(exc)


@router.get("/surveillance/outbreaks/{outbreak_id}", response=OutbreakOut, summary="One outbreak")
def outbreak(request, outbreak_id: int):
    return _outbreak(request.auth, _visible_outbreak(request, outbreak_id))


@router.post(
    "/surveillance/outbreaks/{outbreak_id}/links",
    response=OutbreakOut,
    summary="Add an alert or a verified signal to an outbreak, or remove one",
)
def links(request, outbreak_id: int, payload: LinkIn):
    found = _visible_outbreak(request, outbreak_id)
    try:
        if payload.action == "remove":
            svc.unlink(request.auth, found, alert_id=payload.alert, signal_id=payload.signal)
        elif payload.action == "add":
            svc.link(request.auth, found, alert_id=payload.alert, signal_id=payload.signal)
        else:
            raise ValidationError({"action": [_("Say add or remove.")]})
    except PermissionDenied as exc:
        _denied(exc)
    return _outbreak(request.auth, _visible_outbreak(request, outbreak_id))


@router.post(
    "/surveillance/outbreaks/{outbreak_id}/transition",
    response=OutbreakOut,
    summary="Declare an outbreak or call it over",
)
def move_outbreak(request, outbreak_id: int, payload: OutbreakMoveIn):
    found = _visible_outbreak(request, outbreak_id)
    try:
        svc.move_outbreak(request.auth, found, payload.state, payload.note)
    except PermissionDenied as exc:
        _denied(exc)
    return _outbreak(request.auth, _visible_outbreak(request, outbreak_id))
