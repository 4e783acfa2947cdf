"""The history of records: who changed what, when, from which value to which (care.RecordChange)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.db.models import Field, Model, QuerySet
from django.db.models.options import Options

from .models import RecordChange

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mhis.access.models import User
    from mhis.registry.models import Person


class PersonsRecord(Protocol):
    """A record of one person (a payment's person is its encounter's)."""

    @property
    def pk(self) -> Any: ...

    @property
    def person(self) -> Person: ...

    @property
    def person_id(self) -> int: ...

    @property
    def _meta(self) -> Options[Any]: ...


def plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Model):
        return getattr(value, "code", value.pk)
    return value


def apply_changes(record: Model, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `record`; return the changes as field → [old, new]."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        # The values name the record's own fields, never a relation's other side.
        relation = cast("Field[Any, Any]", record._meta.get_field(field))
        unset = relation.is_relation and getattr(record, relation.attname) is None
        old = None if unset else getattr(record, field)
        if plain(old) != plain(new):
            changes[field] = [plain(old), plain(new)]
            setattr(record, field, new)
    return changes


def days_of(record: Model, field: str, changes: Mapping[str, list[Any]]) -> list[date]:
    """The day `record` falls on now and, when `changes` moved it, the day it fell on before
    (both count for what is announced)."""
    days = [getattr(record, field)]
    if field in changes and changes[field][0]:
        days.append(date.fromisoformat(changes[field][0]))
    return days


def log_change(
    user: User | AnonymousUser | None,
    record: PersonsRecord,
    action: str,
    changes: dict[str, list[Any]],
) -> None:
    if changes:
        by = user if user is not None and user.is_authenticated else None
        RecordChange.objects.create(
            person_id=record.person_id,
            record_type=cast(str, record._meta.model_name),  # a concrete model's is always set
            record_id=record.pk,
            action=action,
            changes=changes,
            by=by,
        )


def history_by_record(person: Person) -> dict[tuple[str, int], list[RecordChange]]:
    """All of a person's record history in one query, keyed by (record type, record id)."""
    grouped: dict[tuple[str, int], list[RecordChange]] = {}
    for change in RecordChange.objects.filter(person=person).select_related("by"):
        grouped.setdefault((change.record_type, change.record_id), []).append(change)
    return grouped


def history(record: PersonsRecord) -> QuerySet[RecordChange]:
    return RecordChange.objects.filter(
        record_type=record._meta.model_name, record_id=record.pk
    ).select_related("by")
