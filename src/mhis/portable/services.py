"""The portable record: what views, API and commands call."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field

import nh3
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import scope_sites
from mhis.contracts import refuse_nul
from mhis.registry.models import Person
from mhis.registry.search import get_person, log_listed, search_people
from mhis.registry.services import register_person

from . import ips, ips_import
from .models import ReceivedItem, ReceivedSummary

MAX_BUNDLE_BYTES = 5 * 1024 * 1024


def export_ips(user, person_uuid, *, view: str = "ips-export") -> str:
    """A person's International Patient Summary as JSON text, for a user who may read the
    record (the read is logged). A merged record answers with its survivor's summary."""
    person = get_person(user, person_uuid, view=view)
    if person.merged_into_id:
        person = get_person(user, person.merged_into.uuid, view=view)
    return ips.text(ips.bundle(person))


def sanitise(html: str) -> str:
    """Narrative XHTML from another system, safe to show: no scripts, styles, event
    handlers, forms or links that run code."""
    return nh3.clean(html or "", link_rel="noopener noreferrer nofollow")


@dataclass
class Imported:
    summary: ReceivedSummary | None  # None when nothing was written
    person: Person
    # "chosen"; "identifier" (the bundle names a person of ours); "known" (a patient
    # identifier read before from the same system); "document" (this very document was read
    # before); or "new"
    matched: str
    already: bool = False  # nothing written: the document, or all it holds, was read before
    possible_matches: list[Person] = field(default_factory=list)
    known_entries: int = (
        0  # entries already in the record (its own, or read before): not kept again
    )
    refused: list[str] = field(default_factory=list)  # entries refused and references left out

    @property
    def read(self) -> int:
        return self.summary.items.count() if self.summary else 0


def _parse(raw: bytes | str) -> tuple[dict, bytes]:
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(data) > MAX_BUNDLE_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(n)s MB.") % {"n": MAX_BUNDLE_BYTES // 2**20}}
        )
    try:
        document = ips_import.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    except RecursionError:
        raise ValidationError({"file": _("The file is nested too deeply to be read.")}) from None
    except ValueError as exc:
        raise ValidationError(
            {
                "file": _("The file is not JSON (line %(line)s): %(error)s")
                % {"line": getattr(exc, "lineno", "?"), "error": getattr(exc, "msg", str(exc))}
            }
        ) from None
    if ips_import.too_deep(document):
        raise ValidationError({"file": _("The file is nested too deeply to be read.")})
    try:  # an escaped half of a UTF-16 pair (\ud800) is JSON, but no text can hold it
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    try:  # no database column stores the NUL character
        refuse_nul(document)
    except ValueError as exc:
        raise ValidationError({"file": str(exc)}) from None
    faults = ips_import.faults(document)
    if faults:
        raise ValidationError({"bundle": faults})
    return document, data


def _ours(user, patient: dict) -> Person | None:
    """The person a bundle names by one of our own record ids, if the user may see them. A
    person of ours outside the user's places is not registered again: the bundle is refused."""
    outside = False
    identifiers = patient.get("identifier")
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(identifier, dict):
            continue
        value = str(identifier.get("value") or "")
        if identifier.get("system") == "urn:ietf:rfc:3986" and value.startswith("urn:uuid:"):
            try:
                key = uuid.UUID(value.removeprefix("urn:uuid:"))
            except ValueError:
                continue
            try:
                return _survivor(user, get_person(user, key, view="ips-import"))
            except Person.DoesNotExist:  # not ours, or outside the user's places
                outside = outside or Person.objects.filter(uuid=key).exists()
    if outside:
        raise ValidationError(
            {
                "person": _(
                    "This summary is this system's own record of a person registered at a "
                    "place outside yours: it is not registered again. Ask a colleague of "
                    "that place, or an administrator, to share the record with your place."
                )
            }
        )
    return None


def _survivor(user, person: Person) -> Person:
    if person.merged_into_id:
        return get_person(user, person.merged_into.uuid, view="ips-import")
    return person


def _visible(user, person: Person) -> Person | None:
    try:
        return _survivor(user, get_person(user, person.uuid, view="ips-import"))
    except Person.DoesNotExist:
        return None


