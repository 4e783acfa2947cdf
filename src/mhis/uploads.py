"""What a file from outside may hold, checked before anything reads it for its content.

A ZIP (an ODK Central export, and every XLSX) can unpack to thousands of times its size, and
a small CSV can hold millions of rows: either holds a worker for minutes and fills its memory
when read. So before an import starts, `check` reads the file once as a stream — every member
of a ZIP, every part of a workbook — counting the bytes it unpacks to and the rows it holds,
and refuses it, naming the file and the limit, as soon as either passes its limit. Nothing
read is kept, so the check's memory stays flat whatever the file holds.

Two sets of limits (settings, see the admin guide):
- files read row by row (tables of records): `MHIS_IMPORT_MAX_UNPACKED_BYTES`,
  `MHIS_IMPORT_MAX_ROWS`;
- files read whole before they are written (field form exports, weekly reports):
  `MHIS_IMPORT_MAX_HELD_BYTES`, `MHIS_IMPORT_MAX_HELD_ROWS`.
A workbook's table of shared strings is held in memory by the reader whatever the file, so it
has its own bound (`MHIS_XLSX_MAX_STRINGS_BYTES`).

What counts as a row: a CSV record (a line longer than `MAX_LINE` characters is refused, so a
row of millions of empty cells cannot be built), a ``row`` element of a workbook part, or a
JSON file's bytes only (it is parsed whole; its size is its bound).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import pyexpat
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_LINE = 1_000_000  # characters in one line of a CSV file
MAX_DIRECTORY = 2_000_000  # bytes of a ZIP's directory, which is read whole (about 15,000 files)
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    unpacked: int  # bytes, every member together
    rows: int  # rows, every member and sheet together


def streamed() -> Limits:
    """Limits of a table imported row by row."""
    return Limits(settings.MHIS_IMPORT_MAX_UNPACKED_BYTES, settings.MHIS_IMPORT_MAX_ROWS)


def held() -> Limits:
    """Limits of a file read whole before it is written."""
    return Limits(settings.MHIS_IMPORT_MAX_HELD_BYTES, settings.MHIS_IMPORT_MAX_HELD_ROWS)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f}"


class _Budget:
    """What the file has unpacked to so far, refused past its limits."""

    def __init__(self, name: str, limits: Limits):
        self.name, self.limits = name, limits
        self.bytes = self.rows = 0

    def take_bytes(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.unpacked:
            raise too_large(self.name, self.limits.unpacked)

    def take_rows(self, n: int) -> None:
        self.rows += n
        if self.rows > self.limits.rows:
            message = _("“%(file)s” holds more than %(limit)s rows, the most an import takes.")
            limit = f"{self.limits.rows:,}"
            raise ValidationError({"file": message % {"file": self.name, "limit": limit}})


def too_large(name: str, limit: int) -> ValidationError:
    return ValidationError(
        {
            "file": _("“%(file)s” unpacks to more than %(limit)s MB, the most an import takes.")
            % {"file": name, "limit": _mb(limit)}
        }
    )


class _Counted(io.RawIOBase):
    """A binary stream whose bytes are taken from the budget as they are read."""

    def __init__(self, raw, budget: _Budget):
        self.raw, self.budget = raw, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        self.budget.take_bytes(len(data))
        buffer[: len(data)] = data
        return len(data)


def check(path: Path, limits: Limits, name: str | None = None) -> int | None:
    """Refuse `path` (ValidationError on ``file``, naming the file as `name`, never the path on
    this server) when it unpacks to more than `limits.unpacked` bytes or holds more than
    `limits.rows` rows, counting every member of a ZIP and every part of a workbook. Gives
    the number of records of a CSV file (its header included), counted on the way."""
    path = Path(path)
    name = name or path.name
    budget = _Budget(name, limits)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".json"):
        size = path.stat().st_size
        if size > limits.unpacked:
            raise too_large(name, limits.unpacked)
        if suffix == ".csv":
            with path.open("rb") as raw:
                _csv_rows(io.BufferedReader(_Counted(raw, budget), _CHUNK), budget, name)
            return budget.rows
    elif suffix in (".zip", ".xlsx"):
        _archive(path, budget, name, workbook=suffix == ".xlsx")
    return None


def _csv_rows(stream, budget: _Budget, name: str) -> None:
    """Count the records of a CSV stream (whose bytes the budget already takes)."""
    for _row in csv_records(stream, name):
        budget.take_rows(1)


# -- CSV text: its encoding and delimiter found, never guessed into the wrong letters --------
#
# A CSV file is read as UTF-8 (with or without Excel's byte order mark) or, with its byte order
# mark, UTF-16 (Excel's "Unicode text"). A file in any other encoding is refused at its first
# byte that is not UTF-8, naming the line, the row and the column: an 8-bit encoding cannot be
# told from another by its bytes (Windows-1252 from the Thai Windows-874), so reading it as one
# would turn the names of another into other letters without a word
# (docs/decisions/0022-csv-encoding-and-delimiter.md). The delimiter is the one of comma,
# semicolon (KoboToolbox's default, and Excel's where the decimal mark is a comma) or tab that
# splits the header into the most columns, or the one an Excel ``sep=`` first line names.

DELIMITERS = (",", ";", "\t")
_SEP_LINE = re.compile(r"^sep=(.)\r?\n?$", re.IGNORECASE)
_MAX_LINE_BYTES = 4 * MAX_LINE  # a character of UTF-8 is at most four bytes
# Text is decoded ahead of the line read: what cannot be decoded is marked by a lone
# surrogate, which no decoded text holds, and refused on the line it is found in.
_BAD = "\udc00"
_MARK_BAD = "mhis.mark-undecodable"
codecs.register_error(_MARK_BAD, lambda error: (_BAD, error.end))
_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")  # after a CR that no LF follows


class _BadByte(Exception):
    def __init__(self, line: int, byte: int, before: str):
        super().__init__(line, byte)
        self.line, self.byte, self.before = line, byte, before


def _not_text(head: bytes) -> str | None:
    """Why a file that starts with `head` is no CSV text, if it is plainly something else."""
    if head.startswith(b"PK\x03\x04"):
        return _(
            "This file is a workbook or a ZIP archive, not CSV text: give a workbook the "
            "extension .xlsx."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _(
            "This file is an Excel 97-2003 workbook (.xls), not CSV text: save it as XLSX or "
            "as CSV UTF-8."
        )
    if b"\x00" in head:
        return _("This file holds binary data, not CSV text.")
    return None


class _Lines:
    """The lines of a CSV byte stream as text, numbered as a text editor numbers them; a byte
    that is not UTF-8 raises `_BadByte`."""

    def __init__(self, stream, name: str):
        self.stream, self.name, self.number = stream, name, 0
        self.pending: list[bytes] = []  # the lines of a read ended by lone CRs, last first
        self.carry = b""  # the start of a line a read was cut in
        head = stream.peek(_CHUNK)[:_CHUNK] if hasattr(stream, "peek") else b""
        self.utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if self.utf16:
            self.text = io.TextIOWrapper(stream, encoding="utf-16", errors=_MARK_BAD, newline="")
        elif (why := _not_text(head)) is not None:
            raise ValidationError({"file": why})

    def __iter__(self):
        return self

    def _raw_line(self) -> bytes:
        """The next line's bytes, ended by LF, CRLF or a lone CR (Excel for Mac's "CSV");
        empty at the end."""
        while not self.pending:
            more = self.stream.readline(_MAX_LINE_BYTES + 1)
            raw, self.carry = self.carry + more, b""
            if not raw:
                return b""
            if b"\r" not in raw[:-2]:
                self.pending = [raw]
                break
            pieces = [piece for piece in _LONE_CR.split(raw) if piece]
            if more and not more.endswith((b"\n", b"\r")) and len(pieces) > 1:
                self.carry = pieces.pop()  # cut by the read's limit: the line goes on
            self.pending = pieces[::-1]
        return self.pending.pop()

    def _too_long(self) -> ValidationError:
        message = _("Line %(line)s of “%(file)s” is longer than %(limit)s characters.")
        values = {"line": self.number, "file": self.name, "limit": f"{MAX_LINE:,}"}
        return ValidationError({"file": message % values})

    def __next__(self) -> str:
        self.number += 1
        if self.utf16:
            line = self.text.readline(MAX_LINE + 1)
            if _BAD in line:
                raise ValidationError(
                    {
                        "file": _("Line %(line)s: the text is not valid UTF-16.")
                        % {"line": self.number}
                    }
                )
            if len(line) > MAX_LINE:
                raise self._too_long()
            if not line:
                raise StopIteration
            return line.removeprefix("\ufeff")
        raw = self._raw_line()
        if not raw:
            raise StopIteration
        if len(raw) > _MAX_LINE_BYTES:
            raise self._too_long()
        if self.number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start].decode("utf-8", "replace")
            raise _BadByte(self.number, raw[exc.start], before) from None
        if len(line) > MAX_LINE:
            raise self._too_long()
        return line


# The "delimiter" of a file whose header is one column whichever delimiter splits it: its rows
# are one value each, so a comma or semicolon in a name ("Lopez, Maria") splits nothing.
ONE_COLUMN = "\x1f"


def delimiter_of(header: str) -> str:
    """The delimiter that splits the header line into the most columns (comma on a tie), or
    `ONE_COLUMN` when none splits it."""
    best, most = ONE_COLUMN, 1
    for delimiter in DELIMITERS:
        fields = len(next(csv.reader([header], delimiter=delimiter), []))
        if fields > most:
            best, most = delimiter, fields
    return best


def csv_records(stream, name: str = "") -> Iterator[list[str]]:
    """The records of a CSV file opened as bytes (`stream`, a buffered reader), its header
    first: UTF-8 (a byte order mark or none) or UTF-16 with its byte order mark, delimited by
    a comma, a semicolon or a tab (see above). A file that is not such text is refused
    (ValidationError on ``file``): a byte that is not UTF-8 by its line, its row (1 is the
    first after the header) and, where the line starts a row, its column."""
    lines = _Lines(stream, name)
    skipped = 0
    delimiter = ","
    header: list[str] | None = None
    records = ended = 0  # records read, and the lines they took
    try:
        first = next(lines, None)
        if first is not None and (sep := _SEP_LINE.match(first)):
            delimiter, skipped = sep.group(1), 1  # Excel's "sep=;" line names it
            first = next(lines, None)
        elif first is not None:
            delimiter = delimiter_of(first)
        if first is None:
            return
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
        for record in reader:
            if header is None:
                header = record
            records, ended = records + 1, reader.line_num
            yield record
    except _BadByte as bad:
        starts_row = ended + skipped + 1 == bad.line
        reason = _bad_byte(bad, header, records, delimiter, starts_row)
        raise ValidationError({"file": reason}) from None
    except csv.Error as exc:  # the csv module's own message: the fault, never a path
        raise ValidationError(
            {
                "file": _("Not a readable CSV file: line %(line)s: %(error)s")
                % {"line": lines.number, "error": exc}
            }
        ) from None


def _bad_byte(
    bad: _BadByte, header: list[str] | None, records: int, delimiter: str, starts_row: bool
) -> str:
    values: dict[str, object] = {"line": bad.line, "byte": f"{bad.byte:02X}", "row": records}
    if header is None:
        problem = _("Line %(line)s (the header): byte 0x%(byte)s is not valid in UTF-8.")
    else:
        column = ""
        if starts_row:
            at = len(next(csv.reader([bad.before], delimiter=delimiter), [""])) - 1
            column = header[at].strip() if 0 <= at < len(header) else ""
        if column:
            values["column"] = column
            problem = _(
                "Line %(line)s (row %(row)s, column “%(column)s”): byte 0x%(byte)s is not "
                "valid in UTF-8."
            )
        else:
            problem = _("Line %(line)s (row %(row)s): byte 0x%(byte)s is not valid in UTF-8.")
    fix = _(
        "MHIS reads CSV files in UTF-8 only, so that no name is misread: save the file as "
        "“CSV UTF-8” (Excel: Save As, “CSV UTF-8 (Comma delimited)”; LibreOffice: character "
        "set “Unicode (UTF-8)”) and import it again."
    )
    return f"{problem % values} {fix}"


def directory_size(path: Path) -> int | None:
    """The bytes of a ZIP's directory of files, as its end record says (read before the
    directory, which `zipfile` reads whole), or None when there is no end record."""
    with Path(path).open("rb") as f:
        f.seek(0, io.SEEK_END)
        f.seek(max(0, f.tell() - (22 + 0xFFFF)))  # the record, and a comment of at most 64 KB
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    return int.from_bytes(tail[at + 12 : at + 16], "little")


def _unreadable(name: str, workbook: bool) -> ValidationError:
    message = (
        _("“%(file)s” is not a readable XLSX file.")
        if workbook
        else _("“%(file)s” is not a readable ZIP file.")
    )
    return ValidationError({"file": message % {"file": name}})


def _archive(path: Path, budget: _Budget, name: str, *, workbook: bool) -> None:
    directory = directory_size(path)
    if directory is not None and directory > MAX_DIRECTORY:  # 0xFFFFFFFF: larger, in ZIP64
        raise ValidationError({"file": _("“%(file)s” holds too many files.") % {"file": name}})
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            declared = sum(info.file_size for info in infos)
            if declared > budget.limits.unpacked:  # refused before a byte is unpacked
                raise too_large(name, budget.limits.unpacked)
            strings_limit = settings.MHIS_XLSX_MAX_STRINGS_BYTES
            for info in infos:
                if info.is_dir():
                    continue
                label = f"{info.filename} ({name})"
                with archive.open(info) as member:
                    stream = io.BufferedReader(_Counted(member, budget), _CHUNK)
                    if workbook:
                        _xml_rows(stream, budget, label, info.file_size, strings_limit)
                    elif info.filename.lower().endswith(".csv"):
                        _csv_rows(stream, budget, label)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
        # damaged, encrypted, or of a compression zipfile cannot read
        raise _unreadable(name, workbook) from None


class _NotXml(Exception):
    pass


def _xml_rows(stream, budget: _Budget, label: str, size: int, strings_limit: int) -> None:
    """Count the ``row`` elements of one part of a workbook, in any namespace and wherever the
    part lies (a sheet can be named anything in the package). A part that is not XML (an
    image) has no rows; a document type declaration, which SpreadsheetML never has and entity
    bombs need, refuses the file."""
    parser = pyexpat.ParserCreate(namespace_separator=" ")
    rows = 0
    first = True

    def start(element: str, _attributes) -> None:
        nonlocal rows, first
        local = element.rsplit(" ", 1)[-1]
        if first and local == "sst" and size > strings_limit:  # the shared strings, held whole
            message = _(
                "The shared text of “%(file)s” unpacks to more than %(limit)s MB, the most an "
                "import takes."
            )
            raise ValidationError({"file": message % {"file": label, "limit": _mb(strings_limit)}})
        first = False
        if local == "row":
            rows += 1

    def doctype(*_args) -> None:
        raise _NotXml

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
            budget.take_rows(rows)
            rows = 0
        parser.Parse(b"", True)
    except pyexpat.ExpatError:
        budget.take_rows(rows)  # rows before the fault are read by a streaming reader too
    except _NotXml:
        raise ValidationError(
            {"file": _("“%(file)s” is not a readable XLSX file.") % {"file": label}}
        ) from None
