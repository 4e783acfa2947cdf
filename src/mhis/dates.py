"""Dates as people type them."""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _

_FULL_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")


def parse_date(value: str) -> date:
    """A full ISO date (YYYY-MM-DD)."""
    match = _FULL_DATE.match(value or "")
    if not match or match.group(3) is None:
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(_("This date does not exist.")) from None
