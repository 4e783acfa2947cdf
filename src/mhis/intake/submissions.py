"""Submissions exported from ODK Central or KoboToolbox, read into one shape.

Accepted:
- JSON of the submission APIs: ODK Central's OData feed (``{"value": [...]}``, groups as
  nested objects, repeats inline as lists when expanded), KoboToolbox's data API
  (``{"results": [...]}``, keys as ``group/field`` paths, repeats as lists), or a plain list;
- XLSX exports: the submissions on the first sheet, each repeat group on a sheet of its own,
  linked by ``_index``/``_parent_index`` (KoboToolbox) or ``KEY``/``PARENT_KEY`` (ODK Central);
- CSV: one file of submissions, or ODK Central's ZIP of CSV files (one per repeat group).

A column or key is known by its last path segment (``group/field``, ``group-field``, ``group.field``), which is
the field's name in the MHIS forms.

A submission is known by its first instance id, which an edit keeps: ODK Central's ``__id``
(OData) or ``KEY`` (CSV), KoboToolbox's ``meta/rootUuid``; without them, by its own
``meta/instanceID`` (or ``_uuid``), the id it replaced (``meta/deprecatedID``) kept as an alias so
that an edit imported after its first version updates what that version made. Submissions
rejected in ODK Central (review state ``rejected``) or not approved in KoboToolbox
(``validation_status_not_approved``) are read but left out, with the reason. Exports that
cannot be read right are refused naming the fix: labels instead of XML values and headers,
an OData feed without ``$expand=*`` (its repeat groups left out).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mhis import uploads

from . import fieldforms
from .fieldforms import FieldForm, Submission
from .readers import _first_sheet, _text

# The submission as a whole (kept by an edit): Central's OData and CSV, Kobo's.
_ROOT_KEYS = ("__id", "KEY", "rootUuid")
# This version of it, and the version an edit replaced.
_VERSION_KEYS = ("instanceID", "_uuid", "uuid")
_REVIEW_KEYS = ("ReviewState", "reviewState", "_validation_status")
NAVIGATION = "@odata.navigationLink"


def _name(path: str) -> str:
    for separator in ("/", "-", "."):  # Kobo's group separator is "/" unless set otherwise
        path = path.rsplit(separator, 1)[-1]
    return path.strip()


def _id(value: str) -> str:
    """An instance id with its scheme (Kobo's ``_uuid`` and Central's test ids have none)."""
    value = value.strip()
    return value if ":" in value else f"uuid:{value}"


def _left_out(review: str) -> str:
    """Why a submission in this review state is not imported ("" if it is)."""
    state = review.strip().lower().replace(" ", "_")
    if state == "rejected":
        return _("Not imported: rejected in ODK Central.")
    if state in ("validation_status_not_approved", "not_approved"):
        return _("Not imported: not approved in KoboToolbox.")
    return ""


def _submission(flat: dict[str, str], repeats: dict[str, list]) -> Submission:
    root = next((flat[k] for k in _ROOT_KEYS if flat.get(k)), "")
    own = next((flat[k] for k in _VERSION_KEYS if flat.get(k)), "")
    key = _id(root or own) if (root or own) else ""
    aliases = tuple(
        dict.fromkeys(_id(v) for v in (own, flat.get("deprecatedID", "")) if v and _id(v) != key)
    )
    review = next((flat[k] for k in _REVIEW_KEYS if flat.get(k)), "")
    replaces = flat.get("deprecatedID", "")
    return Submission(
        key,
        flat,
        repeats,
        aliases=aliases,
        left_out=_left_out(review),
        version=_id(own) if own else "",
        replaces=_id(replaces) if replaces else "",
    )


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
        return _from_json(path)
    except RecursionError:
        raise ValidationError(
            {"file": _("Not readable JSON: it is nested too deeply to be a submissions export.")}
        ) from None


def _from_json(path: Path) -> list[Submission]:
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
        _expanded(item)
        item = dict(item)
        status = item.pop("_validation_status", None)  # Kobo: {"uid": …, "label": …} or {}
        values: dict[str, str] = {}
        repeats: dict[str, list] = {}
        _flatten(item, values, repeats)
        values["_validation_status"] = (
            status.get("uid", "") if isinstance(status, dict) else _text(status)
        )
        out.append(_submission(values, repeats))
    return out


def _expanded(obj: dict) -> None:
    """Refuse an OData feed whose repeat groups are only links (asked without ``$expand=*``):
    read as it is, every repeat would silently be lost."""
    for name, value in obj.items():
        if name.endswith(NAVIGATION) and name[: -len(NAVIGATION)] not in obj:
            raise ValidationError(
                {
                    "file": _(
                        "This OData export leaves out the repeat group “%(group)s” (it holds "
                        "only a link to it): download the submissions again with $expand=* "
                        "(Submissions?$expand=*), or export the CSV ZIP."
                    )
                    % {"group": name[: -len(NAVIGATION)]}
                }
            )
        if isinstance(value, dict):
            _expanded(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _expanded(item)


# The key under which a table keeps a column of one choice of a select_multiple question
# ("group/languages/my": 1 or 0), read by `join_choices`.
CHOICE = "\x00choice:"
_SEGMENTS = re.compile(r"[/.-]")


def _table(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows with their columns known by the last path segment; the linking columns kept, and
    each column's last two segments (a choice's column of a select_multiple question)."""
    out = []
    for row in rows:
        flat: dict[str, str] = {}
        for path, value in row.items():
            name = path if path in ("_index", "_parent_index", "KEY", "PARENT_KEY") else _name(path)
            if name and (name not in flat or flat[name] == ""):
                flat[name] = value
            segments = _SEGMENTS.split(path)
            if len(segments) > 1:
                flat.setdefault(f"{CHOICE}{segments[-2].strip()}/{segments[-1].strip()}", value)
        out.append(flat)
    return out


