"""Linkage API: the review queue and decisions. Handlers only translate HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from mhis.access.auth import api_auth
from mhis.registry.presentation import person_summary
from mhis.registry.search import log_listed
from mhis.schemas import Input

from . import merges, services
from .models import LinkRun
from .tasks import start_linkage

router = Router(tags=["linkage"], auth=api_auth)


class PersonBrief(Schema):
    id: str
    name: str
    name_latin: str
    sex: str
    birth_date: str | None
    nationality: str
    registration_site: dict[str, str]


class PairOut(Schema):
    id: int
    run: int
    probability: float = Field(description="from the comparisons in `evidence` and the prior")
    weight: float = Field(description="match weight (bits) of the comparisons in `evidence`")
    evidence: dict[str, float] = Field(
        description="comparison -> match weight; above 0 agreed. For a role that may not see "
        "migration status, without the comparisons of migration episodes and identifier types"
    )
    complete: bool = Field(description="whether every comparison of the pair is in `evidence`")
    status: str
    left: PersonBrief
    right: PersonBrief


class QueueParams(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=500)
    place: str = Field("", max_length=64, description="a place's code: pairs known under it")
    script: str = Field("", max_length=4, description="the names' script (ISO 15924)")
    order: Literal["probability", "newest"] = "probability"


class PairPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[PairOut]


class RunIn(Input):
    scope: Literal["new", "all"] = Field(
        "new", description="new records against the registry, or the whole registry"
    )


class RunOut(Schema):
    id: int
    scope: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    records: int
    pairs: int
    new_pairs: int
    merged: int
    error: str


class QueuedOut(Schema):
    task: str


class DecisionIn(Input):
    decision: str = Field(description='"same" (merges the later record) or "different"')
    note: str = ""


class DecisionOut(Schema):
    id: int
    status: str
    decided_at: datetime | None


def _brief(person) -> dict:
    data = person_summary(person)
    data["id"] = str(data["id"])
    return data


@router.get("/linkage/pairs", response=PairPage, summary="Pairs waiting for review")
def queue(request, params: Query[QueueParams]):
    try:
        filters = services.queue_filters(request.auth, params.dict())
        queued = services.review_queue(request.auth, **filters)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    start = (params.page - 1) * params.page_size
    pairs = list(queued[start : start + params.page_size])
    count = queued.count() if pairs or start else 0
    log_listed(request.auth, [p.left for p in pairs] + [p.right for p in pairs], "linkage")
    out = []
    for p in pairs:
        shown = services.shown_evidence(request.auth, p)
        out.append(
            {
                "id": p.pk,
                "run": p.run_id,
                "probability": shown.probability,
                "weight": shown.weight,
                "evidence": shown.comparisons,
                "complete": shown.complete,
                "status": p.status,
                "left": _brief(p.left),
                "right": _brief(p.right),
            }
        )
    return {"count": count, "page": params.page, "page_size": params.page_size, "results": out}


@router.get("/linkage/runs", response=list[RunOut], summary="The latest linkage runs")
def runs(request):
    try:
        merges._require_admin(request.auth)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    return list(LinkRun.objects.all()[:20])


@router.post("/linkage/runs", response={202: QueuedOut}, summary="Start a linkage run")
def start(request, payload: RunIn):
    try:
        result = start_linkage(request.auth, scope=payload.scope)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    return 202, {"task": str(result.id)}


@router.post("/linkage/pairs/{pair_id}/decision", response=DecisionOut, summary="Decide a pair")
def decision(request, pair_id: int, payload: DecisionIn):
    try:
        pair = get_object_or_404(services.visible_pairs(request.auth), pk=pair_id)
        pair = services.decide(request.auth, pair, payload.decision, payload.note)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    return {"id": pair.pk, "status": pair.status, "decided_at": pair.decided_at}
