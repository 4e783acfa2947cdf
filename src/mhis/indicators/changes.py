"""Keep the result cache honest: a committed change removes the periods it falls in.

The write services announce their changes (`mhis.events`); this subscriber hears them once
they are committed. Which source a record feeds is declared with its record kind
(`mhis.kinds`, `indicators=`); the parts of a record (a specimen of an assessment, a step of
a referral, a payment for an encounter) are dated by the record they belong to, and their
services announce that record's days. Both the old and the new date of a record count (a
record moved from January to March makes both stale). A change to a person or a migration
episode touches every period with an event of that person, since sex, age group,
nationality and status are read on the event day.
"""

from __future__ import annotations

from django.utils import timezone

from mhis.events import EVERYTHING, Change
from mhis.kinds import feeding_indicators
from mhis.registry.models import Person

from .models import CachedResult
from .services import forget

# Changes of these count in the source of the record they belong to (on its days).
PARTS = {
    "care.sputumspecimen": "assessment",
    "care.referralstep": "referral",
    "protection.payment": "encounter",
    "registry.person": "registration",
}
# Kinds whose change moves results between places: nothing cached can be trusted.
EVERY_RESULT = {EVERYTHING, "places.place"}


def source_of(kind: str) -> str | None:
    for record_kind in feeding_indicators():
        if record_kind.model_label.lower() == kind:
            return record_kind.indicators
    return PARTS.get(kind)


def _person_days(person_id: int) -> dict[str, list]:
    days = {
        kind.indicators: list(
            kind.model.objects.filter(**{kind.person_field: person_id}).values_list(
                kind.date_field, flat=True
            )
        )
        for kind in feeding_indicators()
    }
    created = Person.objects.filter(pk=person_id).values_list("created_at", flat=True).first()
    days["registration"] = [timezone.localdate(created)] if created else []
    return days


def forget_person(person_id: int) -> None:
    """Forget the cached periods of every event of a person (their attributes changed)."""
    for source, days in _person_days(person_id).items():
        forget(source, days)


def changed(changes: list[Change]) -> None:
    """The subscriber: forget what the committed changes make stale."""
    if any(change.kind in EVERY_RESULT for change in changes):
        CachedResult.objects.all().delete()
        return
    for change in changes:
        source = source_of(change.kind)
        if source and change.days is None:
            CachedResult.objects.filter(sources__contains=f",{source},").delete()
        elif source:
            forget(source, change.days)
        for person_id in sorted(change.people):
            forget_person(person_id)
