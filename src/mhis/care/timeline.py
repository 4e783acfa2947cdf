"""A person's timeline: every record kind on it (mhis.kinds), newest first.

Read in two queries whatever the number of kinds: the records of every kind in one
``UNION ALL`` sorted and cut to the page in the database, then what showing them reads
(each kind's ``related`` rows and ``prefetch`` lists) in another (mhis.care.rows).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from django.db import connection
from django.db.models import Field, ForeignKey, ManyToOneRel, Model

from mhis.kinds import RecordKind, on_timeline
from mhis.registry.models import Person

from .rows import Part, fetch, remember


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    return cast("Field[Any, Any]", model._meta.get_field(name))


def _column(model: type[Model], name: str) -> str:
    """The quoted column of field `name` ("pk": the primary key)."""
    field = model._meta.pk if name == "pk" else _field(model, name)
    assert field is not None and field.column is not None
    return connection.ops.quote_name(field.column)


def _order_sql(model: type[Model]) -> str:
    """The model's default ordering as SQL (for a row number within a union)."""
    terms = []
    for term in model._meta.ordering or ["pk"]:
        name = str(term)
        descending = name.startswith("-")
        terms.append(_column(model, name.lstrip("-")) + (" DESC" if descending else ""))
    return ", ".join(terms)


def _records(
    person: Person, kinds: list[RecordKind], start: int, size: int | None
) -> list[tuple[RecordKind, Model]]:
    for kind in kinds:
        if "__" in kind.person_field:  # read through another record: not in one union
            raise ValueError(f"{kind.name}: a kind on the timeline links to its person itself")
    parts = [
        Part(
            kind.model,
            f"{_column(kind.model, kind.person_field)} = %s",
            [person.pk],
            extra=[
                f"{_column(kind.model, cast(str, kind.date_field))} AS sort_date",
                f"{_column(kind.model, 'created_at')} AS sort_at",
                f"{_column(kind.model, 'pk')} AS sort_id",
            ],
        )
        for kind in kinds
    ]
    # Newest first; records of one day and time in the order of the kinds, then newest id.
    tail, params = "ORDER BY 2 DESC, 3 DESC, 1, 4 DESC", []
    if size is not None:
        tail += " LIMIT %s OFFSET %s"
        params = [size, start]
    return [(kinds[n], record) for n, _, record in fetch(parts, tail, params)]


def _in(model: type[Model], name: str, values: list[Any]) -> str:
    return f"{_column(model, name)} IN ({', '.join(['%s'] * len(values))})"


def _complete(person: Person, records: list[tuple[RecordKind, Model]]) -> None:
    """Give the records what showing them reads, in one query: the rows their kinds name in
    `related` (the person is the one given) and the lists they name in `prefetch`."""
    wanted: dict[type[Model], set[Any]] = defaultdict(set)  # related rows, by model
    children: dict[tuple[type[Model], str], list[Model]] = defaultdict(list)
    for kind, record in records:
        for name in kind.related:
            fk = _field(kind.model, name)
            value = getattr(record, fk.attname)
            if name != kind.person_field and value is not None:
                wanted[cast("type[Model]", fk.related_model)].add(value)
        for name in kind.prefetch:
            children[(kind.model, name)].append(record)
    parts: list[Part] = []
    lists: dict[int, tuple[type[Model], str]] = {}  # part number -> (parent model, list name)
    for model, ids in wanted.items():
        values = sorted(ids)
        parts.append(Part(model, _in(model, "pk", values), values, ["0"]))
    for (model, name), parents in children.items():
        rel = cast(ManyToOneRel, model._meta.get_field(name))
        child = rel.related_model
        values = [p.pk for p in parents]
        lists[len(parts)] = (model, name)
        parts.append(
            Part(
                child,
                _in(child, rel.field.name, values),
                values,
                [f"ROW_NUMBER() OVER (ORDER BY {_order_sql(child)})"],
            )
        )
    found: dict[type[Model], dict[Any, Model]] = defaultdict(dict)
    listed: dict[int, list[tuple[int, Model]]] = defaultdict(list)
    for n, extra, instance in fetch(parts):
        if n in lists:
            listed[n].append((int(extra[0]), instance))
        else:
            found[type(instance)][instance.pk] = instance
    for kind, record in records:
        for name in {*kind.related, kind.person_field}:
            fk = _field(kind.model, name)
            value = getattr(record, fk.attname)
            if name == kind.person_field:
                shown: Model | None = person
            else:
                shown = (
                    None if value is None else found[cast("type[Model]", fk.related_model)][value]
                )
            cast("ForeignKey[Any, Any]", fk).set_cached_value(record, shown)
    for n, (model, name) in lists.items():
        rel = cast(ManyToOneRel, model._meta.get_field(name))
        by_parent: dict[Any, list[Model]] = defaultdict(list)
        for _, kid in sorted(listed[n], key=lambda item: item[0]):
            by_parent[getattr(kid, rel.field.attname)].append(kid)
        for parent in children[(model, name)]:
            kids = by_parent.get(parent.pk, [])
            for kid in kids:
                rel.field.set_cached_value(kid, parent)
            remember(parent, name, kids)


def timeline_page(
    person: Person, *, start: int = 0, size: int | None = None
) -> list[dict[str, Any]]:
    """`size` items of the person's timeline from `start` (all of them without `size`), newest
    first: {"type", "date", "record"} each, the record with what showing it reads."""
    kinds = on_timeline()
    records = _records(person, kinds, start, size)
    _complete(person, records)
    return [
        {"type": kind.name, "date": getattr(record, cast(str, kind.date_field)), "record": record}
        for kind, record in records
    ]


def timeline(person: Person) -> list[dict[str, Any]]:
    """Everything recorded about the person, newest first: {"type", "date", "record"} each."""
    return timeline_page(person)
