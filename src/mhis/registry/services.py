"""The registry's write layer and its queries. Views, the API, importers and the demo call these.

Input is a plain dict (from a form, a JSON body or an import row). Problems are raised as one
``ValidationError`` whose keys name the fields: ``birth_date``, ``names.0.text``,
``identifiers.1.value``. Every write is one transaction: a refused input writes nothing.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import names as namelib
from mhis.access.policy import Can, allowed, require
from mhis.access.services import (
    in_scope,
    log_access,
    scope_site_ids,
)
from mhis.bulk import insert_rows, insert_values
from mhis.codelists import normalise_country, normalise_language
from mhis.crypto import keyed_hash
from mhis.events import announce
from mhis.input import Errors, begin, clean_choice, clean_date
from mhis.lookups import AnyOf
from mhis.places.models import Place, PlaceKind

from .codes import (
    IDENTITY_DOCUMENT,
    IDENTITY_DOCUMENT_LABEL,
    NEUTRAL_IDENTIFIER_TYPES,
    ConsentScope,
    DatePrecision,
    IdentifierType,
    MigrationStatus,
    NameUse,
    OccupationSector,
    Relationship,
    Sex,
)
from .models import (
    Consent,
    Household,
    HouseholdMember,
    Identifier,
    MigrationEpisode,
    NameKey,
    Person,
    PersonName,
    PersonSite,
)
from .validation import (
    clean_identifier,
    earliest_birth,
    format_birth_date,
    normalise_identifier,
    parse_birth_date,
)

MAX_NAMES = 10
MAX_IDENTIFIERS = 10
MAX_EPISODES = 20
MAX_LANGUAGES = 10
MAX_CONTACT_LENGTH = 500
# Beyond this many people matching a query anywhere, search joins inside the database.
SEARCH_CANDIDATES = 5000
PERSON_FIELDS = (
    "registration_site",
    "names",
    "sex",
    "birth_date",
    "birth_date_precision",
    "nationality",
    "languages",
    "contact",
    "identifiers",
    "episodes",
    "consents",
)


def identifier_hash(value: str) -> str:
    return keyed_hash(normalise_identifier(value), purpose="identifier")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError
    return value.strip()


def _empty(value: Any) -> bool:
    return value in (None, "") or (isinstance(value, list | tuple) and not value)


def _list(value: Any, field: str, errors: Errors, limit: int) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        errors.add(field, _("Expected a list."))
        return []
    if len(value) > limit:
        errors.add(field, _("At most %(n)s items.") % {"n": limit})
        return []
    return list(value)


def _country(value: Any, field: str, errors: Errors, *, required: bool = False) -> str:
    try:
        text = _text(value)
    except TypeError:
        errors.add(field, _("Expected text."))
        return ""
    if not text:
        if required:
            errors.add(field, _("This field is required."))
        return ""
    try:
        return normalise_country(text)
    except ValueError as exc:
        errors.add(field, str(exc))
        return ""


def _name_message(exc: namelib.InvalidName) -> str:
    messages = {
        "not_text": _("A name must be text."),
        "control": _("A name cannot contain control characters."),
        "format": _("A name cannot contain the formatting character %(character)s.")
        % {"character": namelib.describe_character(exc.character) if exc.character else ""},
        "no_letter": _("A name must contain at least one letter."),
        "too_long": _("A name can have at most %(n)s characters.") % {"n": namelib.MAX_NAME_LENGTH},
    }
    return messages.get(exc.code, str(exc))


def _clean_names(raw: Any, errors: Errors) -> list[dict]:
    items = _list(raw, "names", errors, MAX_NAMES)
    cleaned = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            errors.add(f"names.{i}", _("Expected an object with text, latin and use."))
            continue
        try:
            text = namelib.clean_name(item.get("text") or "")
        except namelib.InvalidName as exc:
            errors.add(f"names.{i}.text", _name_message(exc))
            continue
        latin = item.get("latin") or ""
        if latin:
            try:
                latin = namelib.clean_name(latin)
            except namelib.InvalidName as exc:
                errors.add(f"names.{i}.latin", _name_message(exc))
                continue
            if namelib.detect_script(latin) != "Latn":
                errors.add(f"names.{i}.latin", _("Write this name in Latin letters."))
                continue
        use = clean_choice(item.get("use"), f"names.{i}.use", errors, NameUse, NameUse.OFFICIAL)
        script = namelib.detect_script(text)
        if not latin and script != "Latn":
            latin = namelib.romanise(text)
        cleaned.append(
            {"text": text, "latin": latin if latin != text else "", "use": use, "script": script}
        )
    if not cleaned and "names" not in errors and not any(k.startswith("names.") for k in errors):
        errors.add("names", _("Give at least one name."))
    return cleaned


def _clean_identifiers(raw: Any, errors: Errors, person: Person | None = None) -> list[dict]:
    """Identifiers as given. An "identity document" (how a role that may not see migration
    status is shown a status-telling type) keeps the type stored for the same document."""
    cleaned = []
    stored = {}
    if person is not None:
        for kind, country, value in person.identifiers.values_list(
            "type", "issuing_country", "value"
        ):
            stored[(normalise_identifier(value), country)] = kind
    for i, item in enumerate(_list(raw, "identifiers", errors, MAX_IDENTIFIERS)):
        if not isinstance(item, Mapping):
            errors.add(
                f"identifiers.{i}", _("Expected an object with type, issuing_country and value.")
            )
            continue
        country = _country(item.get("issuing_country"), f"identifiers.{i}.issuing_country", errors)
        given = item.get("type")
        if given == IDENTITY_DOCUMENT:
            value = item.get("value") if isinstance(item.get("value"), str) else ""
            given = stored.get((normalise_identifier(value), country), "")
            if given not in NEUTRAL_IDENTIFIER_TYPES:
                errors.add(f"identifiers.{i}.type", _("Choose the kind of document."))
                continue
        kind = clean_choice(given, f"identifiers.{i}.type", errors, IdentifierType)
        try:
            shown, normal = clean_identifier(
                kind, item.get("value") if isinstance(item.get("value"), str) else ""
            )
        except ValueError as exc:
            if kind:
                errors.add(f"identifiers.{i}.value", str(exc))
            continue
        cleaned.append({"type": kind, "issuing_country": country, "value": shown, "normal": normal})
    return cleaned


def _clean_episodes(raw: Any, errors: Errors, birth: tuple[date, str] | None) -> list[dict]:
    cleaned = []
    for i, item in enumerate(_list(raw, "episodes", errors, MAX_EPISODES)):
        if not isinstance(item, Mapping):
            errors.add(f"episodes.{i}", _("Expected an object describing a migration episode."))
            continue
        field = f"episodes.{i}"
        status = clean_choice(
            item.get("status"), f"{field}.status", errors, MigrationStatus, MigrationStatus.UNK
        )
        transit = []
        for j, code in enumerate(
            _list(item.get("transit_countries"), f"{field}.transit_countries", errors, 10)
        ):
            country = _country(code, f"{field}.transit_countries.{j}", errors)
            if country:
                transit.append(country)
        start = clean_date(item.get("start_date"), f"{field}.start_date", errors, future=True)
        end = clean_date(item.get("end_date"), f"{field}.end_date", errors, future=True)
        if start and end and end < start:
            errors.add(f"{field}.end_date", _("The end date is before the start date."))
        if start and birth and start < earliest_birth(*birth):
            errors.add(f"{field}.start_date", _("The episode starts before the date of birth."))
        cleaned.append(
            {
                "status": status,
                "origin_country": _country(
                    item.get("origin_country"), f"{field}.origin_country", errors
                ),
                "transit_countries": transit,
                "destination_country": _country(
                    item.get("destination_country"), f"{field}.destination_country", errors
                ),
                "occupation_sector": clean_choice(
                    item.get("occupation_sector"),
                    f"{field}.occupation_sector",
                    errors,
                    OccupationSector,
                    OccupationSector.UNKNOWN,
                ),
                "start_date": start,
                "end_date": end,
            }
        )
    return cleaned


def _clean_consents(raw: Any, errors: Errors) -> list[dict]:
    cleaned = []
    for i, item in enumerate(_list(raw, "consents", errors, 10)):
        if not isinstance(item, Mapping):
            errors.add(f"consents.{i}", _("Expected an object with scope and given_on."))
            continue
        scope = clean_choice(item.get("scope"), f"consents.{i}.scope", errors, ConsentScope)
        given = clean_date(item.get("given_on"), f"consents.{i}.given_on", errors, future=True)
        if given is None and f"consents.{i}.given_on" not in errors:
            errors.add(f"consents.{i}.given_on", _("This field is required."))
        elif given and given > timezone.localdate():
            errors.add(f"consents.{i}.given_on", _("Consent cannot be given in the future."))
        withdrawn = clean_date(
            item.get("withdrawn_on"), f"consents.{i}.withdrawn_on", errors, future=True
        )
        if given and withdrawn and withdrawn < given:
            errors.add(
                f"consents.{i}.withdrawn_on", _("Consent cannot be withdrawn before it was given.")
            )
        cleaned.append({"scope": scope, "given_on": given, "withdrawn_on": withdrawn})
    return cleaned


def clean_person_input(
    data: Mapping[str, Any], *, user, person: Person | None = None, sites: dict | None = None
) -> dict:
    """Validate registration or update input. With `person`, absent fields keep their values.
    `sites` caches the site of each code across many calls (an import)."""
    errors = begin(data, PERSON_FIELDS)
    partial = person is not None
    out: dict[str, Any] = {}

    if "registration_site" in data or not partial:
        code = data.get("registration_site")
        if sites is not None and code in sites:
            site = sites[code]
        else:
            site = (
                Place.objects.filter(code=code, kind=PlaceKind.SITE).first()
                if isinstance(code, str) and code
                else None
            )
            if sites is not None and isinstance(code, str):
                sites[code] = site
        if not code:
            errors.add("registration_site", _("This field is required."))
        elif partial and site is not None and site.pk == person.registration_site_id:
            out["registration_site"] = site  # unchanged: it may lie in another's places
        elif site is None or not in_scope(user, site):
            errors.add("registration_site", _("No site with this code in your places."))
        else:
            out["registration_site"] = site

    if "names" in data or not partial:
        out["names"] = _clean_names(data.get("names"), errors)

    if "sex" in data or not partial:
        out["sex"] = clean_choice(data.get("sex"), "sex", errors, Sex, Sex.UNKNOWN)

    birth: tuple[date, str] | None = None
    if "birth_date" in data or "birth_date_precision" in data or not partial:
        value = data.get("birth_date")
        precision = data.get("birth_date_precision") or None
        if value in (None, ""):
            if precision:
                errors.add("birth_date", _("Give the date that goes with the precision."))
            out["birth_date"], out["birth_date_precision"] = None, ""
        elif not isinstance(value, str):
            errors.add("birth_date", _("Enter a date as YYYY-MM-DD, YYYY-MM or YYYY."))
        else:
            try:
                birth = parse_birth_date(value, precision)
                out["birth_date"], out["birth_date_precision"] = birth
            except ValueError as exc:
                field = (
                    "birth_date_precision"
                    if precision and precision not in DatePrecision.values
                    else "birth_date"
                )
                errors.add(field, str(exc))
    elif person is not None and person.birth_date:
        birth = (person.birth_date, person.birth_date_precision)

    if "nationality" in data or not partial:
        out["nationality"] = _country(data.get("nationality"), "nationality", errors)

    if "languages" in data or not partial:
        languages = []
        for i, code in enumerate(_list(data.get("languages"), "languages", errors, MAX_LANGUAGES)):
            try:
                language = normalise_language(code if isinstance(code, str) else "")
            except ValueError as exc:
                errors.add(f"languages.{i}", str(exc))
                continue
            if language not in languages:
                languages.append(language)
        out["languages"] = languages

    if "contact" in data or not partial:
        try:
            contact = _text(data.get("contact"))
        except TypeError:
            errors.add("contact", _("Expected text."))
            contact = ""
        if len(contact) > MAX_CONTACT_LENGTH:
            errors.add("contact", _("At most %(n)s characters.") % {"n": MAX_CONTACT_LENGTH})
        out["contact"] = contact

    if "identifiers" in data or not partial:
        out["identifiers"] = _clean_identifiers(data.get("identifiers"), errors, person)
    if (
        "episodes" in data
        and not allowed(user, Can.SEE_MIGRATION_STATUS)
        and (partial or not _empty(data["episodes"]))
    ):
        # Episodes are written only by the roles shown them: anyone else would replace (or, with
        # an empty list, erase) a history they cannot read. A registration with no episode (the
        # API's body always has the list) writes none and is taken.
        errors.add("episodes", _("Only roles shown migration status can record migration episodes."))  # fmt: skip
    elif "episodes" in data or not partial:
        out["episodes"] = _clean_episodes(data.get("episodes"), errors, birth)
    elif (
        # Only for a user who is shown migration episodes. For anyone else, whether a date is
        # refused would depend on dates they may not see: trying birth dates one after another
        # (nothing is written) would find the day a migration started. Their change is kept;
        # the conflict it may leave is shown to health staff on the person's page
        # (episodes_before_birth), and refused when one of them changes the date. A date saved
        # unchanged is not refused, so the conflict does not block their other edits.
        partial
        and birth
        and "birth_date" in out
        and allowed(user, Can.SEE_MIGRATION_STATUS)
        and birth != (person.birth_date, person.birth_date_precision)
        and episodes_before_birth(person, birth)
    ):
        errors.add("birth_date", _("A migration episode starts before this date of birth."))
    if "consents" in data or not partial:
        out["consents"] = _clean_consents(data.get("consents"), errors)
    errors.check()
    return out


def episodes_before_birth(person: Person, birth: tuple[date, str] | None = None) -> list:
    """The person's migration episodes that start before they can have been born: on `birth`
    (a date and its precision), or on their stored date of birth."""
    if birth is None:
        birth = (person.birth_date, person.birth_date_precision) if person.birth_date else None
    if birth is None:
        return []
    earliest = earliest_birth(*birth)
    return [e for e in person.episodes.all() if e.start_date and e.start_date < earliest]


def _display(names: list[dict]) -> tuple[str, str]:
    """The name shown, in its own script and in Latin letters: the first name's."""
    first = names[0]
    return first["text"], first["latin"] or (first["text"] if first["script"] == "Latn" else "")


