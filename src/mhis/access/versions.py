"""The access version: a counter in the database that every change to who may see what moves on.

A worker keeps API tokens, their users and their scopes in memory between requests
(:mod:`mhis.access.services`) and reads this one number at the start of each request: when it
has moved, what the worker remembers is forgotten and read again, so a revoked token, a
deactivated user, a new role or scope (and a moved or new place) take effect on the very next
request, in every process (ADR 0034).

Triggers in the database move the counter: any insert, change or deletion of users, scopes
and places, and of tokens (except the time a token was last used), however it is made — a
page, the admin, a command, ``QuerySet.update()`` or SQL by hand. They are made again after
every ``migrate`` (:func:`ensure`): SQLite drops a table's triggers when a migration rebuilds
the table.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "access_version"

# (table, columns whose change moves the counter; empty: any change)
WATCHED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("access_user", ()),
    ("access_scope", ()),
    ("places_place", ()),
    ("access_apitoken", ("user_id", "digest", "revoked_at")),
)

_BUMP = (
    f"INSERT INTO {TABLE} (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING; "  # noqa: S608 - constants
    f"UPDATE {TABLE} SET value = value + 1 WHERE id = 1;"
)


def _sqlite(table: str, columns: tuple[str, ...]) -> list[str]:
    statements = []
    for event in ("INSERT", "UPDATE", "DELETE"):
        on = f"UPDATE OF {', '.join(columns)}" if event == "UPDATE" and columns else event
        name = f"{TABLE}_{table}_{event.lower()}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {on} ON {table} BEGIN {_BUMP} END",
        ]
    return statements


def _postgresql(table: str, columns: tuple[str, ...]) -> list[str]:
    update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    name = f"{TABLE}_{table}"
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR TRUNCATE OR {update} ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_bump()",
    ]


def statements(vendor: str) -> list[str]:
    """The table, its row and the triggers, for `vendor`; each may run again."""
    made = [
        f"CREATE TABLE IF NOT EXISTS {TABLE} (id integer PRIMARY KEY, value bigint NOT NULL)",
        f"INSERT INTO {TABLE} (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",  # noqa: S608
    ]
    if vendor == "postgresql":
        made.append(
            f"CREATE OR REPLACE FUNCTION {TABLE}_bump() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_BUMP} RETURN NULL; END $$"
        )
        for table, columns in WATCHED:
            made += _postgresql(table, columns)
    elif vendor == "sqlite":
        for table, columns in WATCHED:
            made += _sqlite(table, columns)
    else:  # pragma: no cover - MHIS runs on SQLite and PostgreSQL only
        raise NotImplementedError(f"access version triggers for {vendor}")
    return made


def ensure(connection: BaseDatabaseWrapper) -> None:
    """Make (again) the counter and its triggers."""
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor):
            cursor.execute(sql)


def after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """`post_migrate`: the triggers again, once the access app's tables are there."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    if {table for table, _columns in WATCHED} <= tables:
        ensure(connection)


def current(using: str = "default") -> int | None:
    """The counter now (None where it is missing: nothing may then be remembered)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT value FROM {TABLE} WHERE id = 1")  # noqa: S608 - a constant
        row = cursor.fetchone()
    return int(row[0]) if row else None
