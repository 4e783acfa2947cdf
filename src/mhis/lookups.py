"""A condition for "this column is one of these many values" that stays cheap for thousands.

`pk__in=[…]` sends one parameter per value: with thousands of ids the query text, its
parameters and the database's parse all grow with the list. On PostgreSQL `AnyOf` sends the
list as one array parameter (`column = ANY(%s)`), which the planner uses with the index as it
would an IN list; elsewhere it is the ordinary IN.
"""

from __future__ import annotations

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
