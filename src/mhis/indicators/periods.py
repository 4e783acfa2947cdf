"""Reporting periods: ISO weeks, months, quarters and years, and how DHIS2 and ADX write them.

Our keys: ``2026-W07``, ``2026-02``, ``2026-Q1``, ``2026``. DHIS2: ``2026W7``, ``202602``,
``2026Q1``, ``2026``. ADX: a start date and an ISO 8601 duration, ``2026-02-09/P7D``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_PATTERNS = {
    "week": re.compile(r"^(\d{4})-W(\d{2})$"),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive
    type: str
    key: str

    @property
    def dhis2(self) -> str:
        if self.type == "week":
            iso = self.start.isocalendar()
            return f"{iso.year}W{iso.week}"
        return self.key.replace("-", "")

    @property
    def adx(self) -> str:
        duration = {"week": "P7D", "month": "P1M", "quarter": "P3M", "year": "P1Y"}[self.type]
        return f"{self.start.isoformat()}/{duration}"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# The years a period may be asked for (a date's own period may lie outside: see `containing`).
FIRST_YEAR, LAST_YEAR = 1900, 2199


def parse(key: str) -> Period:
    """The period a key names; ValueError (naming the key) for anything else, or for a year
    outside FIRST_YEAR–LAST_YEAR."""
    for kind, pattern in _PATTERNS.items():
        m = pattern.match(key or "")
        if m and FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
            period = _build(kind, int(m.group(1)), int(m.group(2)) if kind != "year" else 0, key)
            if period is not None:
                return period
        if m:
            break
    raise ValueError(f"{key!r} is not a period (2026-W07, 2026-02, 2026-Q1 or 2026)")


def _build(kind: str, year: int, n: int, key: str) -> Period | None:
    try:
        if kind == "week":
            start = dt.date.fromisocalendar(year, n, 1)
            return Period(start, start + dt.timedelta(days=7), kind, key)
        if kind == "month":
            start = dt.date(year, n, 1)
            return Period(start, _add_months(start, 1), kind, key)
        if kind == "quarter":
            start = dt.date(year, 3 * n - 2, 1)
            return Period(start, _add_months(start, 3), kind, key)
        start = dt.date(year, 1, 1)
        return Period(start, dt.date(year + 1, 1, 1), kind, key)
    except (ValueError, OverflowError):  # no such week or month, or past the calendar's end
        return None


KINDS = ("week", "month", "quarter", "year")


def keys_of(day: dt.date) -> tuple[str, str, str, str]:
    """Keys of the ISO week, month, quarter and year containing `day` (in `KINDS` order)."""
    iso = day.isocalendar()
    return (
        f"{iso.year}-W{iso.week:02d}",
        f"{day.year}-{day.month:02d}",
        f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        str(day.year),
    )


def containing(day: dt.date, kind: str) -> Period:
    """The period of `kind` holding `day` (any year); ValueError past the calendar's end."""
    key = keys_of(day)[KINDS.index(kind)]
    year, _, rest = key.partition("-")
    n = int(rest.lstrip("WQ")) if rest else 0
    period = _build(kind, int(year), n, key)
    if period is None:
        raise ValueError(f"{day}: its {kind} ends past the calendar's end")
    return period


def between(start: dt.date, end: dt.date, kind: str) -> list[Period]:
    """The periods of `kind` that cover [start, end)."""
    out, period = [], containing(start, kind)
    while period.start < end:
        out.append(period)
        period = containing(period.end, kind)
    return out