_CHOSEN = {"1", "true", "yes"}


def join_choices(form: FieldForm, subs: list[Submission]) -> None:
    """A select_multiple question exported as one column per choice only (KoboToolbox's
    "Export select_multiple responses: as separate columns"; ODK Central's "split select
    multiples"), 1 where the choice was chosen: its answer, as the choices' names separated by
    spaces, as the other shapes give it."""
    questions = [
        q for q in fieldforms.questions_of(form) if q.type.partition(" ")[0] == "select_multiple"
    ]
    lists = fieldforms.choice_lists()
    for sub in subs:
        rows = [sub.values, *(r for rs in sub.repeats.values() for r in rs)]
        for row in rows:
            for q in questions:
                if q.name in row:
                    continue
                codes = [code for code, _labels in lists.get(q.type.partition(" ")[2], [])]
                given = [code for code in codes if f"{CHOICE}{q.name}/{code}" in row]
                if given:
                    row[q.name] = " ".join(
                        code
                        for code in given
                        if row[f"{CHOICE}{q.name}/{code}"].strip().lower() in _CHOSEN
                    )


def _assemble(
    main: list[dict[str, str]], repeats: dict[str, list[dict[str, str]]]
) -> list[Submission]:
    subs = []
    by_link: dict[str, Submission] = {}
    for row in main:
        sub = _submission(row, {})
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
                    "Submission %(n)s has no instance id (meta/instanceID, __id, _uuid, "
                    "meta/rootUuid or KEY)."
                )
                % {"n": unkeyed[0]}
            }
        )
    return submissions


def _fold(text: str) -> str:
    return " ".join(_name(text).casefold().split())


def check_shape(form: FieldForm, subs: list[Submission]) -> None:
    """Refuse an export that is not of `form` as MHIS reads it, naming the fix: one whose
    headers are the questions' labels, or whose answers are the choices' labels (KoboToolbox's
    "Labels" export), or that holds none of the form's questions (another form's export)."""
    if not subs:
        return
    questions = {q.name: q for q in fieldforms.questions_of(form) if q.type != "calculate"}
    seen = {name for sub in subs for name in sub.values if not name.startswith(CHOICE)}
    seen |= {
        name
        for sub in subs
        for rows in sub.repeats.values()
        for row in rows
        for name in row
        if not name.startswith(CHOICE)
    }
    if not seen & set(questions):
        labels = {
            _fold(text)
            for q in questions.values()
            if q.label
            for text in fieldforms.label_texts(q.label)
        }
        if {_fold(name) for name in seen} & labels:
            raise ValidationError({"file": _labels_fix()})
        raise ValidationError(
            {
                "file": _(
                    "None of the questions of the form “%(form)s” (%(names)s) are in this "
                    "export: is it the export of another form?"
                )
                % {"form": form.form_id, "names": ", ".join(list(questions)[:5])}
            }
        )
    lists = fieldforms.choice_lists()
    for name, q in questions.items():
        kind, _space, list_name = q.type.partition(" ")
        if kind not in ("select_one", "select_multiple") or list_name not in lists:
            continue
        codes = {code for code, _labels in lists[list_name]}
        texts = {_fold(t) for _code, by in lists[list_name] for t in by.values()}
        for sub in subs:
            rows = [sub.values, *(r for rs in sub.repeats.values() for r in rs)]
            for row in rows:
                value = row.get(name, "")
                if value and value not in codes and _fold(value) in texts:
                    raise ValidationError({"file": _labels_fix()})


def _labels_fix() -> str:
    return _(
        "This export has the questions' or the choices' labels instead of their names "
        "(KoboToolbox's “Labels” format): export again with “XML values and headers”."
    )