def _write_names(person: Person, names: list[dict], *, new: bool = False) -> list[PersonName]:
    if not new:  # a new person has nothing to replace
        PersonName.objects.filter(person=person).delete()
        NameKey.objects.filter(person=person).delete()
    written = PersonName.objects.bulk_create(
        [
            PersonName(
                person=person, text=n["text"], latin=n["latin"], use=n["use"], script=n["script"]
            )
            for n in names
        ]
    )
    keys: set[str] = set()
    for n in names:
        keys |= namelib.index_keys(n["text"], n["latin"])
    NameKey.objects.bulk_create([NameKey(person=person, key=k) for k in sorted(keys)])
    person.display_name, person.display_latin = _display(names)
    return written


def _write_children(person: Person, cleaned: dict, user, *, new: bool = False) -> dict[str, list]:
    """Write the lists given; return what was written, by relation, in the order a read gives."""
    written = {}
    if "identifiers" in cleaned:
        if not new:
            Identifier.objects.filter(person=person).delete()
        written["identifiers"] = Identifier.objects.bulk_create(
            [
                Identifier(
                    person=person,
                    type=i["type"],
                    issuing_country=i["issuing_country"],
                    value=i["value"],
                    value_hash=keyed_hash(i["normal"], purpose="identifier"),
                )
                for i in cleaned["identifiers"]
            ]
        )
    if "episodes" in cleaned:
        if not new:
            MigrationEpisode.objects.filter(person=person).delete()
        episodes = MigrationEpisode.objects.bulk_create(
            [MigrationEpisode(person=person, **e) for e in cleaned["episodes"]]
        )
        written["episodes"] = sorted(episodes, key=lambda e: (e.start_date or date.min, e.pk))
    if "consents" in cleaned:
        if not new:
            Consent.objects.filter(person=person).delete()
        consents = Consent.objects.bulk_create(
            [Consent(person=person, recorded_by=user, **c) for c in cleaned["consents"]]
        )
        written["consents"] = sorted(consents, key=lambda c: (c.given_on or date.min, c.pk))
    return written


