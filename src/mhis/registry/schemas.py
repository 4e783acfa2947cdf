"""Shapes of the persons API. Values are checked by registry.services, as for the forms."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from mhis.schemas import Input


class _In(Input):
    model_config = ConfigDict(extra="forbid")


class NameIn(_In):
    text: str = Field(max_length=400, description="The name as written, in any script.")
    latin: str | None = Field(
        None, max_length=400, description="Latin spelling; generated when absent."
    )
    use: str | None = Field(None, description="official | usual | alias")


class IdentifierIn(_In):
    type: str = Field(
        description="passport | national_id | work_permit | refugee_number | case_number | "
        "clinic_number; identity_document keeps the kind stored for the same document (how a "
        "role that may not see migration status is shown the kinds that tell it)"
    )
    issuing_country: str | None = Field(None, description="ISO 3166-1 alpha-2 or alpha-3 code")
    value: str = Field(max_length=100)


class EpisodeIn(_In):
    status: str | None = Field(
        None, description="Migration status category, e.g. REG_LAB, IRR, REF, UNK, DECLINED"
    )
    origin_country: str | None = None
    transit_countries: list[str] = Field(default_factory=list, max_length=10)
    destination_country: str | None = None
    occupation_sector: str | None = None
    start_date: str | None = Field(None, description="YYYY-MM-DD")
    end_date: str | None = Field(None, description="YYYY-MM-DD")


class ConsentIn(_In):
    scope: str = Field(description="care | sharing | contact | research")
    given_on: str = Field(description="YYYY-MM-DD")
    withdrawn_on: str | None = None


class PersonIn(_In):
    registration_site: str = Field(description="Code of a site in your places")
    names: list[NameIn] = Field(max_length=10)
    sex: str | None = Field(None, description="female | male | other | unknown")
    birth_date: str | None = Field(None, description="YYYY-MM-DD, YYYY-MM or YYYY")
    birth_date_precision: str | None = Field(None, description="exact | month | year | estimated")
    nationality: str | None = None
    languages: list[str] = Field(default_factory=list, max_length=10, description="ISO 639 codes")
    contact: str | None = Field(None, max_length=1000)
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=10)
    episodes: list[EpisodeIn] = Field(default_factory=list, max_length=20)
    consents: list[ConsentIn] = Field(default_factory=list, max_length=10)


class PersonPatch(_In):
    registration_site: str | None = None
    names: list[NameIn] | None = Field(None, max_length=10)
    sex: str | None = None
    birth_date: str | None = None
    birth_date_precision: str | None = None
    nationality: str | None = None
    languages: list[str] | None = Field(None, max_length=10)
    contact: str | None = Field(None, max_length=1000)
    identifiers: list[IdentifierIn] | None = Field(None, max_length=10)
    episodes: list[EpisodeIn] | None = Field(None, max_length=20)
    consents: list[ConsentIn] | None = Field(None, max_length=10)


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


class HouseholdMemberIn(_In):
    member: UUID = Field(description="Id of a person in your places")
    relationship: str = Field(description="spouse | child | parent | sibling | other")
    left_behind: bool = Field(
        False,
        description="Lives in the country of origin; only roles shown migration status set it",
    )
    country_of_residence: str | None = Field(
        None, description="Only roles shown migration status set it"
    )


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
