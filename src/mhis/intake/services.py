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

import contextlib
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import events, uploads
from mhis.access.models import Scope
from mhis.access.policy import Can, allowed, in_scope
from mhis.access.services import place_scope_q, scope_site_ids
from mhis.bulk import insert_values
from mhis.codelists import normalise_country
from mhis.contracts import allowed_values, field_of
from mhis.linkage.duplicates import likely_for_people
from mhis.linkage.incremental import trained
from mhis.registry.codes import IDENTITY_DOCUMENT, NEUTRAL_IDENTIFIER_TYPES
from mhis.registry.contracts import EPISODE_COLUMNS, FLAT_PATHS, person_from_flat
from mhis.registry.duplicates import threshold as likely_threshold
from mhis.registry.models import Identifier, NameKey, Person, PersonSite
from mhis.registry.search import identifier_hash, log_listed, survivors, visible_people
from mhis.registry.services import (
    Registered,
    add_names,
    link_sites,
    person_fields,
    register_many,
    register_person,
    update_person,
)
from mhis.registry.validation import one_day
from mhis.surveillance.services import import_reports
from mhis.work.queue import current_task_id

from . import ahead, readers
from .ahead import errors_of
from .kinds import KINDS, Kind
from .mapping import ColumnMap
from .mapping import parse as parse_mapping
from .models import Job, RowResult, SourceRecord
from .models import Mapping as SavedMapping

BATCH = 1000
log = logging.getLogger(__name__)


def person_of(user, source: str, value: str, owner: str) -> Person:
    """The person a record row names, always one the user may see: by a people key of the same
    source imported by the same places (`owner`), else by the one person any source imported
    under that key (a registration card number), else by MHIS id."""
    people = visible_people(user)
    keyed = SourceRecord.objects.filter(kind="people", key=value[:200], person__in=people)
    record = keyed.filter(source=source, owner=owner).first()
    if record is None:
        found = list(keyed.values_list("person_id", flat=True).distinct()[:2])
        record = keyed.first() if len(found) == 1 else None
    if record is not None:
        return record.person
    try:
        return people.get(uuid=value)
    except (Person.DoesNotExist, ValidationError, ValueError):
        raise ValidationError(
            {
                "person": _(
                    "No person with this key in this source, nor with this id in your places."
                )
            }
        ) from None


def can_import(user) -> bool:
    return any(kind.allows(user) for kind in KINDS.values())


def visible_jobs(user):
    """Imports the user may follow: their own; an administrator also sees those of people
    whose places all lie inside the administrator's (an import's rows carry people's data).
    What of a job's rows a follower reads: `rows_shown`."""
    jobs = Job.objects.select_related("started_by")
    if not allowed(user, Can.FOLLOW_IMPORTS):
        return jobs.filter(started_by=user)
    outside = Scope.objects.exclude(place_scope_q(user, "place")).values("user")
    inside = Scope.objects.filter(place_scope_q(user, "place")).values("user")
    return jobs.filter(Q(started_by=user) | Q(started_by__in=inside) & ~Q(started_by__in=outside))


def holds_status(kind: str, columns: Mapping[str, str]) -> bool:
    """Whether rows of this kind, read through `columns`, carry migration status: migration
    episodes, and people with an episode column."""
    return kind == "episodes" or (kind == "people" and any(f in columns for f in EPISODE_COLUMNS))


def rows_shown(user, job: Job) -> bool:
    """Whether the user reads the rows of `job` (its rejected rows: key, column, reason).

    A job whose rows carry migration status shows them to whoever started it, and otherwise
    only to a role shown migration status. A rejected row's reason quotes the value refused
    ("“Irregular migrant” is not one of the allowed values") and its key may name the person
    (an episode's key starts with the person's id), so redacting the status fields would not
    do: a follower who may not see status reads such a job's counts, not its rows."""
    return (
        not job.holds_status
        or (job.started_by_id is not None and job.started_by_id == user.pk)
        or allowed(user, Can.SEE_MIGRATION_STATUS)
    )


def may_resume(user, job: Job) -> bool:
    """Whether the user may resume `job`, writing its remaining rows as themselves: a role that
    imports its kind and, for rows carrying migration status, is shown status."""
    return (
        job.kind in KINDS
        and KINDS[job.kind].allows(user)
        and (not job.holds_status or allowed(user, Can.SEE_MIGRATION_STATUS))
    )


def namespace(user) -> str:
    """The namespace of the user's imports: the places they work for. Users with the same
    places share it (so re-importing a colleague's file changes nothing); anyone else, with
    the same source name and keys, imports into another."""
    ids = sorted(Scope.objects.filter(user=user).values_list("place_id", flat=True))
    text = "places:" + ",".join(str(i) for i in ids)
    return (
        text if len(text) <= 100 else "places:sha256:" + hashlib.sha256(text.encode()).hexdigest()
    )


def kind_of(name: str) -> Kind:
    if name not in KINDS:
        raise ValidationError(
            {"kind": _("Unknown kind; choose one of %(kinds)s.") % {"kinds": ", ".join(KINDS)}}
        )
    return KINDS[name]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mapping_for(
    user,
    owner: str,
    source: str,
    kind: str,
    header: list[str],
    given: Mapping[str, Any] | None = None,
) -> ColumnMap:
    """Where each MHIS field's value comes from (`mapping.parse`: the file's column, a
    recoded column, a constant, or a country read as the importer's site there): `given`,
    else the mapping saved for the source in the namespace `owner` (or one saved before
    mappings had owners), else the columns named like the fields. Saved for the source in
    `owner` when given. A people file with an episode column is refused to a role not shown
    migration status, before anything is saved."""
    fields = kind_of(kind).all_fields
    if given:
        columns = parse_mapping(user, given, fields, header, _codes(kind))
    else:
        saved = (
            SavedMapping.objects.filter(owner__in=(owner, ""), source=source, kind=kind)
            .order_by("-owner")  # the places' own first
            .first()
        )
        columns = parse_mapping(
            user, dict(saved.columns) if saved else {}, fields, None, _codes(kind)
        )
    for field in fields:
        if field not in columns and field in header:
            columns.add_column(field)
    _refuse_status(user, kind, columns)
    if given:
        SavedMapping.objects.update_or_create(
            owner=owner, source=source, kind=kind, defaults={"columns": dict(given)}
        )
    needed = kind_of(kind).required
    if "source_key" not in columns and kind_of(kind).key:
        needed = tuple(f for f in needed if f != "source_key")
    missing = [f for f in needed if f not in columns]
    if missing:
        raise ValidationError(
            {"file": _("No column for %(names)s.") % {"names": ", ".join(missing)}}
        )
    return columns


