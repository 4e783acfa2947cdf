"""Likely duplicates of a registration before it is saved: people the writer may see who are
probably the person being registered ("is this someone already registered?").

The matching is the linkage app's, a layer above the registry: it adds its finder to
`FINDERS` when it starts (`mhis.linkage.apps`). Whatever a finder answers, only people the
user may see are shown, and showing them is logged as any list of people is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from mhis.access.policy import Can, allowed

from .contracts import PersonInput
from .models import Person
from .search import log_listed, visible_people
from .services import person_fields

if TYPE_CHECKING:
    from mhis.access.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """What a finder answers of one person: their id, how likely they are the person being
    registered, and which comparisons agreed (among those the user may be told of), by name
    and as shown."""

    person_id: int
    probability: float
    agreed: tuple[str, ...]
    labels: tuple[str, ...]


# A finder takes the writer and the registration as checked (`services.person_fields`) and
# answers the people it found at `threshold` or above, among those the writer may see.
Finder = Callable[["User", dict[str, Any], float], list[Found]]
FINDERS: list[Finder] = []


@dataclass(frozen=True)
class Likely:
    """A person shown as likely the one being registered."""

    person: Person
    probability: float
    agreed: tuple[str, ...]
    labels: tuple[str, ...]


def threshold() -> float:
    """The probability from which a registration is warned of someone (a setting)."""
    return float(getattr(settings, "MHIS_LIKELY_DUPLICATE", 0.5))


def likely_duplicates(
    user: User, data: PersonInput | Mapping[str, Any], *, view: str
) -> list[Likely]:
    """People the user may see who are likely the person `data` would register, most likely
    first, their listing logged under `view`. `data` is checked as a registration first: a
    refused registration raises ValidationError naming the fields, as registering would."""
    cleaned = person_fields(user, data)
    if not allowed(user, Can.READ_PERSON):
        return []
    found: dict[int, Found] = {}
    for finder in FINDERS:
        try:
            with transaction.atomic():  # a failed query leaves the registration's work whole
                answer = finder(user, cleaned, threshold())
        except Exception:  # a registration is never refused for want of a warning
            log.exception("Looking for likely duplicates failed; registering without")
            continue
        for one in answer:
            if one.person_id not in found or one.probability > found[one.person_id].probability:
                found[one.person_id] = one
    if not found:
        return []
    people = (
        visible_people(user)
        .filter(pk__in=sorted(found), merged_into__isnull=True)
        .select_related("registration_site")
    )
    likely = sorted(
        (
            Likely(p, found[p.pk].probability, found[p.pk].agreed, found[p.pk].labels)
            for p in people
        ),
        key=lambda item: (-item.probability, item.person.pk),
    )
    log_listed(user, [item.person for item in likely], view)
    return likely
