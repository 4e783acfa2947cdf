"""Keep the result cache honest: a committed change removes the periods it falls in.

The write services announce their changes (`mhis.events`); this subscriber hears them once
they are committed. Both the old and the new date of a record count (a record moved from
January to March makes both stale). A change to a person or a migration episode touches every
period with an event of that person, since sex, age group, nationality and status are read on
the event day.
"""

from __future__ import annotations

from django.utils import timezone

from mhis.care.models import Assessment, Encounter, Immunisation, Referral
from mhis.events import EVERYTHING, Change
from mhis.registry.models import Person

from .models import CachedResult
from .services import forget

# kind of record → the source it is counted in; its days are the source's days
SOURCE_OF = {
    "care.assessment": "assessment",
    "care.sputumspecimen": "assessment",
    "care.encounter": "encounter",
    "protection.payment": "encounter",
    "care.referral": "referral",
    "care.referralstep": "referral",
    "care.immunisation": "immunisation",
    "registry.person": "registration",
}
# kinds whose change moves results between places: nothing cached can be trusted
EVERY_RESULT = {EVERYTHING, "places.place"}

DATED = {
    Assessment: ("assessment", "date"),
    Encounter: ("encounter", "date"),
    Referral: ("referral", "sent_on"),
    Immunisation: ("immunisation", "date"),
}


def _person_days(person_id: int) -> dict[str, list]:
    days = {
        source: list(model.objects.filter(person_id=person_id).values_list(field, flat=True))
        for model, (source, field) in DATED.items()
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
        source = SOURCE_OF.get(change.kind)
        if source and change.days is None:
            CachedResult.objects.filter(sources__contains=f",{source},").delete()
        elif source:
            forget(source, change.days)
        for person_id in sorted(change.people):
            forget_person(person_id)
