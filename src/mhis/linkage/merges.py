"""Merging two records of one person, and undoing it exactly.

Merges of one person are undone last first, as a stack: a merge whose survivor has since been
merged into another record, or has since taken in another record, is undone only after that
later merge (the records it moved may have moved again). Each accepted undo restores exactly
the rows the merge changed.

Who may merge and undo is judged on the sites each record was known at on its own: a merge
makes the survivor known at the merged record's sites too (ADR 0013, docs/guide/
administrator.md), and those links give no right to merge further or to undo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.access.services import scope_site_ids
from mhis.care.services import event_sites
from mhis.events import announce
from mhis.kinds import RecordKind, following_merge, kind_of_model
from mhis.lookups import AnyOf
from mhis.portable.models import ReceivedItem, ReceivedSummary
from mhis.protection.models import Enrolment
from mhis.registry.models import Consent, HouseholdMember, Person, PersonSite
from mhis.registry.search import known_in_places

from .models import CandidatePair, Merge


def _require_admin(user) -> None:
    require(user, Can.MERGE_PEOPLE)


def _added_by_merges(person_ids=None) -> set[int]:
    """The site links that merges still in force added to these people (as survivors; to
    anyone when `person_ids` is None)."""
    merges = Merge.objects.filter(undone_at=None)
    if person_ids is not None:
        merges = merges.filter(survivor_id__in=person_ids)
    added: set[int] = set()
    for pks in merges.values_list("added_sites", flat=True):
        added.update(pks)
    return added


def known_on_its_own(user, person: str = "pk") -> Exists:
    """A condition on the outer row: the person its field `person` names is known at a site
    in the user's scopes on its own, not only through a site link a merge added (the rows
    `_require_visible` accepts, read in one query)."""
    scope = scope_site_ids(user)
    added = PersonSite.objects.filter(pk__in=_added_by_merges(), site_id__in=scope)
    return Exists(
        PersonSite.objects.filter(person=OuterRef(person), site_id__in=scope).exclude(
            pk__in=list(added.values_list("pk", flat=True))
        )
    )


def own_site_links(person) -> QuerySet[PersonSite]:
    """The person's site links but those a merge into them added: where the record is known
    on its own."""
    return PersonSite.objects.filter(person=person).exclude(pk__in=_added_by_merges([person.pk]))


def _sees_on_its_own(user, person) -> bool:
    return (
        allowed(user, Can.READ_PERSON)
        and own_site_links(person).filter(site_id__in=scope_site_ids(user)).exists()
    )


def _require_visible(user, *people) -> None:
    """An administrator merges, decides and undoes only for records in their places: each
    record must be known at one of their sites on its own, not only through a site link a
    merge added."""
    if not all(_sees_on_its_own(user, p) for p in people):
        raise PermissionDenied(_("Both records must be in your places."))


def visible_merges(user):
    """Merges whose two people are both known in the user's places on their own (none for a
    role that cannot read people)."""
    if not allowed(user, Can.READ_PERSON):
        return Merge.objects.none()
    # Known anywhere in the places first (each side one index probe), then on its own.
    candidates = Merge.objects.filter(
        known_in_places(user, "survivor"), known_in_places(user, "merged")
    ).values_list("pk", "survivor_id", "merged_id")
    rows = list(candidates)
    people = sorted({s for _, s, _ in rows} | {m for _, _, m in rows})
    added = sorted(_added_by_merges(people))
    known = set(
        PersonSite.objects.filter(AnyOf(F("person_id"), people), site_id__in=scope_site_ids(user))
        .exclude(AnyOf(F("pk"), added))
        .values_list("person_id", flat=True)
    )
    shown = [pk for pk, s, m in rows if s in known and m in known]
    return Merge.objects.filter(AnyOf(F("pk"), shown))


def _announce_moved(user, *person_ids: int) -> None:
    """Records moved in bulk: both people changed (their counts by person, sex or status may
    change), and so did their consents (a person left without consent to sharing loses their
    SMART Health Links, a record merged into another keeps its links only under the
    survivor's consent)."""
    announce(Person, people=person_ids, by=user)
    announce(Consent, people=person_ids, by=user)


def _overlap(a: Enrolment, b: Enrolment) -> bool:
    return a.start_date <= (b.end_date or date.max) and b.start_date <= (a.end_date or date.max)


def _conflicts(survivor: Person, moved: dict[str, list[int]]) -> list[dict]:
    """What the survivor now holds that its rules would refuse to write: two enrolments in
    one scheme for overlapping periods (protection.contracts.EnrolmentInput), membership of
    more than one household (registry.contracts.HouseholdMemberInput). Each names the
    records, for the reviewer to resolve."""
    found: list[dict] = []
    came = set(moved.get(Enrolment._meta.label, []))
    enrolments = list(Enrolment.objects.filter(person=survivor).order_by("start_date", "pk"))
    for i, a in enumerate(enrolments):
        for b in enrolments[i + 1 :]:
            if a.scheme_id == b.scheme_id and (a.pk in came) != (b.pk in came) and _overlap(a, b):
                found.append({"kind": "enrolment", "records": [a.pk, b.pk]})
    households = sorted(
        HouseholdMember.objects.filter(person=survivor).values_list("household_id", flat=True)
    )
    if len(households) > 1 and set(moved.get(HouseholdMember._meta.label, [])):
        found.append({"kind": "household", "records": households})
    return found


def conflict_messages(merge: Merge) -> list[str]:
    """The conflicts found at the merge and not resolved since, in words (in the reader's
    language), each saying what to resolve. None once the merge is undone."""
    if merge.undone_at:
        return []
    out = []
    for conflict in merge.conflicts or []:
        if conflict.get("kind") == "enrolment":
            rows = list(
                Enrolment.objects.filter(pk__in=conflict["records"], person=merge.survivor_id)
                .select_related("scheme")
                .order_by("start_date", "pk")
            )
            if len(rows) < 2 or not _overlap(*rows):
                continue  # one of them was ended, corrected or deleted since: resolved
            periods = [
                _("%(start)s to %(end)s")
                % {
                    "start": formats.date_format(e.start_date),
                    "end": formats.date_format(e.end_date) if e.end_date else _("open"),
                }
                for e in rows
            ]
            out.append(
                _(
                    "Two enrolments in %(scheme)s now cover the same period (%(first)s; "
                    "%(second)s): end or correct one of them."
                )
                % {"scheme": rows[0].scheme.name, "first": periods[0], "second": periods[1]}
            )
        elif conflict.get("kind") == "household":
            count = HouseholdMember.objects.filter(person=merge.survivor_id).count()
            if count > 1:
                out.append(
                    _("The person now belongs to %(count)s households: keep one of them.")
                    % {"count": count}
                )
    return out


def _rows_to_move(survivor: Person, merged: Person) -> Iterator[tuple[RecordKind, QuerySet]]:
    """What a merge of `merged` into `survivor` moves, kind by kind: the records that follow
    the person they are about (mhis.kinds). Names, name keys and identifiers stay with the
    record they were registered on (it is kept, marked merged); reads stay in the access
    log."""
    twice = ReceivedSummary.objects.filter(
        person=merged, digest__in=ReceivedSummary.objects.filter(person=survivor).values("digest")
    )
    for kind in following_merge():
        model = kind.model
        rows = model._default_manager.filter(**{kind.person_field: merged})
        if model is HouseholdMember:  # one membership per household and person
            shared = HouseholdMember.objects.filter(person=survivor).values("household")
            rows = rows.exclude(household__in=shared)
        elif model is ReceivedSummary:  # a summary received on both records: each keeps its own
            rows = rows.exclude(pk__in=twice)
        elif model is ReceivedItem:
            rows = rows.exclude(summary__in=twice)
        yield kind, rows


def _site_links_gained(survivor: Person, merged: Person) -> QuerySet[PersonSite]:
    """The merged record's site links at sites where the survivor is not known yet."""
    have = PersonSite.objects.filter(person=survivor).values("site_id")
    return PersonSite.objects.filter(person=merged).exclude(site_id__in=have)


def merge_preview(user, survivor: Person, merged: Person) -> dict:
    """What merging `merged` into `survivor` would move, for the reviewer to confirm first:
    the count of each kind of record (only kinds with records), the sites the survivor would
    gain, and the merged record's names and identifiers, which stay on it and lead to the
    survivor. Nothing is written. Asked by an administrator who sees both records."""
    _require_admin(user)
    _require_visible(user, survivor, merged)
    counts = []
    for kind, rows in _rows_to_move(survivor, merged):
        n = rows.count()
        if n:
            label = kind.model._meta.verbose_name_plural
            counts.append({"kind": kind.name, "label": label, "count": n})
    sites = [
        link.site
        for link in _site_links_gained(survivor, merged).select_related("site").order_by("pk")
    ]
    return {
        "counts": counts,
        "sites": sites,
        "names": list(merged.names.all()),
    }


@transaction.atomic
def merge_people(user, survivor, merged, *, pair=None, pair_id=None, run=None, note: str = ""):
    """Merge `merged` into `survivor`: every care, protection, migration, consent and
    household record of `merged` moves to `survivor`, which also gains its site links; the
    merged record and its names and identifiers stay, pointing at the survivor. Everything
    moved is recorded, so `unmerge` restores the exact state before. What the survivor now
    holds twice against its rules (two enrolments in one scheme for one period, two
    households) is recorded on the merge as `conflicts` (`conflict_messages`): the merge
    goes ahead and the reviewer is told. One transaction.

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
    for kind, rows in _rows_to_move(survivor, merged):
        pks = sorted(rows.values_list("pk", flat=True))
        if pks:
            kind.model._default_manager.filter(pk__in=pks).update(**{kind.person_field: survivor})
            moved[kind.model_label] = pks
    added = []
    for site_link in _site_links_gained(survivor, merged):
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
        conflicts=_conflicts(survivor, moved),
        note=note,
        merged_by=user,
    )


def _blocking(merge: Merge) -> Merge | None:
    """The later merge in force that changed what `merge` moved: the survivor's own merge
    into another record, or a later merge into the survivor."""
    later = Merge.objects.filter(undone_at=None, merged_id=merge.survivor_id).first()
    if later is None:
        later = (
            Merge.objects.filter(undone_at=None, survivor_id=merge.survivor_id, pk__gt=merge.pk)
            .order_by("-pk")
            .first()
        )
    return later


def _first_to_undo(merge: Merge) -> Merge | None:
    """The merge to undo before `merge` can be: the top of its stack (None: `merge` is)."""
    top, seen = None, {merge.pk}
    later = _blocking(merge)
    while later is not None and later.pk not in seen:
        top = later
        seen.add(later.pk)
        later = _blocking(later)
    return top


def _describe(user, merge: Merge) -> str:
    """A merge named for a message: its records' names where the user sees both, its
    number and date always."""
    when = formats.date_format(timezone.localtime(merge.merged_at))
    if _sees_on_its_own(user, merge.survivor) and _sees_on_its_own(user, merge.merged):
        return _("the merge of “%(merged)s” into “%(survivor)s” of %(date)s (no. %(id)s)") % {
            "merged": merge.merged.display_name,
            "survivor": merge.survivor.display_name,
            "date": when,
            "id": merge.pk,
        }
    return _("merge no. %(id)s of %(date)s") % {"id": merge.pk, "date": when}


@transaction.atomic
def unmerge(user, merge):
    """Undo a merge: the moved records go back, the added site links go, the merged record
    stands on its own again. Records added to the survivor since stay with the survivor, and
    so does an added site link where one of them happened (every event at a site makes the
    person known there). A merge is undone only when no later merge changed what it moved
    (last merged, first undone); otherwise the message names the merge to undo first."""
    _require_admin(user)
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    _require_visible(user, merge.survivor, merge.merged)
    if merge.undone_at:
        raise ValidationError({"merge": _("This merge has already been undone.")})
    first = _first_to_undo(merge)
    if first is not None:
        raise ValidationError(
            {
                "merge": _(
                    "Undo %(first)s first: records this merge moved have been merged again "
                    "since. Merges are undone last first."
                )
                % {"first": _describe(user, first)}
            }
        )
    for label, pks in merge.moved.items():
        model = apps.get_model(label)
        kind = kind_of_model(model)
        field = kind.person_field if kind else "person"
        model._default_manager.filter(pk__in=pks, **{field: merge.survivor}).update(
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
