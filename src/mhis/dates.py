"""Dates as people type them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.dates import MONTHS, MONTHS_3, MONTHS_ALT, MONTHS_AP
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


# -- dates as people say them: "April 1991", "1991", "03/04/1991" -------------------------------

# The order of day and month in a date written in numbers, by language. The project's
# languages all write the day first, its English too (the English of the region and of
# international health documents, not the United States'): 03/04/1991 is 3 April 1991.
NUMERIC_ORDER = {"en": "dmy", "es": "dmy", "fr": "dmy", "th": "dmy", "vi": "dmy", "en-us": "mdy"}
# A year from this one on is of the Buddhist era (Thai documents): 2534 is 1991.
BUDDHIST_ERA_FROM = 2400
BUDDHIST_ERA_OFFSET = 543
# Words around a date that say nothing of it: "3 de abril de 1991", "le 3 avril 1991",
# "ngày 3 tháng 4 năm 1991", "พ.ศ. 2534", as folded.
_FILLERS = frozenset({"de", "del", "of", "the", "le", "en", "ngay", "nam"})
_THAI_FILLERS = re.compile(r"พ\.?\s*ศ\.?|ค\.?\s*ศ\.?|วันที่")
_VIETNAMESE_MONTH = re.compile(r"thang\s+0(\d)(?!\d)")
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th|er|º|°|ª)(?![^\W\d_])")
_SEPARATORS = re.compile(r"[\s,./\-–]+")


@dataclass(frozen=True)
class SpokenDate:
    """A date as far as it is known: a year, maybe its month, maybe the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        """``exact``, ``month`` or ``year`` (the values of registry.codes.DatePrecision)."""
        return "exact" if self.day else "month" if self.month else "year"

    def iso(self) -> str:
        """YYYY-MM-DD, YYYY-MM or YYYY."""
        if self.day and self.month:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


def _fold(text: str) -> str:
    """Lower case, without the accents of Latin letters (Tháng -> thang, décembre ->
    decembre); the vowel signs of Thai are kept."""
    out: list[str] = []
    latin_base = False
    for ch in unicodedata.normalize("NFD", text.casefold()):
        if unicodedata.category(ch) == "Mn":
            if latin_base:
                continue
        else:
            latin_base = ch.isascii()
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("đ", "d")


@lru_cache(maxsize=1)
def _month_names() -> tuple[tuple[str, int], ...]:
    """Every spelling of every month in the project's languages (Django's translations),
    folded, without the abbreviation's dot, longest first."""
    names: dict[str, int] = {}
    codes = ["en", *(code for code, _name in settings.LANGUAGES)]
    for code in codes:
        with translation.override(code):
            for table in (MONTHS, MONTHS_3, MONTHS_AP, MONTHS_ALT):
                for number, name in table.items():
                    folded = _fold(str(name)).strip().rstrip(".")
                    if folded:
                        names.setdefault(folded, number)
    return tuple(sorted(names.items(), key=lambda item: -len(item[0])))


@lru_cache(maxsize=1)
def _month_pattern() -> re.Pattern[str]:
    parts: list[str] = []
    for name, number in _month_names():
        # Not inside a word; a name that ends in a number (Tháng 1) not before another digit.
        after = r"(?!\d)" if name[-1].isdigit() else r"(?![^\W\d_])"
        parts.append(rf"(?P<m{number}_{len(parts)}>{re.escape(name)}\.?){after}")
    return re.compile(r"(?<![^\W\d_])(?:" + "|".join(parts) + ")")


def month_name(number: int) -> str:
    """The month's name in the active language."""
    return str(MONTHS[number])


def accepted_forms() -> str:
    """The forms a date may be written in, as examples in the active language."""
    order = NUMERIC_ORDER.get(translation.get_language() or "en", "dmy")
    return _(
        "Write it as a day, month and year (%(full)s), a month and year (%(month)s), "
        "a year (%(year)s), in numbers %(numeric)s (%(order)s) or %(iso)s."
    ) % {
        "full": f"3 {month_name(4)} 1991",
        "month": f"{month_name(4)} 1991",
        "year": "1991",
        "numeric": "03/04/1991" if order == "dmy" else "04/03/1991",
        "order": _("day/month/year") if order == "dmy" else _("month/day/year"),
        "iso": "1991-04-03",
    }


def read_date(value: str, *, field: str = "", language: str | None = None) -> SpokenDate:
    """A date as people write or say it, as far as it is known.

    Accepted: ``1991-04-03``, ``1991-04`` and ``1991`` (ISO); ``3 April 1991``,
    ``April 3, 1991``, ``April 1991`` with the months' names (and abbreviations) of any of
    the project's languages (``3 avril 1991``, ``abril de 1991``, ``tháng 4 năm 1991``,
    ``3 เมษายน 2534``); ``03/04/1991`` and ``04/1991`` in numbers, day and month in the order
    of `language` (the active language by default, see NUMERIC_ORDER). A year of the
    Buddhist era (from 2400) is read as such. Raises ValueError naming `field` and the
    forms accepted when the text is no date or a date that does not exist (31/02/1991); a
    two-digit year is refused rather than guessed.
    """
    order = NUMERIC_ORDER.get((language or translation.get_language() or "en").lower(), "dmy")

    def refuse(written: bool = False) -> ValueError:
        """The error: no date (or, `written`, a date that does not exist) and the forms."""
        problem = (
            _("This date does not exist.")
            if written
            else _("“%(value)s” is not a date.") % {"value": value.strip()}
        )
        if field:
            problem = _("%(field)s: %(problem)s") % {"field": field, "problem": problem}
        return ValueError(f"{problem} {accepted_forms()}")

    text = _fold(value or "").strip()
    if not text:
        raise refuse()
    month_named: int | None = None

    def named(match: re.Match[str]) -> str:
        nonlocal month_named
        key = next(k for k, v in match.groupdict().items() if v is not None)
        month_named = int(key[1:].split("_")[0])
        return " @ "

    text = _THAI_FILLERS.sub(" ", text)
    text = _VIETNAMESE_MONTH.sub(r"thang \1", text)
    text = _month_pattern().sub(named, text)
    text = _ORDINAL.sub("", text)
    tokens = [t for t in _SEPARATORS.split(text) if t and t.rstrip(".") not in _FILLERS]
    if tokens.count("@") > 1 or not all(t == "@" or t.isdigit() for t in tokens):
        raise refuse()
    numbers = [t for t in tokens if t != "@"]
    year_at = [i for i, t in enumerate(numbers) if len(t) == 4]
    if len(year_at) != 1 or year_at[0] not in (0, len(numbers) - 1):
        raise refuse()  # no year, or a year of two digits, or two of them
    year = int(numbers.pop(year_at[0]))
    year_first = year_at[0] == 0
    month: int | None = None
    day: int | None = None
    if month_named is not None:
        month = month_named
        if len(numbers) > 1:
            raise refuse()
        day = int(numbers[0]) if numbers else None
    elif len(numbers) == 1:
        month = int(numbers[0])
    elif len(numbers) == 2:
        if year_first or order == "mdy":
            month, day = int(numbers[0]), int(numbers[1])
        else:
            day, month = int(numbers[0]), int(numbers[1])
    elif numbers:
        raise refuse()
    if year >= BUDDHIST_ERA_FROM:
        year -= BUDDHIST_ERA_OFFSET
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        raise refuse(written=True) from None
    if (month is not None and not 1 <= month <= 12) or day == 0:
        raise refuse(written=True)
    return SpokenDate(year, month, day)