def as_written(person: Person) -> Person:
    """The person `register_person` returned, given its lists as it wrote them, as
    `prefetch_related` would: what a read of them now finds, so showing the new record needs
    no query for them. Only to show the record at once (the lists do not follow later
    changes, as with any prefetch)."""
    cache = getattr(person, "_prefetched_objects_cache", {})
    for relation, rows in getattr(person, "written", {}).items():
        rows_read = getattr(person, relation).all()
        rows_read._result_cache, rows_read._prefetch_done = list(rows), True
        cache[relation] = rows_read
    person._prefetched_objects_cache = cache
    return person


def _person_fields(user, cleaned: dict) -> dict:
    """A new person's own fields from checked registration input."""
    return {
        "registration_site": cleaned["registration_site"],
        "sex": cleaned["sex"],
        "birth_date": cleaned["birth_date"],
        "birth_date_precision": cleaned["birth_date_precision"],
        "nationality": cleaned["nationality"],
        "languages": cleaned["languages"],
        "contact": cleaned["contact"],
        "created_by": user if user.is_authenticated else None,
    }


@dataclass
class Registered:
    """A person written by `register_many`: what the writer needs to know of them."""

    uuid: uuid_module.UUID
    display_name: str
    display_latin: str
    sex: str
    birth_date: date | None
    registration_site_id: int
    pk: int | None = None


