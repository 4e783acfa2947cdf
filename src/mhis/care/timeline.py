"""A person's timeline: every record kind on it (mhis.kinds), newest first."""

from __future__ import annotations

from typing import Any, cast

from mhis.kinds import on_timeline
from mhis.registry.models import Person


def timeline(person: Person) -> list[dict[str, Any]]:
    """Everything recorded about the person, newest first: {"type", "date", "record"} each."""
    items: list[dict[str, Any]] = []
    for kind in on_timeline():
        date_field = cast(str, kind.date_field)  # a kind on the timeline has one
        records = kind.model._default_manager.filter(**{kind.person_field: person})
        records = records.select_related(kind.person_field, *kind.related)
        records = records.prefetch_related(*kind.prefetch)
        items.extend(
            {"type": kind.name, "date": getattr(record, date_field), "record": record}
            for record in records
        )
    items.sort(key=lambda item: (item["date"], item["record"].created_at), reverse=True)
    return items
