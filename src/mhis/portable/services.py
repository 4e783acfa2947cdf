"""The portable record: what views, API and commands call."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field

import nh3
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import scope_sites
from mhis.registry.models import Person
from mhis.registry.search import get_person, log_listed, search_people
from mhis.registry.services import register_person

from . import ips
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
    summary: ReceivedSummary
    person: Person
    matched: str  # "chosen", "identifier" (the bundle names a person of ours) or "new"
    already: bool = False  # the same bundle was read into this record before
    possible_matches: list[Person] = field(default_factory=list)


def _parse(raw: bytes | str) -> tuple[dict, bytes]:
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(data) > MAX_BUNDLE_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(n)s MB.") % {"n": MAX_BUNDLE_BYTES // 2**20}}
        )
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    except ValueError as exc:
        raise ValidationError(
            {
                "file": _("The file is not JSON (line %(line)s): %(error)s")
                % {"line": getattr(exc, "lineno", "?"), "error": getattr(exc, "msg", str(exc))}
            }
        ) from None
    faults = ips.faults(document)
    if faults:
        raise ValidationError({"bundle": faults})
    return document, data


def _ours(user, patient: dict) -> Person | None:
    """The person a bundle names by one of our own record ids, if the user may see them."""
    for identifier in patient.get("identifier") or []:
        value = str(identifier.get("value") or "")
        if identifier.get("system") == "urn:ietf:rfc:3986" and value.startswith("urn:uuid:"):
            try:
                key = uuid.UUID(value.removeprefix("urn:uuid:"))
            except ValueError:
                continue
            try:
                return get_person(user, key, view="ips-import")
            except Person.DoesNotExist:  # not ours, or outside the user's places
                continue
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


def import_ips(
    user, raw: bytes | str, *, person_uuid=None, site: str | None = None, source: str = ""
) -> Imported:
    """Read an IPS Bundle another system produced into a person's record: the one chosen
    (`person_uuid`), else the person the bundle names by one of our ids, else a new person
    registered at `site`. Everything is written or nothing; a bundle already read into the
    record is not read twice. Faults are raised as a ValidationError naming each."""
    require(user, Can.WRITE_PERSON)
    document, data = _parse(raw)
    reading = ips.read(document)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        possible: list[Person] = []
        if person_uuid:
            try:
                person = get_person(user, person_uuid, view="ips-import")
            except Person.DoesNotExist:
                raise ValidationError({"person": _("No such person in your places.")}) from None
            if person.merged_into_id:
                person = get_person(user, person.merged_into.uuid, view="ips-import")
            matched = "chosen"
        elif person := _ours(user, reading.patient):
            matched = "identifier"
        else:
            person = _register(user, reading.patient, site)
            matched = "new"
            possible = _possible_matches(user, person)
        existing = ReceivedSummary.objects.filter(person=person, digest=digest).first()
        if existing:
            return Imported(existing, person, matched, already=True)
        summary = ReceivedSummary.objects.create(
            person=person,
            source=(source or reading.source or _("unknown source"))[:200],
            bundle_identifier=reading.identifier,
            composed_at=reading.composed_at,
            digest=digest,
            document=data.decode("utf-8-sig"),
            sections=[
                {"code": code, "title": s["title"], "narrative": sanitise(s["narrative"])}
                for code, s in reading.sections.items()
            ],
            skipped=reading.skipped,
            received_by=user if user.is_authenticated else None,
        )
        ReceivedItem.objects.bulk_create(
            ReceivedItem(summary=summary, person=person, **item) for item in reading.items
        )
    return Imported(summary, person, matched, possible_matches=possible)


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
