"""Rows of a CSV or XLSX file, one at a time (a million-row file is never held whole)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mhis.input import open_workbook

MAX_COLUMNS = 200


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@contextmanager
def _first_sheet(path: Path):
    """The first worksheet of an XLSX file, read as a stream; a file openpyxl cannot read
    (damaged, or not a workbook) is refused naming the file."""

    book = open_workbook(path)
    try:
        yield book.worksheets[0]
    finally:
        book.close()


def count_rows(path: Path) -> int:
    """Data rows (after the header), for progress."""
    if path.suffix.lower() == ".xlsx":
        with _first_sheet(path) as sheet:
            sheet.reset_dimensions()  # the stored size may be missing or wrong: count
            return max(0, sum(1 for _ in sheet.iter_rows(values_only=True)) - 1)
    with path.open(encoding="utf-8-sig", newline="") as f:
        return max(0, sum(1 for _ in csv.reader(f)) - 1)


def header(path: Path) -> list[str]:
    """The column names of the first row, checked (named, none twice)."""
    if path.suffix.lower() == ".xlsx":
        with _first_sheet(path) as sheet:
            first = next(sheet.iter_rows(values_only=True, max_row=1), ())
            names = [_text(v) for v in first][:MAX_COLUMNS]
    elif path.suffix.lower() == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                names = [h.strip() for h in next(csv.reader(f), [])][:MAX_COLUMNS]
        except UnicodeDecodeError:
            raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    else:
        raise ValidationError({"file": _("Give a .csv or .xlsx file.")})
    _check(names)
    return [n for n in names if n]


def rows(path: Path) -> Iterator[dict[str, str]]:
    """Each data row as {header: text}, blank rows included (empty), so that row numbers
    stay those of the file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        with _first_sheet(path) as sheet:
            values_of = sheet.iter_rows(values_only=True)
            header = [_text(v) for v in next(values_of, ())][:MAX_COLUMNS]
            _check(header)
            for values in values_of:
                yield {h: _text(v) for h, v in zip(header, values, strict=False) if h}
        return
    if suffix != ".csv":
        raise ValidationError({"file": _("Give a .csv or .xlsx file.")})
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader, [])][:MAX_COLUMNS]
            _check(header)
            for values in reader:
                yield {h: v.strip() for h, v in zip(header, values, strict=False) if h}
        except UnicodeDecodeError:
            raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
        except csv.Error as exc:
            raise ValidationError(
                {"file": _("Not a readable CSV file: %(error)s") % {"error": exc}}
            ) from None


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
