"""Submissions exported from ODK Central or KoboToolbox, read into one shape.

Accepted:
- JSON of the submission APIs: ODK Central's OData feed (``{"value": [...]}``, groups as
  nested objects, repeats inline as lists when expanded), KoboToolbox's data API
  (``{"results": [...]}``, keys as ``group/field`` paths, repeats as lists), or a plain list;
- XLSX exports: the submissions on the first sheet, each repeat group on a sheet of its own,
  linked by ``_index``/``_parent_index`` (KoboToolbox) or ``KEY``/``PARENT_KEY`` (ODK Central);
- CSV: one file of submissions, or ODK Central's ZIP of CSV files (one per repeat group).

A column or key is known by its last path segment (``group/field``, ``group-field``), which is
the field's name in the MHIS forms. The instance id (``meta/instanceID``, ``__id``, ``_uuid``
or ``KEY``) is the submission's key, so the same submission imported twice is one record.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mhis import uploads

from .fieldforms import Submission
from .readers import _first_sheet, _text

_ID_KEYS = ("instanceID", "__id", "_uuid", "KEY", "uuid")


def _name(path: str) -> str:
    for separator in ("/", "-"):
        path = path.rsplit(separator, 1)[-1]
    return path.strip()


def _key(flat: dict[str, str]) -> str:
    for name in _ID_KEYS:
        value = flat.get(name)
        if value:
            return value if value.startswith("uuid:") or name == "KEY" else f"uuid:{value}"
    return ""


def _flatten(obj: dict, values: dict[str, str], repeats: dict[str, list]) -> None:
    for path, value in obj.items():
        name = _name(path)
        if isinstance(value, dict):
            _flatten(value, values, repeats)
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value) and value:
            children = []
            for item in value:
                child: dict[str, str] = {}
                _flatten(item, child, {})
                children.append(child)
            repeats.setdefault(name, []).extend(children)
        elif isinstance(value, list):
            values[name] = " ".join(_text(v) for v in value)
        elif name not in values or values[name] == "":
            values[name] = (
                ""
                if value is None
                else _text(value)
                if not isinstance(value, bool)
                else ("yes" if value else "no")
            )


def from_json(path: Path) -> list[Submission]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(
            {"file": _("Not readable JSON: %(error)s") % {"error": exc}}
        ) from None
    if isinstance(data, dict):
        data = data.get("value", data.get("results", data.get("data")))
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        raise ValidationError(
            {"file": _("Expected a list of submissions (or an object with “value” or “results”).")}
        )
    out = []
    for item in data:
        values: dict[str, str] = {}
        repeats: dict[str, list] = {}
        _flatten(item, values, repeats)
        out.append(Submission(_key(values), values, repeats))
    return out


def _table(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows with their columns known by the last path segment; the linking columns kept."""
    out = []
    for row in rows:
        flat: dict[str, str] = {}
        for path, value in row.items():
            name = path if path in ("_index", "_parent_index", "KEY", "PARENT_KEY") else _name(path)
            if name and (name not in flat or flat[name] == ""):
                flat[name] = value
        out.append(flat)
    return out


def _assemble(
    main: list[dict[str, str]], repeats: dict[str, list[dict[str, str]]]
) -> list[Submission]:
    subs = []
    by_link: dict[str, Submission] = {}
    for row in main:
        sub = Submission(_key(row), row, {})
        subs.append(sub)
        for link in ("_index", "KEY"):
            if row.get(link):
                by_link[row[link]] = sub
    for group, rows in repeats.items():
        for row in rows:
            parent = row.get("_parent_index") or row.get("PARENT_KEY", "")
            # ODK Central nests repeats: PARENT_KEY of a first-level repeat is the submission's KEY.
            sub = by_link.get(parent) or by_link.get(parent.split("/")[0])
            if sub is not None:
                sub.repeats.setdefault(group, []).append(row)
    return subs


def _sheet_rows(sheet) -> list[dict[str, str]]:
    values = sheet.iter_rows(values_only=True)
    header = [_text(v) for v in next(values, ())]
    return [
        {h: _text(v) for h, v in zip(header, row, strict=False) if h}
        for row in values
        if any(v not in (None, "") for v in row)
    ]


def from_xlsx(path: Path) -> list[Submission]:
    with _first_sheet(path) as first:
        book = first.parent
        main = _table(_sheet_rows(first))
        repeats = {_name(sheet.title): _table(_sheet_rows(sheet)) for sheet in book.worksheets[1:]}
    return _assemble(main, repeats)


def _csv_rows(raw) -> list[dict[str, str]]:
    """The rows of a CSV file opened as bytes, its encoding and delimiter found by
    `uploads.csv_records` (KoboToolbox's CSV is separated by semicolons); blank lines skipped."""
    records = uploads.csv_records(io.BufferedReader(raw) if not hasattr(raw, "peek") else raw)
    header = [h.strip() for h in next(records, [])]
    rows = []
    for values in records:
        if values:
            row = dict.fromkeys((h for h in header if h), "")
            row.update({h: v.strip() for h, v in zip(header, values, strict=False) if h})
            rows.append(row)
    return rows


def from_csv(path: Path) -> list[Submission]:
    with path.open("rb") as f:
        return _assemble(_table(_csv_rows(f)), {})


def from_zip(path: Path) -> list[Submission]:
    """ODK Central's CSV export: the submissions file, and `<form>-<group>.csv` per repeat."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValidationError({"file": _("Not a readable ZIP file.")}) from None
    with archive:
        tables = {}
        for info in archive.infolist():
            if not info.filename.lower().endswith(".csv"):
                continue
            with archive.open(info) as raw:
                tables[Path(info.filename).stem] = _table(_csv_rows(raw))
    if not tables:
        raise ValidationError({"file": _("The ZIP file holds no CSV file.")})
    main_name = min(
        (n for n, rows in tables.items() if not rows or "PARENT_KEY" not in rows[0]),
        key=len,
        default=None,
    )
    if main_name is None:
        raise ValidationError({"file": _("The ZIP file holds no file of submissions.")})
    repeats = {_name(n): rows for n, rows in tables.items() if n != main_name}
    return _assemble(tables[main_name], repeats)


def read(path: Path, name: str = "") -> list[Submission]:
    """The submissions of an export, read whole once `mhis.uploads` has found it within the
    limits of a file held in memory (`name`: the file's name as its sender knows it)."""
    suffix = path.suffix.lower()
    readers = {".json": from_json, ".xlsx": from_xlsx, ".csv": from_csv, ".zip": from_zip}
    if suffix not in readers:
        raise ValidationError({"file": _("Give a .json, .xlsx, .csv or .zip export.")})
    uploads.check(path, uploads.held(), name or path.name)
    submissions = readers[suffix](path)
    unkeyed = [i for i, s in enumerate(submissions, start=1) if not s.key]
    if unkeyed:
        raise ValidationError(
            {
                "file": _(
                    "Submission %(n)s has no instance id (meta/instanceID, __id, _uuid or KEY)."
                )
                % {"n": unkeyed[0]}
            }
        )
    return submissions
