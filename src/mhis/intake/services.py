"""The import pipeline: map a file's columns, check every row with the same rules as the
pages, upsert by the source's own key, and report each row.

Rows are written in batches, each batch in one transaction together with the job's
checkpoint and the rows' results. A process killed half-way loses at most the batch it was
writing; running the same file again resumes after the last committed row, and a row whose
key was already imported is compared, not written twice. Importing a file a second time
therefore changes nothing.

A source's keys belong to the places of whoever imported them (`namespace`): the same name
used by people of other places is another source, and a row never reaches a record, nor
links a person, outside the importer's places (docs/decisions/0012-import-namespaces.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import uploads
from mhis.access.models import Scope
from mhis.access.policy import Can, allowed, in_scope
from mhis.access.services import place_scope_q
from mhis.bulk import insert_values
from mhis.registry.models import Identifier, Person
from mhis.registry.services import (
    Registered,
    clean_person_input,
    identifier_hash,
    register_many,
    register_person,
    update_person,
    visible_people,
)
from mhis.registry.validation import clean_identifier

from . import readers
from .kinds import KINDS, Kind, person_of
from .models import Job, RowResult, SourceRecord
from .models import Mapping as SavedMapping

BATCH = 1000

# The people kind: its fields -> how the registration service names them in its errors.
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


def can_import(user) -> bool:
    return any(kind.allows(user) for kind in KINDS.values())


def visible_jobs(user):
    """Imports the user may follow: their own; an administrator also sees those of people
    whose places all lie inside the administrator's (an import's rows carry people's data)."""
    jobs = Job.objects.select_related("started_by")
    if not allowed(user, Can.FOLLOW_IMPORTS):
        return jobs.filter(started_by=user)
    outside = Scope.objects.exclude(place_scope_q(user, "place")).values("user")
    inside = Scope.objects.filter(place_scope_q(user, "place")).values("user")
    return jobs.filter(Q(started_by=user) | Q(started_by__in=inside) & ~Q(started_by__in=outside))


def namespace(user) -> str:
    """The namespace of the user's imports: the places they work for. Users with the same
    places share it (so re-importing a colleague's file changes nothing); anyone else, with
    the same source name and keys, imports into another."""
    ids = sorted(Scope.objects.filter(user=user).values_list("place_id", flat=True))
    text = "places:" + ",".join(str(i) for i in ids)
    return text if len(text) <= 100 else "places:sha256:" + hashlib.sha256(text.encode()).hexdigest()  # fmt: skip


def kind_of(name: str) -> Kind:
    if name not in KINDS:
        raise ValidationError({"kind": _("Unknown kind; choose one of %(kinds)s.") % {"kinds": ", ".join(KINDS)}})  # fmt: skip
    return KINDS[name]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mapping_for(owner: str, source: str, kind: str, header: list[str], given: Mapping[str, str] | None = None) -> dict[str, str]:  # fmt: skip
    """MHIS field -> the file's column: `given`, else the mapping saved for the source in the
    namespace `owner` (or one saved before mappings had owners), else the columns named like
    the fields. Saved for the source in `owner` when given."""
    fields = kind_of(kind).all_fields
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
            owner=owner, source=source, kind=kind, defaults={"columns": columns}
        )
    else:
        saved = (
            SavedMapping.objects.filter(owner__in=(owner, ""), source=source, kind=kind)
            .order_by("-owner")  # the places' own first
            .first()
        )
        columns = dict(saved.columns) if saved else {}
    for field in fields:
        if field not in columns and field in header:
            columns[field] = field
    needed = kind_of(kind).required
    if "source_key" not in columns and kind_of(kind).key:
        needed = tuple(f for f in needed if f != "source_key")
    missing = [f for f in needed if f not in columns]
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


@dataclass
class Outcome:
    outcome: str
    person: Person | None = None
    errors: dict | None = None  # the file's column -> [reasons]


def _row_hash(values: dict[str, str]) -> str:
    """What a row held, to tell an unchanged row from a changed one on the next import."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _row_key(kind: Kind, values: dict[str, str]) -> str:
    """The row's key in its source: its source_key, else its key fields joined."""
    if values.get("source_key"):
        return values["source_key"][:200]
    if kind.key and any(values.get(f) for f in kind.key):
        return "|".join(values.get(f, "") for f in kind.key)[:200]
    return ""