def _same_patient(summary: ReceivedSummary, reading) -> bool:
    """Whether the document `summary` was read from is about the patient `reading` is: a
    Bundle.identifier another system reuses for another patient is not the same document."""
    try:
        before = ips_import.read(ips_import.loads(summary.document)).patient
    except (*ips_import.MALFORMED, RecursionError, StopIteration, IndexError):
        return False
    return ips_import.fingerprint(ips_import.person_part(before)) == ips_import.fingerprint(
        ips_import.person_part(reading.patient)
    )


def _read_before(user, reading, digest: str) -> ReceivedSummary | None:
    """The summary this very document was read into before (the same bytes, or the same
    Bundle.identifier about the same patient), on a record the user may see."""
    found = ReceivedSummary.objects.filter(digest=digest)
    if reading.document_key:
        found = found | ReceivedSummary.objects.filter(document_key=reading.document_key)
    for summary in found.select_related("person").order_by("received_at", "pk"):
        if summary.digest != digest and not _same_patient(summary, reading):
            continue
        if _visible(user, summary.person):
            return summary
    return None


def _known_patient(user, reading) -> Person | None:
    """The person a patient identifier of the bundle (same system, same value) was read into
    before, if the user may see them."""
    for key in reading.patient_keys:
        for summary in (
            ReceivedSummary.objects.filter(patient_keys__contains=f" {key} ")
            .select_related("person")
            .order_by("received_at", "pk")
        ):
            if person := _visible(user, summary.person):
                return person
    return None


def _register(user, patient: dict, site: str | None) -> Person:
    if not site:
        sites = list(scope_sites(user)[:2])
        if len(sites) != 1:
            raise ValidationError({"site": _("Choose the site that registers this person.")})
        site = sites[0].code
    try:
        return register_person(user, {**ips.patient_data(patient), "registration_site": site})
    except ValidationError as exc:
        errors = exc.message_dict
        raise ValidationError(
            {(k if k == "registration_site" else f"patient.{k}"): v for k, v in errors.items()}
        ) from None


def _possible_matches(user, person: Person, limit: int = 5) -> list[Person]:
    """Records already registered that may be the same person: same name keys, sex not in
    conflict, birth years within one. The linkage run weighs them; a reviewer decides."""
    query = person.display_latin or person.display_name
    found = []
    for other in search_people(user, query).exclude(pk=person.pk)[:50]:
        if {other.sex, person.sex} >= {"female", "male"}:
            continue
        years = (other.birth_date, person.birth_date)
        if all(years) and abs(years[0].year - years[1].year) > 1:
            continue
        found.append(other)
        if len(found) == limit:
            break
    if found:
        log_listed(user, found, "ips-import:possible-matches")
    return found


def _one_at_a_time(keys) -> None:
    """Two readings of the same document or patient at once wait for each other (until the
    transaction ends), so that the second recognises what the first wrote."""
    if connection.vendor != "postgresql":  # SQLite writes one transaction at a time anyway
        return
    with connection.cursor() as cursor:
        for key in sorted({k for k in keys if k}):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 24))", [f"ips:{key}"])


def _in_record(person: Person) -> set[str]:
    """Fingerprints of every entry the person's record already holds: its own (as MHIS
    exports them) and what other systems sent."""
    own = ips_import.read(json.loads(ips.text(ips.bundle(person))))
    held = {ips_import.fingerprint(item["resource"]) for item in own.items}
    for resource in ReceivedItem.objects.filter(person=person).values_list("resource", flat=True):
        held.add(ips_import.fingerprint(resource))
    return held


