"""A person's timeline: every kind of record, care and social health protection, newest first.

Care's own records are listed here; another app adds its kind of record with `add_source` in
its `AppConfig.ready()` (social health protection adds enrolments), so care imports no app
above it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

from mhis.registry.models import Person

from .models import Assessment, Encounter, Immunisation, LabResult, Referral

# kind → (the field that dates it, its records with what the timeline shows of them)
SOURCES: dict[str, tuple[str, Callable[[], QuerySet]]] = {
    "encounter": (
        "date",
        lambda: Encounter.objects.select_related("site").prefetch_related("diagnoses", "payments"),
    ),
    "referral": (
        "sent_on",
        lambda: Referral.objects.select_related("site", "to_site").prefetch_related("steps"),
    ),
    "assessment": (
        "date",
        lambda: Assessment.objects.select_related("site").prefetch_related("specimens"),
    ),
    "immunisation": ("date", lambda: Immunisation.objects.select_related("site")),
    "lab_result": ("collected_on", lambda: LabResult.objects.select_related("site")),
}


def add_source(kind: str, date_field: str, records: Callable[[], QuerySet]) -> None:
    """Show records of `kind` in every timeline, dated by `date_field`."""
    SOURCES[kind] = (date_field, records)


def timeline(person: Person) -> list[dict]:
    """Everything recorded about the person, newest first: {"type", "date", "record"} each."""
    items = [
        {"type": kind, "date": getattr(record, date_field), "record": record}
        for kind, (date_field, records) in SOURCES.items()
        for record in records().filter(person=person)
    ]
    items.sort(key=lambda item: (item["date"], item["record"].created_at), reverse=True)
    return items