def _rejected(exc: ValidationError, column_of: Callable[[str], str]) -> Outcome:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    out: dict[str, list] = {}
    for key, messages in errors.items():
        out.setdefault(column_of(key), []).extend(messages)
    return Outcome(RowResult.Outcome.REJECTED, errors=out)


def _outside() -> Outcome:
    """A row refused because the record its key names lies outside the importer's places."""
    reason = _("This row would change a record outside your places; nothing was written for it.")
    return Outcome(RowResult.Outcome.REJECTED, errors={"": [reason]})


def _within(user, kind: Kind, record: SourceRecord) -> bool:
    """Whether the record a source record names lies in the user's places."""
    if kind.name == "people":
        return in_scope(user, record.person)
    return kind.within(user, record.record_id)


def _source_record(user, job: Job, kind: Kind, key: str) -> SourceRecord | None:
    """What the row's key became in the job's namespace. A record imported before records had
    owners is taken into the namespace when its record lies inside the user's places; one
    outside them is none of this import's business (the row is new here)."""
    found = {r.owner: r for r in SourceRecord.objects.filter(owner__in=(job.owner, ""), source=job.source, kind=job.kind, key=key).select_related("person")}  # fmt: skip
    if job.owner in found:
        return found[job.owner]
    legacy = found.get("")
    if legacy is None or not _within(user, kind, legacy):
        return None
    legacy.owner = job.owner
    legacy.save(update_fields=["owner"])
    return legacy


def _one_row(user, job: Job, columns: dict[str, str], column_of: Callable[[str], str], raw: dict[str, str]) -> Outcome:  # fmt: skip
    """One row, in its own savepoint. A row that would change a record outside the user's
    places is refused whole."""
    kind = KINDS[job.kind]
    values = {field: raw.get(column, "") for field, column in columns.items()}
    missing = {columns.get(f, f): [_("This field is required.")]
               for f in kind.required if not values.get(f) and (f != "source_key" or not kind.key)}  # fmt: skip
    key = _row_key(kind, values)
    if not key and not missing:
        missing = {columns.get("source_key", "source_key"): [_("This field is required.")]}
    if missing:
        return Outcome(RowResult.Outcome.REJECTED, errors=missing)
    row_hash = _row_hash(values)
    record = _source_record(user, job, kind, key)
    if record is not None and record.row_hash == row_hash:
        return Outcome(RowResult.Outcome.UNCHANGED, record.person)
    try:
        with transaction.atomic():
            if record is not None and not _within(user, kind, record):
                return _outside()
            if kind.name == "people":
                return _person_row(user, job, key, row_hash, record, values)
            return _record_row(user, job, kind, key, row_hash, record, values)
    except ValidationError as exc:
        return _rejected(exc, column_of)
    except PermissionDenied as exc:
        return Outcome(RowResult.Outcome.REJECTED, errors={"": [str(exc)]})


def _person_row(user, job, key, row_hash, record, values) -> Outcome:
    data = _person_data(values)
    if record is not None:
        person = update_person(user, record.person, data)
        record.row_hash = row_hash
        record.save(update_fields=["row_hash"])
        return Outcome(RowResult.Outcome.UPDATED, person)
    if existing := _known_by_identifier(user, values):
        SourceRecord.objects.create(owner=job.owner, source=job.source, kind=job.kind, key=key, row_hash=row_hash, person=existing)  # fmt: skip
        return Outcome(RowResult.Outcome.LINKED, existing)
    person = register_person(user, data)
    SourceRecord.objects.create(owner=job.owner, source=job.source, kind=job.kind, key=key, row_hash=row_hash, person=person)  # fmt: skip
    duplicate = person.pk in _possible_duplicates([person])
    return Outcome(RowResult.Outcome.DUPLICATE if duplicate else RowResult.Outcome.CREATED, person)


def _record_row(user, job, kind: Kind, key, row_hash, record, values) -> Outcome:
    data = kind.data(values)
    if record is not None:
        target = kind.model.objects.filter(pk=record.record_id).first()
        if target is not None:
            if kind.updatable is not None:
                data = {f: v for f, v in data.items() if f in kind.updatable}
            target = kind.update(user, target, data)
            record.row_hash = row_hash
            record.save(update_fields=["row_hash"])
            return Outcome(RowResult.Outcome.UPDATED, record.person)
        record.delete()  # the record was removed since: import the row afresh
    person = person_of(user, job.source, values["person"], job.owner) if kind.about_person else None
    target = kind.create(user, person, data)
    SourceRecord.objects.create(owner=job.owner, source=job.source, kind=job.kind, key=key,
                                row_hash=row_hash, person=person, record_id=target.pk)  # fmt: skip
    return Outcome(RowResult.Outcome.CREATED, person)


