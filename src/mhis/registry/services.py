"""The registry's writes: registering people (one, or many at once for an import), changing
them, their migration episodes, and the sites where they are known.

Each write takes its contract (registry.contracts), or a mapping it checks with the writer
and the person as context, so that every problem is reported at once, by dotted path
(``birth_date``, ``names.0.text``, ``identifiers.1.value``). Every write is one transaction:
a refused input writes nothing.
"""

from __future__ import annotations

import uuid as uuid_module
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis import names as namelib
from mhis.access.policy import OUT_OF_SCOPE, Can, require
from mhis.access.services import scope_site_ids
from mhis.bulk import insert_ready, insert_rows, insert_values, ready_rows
from mhis.crypto import keyed_hash
from mhis.events import announce
from mhis.places.models import Place

from .codes import NameUse
from .contracts import EPISODE_FIELDS, MAX_NAMES, ConsentInput, EpisodeInput, PersonInput
from .models import (
    Consent,
    Identifier,
    MigrationEpisode,
    NameKey,
    Person,
    PersonName,
    PersonSite,
)

if TYPE_CHECKING:
    from mhis.access.models import User

OWN_FIELDS = ("registration_site", "sex", "birth_date", "birth_date_precision", "nationality",
              "languages", "contact")  # fmt: skip


def person_fields(
    user: User,
    data: PersonInput | Mapping[str, Any],
    *,
    person: Person | None = None,
    sites: dict[str, Place | None] | None = None,
) -> dict[str, Any]:
    """`data` checked as a registration or, with `person`, a change of their record (absent
    fields keep their values), as the registry writes it: the registration site as a Place,
    the date of birth as its first possible day and a precision, each list as rows. `sites`
    caches the site of each code across many calls (an import)."""
    checked = PersonInput.check(
        data, update=person is not None, user=user, person=person, sites=sites
    )
    given = checked.given()
    out = {f: given[f] for f in OWN_FIELDS if f in given}
    if "birth_date" in given or "birth_date_precision" in given:
        out["birth_date"], out["birth_date_precision"] = checked.birth() or (None, "")
    for name in ("names", "identifiers", "episodes", "consents"):
        if name in given:
            out[name] = [item.row() for item in given[name] or ()]
    return out


def _display(names: list[dict[str, Any]]) -> tuple[str, str]:
    """The name shown, in its own script and in Latin letters: the first name's."""
    first = names[0]
    return first["text"], first["latin"] or (first["text"] if first["script"] == "Latn" else "")


def _write_names(
    person: Person, names: list[dict[str, Any]], *, new: bool = False
) -> list[PersonName]:
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


def _write_children(
    person: Person, cleaned: dict[str, Any], user: User, *, new: bool = False
) -> dict[str, Sequence[models.Model]]:
    """Write the lists given; return what was written, by relation, in the order a read gives."""
    written: dict[str, Sequence[models.Model]] = {}
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
        ordered = sorted(episodes, key=lambda e: (e.start_date or date.min, e.pk))
        written["episodes"] = ordered
    if "consents" in cleaned:
        if not new:
            Consent.objects.filter(person=person).delete()
        consents = Consent.objects.bulk_create(
            [Consent(person=person, recorded_by=user, **c) for c in cleaned["consents"]]
        )
        by_date = sorted(consents, key=lambda c: (c.given_on or date.min, c.pk))
        written["consents"] = by_date
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


