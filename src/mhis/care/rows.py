"""Records of several models read in one query (``UNION ALL``), and related rows handed to
a record as if prefetched.

Each model's columns go into shared slots of the union, a slot per database type, so that
the union's columns have one type each on every database; the values are converted as the
ORM converts them (the fields' database converters) and each row becomes an instance of its
model (``Model.from_db``), exactly as a query of that model would give it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Field, Model

Row = tuple[Any, ...]


def remember(instance: Model, name: str, rows: Sequence[Model]) -> None:
    """Give `instance` the rows of its related manager `name` as a prefetch would: reading
    ``instance.<name>.all()`` then makes no query."""
    manager = getattr(instance, name)
    queryset = manager.all()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    cache: dict[str, Any] | None = getattr(instance, "_prefetched_objects_cache", None)
    if cache is None:
        cache = {}
        setattr(instance, "_prefetched_objects_cache", cache)  # noqa: B010 - not in the stubs
    cache[manager.field.remote_field.cache_name] = queryset


def _type(f: Field[Any, Any]) -> str:
    kind = f.db_type(connection) or f.get_internal_type()
    return kind.split("(", 1)[0].strip().lower()


@dataclass
class Part:
    """Rows of `model` where `where` holds (SQL on the model's table, with `params`), with
    `extra` SQL expressions selected before the model's columns (the same number for every
    part of a union)."""

    model: type[Model]
    where: str
    params: Sequence[Any] = ()
    extra: Sequence[str] = ()
    fields: list[Field[Any, Any]] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)


def _slot(parts: Sequence[Part]) -> list[str]:
    """Give each part's concrete fields a slot; the slots' types."""
    types: list[str] = []
    for part in parts:
        part.fields = list(part.model._meta.concrete_fields)
        taken: set[int] = set()
        part.slots = []
        for f in part.fields:
            kind = _type(f)
            slot = next((i for i, t in enumerate(types) if t == kind and i not in taken), None)
            if slot is None:
                types.append(kind)
                slot = len(types) - 1
            taken.add(slot)
            part.slots.append(slot)
    return types


def union_sql(parts: Sequence[Part], tail: str = "") -> tuple[str, list[Any], int]:
    """The ``UNION ALL`` of `parts` (part number first, then its `extra`, then the slots),
    `tail` added after (ORDER BY, LIMIT); the SQL, its parameters and how many columns come
    before the slots."""
    types = _slot(parts)
    quote = connection.ops.quote_name
    # An empty slot is typed on PostgreSQL, so that a slot only one part fills has the type
    # of its column in every part (SQLite's values carry their own types).
    typed = connection.vendor == "postgresql"
    width = 1 + len(parts[0].extra)
    selects: list[str] = []
    params: list[Any] = []
    for n, part in enumerate(parts):
        columns = [f"CAST(NULL AS {t})" if typed else "NULL" for t in types]
        for f, slot in zip(part.fields, part.slots, strict=True):
            columns[slot] = quote(str(f.column))
        selects.append(
            f"SELECT {n} AS part_n, {', '.join([*part.extra, *columns])} "  # noqa: S608
            f"FROM {quote(part.model._meta.db_table)} WHERE {part.where}"
        )
        params.extend(part.params)
    return " UNION ALL ".join(selects) + (f" {tail}" if tail else ""), params, width


def instances(
    parts: Sequence[Part], rows: Iterable[Row], width: int
) -> list[tuple[int, Row, Model]]:
    """(part number, the extra values, the instance) for each row of :func:`union_sql`."""
    converters = []
    for part in parts:
        each = []
        for f in part.fields:
            col = f.get_col(part.model._meta.db_table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            each.append((found, col))
        converters.append(each)
    out = []
    for row in rows:
        n = row[0]
        part = parts[n]
        values = []
        for (found, col), slot in zip(converters[n], part.slots, strict=True):
            value = row[width + slot]
            for convert in found:
                value = convert(value, col, connection)
            values.append(value)
        names = [f.attname for f in part.fields]
        out.append((n, tuple(row[1:width]), part.model.from_db(connection.alias, names, values)))
    return out


def fetch(
    parts: Sequence[Part], tail: str = "", tail_params: Sequence[Any] = ()
) -> list[tuple[int, Row, Model]]:
    """Run the union of `parts`: (part number, the extra values, the instance) per row."""
    if not parts:
        return []
    sql, params, width = union_sql(parts, tail)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *tail_params])
        rows = cursor.fetchall()
    return instances(parts, rows, width)
