"""Schemes, enrolments and payments: the write layer and the coverage questions.

Input is the write's contract (protection.contracts), or a plain dict checked by it with the
writer, the person and the encounter as context; problems are raised as one ValidationError
keyed by field. Enrolments and payments keep their history in care.RecordChange, like care
records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from mhis.access.policy import Can, require
from mhis.care.codes import Payer
from mhis.care.history import apply_changes, log_change
from mhis.care.models import Encounter, RecordChange
from mhis.events import announce
from mhis.registry.models import Person, PersonSite
from mhis.registry.services import link_site

from .contracts import EnrolmentInput, PaymentInput, SchemeInput
from .models import Enrolment, Payment, Scheme


@transaction.atomic
def create_scheme(user, data: SchemeInput | Mapping[str, Any]) -> Scheme:
    """Add a scheme (administrators only)."""
    require(user, Can.MANAGE_SCHEMES)
    return Scheme.objects.create(**SchemeInput.check(data, user=user).given())


ENROLMENT_FIELDS = EnrolmentInput.columns()


@transaction.atomic
def enrol(user, person: Person, data: EnrolmentInput | Mapping[str, Any]) -> Enrolment:
    """Enrol a person in a scheme for a coverage period."""
    require(user, Can.WRITE_PERSON)
    fields = EnrolmentInput.check(data, user=user, person=person).given()
    enrolment = Enrolment(person=person, recorded_by=user)
    changes = apply_changes(enrolment, fields)
    enrolment.save()
    changes.pop("member_number", None)  # an identifier: kept out of the history in clear
    log_change(user, enrolment, RecordChange.Action.CREATED, changes)
    announce(enrolment, people=[person.pk])
    link_site(person, enrolment.site, PersonSite.Reason.SEEN)
    return enrolment


@transaction.atomic
def update_enrolment(
    user, enrolment: Enrolment, data: EnrolmentInput | Mapping[str, Any]
) -> Enrolment:
    """Change an enrolment (e.g. record when coverage ended), keeping the history."""
    require(user, Can.WRITE_PERSON)
    enrolment = Enrolment.objects.select_for_update().select_related("person").get(pk=enrolment.pk)
    fields = EnrolmentInput.check(
        data, update=True, user=user, person=enrolment.person, record=enrolment
    ).given()
    changes = apply_changes(enrolment, fields)
    if "member_number" in changes:
        changes["member_number"] = ["…", "…"]
    enrolment.save()
    log_change(user, enrolment, RecordChange.Action.UPDATED, changes)
    announce(enrolment, people=[enrolment.person_id])
    if "site" in fields:
        link_site(enrolment.person, enrolment.site, PersonSite.Reason.SEEN)
    return enrolment


def enrolments_of(person: Person) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(person=person).select_related("scheme", "site", "person")


PAYMENT_FIELDS = PaymentInput.columns()


def _payment_fields(user, encounter: Encounter, data, payment: Payment | None = None) -> dict:
    """The checked fields (an empty currency is the encounter's)."""
    checked = PaymentInput.check(
        data,
        update=payment is not None,
        user=user,
        encounter=encounter,
        record=payment,
    )
    return checked.given()


def _summary(payment: Payment) -> str:
    return f"{payment.amount} {payment.currency} ({payment.payer}, {payment.paid_on})"


@transaction.atomic
def record_payment(user, encounter: Encounter, data: PaymentInput | Mapping[str, Any]) -> Payment:
    """Record money paid for an encounter; the patient's payments are out-of-pocket."""
    require(user, Can.WRITE_PERSON)
    payment = Payment(encounter=encounter, recorded_by=user)
    changes = apply_changes(payment, _payment_fields(user, encounter, data))
    payment.save()
    log_change(user, payment, RecordChange.Action.CREATED, changes)
    announce(payment, days=[encounter.date])
    log_change(user, encounter, RecordChange.Action.UPDATED, {"payment": [None, _summary(payment)]})
    return payment


@transaction.atomic
def update_payment(user, payment: Payment, data: PaymentInput | Mapping[str, Any]) -> Payment:
    """Correct a payment; the payment's and its encounter's histories keep the old values."""
    require(user, Can.WRITE_PERSON)
    payment = Payment.objects.select_for_update().select_related("encounter").get(pk=payment.pk)
    before = _summary(payment)
    changes = apply_changes(payment, _payment_fields(user, payment.encounter, data, payment))
    payment.save()
    log_change(user, payment, RecordChange.Action.UPDATED, changes)
    announce(payment, days=[payment.encounter.date])
    if changes:
        log_change(
            user,
            payment.encounter,
            RecordChange.Action.UPDATED,
            {"payment": [before, _summary(payment)]},
        )
    return payment


def out_of_pocket(encounters) -> dict[str, dict[str, str]]:
    """Per currency: total paid, and paid by patients themselves, over `encounters`."""
    totals: dict[str, dict] = {}
    for payment in Payment.objects.filter(encounter__in=encounters):
        row = totals.setdefault(payment.currency, {"total": 0, "patient": 0})
        row["total"] += payment.amount
        if payment.payer == Payer.PATIENT:
            row["patient"] += payment.amount
    return {c: {"total": str(v["total"]), "patient": str(v["patient"])} for c, v in totals.items()}
