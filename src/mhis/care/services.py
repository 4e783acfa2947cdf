"""The care write layer and its queries: encounters, referrals, history, the person's timeline.

Input is the kind's contract (care.contracts), or a plain dict checked by it with the writer
and the person as context; problems are raised as one ValidationError keyed by field
(``date``, ``diagnoses.0.code``, ``to_site``). Every write is one transaction with its history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import (
    log_access,
    place_scope_q,
    scope_site_ids,
)
from mhis.events import announce
from mhis.kinds import at_sites
from mhis.registry.models import Person, PersonSite
from mhis.registry.search import visible_people
from mhis.registry.services import link_site

from .codes import OPEN_REFERRAL_STATUSES, ReferralStatus
from .contracts import EncounterInput, ReferralChange, ReferralInput, ReferralStepInput
from .history import apply_changes, days_of, log_change
from .icd10 import icd10_description as icd10_description
from .models import (
    Assessment,
    Diagnosis,
    Encounter,
    RecordChange,
    Referral,
    ReferralStep,
)
from .rows import remember

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mhis.access.models import User

    from .history import PersonsRecord


_R = TypeVar("_R", bound=Model)
_Listed = TypeVar("_Listed", Referral, Assessment)


# -- encounters --------------------------------------------------------------------------------


def _encounter_fields(
    user: User,
    person: Person,
    data: EncounterInput | Mapping[str, Any],
    *,
    update: bool = False,
) -> dict[str, Any]:
    """The checked fields as the encounter stores them (the site as a Place in the user's
    places, the diagnoses as dicts)."""
    out = EncounterInput.check(data, update=update, user=user, person=person).given()
    if "diagnoses" in out:
        out["diagnoses"] = [d.model_dump() for d in out["diagnoses"] or ()]
    return out


@transaction.atomic
def record_encounter(
    user: User, person: Person, data: EncounterInput | Mapping[str, Any]
) -> Encounter:
    require(user, Can.WRITE_PERSON)
    cleaned = _encounter_fields(user, person, data)
    diagnoses = cleaned.pop("diagnoses")
    encounter = Encounter(person=person, recorded_by=user)
    changes = apply_changes(encounter, cleaned)
    encounter.save()
    written = Diagnosis.objects.bulk_create(
        [Diagnosis(encounter=encounter, **d) for d in diagnoses]
    )
    # The encounter carries its diagnoses as written, in their order (primary first): showing
    # it reads them no more.
    primary_first = sorted(written, key=lambda d: (not d.primary, d.pk))
    remember(encounter, "diagnoses", primary_first)
    changes["diagnoses"] = [None, [d["code"] for d in diagnoses]]
    log_change(user, encounter, RecordChange.Action.CREATED, changes)
    announce(encounter, days=[encounter.date])
    link_site(person, encounter.site, PersonSite.Reason.SEEN)
    return encounter


@transaction.atomic
def update_encounter(
    user: User, encounter: Encounter, data: EncounterInput | Mapping[str, Any]
) -> Encounter:
    require(user, Can.WRITE_PERSON)
    encounter = Encounter.objects.select_for_update().select_related("person").get(pk=encounter.pk)
    cleaned = _encounter_fields(user, encounter.person, data, update=True)
    diagnoses = cleaned.pop("diagnoses", None)
    changes = apply_changes(encounter, cleaned)
    if encounter.cost is not None and not encounter.currency:
        raise ValidationError({"currency": [_("Give the currency of the cost.")]})
    if diagnoses is not None:
        old = list(encounter.diagnoses.values_list("code", flat=True))
        new = [d["code"] for d in diagnoses]
        if old != new:
            encounter.diagnoses.all().delete()
            Diagnosis.objects.bulk_create([Diagnosis(encounter=encounter, **d) for d in diagnoses])
            changes["diagnoses"] = [old, new]
    encounter.save()
    log_change(user, encounter, RecordChange.Action.UPDATED, changes)
    announce(encounter, days=days_of(encounter, "date", changes))
    if "site" in cleaned:
        link_site(encounter.person, encounter.site, PersonSite.Reason.SEEN)
    return encounter


# -- referrals ---------------------------------------------------------------------------------


@transaction.atomic
def refer(user: User, person: Person, data: ReferralInput | Mapping[str, Any]) -> Referral:
    """Send a referral. The person is known at the sending site (a referral is an event there,
    counted in its indicators) and at the receiving site, which can then see them."""
    require(user, Can.WRITE_PERSON)
    cleaned = ReferralInput.check(data, user=user, person=person).given()
    referral = Referral(person=person, recorded_by=user)
    changes = apply_changes(referral, cleaned)
    referral.save()
    ReferralStep.objects.create(
        referral=referral, status=ReferralStatus.SENT, on=referral.sent_on, by=user
    )
    log_change(user, referral, RecordChange.Action.CREATED, changes)
    announce(referral, days=[referral.sent_on])
    link_site(person, referral.site, PersonSite.Reason.SEEN)
    if referral.to_site is not None:
        link_site(person, referral.to_site, PersonSite.Reason.REFERRED)
    return referral


@transaction.atomic
def update_referral(
    user: User, referral: Referral, data: ReferralChange | Mapping[str, Any]
) -> Referral:
    """Change what may change after sending (reason, urgency, expected date, outcome); the
    sending and receiving sites never change, so the person's site links stand."""
    require(user, Can.WRITE_PERSON)
    referral = Referral.objects.select_for_update().select_related("person").get(pk=referral.pk)
    cleaned = ReferralChange.check(data, user=user, person=referral.person, record=referral).given()
    changes = apply_changes(referral, cleaned)
    referral.save()
    log_change(user, referral, RecordChange.Action.UPDATED, changes)
    announce(referral, days=days_of(referral, "sent_on", changes))
    return referral


