"""What each role is shown of a person, on the pages and through the API alike: a list's
summary, the whole record, the identifiers, a household's members.

Migration status is shown only to the roles the access policy grants SEE_MIGRATION_STATUS
(`shows_status`, the one rule): to anyone else a person has no migration episodes (None, not
an empty list), a household member no place of residence, and the identifier types that tell
a status (and the national ID among them) are one "identity document".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mhis.access.policy import Can, allowed

from .codes import (
    IDENTITY_DOCUMENT,
    IDENTITY_DOCUMENT_LABEL,
    NEUTRAL_IDENTIFIER_TYPES,
    Relationship,
)
from .models import HouseholdMember, MigrationEpisode, Person
from .validation import episodes_before_birth, format_birth_date

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import StrOrPromise

    from mhis.access.models import User


def shows_status(user: User | AnonymousUser) -> bool:
    """Whether the user is shown migration status (episodes, where a member lives, the kind of
    a status-telling document)."""
    return allowed(user, Can.SEE_MIGRATION_STATUS)


def person_summary(person: Person) -> dict[str, Any]:
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


def shown_identifiers(person: Person, user: User | AnonymousUser) -> list[dict[str, StrOrPromise]]:
    """A person's identifiers as the user may see them: to a role not shown migration status,
    the types that tell it (and the national ID among them) are an identity document."""
    neutral = not shows_status(user)
    out: list[dict[str, StrOrPromise]] = []
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


def shown_episodes(person: Person, user: User | AnonymousUser) -> list[MigrationEpisode] | None:
    """The person's migration episodes, or None to a role not shown migration status."""
    return list(person.episodes.all()) if shows_status(user) else None


def person_page(person: Person, user: User | AnonymousUser) -> dict[str, Any]:
    """What the person's page shows of their record beyond the model's own fields."""
    episodes = shown_episodes(person, user)
    return {
        "identifiers": shown_identifiers(person, user),
        "episodes": episodes,
        "episodes_before_birth": episodes_before_birth(person) if episodes is not None else [],
    }


def person_detail(person: Person, user: User | AnonymousUser) -> dict[str, Any]:
    """The whole record as the user may see it (the API's)."""
    data = person_summary(person)
    episodes = shown_episodes(person, user)
    survivor = person.merged_into if person.merged_into_id else None
    data.update(
        merged_into=survivor.uuid if survivor is not None else None,
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
        episodes=None
        if episodes is None
        else [
            {
                "status": e.status,
                "origin_country": e.origin_country,
                "transit_countries": list(e.transit_countries),
                "destination_country": e.destination_country,
                "occupation_sector": e.occupation_sector,
                "start_date": e.start_date.isoformat() if e.start_date else None,
                "end_date": e.end_date.isoformat() if e.end_date else None,
            }
            for e in episodes
        ],
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


def household_member(row: HouseholdMember, user: User | AnonymousUser) -> dict[str, Any]:
    """A household member as the user may see them. Where they live (`left_behind`,
    `country_of_residence`) is None to a role not shown migration status: a member left
    behind in the country of origin is the status "family member left behind" (FAM_LB)."""
    sees = shows_status(user)
    return {
        "id": row.person.uuid,
        "name": row.person.display_name,
        "name_latin": row.person.display_latin,
        "relationship": row.relationship,
        "relationship_label": Relationship(row.relationship).label,
        "left_behind": row.left_behind if sees else None,
        "country_of_residence": row.country_of_residence if sees else None,
    }
