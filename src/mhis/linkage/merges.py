"""Merging two records of one person, and undoing it exactly."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.care.services import event_sites
from mhis.events import announce
from mhis.kinds import following_merge, kind_of_model
from mhis.registry.models import Consent, HouseholdMember, Person, PersonSite
from mhis.registry.search import known_in_places, visible_people

from .models import CandidatePair, Merge


def _require_admin(user) -> None:
    require(user, Can.MERGE_PEOPLE)


def _require_visible(user, *people) -> None:
    """An administrator merges only records in their places: both people must be visible."""
    pks = {p.pk for p in people}
    if visible_people(user).filter(pk__in=pks).count() != len(pks):
        raise PermissionDenied(_("Both records must be in your places."))


def visible_merges(user):
    """Merges whose two people are both known in the user's places (none for a role that
    cannot read people); each side probed on its own, as for the pairs."""
    if not allowed(user, Can.READ_PERSON):
        return Merge.objects.none()
    return Merge.objects.filter(known_in_places(user, "survivor"), known_in_places(user, "merged"))


def _announce_moved(user, *person_ids: int) -> None:
    """Records moved in bulk: both people changed (their counts by person, sex or status may
    change), and so did their consents (a person left without consent to sharing loses their
    SMART Health Links, a record merged into another keeps its links only under the
    survivor's consent)."""
    announce(Person, people=person_ids, by=user)
    announce(Consent, people=person_ids, by=user)


@transaction.atomic
def merge_people(user, survivor, merged, *, pair=None, pair_id=None, run=None, note: str = ""):
    """Merge `merged` into `survivor`: every care, protection, migration, consent and
    household record of `merged` moves to `survivor`, which also gains its site links; the
    merged record and its names and identifiers stay, pointing at the survivor. Everything
    moved is recorded, so `unmerge` restores the exact state before. One transaction.

    Made by `user`, an administrator who sees both records, or, with `run` and no user, by a
    linkage run linking records without review."""
    if run is None or user is not None:
        _require_admin(user)
    survivor = Person.objects.select_for_update().get(pk=survivor.pk)
    merged = Person.objects.select_for_update().get(pk=merged.pk)
    if run is None or user is not None:
        _require_visible(user, survivor, merged)
    errors = {}
    if survivor.pk == merged.pk:
        errors["merged"] = _("A record cannot be merged into itself.")
    elif merged.merged_into_id:
        errors["merged"] = _("This record is already merged into another.")
    elif survivor.merged_into_id:
        errors["survivor"] = _("This record is merged into another; merge into that one.")
    if errors:
        raise ValidationError(errors)
    moved = {}
    # Records that follow the person they are about (mhis.kinds). Names, name keys and
    # identifiers stay with the record they were registered on (it is kept, marked merged);
    # reads stay in the access log.
    for kind in following_merge():
        model, label = kind.model, kind.model_label
        rows = model.objects.filter(**{kind.person_field: merged})
        if model is HouseholdMember:  # one membership per household and person
            shared = HouseholdMember.objects.filter(person=survivor).values("household")
            rows = rows.exclude(household__in=shared)
        pks = sorted(rows.values_list("pk", flat=True))
        if pks:
            model.objects.filter(pk__in=pks).update(**{kind.person_field: survivor})
            moved[label] = pks
    have = set(PersonSite.objects.filter(person=survivor).values_list("site_id", flat=True))
    added = []
    for site_link in PersonSite.objects.filter(person=merged).exclude(site_id__in=have):
        added.append(
            PersonSite.objects.create(
                person=survivor, site_id=site_link.site_id, reason=site_link.reason
            ).pk
        )
    Person.objects.filter(pk=merged.pk).update(merged_into=survivor)
    _announce_moved(user, survivor.pk, merged.pk)
    return Merge.objects.create(
        survivor=survivor,
        merged=merged,
        pair_id=pair.pk if pair is not None else pair_id,
        run=run,
        moved=moved,
        added_sites=added,
        note=note,
        merged_by=user,
    )


@transaction.atomic
def unmerge(user, merge):
    """Undo a merge: the moved records go back, the added site links go, the merged record
    stands on its own again. Records added to the survivor since stay with the survivor, and
    so does an added site link where one of them happened (every event at a site makes the
    person known there)."""
    _require_admin(user)
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    _require_visible(user, merge.survivor, merge.merged)
    if merge.undone_at:
        raise ValidationError({"merge": _("This merge has already been undone.")})
    for label, pks in merge.moved.items():
        field = kind_of_model(apps.get_model(label)).person_field
        apps.get_model(label).objects.filter(pk__in=pks, **{field: merge.survivor}).update(
            **{field: merge.merged}
        )
    added = PersonSite.objects.filter(pk__in=merge.added_sites)
    kept = event_sites(merge.survivor)
    added.exclude(site_id__in=kept).delete()
    added.update(reason=PersonSite.Reason.SEEN)  # those left: seen there since the merge
    Person.objects.filter(pk=merge.merged_id).update(merged_into=None)
    _announce_moved(user, merge.survivor_id, merge.merged_id)
    merge.undone_by, merge.undone_at = user, timezone.now()
    merge.save(update_fields=["undone_by", "undone_at"])
    if merge.pair_id:  # the decision was wrong: the pair goes back to the review queue
        CandidatePair.objects.filter(pk=merge.pair_id).update(
            status=CandidatePair.Status.REVIEW, decided_by=None, decided_at=None
        )
    return merge
