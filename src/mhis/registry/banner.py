"""The patient banner: who a page is about, at the top of every page about a person.

Name as written and in Latin letters, age and date of birth, sex, and the identifiers the
user's role may see (`presentation.shown_identifiers`: never a type that tells a migration
status to a role not shown it). Other apps add what they know that a health worker must see
at once — allergies another provider recorded, a flag on an assessment — by registering a
part in `BANNER_PARTS` when they start; a part answers short texts for the user and person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import ngettext

from .codes import DatePrecision
from .presentation import shown_identifiers

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mhis.access.models import User

    from .models import Person

# name → part(user, person) → short texts; "allergies" and "alerts" are shown by the banner.
BANNER_PARTS: dict[str, Callable[[User | AnonymousUser, Person], list[str]]] = {}


def age_in_years(birth: dt.date, today: dt.date) -> int:
    """Whole years from `birth` to `today`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def age_text(person: Person, today: dt.date | None = None) -> str:
    """ "34 years" ("about 34 years" where the date of birth is a year or an estimate); empty
    without a date of birth."""
    if not person.birth_date:
        return ""
    years = max(0, age_in_years(person.birth_date, today or timezone.localdate()))
    if person.birth_date_precision in (DatePrecision.YEAR, DatePrecision.ESTIMATED):
        return ngettext("about %(n)d year", "about %(n)d years", years) % {"n": years}
    return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}


def patient_banner(person: Person, user: User | AnonymousUser) -> dict[str, Any]:
    """What the banner shows of `person` to `user`."""
    return {
        "person": person,
        "age": age_text(person),
        "identifiers": shown_identifiers(person, user),
        **{name: part(user, person) for name, part in BANNER_PARTS.items()},
    }
