"""The access policy: what each role may do, in one table, and the one way to ask it.

Every check of a role in MHIS reads `POLICY` through :func:`allowed` or :func:`require`;
services call them, views, the API and commands only look records up. A subject (a person,
a site, one of a person's records) is in a user's places by the one scope rule of
:func:`in_scope` (ADR 0013): a person is in scope where they are known — registered, seen or
referred — at a site inside the user's place scopes, for reading and writing alike.

The tests of the authorization matrix read their roles from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeGuard, TypeVar, cast

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Role, User


class Can(StrEnum):
    """What a role may do. The value is the name used in settings, tests and documents."""

    READ_PERSON = "read_person"  # a person's record and care records, in scope
    WRITE_PERSON = "write_person"  # register people and change their records, in scope
    SEE_MIGRATION_STATUS = "see_migration_status"  # a person's status, and what implies it
    SHARE_RECORD = "share_record"  # create SMART Health Links and see their addresses
    SEE_ACCESS_LOG = "see_access_log"  # who read a person's record
    MERGE_PEOPLE = "merge_people"  # the linkage review queue, merge and un-merge
    MANAGE_SCHEMES = "manage_schemes"  # social health protection schemes
    FOLLOW_IMPORTS = "follow_imports"  # others' imports, where their places are one's own
    SUBMIT_REPORTS = "submit_reports"  # weekly surveillance reports
    READ_REPORTS = "read_reports"  # sites' weekly reports and their completeness
    READ_ALERTS = "read_alerts"
    MANAGE_ALERTS = "manage_alerts"  # move alerts through their workflow, set populations
    READ_PROGRAMMES = "read_programmes"
    WRITE_PROGRAMMES = "write_programmes"
    MANAGE_USERS = "manage_users"  # users, roles, scopes, passwords, second factors, in scope
    MANAGE_PLACES = "manage_places"  # the place tree under one's own places
    USE_ADMIN_SITE = "use_admin_site"  # Django's admin pages (each model grants its own)
    READ_INDICATORS = "read_indicators"  # aggregates for places in scope, protected
    INDICATORS_BY_STATUS = "indicators_by_status"  # disaggregate by migration status
    EXACT_INDICATORS = "exact_indicators"  # exact counts (roles that see the people anyway)
    MANAGE_EXCHANGE = "manage_exchange"  # the DHIS2 mapping, and pushes to DHIS2


# The table: a capability per line, a column per role ("x": granted).
TABLE = """
                      admin  clinician  chw  surveillance  analyst  programmes  viewer
