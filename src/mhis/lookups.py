"""Conditions for "this column is one of these many values" that stay cheap for thousands.

`pk__in=[…]` sends one parameter per value: with thousands of ids the query text, its
parameters and the database's parse all grow with the list. On PostgreSQL `AnyOf` sends the
list as one array parameter (`column = ANY(%s)`), which the planner uses with the index as it
would an IN list; elsewhere it is the ordinary IN.

`Among` is the same for the values of a subquery that the database should work out first,
once, and then look up by the column's index, whatever it guesses of their number.

`Begins` is "starts with" as a range of the index's order, which a plan made for any value
(a prepared statement's generic plan) can still read from the index.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):
    """`lhs` is one of `rhs`, a list of integers (ids): ``filter(AnyOf(F("pk"), ids))``."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return compiler.compile(In(self.lhs, self.rhs))

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        # One text literal, '{1,2,3}': the driver quotes it as a whole rather than each value.
        literal = "{" + ",".join(str(int(value)) for value in self.rhs) + "}"
        return f"{lhs} = ANY(%s::bigint[])", (*params, literal)


class Among(Lookup):
    """`lhs` is one of the values `rhs` (a one-column queryset) returns:
    ``filter(Among(F("pk"), PersonSite.objects.filter(…).values("person_id")))``.

    On PostgreSQL the subquery runs first, once (``column = ANY(ARRAY(subquery))``, an initial
    plan), and its values are looked up by the column's index. As ``column IN (subquery)`` the
    planner may instead scan the whole table to join it with the subquery, on a guess of how
    many rows the subquery returns. Elsewhere it is the ordinary IN.
    """

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


# After every character a name key can hold: text that starts with a prefix sorts before the
# prefix followed by it (U+10FFFF, a noncharacter, is never in a key).
_LAST = "\U0010ffff"


class Begins(Lookup):
    """`lhs` (text) starts with `rhs`: ``filter(Begins(F("key"), "aung"))``.

    Written as a range rather than ``LIKE 'aung%'``: PostgreSQL reads a LIKE prefix from a
    ``varchar_pattern_ops`` index only when it plans for the value itself; a prepared
    statement's plan made for any value (`MHIS_DB_PREPARE_THRESHOLD`, ADR 0037) cannot, and
    reads the whole index instead. The range uses that operator class's own operators
    (``~>=~``, ``~<~``: byte order), so every plan can. Elsewhere (SQLite, whose text order
    is byte order) the plain comparisons, which its index answers.
    """

    lookup_name = "begins"
    prepare_rhs = False

    def _range(self, compiler: Any, connection: Any, at_least: str, below: str):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prefix = str(self.rhs)
        sql = f"({lhs} {at_least} %s AND {lhs} {below} %s)"
        return sql, (*lhs_params, prefix, *lhs_params, prefix + _LAST)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return self._range(compiler, connection, ">=", "<")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return self._range(compiler, connection, "~>=~", "~<~")
