"""Households: people who live, or lived, together, including family members left behind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction

from mhis.access.policy import Can, require
from mhis.access.services import log_access

from .codes import Relationship
from .contracts import HouseholdMemberInput
from .models import Household, HouseholdMember, Person
from .presentation import household_member, shows_status
from .search import visible_people

if TYPE_CHECKING:
    from mhis.access.models import User


def household_of(user: User, person: Person, *, view: str) -> dict[str, Any]:
    """The person's household as the user may see it: visible members (as
    `presentation.household_member` shows them), and how many are not.

    Each member shown but the person (whose read the caller logs) is logged as read in `view`:
    their names are on the page as much as the person's."""
    membership = person.memberships.select_related("household").first()
    if membership is None:
        return {"label": "", "members": [], "hidden": 0}
    rows = list(membership.household.members.select_related("person"))
    visible = set(
        visible_people(user).filter(pk__in=[r.person_id for r in rows]).values_list("pk", flat=True)
    )
    shown = [r for r in rows if r.person_id in visible]
    log_access(user, [r.person for r in shown if r.person_id != person.pk], view)
    return {
        "label": membership.household.label,
        "members": [household_member(r, user) for r in shown],
        "hidden": len(rows) - len(shown),
    }


@transaction.atomic
def add_household_member(
    user: User, person: Person, data: HouseholdMemberInput | Mapping[str, Any]
) -> HouseholdMember:
    """Put the member (a person id) in `person`'s household, creating it with `person` as head.

    Where the member lives is written only by the roles shown migration status (anyone else is
    refused it, and a member they add again keeps what was recorded)."""
    require(user, Can.WRITE_PERSON)
    checked = HouseholdMemberInput.check(data, user=user, person=person)
    membership = person.memberships.select_related("household").first()
    if membership is None:
        household = Household.objects.create()
        HouseholdMember.objects.create(
            household=household, person=person, relationship=Relationship.HEAD
        )
    else:
        household = membership.household
    where: dict[str, bool | str] = {}
    if shows_status(user):
        where = {
            "left_behind": checked.left_behind,
            "country_of_residence": checked.country_of_residence,
        }
    row, _created = HouseholdMember.objects.update_or_create(
        household=household,
        person=cast(Person, checked.member),  # checked with its context: the Person
        defaults={"relationship": checked.relationship, **where},
    )
    return row
