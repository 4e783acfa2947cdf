"""The history of records: who changed what, when, from which value to which (care.RecordChange)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet

from .models import RecordChange


def plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Model):
        return getattr(value, "code", value.pk)
    return value


def apply_changes(record, values: Mapping[str, Any]) -> dict[str, list]:
    """Set `values` on `record`; return the changes as field → [old, new]."""
    changes = {}
    for field, new in values.items():
        relation = record._meta.get_field(field)
        unset = relation.is_relation and getattr(record, relation.attname) is None
        old = None if unset else getattr(record, field)
        if plain(old) != plain(new):
            changes[field] = [plain(old), plain(new)]
            setattr(record, field, new)
    return changes


def days_of(record, field: str, changes: Mapping[str, list]) -> list[date]:
    """The day `record` falls on now and, when `changes` moved it, the day it fell on before
    (both count for what is announced)."""
    days = [getattr(record, field)]
    if field in changes and changes[field][0]:
        days.append(date.fromisoformat(changes[field][0]))
    return days


def log_change(user, record, action: str, changes: dict) -> None:
    if changes:
        RecordChange.objects.create(
            person_id=record.person_id,
            record_type=record._meta.model_name,
            record_id=record.pk,
            action=action,
            changes=changes,
            by=user if getattr(user, "is_authenticated", False) else None,
        )


def history_by_record(person) -> dict[tuple[str, int], list[RecordChange]]:
    """All of a person's record history in one query, keyed by (record type, record id)."""
    grouped: dict[tuple[str, int], list[RecordChange]] = {}
    for change in RecordChange.objects.filter(person=person).select_related("by"):
        grouped.setdefault((change.record_type, change.record_id), []).append(change)
    return grouped


def history(record) -> QuerySet[RecordChange]:
    return RecordChange.objects.filter(
        record_type=record._meta.model_name, record_id=record.pk
    ).select_related("by")
