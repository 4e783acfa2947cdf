"""Inserting many rows at once, for imports and the demo world.

Django's `bulk_create` compiles SQL for every value of every row, which dominates large loads.
These helpers build one INSERT and hand all rows to the driver's `executemany` (on
PostgreSQL, a `COPY … FROM STDIN` stream). Values still
go through each field's `get_db_prep_save` (so encrypted fields are encrypted), defaults and
`auto_now_add` are applied as the ORM would, and table and column names come from the model,
quoted; values are always parameters. No signals are sent, as with `bulk_create`; ids are not
read back (use `bulk_create` for rows whose ids are needed).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.db import connections, router
from django.db.models import Model
from django.utils import timezone

try:  # the PostgreSQL driver, when installed
    from psycopg.types.json import Jsonb
except ImportError:  # pragma: no cover - SQLite only

    class Jsonb:  # type: ignore[no-redef]  # never an instance: no value is one
        obj: object
        dumps: object


_MISSING = object()


def insert_rows(model: type[Model], columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain value tuples into `model`'s table, columns named by their database name."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: one stream instead of a statement a row
            copy_sql = f"COPY {table} ({names}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                _copy_rows(copy, rows)
        else:
            cursor.executemany(sql, rows)


# COPY's text format: a value's text with backslash, tab and line ends escaped; \N for null.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_BUFFER = 1 << 20


def _copy_text(value) -> str | None:
    """A value as COPY's text format spells it, or None for a type left to the driver."""
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPES)
    if value is None:
        return "\\N"
    if kind is int or kind is Decimal or kind is uuid.UUID:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is dt.date or kind is dt.datetime:
        return value.isoformat()  # a time with its offset, as the ORM always passes it
    if isinstance(value, Jsonb) and value.dumps is not None:  # as Django hands it
        return value.dumps(value.obj).translate(_ESCAPES)
    if isinstance(value, str):  # a choice (TextChoices): its text
        return str.translate(value, _ESCAPES)
    if isinstance(value, int) and not isinstance(value, bool):  # IntegerChoices
        return int.__repr__(value)
    return None


def _copy_rows(copy, rows: list[tuple]) -> None:
    """Stream `rows` into a COPY in text format (`_copy_lines`)."""
    _copy_lines(copy, (_line(row) for row in rows))


def _line(row: tuple) -> str | tuple:
    """A row as a line of COPY's text format (without its end), or the row itself when it
    holds a value of a type left to the driver."""
    texts = [_copy_text(v) for v in row]
    return row if None in texts else "\t".join(texts)  # type: ignore[arg-type]


def _copy_lines(copy, lines: Iterable[str | tuple]) -> None:
    """Stream lines of COPY's text format (without their ends) a megabyte at a time: one call
    into the driver for many rows rather than one a row. A tuple given among them is a row
    the driver writes (`write_row`), in its place."""
    buffer: list[str] = []
    size = 0
    for line in lines:
        if isinstance(line, str):
            buffer.append(line + "\n")
            size += len(line) + 1
            if size >= _COPY_BUFFER:
                copy.write("".join(buffer))
                buffer, size = [], 0
            continue
        if buffer:
            copy.write("".join(buffer))
            buffer, size = [], 0
        copy.write_row(line)
    if buffer:
        copy.write("".join(buffer))


def insert_values(model: type[Model], rows: list[Mapping]) -> None:
    """Insert rows given as {field attname: value} (``person_id``, not ``person``); a field
    left out gets its default, or the time now for ``auto_now``/``auto_now_add``."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    stamped = {f.attname: _stamp(f, now) for f in fields if _is_stamped(f)}
    prepare = _preparers(fields, connection, stamped)
    insert_rows(model, [f.column for f in fields], _converted(prepare, rows))


def _is_stamped(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _stamp(field, now: dt.datetime):
    return now if field.get_internal_type() == "DateTimeField" else timezone.localdate(now)


def _preparers(fields, connection, stamped: Mapping) -> list[tuple]:
    """For each field: its attname, its converter, the field, and the value written when a
    row leaves it out (`_MISSING`: a fresh default for each row)."""
    prepare = []
    for f in fields:
        convert = _converter(f, connection)
        if f.attname in stamped:
            missing = convert(stamped[f.attname])  # the same for every row: converted once
        elif f.has_default() and callable(f.default) and f.get_internal_type() != "JSONField":
            missing = _MISSING  # a fresh default per row (a uuid); an empty list is written once
        else:
            missing = convert(f.get_default())
        prepare.append((f.attname, convert, f, missing, _plain_kind(f) or _MISSING))
    return prepare


def _converted(prepare: list[tuple], rows: list[Mapping]) -> list[tuple]:
    values = []
    for row in rows:
        out = []
        for name, convert, field, missing, plain in prepare:
            value = row.get(name, _MISSING)
            if type(value) is plain:  # what the driver takes as it is: no call
                out.append(value)
            elif plain is str and isinstance(value, str):  # a choice: its text, as plain str
                out.append(value[:])
            elif value is not _MISSING:
                out.append(convert(value))
            elif missing is not _MISSING:
                out.append(missing)
            else:
                out.append(convert(field.get_default()))
        values.append(tuple(out))
    return values


def _layout(model: type[Model], lead: Sequence[str]) -> tuple[list, list, list]:
    """The fields of `model` as `ready_rows` and `insert_ready` order them: those named in
    `lead`, those stamped with the time of writing, and the rest."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    first = [model._meta.get_field(name) for name in lead]
    stamps = [f for f in fields if _is_stamped(f) and f.attname not in lead]
    rest = [f for f in fields if f not in first and f not in stamps]
    return first, stamps, rest