@transaction.atomic
def register_person(user, data: Mapping[str, Any]) -> Person:
    """Register a person from `data`; all rows are written, or none."""
    require(user, Can.WRITE_PERSON)
    cleaned = clean_person_input(data, user=user)
    person = Person(**_person_fields(user, cleaned))
    person.display_name, person.display_latin = _display(cleaned["names"])
    person.save()
    names = _write_names(person, cleaned["names"], new=True)
    children = _write_children(person, cleaned, user, new=True)
    person.written = {"names": names, **children}  # for `as_written`
    PersonSite.objects.create(person=person, site=person.registration_site,
                              reason=PersonSite.Reason.REGISTERED)  # fmt: skip
    announce(person, days=[timezone.localdate(person.created_at)], by=user)
    return person


def register_many(user, registrations: list[dict]) -> list[Registered]:
    """Write many registrations already checked by `clean_person_input` at once (an import):
    the same rows `register_person` writes, inserted in bulk. Call inside a transaction."""
    require(user, Can.WRITE_PERSON)
    if not registrations:
        return []
    now = timezone.now()
    rows, people = [], []
    for cleaned in registrations:
        first = cleaned["names"][0]
        person = Registered(
            uuid=uuid_module.uuid4(),
            display_name=first["text"],
            display_latin=first["latin"] or (first["text"] if first["script"] == "Latn" else ""),
            sex=cleaned["sex"],
            birth_date=cleaned["birth_date"],
            registration_site_id=cleaned["registration_site"].pk,
        )
        people.append(person)
        fields = _person_fields(user, cleaned)
        fields["registration_site_id"] = fields.pop("registration_site").pk
        fields["created_by_id"] = (created_by := fields.pop("created_by")) and created_by.pk
        rows.append({**fields, "uuid": person.uuid, "display_name": person.display_name,
                     "display_latin": person.display_latin, "created_at": now, "updated_at": now})  # fmt: skip
    insert_values(Person, rows)
    # Their ids, by uuid; plain SQL because the ORM's conversion of every uuid read back
    # costs more than the query. Names come from the model; values are parameters.
    quote, field = connection.ops.quote_name, Person._meta.get_field("uuid")
    table, uuid_column, id_column = quote(Person._meta.db_table), quote(field.column), quote(Person._meta.pk.column)  # fmt: skip
    ids = {}
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(people))
        cursor.execute(
            f"SELECT {uuid_column}, {id_column} FROM {table} WHERE {uuid_column} IN ({marks})",  # noqa: S608
            [field.get_db_prep_value(p.uuid, connection) for p in people],
        )
        for stored, pk in cursor.fetchall():
            ids[str(stored).replace("-", "")] = pk
    for person in people:
        person.pk = ids[person.uuid.hex]
    names, keys, identifiers, episodes, consents, sites = [], [], [], [], [], []
    for person, cleaned in zip(people, registrations, strict=True):
        pk = person.pk
        person_keys: set[str] = set()
        for n in cleaned["names"]:
            names.append({"person_id": pk, "text": n["text"], "latin": n["latin"], "use": n["use"], "script": n["script"]})  # fmt: skip
            person_keys |= namelib.index_keys(n["text"], n["latin"])
        keys += [(pk, k) for k in sorted(person_keys)]
        identifiers += [{"person_id": pk, "type": i["type"], "issuing_country": i["issuing_country"], "value": i["value"],
                         "value_hash": keyed_hash(i["normal"], purpose="identifier")} for i in cleaned["identifiers"]]  # fmt: skip
        episodes += [{"person_id": pk, **e} for e in cleaned["episodes"]]
        consents += [{"person_id": pk, "recorded_by_id": user.pk, **c} for c in cleaned["consents"]]
        sites.append({"person_id": pk, "site_id": person.registration_site_id, "reason": PersonSite.Reason.REGISTERED})  # fmt: skip
    for model, rows in ((PersonName, names), (Identifier, identifiers), (MigrationEpisode, episodes),
                        (Consent, consents), (PersonSite, sites)):  # fmt: skip
        insert_values(model, rows)
    insert_rows(NameKey, ("person_id", "key"), keys)
    announce(Person, days=[timezone.localdate(now)], by=user)
    return people


