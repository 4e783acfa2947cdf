"""Schemes, enrolments and payments: the write layer and the coverage questions.

Enrolments and payments keep their history in care.RecordChange, like care records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, require
from mhis.care.codes import Payer
from mhis.care.history import apply_changes, log_change
from mhis.care.models import Encounter, RecordChange
from mhis.codelists import normalise_country
from mhis.events import announce
from mhis.input import (
    begin,
    clean_choice,
    clean_currency,
    clean_date,
    clean_money,
    clean_text,
    not_before_birth,
    own_site,
)
from mhis.registry.models import Person, PersonSite
from mhis.registry.services import link_site

from .models import Enrolment, Payment, Scheme, SchemeType


@transaction.atomic
def create_scheme(user, data: Mapping[str, Any]) -> Scheme:
    """Add a scheme (administrators only)."""
    require(user, Can.MANAGE_SCHEMES)
    errors = begin(data, ("code", "name", "country", "type"))
    code = clean_text(data.get("code"), "code", errors, required=True, limit=40)
    if code and Scheme.objects.filter(code=code).exists():
        errors.add("code", _("A scheme with this code already exists."))
    name = clean_text(data.get("name"), "name", errors, required=True, limit=200)
    try:
        country = normalise_country(data.get("country") or "")
    except ValueError as exc:
        errors.add("country", str(exc))
        country = ""
    kind = clean_choice(data.get("type"), "type", errors, SchemeType)
    errors.check()
    return Scheme.objects.create(code=code, name=name, country=country, type=kind)


ENROLMENT_FIELDS = ("scheme", "site", "member_number", "start_date", "end_date")


def _clean_enrolment(
    user, person: Person, data: Mapping[str, Any], enrolment: Enrolment | None
) -> dict:
    errors = begin(data, ENROLMENT_FIELDS)
    partial = enrolment is not None
    out: dict[str, Any] = {}

    def given(field):
        return field in data or not partial

    if given("scheme"):
        scheme = (
            Scheme.objects.filter(code=data.get("scheme"), active=True).first()
            if isinstance(data.get("scheme"), str)
            else None
        )
        if scheme is None:
            errors.add("scheme", _("No active scheme with this code."))
        out["scheme"] = scheme
    if given("site"):
        out["site"] = own_site(user, data.get("site"), "site", errors)
    if given("member_number"):
        out["member_number"] = clean_text(
            data.get("member_number"), "member_number", errors, limit=60
        )
    if given("start_date"):
        out["start_date"] = clean_date(data.get("start_date"), "start_date", errors, required=True)
        not_before_birth(person, out["start_date"], "start_date", errors)
    if given("end_date"):
        out["end_date"] = clean_date(data.get("end_date"), "end_date", errors, future=True)
    start = out.get("start_date") or (enrolment.start_date if enrolment else None)
    end = out.get("end_date", enrolment.end_date if enrolment else None)
    if start and end and end < start:
        errors.add("end_date", _("Coverage cannot end before it starts."))
    scheme = out.get("scheme") or (enrolment.scheme if enrolment else None)
    if scheme and start and not errors:
        overlapping = Enrolment.objects.filter(person=person, scheme=scheme).exclude(
            pk=getattr(enrolment, "pk", None)
        )
        for other in overlapping:
            if other.start_date <= (end or date.max) and start <= (other.end_date or date.max):
                errors.add(
                    "start_date",
                    _("The person is already enrolled in this scheme for part of this period."),
                )
                break
    errors.check()
    return out


@transaction.atomic
def enrol(user, person: Person, data: Mapping[str, Any]) -> Enrolment:
    """Enrol a person in a scheme for a coverage period."""
    require(user, Can.WRITE_PERSON)
    fields = _clean_enrolment(user, person, data, None)
    enrolment = Enrolment(person=person, recorded_by=user)
    changes = apply_changes(enrolment, fields)
    enrolment.save()
    changes.pop("member_number", None)  # an identifier: kept out of the history in clear
    log_change(user, enrolment, RecordChange.Action.CREATED, changes)
    announce(enrolment, people=[person.pk])
    link_site(person, enrolment.site, PersonSite.Reason.SEEN)
    return enrolment


@transaction.atomic
def update_enrolment(user, enrolment: Enrolment, data: Mapping[str, Any]) -> Enrolment:
    """Change an enrolment (e.g. record when coverage ended), keeping the history."""
    require(user, Can.WRITE_PERSON)
    enrolment = Enrolment.objects.select_for_update().select_related("person").get(pk=enrolment.pk)
    fields = _clean_enrolment(user, enrolment.person, data, enrolment)
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


PAYMENT_FIELDS = ("amount", "currency", "payer", "paid_on")


def _clean_payment(encounter: Encounter, data: Mapping[str, Any], payment: Payment | None) -> dict:
    errors = begin(data, PAYMENT_FIELDS)
    partial = payment is not None
    out: dict[str, Any] = {}
    if "amount" in data or not partial:
        out["amount"] = clean_money(data.get("amount"), "amount", errors)
        if out["amount"] is None and "amount" not in errors:
            errors.add("amount", _("This field is required."))
    if "currency" in data or not partial:
        out["currency"] = clean_currency(
            data.get("currency") or encounter.currency, "currency", errors
        )
        if not out["currency"] and "currency" not in errors:
            errors.add("currency", _("This field is required."))
    if "payer" in data or not partial:
        out["payer"] = clean_choice(data.get("payer"), "payer", errors, Payer, Payer.PATIENT)
    if "paid_on" in data or not partial:
        out["paid_on"] = clean_date(
            data.get("paid_on") or timezone.localdate(), "paid_on", errors, required=True
        )
        if out["paid_on"] and out["paid_on"] < encounter.date:
            errors.add("paid_on", _("A payment for an encounter is not made before the encounter."))
    errors.check()
    return out


def _summary(payment: Payment) -> str:
    return f"{payment.amount} {payment.currency} ({payment.payer}, {payment.paid_on})"


@transaction.atomic
def record_payment(user, encounter: Encounter, data: Mapping[str, Any]) -> Payment:
    """Record money paid for an encounter; the patient's payments are out-of-pocket."""
    require(user, Can.WRITE_PERSON)
    payment = Payment(encounter=encounter, recorded_by=user)
    changes = apply_changes(payment, _clean_payment(encounter, data, None))
    payment.save()
    log_change(user, payment, RecordChange.Action.CREATED, changes)
    announce(payment, days=[encounter.date])
    log_change(user, encounter, RecordChange.Action.UPDATED, {"payment": [None, _summary(payment)]})
    return payment


@transaction.atomic
def update_payment(user, payment: Payment, data: Mapping[str, Any]) -> Payment:
    """Correct a payment; the payment's and its encounter's histories keep the old values."""
    require(user, Can.WRITE_PERSON)
    payment = Payment.objects.select_for_update().select_related("encounter").get(pk=payment.pk)
    before = _summary(payment)
    changes = apply_changes(payment, _clean_payment(payment.encounter, data, payment))
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