def saved_mappings(user) -> list[dict[str, str]]:
    """The column mappings saved for the sources of the user's namespace (shared with the
    colleagues of the same places), as JSON to copy and change."""
    saved = SavedMapping.objects.filter(owner=namespace(user)).order_by("source", "kind")
    return [
        {
            "source": m.source,
            "kind": KINDS[m.kind].label if m.kind in KINDS else m.kind,
            "json": json.dumps(m.columns, ensure_ascii=False),
        }
        for m in saved
        if m.columns
    ]


def _codes(kind: str) -> dict[str, tuple[str, ...]]:
    """The values a coded field of the kind takes, that a mapping may recode to or set."""
    if kind != "people":
        return {}
    return {
        "sex": allowed_values(Person, "sex"),
        "birth_date_precision": allowed_values(Person, "birth_date_precision"),
        "identifier_type": (*allowed_values(Identifier, "type"), IDENTITY_DOCUMENT),
    }


def _refuse_status(user, kind: str, columns: Mapping[str, str]) -> None:
    """Refuse people columns (MHIS field -> the file's column) that make a migration episode
    to a role not shown migration status, naming the file's columns."""
    status = [columns[f] for f in EPISODE_COLUMNS if f in columns]
    if kind == "people" and status and not allowed(user, Can.SEE_MIGRATION_STATUS):
        raise ValidationError(
            {
                "file": _(
                    "Your role cannot import migration status: remove the columns %(names)s from the file."
                )
                % {"names": ", ".join(status)}
            }
        )


def check_form(user, form: str) -> None:
    """Refuse the submissions of a field form the user may not import, before any is read:
    each kind it holds must be one the user imports, and the people questions that make a
    migration episode (the registration form's) are refused as their columns would be."""
    from . import fieldforms

    if form not in fieldforms.FORMS:
        raise ValidationError(
            {
                "form": _("Unknown form; choose one of %(forms)s.")
                % {"forms": ", ".join(fieldforms.FORMS)}
            }
        )
    spec = fieldforms.FORMS[form]
    for kind in (k for k in (spec.kind, *(r.kind for r in spec.repeats)) if k):
        if not KINDS[kind].allows(user):
            raise PermissionDenied(
                _("Your role cannot import %(kind)s.") % {"kind": KINDS[kind].label}
            )
    if spec.kind:
        _refuse_status(user, spec.kind, {f: f for f in spec.fields})


def _linker(user) -> Callable[[str, str, str], tuple]:
    """What a row's identifier (type, issuing country, value hash) is matched on, to link the
    row to a person known by it. To an importer not shown migration status, the types that tell
    it are all one "identity document" (`registry.presentation.shown_identifiers`): they match on
    the value and the issuing country whatever the type, so which of them a row names cannot
    change its outcome ("linked" or not) and a masked document's type is never confirmed."""
    masked = not allowed(user, Can.SEE_MIGRATION_STATUS)

    def mark(kind: str, country: str, value_hash: str) -> tuple:
        if masked and kind in NEUTRAL_IDENTIFIER_TYPES:
            return (IDENTITY_DOCUMENT, country, value_hash)
        return (kind, value_hash)

    return mark


def _known_people(user, marks: set[tuple]) -> dict[tuple, int]:
    """Mark (`_linker`) -> the person (id) the user may see who holds such an identifier; the
    first recorded when several do. A masked document's mark names its issuing country: one
    left blank, on either side, still matches the same number issued anywhere (as the other
    types match whatever their issuer)."""
    mark = _linker(user)
    found = Identifier.objects.filter(
        value_hash__in={m[-1] for m in marks}, person__in=visible_people(user)
    )
    owners: dict[tuple, int] = {}
    unissued: dict[str, int] = {}  # a masked document's hash -> its holder, with no issuer
    issued: dict[str, int] = {}  # … with any issuer
    for kind, country, value_hash, person_id in found.order_by("pk").values_list(
        "type", "issuing_country", "value_hash", "person_id"
    ):
        held = mark(kind, country, value_hash)
        owners.setdefault(held, person_id)
        if held[0] == IDENTITY_DOCUMENT and len(held) == 3:
            issued.setdefault(value_hash, person_id)
            if not country:
                unissued.setdefault(value_hash, person_id)
    for wanted in marks:
        if wanted not in owners and wanted[0] == IDENTITY_DOCUMENT and len(wanted) == 3:
            person_id = (unissued if wanted[1] else issued).get(wanted[2])
            if person_id is not None:
                owners[wanted] = person_id
    survivor = survivors(set(owners.values()))
    return {held: survivor[person_id] for held, person_id in owners.items()}


def _known_by_identifier(user, cleaned: dict) -> Person | None:
    """The person a checked people row names by its identifier, if the user may see them."""
    if not cleaned["identifiers"]:
        return None
    first = cleaned["identifiers"][0]
    wanted = _linker(user)(
        first["type"], first["issuing_country"], identifier_hash(first["normal"])
    )
    person_id = _known_people(user, {wanted}).get(wanted)
    return Person.objects.get(pk=person_id) if person_id is not None else None


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
    return _refused(errors_of(exc), column_of)


def _refused(errors: dict[str, list[str]], column_of: Callable[[str], str]) -> Outcome:
    """A row refused with `errors` (field path -> messages), by the file's columns."""
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
    found = {
        r.owner: r
        for r in SourceRecord.objects.filter(
            owner__in=(job.owner, ""), source=job.source, kind=job.kind, key=key
        ).select_related("person")
    }
    if job.owner in found:
        return found[job.owner]
    legacy = found.get("")
    if legacy is None or not _within(user, kind, legacy):
        return None
    legacy.owner = job.owner
    legacy.save(update_fields=["owner"])
    return legacy