@transaction.atomic
def update_person(user, person: Person, data: Mapping[str, Any]) -> Person:
    """Change the fields present in `data`; lists given replace the person's lists."""
    require(user, Can.WRITE_PERSON, person)
    person = Person.objects.select_for_update().get(pk=person.pk)
    cleaned = clean_person_input(data, user=user, person=person)
    for field in (
        "registration_site",
        "sex",
        "birth_date",
        "birth_date_precision",
        "nationality",
        "languages",
        "contact",
    ):
        if field in cleaned:
            setattr(person, field, cleaned[field])
    if "names" in cleaned:
        _write_names(person, cleaned["names"])
    person.save()
    _write_children(person, cleaned, user)
    if "registration_site" in cleaned:
        link_site(person, person.registration_site, PersonSite.Reason.REGISTERED)
    announce(person, people=[person.pk], by=user)
    if "consents" in cleaned:  # a withdrawn consent to sharing ends the person's links now
        announce(Consent, people=[person.pk], by=user)
    return person


EPISODE_FIELDS = ("status", "origin_country", "transit_countries", "destination_country",
                  "occupation_sector", "start_date", "end_date")  # fmt: skip


def _clean_episode(person: Person, data: Mapping[str, Any]) -> dict:
    errors = begin(data, EPISODE_FIELDS)
    birth = (person.birth_date, person.birth_date_precision) if person.birth_date else None
    nested = Errors()
    [cleaned] = _clean_episodes([dict(data)], nested, birth)
    for field, messages in nested.items():
        for message in messages:
            errors.add(field.removeprefix("episodes.0."), message)
    errors.check()
    return cleaned