def _new_people(user, job: Job, mapping, column_of, batch) -> tuple[list[dict], list]:
    """The people of a batch in bulk: rows already imported and unchanged, rows refused, and
    new people (registered together, linked by identifier, flagged as possible duplicates),
    each with its result. Returns those results and the rows left for one-by-one handling
    (changed rows, and a key repeated within the batch)."""
    kind = KINDS["people"]
    results: list[RowResult] = []
    later, fresh = [], []
    keyed: dict[str, tuple] = {}
    for number, raw in batch:
        values = {f: raw.get(c, "") for f, c in mapping.items()}
        key = _row_key(kind, values)
        if not all(values.get(f) for f in kind.required):
            later.append((number, raw))  # refused one by one, with the same messages
            continue
        row_hash = _row_hash(values)
        if key in keyed:
            later.append((number, raw))
            continue
        keyed[key] = (number, raw, values, row_hash)
    known = _people_records(user, job, list(keyed))
    for key, (number, raw, values, row_hash) in keyed.items():
        record = known.get(key)
        if record is None:
            fresh.append((key, number, values, row_hash))
        elif record.row_hash == row_hash:
            results.append(_row(job, number, key, RowResult.Outcome.UNCHANGED, record.person_id))
        else:
            later.append((number, raw))
    sites: dict = {}
    checked = []
    for key, number, values, row_hash in fresh:
        try:
            cleaned = clean_person_input(_person_data(values), user=user, sites=sites)
        except ValidationError as exc:
            results += _results(job, number, key, _rejected(exc, column_of))
            continue
        checked.append((key, number, row_hash, cleaned))
    # A known identifier links the row to its person (also one registered earlier in the batch).
    hashes = {(c["identifiers"][0]["type"], identifier_hash(c["identifiers"][0]["normal"]))
              for *_r, c in checked if c["identifiers"]}  # fmt: skip
    owners = {}
    if hashes:
        found = Identifier.objects.filter(value_hash__in={h for _t, h in hashes}, person__in=visible_people(user))  # fmt: skip
        owners = {(t, h): pk for t, h, pk in found.values_list("type", "value_hash", "person_id")}
    new, links = [], []
    for key, number, row_hash, cleaned in checked:
        ident = cleaned["identifiers"][0] if cleaned["identifiers"] else None
        mark = (ident["type"], identifier_hash(ident["normal"])) if ident else None
        if mark in owners:
            links.append((key, number, row_hash, owners[mark]))
        else:
            new.append((key, number, row_hash, cleaned))
            if mark:
                owners[mark] = (key,)  # the person this row is about to become
    people = register_many(user, [c for *_r, c in new])
    by_key = {key: person for (key, *_r), person in zip(new, people, strict=True)}
    records = [{"owner": job.owner, "source": job.source, "kind": "people", "key": key, "row_hash": row_hash, "person_id": person.pk}
               for (key, _n, row_hash, _c), person in zip(new, people, strict=True)]  # fmt: skip
    for key, number, row_hash, owner in links:
        person_id = by_key[owner[0]].pk if isinstance(owner, tuple) else owner
        records.append({"owner": job.owner, "source": job.source, "kind": "people", "key": key, "row_hash": row_hash, "person_id": person_id})  # fmt: skip
        results.append(_row(job, number, key, RowResult.Outcome.LINKED, person_id))
    insert_values(SourceRecord, records)
    twins = _possible_duplicates(people)
    for (key, number, _h, _c), person in zip(new, people, strict=True):
        outcome = RowResult.Outcome.DUPLICATE if person.pk in twins else RowResult.Outcome.CREATED
        results.append(_row(job, number, key, outcome, person.pk))
    return results, later


