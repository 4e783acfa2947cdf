"""Care API: every care record kind by the same routes (mhis.kinds), referrals' steps, the
lists of overdue referrals and pending assessments, and the person's timeline."""

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias, cast
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.db.models import Model
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import Field, create_model

from mhis import kinds
from mhis.access.auth import api_auth
from mhis.access.policy import Can, allowed
from mhis.contracts import Contract
from mhis.kinds import RecordKind, on_timeline, with_routes
from mhis.registry.shortcuts import person_or_404

from . import assessments, services
from .contracts import ReferralStepInput
from .history import history as record_history
from .models import Referral
from .presentation import assessment_out, change_out, referral_out
from .schemas import AssessmentOut, ChangeOut, ReferralOut
from .shortcuts import record_or_404
from .timeline import timeline_page

if TYPE_CHECKING:
    from mhis.access.views import AuthenticatedHttpRequest

    from .history import PersonsRecord

# A kind's writers and what the API shows of its records: `with_routes()` gives kinds that
# have them.
_Write = Callable[..., Model]
_Out = Callable[[Model], dict[str, Any]]

router = Router(tags=["care"], auth=api_auth)
TIMELINE_PAGE_SIZE = 50  # items of a timeline's page unless the caller says otherwise

# An item of a person's timeline: its type, its date, and the record under its type's name.
# Its fields' types are Any: mypy checks a dict given as keywords against every keyword of
# create_model (`__config__` too).
_TIMELINE_FIELDS: dict[str, Any] = {
    k.name: (k.output_schema | None, None) for k in on_timeline() if k.output_schema
}
TimelineItem = create_model(
    "TimelineItem", __base__=Schema, type=(str, ...), date=(date, ...), **_TIMELINE_FIELDS
)


class TimelineParams(Schema):
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(
        TIMELINE_PAGE_SIZE,
        ge=1,
        le=settings.MHIS_MAX_PAGE_SIZE,
        description='Items a page; a `Link` header (rel="next") gives the next page',
    )


@router.get(
    "/persons/{person_id}/timeline",
    response=list[TimelineItem],
    summary="Everything recorded about a person, newest first, a page at a time",
    description="A page of the person's records of every kind, newest first. When there are "
    'more, the answer carries `Link: <…?page=N&page_size=M>; rel="next"`.',
)
def person_timeline(
    request: "AuthenticatedHttpRequest",
    response: HttpResponse,
    person_id: UUID,
    params: Query[TimelineParams],
) -> list[dict[str, Any]]:
    person = person_or_404(request, person_id, "api:timeline")
    size = params.page_size
    items = timeline_page(person, start=(params.page - 1) * size, size=size + 1)
    if len(items) > size:
        items = items[:size]
        following = urlencode({"page": params.page + 1, "page_size": size})
        response["Link"] = f'<{request.path}?{following}>; rel="next"'
    return [
        {
            "type": item["type"],
            "date": item["date"],
            item["type"]: cast(_Out, kinds.kind(item["type"]).output)(item["record"]),
        }
        for item in items
    ]


@router.get(
    "/referrals/overdue",
    response=list[ReferralOut],
    summary="Open referrals past their expected date",
)
def list_overdue(request: "AuthenticatedHttpRequest") -> list[dict[str, Any]]:
    if not allowed(request.user, Can.READ_PERSON):
        raise HttpError(403, _("Your role cannot see individual records."))
    referrals = services.overdue_referrals(request.user).prefetch_related("steps")
    return [
        referral_out(r)
        for r in services.shown_rows(request.user, referrals, view="api:referrals_overdue")
    ]


@router.post(
    "/referrals/{referral_id}/steps",
    response=ReferralOut,
    summary="Move a referral to its next status",
)
def add_referral_step(
    request: "AuthenticatedHttpRequest", referral_id: int, payload: ReferralStepInput
) -> dict[str, Any]:
    referral = record_or_404(request, Referral, referral_id, "api:referral_step")
    return referral_out(services.advance_referral(request.user, referral, payload))


