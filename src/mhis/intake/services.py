"""The import pipeline: map a file's columns, check every row with the same rules as the
pages, upsert by the source's own key, and report each row.

Rows are written in batches, each batch in one transaction together with the job's
checkpoint and the rows' results. A process killed half-way loses at most the batch it was
writing; running the same file again resumes after the last committed row, and a row whose
key was already imported is compared, not written twice. Importing a file a second time
therefore changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.services import can_write_people
from mhis.registry.models import Identifier, Person
from mhis.registry.services import (
    identifier_hash,
    register_person,
    update_person,
    visible_people,
)
from mhis.registry.validation import clean_identifier

from . import readers
from .models import Job, RowResult, SourceRecord
from .models import Mapping as SavedMapping

BATCH = 200

# The people kind: MHIS field -> how the service names it in its errors.
PEOPLE_FIELDS = {
    "source_key": "source_key",
    "registration_site": "registration_site",
    "name": "names.0.text",
    "latin_name": "names.0.latin",
    "sex": "sex",
    "birth_date": "birth_date",
    "birth_date_precision": "birth_date_precision",
    "nationality": "nationality",
    "languages": "languages",
    "contact": "contact",
    "identifier_type": "identifiers.0.type",
    "identifier_country": "identifiers.0.issuing_country",
    "identifier_value": "identifiers.0.value",
    "migration_status": "episodes.0.status",
    "origin_country": "episodes.0.origin_country",
    "destination_country": "episodes.0.destination_country",
    "occupation_sector": "episodes.0.occupation_sector",
    "migration_start": "episodes.0.start_date",
}
REQUIRED = ("source_key", "name", "registration_site")
KINDS = {"people": PEOPLE_FIELDS}


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mapping_for(source: str, kind: str, header: list[str], given: Mapping[str, str] | None = None) -> dict[str, str]:  # fmt: skip
    """MHIS field -> the file's column: `given`, else the source's saved mapping, else the
    columns named like the fields. Saved for the source when given."""
    fields = KINDS[kind]
    if given:
        unknown = sorted(set(given) - set(fields))
        missing = sorted(c for c in given.values() if c not in header)
        errors = {}
        if unknown:
            errors["mapping"] = _("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}
        if missing:
            errors["file"] = _("The file has no column %(names)s.") % {"names": ", ".join(missing)}
        if errors:
            raise ValidationError(errors)
        columns = dict(given)
        SavedMapping.objects.update_or_create(
            source=source, kind=kind, defaults={"columns": columns}
        )
    else:
        saved = SavedMapping.objects.filter(source=source, kind=kind).first()
        columns = dict(saved.columns) if saved else {}
    for field in fields:
        if field not in columns and field in header:
            columns[field] = field
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise ValidationError(
            {"file": _("No column for %(names)s.") % {"names": ", ".join(missing)}}
        )
    return columns


def _person_data(values: dict[str, str]) -> dict:
    data = {
        "registration_site": values.get("registration_site", ""),
        "names": [{"text": values.get("name", ""), "latin": values.get("latin_name", "")}],
        "sex": values.get("sex") or "unknown",
        "birth_date": values.get("birth_date") or None,
        "birth_date_precision": values.get("birth_date_precision") or None,
        "nationality": values.get("nationality", ""),
        "languages": [
            c.strip() for c in values.get("languages", "").replace(",", ";").split(";") if c.strip()
        ],
        "contact": values.get("contact", ""),
        "identifiers": [],
        "episodes": [],
    }
    if values.get("identifier_value") or values.get("identifier_type"):
        data["identifiers"] = [{"type": values.get("identifier_type", ""),
                                "issuing_country": values.get("identifier_country", ""),
                                "value": values.get("identifier_value", "")}]  # fmt: skip
    episode_fields = ("migration_status", "origin_country", "destination_country", "occupation_sector", "migration_start")  # fmt: skip
    if any(values.get(f) for f in episode_fields):
        data["episodes"] = [{"status": values.get("migration_status") or None,
                             "origin_country": values.get("origin_country", ""),
                             "destination_country": values.get("destination_country", ""),
                             "occupation_sector": values.get("occupation_sector") or None,
                             "start_date": values.get("migration_start") or None}]  # fmt: skip
    return data


def _known_by_identifier(user, values: dict[str, str]) -> Person | None:
    kind, value = values.get("identifier_type", ""), values.get("identifier_value", "")
    if not (kind and value):
        return None
    try:
        _shown, normal = clean_identifier(kind, value)
    except ValueError:
        return None
    found = Identifier.objects.filter(value_hash=identifier_hash(normal), type=kind,
                                      person__in=visible_people(user)).select_related("person").first()  # fmt: skip
    return found.person if found else None


def _possible_duplicate(person: Person) -> bool:
    others = Person.objects.filter(display_latin__iexact=person.display_latin or person.display_name,
                                   sex=person.sex, merged_into__isnull=True).exclude(pk=person.pk)  # fmt: skip
    if person.birth_date:
        others = others.filter(birth_date__year=person.birth_date.year)
    return others.exists()


@dataclass
class Outcome:
    outcome: str
    person: Person | None = None
    errors: dict | None = None  # the file's column -> [reasons]


def _one_row(user, job: Job, columns: dict[str, str], column_of: dict[str, str], raw: dict[str, str]) -> Outcome:  # fmt: skip
    """One row, in its own savepoint. `column_of` names, for each field as the service
    reports its errors, the file's column."""
    values = {field: raw.get(column, "") for field, column in columns.items()}
    missing = {columns[f]: [_("This field is required.")] for f in REQUIRED if not values.get(f)}
    if missing:
        return Outcome(RowResult.Outcome.REJECTED, errors=missing)
    key = values["source_key"][:200]
    row_hash = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
    record = SourceRecord.objects.filter(source=job.source, kind=job.kind, key=key).select_related("person").first()  # fmt: skip
    data = _person_data(values)
    try:
        with transaction.atomic():
            if record is not None:
                if record.row_hash == row_hash:
                    return Outcome(RowResult.Outcome.UNCHANGED, record.person)
                person = update_person(user, record.person, data)
                record.row_hash = row_hash
                record.save(update_fields=["row_hash"])
                return Outcome(RowResult.Outcome.UPDATED, person)
            if existing := _known_by_identifier(user, values):
                SourceRecord.objects.create(source=job.source, kind=job.kind, key=key, row_hash=row_hash, person=existing)  # fmt: skip
                return Outcome(RowResult.Outcome.LINKED, existing)
            person = register_person(user, data)
            SourceRecord.objects.create(source=job.source, kind=job.kind, key=key, row_hash=row_hash, person=person)  # fmt: skip
            outcome = (
                RowResult.Outcome.DUPLICATE
                if _possible_duplicate(person)
                else RowResult.Outcome.CREATED
            )
            return Outcome(outcome, person)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return Outcome(RowResult.Outcome.REJECTED,
                       errors={column_of.get(k, k): v for k, v in errors.items()})  # fmt: skip