@transaction.atomic
def add_episode(user, person: Person, data: Mapping[str, Any]) -> MigrationEpisode:
    """Add one migration episode to a person's history (the others are kept)."""
    require(user, Can.WRITE_PERSON)
    require(user, Can.SEE_MIGRATION_STATUS)  # an episode is a status: kept by those who see it
    episode = MigrationEpisode.objects.create(person=person, **_clean_episode(person, data))
    announce(episode, people=[person.pk], by=user)
    return episode


@transaction.atomic
def update_episode(user, episode: MigrationEpisode, data: Mapping[str, Any]) -> MigrationEpisode:
    """Change the fields given of one migration episode (checked with the fields kept, which
    only a role that sees migration status may be told of)."""
    require(user, Can.WRITE_PERSON)
    require(user, Can.SEE_MIGRATION_STATUS)
    current = {f: getattr(episode, f) for f in EPISODE_FIELDS}
    current = {f: v.isoformat() if hasattr(v, "isoformat") else v for f, v in current.items()}
    for field, value in _clean_episode(episode.person, {**current, **data}).items():
        setattr(episode, field, value)
    episode.save()
    announce(episode, people=[episode.person_id], by=user)
    return episode


def link_site(person: Person, site: Place, reason: str) -> None:
    """Record that `person` is known at `site` (idempotent; the first reason is kept)."""
    PersonSite.objects.get_or_create(person=person, site=site, defaults={"reason": reason})


def visible_people(user) -> QuerySet[Person]:
    """People the user may see: known (registered, seen or referred) at a site in their scopes."""
    if not allowed(user, Can.READ_PERSON):
        return Person.objects.none()
    return Person.objects.filter(known_in_places(user))


def person_in_scope(user, person: Person) -> bool:
    """The one scope rule for a person, for reading and writing alike (ADR 0013): known at a
    site in the user's places."""
    return PersonSite.objects.filter(person=person, site_id__in=scope_site_ids(user)).exists()


def known_in_places(user, person: str = "pk") -> Exists:
    """A condition on the outer row: the person its field `person` names is known at a site in
    the user's scopes. The scope resolves to a short list of site ids once; each row is then
    one probe of the (person, site) unique index, whatever the planner knows of the tables, so
    a selective name search never has to materialise everyone in scope."""
    return Exists(
        PersonSite.objects.filter(person=OuterRef(person), site_id__in=scope_site_ids(user))
    )


def search_page(user, query: str, *, start: int, size: int) -> tuple[list[Person], int]:
    """A page of `search_people(user, query)` (registration sites read with it) and how many
    people there are in all, the matching ids read once for both."""
    people = search_people(user, query)
    if (query or "").strip():
        # The database sorts every match to cut the page; counting them there costs no more
        # and saves a second pass over the matches.
        rows = list(
            people.select_related("registration_site").annotate(_total=Window(Count("pk")))[
                start : start + size
            ]
        )
        if rows:
            return rows, rows[0]._total
        return rows, people.count() if start else 0
    rows = list(people.select_related("registration_site")[start : start + size])
    if start == 0 and len(rows) < size:
        return rows, len(rows)
    if not allowed(user, Can.READ_PERSON):
        return rows, 0
    # Everyone in scope: counted from the (person, site) links, not by sorting people.
    count = (
        PersonSite.objects.filter(site_id__in=scope_site_ids(user), person__merged_into=None)
        .values("person_id")
        .distinct()
        .count()
    )
    return rows, count


def _prefix(key: str) -> Q:
    # PostgreSQL uses the varchar_pattern_ops index Django adds for LIKE 'x%'; SQLite's LIKE is
    # case-insensitive and cannot use the index, so a range on the (already folded) key does.
    if connection.vendor == "sqlite":
        return Q(key__gte=key, key__lt=key + "\U0010ffff")
    return Q(key__startswith=key)


