"""Social health protection API: schemes, enrolments, and payments for encounters."""

from datetime import date, datetime
from uuid import UUID

from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from mhis.access.auth import api_auth
from mhis.care.history import history
from mhis.care.models import Encounter
from mhis.care.presentation import change_out
from mhis.care.schemas import ChangeOut
from mhis.care.shortcuts import record_or_404
from mhis.registry.shortcuts import person_or_404
from mhis.schemas import Input

from . import services
from .models import Enrolment, Payment, Scheme

router = Router(tags=["social health protection"], auth=api_auth)


class _In(Input):
    model_config = ConfigDict(extra="forbid")


class SchemeIn(_In):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    country: str
    type: str = Field(description="national | migrant | community | programme")


class SchemeOut(Schema):
    code: str
    name: str
    country: str
    type: str
    active: bool


class EnrolmentIn(_In):
    scheme: str = Field(description="Code of an active scheme")
    site: str = Field(description="Code of a site in your places")
    member_number: str | None = Field(None, max_length=60)
    start_date: str = Field(description="YYYY-MM-DD")
    end_date: str | None = None


class EnrolmentPatch(_In):
    scheme: str | None = None
    site: str | None = None
    member_number: str | None = Field(None, max_length=60)
    start_date: str | None = None
    end_date: str | None = None


class EnrolmentOut(Schema):
    id: int
    person: str
    scheme: SchemeOut
    site: str
    member_number: str
    start_date: date
    end_date: date | None
    covers_today: bool


class PaymentIn(_In):
    amount: str | float = Field(description="Not negative")
    currency: str | None = Field(None, description="ISO 4217; the encounter's when absent")
    payer: str | None = Field(
        None, description="patient (default) | insurance | programme | employer | waived | other"
    )
    paid_on: str | None = Field(None, description="YYYY-MM-DD; today when absent")


class PaymentOut(Schema):
    id: int
    encounter: int
    amount: str
    currency: str
    payer: str
    paid_on: date
    created_at: datetime


def _scheme(s: Scheme) -> dict:
    return {
        "code": s.code,
        "name": s.name,
        "country": s.country,
        "type": s.type,
        "active": s.active,
    }


def enrolment_out(e: Enrolment) -> dict:
    return {
        "id": e.pk,
        "person": str(e.person.uuid),
        "scheme": _scheme(e.scheme),
        "site": e.site.code,
        "member_number": e.member_number,
        "start_date": e.start_date,
        "end_date": e.end_date,
        "covers_today": e.covers(timezone.localdate()),
    }


def payment_out(p: Payment) -> dict:
    return {
        "id": p.pk,
        "encounter": p.encounter_id,
        "amount": str(p.amount),
        "currency": p.currency,
        "payer": p.payer,
        "paid_on": p.paid_on,
        "created_at": p.created_at,
    }


@router.get("/schemes", response=list[SchemeOut], summary="Social health protection schemes")
def list_schemes(request):
    return [_scheme(s) for s in Scheme.objects.filter(active=True)]


@router.post("/schemes", response={201: SchemeOut}, summary="Add a scheme (administrators)")
def create_scheme(request, payload: SchemeIn):
    return Status(201, _scheme(services.create_scheme(request.user, payload.model_dump())))


@router.get(
    "/persons/{person_id}/enrolments", response=list[EnrolmentOut], summary="A person's enrolments"
)
def list_enrolments(request, person_id: UUID):
    person = person_or_404(request, person_id, "api:enrolments_list")
    return [enrolment_out(e) for e in services.enrolments_of(person)]


@router.post(
    "/persons/{person_id}/enrolments",
    response={201: EnrolmentOut},
    summary="Enrol a person in a scheme",
)
def create_enrolment(request, person_id: UUID, payload: EnrolmentIn):
    person = person_or_404(request, person_id, "api:enrolment_create")
    return Status(
        201,
        enrolment_out(services.enrol(request.user, person, payload.model_dump(exclude_unset=True))),
    )


def _enrolment(request, enrolment_id: int, view: str) -> Enrolment:
    return record_or_404(request, Enrolment, enrolment_id, view)


@router.get("/enrolments/{enrolment_id}", response=EnrolmentOut, summary="An enrolment")
def read_enrolment(request, enrolment_id: int):
    return enrolment_out(_enrolment(request, enrolment_id, "api:enrolment_read"))


@router.patch(
    "/enrolments/{enrolment_id}", response=EnrolmentOut, summary="Change an enrolment, e.g. its end"
)
def change_enrolment(request, enrolment_id: int, payload: EnrolmentPatch):
    enrolment = _enrolment(request, enrolment_id, "api:enrolment_update")
    return enrolment_out(
        services.update_enrolment(request.user, enrolment, payload.model_dump(exclude_unset=True))
    )


@router.get(
    "/enrolments/{enrolment_id}/history",
    response=list[ChangeOut],
    summary="Changes to an enrolment",
)
def enrolment_history(request, enrolment_id: int):
    return [
        change_out(c) for c in history(_enrolment(request, enrolment_id, "api:enrolment_history"))
    ]


@router.get(
    "/encounters/{encounter_id}/payments",
    response=list[PaymentOut],
    summary="Payments for an encounter",
)
def list_payments(request, encounter_id: int):
    encounter = record_or_404(request, Encounter, encounter_id, "api:payments_list")
    return [payment_out(p) for p in encounter.payments.all()]


@router.post(
    "/encounters/{encounter_id}/payments", response={201: PaymentOut}, summary="Record a payment"
)
def create_payment(request, encounter_id: int, payload: PaymentIn):
    encounter = record_or_404(request, Encounter, encounter_id, "api:payment_create")
    return Status(
        201,
        payment_out(
            services.record_payment(request.user, encounter, payload.model_dump(exclude_unset=True))
        ),
    )


class PaymentPatch(_In):
    amount: str | float | None = None
    currency: str | None = None
    payer: str | None = None
    paid_on: str | None = None


@router.get("/payments/{payment_id}", response=PaymentOut, summary="A payment")
def read_payment(request, payment_id: int):
    return payment_out(record_or_404(request, Payment, payment_id, "api:payment_read"))


@router.patch("/payments/{payment_id}", response=PaymentOut, summary="Correct a payment")
def change_payment(request, payment_id: int, payload: PaymentPatch):
    payment = record_or_404(request, Payment, payment_id, "api:payment_update")
    return payment_out(
        services.update_payment(request.user, payment, payload.model_dump(exclude_unset=True))
    )


@router.get(
    "/payments/{payment_id}/history", response=list[ChangeOut], summary="Changes to a payment"
)
def payment_history(request, payment_id: int):
    return [
        change_out(c)
        for c in history(record_or_404(request, Payment, payment_id, "api:payment_history"))
    ]
