"""Keep the result cache honest: a change to a record removes the periods it falls in.

Both the old and the new date count (a record moved from January to March makes both
stale). A change to a person or a migration episode touches every period with an event
of that person, since sex, age group, nationality and status are read on the event day.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from mhis.care.models import (
    Assessment,
    Encounter,
    Immunisation,
    Referral,
    ReferralStep,
    SputumSpecimen,
)
from mhis.protection.models import Enrolment, Payment
from mhis.registry.models import MigrationEpisode, Person

from .services import forget

# record → (source, date field)
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


@receiver(pre_save)
def _remember_old_date(sender, instance, **kwargs):
    if sender in DATED and instance.pk:
        _source, field = DATED[sender]
        instance._mhis_old_day = (
            sender.objects.filter(pk=instance.pk).values_list(field, flat=True).first()
        )


@receiver(post_save)
@receiver(post_delete)
def _record_changed(sender, instance, **kwargs):
    if sender in DATED:
        source, field = DATED[sender]
        forget(source, [getattr(instance, field), getattr(instance, "_mhis_old_day", None)])
    elif sender is SputumSpecimen:
        forget("assessment", [_date_of(Assessment, "date", instance.assessment_id)])
    elif sender is ReferralStep:
        forget("referral", [_date_of(Referral, "sent_on", instance.referral_id)])
    elif sender is Payment:
        forget("encounter", [_date_of(Encounter, "date", instance.encounter_id)])
    elif sender is Enrolment:
        forget("encounter", _person_days(instance.person_id)["encounter"])
    elif sender is Person:
        forget("registration", [timezone.localdate(instance.created_at)])
        if not kwargs.get("created"):
            forget_person(instance.pk)
    elif sender is MigrationEpisode:
        forget_person(instance.person_id)


def _date_of(model, field, pk):
    return model.objects.filter(pk=pk).values_list(field, flat=True).first()