def _person_fields(user: User, cleaned: dict[str, Any]) -> dict[str, Any]:
    """A new person's own fields from checked registration input."""
    return {
        **{field: cleaned[field] for field in OWN_FIELDS},
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
def register_person(user: User, data: PersonInput | Mapping[str, Any]) -> Person:
    """Register a person from `data`; all rows are written, or none."""
    require(user, Can.WRITE_PERSON)
    cleaned = person_fields(user, data)
    person = Person(**_person_fields(user, cleaned))
    person.display_name, person.display_latin = _display(cleaned["names"])
    person.save()
    names = _write_names(person, cleaned["names"], new=True)
    children = _write_children(person, cleaned, user, new=True)
    person.written = {"names": names, **children}  # for `as_written`
    PersonSite.objects.create(
        person=person, site=person.registration_site, reason=PersonSite.Reason.REGISTERED
    )
    announce(person, days=[timezone.localdate(person.created_at)], by=user)
    return person


def name_keys(names: Sequence[Mapping[str, Any]]) -> list[str]:
    """The search keys of a person's names (checked, as `person_fields` gives them), sorted."""
    keys: set[str] = set()
    for n in names:
        keys |= namelib.index_keys(n["text"], n["latin"])
    return sorted(keys)


# The tables a registration writes beside its person, each row with the person's id first.
CHILDREN: tuple[type[models.Model], ...] = (
    PersonName, Identifier, MigrationEpisode, Consent, PersonSite
)  # fmt: skip


def _registration_rows(
    user: User, cleaned: dict[str, Any]
) -> tuple[dict[str, Any], dict[type[models.Model], list[dict[str, Any]]]]:
    """A checked registration's person row (with a new uuid) and the rows of its names,
    identifiers, episodes, consents and site, all but the person's id."""
    fields = _person_fields(user, cleaned)
    site_id = fields.pop("registration_site").pk
    created_by = fields.pop("created_by")
    display_name, display_latin = _display(cleaned["names"])
    person = {
        **fields,
        "registration_site_id": site_id,
        "created_by_id": created_by and created_by.pk,
        "uuid": uuid_module.uuid4(),
        "display_name": display_name,
        "display_latin": display_latin,
    }
    children: dict[type[models.Model], list[dict[str, Any]]] = {
        PersonName: [
            {"text": n["text"], "latin": n["latin"], "use": n["use"], "script": n["script"]}
            for n in cleaned["names"]
        ],
        Identifier: [
            {
                "type": i["type"],
                "issuing_country": i["issuing_country"],
                "value": i["value"],
                "value_hash": i.get("value_hash") or keyed_hash(i["normal"], purpose="identifier"),
            }
            for i in cleaned["identifiers"]
        ],
        MigrationEpisode: [dict(e) for e in cleaned["episodes"]],
        Consent: [{"recorded_by_id": user.pk, **c} for c in cleaned["consents"]],
        PersonSite: [{"site_id": site_id, "reason": PersonSite.Reason.REGISTERED}],
    }
    return person, children


def ready_registrations(user: User, registrations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Registrations checked by `person_fields`, made ready for `register_many` ahead of it
    (`mhis.bulk.ready_rows`: every value converted, identifiers and statuses encrypted), all
    but their person's id and the time of writing: each {"uuid": …, "person": its row, and
    for each of CHILDREN its model's label: its rows}. Plain values only, so that an
    import's checker can work them out in its own process and hand them over."""
    rows = [_registration_rows(user, cleaned) for cleaned in registrations]
    people = ready_rows(Person, [person for person, _children in rows])
    ready = [{"uuid": person["uuid"], "person": people[n]} for n, (person, _c) in enumerate(rows)]
    for model in CHILDREN:
        made = iter(
            ready_rows(model, [r for _p, kids in rows for r in kids[model]], ("person_id",))
        )
        for entry, (_p, kids) in zip(ready, rows, strict=True):
            entry[model._meta.label] = [next(made) for _r in kids[model]]
    return ready


def register_many(user: User, registrations: list[dict[str, Any]]) -> list[Registered]:
    """Write many registrations already checked by `person_fields` at once (an import):
    the same rows `register_person` writes, inserted in bulk. Call inside a transaction.
    A registration may carry its `name_keys`, its identifiers their `value_hash`, and its
    rows made ready for the database (`ready`, from `ready_registrations`), worked out
    already (an import's checker)."""
    require(user, Can.WRITE_PERSON)
    if not registrations:
        return []
    ready: list[dict[str, Any] | None] = [c.get("ready") for c in registrations]
    todo = [n for n, entry in enumerate(ready) if entry is None]
    if todo:
        made = ready_registrations(user, [registrations[n] for n in todo])
        for n, entry in zip(todo, made, strict=True):
            ready[n] = entry
    entries = cast(list[dict[str, Any]], ready)
    people: list[Registered] = []
    for cleaned, entry in zip(registrations, entries, strict=True):
        display_name, display_latin = _display(cleaned["names"])
        people.append(
            Registered(
                uuid=entry["uuid"],
                display_name=display_name,
                display_latin=display_latin,
                sex=cleaned["sex"],
                birth_date=cleaned["birth_date"],
                registration_site_id=cleaned["registration_site"].pk,
            )
        )
    now = timezone.now()
    insert_ready(Person, (), [((), entry["person"]) for entry in entries])
    # Their ids, by uuid; plain SQL because the ORM's conversion of every uuid read back
    # costs more than the query. Names come from the model; values are parameters.
    quote, field = connection.ops.quote_name, Person._meta.get_field("uuid")
    # A field's column is set once the field is on its model, as these are.
    columns = cast(tuple[str, str], (field.column, Person._meta.pk.column))
    table, uuid_column, id_column = (
        quote(Person._meta.db_table),
        quote(columns[0]),
        quote(columns[1]),
    )
    ids: dict[str, int] = {}
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
    for model in CHILDREN:
        label = model._meta.label
        insert_ready(
            model,
            ("person_id",),
            [
                ((p.pk,), row)
                for p, entry in zip(people, entries, strict=True)
                for row in entry[label]
            ],
        )
    keys: list[tuple[int | None, str]] = []
    for person, cleaned in zip(people, registrations, strict=True):
        keys += [(person.pk, k) for k in cleaned.get("name_keys") or name_keys(cleaned["names"])]
    insert_rows(NameKey, ("person_id", "key"), keys)
    announce(Person, days=[timezone.localdate(now)], by=user)
    return people


@transaction.atomic
def update_person(user: User, person: Person, data: PersonInput | Mapping[str, Any]) -> Person:
    """Change the fields present in `data`; lists given replace the person's lists."""
    require(user, Can.WRITE_PERSON, person)
    person = Person.objects.select_for_update().get(pk=person.pk)
    cleaned = person_fields(user, data, person=person)
    for field in OWN_FIELDS:
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


@transaction.atomic
def record_consent(user: User, person: Person, data: Mapping[str, Any]) -> Consent:
    """Record a consent the person gave: its scope and the day (`given_on`, today when not
    given), kept with who recorded it. A consent of the same scope that still stands is
    refused (withdraw it first); earlier ones, withdrawn, stay in the history."""
    require(user, Can.WRITE_PERSON, person)
    person = Person.objects.select_for_update().get(pk=person.pk)  # one record at a time
    given = data.get("given_on")
    checked = ConsentInput.check(
        {
            "scope": data.get("scope"),
            "given_on": timezone.localdate() if given in (None, "") else given,
        }
    ).row()
    if person.consents.filter(scope=checked["scope"], withdrawn_on__isnull=True).exists():
        raise ValidationError(
            {
                "scope": [
                    _("This consent is already recorded: withdraw it before recording it again.")
                ]
            }
        )
    consent = Consent.objects.create(person=person, recorded_by=user, **checked)
    announce(Consent, people=[person.pk], by=user)
    return consent


@transaction.atomic
def withdraw_consent(user: User, consent: Consent, data: Mapping[str, Any]) -> Consent:
    """Record the withdrawal of a consent on `withdrawn_on` (today when not given), kept with
    who recorded it; the consent stays in the history. A withdrawn consent to sharing ends
    the person's SMART Health Links in this transaction (mhis.portable.links)."""
    require(user, Can.WRITE_PERSON, consent.person)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_on is not None:
        raise ValidationError({"withdrawn_on": [_("This consent is already withdrawn.")]})
    day = data.get("withdrawn_on")
    checked = ConsentInput.check(
        {
            "scope": consent.scope,
            "given_on": consent.given_on,
            "withdrawn_on": timezone.localdate() if day in (None, "") else day,
        }
    ).row()
    consent.withdrawn_on, consent.withdrawn_by = checked["withdrawn_on"], user
    consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    announce(Consent, people=[consent.person_id], by=user)
    return consent


def _held(text: str) -> str:
    return " ".join(namelib.fold(text).split())


@transaction.atomic
def add_names(user: User, names_of: Mapping[int, Sequence[dict[str, Any]]]) -> int:
    """Add to each person (by id) the names `names_of` gives them (checked, as `person_fields`
    gives them) whose spelling they do not hold yet (in any case, as the text or the Latin
    spelling of a name they have), as other spellings, with their search keys: the same rows
    a registration writes. The name shown is kept; a person holding `MAX_NAMES` names gets no
    more. Every person must lie in the writer's places. A few queries for any number of
    people (an import's batch); returns how many names were added."""
    require(user, Can.WRITE_PERSON)
    ids = {pk for pk, names in names_of.items() if names}
    if not ids:
        return 0
    inside = PersonSite.objects.filter(person_id__in=ids, site_id__in=scope_site_ids(user))
    if ids - set(inside.values_list("person_id", flat=True)):  # the rule of `person_in_scope`
        raise PermissionDenied(OUT_OF_SCOPE)
    held: dict[int, set[str]] = {pk: set() for pk in ids}
    count: Counter[int] = Counter()
    for pk, text, latin in PersonName.objects.filter(person_id__in=ids).values_list(
        "person_id", "text", "latin"
    ):
        count[pk] += 1
        held[pk] |= {_held(t) for t in (text, latin) if t}
    rows: list[Mapping[str, Any]] = []
    keys: list[NameKey] = []
    for pk in sorted(ids):
        person_keys: set[str] = set()
        for n in names_of[pk]:
            if count[pk] >= MAX_NAMES:
                break
            if _held(n["text"]) in held[pk] and (not n["latin"] or _held(n["latin"]) in held[pk]):
                continue
            held[pk] |= {_held(n["text"]), _held(n["latin"] or n["text"])}
            count[pk] += 1
            rows.append(
                {
                    "person_id": pk,
                    "text": n["text"],
                    "latin": n["latin"],
                    "use": NameUse.ALIAS,
                    "script": n["script"],
                }
            )
            person_keys |= namelib.index_keys(n["text"], n["latin"])
        keys += [NameKey(person_id=pk, key=k) for k in sorted(person_keys)]
    if not rows:
        return 0
    insert_values(PersonName, rows)
    NameKey.objects.bulk_create(keys, ignore_conflicts=True, batch_size=1000)  # some are held
    changed = {row["person_id"] for row in rows}
    Person.objects.filter(pk__in=changed).update(updated_at=timezone.now())
    announce(PersonName, by=user)  # names feed no count: the people's attributes stay
    return len(rows)


def link_sites(links: Iterable[tuple[int, int]], reason: str) -> None:
    """`link_site` for many (person id, site id) pairs at once (an import's batch)."""
    PersonSite.objects.bulk_create(
        [PersonSite(person_id=p, site_id=s, reason=reason) for p, s in set(links)],
        ignore_conflicts=True,
        batch_size=1000,
    )


def _episode(person: Person, data: EpisodeInput | Mapping[str, Any]) -> dict[str, Any]:
    return EpisodeInput.check(data, episode_of=person).row()


@transaction.atomic
def add_episode(
    user: User, person: Person, data: EpisodeInput | Mapping[str, Any]
) -> MigrationEpisode:
    """Add one migration episode to a person's history (the others are kept)."""
    require(user, Can.WRITE_PERSON)
    require(user, Can.SEE_MIGRATION_STATUS)  # an episode is a status: kept by those who see it
    episode = MigrationEpisode.objects.create(person=person, **_episode(person, data))
    announce(episode, people=[person.pk], by=user)
    return episode


@transaction.atomic
def update_episode(
    user: User, episode: MigrationEpisode, data: EpisodeInput | Mapping[str, Any]
) -> MigrationEpisode:
    """Change the fields given of one migration episode (checked with the fields kept, which
    only a role that sees migration status may be told of)."""
    require(user, Can.WRITE_PERSON)
    require(user, Can.SEE_MIGRATION_STATUS)
    given = EpisodeInput.check(data, update=True).given()
    current = {f: getattr(episode, f) for f in EPISODE_FIELDS}
    for field, value in _episode(episode.person, {**current, **given}).items():
        setattr(episode, field, value)
    episode.save()
    announce(episode, people=[episode.person_id], by=user)
    return episode


def link_site(person: Person, site: Place, reason: str) -> None:
    """Record that `person` is known at `site` (idempotent; the first reason is kept): one
    statement, whether the link is there already or not."""
    PersonSite.objects.bulk_create(
        [PersonSite(person=person, site=site, reason=reason)], ignore_conflicts=True
    )