def _one_row(
    user, job: Job, columns: ColumnMap, column_of: Callable[[str], str], raw: dict[str, str]
) -> Outcome:
    """One row, in its own savepoint. A row that would change a record outside the user's
    places is refused whole, as is one whose values the mapping cannot read."""
    kind = KINDS[job.kind]
    values, unread = columns.read(raw)
    if unread:
        return Outcome(RowResult.Outcome.REJECTED, errors=unread)
    missing = {
        columns.get(f, f): [_("This field is required.")]
        for f in kind.required
        if not values.get(f) and (f != "source_key" or not kind.key)
    }
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


def _with_identifiers(person: Person, given: list[dict]) -> list[dict]:
    """The person's identifiers, and those given that they do not hold yet."""
    kept = [
        {"type": i.type, "issuing_country": i.issuing_country, "value": i.value}
        for i in person.identifiers.all()
    ]
    held = {(i["type"], i["issuing_country"], identifier_hash(i["value"])) for i in kept}
    for item in given:
        try:
            country = normalise_country(item["issuing_country"] or "")
        except ValueError:
            country = item["issuing_country"]  # refused with its field by the registry
        mark = (item["type"], country, identifier_hash(item["value"]))
        if mark not in held:
            kept.append(item)
    return kept


def _person_row(user, job, key, row_hash, record, values) -> Outcome:
    data = person_from_flat(values)
    if record is not None:
        if (
            "identifiers" in data
        ):  # the row's document joins the person's others, never replaces them
            data["identifiers"] = _with_identifiers(record.person, data["identifiers"])
        if _linked_before(job, key):  # a person registered elsewhere keeps their name and site
            checked = person_fields(user, data, person=record.person)
            data = {f: v for f, v in data.items() if f not in ("names", "registration_site")}
            person = update_person(user, record.person, data)
            _keep_row(user, person, checked)
        else:
            person = update_person(user, record.person, data)
        record.row_hash = row_hash
        record.save(update_fields=["row_hash"])
        return Outcome(RowResult.Outcome.UPDATED, person)
    # Checked before it links, as a row of a batch is (`_new_people`): a row that could not be
    # registered is refused whether or not its identifier is known.
    cleaned = person_fields(user, data)
    if existing := _known_by_identifier(user, cleaned):
        _keep_row(user, existing, cleaned)
        _remember(job, key, row_hash, existing)
        return Outcome(RowResult.Outcome.LINKED, existing)
    person = register_person(user, data)
    _remember(job, key, row_hash, person)
    duplicate = person.pk in _possible_duplicates(user, [person])
    return Outcome(RowResult.Outcome.DUPLICATE if duplicate else RowResult.Outcome.CREATED, person)


def _linked_before(job: Job, key: str) -> bool:
    """Whether the row `key` of the job's source was first imported as a link to a person
    known by its identifier (not as the person's registration)."""
    first = (
        RowResult.objects.filter(
            job__owner__in=(job.owner, ""),
            job__source=job.source,
            job__kind=job.kind,
            source_key=key,
        )
        .exclude(outcome=RowResult.Outcome.REJECTED)
        .order_by("job_id", "row")
        .values_list("outcome", flat=True)
        .first()
    )
    return first == RowResult.Outcome.LINKED


def _keep_row(user, person: Person, cleaned: dict) -> None:
    """What a row linked to `person` by its identifier adds to them: its spelling of the name,
    when they do not hold it yet (with its search keys), and its registration site. Through
    the registry's services, so a second import of the row adds nothing."""
    _keep_rows(user, [(person.pk, cleaned)])


def _keep_rows(user, linked: list[tuple[int, dict]]) -> None:
    """`_keep_row` for the rows of a batch: (person id, the row checked) each."""
    names: dict[int, list[dict]] = {}
    for person_id, cleaned in linked:
        names.setdefault(person_id, []).extend(cleaned.get("names") or ())
    add_names(user, names)
    link_sites(
        [(p, c["registration_site"].pk) for p, c in linked if c.get("registration_site")],
        PersonSite.Reason.REGISTERED,
    )


def _remember(job, key: str, row_hash: str, person, record_id: int | None = None) -> None:
    """What a row of this source, in the job's namespace and kind, was imported as."""
    SourceRecord.objects.create(
        owner=job.owner,
        source=job.source,
        kind=job.kind,
        key=key,
        row_hash=row_hash,
        person=person,
        record_id=record_id,
    )


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
    _remember(job, key, row_hash, person, target.pk)
    return Outcome(RowResult.Outcome.CREATED, person)


