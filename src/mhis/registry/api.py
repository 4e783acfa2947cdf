"""Persons API: list and search, register, read, update. Handlers only translate HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import Field

from mhis.access.auth import api_auth
from mhis.access.policy import Can, allowed

from . import duplicates, households, presentation, search, services
from .contracts import HouseholdMemberInput, PersonChange, PersonInput
from .schemas import HouseholdOut, LikelyPage, PersonOut, PersonPage
from .shortcuts import person_or_404

if TYPE_CHECKING:
    from mhis.access.views import AuthenticatedHttpRequest

router = Router(tags=["persons"], auth=api_auth)


class ListParams(Schema):
    q: str = Field(
        "", max_length=200, description="Name in any script or spelling, or an identifier"
    )
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(settings.MHIS_PAGE_SIZE, ge=1, le=settings.MHIS_MAX_PAGE_SIZE)


@router.get("/persons", response=PersonPage, summary="Search and list people in your places")
def list_persons(request: AuthenticatedHttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    if not allowed(request.user, Can.READ_PERSON):
        raise HttpError(403, _("Your role cannot see individual records."))
    start = (params.page - 1) * params.page_size
    rows, count = search.search_page(request.user, params.q, start=start, size=params.page_size)
    search.log_listed(request.user, rows, "api:persons_list")
    return {
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "results": [presentation.person_summary(p) for p in rows],
    }


@router.post("/persons", response={201: PersonOut}, summary="Register a person")
def create_person(
    request: AuthenticatedHttpRequest, payload: PersonInput
) -> Status[dict[str, Any]]:
    if not allowed(request.user, Can.WRITE_PERSON):
        raise HttpError(403, _("Your role cannot register people."))
    # Registered at one of the user's own sites: in their places, and read back as written.
    person = services.register_person(request.user, payload)
    search.log_listed(request.user, [person], "api:person_create")
    return Status(201, presentation.person_detail(services.as_written(person), request.user))


@router.post(
    "/persons/matches",
    response=LikelyPage,
    summary="People in your places likely to be the person a registration describes",
    description="Checks the registration as POST /persons would, saves nothing, and lists the "
    "people in your places at least as likely as the threshold (setting MHIS_LIKELY_DUPLICATE) "
    "to be that person, most likely first. The listing is logged as reads are.",
)
def person_matches(request: AuthenticatedHttpRequest, payload: PersonInput) -> dict[str, Any]:
    if not allowed(request.user, Can.WRITE_PERSON):
        raise HttpError(403, _("Your role cannot register people."))
    likely = duplicates.likely_duplicates(request.user, payload, view="api:person_matches")
    return {
        "threshold": duplicates.threshold(),
        "results": [
            {
                "person": presentation.person_summary(item.person),
                "probability": item.probability,
                "agreed": list(item.agreed),
            }
            for item in likely
        ],
    }


@router.get("/persons/{person_id}", response=PersonOut, summary="Read a person's record")
def read_person(request: AuthenticatedHttpRequest, person_id: UUID) -> dict[str, Any]:
    person = person_or_404(request, person_id, "api:person_read")
    return presentation.person_detail(person, request.user)


@router.patch("/persons/{person_id}", response=PersonOut, summary="Change a person's record")
def update_person(
    request: AuthenticatedHttpRequest, person_id: UUID, payload: PersonChange
) -> dict[str, Any]:
    person = person_or_404(request, person_id, "api:person_update")
    if not allowed(request.user, Can.WRITE_PERSON):
        raise HttpError(403, _("Your role cannot change people."))
    services.update_person(request.user, person, payload)
    person = search.get_person(request.user, person_id, view="api:person_update")
    return presentation.person_detail(person, request.user)


@router.get("/persons/{person_id}/household", response=HouseholdOut, summary="A person's household")
def read_household(request: AuthenticatedHttpRequest, person_id: UUID) -> dict[str, Any]:
    person = person_or_404(request, person_id, "api:household_read")
    return households.household_of(request.user, person, view="api:household_read")


@router.post(
    "/persons/{person_id}/household", response=HouseholdOut, summary="Add a household member"
)
def add_household_member(
    request: AuthenticatedHttpRequest, person_id: UUID, payload: HouseholdMemberInput
) -> dict[str, Any]:
    person = person_or_404(request, person_id, "api:household_update")
    if not allowed(request.user, Can.WRITE_PERSON):
        raise HttpError(403, _("Your role cannot change people."))
    households.add_household_member(request.user, person, payload)
    return households.household_of(request.user, person, view="api:household_update")