_STEP_DATE_FIELD = {
    ReferralStatus.RECEIVED: "received_on",
    ReferralStatus.ATTENDED: "attended_on",
    ReferralStatus.CLOSED: "closed_on",
    ReferralStatus.LOST: "closed_on",
}


# The steps only the receiving site records: it alone knows that the person arrived.
RECEIVING_SITE_STEPS = (ReferralStatus.RECEIVED, ReferralStatus.ATTENDED)


def may_record_step(user: User, referral: Referral, status: str) -> bool:
    """Whether `user` may move `referral` to `status`. "Received" and "attended" are the
    receiving site's to record: a user whose places hold the site it was sent to. A referral
    to a facility outside MHIS has no one there to record them, so the sending site does."""
    if status not in RECEIVING_SITE_STEPS or referral.to_site_id is None:
        return True
    return referral.to_site_id in scope_site_ids(user)


@transaction.atomic
def advance_referral(
    user: User, referral: Referral, data: ReferralStepInput | Mapping[str, Any]
) -> Referral:
    """Move a referral to its next status (sent → received → attended → closed, or lost)."""
    require(user, Can.WRITE_PERSON)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    step = ReferralStepInput.check(data, user=user, record=referral)
    status, on, note = step.status, step.on, step.note
    if not may_record_step(user, referral, status):
        to_site = referral.to_site
        raise ValidationError(
            {
                "status": _(
                    "Only the receiving site (%(site)s) marks a referral received or attended."
                )
                % {"site": to_site.name if to_site else ""}
            }
        )
    changes = apply_changes(
        referral, {"status": status, _STEP_DATE_FIELD[ReferralStatus(status)]: on}
    )
    if note and status in (ReferralStatus.CLOSED, ReferralStatus.LOST) and not referral.outcome:
        changes.update(apply_changes(referral, {"outcome": note}))
    referral.save()
    ReferralStep.objects.create(referral=referral, status=status, on=on, note=note, by=user)
    log_change(user, referral, RecordChange.Action.UPDATED, changes)
    announce(referral, days=days_of(referral, "sent_on", changes))
    return referral


def visible_referrals(user: User | AnonymousUser) -> QuerySet[Referral]:
    """Referrals sent from or to a site in the user's scopes."""
    if not allowed(user, Can.READ_PERSON):
        return Referral.objects.none()
    return Referral.objects.filter(place_scope_q(user, "site") | place_scope_q(user, "to_site"))


def overdue_referrals(user: User | AnonymousUser, today: date | None = None) -> QuerySet[Referral]:
    """Open referrals (sent or received, not attended) past their expected date, oldest first."""
    today = today or timezone.localdate()
    return (
        visible_referrals(user)
        .filter(status__in=OPEN_REFERRAL_STATUSES, due_on__lt=today)
        .select_related("person", "site", "to_site")
        .order_by("due_on", "pk")
    )


LIST_LIMIT = 500


def shown_rows(user: User, records: QuerySet[_Listed], *, view: str) -> list[_Listed]:
    """The first LIST_LIMIT records of a work list, logging one read of each person shown."""
    rows = list(records[:LIST_LIMIT])
    log_access(user, {r.person for r in rows}, view)
    return rows


# -- where a person is known ---------------------------------------------------------------------


def event_sites(person: Person) -> set[int]:
    """The ids of the sites where `person` has an event of any kind: each makes the person
    known at that site (`link_site`, by the service that writes it); exact indicator counts go
    to the roles that see every person counted at their sites, and rely on it. The kinds and
    their sites are declared with the kinds (`site_fields`, mhis.kinds)."""
    found: set[int] = set()
    for kind in at_sites():
        for field in kind.site_fields:
            rows = kind.model._default_manager.filter(
                **{kind.person_field: person, f"{field}__isnull": False}
            )
            found |= set(rows.values_list(f"{field}_id", flat=True).distinct())
    return found


# -- reading records ---------------------------------------------------------------------------


def does_not_exist(model: type[Model]) -> type[ObjectDoesNotExist]:
    """The model's DoesNotExist."""
    # The stubs declare DoesNotExist on each concrete model only, not on Model.
    missing: type[ObjectDoesNotExist] = model.DoesNotExist  # type: ignore[attr-defined]
    return missing


def get_record(user: User, model: type[_R], record_id: int | str, *, view: str) -> _R:
    """A record of a person the user may see, logging the read; else model.DoesNotExist.

    Records without a person of their own (payments) are reached through their encounter.
    """
    try:
        pk = int(record_id)
    except (TypeError, ValueError):
        raise does_not_exist(model) from None
    owner = "person" if any(f.name == "person" for f in model._meta.fields) else "encounter__person"
    record = model._default_manager.select_related(owner).get(
        pk=pk, **{f"{owner}__in": visible_people(user)}
    )
    # Each record read here has a person: its own, or its encounter's (a payment).
    log_access(user, [cast("PersonsRecord", record).person], view)
    return record