@router.get(
    "/assessments/pending",
    response=list[AssessmentOut],
    summary="Assessments at your sites that are not complete",
)
def list_pending(request: "AuthenticatedHttpRequest") -> list[dict[str, Any]]:
    if not allowed(request.user, Can.READ_PERSON):
        raise HttpError(403, _("Your role cannot see individual records."))
    pending = assessments.pending_assessments(request.user)
    return [
        assessment_out(a)
        for a in services.shown_rows(request.user, pending, view="api:assessments_pending")
    ]


def _record_routes(kind: RecordKind) -> None:
    """A person's records of `kind` listed and added, a record read, changed and its history:
    the same five routes for every kind the registry gives a path (mhis.kinds)."""
    name, plural, to_out = kind.name, kind.plural, cast(_Out, kind.output)
    create_record, update_record = cast(_Write, kind.create), cast(_Write, kind.update)
    model = kind.model
    # The kind's own schemas and contracts: the API reads them where it finds them, in the
    # routes' responses and the handlers' annotations; the type checker reads what they are.
    if TYPE_CHECKING:
        SchemaOut: TypeAlias = Schema
        Payload: TypeAlias = Contract
        ChangePayload: TypeAlias = Contract
    else:
        SchemaOut = kind.output_schema
        Payload = kind.contract
    many, one = str(model._meta.verbose_name_plural), str(model._meta.verbose_name)

    @router.get(
        f"/persons/{{person_id}}/{plural}",
        response=list[SchemaOut],
        summary=f"A person's {many}",
        operation_id=f"list_{name}",
    )
    def list_records(request: "AuthenticatedHttpRequest", person_id: UUID) -> list[dict[str, Any]]:
        person = person_or_404(request, person_id, f"api:{name}_list")
        return [to_out(r) for r in kind.records_of(person).select_related("person")]

    @router.post(
        f"/persons/{{person_id}}/{plural}",
        response={201: SchemaOut},
        summary=f"Record {one}",
        operation_id=f"create_{name}",
    )
    def create(
        request: "AuthenticatedHttpRequest", person_id: UUID, payload: Payload
    ) -> Status[dict[str, Any]]:
        person = person_or_404(request, person_id, f"api:{name}_create")
        return Status(201, to_out(create_record(request.user, person, payload)))

    @router.get(
        f"/{plural}/{{record_id}}",
        response=SchemaOut,
        summary=f"One {one}",
        operation_id=f"read_{name}",
    )
    def read(request: "AuthenticatedHttpRequest", record_id: int) -> dict[str, Any]:
        return to_out(record_or_404(request, model, record_id, f"api:{name}_read"))

    if not TYPE_CHECKING:
        ChangePayload = kind.change_contract or Payload.update()

    @router.patch(
        f"/{plural}/{{record_id}}",
        response=SchemaOut,
        summary=f"Change {one}",
        operation_id=f"update_{name}",
    )
    def update(
        request: "AuthenticatedHttpRequest", record_id: int, payload: ChangePayload
    ) -> dict[str, Any]:
        record = record_or_404(request, model, record_id, f"api:{name}_update")
        return to_out(update_record(request.user, record, payload))

    @router.get(
        f"/{plural}/{{record_id}}/history",
        response=list[ChangeOut],
        summary=f"Changes to {one}",
        operation_id=f"history_{name}",
    )
    def history_of_record(
        request: "AuthenticatedHttpRequest", record_id: int
    ) -> list[dict[str, Any]]:
        record = record_or_404(request, model, record_id, f"api:{name}_history")
        return [change_out(c) for c in record_history(cast("PersonsRecord", record))]


# Routes with a fixed path (above) come before a record's, so "overdue" is not read as an id.
for _kind in with_routes():
    _record_routes(_kind)