def ready_rows(model: type[Model], rows: list[Mapping], lead: Sequence[str] = ()) -> list:
    """Rows given as for `insert_values`, converted for the database ahead of their insert
    (`insert_ready`), all but the fields named in `lead` (given then, such as the id of a
    person not yet written) and those stamped with the time of writing. Each row comes back
    as COPY's text for its values on PostgreSQL (a tuple when a value has a type that text
    format is not written for here), a tuple of values elsewhere. Plain strings and tuples:
    they can be worked out in another process and handed over."""
    connection = connections[router.db_for_write(model)]
    _first, _stamps, rest = _layout(model, lead)
    converted = _converted(_preparers(rest, connection, {}), rows)
    if connection.vendor != "postgresql":
        return converted
    return [_line(values) for values in converted]


def insert_ready(model: type[Model], lead: Sequence[str], rows: list[tuple[tuple, object]]) -> None:
    """Insert rows made ready by `ready_rows(model, …, lead)`, each given as (the values of
    the `lead` fields, the ready row); stamped fields get the time now."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    first, stamps, rest = _layout(model, lead)
    now = timezone.now()
    converters = [_converter(f, connection) for f in first]
    stamp_values = tuple(_converter(f, connection)(_stamp(f, now)) for f in stamps)
    columns = [f.column for f in (*first, *stamps, *rest)]
    if all(_plain_kind(f) is int for f in first):  # ids: given as the driver takes them
        converted = rows
    else:
        converted = [
            (tuple(c(v) for c, v in zip(converters, given, strict=True)), ready)
            for given, ready in rows
        ]
    if connection.vendor != "postgresql":
        insert_rows(model, columns, [(*given, *stamp_values, *ready) for given, ready in converted])  # type: ignore[misc]
        return
    stamp_texts = [_copy_text(v) for v in stamp_values]  # times: text spells them
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    copy_sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        _copy_lines(
            copy,
            (
                "\t".join([*(_copy_text(v) for v in given), *stamp_texts, ready])  # type: ignore[list-item]
                if isinstance(ready, str)  # lead values are ids: text spells them
                else (*given, *stamp_values, *ready)
                for given, ready in converted
            ),
        )


# Fields whose database value is the Python value itself when it has the plain type.
_PLAIN = {"CharField": str, "TextField": str, "PositiveIntegerField": int, "IntegerField": int,
          "BigIntegerField": int, "PositiveSmallIntegerField": int, "ForeignKey": int}  # fmt: skip


def _plain_kind(field) -> type | None:
    """The Python type whose values a field of Django's own writes as they are (None: every
    value is converted)."""
    if type(field).__module__.split(".")[0] != "django":  # encrypted, or another's own
        return None
    return _PLAIN.get(type(field).__name__) and _PLAIN.get(field.get_internal_type())


def _converter(field, connection):
    """`field.get_db_prep_save`, skipped for a value that is already what the driver takes
    (text for a plain text column, an integer for an integer column or a foreign key), and
    done once for a value repeated from the row before (the time a batch is written)."""
    prep = field.get_db_prep_save
    kind = _plain_kind(field)
    if type(field).__module__.split(".")[0] != "django":  # encrypted: every value on its own
        return lambda value: prep(value, connection)
    if kind is not None:
        return lambda value: (
            value if type(value) is kind or value is None else prep(value, connection)
        )
    internal = field.get_internal_type()
    if internal == "DateField":  # a date is what the database adapter takes
        adapt = connection.ops.adapt_datefield_value
        return lambda value: adapt(value) if type(value) is dt.date else prep(value, connection)
    if internal == "UUIDField":
        native = connection.features.has_native_uuid_field
        return lambda value: (
            (value if native else value.hex)
            if type(value) is uuid.UUID
            else prep(value, connection)
        )
    last: list = [_MISSING, None]

    def convert(value):
        if value is not last[0]:
            last[0], last[1] = value, prep(value, connection)
        return last[1]

    if internal == "DateTimeField":  # a batch's rows share the time they were written
        return convert
    return lambda value: prep(value, connection)
