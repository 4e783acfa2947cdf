"""Building the demo world: places, one user per role, and people with known duplicates.

People are written in bulk (the registry's own encryption, hashing and name keys, without
one transaction per person) so that the medium world of 100,000 people builds in minutes.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mhis import downloads
from mhis import names as namelib
from mhis.access.models import User
from mhis.access.services import create_user
from mhis.bulk import insert_rows
from mhis.crypto import keyed_hash
from mhis.events import EVERYTHING, announce
from mhis.linkage.models import LinkRun
from mhis.linkage.tasks import link
from mhis.places.models import Place, PlaceKind
from mhis.places.services import create_place
from mhis.registry.models import (
    Consent,
    Identifier,
    MigrationEpisode,
    NameKey,
    Person,
    PersonName,
    PersonSite,
)
from mhis.registry.validation import normalise_identifier
from mhis.work.queue import enqueue, pending

from . import people as gen
from .care import CareBatch, add_care, create_schemes
from .world import AREAS, COUNTRIES, USERS, Site

SIZES = {"tiny": 300, "small": 5_000, "medium": 100_000, "large": 1_000_000}
DUPLICATE_SHARE = 0.08
BATCH = 2_000
SECTORS = {
    "REG_LAB": [
        "agriculture",
        "fishing",
        "construction",
        "manufacturing",
        "domestic",
        "hospitality",
    ]
}


def world_exists() -> bool:
    return Place.objects.exists()


@transaction.atomic
def queue_linkage() -> str | None:
    """A linkage run over the whole registry queued for the worker (as `mhis link --queue`),
    so that the review queue ("Possible duplicates") fills, and the warnings of likely
    duplicates at registration and import get their trained model, without the demo waiting
    for it. Returns the task's id; None when a run is queued or under way already, or one
    has been made."""
    if pending(link) or LinkRun.objects.exists():
        return None
    return str(enqueue(link, LinkRun.Scope.ALL).id)


def build_places() -> list[tuple[Place, Site]]:
    sites: list[tuple[Place, Site]] = []
    for code, name, iso in COUNTRIES:
        country = create_place(code=code, name=name, kind=PlaceKind.COUNTRY, country_code=iso)
        for area_code, area_name, subareas in AREAS.get(code, []):
            area = create_place(code=area_code, name=area_name, kind=PlaceKind.AREA, parent=country)
            for sub_code, sub_name, site_list in subareas:
                sub = create_place(code=sub_code, name=sub_name, kind=PlaceKind.AREA, parent=area)
                for site in site_list:
                    place = create_place(
                        code=site.code,
                        name=site.name,
                        kind=PlaceKind.SITE,
                        parent=sub,
                        site_type=site.site_type,
                        latitude=site.lat,
                        longitude=site.lon,
                    )
                    sites.append((place, site))
    return sites


@transaction.atomic
def build_users() -> dict[str, str]:
    """One user per role (and a Honduras clinician); returns username → password."""
    logins = {}
    for username, role, scope_codes in USERS:
        places = list(Place.objects.filter(code__in=scope_codes))
        for attempt in range(10):
            # A random password can, rarely, look too much like the user's name for the
            # password validators: another one is drawn.
            password = secrets.token_urlsafe(9)
            try:
                with transaction.atomic():
                    create_user(username=username, password=password, role=role, places=places)
            except ValidationError as exc:
                if "password" not in exc.message_dict or attempt == 9:
                    raise
            else:
                break
        logins[username] = password
    return logins


def _new_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class _Batch:
    def __init__(self):
        self.people: list[Person] = []
        self.names: list[PersonName] = []
        self.keys: list[tuple[Person, str]] = []  # (person, key): written with executemany
        self.identifiers: list[Identifier] = []
        self.episodes: list[MigrationEpisode] = []
        self.consents: list[Consent] = []
        self.sites: list[PersonSite] = []
        self.care = CareBatch()

    def __len__(self) -> int:
        return len(self.people)

    @transaction.atomic
    def flush(self) -> None:
        Person.objects.bulk_create(self.people, batch_size=500)
        for model, rows in (
            (PersonName, self.names),
            (Identifier, self.identifiers),
            (MigrationEpisode, self.episodes),
            (Consent, self.consents),
            (PersonSite, self.sites),
        ):
            for row in rows:
                row.person_id = row.person.pk
            model.objects.bulk_create(rows, batch_size=1000)
        insert_rows(NameKey, ("person_id", "key"), [(person.pk, key) for person, key in self.keys])
        self.care.flush()
        announce(EVERYTHING, days=None)  # written in bulk: no cached result can be trusted
        self.__init__()


def _as_recalled(rng: random.Random, episode: dict, registered_on: date) -> dict:
    """The same migration as a later registration records it: the same start date in less
    than half the cases, otherwise another month of the same year, a date within a year, or
    no date; the work sector sometimes not asked."""
    start, roll = episode.get("start_date"), rng.random()
    if start is not None and roll >= 0.45:
        if roll < 0.70:
            start = start.replace(month=rng.randint(1, 12), day=1)
        elif roll < 0.85:
            start = start + timedelta(days=rng.randint(-365, 365))
        else:
            start = None
        if start is not None:
            start = min(start, registered_on)
    sector = episode.get("occupation_sector")
    if rng.random() < 0.2:
        sector = "unknown"
    return {**episode, "start_date": start, "occupation_sector": sector}


def _add_person(
    batch: _Batch,
    *,
    rng,
    site: Place,
    name: gen.DemoName,
    sex,
    birth,
    nationality,
    languages,
    identifier,
    episode,
    registered_on: date,
) -> Person:
    text = namelib.clean_name(name.text)
    script = namelib.detect_script(text)
    latin = name.latin or ("" if script == "Latn" else namelib.romanise(text))
    person = Person(
        uuid=_new_uuid(rng),
        registration_site=site,
        display_name=text,
        display_latin=latin or (text if script == "Latn" else ""),
        sex=sex,
        birth_date=birth[0] if birth else None,
        birth_date_precision=birth[1] if birth else "",
        nationality=nationality,
        languages=list(languages),
        contact=f"+{rng.randrange(10**9, 10**10)}" if rng.random() < 0.4 else "",
    )
    batch.people.append(person)
    batch.names.append(
        PersonName(person=person, text=text, latin=latin if latin != text else "", script=script)
    )
    batch.keys.extend((person, k) for k in sorted(namelib.index_keys(text, latin)))
    if identifier:
        kind, country, value = identifier
        batch.identifiers.append(
            Identifier(
                person=person,
                type=kind,
                issuing_country=country,
                value=value,
                value_hash=keyed_hash(normalise_identifier(value), purpose="identifier"),
            )
        )
    batch.episodes.append(MigrationEpisode(person=person, **episode))
    batch.consents.append(Consent(person=person, scope="care", given_on=registered_on))
    if person.uuid.int % 5 < 3:  # three in five also agree to share their record
        batch.consents.append(Consent(person=person, scope="sharing", given_on=registered_on))
    batch.sites.append(PersonSite(person=person, site=site, reason=PersonSite.Reason.REGISTERED))
    return person


def build_people(
    sites: list[tuple[Place, Site]],
    count: int,
    seed: int,
    ground_truth: Path,
    progress: Callable[[int], None] = lambda n: None,
) -> dict[str, int]:
    """Register `count` people across `sites`; a known share are duplicates of earlier ones."""
    rng = random.Random(seed)
    care_rng = random.Random(f"care-{seed}")  # its own stream: care never changes who is generated
    today = timezone.localdate()
    sites_by_code = {place.code: place for place, _site in sites}
    schemes = create_schemes()
    by_country: dict[str, list[tuple[Place, Site]]] = {}
    for place, site in sites:
        by_country.setdefault(place.country_code, []).append((place, site))
    choices = [(place, site, flow) for place, site in sites for flow in site.flows]
    weights = [flow.weight for _, _, flow in choices]
    originals: list[tuple] = []
    batch = _Batch()
    duplicates = 0
    ground_truth.parent.mkdir(parents=True, exist_ok=True)
    with ground_truth.open("w", newline="", encoding="utf-8") as handle:
        writer = downloads.CsvWriter(handle)
        writer.writerow(["person_id", "identity", "registration_site", "is_duplicate"])
        for _n in range(count):
            registered_on = today - timedelta(days=rng.randrange(3 * 365))
            if originals and rng.random() < DUPLICATE_SHARE:
                identity, place, flow, name, sex, birth, identifier, episode = rng.choice(originals)
                if rng.random() < 0.5:
                    place = rng.choice(by_country[place.country_code])[0]
                name = gen.variant_of(rng, flow.culture, name)
                if birth and rng.random() < 0.5:
                    birth = (date(birth[0].year, 1, 1), "year")
                elif rng.random() < 0.2:
                    birth = None
                if rng.random() < 0.5:
                    identifier = None
                episode = _as_recalled(rng, episode, registered_on)
                person = _add_person(
                    batch,
                    rng=rng,
                    site=place,
                    name=name,
                    sex=sex,
                    birth=birth,
                    nationality=flow.nationality,
                    languages=flow.languages,
                    identifier=identifier,
                    episode=episode,
                    registered_on=registered_on,
                )
                duplicates += 1
                writer.writerow([person.uuid, identity, place.code, 1])
            else:
                place, _site, flow = rng.choices(choices, weights)[0]
                sex = "female" if rng.random() < 0.48 else "male"
                name = gen.make_name(rng, flow.culture, sex)
                birth = gen.birth(rng, today)
                status = rng.choice(flow.statuses)
                start = max(
                    birth[0] + timedelta(days=16 * 365),
                    registered_on - timedelta(days=rng.randrange(2000)),
                )
                episode = {
                    "status": status,
                    "origin_country": flow.nationality,
                    "destination_country": rng.choice(flow.destinations)
                    if flow.destinations
                    else "",
                    "occupation_sector": rng.choice(SECTORS.get(status, ["unknown"])),
                    "start_date": min(start, registered_on),
                }
                identifier = None
                if rng.random() < 0.8:
                    country = (
                        place.country_code
                        if flow.identifier in ("work_permit", "refugee_number")
                        else flow.nationality
                    )
                    identifier = (
                        flow.identifier,
                        country,
                        gen.identifier_value(rng, flow.identifier, flow.nationality),
                    )
                person = _add_person(
                    batch,
                    rng=rng,
                    site=place,
                    name=name,
                    sex=sex,
                    birth=birth,
                    nationality=flow.nationality,
                    languages=flow.languages,
                    identifier=identifier,
                    episode=episode,
                    registered_on=registered_on,
                )
                add_care(
                    batch.care,
                    care_rng,
                    person=person,
                    flow=flow,
                    site=place,
                    sites=sites_by_code,
                    schemes=schemes,
                    status=episode["status"],
                    registered_on=registered_on,
                    today=today,
                )
                identity = str(person.uuid)
                originals.append((identity, place, flow, name, sex, birth, identifier, episode))
                writer.writerow([person.uuid, identity, place.code, 0])
            if len(batch) >= BATCH:
                batch.flush()
                progress(BATCH)
        done = len(batch)
        batch.flush()
        progress(done)
    return {"people": count, "duplicates": duplicates}


def write_logins(path: Path, logins: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(f"{user}\t{password}\n" for user, password in logins.items()), encoding="utf-8"
    )
    path.chmod(0o600)


def read_logins(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(
        line.split("\t", 1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if "\t" in line
    )


def demo_roles() -> dict[str, str]:
    return dict(
        User.objects.filter(username__in=[u[0] for u in USERS]).values_list("username", "role")
    )