def _new_people(
    user,
    job: Job,
    mapping,
    column_of,
    batch,
    checked: ahead.Checked | None = None,
    sites: dict | None = None,
    read: dict[int, tuple] | None = None,
    records: tuple[set[str], list[tuple]] | None = None,
) -> tuple[list[dict], list]:
    """The people of a batch in bulk: rows already imported and unchanged, rows refused, and
    new people (registered together, linked by identifier, flagged as possible duplicates),
    each with its result. Returns those results and the rows left for one-by-one handling
    (changed rows, and a key repeated within the batch). `checked`: what the checker made of
    the batch's rows (`ahead`), by (key, row hash); a row it left out is checked here.
    `read`: the rows already read for it (`_to_check`), by row number; `records`: the keys
    whose records were read with them, and those records (`_people_records`)."""
    kind = KINDS["people"]
    results: list[RowResult] = []
    later, fresh = [], []
    keyed: dict[str, tuple] = {}
    read_before = read or {}
    for number, raw in batch:
        values, unread, row_hash = read_before.get(number) or (*mapping.read(raw), "")
        key = _row_key(kind, values)
        if unread or not all(values.get(f) for f in kind.required):
            later.append((number, raw))  # refused one by one, with the same messages
            continue
        row_hash = row_hash or _row_hash(values)
        if key in keyed:
            later.append((number, raw))
            continue
        keyed[key] = (number, raw, values, row_hash)
    known = _people_records(user, job, list(keyed), records)
    for key, (number, raw, values, row_hash) in keyed.items():
        record = known.get(key)
        if record is None:
            fresh.append((key, number, values, row_hash))
        elif record.row_hash == row_hash:
            results.append(_row(job, number, key, RowResult.Outcome.UNCHANGED, record.person_id))
        else:
            later.append((number, raw))
    sites = {} if sites is None else sites
    ahead_of = checked or {}
    checked = []
    for key, number, values, row_hash in fresh:
        done = ahead_of.get((key, row_hash))
        if done is None:
            try:
                done = ("ok", person_fields(user, person_from_flat(values), sites=sites))
            except ValidationError as exc:
                done = ("refused", errors_of(exc))
        if done[0] == "refused":
            results += _results(job, number, key, _refused(done[1], column_of))
            continue
        checked.append((key, number, row_hash, done[1]))
    # A known identifier links the row to its person (also one registered earlier in the batch).
    mark_of = _linker(user)
    marks = {}
    for key, _n, _h, cleaned in checked:
        if cleaned["identifiers"]:
            first = cleaned["identifiers"][0]
            marks[key] = mark_of(
                first["type"],
                first["issuing_country"],
                first.get("value_hash") or identifier_hash(first["normal"]),
            )
    owners: dict[tuple, int | tuple] = _known_people(user, set(marks.values())) if marks else {}
    new, links = [], []
    for key, number, row_hash, cleaned in checked:
        mark = marks.get(key)
        if mark in owners:
            links.append((key, number, row_hash, owners[mark], cleaned))
        else:
            new.append((key, number, row_hash, cleaned))
            if mark:
                owners[mark] = (key,)  # the person this row is about to become
    people = register_many(user, [c for *_r, c in new])
    by_key = {key: person for (key, *_r), person in zip(new, people, strict=True)}
    records = [
        {
            "owner": job.owner,
            "source": job.source,
            "kind": "people",
            "key": key,
            "row_hash": row_hash,
            "person_id": person.pk,
        }
        for (key, _n, row_hash, _c), person in zip(new, people, strict=True)
    ]
    kept = []
    for key, number, row_hash, owner, cleaned in links:
        person_id = by_key[owner[0]].pk if isinstance(owner, tuple) else owner
        kept.append((person_id, cleaned))
        records.append(
            {
                "owner": job.owner,
                "source": job.source,
                "kind": "people",
                "key": key,
                "row_hash": row_hash,
                "person_id": person_id,
            }
        )
        results.append(_row(job, number, key, RowResult.Outcome.LINKED, person_id))
    insert_values(SourceRecord, records)
    _keep_rows(user, kept)
    twins = _possible_duplicates(user, people)
    for (key, number, _h, _c), person in zip(new, people, strict=True):
        outcome = RowResult.Outcome.DUPLICATE if person.pk in twins else RowResult.Outcome.CREATED
        results.append(_row(job, number, key, outcome, person.pk))
    return results, later


