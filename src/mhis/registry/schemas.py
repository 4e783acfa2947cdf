"""What the persons API answers (what it takes: registry.contracts)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class PlaceRef(Schema):
    code: str
    name: str


class NameOut(Schema):
    text: str
    latin: str
    script: str
    use: str


class IdentifierOut(Schema):
    type: str = Field(
        description="as in input; identity_document for a national ID, work permit, refugee or "
        "asylum number or case number, to a role that may not see migration status"
    )
    issuing_country: str
    value: str


class EpisodeOut(Schema):
    status: str
    origin_country: str
    transit_countries: list[str]
    destination_country: str
    occupation_sector: str
    start_date: str | None
    end_date: str | None


class ConsentOut(Schema):
    scope: str
    given_on: str
    withdrawn_on: str | None


class HouseholdMemberOut(Schema):
    id: UUID
    name: str
    name_latin: str
    relationship: str
    left_behind: bool | None = Field(
        description="Lives in the country of origin; null for roles that are not shown "
        "migration status (a member left behind is the status FAM_LB)."
    )
    country_of_residence: str | None = Field(
        description="Null for roles that are not shown migration status."
    )


class HouseholdOut(Schema):
    label: str
    members: list[HouseholdMemberOut]
    hidden: int = Field(description="Members registered outside your places, not shown")


class PersonSummary(Schema):
    id: UUID
    name: str
    name_latin: str
    sex: str
    birth_date: str | None
    birth_date_precision: str
    nationality: str
    registration_site: PlaceRef


class LikelyOut(Schema):
    person: PersonSummary
    probability: float = Field(
        description="How likely this is the person described, by the latest linkage model (for "
        "a role not shown migration status, from the comparisons it is shown)"
    )
    agreed: list[str] = Field(
        description="The comparisons that agreed: name, birth, identifiers, sex, nationality, "
        "origin, destination, sector, arrival (the last five and identifiers only for roles "
        "shown migration status)"
    )


class LikelyPage(Schema):
    threshold: float = Field(description="The probability from which a person is listed")
    results: list[LikelyOut]


class PersonOut(PersonSummary):
    merged_into: UUID | None = Field(
        None,
        description="Set when this record was found to be another's person and merged: the "
        "surviving record, which now holds the care records. Changes go there.",
    )
    names: list[NameOut]
    languages: list[str]
    contact: str
    identifiers: list[IdentifierOut]
    episodes: list[EpisodeOut] | None = Field(
        description="Migration episodes; null for roles that are not shown migration status."
    )
    consents: list[ConsentOut]
    created_at: datetime
    updated_at: datetime


class PersonPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[PersonSummary]