read_person             x        x       x        x           .         .         x
write_person            x        x       x        .           .         .         .
see_migration_status    .        x       x        .           .         .         .
share_record            x        x       x        .           .         .         .
see_access_log          x        .       .        .           .         .         .
merge_people            x        .       .        .           .         .         .
manage_schemes          x        .       .        .           .         .         .
follow_imports          x        .       .        .           .         .         .
submit_reports          x        x       x        x           .         .         .
read_reports            x        x       x        x           x         .         .
read_alerts             x        x       .        x           x         .         .
manage_alerts           x        .       .        x           .         .         .
read_programmes         x        .       .        .           x         x         x
write_programmes        x        .       .        .           .         x         .
manage_users            x        .       .        .           .         .         .
manage_places           x        .       .        .           .         .         .
use_admin_site          x        .       .        .           .         x         .
read_indicators         x        x       x        x           x         x         x
indicators_by_status    .        x       x        .           x         .         .
exact_indicators        .        x       x        .           .         .         .
manage_exchange         x        .       .        .           x         .         .
"""
# The columns, in order. The analyst (the M&E officer) never reads an individual record, so
# the aggregates by migration status are theirs, protected at the levels and group sizes of
# `mhis.indicators.firewall`; clinicians and CHWs see the people, and so exact counts.
COLUMNS = (Role.ADMINISTRATOR, Role.CLINICIAN, Role.CHW, Role.SURVEILLANCE_OFFICER,
           Role.ANALYST, Role.PROGRAMME_MANAGER, Role.VIEWER)  # fmt: skip


def _parse(table: str) -> dict[str, frozenset[Can]]:
    granted: dict[str, set[Can]] = {str(role): set() for role in COLUMNS}
    for line in table.strip().splitlines()[1:]:
        name, *marks = line.split()
        if len(marks) != len(COLUMNS) or set(marks) - {"x", "."}:
            raise ValueError(f"access policy: malformed line {line!r}")
        for role, mark in zip(COLUMNS, marks, strict=True):
            if mark == "x":
                granted[str(role)].add(Can(name))
    named = [line.split()[0] for line in table.strip().splitlines()[1:]]
    if sorted(named) != sorted(Can):
        raise ValueError("access policy: every capability needs exactly one line")
    return {role: frozenset(caps) for role, caps in granted.items()}


POLICY: dict[str, frozenset[Can]] = _parse(TABLE)

# What a refusal says, by capability.
REFUSALS: dict[Can, Promise] = {
    Can.READ_PERSON: _("Your role cannot see individual records."),
    Can.WRITE_PERSON: _("Your role cannot register or change people."),
    Can.SEE_MIGRATION_STATUS: _("Your role cannot see migration status."),
    Can.SHARE_RECORD: _("Your role cannot share records."),
    Can.SEE_ACCESS_LOG: _("Your role cannot see who read a record."),
    Can.MERGE_PEOPLE: _("Only an administrator can merge or un-merge records."),
    Can.MANAGE_SCHEMES: _("Only administrators add schemes."),
    Can.FOLLOW_IMPORTS: _("Your role cannot follow other people's imports."),
    Can.SUBMIT_REPORTS: _("Your role does not send weekly reports."),
    Can.READ_REPORTS: _("Your role does not read weekly reports."),
    Can.READ_ALERTS: _("Your role does not read alerts."),
    Can.MANAGE_ALERTS: _("Your role does not handle alerts."),
    Can.READ_PROGRAMMES: _("Your role cannot see the programmes."),
    Can.WRITE_PROGRAMMES: _("Your role cannot change the programmes."),
    Can.MANAGE_USERS: _("Only an administrator manages users."),
    Can.MANAGE_PLACES: _("Only an administrator manages places."),
    Can.USE_ADMIN_SITE: _("Your role cannot use the administration pages."),
    Can.READ_INDICATORS: _("Sign in to see indicators."),
    Can.INDICATORS_BY_STATUS: _("Your role cannot break indicators down by migration status."),
    Can.EXACT_INDICATORS: _("Your role sees protected counts only."),
    Can.MANAGE_EXCHANGE: _("Your role cannot change the DHIS2 mapping or send to DHIS2."),
}
OUT_OF_SCOPE = _("This is not in your places.")


def roles_with(capability: Can) -> frozenset[str]:
    """The roles granted `capability` (as role codes)."""
    return frozenset(str(role) for role, granted in POLICY.items() if capability in granted)


def allowed(user: User | AnonymousUser | None, capability: Can) -> TypeGuard[User]:
    """Whether the user's role grants `capability` (an active, signed-in user only)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and capability in POLICY.get(getattr(user, "role", ""), ())
    )


# -- scope ----------------------------------------------------------------------------------

# How a subject of a given type is placed: the app that owns the type registers a test
# (user, subject) -> bool when it starts (`register_scope`), so this module needs none of them.
_ScopeRule = Callable[[User | AnonymousUser, Model], bool]
_SCOPE_RULES: dict[type[Model], _ScopeRule] = {}

_M = TypeVar("_M", bound=Model)


def register_scope(model: type[_M], rule: Callable[[User | AnonymousUser, _M], bool]) -> None:
    # `in_scope` calls a rule only with an instance of the model it was registered for.
    _SCOPE_RULES[model] = cast(_ScopeRule, rule)


def in_scope(user: User | AnonymousUser, subject: Model) -> bool:
    """Whether `subject` lies in the user's places, by the rule registered for its type."""
    for model in type(subject).__mro__:
        if model in _SCOPE_RULES:
            return _SCOPE_RULES[model](user, subject)
    raise TypeError(f"No scope rule for {type(subject).__name__}")


def require(
    user: User | AnonymousUser | None, capability: Can, subject: Model | None = None
) -> None:
    """Refuse (PermissionDenied, a 403) unless the user's role grants `capability` and, with
    `subject`, the subject lies in the user's places."""
    if not allowed(user, capability):
        raise PermissionDenied(REFUSALS[capability])
    if subject is not None and not in_scope(user, subject):
        raise PermissionDenied(OUT_OF_SCOPE)