def _records_of(job: Job, keys: list[str], columns: tuple[str, ...]) -> list[tuple]:
    """`columns` of the source records of `keys` in the job's namespace, and of those imported
    before namespaces were kept (owner blank). Plain SQL: the ORM takes longer to compile a
    thousand keys than the database to find them. Names come from the model; every value is
    a parameter (on PostgreSQL, the keys are one array)."""
    if not keys:
        return []
    quote = connection.ops.quote_name
    meta = SourceRecord._meta
    names = ", ".join(quote(meta.get_field(c).column) for c in columns)
    owner, source, kind, key = (
        quote(meta.get_field(f).column) for f in ("owner", "source", "kind", "key")
    )
    if connection.vendor == "postgresql":
        among, params = f"{key} = ANY(%s)", [list(keys)]
    else:
        among, params = f"{key} IN ({', '.join(['%s'] * len(keys))})", list(keys)
    sql = (
        f"SELECT {names} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {owner} IN (%s, %s) AND {source} = %s AND {kind} = %s AND {among}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [job.owner, "", job.source, job.kind, *params])
        return cursor.fetchall()


class _Known(NamedTuple):
    """What a batch needs of a people row imported before (its `SourceRecord`)."""

    pk: int
    owner: str
    key: str
    row_hash: str
    person_id: int | None


KNOWN = ("id", "owner", "key", "row_hash", "person_id")


def _people_records(
    user, job: Job, keys: list[str], read: tuple[set[str], list[tuple]] | None = None
) -> dict[str, _Known]:
    """`_source_record` for a batch of people keys at once: key -> its record in the job's
    namespace (records from before owners were kept taken in when their person is one the
    user may see). Read as plain rows: a second import of a file reads one for every row.
    `read`: keys whose records were read already (`_to_check`), and those records."""
    own: dict[str, _Known] = {}
    legacy: dict[str, _Known] = {}
    covered, found = read or (set(), [])
    found = [r for r in found if r[2] in covered]
    found += _records_of(job, [k for k in keys if k not in covered], KNOWN)
    for record in map(_Known._make, found):
        (own if record.owner == job.owner else legacy)[record.key] = record
    legacy = {key: r for key, r in legacy.items() if key not in own}
    if legacy:
        seen = set(
            visible_people(user)
            .filter(pk__in=[r.person_id for r in legacy.values()])
            .values_list("pk", flat=True)
        )
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
    return {
        "job_id": job.pk,
        "row": number,
        "source_key": key,
        "outcome": outcome,
        "field": field,
        "reason": reason,
        "person_id": person_id,
    }


NEW_PERSON = (RowResult.Outcome.CREATED, RowResult.Outcome.DUPLICATE)


def likely_duplicates(user, person_ids: list[int]) -> dict[int, list[dict]]:
    """For people an import has just registered, the people already in the registry, among
    those `user` may see, whom each likely is: the linkage model's scoring of the new people
    alone (`mhis.linkage.duplicates.likely_for_people`), at `MHIS_LIKELY_DUPLICATE` or above,
    as {new person id: [{"person": id, "probability": p}, …]}, strongest first. A warning
    only: a failure to score is logged and leaves the import as it was.

    Only once a linkage run over the whole registry has trained the model: before that (a
    first load into a new system, the largest import there is) the exact check of name, sex
    and birth year (`_possible_duplicates`) is the only one, and the rows go at full speed."""
    if not person_ids or not allowed(user, Can.READ_PERSON):
        return {}
    try:
        if trained().run_id is None:
            return {}
        with transaction.atomic():  # a failed query leaves the batch's work whole
            found = likely_for_people(user, person_ids, likely_threshold())
    except Exception:
        log.exception("Looking for likely duplicates of imported people failed; importing without")
        return {}
    return {
        pk: [{"person": one.person_id, "probability": round(one.probability, 3)} for one in ones]
        for pk, ones in found.items()
    }


def _warn_likely(user, results: list[dict]) -> None:
    """Mark the batch's rows that registered someone likely already registered: outcome
    "possible duplicate", the likely people kept on the row and named in its reason."""
    new = [r for r in results if r["outcome"] in NEW_PERSON and r.get("person_id")]
    likely = likely_duplicates(user, [r["person_id"] for r in new])
    for result in new:
        found = likely.get(result["person_id"])
        if not found:
            continue
        result["outcome"] = RowResult.Outcome.DUPLICATE
        result["likely"] = found
        result["reason"] = _("Likely already registered: %(people)s.") % {
            "people": ", ".join(
                _("record %(id)s (%(percent)s%%)")
                % {"id": one["person"], "percent": round(100 * one["probability"])}
                for one in found
            )
        }


def likely_rows(user, job: Job, limit: int) -> tuple[list[dict], int]:
    """The first `limit` rows of a people import that registered someone likely already
    registered, each with the new person and the likely ones the user may see (the listing
    logged), and how many such rows there are in all."""
    found = job.rows.filter(outcome=RowResult.Outcome.DUPLICATE).exclude(reason="")
    rows = list(found[:limit])
    ids = {r.person_id for r in rows} | {one["person"] for r in rows for one in r.likely}
    people = {p.pk: p for p in visible_people(user).filter(pk__in=ids)}
    shown = []
    for r in rows:
        likely = [
            {"person": people[one["person"]], "probability": one["probability"]}
            for one in r.likely
            if one["person"] in people
        ]
        shown.append({"row": r, "person": people.get(r.person_id), "likely": likely})
    log_listed(user, list(people.values()), "intake.job.likely")
    return shown, found.count()


def _possible_duplicates(user, people: list[Registered | Person]) -> set[int]:
    """Of `people`, those sharing name (in Latin letters, any case), sex and birth year (when
    known) with someone else not merged away whom the user may see. One query
    of exact conditions (by the index on lowered name, sex and birth date), so a common name
    does not bring back everyone who bears it. Only people in the user's places count: the
    outcome "possible duplicate" must not tell that someone outside them is registered."""
    wanted = set()
    for p in people:
        name = (p.display_latin or p.display_name).lower()
        wanted.add((name, p.sex, p.birth_date.year if p.birth_date else None))
    sites = scope_site_ids(user)
    if not wanted or not sites:
        return set()
    found = []
    wanted = sorted(wanted, key=str)
    quote = connection.ops.quote_name
    table = quote(Person._meta.db_table)
    pk, latin, sex, birth, merged = (
        quote(Person._meta.get_field(f).column)
        for f in ("id", "display_latin", "sex", "birth_date", "merged_into")
    )
    links, linked, at = (
        quote(PersonSite._meta.db_table),
        quote(PersonSite._meta.get_field("person").column),
        quote(PersonSite._meta.get_field("site").column),
    )
    # Plain SQL: the ORM takes longer to compile 200 alternatives than the database to answer.
    # Names of the table and columns come from the model; every value is a parameter.
    # Known at a site in the user's places (`registry.search.known_in_places`):
    marks = ", ".join(["%s"] * len(sites))
    known = f"EXISTS (SELECT 1 FROM {links} s WHERE s.{linked} = p.{pk} AND s.{at} IN ({marks}))"  # noqa: S608
    select = f"SELECT p.{pk}, lower(p.{latin}), p.{sex}, p.{birth}, p.{merged} FROM {table} p WHERE {known} AND "  # noqa: S608
    dated = [w for w in wanted if w[2] is not None]
    if connection.vendor == "postgresql" and dated:  # one join against the batch's conditions
        wanted = [w for w in wanted if w[2] is None]
        join = (
            f"SELECT p.{pk}, lower(p.{latin}), p.{sex}, p.{birth}, p.{merged} FROM {table} p "  # noqa: S608
            "JOIN unnest(%s::text[], %s::text[], %s::date[], %s::date[]) AS w(low, sex, lo, hi) "
            f"ON lower(p.{latin}) = w.low AND p.{sex} = w.sex AND p.{birth} BETWEEN w.lo AND w.hi "
            f"WHERE {known}"
        )
        params = [
            [w[0] for w in dated],
            [w[1] for w in dated],
            [dt.date(w[2], 1, 1) for w in dated],
            [dt.date(w[2], 12, 31) for w in dated],
            *sites,
        ]
        with connection.cursor() as cursor:
            cursor.execute(join, params)
            found += cursor.fetchall()
    for start in range(0, len(wanted), 200):  # SQLite parses a long OR as a deep tree
        terms, params = [], list(sites)
        for low, person_sex, year in wanted[start : start + 200]:
            if year is None:
                terms.append(f"(lower(p.{latin}) = %s AND p.{sex} = %s)")
                params += [low, person_sex]
            else:
                terms.append(
                    f"(lower(p.{latin}) = %s AND p.{sex} = %s AND p.{birth} >= %s AND p.{birth} <= %s)"
                )
                params += [low, person_sex, dt.date(year, 1, 1), dt.date(year, 12, 31)]
        with connection.cursor() as cursor:
            cursor.execute(select + "(" + " OR ".join(terms) + ")", params)
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

        def column(key: str) -> str:
            flat = field_of(key, FLAT_PATHS) or key
            return mapping.get(flat, flat)

        return column
    return lambda key: mapping.get(key.split(".")[0], key.split(".")[0])


def check_table(path: Path, kind: str, name: str) -> int | None:
    """Refuse a table (CSV or XLSX) that unpacks to more bytes, or holds more rows, than an
    import of `kind` takes (`mhis.uploads`), or has no row after its header, before anything
    reads it; `name` is the file's name as its sender knows it. Gives the number of data
    rows of a CSV file, counted on the way (None for a workbook)."""
    if Path(path).suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationError({"file": _("Give a .csv or .xlsx file.")})
    limits = uploads.held() if kind_of(kind).grouped else uploads.streamed()
    records = uploads.check(path, limits, name)
    readers.require_rows(path)
    return None if records is None else max(0, records - 1)


def run_import(
    user,
    path: Path,
    *,
    kind: str = "people",
    source: str = "",
    columns: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    job: Job | None = None,
) -> Job:
    """Import `path` (CSV or XLSX): a new job, or the unfinished job of the same file resumed
    after its last committed row. A job is only ever started for a file `check_table` passed,
    so the file of a job given is not checked again."""
    path = Path(path)
    source = (source or path.stem)[:100]
    counted = check_table(path, kind, path.name) if job is None else None
    header = readers.header(path)
    digest = job.digest if job else file_digest(path)  # an upload's job knows it already
    unnamed: dict[str, None] = {}  # columns with values under a blank header cell

    def rows() -> Iterator[dict[str, str]]:
        for row in readers.rows(path):
            for column in row.pop(readers.UNNAMED, "").split(","):
                if column:
                    unnamed.setdefault(column, None)
            yield row

    job = run_rows(
        user,
        kind=kind,
        source=source,
        file_name=path.name,
        digest=digest,
        header=header,
        rows=rows,
        total=lambda: readers.count_rows(path) if counted is None else counted,
        columns=columns,
        progress=progress,
        job=job,
        list_unread=True,
    )
    if unnamed:  # listed with the columns not read, so that no value is left out unnoticed
        listed = [_("column %(column)s (no name)") % {"column": c} for c in unnamed]
        job.unread_columns = [*job.unread_columns, *listed]
        job.save(update_fields=["unread_columns"])
    return job


def unread_columns(header: list[str], mapping: ColumnMap) -> list[str]:
    """The columns of `header` that no field of `mapping` reads, in the file's order."""
    read = {entry.column for entry in mapping.entries.values() if entry.column}
    return [name for name in header if name not in read]


def start_job(
    user,
    *,
    kind: str,
    source: str,
    file_name: str,
    digest: str,
    columns: Mapping[str, str] | None = None,
) -> Job:
    """The unfinished job of this file in the user's namespace, or a new one; `columns` is the
    mapping its rows are read with (`holds_status`)."""
    owner = namespace(user)
    task_id = current_task_id()  # the task running this import, if it runs in one
    job = Job.objects.filter(
        owner=owner, source=source[:100], kind=kind, digest=digest, status=Job.Status.RUNNING
    ).first()
    if job is not None and task_id is not None and job.task_id != task_id:
        job.task_id = task_id
        job.save(update_fields=["task_id"])
    return job or Job.objects.create(
        owner=owner,
        source=source[:100],
        kind=kind,
        file_name=file_name[:255],
        task_id=task_id,
        digest=digest,
        started_by=user,
        holds_status=holds_status(kind, columns or {}),
    )


def run_rows(
    user,
    *,
    kind: str,
    source: str,
    file_name: str,
    digest: str,
    header: list[str],
    rows: Callable[[], Iterator[dict[str, str]]],
    total: Callable[[], int],
    columns: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] = lambda d, t: None,
    job: Job | None = None,
    list_unread: bool = False,
) -> Job:
    """The pipeline over any stream of rows (a table's, or a form's submissions flattened);
    with `list_unread`, the header's columns no field is read from are kept for the report.
    Whatever stops it once its job exists ends the job "failed" with the reason."""
    spec = kind_of(kind)
    if not spec.allows(user):
        raise PermissionDenied(_("Your role cannot import %(kind)s.") % {"kind": spec.label})
    if job is not None and not job.owner:  # started before jobs had owners
        job.owner = namespace(user)
        job.save(update_fields=["owner"])
    mapping = mapping_for(
        user, job.owner if job else namespace(user), source, kind, header, columns
    )
    job = job or start_job(
        user, kind=kind, source=source, file_name=file_name, digest=digest, columns=mapping
    )
    try:
        if holds_status(kind, mapping) and not job.holds_status:  # resumed, another mapping
            job.holds_status = True
            job.save(update_fields=["holds_status"])
        if list_unread:
            job.unread_columns = unread_columns(header, mapping)
            job.save(update_fields=["unread_columns"])
        if not job.total:
            job.total = total()
            job.save(update_fields=["total"])
        progress(job.done_rows, job.total)
        if spec.grouped:
            _run_grouped(user, job, mapping, rows(), progress)
        else:
            _run_rows(user, job, spec, mapping, rows(), progress)
    except Exception as exc:  # the file itself (not a row) is unreadable, or a fault
        job.fail(exc)
        raise
    job.status, job.finished_at = Job.Status.DONE, timezone.now()
    job.done_rows = max(job.done_rows, job.total)
    job.save(update_fields=["status", "finished_at", "done_rows"])
    return job