def _people_records(user, job: Job, keys: list[str]) -> dict[str, SourceRecord]:
    """`_source_record` for a batch of people keys at once: key -> its record in the job's
    namespace (records from before owners were kept taken in when their person is one the
    user may see)."""
    own: dict[str, SourceRecord] = {}
    legacy: dict[str, SourceRecord] = {}
    for record in SourceRecord.objects.filter(owner__in=(job.owner, ""), source=job.source, kind="people", key__in=keys):  # fmt: skip
        (own if record.owner == job.owner else legacy)[record.key] = record
    legacy = {key: r for key, r in legacy.items() if key not in own}
    if legacy:
        seen = set(visible_people(user).filter(pk__in=[r.person_id for r in legacy.values()]).values_list("pk", flat=True))  # fmt: skip
        taken = {key: r for key, r in legacy.items() if r.person_id in seen}
        SourceRecord.objects.filter(pk__in=[r.pk for r in taken.values()]).update(owner=job.owner)
        own.update(taken)
    return own


def _row(
    job: Job,
    number: int,
    key: str,
    outcome: str,
    person_id: int | None,
    field: str = "",
    reason: str = "",
) -> dict:
    """A row's result, as `insert_values` writes it."""
    return {"job_id": job.pk, "row": number, "source_key": key, "outcome": outcome,
            "field": field, "reason": reason, "person_id": person_id}  # fmt: skip


def _possible_duplicates(people: list[Registered | Person]) -> set[int]:
    """Of `people`, those sharing name (in Latin letters, any case), sex and birth year (when
    known) with someone else not merged away. One query
    of exact conditions (by the index on lowered name, sex and birth date), so a common name
    does not bring back everyone who bears it."""
    wanted = set()
    for p in people:
        name = (p.display_latin or p.display_name).lower()
        wanted.add((name, p.sex, p.birth_date.year if p.birth_date else None))
    if not wanted:
        return set()
    found = []
    wanted = sorted(wanted, key=str)
    quote = connection.ops.quote_name
    table = quote(Person._meta.db_table)
    pk, latin, sex, birth, merged = (quote(Person._meta.get_field(f).column) for f in ("id", "display_latin", "sex", "birth_date", "merged_into"))  # fmt: skip
    # Plain SQL: the ORM takes longer to compile 200 alternatives than the database to answer.
    # Names of the table and columns come from the model; every value is a parameter.
    select = f"SELECT {pk}, lower({latin}), {sex}, {birth}, {merged} FROM {table} WHERE "  # noqa: S608
    dated = [w for w in wanted if w[2] is not None]
    if connection.vendor == "postgresql" and dated:  # one join against the batch's conditions
        wanted = [w for w in wanted if w[2] is None]
        join = (
            f"SELECT p.{pk}, lower(p.{latin}), p.{sex}, p.{birth}, p.{merged} FROM {table} p "  # noqa: S608
            "JOIN unnest(%s::text[], %s::text[], %s::date[], %s::date[]) AS w(low, sex, lo, hi) "
            f"ON lower(p.{latin}) = w.low AND p.{sex} = w.sex AND p.{birth} BETWEEN w.lo AND w.hi"
        )
        params = [[w[0] for w in dated], [w[1] for w in dated],
                  [dt.date(w[2], 1, 1) for w in dated], [dt.date(w[2], 12, 31) for w in dated]]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(join, params)
            found += cursor.fetchall()
    for start in range(0, len(wanted), 200):  # SQLite parses a long OR as a deep tree
        terms, params = [], []
        for low, person_sex, year in wanted[start : start + 200]:
            if year is None:
                terms.append(f"(lower({latin}) = %s AND {sex} = %s)")
                params += [low, person_sex]
            else:
                terms.append(f"(lower({latin}) = %s AND {sex} = %s AND {birth} >= %s AND {birth} <= %s)")  # fmt: skip
                params += [low, person_sex, dt.date(year, 1, 1), dt.date(year, 12, 31)]
        with connection.cursor() as cursor:
            cursor.execute(select + " OR ".join(terms), params)
            found += cursor.fetchall()
    seen: dict[tuple, set[int]] = {}
    for person_id, low, person_sex, born, merged_into in found:
        if merged_into is not None:
            continue
        seen.setdefault((low, person_sex, None), set()).add(person_id)
        if born:
            seen.setdefault((low, person_sex, int(str(born)[:4])), set()).add(person_id)
    twins = set()
    for p in people:
        name = (p.display_latin or p.display_name).lower()
        if seen.get((name, p.sex, p.birth_date.year if p.birth_date else None), set()) - {p.pk}:
            twins.add(p.pk)
    return twins


