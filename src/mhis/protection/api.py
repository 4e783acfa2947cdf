"""Social health protection API: schemes, enrolments, and payments for encounters."""

from datetime import date, datetime
from uuid import UUID

from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status

from mhis.access.auth import api_auth
from mhis.care.history import history
from mhis.care.models import Encounter
from mhis.care.presentation import change_out
from mhis.care.schemas import ChangeOut
from mhis.care.shortcuts import record_or_404
from mhis.registry.shortcuts import person_or_404

from . import services
from .contracts import EnrolmentChange, EnrolmentInput, PaymentChange, PaymentInput, SchemeInput
from .models import Enrolment, Payment, Scheme

router = Router(tags=["social health protection"], auth=api_auth)


class SchemeOut(Schema):
    code: str
    name: str
    country: str
    type: str
    active: bool


class EnrolmentOut(Schema):
    id: int
    person: str
    scheme: SchemeOut
    site: str
    member_number: str
    start_date: date
    end_date: date | None
    covers_today: bool


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
def create_scheme(request, payload: SchemeInput):
    return Status(201, _scheme(services.create_scheme(request.user, payload)))


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
def create_enrolment(request, person_id: UUID, payload: EnrolmentInput):
    person = person_or_404(request, person_id, "api:enrolment_create")
    return Status(
        201,
        enrolment_out(services.enrol(request.user, person, payload)),
    )


def _enrolment(request, enrolment_id: int, view: str) -> Enrolment:
    return record_or_404(request, Enrolment, enrolment_id, view)


@router.get("/enrolments/{enrolment_id}", response=EnrolmentOut, summary="An enrolment")
def read_enrolment(request, enrolment_id: int):
    return enrolment_out(_enrolment(request, enrolment_id, "api:enrolment_read"))


@router.patch(
    "/enrolments/{enrolment_id}", response=EnrolmentOut, summary="Change an enrolment, e.g. its end"
)
def change_enrolment(request, enrolment_id: int, payload: EnrolmentChange):
    enrolment = _enrolment(request, enrolment_id, "api:enrolment_update")
    return enrolment_out(services.update_enrolment(request.user, enrolment, payload))


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
def create_payment(request, encounter_id: int, payload: PaymentInput):
    encounter = record_or_404(request, Encounter, encounter_id, "api:payment_create")
    return Status(
        201,
        payment_out(services.record_payment(request.user, encounter, payload)),
    )


@router.get("/payments/{payment_id}", response=PaymentOut, summary="A payment")
def read_payment(request, payment_id: int):
    return payment_out(record_or_404(request, Payment, payment_id, "api:payment_read"))


@router.patch("/payments/{payment_id}", response=PaymentOut, summary="Correct a payment")
def change_payment(request, payment_id: int, payload: PaymentChange):
    payment = record_or_404(request, Payment, payment_id, "api:payment_update")
    return payment_out(services.update_payment(request.user, payment, payload))


@router.get(
    "/payments/{payment_id}/history", response=list[ChangeOut], summary="Changes to a payment"
)
def payment_history(request, payment_id: int):
    return [
        change_out(c)
        for c in history(record_or_404(request, Payment, payment_id, "api:payment_history"))
    ]
