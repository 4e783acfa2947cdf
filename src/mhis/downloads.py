"""Tables the application hands out as files (CSV and XLSX), written so that no cell runs as a
formula in the spreadsheet that opens them.

A spreadsheet takes a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) for a formula, which can fetch from the network or, through DDE, start a program on
the reader's computer (OWASP, "CSV Injection"). The text of a download comes from the field —
names, keys, the reason a row was rejected quoting its bad cell — so every CSV and XLSX the
application writes goes through this module:

- CSV: such a cell gets a leading apostrophe, and every cell is quoted, so that a spreadsheet
  reading ``;`` as the separator cannot split a cell into one that begins a formula;
- XLSX: such a cell is stored as text and marked to stay text when edited (``quotePrefix``),
  its characters unchanged;
- a number stays a number: numbers given as numbers are written as numbers, and text that is
  a plain number (``-5``, ``+3.2``, ``1e-3``, ``-12%``) is not marked.

The same leading characters in their full-width forms (``＝`` …), which some spreadsheets also
read as the start of a formula, and leading spaces before any of them, are treated alike.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_TRIGGERS = frozenset("=+-@＝＋－＠")
_CONTROL = frozenset("\t\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def risky(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula."""
    if text[:1] in _CONTROL:
        return True
    return text.lstrip(" ")[:1] in _TRIGGERS and not _NUMBER.fullmatch(text)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: text, with a leading apostrophe when it could run."""
    text = _text(value)
    return "'" + text if risky(text) else text


class CsvWriter:
    """`csv.writer` for downloads: every cell neutralised (`csv_cell`) and quoted."""

    def __init__(self, out):
        self._writer = csv.writer(out, quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def to_csv(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    CsvWriter(buffer).writerows(rows)
    return buffer.getvalue()


def xlsx_cells(sheet, row: Iterable[Any]) -> list:
    """A row for `sheet.append` (a workbook read-write or write-only): numbers, dates and
    plain text as they are; text that could run as a cell stored as text, marked to stay so."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out: list = []
    for value in row:
        if isinstance(value, bool | int | float | Decimal | date | datetime) or value is None:
            out.append(value)
            continue
        text = ILLEGAL_CHARACTERS_RE.sub("", _text(value))  # openpyxl refuses control characters
        if not risky(text):
            out.append(text)
            continue
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # openpyxl makes text that begins with "=" a formula
        cell.quotePrefix = True
        out.append(cell)
    return out


def append(sheet, row: Iterable[Any]) -> None:
    """Append `row` to an XLSX sheet through `xlsx_cells`."""
    sheet.append(xlsx_cells(sheet, row))


def to_xlsx(rows: Iterable[Iterable[Any]], title: str) -> bytes:
    """One sheet named `title` (cut to the 31 characters a sheet name may have)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "MHIS")
    for row in rows:
        append(sheet, row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