def _column_of(kind: Kind, mapping: dict[str, str]) -> Callable[[str], str]:
    """The file's column for an error key of the service (``diagnoses.0.code`` → the column
    mapped to ``diagnoses``)."""
    if kind.name == "people":
        by_service = {service: mapping.get(field, field) for field, service in PEOPLE_FIELDS.items()}  # fmt: skip
        return lambda key: by_service.get(key, key)
    return lambda key: mapping.get(key.split(".")[0], key.split(".")[0])


def check_table(path: Path, kind: str, name: str) -> None:
    """Refuse a table (CSV or XLSX) that unpacks to more bytes, or holds more rows, than an
    import of `kind` takes (`mhis.uploads`), before anything reads it; `name` is the file's
    name as its sender knows it."""
    if Path(path).suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationError({"file": _("Give a .csv or .xlsx file.")})
    uploads.check(path, uploads.held() if kind_of(kind).grouped else uploads.streamed(), name)


def run_import(
    user, path: Path, *, kind: str = "people", source: str = "", columns: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None, job: Job | None = None,
) -> Job:  # fmt: skip
    """Import `path` (CSV or XLSX): a new job, or the unfinished job of the same file resumed
    after its last committed row. A job is only ever started for a file `check_table` passed,
    so the file of a job given is not checked again."""
    path = Path(path)
    source = (source or path.stem)[:100]
    if job is None:
        check_table(path, kind, path.name)
    header = readers.header(path)
    digest = job.digest if job else file_digest(path)  # an upload's job knows it already
    return run_rows(user, kind=kind, source=source, file_name=path.name, digest=digest,
                    header=header, rows=lambda: readers.rows(path), total=lambda: readers.count_rows(path),
                    columns=columns, progress=progress, job=job)  # fmt: skip


def start_job(user, *, kind: str, source: str, file_name: str, digest: str) -> Job:
    """The unfinished job of this file in the user's namespace, or a new one."""
    owner = namespace(user)
    job = Job.objects.filter(owner=owner, source=source[:100], kind=kind, digest=digest, status=Job.Status.RUNNING).first()  # fmt: skip
    return job or Job.objects.create(owner=owner, source=source[:100], kind=kind, file_name=file_name[:255],
                                     digest=digest, started_by=user)  # fmt: skip


def run_rows(
    user, *, kind: str, source: str, file_name: str, digest: str, header: list[str],
    rows: Callable[[], Iterator[dict[str, str]]], total: Callable[[], int],
    columns: Mapping[str, str] | None = None, progress: Callable[[int, int], None] = lambda d, t: None,
    job: Job | None = None,
) -> Job:  # fmt: skip
    """The pipeline over any stream of rows (a table's, or a form's submissions flattened)."""
    spec = kind_of(kind)
    if not spec.allows(user):
        raise PermissionDenied(_("Your role cannot import %(kind)s.") % {"kind": spec.label})
    if job is not None and not job.owner:  # started before jobs had owners
        job.owner = namespace(user)
        job.save(update_fields=["owner"])
    mapping = mapping_for(job.owner if job else namespace(user), source, kind, header, columns)
    job = job or start_job(user, kind=kind, source=source, file_name=file_name, digest=digest)
    if not job.total:
        job.total = total()
        job.save(update_fields=["total"])
    progress(job.done_rows, job.total)
    try:
        if spec.grouped:
            _run_grouped(user, job, mapping, rows(), progress)
        else:
            _run_rows(user, job, spec, mapping, rows(), progress)
    except ValidationError as exc:  # the file itself (not a row) is unreadable
        job.status, job.error = Job.Status.FAILED, " ".join(exc.messages)
        job.save(update_fields=["status", "error"])
        raise
    job.status, job.finished_at = Job.Status.DONE, timezone.now()
    job.done_rows = max(job.done_rows, job.total)
    job.save(update_fields=["status", "finished_at", "done_rows"])
    return job


def _results(job: Job, number: int, key: str, done: Outcome) -> list[dict]:
    """A row's results: one, or one for each column it was rejected for."""
    if done.errors:
        return [_row(job, number, key, done.outcome, None, field[:100], " ".join(str(m) for m in messages))
                for field, messages in done.errors.items()]  # fmt: skip
    return [_row(job, number, key, done.outcome, done.person.pk if done.person else None)]


