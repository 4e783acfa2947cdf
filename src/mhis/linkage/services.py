"""Running the matcher over the registry and keeping what it found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, FloatField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed, require
from mhis.care.services import event_sites
from mhis.events import announce
from mhis.kinds import following_merge, kind_of_model
from mhis.registry.models import Consent, HouseholdMember, Person, PersonSite
from mhis.registry.search import known_in_places, visible_people

from . import link
from .features import FROM_MIGRATION_EPISODES, OF_IDENTIFIER_TYPES
from .models import CandidatePair, LinkRun, Merge
from .records import registry_records

BATCH = 5_000


def _check(threshold: float, cluster_threshold: float) -> None:
    errors = {}
    if not 0 < threshold < 1:
        errors["threshold"] = _("Give a probability between 0 and 1.")
    if not 0 < cluster_threshold < 1:
        errors["cluster_threshold"] = _("Give a probability between 0 and 1.")
    elif not errors and cluster_threshold < threshold:
        errors["cluster_threshold"] = _("This must not be below the threshold.")
    if errors:
        raise ValidationError(errors)


def run_linkage(
    *,
    scope: str = LinkRun.Scope.ALL,
    threshold: float = 0.5,
    cluster_threshold: float = 0.95,
    user=None,
    progress: Callable[[str], None] = lambda step: None,
) -> LinkRun:
    """Match the registry and store the scored pairs and clusters of one run.

    With scope ``new``, every record is scored (the model learns from the whole registry)
    but only pairs with a record registered since the last finished run are kept. The
    pairs are written in one transaction: a failed run leaves its row marked failed and no
    pairs.
    """
    _check(threshold, cluster_threshold)
    since = None
    if scope == LinkRun.Scope.NEW:
        last = LinkRun.objects.filter(status=LinkRun.Status.DONE).order_by("-started_at").first()
        since = last.started_at if last else None
    run = LinkRun.objects.create(
        scope=scope, threshold=threshold, cluster_threshold=cluster_threshold, started_by=user
    )
    try:
        progress("reading")
        person_of: dict[str, int] = {}

        def records():
            for record in registry_records():
                person_of[record["unique_id"]] = record["person"]
                yield record

        new = None
        if since is not None:
            new = set(Person.objects.filter(created_at__gte=since).values_list("pk", flat=True))
        result = link(
            records(), threshold=threshold, cluster_threshold=cluster_threshold, progress=progress
        )
        progress("saving")
        rows = []
        for pair in result.pairs:
            left, right = person_of[pair.left], person_of[pair.right]
            if new is not None and left not in new and right not in new:
                continue
            if left > right:
                left, right = right, left
            together = result.clusters.get(pair.left) == result.clusters.get(pair.right)
            rows.append(
                CandidatePair(
                    run=run,
                    left_id=left,
                    right_id=right,
                    probability=pair.probability,
                    weight=pair.weight,
                    evidence=pair.evidence,
                    cluster=result.clusters[pair.left] if together else "",
                )
            )
        sizes: dict[str, int] = {}
        for cluster in result.clusters.values():
            sizes[cluster] = sizes.get(cluster, 0) + 1
        with transaction.atomic():
            CandidatePair.objects.bulk_create(rows, batch_size=BATCH)
            run.records, run.pairs = len(person_of), len(rows)
            run.clusters = sum(1 for n in sizes.values() if n > 1)
            run.model, run.status, run.finished_at = (
                result.model,
                LinkRun.Status.DONE,
                timezone.now(),
            )
            run.save()
            triage(run)
    except Exception as exc:
        run.status, run.error, run.finished_at = LinkRun.Status.FAILED, str(exc), timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    return run


# -- merge and un-merge --------------------------------------------------------------------


def _require_admin(user) -> None:
    require(user, Can.MERGE_PEOPLE)


def _require_visible(user, *people) -> None:
    """An administrator merges only records in their places: both people must be visible."""
    pks = {p.pk for p in people}
    if visible_people(user).filter(pk__in=pks).count() != len(pks):
        raise PermissionDenied(_("Both records must be in your places."))


def visible_pairs(user):
    """Candidate pairs an administrator may review: both people known in their places (a pair
    with someone outside them is another administrator's to decide)."""
    _require_admin(user)
    # Each side probed on its own (not `left__in=<everyone visible>`): on PostgreSQL, with
    # statistics that said the tables were empty, that was planned as a scan of people for
    # every pair.
    return CandidatePair.objects.filter(
        known_in_places(user, "left"), known_in_places(user, "right")
    )


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
def merge_people(user, survivor, merged, *, pair=None, note: str = ""):
    """Merge `merged` into `survivor`: every care, protection, migration, consent and
    household record of `merged` moves to `survivor`, which also gains its site links; the
    merged record and its names and identifiers stay, pointing at the survivor. Everything
    moved is recorded, so `unmerge` restores the exact state before. One transaction."""
    _require_admin(user)
    survivor = Person.objects.select_for_update().get(pk=survivor.pk)
    merged = Person.objects.select_for_update().get(pk=merged.pk)
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
        pair=pair,
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


# -- the review queue ------------------------------------------------------------------------

AUTO_LINK = 0.99  # probability at or above which a pair may be linked without review
MARGIN_BITS = 5.0  # ... if it beats every other candidate of both records by this weight
NOTE_LIMIT = 2000


def triage(run, *, auto: float = AUTO_LINK, margin: float = MARGIN_BITS) -> dict[str, int]:
    """Mark the pairs of a run that need no human: at `auto` or above, and the best
    candidate of both its records by at least `margin` bits over the runner-up. Every other
    pair stays in the review queue."""
    pairs = list(CandidatePair.objects.filter(run=run).order_by("-weight"))
    by_record: dict[int, list[CandidatePair]] = {}
    for pair in pairs:
        by_record.setdefault(pair.left_id, []).append(pair)
        by_record.setdefault(pair.right_id, []).append(pair)
    auto_ids = []
    for pair in pairs:
        if pair.probability < auto:
            continue
        rivals = [
            p.weight for r in (pair.left_id, pair.right_id) for p in by_record[r] if p.pk != pair.pk
        ]
        if all(pair.weight - w >= margin for w in rivals):
            auto_ids.append(pair.pk)
    CandidatePair.objects.filter(pk__in=auto_ids).update(status=CandidatePair.Status.AUTO)
    return {"auto": len(auto_ids), "review": len(pairs) - len(auto_ids)}


def review_queue(user, run=None):
    """Pairs waiting for a person's decision, strongest first by the evidence the user is
    shown (`shown_evidence`), the latest run by default."""
    pairs = visible_pairs(user)
    run = run or LinkRun.objects.filter(status=LinkRun.Status.DONE).first()
    if run is None:
        return CandidatePair.objects.none()
    shown_weight = F("weight")
    for name in sorted(withheld_comparisons(user)):
        weight = Cast(KT(f"evidence__{name}"), FloatField())
        shown_weight = shown_weight - Coalesce(weight, Value(0.0))
    return (
        pairs.filter(run=run, status=CandidatePair.Status.REVIEW)
        .select_related("left__registration_site", "right__registration_site")
        .annotate(shown_weight=shown_weight)
        .order_by("-shown_weight", "pk")
    )


# -- what a reviewer is shown ----------------------------------------------------------------


def withheld_comparisons(user) -> frozenset[str]:
    """The comparisons of a pair left out for `user`: for a role that may not see migration
    status, those of migration episodes and of identifier types (see `mhis.linkage.features`)."""
    if allowed(user, Can.SEE_MIGRATION_STATUS):
        return frozenset()
    return FROM_MIGRATION_EPISODES | OF_IDENTIFIER_TYPES


@dataclass(frozen=True)
class Evidence:
    """A pair as a reviewer is shown it: the weight (bits) of each comparison shown, and the
    weight and probability of the match from those comparisons and the prior alone."""

    comparisons: dict[str, float]
    weight: float
    probability: float
    complete: bool  # every comparison is shown


def _probability(weight: float) -> float:
    """The probability of a match weight (log2 of the odds), as Splink gives it."""
    if weight >= 0:
        return 1 / (1 + 2.0**-weight)
    odds = 2.0**weight
    return odds / (1 + odds)


def shown_evidence(user, pair: CandidatePair) -> Evidence:
    """The evidence of `pair` that `user` may be shown, on pages and in the API alike.

    A role that may not see migration status is not shown the comparisons of
    `withheld_comparisons`, nor the model's probability, which adds them up: the prior and
    the comparisons shown would give back their sum, and from it which of them agreed. It is
    shown the weight and probability of the comparisons it is shown, and the queue is ordered
    by them. What remains: which pairs are in the queue (the run keeps pairs whose probability
    over every comparison reaches its threshold) and which were linked without review still
    depend on every comparison, so a pair shown weak evidence in the queue had some of the
    withheld comparisons agree, without saying which."""
    withheld = withheld_comparisons(user)
    evidence = {name: float(w) for name, w in (pair.evidence or {}).items()}
    if not withheld:
        return Evidence(evidence, pair.weight, pair.probability, complete=True)
    shown = {name: w for name, w in evidence.items() if name not in withheld}
    weight = pair.weight - sum(w for name, w in evidence.items() if name in withheld)
    return Evidence(shown, weight, _probability(weight), complete=False)


@transaction.atomic
def decide(user, pair, decision: str, note: str = ""):
    """Record a reviewer's decision on a pair. "same" merges the later record into the
    earlier one (see `merge_people`); "different" keeps them apart."""
    _require_admin(user)
    pair = CandidatePair.objects.select_for_update().get(pk=pair.pk)
    _require_visible(user, pair.left, pair.right)
    if decision not in (CandidatePair.Status.SAME, CandidatePair.Status.DIFFERENT):
        raise ValidationError({"decision": _("Choose “same person” or “different people”.")})
    if pair.status in (CandidatePair.Status.SAME, CandidatePair.Status.DIFFERENT):
        raise ValidationError({"decision": _("This pair has already been decided.")})
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"note": _("At most %(n)s characters.") % {"n": NOTE_LIMIT}})
    pair.status, pair.note = decision, note
    pair.decided_by, pair.decided_at = user, timezone.now()
    pair.save(update_fields=["status", "note", "decided_by", "decided_at"])
    if decision == CandidatePair.Status.SAME:
        merge_people(user, pair.left, pair.right, pair=pair, note=note)
    return pair