def import_ips(
    user, raw: bytes | str, *, person_uuid=None, site: str | None = None, source: str = ""
) -> Imported:
    """Read an IPS Bundle another system produced into a person's record: the one chosen
    (`person_uuid`), else the person the bundle names by one of our ids, else the person a
    patient identifier from the same system was read into before, else a new person
    registered at `site`. A document read before (the same Bundle.identifier or bytes) is
    recognised before anything is written and changes nothing; entries the record already
    holds (its own exported and coming back, or read before) are not kept twice. Entries
    that cannot be read are refused one by one, named; everything else is written in one
    transaction. Faults of the whole bundle are raised as a ValidationError naming each."""
    require(user, Can.WRITE_PERSON)
    document, data = _parse(raw)
    try:
        reading = ips_import.read(document)
    except ips_import.MALFORMED:  # the frame passed the checks, its details did not
        raise ValidationError(
            {"bundle": [_("The bundle is malformed: an element has the wrong type.")]}
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        _one_at_a_time([reading.document_key, digest, *reading.patient_keys])
        person: Person | None = None
        matched = "new"
        if person_uuid:
            try:
                person = _survivor(user, get_person(user, person_uuid, view="ips-import"))
            except Person.DoesNotExist:
                raise ValidationError({"person": _("No such person in your places.")}) from None
            matched = "chosen"
        elif person := _ours(user, reading.patient):
            matched = "identifier"
        if before := _read_before(user, reading, digest):
            return Imported(
                before, _visible(user, before.person) or before.person,
                "document" if matched == "new" else matched, already=True,
                refused=list(before.skipped),
            )  # fmt: skip
        if person is None and (person := _known_patient(user, reading)):
            matched = "known"
        items, known = reading.items, 0
        if person is not None:
            Person.objects.select_for_update().filter(pk=person.pk).first()
            held = _in_record(person)
            items = [i for i in reading.items if ips_import.fingerprint(i["resource"]) not in held]
            known = len(reading.items) - len(items)
            if not items:
                return Imported(
                    None, person, matched, already=True, known_entries=known,
                    refused=reading.skipped,
                )  # fmt: skip
        possible: list[Person] = []
        if person is None:
            person = _register(user, reading.patient, site)
            possible = _possible_matches(user, person)
        summary = ReceivedSummary.objects.create(
            person=person,
            source=(source or reading.source or _("unknown source"))[:200],
            bundle_identifier=reading.identifier,
            composed_at=reading.composed_at,
            digest=digest,
            document_key=reading.document_key,
            patient_keys=f" {' '.join(reading.patient_keys)} " if reading.patient_keys else "",
            document=data.decode("utf-8-sig"),
            sections=[
                {"code": code, "title": s["title"], "narrative": sanitise(s["narrative"])}
                for code, s in reading.sections.items()
            ],
            skipped=reading.skipped,
            received_by=user if user.is_authenticated else None,
        )
        ReceivedItem.objects.bulk_create(
            ReceivedItem(summary=summary, person=person, **item) for item in items
        )
    return Imported(
        summary, person, matched, possible_matches=possible, known_entries=known,
        refused=reading.skipped,
    )  # fmt: skip


ALLERGIES = "48765-2"  # the IPS section of allergies and intolerances


def received_allergies(user, person: Person) -> list[str]:
    """The allergies and intolerances other providers recorded for the person, each with its
    source (a clinical section: shown to every role that reads the person)."""
    if not allowed(user, Can.READ_PERSON):
        return []
    items = ReceivedItem.objects.filter(person=person, section=ALLERGIES).select_related("summary")
    return [f"{item.text} ({item.summary.source})" for item in items]


def received_summaries(user, person: Person) -> list[dict]:
    """What other systems sent about a person, by summary and section, for display to `user`.

    A role that may not see migration status is shown the clinical sections and entries only
    (`ips.clinical`): not a social history, a patient's story, an alert or a section of a code
    we do not know, where senders write "asylum seeker" or a UNHCR case number; nor the
    sender's narrative of a section one of whose entries is withheld. `partial` says the
    summaries were shown so (the same for every summary: it tells nothing about one)."""
    whole = allowed(user, Can.SEE_MIGRATION_STATUS)
    out = []
    for summary in ReceivedSummary.objects.filter(person=person).prefetch_related("items"):
        by_section: dict[str, list] = {}
        withheld: set[str] = set()
        for item in summary.items.all():
            if whole or ips.clinical(item.section, item.resource):
                try:  # panel members, medication…
                    item.details = ips_import.details(item.resource)
                except ips_import.MALFORMED:
                    item.details = []
                by_section.setdefault(item.section, []).append(item)
            else:
                withheld.add(item.section)
        out.append(
            {
                "summary": summary,
                "partial": not whole,
                "sections": [
                    {
                        "code": s["code"],
                        "title": s.get("title", s["code"]),
                        "narrative": ""
                        if s["code"] in withheld
                        else sanitise(s.get("narrative", "")),
                        "items": by_section.get(s["code"], []),
                    }
                    for s in summary.sections
                    if whole or ips.clinical(s["code"])
                ],
            }
        )
    return out
