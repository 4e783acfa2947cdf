"""Parsers and checks for registry input, shared by forms, the API and importers.

Each raises ``ValueError`` with a translated message; the services attach it to the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.dates import parse_date as parse_date  # re-exported: the registry's parsers

from .codes import DatePrecision, IdentifierType

if TYPE_CHECKING:
    from .models import MigrationEpisode, Person

OLDEST_YEAR_OFFSET = 120
_PARTIAL_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")
_IDENTIFIER_STRIP = re.compile(r"[\s\-./]+")
_IDENTIFIER_OK = re.compile(r"^[A-Z0-9]+$")
# The types shown as one "identity document" to a role that may not see migration status
# (codes.NEUTRAL_IDENTIFIER_TYPES) have the same bounds, so the length of a value shown says
# nothing of its type.
IDENTIFIER_LENGTHS = {
    IdentifierType.PASSPORT: (5, 20),
    IdentifierType.NATIONAL_ID: (3, 30),
    IdentifierType.WORK_PERMIT: (3, 30),
    IdentifierType.REFUGEE_NUMBER: (3, 30),
    IdentifierType.CASE_NUMBER: (3, 30),
    IdentifierType.CLINIC_NUMBER: (1, 30),
}


_PRECISIONS = frozenset(DatePrecision.values)
_today: ContextVar[date | None] = ContextVar("registry_today", default=None)
_FINER = {DatePrecision.EXACT.value: 3, DatePrecision.MONTH.value: 2, DatePrecision.YEAR.value: 1}


def parse_birth_date(
    value: str, precision: str | None = None, *, today: date | None = None
) -> tuple[date, str]:
    """Read a date of birth written as YYYY-MM-DD, YYYY-MM or YYYY, with its precision.

    A partial date is stored as its first day; the precision says how much of it is known.
    ``estimated`` may go with any form. An explicit precision finer than what was written
    is refused (``exact`` with only a year).
    """
    today = today or _today.get() or timezone.localdate()
    return _parse_birth_date(value or "", None if precision is None else str(precision), today)


@lru_cache(maxsize=65536)
def _parse_birth_date(value: str, precision: str | None, today: date) -> tuple[date, str]:
    """`parse_birth_date` once per date written, precision and day (a refusal is not kept: its
    message is translated each time, in the language of whoever reads it)."""
    match = _PARTIAL_DATE.match(value)
    if not match:
        raise ValueError(_("Enter a date as YYYY-MM-DD, YYYY-MM or YYYY."))
    year_written, month_written, day_written = match.groups()
    year = int(year_written)  # the pattern always has the year
    month, day = (int(g) if g else None for g in (month_written, day_written))
    written = DatePrecision.EXACT if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    if precision in (None, ""):
        precision = written
    if precision not in _PRECISIONS:
        raise ValueError(_("Unknown precision; choose exact, month, year or estimated."))
    if precision != DatePrecision.ESTIMATED and _FINER[precision] > _FINER[written]:
        raise ValueError(_("The date written is less precise than the precision chosen."))
    try:
        parsed = date(year, month or 1, day or 1)
    except ValueError:
        raise ValueError(_("This date does not exist.")) from None
    if parsed > today:
        raise ValueError(_("A date of birth cannot be in the future."))
    if year < today.year - OLDEST_YEAR_OFFSET:
        raise ValueError(
            _("A date of birth more than %(n)s years ago is not plausible.")
            % {"n": OLDEST_YEAR_OFFSET}
        )
    return parsed, precision


@contextmanager
def one_day() -> Iterator[None]:
    """Within this block, "today" is the day it started: the dates of a batch of imported rows
    are checked against one day, read once rather than for every row (so a batch checked
    across midnight is checked as of the day it began)."""
    token = _today.set(timezone.localdate())
    try:
        yield
    finally:
        _today.reset(token)


def format_birth_date(value: date, precision: str) -> str:
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def earliest_birth(value: date, precision: str) -> date:
    """The earliest day the person can have been born, given the date's precision."""
    if precision == DatePrecision.ESTIMATED:
        return value - timedelta(days=5 * 366)
    return value


def normalise_identifier(value: str) -> str:
    """Uppercase, without spaces, hyphens, dots or slashes: the form that is hashed."""
    return _IDENTIFIER_STRIP.sub("", value or "").upper()


def clean_identifier(kind: str, value: str) -> tuple[str, str]:
    """Return (value as written, normalised value) or raise ValueError."""
    if kind not in IdentifierType.values:
        raise ValueError(_("Unknown identifier type."))
    shown = " ".join((value or "").split())
    normal = normalise_identifier(shown)
    if not normal:
        raise ValueError(_("This field is required."))
    if not _IDENTIFIER_OK.match(normal):
        raise ValueError(_("Use only letters A–Z, digits, spaces, hyphens, dots and slashes."))
    low, high = IDENTIFIER_LENGTHS[IdentifierType(kind)]
    if not low <= len(normal) <= high:
        raise ValueError(
            _("Must have between %(low)s and %(high)s letters and digits.")
            % {"low": low, "high": high}
        )
    return shown, normal


def episodes_before_birth(
    person: Person, birth: tuple[date, str] | None = None
) -> list[MigrationEpisode]:
    """The person's migration episodes that start before they can have been born: on `birth`
    (a date and its precision), or on their stored date of birth."""
    if birth is None:
        birth = (person.birth_date, person.birth_date_precision) if person.birth_date else None
    if birth is None:
        return []
    earliest = earliest_birth(*birth)
    return [e for e in person.episodes.all() if e.start_date and e.start_date < earliest]
