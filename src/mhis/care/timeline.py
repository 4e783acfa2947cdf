"""A person's timeline: every kind of record, care and social health protection, newest first."""

from __future__ import annotations

from mhis.protection.models import Enrolment
from mhis.registry.models import Person

from .models import Assessment, Encounter, Immunisation, LabResult, Referral


def timeline(person: Person) -> list[dict]:
    """Everything recorded about the person, newest first: {"type", "date", "record"} each."""
    sources = (
        (
            "encounter",
            "date",
            Encounter.objects.select_related("site").prefetch_related("diagnoses", "payments"),
        ),
        (
            "referral",
            "sent_on",
            Referral.objects.select_related("site", "to_site").prefetch_related("steps"),
        ),
        (
            "assessment",
            "date",
            Assessment.objects.select_related("site").prefetch_related("specimens"),
        ),
        ("immunisation", "date", Immunisation.objects.select_related("site")),
        ("lab_result", "collected_on", LabResult.objects.select_related("site")),
        ("enrolment", "start_date", Enrolment.objects.select_related("site", "scheme")),
    )
    items = [
        {"type": kind, "date": getattr(record, date_field), "record": record}
        for kind, date_field, records in sources
        for record in records.filter(person=person)
    ]
    items.sort(key=lambda item: (item["date"], item["record"].created_at), reverse=True)
    return items
