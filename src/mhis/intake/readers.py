"""Rows of a CSV or XLSX file, one at a time (a million-row file is never held whole).

A CSV file's encoding and delimiter are found by `mhis.uploads.csv_records` (UTF-8 or UTF-16
text; comma, semicolon or tab). A workbook's date cells are read as far as their number
format shows them: a cell Excel shows as a month and year ("Apr-91", format ``mmm-yy``) reads
``1991-04``, one shown as a year ``1991``, so a partial date of birth keeps its precision
instead of becoming the first day of its month (docs/decisions/0022-csv-encoding-and-delimiter.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from mhis import uploads
from mhis.input import open_workbook

MAX_COLUMNS = 200
# The key of a row that holds more values than its header names columns (a CSV line whose value
# holds the delimiter out of quotes): how many values it holds, and how many the header names.
OVERFLOW = "\x00overflow"
# The key of a row holding values under header cells left blank: those columns (a workbook's
# letters, a CSV file's numbers), listed with the columns not read.
UNNAMED = "\x00unnamed"
log = logging.getLogger(__name__)

# What a number format shows, once its literals ("text", \x, _x, *x) and sections in
# brackets ([$-409], [Red]) are taken out, and AM/PM, whose "m" is no month, and General.
_LITERALS = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]|am/pm|a/p|general', re.IGNORECASE)


def date_shown(number_format: str | None) -> str:
    """How much of a date a cell of this number format shows: ``exact``, ``month`` (a month
    and year, ``mmm-yy``, ``mm/yyyy``) or ``year`` (``yyyy``; ``bbbb`` and ``e`` are years of
    the Buddhist era in Thai formats). A format that shows a day or a time, or no date at all
    (General), is ``exact``."""
    shown = _LITERALS.sub("", (number_format or "").split(";")[0]).lower()
    if "d" in shown or "h" in shown or "s" in shown:
        return "exact"
    has_year = "y" in shown or "bb" in shown or "e" in shown
    if has_year and "m" in shown:
        return "month"
    if has_year:
        return "year"
    return "exact"


def _text(value, number_format: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)) and number_format:
        shown = date_shown(number_format)
        if shown == "month":
            return f"{value.year:04d}-{value.month:02d}"
        if shown == "year":
            return f"{value.year:04d}"
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cell_text(cell) -> str:
    value = cell.value
    if isinstance(value, date):  # a datetime too: read as its number format shows it
        return _text(value, cell.number_format)
    return _text(value)


@contextmanager
def _first_sheet(path: Path):
    """The first worksheet of an XLSX file, read as a stream; a file openpyxl cannot read
    (damaged, or not a workbook) is refused naming the file."""

    book = open_workbook(path)
    try:
        if not book.worksheets:  # only chart sheets
            raise ValidationError({"file": _("The workbook holds no sheet of rows.")})
        yield book.worksheets[0]
    finally:
        book.close()


def _sheet_rows(path: Path, *, values: bool = False) -> Iterator[tuple]:
    """The rows of the first sheet (cells, or their values); a part of the workbook that
    cannot be read (damaged or cut short) refuses the file naming the last row read."""
    done = 0
    with _first_sheet(path) as sheet:
        try:
            if values:
                sheet.reset_dimensions()  # the stored size may be missing or wrong: count
            for row in sheet.iter_rows(values_only=values):
                done += 1
                yield row
        except ValidationError:
            raise
        except Exception as exc:  # openpyxl's and zipfile's faults of a damaged workbook
            log.info("workbook unreadable after row %s: %s", done, exc)
            raise ValidationError(
                {
                    "file": _(
                        "The workbook cannot be read after row %(row)s: it is damaged or cut "
                        "short. Save it again from the program that made it."
                    )
                    % {"row": done}
                }
            ) from None


@contextmanager
def _csv(path: Path):
    """The records of a CSV file (`uploads.csv_records`), a file with no byte refused."""
    if path.stat().st_size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    with path.open("rb") as f:
        yield uploads.csv_records(f, path.name)


def count_rows(path: Path) -> int:
    """Data rows (after the header), for progress."""
    if path.suffix.lower() == ".xlsx":
        return max(0, sum(1 for _ in _sheet_rows(path, values=True)) - 1)
    with _csv(path) as records:
        return max(0, sum(1 for _ in records) - 1)


def _header_and_first(path: Path) -> tuple[list[str], bool]:
    """The column names of the first row, checked (named, none twice), and whether a row
    follows it."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        rows = _sheet_rows(path)
        first = next(rows, ())
        names = [_cell_text(c) for c in first][:MAX_COLUMNS]
        more = next(rows, None) is not None
        rows.close()
    elif suffix == ".csv":
        with _csv(path) as records:
            names = [h.strip() for h in next(records, [])][:MAX_COLUMNS]
            more = next(records, None) is not None
    else:
        raise ValidationError({"file": _("Give a .csv or .xlsx file.")})
    _check(names)
    return names, more


def header(path: Path) -> list[str]:
    """The column names of the first row, checked (named, none twice)."""
    names, _more = _header_and_first(path)
    return [n for n in names if n]


def require_rows(path: Path) -> None:
    """Refuse a file whose header no row follows (nothing to import)."""
    _names, more = _header_and_first(path)
    if not more:
        raise ValidationError({"file": _("The file holds no row after its header.")})


def rows(path: Path) -> Iterator[dict[str, str]]:
    """Each data row as {header: text}, blank rows included (empty), so that row numbers
    stay those of the file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        cells = _sheet_rows(path)
        named = [_cell_text(c) for c in next(cells, ())]
        header = named[:MAX_COLUMNS]
        _check(header)
        for row in cells:
            out = {h: _cell_text(c) for h, c in zip(header, row, strict=False) if h}
            unnamed = [
                get_column_letter(i + 1)
                for i, c in enumerate(row)
                if (i >= len(named) or not named[i]) and c.value not in (None, "")
            ]
            if unnamed:
                out[UNNAMED] = ",".join(unnamed)
            yield out
        return
    if suffix != ".csv":
        raise ValidationError({"file": _("Give a .csv or .xlsx file.")})
    with _csv(path) as records:
        named = [h.strip() for h in next(records, [])]
        header = named[:MAX_COLUMNS]
        _check(header)
        for values in records:
            row = {h: v.strip() for h, v in zip(header, values, strict=False) if h}
            if any(v.strip() for v in values[len(named) :]):  # read, they would shift or be lost
                row[OVERFLOW] = f"{len(values)}/{len(named)}"
            unnamed = [str(i + 1) for i, v in enumerate(values[: len(named)]) if not named[i] and v.strip()]  # fmt: skip
            if unnamed:
                row[UNNAMED] = ",".join(unnamed)
            yield row


def _check(header: list[str]) -> None:
    if not any(header):
        raise ValidationError({"file": _("The first row must name the columns.")})
    seen = set()
    for name in header:
        if name and name in seen:
            raise ValidationError(
                {"file": _("The column “%(name)s” appears twice.") % {"name": name}}
            )
        seen.add(name)
