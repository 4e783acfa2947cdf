"""API for what twins across a border shared with us (docs/decisions/0032): the list, one
shared item, and its acknowledgement. Handlers only translate HTTP; the rules live in
`services`. The content is the snapshot as sent: aggregate, never a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from mhis.access.auth import api_auth
from mhis.schemas import Input

from . import services as svc
from .models import Share

router = Router(tags=["across borders"], auth=api_auth)


class ShareOut(Schema):
    id: int
    kind: str
    from_place: str
    from_country: str
    to_place: str
    shared_by: str | None
    shared_at: dt.datetime
    content: dict[str, Any]
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    reply: str


class ListParams(Schema):
    state: str | None = Field(None, description="unacknowledged or acknowledged")
    limit: int = Field(100, ge=1, le=1000)


class AcknowledgeIn(Input):
    reply: str = Field("", description="an optional reply to the sender; name no one")


def _out(row: Share) -> dict:
    return {
        "id": row.pk,
        "kind": row.kind,
        "from_place": row.content.get("place", ""),
        "from_country": row.content.get("country", ""),
        "to_place": row.to_place.name,
        "shared_by": row.shared_by.username if row.shared_by else None,
        "shared_at": row.shared_at,
        "content": row.content,
        "acknowledged_by": row.acknowledged_by.username if row.acknowledged_by else None,
        "acknowledged_at": row.acknowledged_at,
        "reply": row.reply,
    }


def _visible(request, share_id: int) -> Share:
    try:
        return svc.visible_share(request.auth, share_id)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except Share.DoesNotExist:
        raise HttpError(404, "Not Found") from None


@router.get(
    "/crossborder/shared-with-us",
    response=list[ShareOut],
    summary="What twins across a border shared with your places",
)
def shared_with_us(request, params: Query[ListParams]):
    try:
        rows = svc.shared_with_us(request.auth, params.state)[: params.limit]
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    return [_out(r) for r in rows]


@router.get("/crossborder/shares/{share_id}", response=ShareOut, summary="One shared item")
def one(request, share_id: int):
    return _out(_visible(request, share_id))


@router.post(
    "/crossborder/shares/{share_id}/acknowledge",
    response=ShareOut,
    summary="Acknowledge what a twin shared (once; a repeat changes nothing)",
)
def acknowledge(request, share_id: int, payload: AcknowledgeIn):
    row = _visible(request, share_id)
    try:
        row, _done = svc.acknowledge(request.auth, row, payload.reply)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    return _out(row)