def run_import(
    user, path: Path, *, kind: str = "people", source: str = "", columns: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Job:  # fmt: skip
    """Import `path` (CSV or XLSX): a new job, or the unfinished job of the same file resumed
    after its last committed row."""
    if not can_write_people(user):
        raise PermissionDenied(_("Your role cannot register or change people."))
    if kind not in KINDS:
        raise ValidationError({"kind": _("Unknown kind; choose one of %(kinds)s.") % {"kinds": ", ".join(KINDS)}})  # fmt: skip
    path = Path(path)
    source = (source or path.stem)[:100]
    digest = file_digest(path)
    mapping = mapping_for(source, kind, readers.header(path), columns)
    job = Job.objects.filter(
        source=source, kind=kind, digest=digest, status=Job.Status.RUNNING
    ).first()
    if job is None:
        job = Job.objects.create(source=source, kind=kind, file_name=path.name[:255], digest=digest,
                                 total=readers.count_rows(path), started_by=user)  # fmt: skip
    progress(job.done_rows, job.total)
    column_of = {service: mapping.get(field, field) for field, service in PEOPLE_FIELDS.items()}
    batch: list[tuple[int, dict]] = []

    def flush():
        with transaction.atomic():
            results = []
            for number, raw in batch:
                done = _one_row(user, job, mapping, column_of, raw)
                key = raw.get(mapping["source_key"], "")[:200]
                if done.errors:
                    results += [RowResult(job=job, row=number, source_key=key, outcome=done.outcome,
                                          field=field[:100], reason=" ".join(str(m) for m in messages))
                                for field, messages in done.errors.items()]  # fmt: skip
                else:
                    results.append(RowResult(job=job, row=number, source_key=key, outcome=done.outcome, person=done.person))  # fmt: skip
            RowResult.objects.bulk_create(results)
            job.done_rows = batch[-1][0]
            job.save(update_fields=["done_rows"])
        progress(job.done_rows, job.total)
        batch.clear()

    for number, raw in enumerate(readers.rows(path), start=1):
        if number <= job.done_rows:
            continue  # committed before the process stopped
        if not any(raw.values()):
            continue
        batch.append((number, raw))
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    job.status, job.finished_at = Job.Status.DONE, timezone.now()
    job.done_rows = max(job.done_rows, job.total)
    job.save(update_fields=["status", "finished_at", "done_rows"])
    return job


def summary(job: Job) -> dict[str, int]:
    """Rows by outcome (a rejected row counts once, however many fields it failed)."""
    counts: dict[str, int] = {}
    seen = set()
    for row, outcome in job.rows.values_list("row", "outcome").order_by("row"):
        if row in seen:
            continue
        seen.add(row)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