def _run_rows(user, job: Job, kind: Kind, mapping: dict[str, str], rows: Iterator[dict], progress) -> None:  # fmt: skip
    column_of = _column_of(kind, mapping)
    batch: list[tuple[int, dict]] = []

    def flush():
        with transaction.atomic():
            results = []
            rows = batch
            if kind.name == "people":
                quick, rows = _new_people(user, job, mapping, column_of, batch)
                results += quick
            for number, raw in rows:
                done = _one_row(user, job, mapping, column_of, raw)
                values = {f: raw.get(c, "") for f, c in mapping.items()}
                results += _results(job, number, _row_key(kind, values), done)
            insert_values(RowResult, results)
            job.done_rows = batch[-1][0]
            job.save(update_fields=["done_rows"])
        progress(job.done_rows, job.total)
        batch.clear()

    for number, raw in enumerate(rows, start=1):
        if number <= job.done_rows:
            continue  # committed before the process stopped
        if not any(raw.values()):
            continue
        batch.append((number, raw))
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()


_REPORT_STATUS = {"new": RowResult.Outcome.CREATED, "corrected": RowResult.Outcome.UPDATED,
                  "unchanged": RowResult.Outcome.UNCHANGED, "rejected": RowResult.Outcome.REJECTED}  # fmt: skip


def _run_grouped(user, job: Job, mapping: dict[str, str], rows: Iterator[dict], progress) -> None:
    """Weekly reports: the rows of one site and week make one report, written (with its rows'
    results) in one transaction. A site-week already written by this job is skipped on a
    re-run; one written by an earlier import comes back unchanged."""
    from mhis.surveillance.services import import_reports

    groups: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    for number, raw in enumerate(rows, start=1):
        if any(raw.values()):
            values = {f: raw.get(c, "") for f, c in mapping.items()}
            groups.setdefault((values.get("site", ""), values.get("week", "")), []).append((number, values))  # fmt: skip
    done_rows = set(job.rows.values_list("row", flat=True))
    finished = 0
    for members in groups.values():
        finished += len(members)
        if all(n in done_rows for n, _values in members):
            continue
        with transaction.atomic():
            (line,) = import_reports(user, members)
            errors: dict[int, dict[str, list]] = {}
            for error in line["errors"]:
                errors.setdefault(error["row"], {}).setdefault(mapping.get(error["field"], error["field"]), []).append(error["message"])  # fmt: skip
            results = []
            for number, values in members:
                outcome = _REPORT_STATUS[line["status"]]
                key = f"{values.get('site', '')}|{values.get('week', '')}"
                if outcome == RowResult.Outcome.REJECTED:
                    reasons = errors.get(number) or {"": [_("Another row of this site and week was rejected.")]}  # fmt: skip
                    results += _results(job, number, key, Outcome(outcome, errors=reasons))
                else:
                    results += _results(job, number, key, Outcome(outcome))
            insert_values(RowResult, results)
            job.done_rows = min(job.total, finished)
            job.save(update_fields=["done_rows"])
        progress(job.done_rows, job.total)


def summary(job: Job) -> dict[str, int]:
    """Rows by outcome (a rejected row counts once, however many fields it failed), counted
    by the database: a million-row job is never read into memory."""
    counts = job.rows.values("outcome").annotate(n=Count("row", distinct=True)).order_by()
    return {c["outcome"]: c["n"] for c in counts}


def import_submissions(
    user, path: Path, *, form: str, source: str = "",
    progress: Callable[[int, int], None] = lambda done, total: None, name: str = "",
) -> list[Job]:  # fmt: skip
    """Import the submissions of a field form exported from ODK Central or KoboToolbox: one
    job per kind the form holds (the submissions' own records first, then their repeats).
    `name` is the file's name as its sender knows it (an upload is stored by its digest)."""
    from . import fieldforms, submissions

    if form not in fieldforms.FORMS:
        raise ValidationError({"form": _("Unknown form; choose one of %(forms)s.") % {"forms": ", ".join(fieldforms.FORMS)}})  # fmt: skip
    spec = fieldforms.FORMS[form]
    path = Path(path)
    name = name or path.name
    source = (source or form)[:100]
    digest = file_digest(path)
    by_kind = fieldforms.rows_by_kind(spec, submissions.read(path, name))
    jobs = []
    for kind, rows in by_kind.items():
        header = list(rows[0]) if rows else ["source_key", *KINDS[kind].fields]
        jobs.append(run_rows(user, kind=kind, source=source, file_name=name, digest=digest,
                             header=header, rows=lambda rows=rows: iter(rows), total=lambda rows=rows: len(rows),
                             columns={f: f for f in header if f in KINDS[kind].all_fields},
                             progress=progress))  # fmt: skip
    return jobs