def _matching_ids(query: str) -> list[QuerySet]:
    """Person ids matching the query, as one query per way of matching: by every word, by the
    words written together, by an identifier."""
    plan = namelib.query_plan(query)
    ways = []
    if plan:
        groups = []
        for group in plan.groups:
            alternatives = Q()
            for key in group:
                alternatives |= _prefix(key)
            groups.append(NameKey.objects.filter(alternatives).values_list("person_id", flat=True))
        ways.append(
            groups[0].intersection(*groups[1:]) if len(groups) > 1 else groups[0].distinct()
        )
        if plan.joined and len(plan.groups) > 1:
            ways.append(
                NameKey.objects.filter(_prefix(plan.joined))
                .values_list("person_id", flat=True)
                .distinct()
            )
    normal = normalise_identifier(query)
    if normal and any(ch.isdigit() for ch in normal):
        ways.append(
            Identifier.objects.filter(value_hash=identifier_hash(query)).values_list(
                "person_id", flat=True
            )
        )
    return ways


def search_people(user, query: str = "") -> QuerySet[Person]:
    """People in the user's scopes whose names or identifiers match `query`, newest first.

    A name matches when every word of the query starts one of the name's keys (in any of its
    scripts or spellings), or when the query written without spaces starts one. A query that
    looks like an identifier also matches the identifier's keyed hash exactly.

    The matching ids are read first (from the covering index on name keys) when there are at
    most SEARCH_CANDIDATES of them, as for most names of two words or more: the scope is then
    checked person by person. A broader query (one common syllable) is left to the database
    to join with the scope.
    """
    people = visible_people(user).filter(merged_into__isnull=True)  # merged: the survivor shows
    query = (query or "").strip()[:200]
    if not query:
        return people.order_by("-created_at", "-pk")
    ways = _matching_ids(query)
    found: set[int] = set()
    for way in ways:
        ids = list(way[: SEARCH_CANDIDATES + 1])
        if len(ids) > SEARCH_CANDIDATES:
            conditions = Q(pk__in=[])
            for each in ways:
                conditions |= Q(pk__in=each)
            return people.filter(conditions).order_by("-created_at", "-pk")
        found.update(ids)
    return people.filter(AnyOf(F("pk"), sorted(found))).order_by("-created_at", "-pk")


def get_person(user, person_uuid, *, view: str) -> Person:
    """The person with this id if the user may see them, logging the read; else DoesNotExist.

    Out of scope and nonexistent are the same answer, so a record's existence never leaks.
    """
    try:
        key = (
            person_uuid
            if isinstance(person_uuid, uuid_module.UUID)
            else uuid_module.UUID(str(person_uuid))
        )
    except ValueError:
        raise Person.DoesNotExist from None
    person = visible_people(user).select_related("registration_site").get(uuid=key)
    log_access(user, [person], view)
    return person


def log_listed(user, people: Iterable[Person], view: str) -> None:
    log_access(user, people, view)


def person_summary(person: Person) -> dict:
    """What a list shows of a person: no identifiers, no migration status."""
    site = person.registration_site
    return {
        "id": person.uuid,
        "name": person.display_name,
        "name_latin": person.display_latin,
        "sex": person.sex,
        "birth_date": format_birth_date(person.birth_date, person.birth_date_precision)
        if person.birth_date
        else None,
        "birth_date_precision": person.birth_date_precision,
        "nationality": person.nationality,
        "registration_site": {"code": site.code, "name": site.name},
    }


def shown_identifiers(person: Person, user) -> list[dict]:
    """A person's identifiers as the user may see them: to a role that may not see migration
    status, the types that tell it (and the national ID among them) are an identity document."""
    neutral = not allowed(user, Can.SEE_MIGRATION_STATUS)
    out = []
    for identifier in person.identifiers.all():
        masked = neutral and identifier.type in NEUTRAL_IDENTIFIER_TYPES
        out.append(
            {
                "type": IDENTITY_DOCUMENT if masked else identifier.type,
                "label": IDENTITY_DOCUMENT_LABEL if masked else identifier.get_type_display(),
                "issuing_country": identifier.issuing_country,
                "value": identifier.value,
            }
        )
    return out


