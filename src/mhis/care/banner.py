"""What the patient banner shows of a person's care: the flags raised on their assessments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.formats import date_format

from mhis.access.policy import Can, allowed

from .assessments import quality_flags
from .models import Assessment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mhis.access.models import User
    from mhis.registry.models import Person


def assessment_flags(user: User | AnonymousUser, person: Person) -> list[str]:
    """Each flag on the person's assessments, with the assessment's date."""
    if not allowed(user, Can.READ_PERSON):
        return []
    assessments = Assessment.objects.filter(person=person).prefetch_related("specimens")
    return [
        f"{flag['message']} ({date_format(assessment.date, 'SHORT_DATE_FORMAT')})"
        for assessment in assessments.order_by("-date", "-pk")
        for flag in quality_flags(assessment)
    ]