def _results(job: Job, number: int, key: str, done: Outcome) -> list[dict]:
    """A row's results: one, or one for each column it was rejected for."""
    if done.errors:
        return [
            _row(
                job,
                number,
                key,
                done.outcome,
                None,
                field[:100],
                " ".join(str(m) for m in messages),
            )
            for field, messages in done.errors.items()
        ]
    return [_row(job, number, key, done.outcome, done.person.pk if done.person else None)]


def _overflowing(counts: str) -> Outcome:
    """A row holding more values than the header names columns: none of its values can be
    trusted to be under its column (a name "Lopez, Maria" out of quotes would be kept as
    "Lopez"), so the row is refused whole."""
    given, named = counts.split("/")
    message = _(
        "This row holds %(given)s values but the header names %(named)s columns: a value that "
        "holds the delimiter must be in quotes. Nothing of the row was kept."
    )
    return Outcome(
        RowResult.Outcome.REJECTED, errors={"": [message % {"given": given, "named": named}]}
    )


def _run_rows(
    user, job: Job, kind: Kind, mapping: ColumnMap, rows: Iterator[dict], progress
) -> None:
    column_of = _column_of(kind, mapping)
    sites: dict = {}  # the sites the rows name, by code, looked up once for the job

    def flush(batch: list[tuple[int, dict]], checked: ahead.Checked | None, read, records) -> int:
        # The batch's changes announced once; its dates checked against one "today".
        with transaction.atomic(), events.collecting(), one_day():
            results = []
            rows = []
            for number, raw in batch:
                if raw.get(readers.OVERFLOW):
                    key = _row_key(kind, mapping.read(raw)[0])
                    results += _results(job, number, key, _overflowing(raw[readers.OVERFLOW]))
                else:
                    rows.append((number, raw))
            if kind.name == "people":
                quick, rows = _new_people(
                    user, job, mapping, column_of, rows, checked, sites, read, records
                )
                results += quick
            for number, raw in rows:
                done = _one_row(user, job, mapping, column_of, raw)
                results += _results(job, number, _row_key(kind, mapping.read(raw)[0]), done)
            if kind.name == "people":
                _warn_likely(user, results)
            insert_values(RowResult, results)
            job.done_rows = batch[-1][0]
            job.save(update_fields=["done_rows"])
        progress(job.done_rows, job.total)
        return sum(1 for r in results if r["outcome"] in WROTE)

    def batches() -> Iterator[list[tuple[int, dict]]]:
        batch: list[tuple[int, dict]] = []
        for number, raw in enumerate(rows, start=1):
            if number <= job.done_rows:
                continue  # committed before the process stopped
            if not any(raw.values()):
                continue
            batch.append((number, raw))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    # People rows are checked one batch ahead in a second process while a batch is written.
    left = job.total - job.done_rows
    heap = ahead.set_aside() if left > BATCH else contextlib.nullcontext()
    with heap:
        _write_batches(user, job, kind, mapping, batches(), flush, sites, left)


