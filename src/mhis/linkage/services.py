"""Running the matcher over the registry and keeping what it found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, FloatField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from mhis.access.policy import Can, allowed
from mhis.registry.models import Person
from mhis.registry.search import known_in_places

from . import link
from .features import FROM_MIGRATION_EPISODES, OF_IDENTIFIER_TYPES
from .merges import _require_admin, _require_visible, merge_people
from .models import CandidatePair, LinkRun
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