def person_detail(person: Person, user) -> dict:
    """The whole record as the user may see it; migration status only for health roles."""
    data = person_summary(person)
    data.update(
        merged_into=person.merged_into.uuid if person.merged_into_id else None,
        names=[
            {"text": n.text, "latin": n.latin, "script": n.script, "use": n.use}
            for n in person.names.all()
        ],
        languages=list(person.languages),
        contact=person.contact,
        identifiers=[
            {"type": i["type"], "issuing_country": i["issuing_country"], "value": i["value"]}
            for i in shown_identifiers(person, user)
        ],
        episodes=[
            {
                "status": e.status,
                "origin_country": e.origin_country,
                "transit_countries": list(e.transit_countries),
                "destination_country": e.destination_country,
                "occupation_sector": e.occupation_sector,
                "start_date": e.start_date.isoformat() if e.start_date else None,
                "end_date": e.end_date.isoformat() if e.end_date else None,
            }
            for e in person.episodes.all()
        ]
        if allowed(user, Can.SEE_MIGRATION_STATUS)
        else None,
        consents=[
            {
                "scope": c.scope,
                "given_on": c.given_on.isoformat(),
                "withdrawn_on": c.withdrawn_on.isoformat() if c.withdrawn_on else None,
            }
            for c in person.consents.all()
        ],
        created_at=person.created_at,
        updated_at=person.updated_at,
    )
    return data


def household_of(user, person: Person, *, view: str) -> dict:
    """The person's household as the user may see it: visible members, and how many are not.
    Where a member lives (`left_behind`, `country_of_residence`) is None to a role that may not
    see migration status: a member left behind in the country of origin is the status "family
    member left behind" (FAM_LB).

    Each member shown but the person (whose read the caller logs) is logged as read in `view`:
    their names are on the page as much as the person's."""
    membership = person.memberships.select_related("household").first()
    if membership is None:
        return {"label": "", "members": [], "hidden": 0}
    rows = list(membership.household.members.select_related("person"))
    visible = set(
        visible_people(user).filter(pk__in=[r.person_id for r in rows]).values_list("pk", flat=True)
    )
    sees_status = allowed(user, Can.SEE_MIGRATION_STATUS)
    members = [
        {
            "id": r.person.uuid,
            "name": r.person.display_name,
            "name_latin": r.person.display_latin,
            "relationship": r.relationship,
            "relationship_label": Relationship(r.relationship).label,
            "left_behind": r.left_behind if sees_status else None,
            "country_of_residence": r.country_of_residence if sees_status else None,
        }
        for r in rows
        if r.person_id in visible
    ]
    log_access(user, [r.person for r in rows if r.person_id in visible and r.person_id != person.pk], view)  # fmt: skip
    return {
        "label": membership.household.label,
        "members": members,
        "hidden": len(rows) - len(members),
    }


@transaction.atomic
def add_household_member(user, person: Person, data: Mapping[str, Any]) -> HouseholdMember:
    """Put `data["member"]` (a person id) in `person`'s household, creating it with `person` as head.

    Family left behind in the country of origin are registered people too (often with status
    FAM_LB): `left_behind` and `country_of_residence` say where they live. Like the status, they
    are written only by the roles shown it: anyone else is refused them, and a member they add
    again keeps what was recorded.
    """
    require(user, Can.WRITE_PERSON)
    sees_status = allowed(user, Can.SEE_MIGRATION_STATUS)
    errors = Errors()
    member = None
    try:
        member = visible_people(user).get(uuid=uuid_module.UUID(str(data.get("member"))))
    except (ValueError, Person.DoesNotExist):
        errors.add("member", _("No such person in your places."))
    if member is not None and member.pk == person.pk:
        errors.add("member", _("A person cannot be their own household member."))
    relationship = clean_choice(data.get("relationship"), "relationship", errors, Relationship)
    if relationship == Relationship.HEAD:
        errors.add("relationship", _("The household head is the person the household belongs to."))
    left_behind = data.get("left_behind", False)
    if not isinstance(left_behind, bool):
        errors.add("left_behind", _("Expected true or false."))
    country = _country(data.get("country_of_residence"), "country_of_residence", errors)
    if not sees_status:
        refusal = _("Only roles shown migration status can record where a member lives.")
        for field, given in (("left_behind", left_behind), ("country_of_residence", country)):
            if given and field not in errors:
                errors.add(field, refusal)
    if (
        member is not None
        and member.memberships.exclude(household__members__person=person).exists()
    ):
        errors.add("member", _("This person already belongs to another household."))
    errors.check()
    membership = person.memberships.select_related("household").first()
    if membership is None:
        household = Household.objects.create()
        HouseholdMember.objects.create(
            household=household, person=person, relationship=Relationship.HEAD
        )
    else:
        household = membership.household
    where = {"left_behind": left_behind, "country_of_residence": country} if sees_status else {}
    row, _created = HouseholdMember.objects.update_or_create(
        household=household, person=member, defaults={"relationship": relationship, **where}
    )
    return row