def _write_batches(user, job, kind, mapping, pending, flush, sites, left) -> None:
    """Flush each batch, the next one sent to the checker (when there is one) first."""
    checker = ahead.checker(user, left, BATCH, sites) if kind.name == "people" else None
    try:
        current = next(pending, None)
        written = changed = 0
        read: dict[int, tuple] = {}
        records = None
        if checker and current:
            rows, records = _to_check(job, kind, mapping, current, read, set())
            checker.submit(rows)
        while current is not None:
            checked = checker.take() if checker else None
            read_now, read, records_now = read, {}, records
            upcoming = next(pending, None)
            if checker and upcoming:  # checked there while this batch is written here
                # The records of keys this batch gives may change as it is written.
                writing = {_row_key(kind, values) for values, _u, _h in read_now.values()}
                rows, records = _to_check(job, kind, mapping, upcoming, read, writing)
                checker.submit(rows)
            changed += flush(current, checked, read_now, records_now)
            written += 1
            if written == 1 and upcoming is not None and 2 * changed >= len(current):
                refresh_statistics()  # the tables may have looked empty to the planner
            current = upcoming
        if written > 1 and changed >= BATCH:  # a file imported again as it was changes nothing
            refresh_statistics()  # for the next import of the file, and everyone else
    finally:
        if checker:
            checker.close()


# The outcomes of rows that wrote to the tables an import reads.
WROTE = (RowResult.Outcome.CREATED, RowResult.Outcome.DUPLICATE, RowResult.Outcome.LINKED,
         RowResult.Outcome.UPDATED)  # fmt: skip

# The tables an import reads while it writes them.
IMPORT_READS = (SourceRecord, Person, NameKey, Identifier, PersonSite)


