"""Care API: every care record kind by the same routes (mhis.kinds), referrals' steps, the
lists of overdue referrals and pending assessments, and the person's timeline."""

from datetime import date
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import create_model

from mhis import kinds
from mhis.access.auth import api_auth
from mhis.access.policy import Can, allowed
from mhis.kinds import RecordKind, on_timeline, with_routes
from mhis.registry.shortcuts import person_or_404

from . import assessments, services
from .contracts import ReferralStepInput
from .history import history as record_history
from .models import Referral
from .presentation import assessment_out, change_out, referral_out
from .schemas import AssessmentOut, ChangeOut, ReferralOut
from .shortcuts import record_or_404
from .timeline import timeline

router = Router(tags=["care"], auth=api_auth)

# An item of a person's timeline: its type, its date, and the record under its type's name.
TimelineItem = create_model(
    "TimelineItem",
    __base__=Schema,
    type=(str, ...),
    date=(date, ...),
    **{k.name: (k.output_schema | None, None) for k in on_timeline() if k.output_schema},
)


@router.get(
    "/persons/{person_id}/timeline",
    response=list[TimelineItem],
    summary="Everything recorded about a person",
)
def person_timeline(request, person_id: UUID):
    person = person_or_404(request, person_id, "api:timeline")
    return [
        {
            "type": item["type"],
            "date": item["date"],
            item["type"]: kinds.kind(item["type"]).output(item["record"]),
        }
        for item in timeline(person)
    ]


@router.get(
    "/referrals/overdue",
    response=list[ReferralOut],
    summary="Open referrals past their expected date",
)
def list_overdue(request):
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
def add_referral_step(request, referral_id: int, payload: ReferralStepInput):
    referral = record_or_404(request, Referral, referral_id, "api:referral_step")
    return referral_out(services.advance_referral(request.user, referral, payload))


@router.get(
    "/assessments/pending",
    response=list[AssessmentOut],
    summary="Assessments at your sites that are not complete",
)
def list_pending(request):
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
    name, plural, schema_out, to_out = kind.name, kind.plural, kind.output_schema, kind.output
    model, contract = kind.model, kind.contract
    many, one = str(model._meta.verbose_name_plural), str(model._meta.verbose_name)

    @router.get(f"/persons/{{person_id}}/{plural}", response=list[schema_out],
                summary=f"A person's {many}", operation_id=f"list_{name}")  # fmt: skip
    def list_records(request, person_id: UUID):
        person = person_or_404(request, person_id, f"api:{name}_list")
        return [to_out(r) for r in kind.records_of(person).select_related("person")]

    @router.post(f"/persons/{{person_id}}/{plural}", response={201: schema_out},
                 summary=f"Record {one}", operation_id=f"create_{name}")  # fmt: skip
    def create(request, person_id: UUID, payload: contract):
        person = person_or_404(request, person_id, f"api:{name}_create")
        return Status(201, to_out(kind.create(request.user, person, payload)))

    @router.get(f"/{plural}/{{record_id}}", response=schema_out, summary=f"One {one}",
                operation_id=f"read_{name}")  # fmt: skip
    def read(request, record_id: int):
        return to_out(record_or_404(request, model, record_id, f"api:{name}_read"))

    @router.patch(f"/{plural}/{{record_id}}", response=schema_out, summary=f"Change {one}",
                  operation_id=f"update_{name}")  # fmt: skip
    def update(request, record_id: int, payload: kind.change_contract or contract.update()):
        record = record_or_404(request, model, record_id, f"api:{name}_update")
        return to_out(kind.update(request.user, record, payload))

    @router.get(f"/{plural}/{{record_id}}/history", response=list[ChangeOut],
                summary=f"Changes to {one}", operation_id=f"history_{name}")  # fmt: skip
    def history_of_record(request, record_id: int):
        record = record_or_404(request, model, record_id, f"api:{name}_history")
        return [change_out(c) for c in record_history(record)]


# Routes with a fixed path (above) come before a record's, so "overdue" is not read as an id.
for _kind in with_routes():
    _record_routes(_kind)