def refresh_statistics() -> None:
    """On PostgreSQL, the planner's statistics of the tables a people import reads, taken
    again: right after a bulk load they describe the tables as they were (empty, for a first
    import), and each batch's lookup of its keys or identifiers would then read every row
    instead of the index. Autovacuum would get there a minute later; an import needs it now."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    tables = ", ".join(quote(model._meta.db_table) for model in IMPORT_READS)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _to_check(
    job: Job, kind: Kind, mapping: ColumnMap, batch, read: dict[int, tuple], writing: set[str]
) -> tuple[list[ahead.Row], tuple[set[str], list[tuple]]]:
    """The rows of a batch worth checking ahead: those read whole, with their required
    fields, whose key this source did not already import with the same values (a second
    import of a file sends none). Only a hint: the batch is decided when it is written.
    Each row read is kept in `read` by its number (values, unread columns, row hash). Also
    gives the keys whose records were read, but those of the batch being written
    (`writing`), and the records, for the batch to use when it is written."""
    rows: list[ahead.Row] = []
    for number, raw in batch:
        if raw.get(readers.OVERFLOW):
            continue
        values, unread = mapping.read(raw)
        if unread or not all(values.get(f) for f in kind.required):
            read[number] = (values, unread, "")
            continue
        row_hash = _row_hash(values)
        read[number] = (values, unread, row_hash)
        rows.append((_row_key(kind, values), row_hash, values))
    keys = [key for key, _h, _v in rows]
    found = _records_of(job, keys, KNOWN)
    seen = {(r[2], r[3]) for r in found}
    return [row for row in rows if (row[0], row[1]) not in seen], (set(keys) - writing, found)


_REPORT_STATUS = {"new": RowResult.Outcome.CREATED, "corrected": RowResult.Outcome.UPDATED,
                  "unchanged": RowResult.Outcome.UNCHANGED, "rejected": RowResult.Outcome.REJECTED}  # fmt: skip


def _run_grouped(user, job: Job, mapping: ColumnMap, rows: Iterator[dict], progress) -> None:
    """Weekly reports: the rows of one site and week make one report, written (with its rows'
    results) in one transaction. A site-week already written by this job is skipped on a
    re-run; one written by an earlier import comes back unchanged."""

    groups: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    for number, raw in enumerate(rows, start=1):
        if any(raw.values()):
            values, _unread = mapping.read(raw)  # a weekly report's fields read no country
            groups.setdefault((values.get("site", ""), values.get("week", "")), []).append(
                (number, values)
            )
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
                errors.setdefault(error["row"], {}).setdefault(
                    mapping.get(error["field"], error["field"]), []
                ).append(error["message"])
            results = []
            for number, values in members:
                outcome = _REPORT_STATUS[line["status"]]
                key = f"{values.get('site', '')}|{values.get('week', '')}"
                if outcome == RowResult.Outcome.REJECTED:
                    reasons = errors.get(number) or {
                        "": [_("Another row of this site and week was rejected.")]
                    }
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
    user,
    path: Path,
    *,
    form: str,
    source: str = "",
    progress: Callable[[int, int], None] = lambda done, total: None,
    name: str = "",
) -> list[Job]:
    """Import the submissions of a field form exported from ODK Central or KoboToolbox: one
    job per kind the form holds (the submissions' own records first, then their repeats).
    `name` is the file's name as its sender knows it (an upload is stored by its digest).

    A submission is keyed by its first instance id, which an edit keeps, so an edited
    submission updates what its first version made; one known so far by the id an edit
    replaced takes the new key. Submissions rejected in Central or not approved in Kobo are
    left out: each is a rejected row of the first job, its reason naming the review state."""
    from . import fieldforms, submissions

    check_form(user, form)
    spec = fieldforms.FORMS[form]
    path = Path(path)
    name = name or path.name
    source = (source or form)[:100]
    digest = file_digest(path)
    read = submissions.read(path, name)
    submissions.join_choices(spec, read)
    submissions.check_shape(spec, read)
    _leave_out_replaced(namespace(user), source, read)
    _follow_edits(namespace(user), source, spec, read)
    by_kind = fieldforms.rows_by_kind(spec, read)
    left_out = [s for s in read if s.left_out]
    jobs = []
    for kind, rows in by_kind.items():
        header = list(rows[0]) if rows else ["source_key", *KINDS[kind].fields]
        job = run_rows(
            user,
            kind=kind,
            source=source,
            file_name=name,
            digest=digest,
            header=header,
            rows=lambda rows=rows: iter(rows),
            total=lambda rows=rows: len(rows),
            columns={f: f for f in header if f in KINDS[kind].all_fields},
            progress=progress,
        )
        if not jobs and left_out:
            _report_left_out(job, len(rows), left_out)
        jobs.append(job)
    if spec.key:
        _remember_submissions(namespace(user), source, spec, read)
    _remember_replaced(namespace(user), source, read)
    return jobs


SUBMISSION = "submission"  # SourceRecord kind: a keyed form's submission -> the person it made
REPLACED = "replaced"  # SourceRecord kind: the instance id of a version an edit replaced


def _leave_out_replaced(owner: str, source: str, subs: list) -> None:
    """Leave out a version of a submission that an edit imported already (or one in the same
    file) replaced: an older export imported after a newer one would otherwise undo the edit,
    or, where the export does not carry the first instance id, import the visit again."""
    replaced = {s.replaces for s in subs if s.replaces and not s.left_out}
    replaced |= {s.key for s in subs if _edited(s) and not s.left_out}
    versions = [s.version for s in subs if s.version and not s.left_out]
    replaced |= set(
        SourceRecord.objects.filter(
            owner=owner, source=source, kind=REPLACED, key__in=versions
        ).values_list("key", flat=True)
    )
    for sub in subs:
        if not sub.left_out and sub.version in replaced:
            sub.left_out = _("Not imported: a later edit of this submission was imported already.")


def _edited(sub) -> bool:
    """Whether `sub` is an edit known by its first instance id (Central's ``__id``/``KEY``,
    Kobo's ``meta/rootUuid``): its first version, whose instance id that is, was replaced
    (Central's CSV names no ``deprecatedID``)."""
    return bool(sub.version) and sub.version != sub.key


def _remember_replaced(owner: str, source: str, subs: list) -> None:
    """The versions the imported edits replaced (and those an older version left out
    replaced in turn), so that importing any of them later changes nothing."""
    ids = {s.replaces for s in subs if s.replaces} | {s.key for s in subs if _edited(s)}
    if not ids:
        return
    with transaction.atomic():
        for key in ids:
            SourceRecord.objects.get_or_create(
                owner=owner, source=source, kind=REPLACED, key=key[:200], defaults={"row_hash": ""}
            )


def _remember_submissions(owner: str, source: str, spec, subs: list) -> None:
    """For a form keyed by an answer (the registration's card number): which person each
    submission (by the id its edits keep) became, so an edit that changes the answer updates
    that person (`_follow_edits`) rather than registering another."""
    cards = {s.values.get(spec.key, ""): s.key for s in subs if not s.left_out and s.key}
    found = SourceRecord.objects.filter(
        owner=owner, source=source, kind=spec.kind, key__in=[c for c in cards if c]
    )
    with transaction.atomic():
        for record in found:
            SourceRecord.objects.update_or_create(
                owner=owner,
                source=source,
                kind=SUBMISSION,
                key=cards[record.key][:200],
                defaults={"person": record.person, "row_hash": ""},
            )


def _report_left_out(job: Job, after: int, left_out: list) -> None:
    """The submissions left out for their review state, as rejected rows after the job's own
    (once: a resumed job already holds them)."""
    if job.rows.filter(row__gt=after).exists():
        return
    insert_values(
        RowResult,
        [
            _row(job, after + i, sub.key[:200], RowResult.Outcome.REJECTED, None, "", sub.left_out)
            for i, sub in enumerate(left_out, start=1)
        ],
    )
    job.total = job.done_rows = after + len(left_out)
    job.save(update_fields=["total", "done_rows"])


def _follow_answer(owner: str, source: str, spec, sub) -> None:
    """A keyed form's submission whose key answer (a card number) an edit changed: the record
    its first version made takes the new answer as its key, when that record is the person's
    only one from this source."""
    found = SourceRecord.objects.filter(owner=owner, source=source)
    answer = sub.values[spec.key][:200]
    if found.filter(kind=spec.kind, key=answer).exists():
        return
    made = found.filter(kind=SUBMISSION, key__in=[sub.key, *sub.aliases]).first()
    if made is None or made.person_id is None:
        return
    earlier = list(found.filter(kind=spec.kind, person_id=made.person_id)[:2])
    if len(earlier) == 1:
        earlier[0].key = answer
        earlier[0].save(update_fields=["key"])


def _follow_edits(owner: str, source: str, spec, subs: list) -> None:
    """Records imported under an id an edit has since replaced (the submission's earlier
    instance id, before its first id was known) take the submission's key, with those of its
    repeat instances, so the edit updates them instead of importing them again."""
    kinds = [spec.kind] if spec.kind and not spec.key else []
    repeats = [(r.kind, r.name) for r in spec.repeats]
    with transaction.atomic():
        for sub in subs:
            if spec.key and sub.values.get(spec.key):
                _follow_answer(owner, source, spec, sub)
            for alias in sub.aliases:
                found = SourceRecord.objects.filter(owner=owner, source=source)
                for kind in kinds:
                    if not found.filter(kind=kind, key=sub.key).exists():
                        found.filter(kind=kind, key=alias).update(key=sub.key)
                for kind, group in repeats:
                    old, new = f"{alias}/{group}/", f"{sub.key}/{group}/"
                    if found.filter(kind=kind, key__startswith=new).exists():
                        continue
                    for record in found.filter(kind=kind, key__startswith=old):
                        record.key = (new + record.key[len(old) :])[:200]
                        record.save(update_fields=["key"])
